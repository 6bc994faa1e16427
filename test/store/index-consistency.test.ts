// Index consistency: after random dirty writes, deletes and delete_objects, transactions that
// commit or abort, transform_table, clear_table, adding and dropping an index and counter
// updates, every index lookup equals a recomputation from the data: dirtyIndexRead (by name and
// by position) and a transactional indexRead against a filter over a dirtySelect of everything,
// and - white box - each index holds exactly the (value, key) pairs of the data, nothing stale.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { DbCore } from "../../src/db/core.js";
import { type Mneme, TransactionAborted } from "../../src/index.js";
import { compareKeys, type Key, mapKey, termEquals, termMapKey } from "../../src/keys/index.js";
import type { TableType, Value } from "../../src/types.js";
import { openWorld } from "./harness.js";
import {
  assertAsyncProperty,
  byKey,
  KEYS,
  keyArb,
  type Rec,
  recArb,
  TYPES,
  twinKey,
  V_VALUES,
  W_VALUES,
} from "./model.js";

type Op =
  | { readonly op: "write"; readonly rec: Rec }
  | { readonly op: "delete"; readonly key: Key }
  | { readonly op: "deleteObject"; readonly pick: number; readonly twin: boolean }
  | {
      readonly op: "tx";
      readonly writes: readonly Rec[];
      readonly deletes: readonly Key[];
      readonly abort: boolean;
      readonly async: boolean;
    }
  | { readonly op: "transform"; readonly vMap: readonly number[]; readonly wMap: readonly number[] }
  | { readonly op: "clear" }
  | { readonly op: "toggleIndex" }
  | { readonly op: "counter"; readonly key: Key; readonly incr: number };

const mapArb = (n: number) => fc.array(fc.nat({ max: n - 1 }), { minLength: n, maxLength: n });

const opArb: fc.Arbitrary<Op> = fc.oneof(
  { weight: 8, arbitrary: fc.record({ op: fc.constant("write"), rec: recArb }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("delete"), key: keyArb }) },
  {
    weight: 3,
    arbitrary: fc.record({ op: fc.constant("deleteObject"), pick: fc.nat(), twin: fc.boolean() }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("tx"),
      writes: fc.array(recArb, { maxLength: 6 }),
      deletes: fc.array(keyArb, { maxLength: 2 }),
      abort: fc.boolean(),
      async: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("transform"),
      vMap: mapArb(V_VALUES.length),
      wMap: mapArb(W_VALUES.length),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "clear" } as const) },
  { weight: 1, arbitrary: fc.constant({ op: "toggleIndex" } as const) },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("counter"),
      key: fc.constantFrom<Key>(1, 1n, "a", [1]),
      incr: fc.integer({ min: -2, max: 3 }),
    }),
  },
);

/** The value of `domain` equal to `v`, mapped through `map`. */
function remap(domain: readonly Value[], map: readonly number[], v: unknown): Value {
  const i = domain.findIndex((d) => termEquals(d, v));
  return domain[map[i]!]!;
}

const ALL = [[{ k: "_", v: "_", w: "_" }, [], ["$_"]]] as const;

/** Pairs (value id, key id) an index on `attr` must hold for `records`. */
function expectedPairs(records: readonly Rec[], attr: string): string[] {
  const pairs = new Set<string>();
  for (const r of records) pairs.add(JSON.stringify([termMapKey(r[attr]), mapKey(r.k as Key)]));
  return [...pairs].sort();
}

function actualPairs(db: Mneme, table: string, attr: string, values: readonly unknown[]): string[] {
  const core = (db as unknown as { core: DbCore }).core;
  const idx = core.tables.get(table)!.indexes.get(attr)!;
  const pairs: string[] = [];
  const seen = new Set<unknown>();
  for (const v of values) {
    const id = termMapKey(v);
    if (seen.has(id)) continue;
    seen.add(id);
    for (const k of idx.keysFor(v)) pairs.push(JSON.stringify([id, mapKey(k)]));
  }
  // Nothing outside the domain: the entry count matches what was found.
  assert.equal(idx.entries(), pairs.length, `${attr} index holds entries for other values`);
  return pairs.sort();
}

async function checkIndexes(db: Mneme, t: string, indexed: readonly string[]): Promise<void> {
  const all = db.dirtySelect(db.table<Rec>(t), ALL as never) as readonly Rec[];
  const info = db.tableInfo(t, "index");
  assert.deepEqual([...info].sort(), indexed.map((a) => ["k", "v", "w"].indexOf(a) + 2).sort());
  for (const attr of indexed) {
    const domain = attr === "v" ? V_VALUES : W_VALUES;
    const position = attr === "v" ? 3 : 4;
    for (const value of domain) {
      const expected = byKey(all.filter((r) => termEquals(r[attr], value)));
      assert.deepEqual(byKey(db.dirtyIndexRead<Rec>(t, value, attr)), expected, `${attr}=${value}`);
      assert.deepEqual(byKey(db.dirtyIndexRead<Rec>(t, value, position)), expected);
      const inTx = db.transactionSync((tx) => tx.indexRead<Rec>(t, value, attr));
      assert.deepEqual(byKey(inTx), expected);
      const viaMatch = db.dirtyIndexMatchObject<Rec>(t, { [attr]: value }, attr);
      assert.deepEqual(byKey(viaMatch), expected);
    }
    assert.deepEqual(actualPairs(db, t, attr, domain), expectedPairs(all, attr));
  }
}

async function runOp(
  db: Mneme,
  t: string,
  counters: string,
  o: Op,
  state: { indexed: string[] },
): Promise<void> {
  switch (o.op) {
    case "write":
      db.dirtyWrite(t, o.rec);
      return;
    case "delete":
      db.dirtyDelete(t, o.key);
      return;
    case "deleteObject": {
      const all = db.dirtySelect(db.table<Rec>(t), ALL as never) as readonly Rec[];
      if (all.length === 0) return;
      const r = all[o.pick % all.length]!;
      db.dirtyDeleteObject(t, o.twin ? { ...r, k: twinKey(r.k as Key) } : r);
      return;
    }
    case "tx": {
      const reason = "index-test-abort";
      try {
        if (o.async) {
          await db.transaction(async (tx) => {
            for (const r of o.writes) await tx.write(t, r);
            for (const k of o.deletes) await tx.delete(t, k);
            if (o.abort) tx.abort(reason);
          });
        } else {
          db.transactionSync((tx) => {
            for (const r of o.writes) tx.write(t, r);
            for (const k of o.deletes) tx.delete(t, k);
            if (o.abort) tx.abort(reason);
          });
        }
        assert.equal(o.abort, false);
      } catch (e) {
        if (!(e instanceof TransactionAborted && e.reason === reason)) throw e;
      }
      return;
    }
    case "transform":
      await db.transformTable<Rec>(
        t,
        (r) => ({ ...r, v: remap(V_VALUES, o.vMap, r.v), w: remap(W_VALUES, o.wMap, r.w) }),
        ["k", "v", "w"],
      );
      return;
    case "clear":
      await db.clearTable(t);
      return;
    case "toggleIndex":
      if (state.indexed.includes("w")) {
        await db.delTableIndex(t, "w");
        state.indexed = ["v"];
      } else {
        await db.addTableIndex(t, 4);
        state.indexed = ["v", "w"];
      }
      return;
    case "counter":
      db.dirtyUpdateCounter(counters, o.key, o.incr);
      return;
  }
}

function checkCounters(db: Mneme, counters: string): void {
  const all = db.dirtySelect(db.table<{ k: Key; c: number }>(counters), [
    [{ k: "_", c: "_" }, [], ["$_"]],
  ]);
  const values = [0, 1, 2, 3, ...all.map((r) => r.c)];
  for (const c of values) {
    const expected = all.filter((r) => r.c === c).sort((a, b) => compareKeys(a.k, b.k));
    const got = db.dirtyIndexRead<{ k: Key; c: number }>(counters, c, "c");
    assert.deepEqual(
      got.sort((a, b) => compareKeys(a.k, b.k)),
      expected,
    );
  }
  assert.deepEqual(actualPairs(db, counters, "c", values), expectedPairs(all as never, "c"));
}

function property(type: TableType): void {
  test(`property: ${type} indexes stay equal to a recomputation from the data`, async () => {
    await assertAsyncProperty(
      fc.asyncProperty(
        fc.array(opArb, { minLength: 1, maxLength: 30, size: "max" }),
        async (ops) => {
          const { db, world } = await openWorld(type);
          const t = world.table;
          await db.addTableIndex(world.counters, "c");
          const state = { indexed: ["v"] };
          for (const o of ops) {
            await runOp(db, t, world.counters, o, state);
            await checkIndexes(db, t, state.indexed);
          }
          checkCounters(db, world.counters);
          await db.close();
        },
      ),
      { numRuns: 120 },
    );
  });
}

for (const type of TYPES) property(type);

test("index buckets follow every kind of change (a fixed scenario over all keys)", async () => {
  for (const type of TYPES) {
    const { db, world } = await openWorld(type);
    const t = world.table;
    await db.addTableIndex(t, "w");
    KEYS.forEach((k, i) => {
      db.dirtyWrite(t, { k, v: V_VALUES[i % V_VALUES.length]!, w: W_VALUES[i % W_VALUES.length]! });
    });
    await checkIndexes(db, t, ["v", "w"]);
    // Overwrite every record (bag: adds a second record per key) with shifted values.
    KEYS.forEach((k, i) => {
      db.dirtyWrite(t, { k, v: V_VALUES[(i + 1) % V_VALUES.length]!, w: "p" });
    });
    await checkIndexes(db, t, ["v", "w"]);
    for (const k of KEYS.filter((_, i) => i % 3 === 0)) db.dirtyDelete(t, twinKey(k));
    await checkIndexes(db, t, ["v", "w"]);
    await db.transformTable<Rec>(t, (r) => ({ ...r, v: "x" }), ["k", "v", "w"]);
    await checkIndexes(db, t, ["v", "w"]);
    assert.equal(
      db.dirtyIndexRead(t, "x", "v").length,
      db.tableInfo(t, "size"),
      "every record has v = x",
    );
    await db.clearTable(t);
    await checkIndexes(db, t, ["v", "w"]);
    assert.deepEqual(db.dirtyIndexRead(t, "x", "v"), []);
    await db.close();
  }
});
