// The Applier used directly: log entries change stores, keep secondary indexes in step, call the
// key-change hook for watched tables, and turn into events for the subscribers of the table only.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { EventHub } from "../../src/events/event-hub.js";
import { Subscription } from "../../src/events/subscription.js";
import { type Key, mapKey, termMapKey } from "../../src/keys/index.js";
import { Applier, nextCounterValue } from "../../src/log/applier.js";
import type { DataOp, LogOp } from "../../src/log/entry.js";
import type { LiveTable } from "../../src/schema/live-table.js";
import { validateTableDef } from "../../src/schema/validate-def.js";
import type { SecondaryIndex } from "../../src/store/secondary-index.js";
import type { Rec } from "../../src/store/store.js";
import type { ActivityId, AnyRecord, TableDef, TableType } from "../../src/types.js";
import { assertProperty, Model, recArb, TYPES } from "../store/model.js";

const TID: ActivityId = Object.freeze({ kind: "tid", id: 42 });
const DIRTY: ActivityId = Object.freeze({ kind: "async_dirty", id: 0 });

const r = (k: Key, v: unknown, w: unknown = "p"): Rec => Object.freeze({ k, v, w }) as Rec;

type Change = { table: string; key: Key; before: readonly Rec[]; after: readonly Rec[] };

/** An applier over fresh tables, with a recording key-change hook watching `watched` tables. */
function setup(watched: readonly string[] = []) {
  const tables = new Map<string, LiveTable>();
  const hub = new EventHub();
  const changes: Change[] = [];
  const applier = new Applier(
    tables,
    hub,
    (t, key, before, after) => {
      changes.push({ table: t.name, key, before: [...before], after: [...after] });
    },
    (t) => watched.includes(t.name),
  );
  let position = 0;
  const apply = (ops: readonly LogOp[], activity: ActivityId = TID): void =>
    applier.apply({ position: ++position, activity, ops });
  const create = (name: string, def: TableDef<AnyRecord>): LiveTable => {
    const spec = validateTableDef(name, def as unknown as TableDef<object>, "nonode@nohost", name);
    apply([{ op: "create_table", spec }]);
    return tables.get(name)!;
  };
  const subscribe = (table: string, mode: "simple" | "detailed") => {
    const events: unknown[] = [];
    const sub: Subscription<unknown> = new Subscription<unknown>(
      `${table} ${mode}`,
      (e) => events.push(e),
      (s) => hub.remove(mode, table, s),
    );
    hub.add(mode, table, sub);
    return { events, sub };
  };
  return { tables, hub, changes, apply, create, subscribe };
}

/** Lets the event hub deliver what it queued. */
const delivered = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The buckets of an index as value id -> sorted key ids (white box). */
function buckets(idx: SecondaryIndex): Map<unknown, unknown[]> {
  const raw = (idx as unknown as { buckets: Map<unknown, Map<unknown, Key>> }).buckets;
  const out = new Map<unknown, unknown[]>();
  for (const [v, keys] of raw) {
    assert.ok(keys.size > 0, "no empty bucket is kept");
    out.set(v, [...keys.keys()].map(String).sort());
  }
  return out;
}

/** What an index on `attr` must hold for the table's current records. */
function expectedBuckets(t: LiveTable, attr: string): Map<unknown, unknown[]> {
  const out = new Map<unknown, Set<unknown>>();
  for (const rec of t.store.records()) {
    const v = termMapKey(rec[attr]);
    if (!out.has(v)) out.set(v, new Set());
    out.get(v)!.add(mapKey(rec[t.keyAttr] as Key));
  }
  return new Map([...out].map(([v, ks]) => [v, [...ks].map(String).sort()]));
}

function assertIndexesInStep(t: LiveTable): void {
  for (const [attr, idx] of t.indexes) {
    assert.deepEqual(buckets(idx), expectedBuckets(t, attr), `index on ${attr} of ${t.name}`);
  }
}

// ---- nextCounterValue ---------------------------------------------------------------------------

describe("nextCounterValue (Mnesia's counter arithmetic, FACTS Q1)", () => {
  const cases: [unknown, number | bigint, number | bigint][] = [
    [undefined, 5, 5],
    [undefined, -5, 0],
    [undefined, 0, 0],
    [3, -10, 0],
    [3, -2, 1],
    [1, -1, 0],
    [0, -1, 0],
    [-7, 2, 2],
    [-7, -2, 0],
    ["foo", 1, 1],
    ["foo", -1, 0],
    [1.5, 1, 1],
    [1.5, -1, 0],
    [2 ** 60, 1, 1], // a double beyond the safe integers is not an integer counter
    [5, 0, 5],
    [5n, 1, 6],
    [5, 1n, 6],
    [undefined, 5n, 5],
    [undefined, -5n, 0],
    [3n, -10n, 0],
    [Number.MAX_SAFE_INTEGER, 2, 2n ** 53n + 1n],
    [Number.MAX_SAFE_INTEGER, 0, Number.MAX_SAFE_INTEGER],
    [2n ** 53n + 1n, -2, Number.MAX_SAFE_INTEGER],
    [2n ** 70n, 1, 2n ** 70n + 1n],
    [undefined, 2n ** 70n, 2n ** 70n],
    [-(2n ** 70n), 1, 1],
  ];
  for (const [current, incr, expected] of cases) {
    test(`${String(current)} + ${String(incr)} -> ${String(expected)}`, () => {
      assert.equal(nextCounterValue(current, incr), expected);
    });
  }

  test("property: the result is the exact sum when that is an integer >= 0, kept as a number while safe", () => {
    const int = fc.oneof(
      fc.integer({ min: -1000, max: 1000 }),
      fc.bigInt(-(2n ** 60n), 2n ** 60n),
      fc.constantFrom(Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2n ** 53n),
    );
    assertProperty(
      fc.property(int, int, (current, incr) => {
        const sum = BigInt(current) + BigInt(incr);
        const exact = sum >= 0n ? sum : BigInt(incr) > 0n ? BigInt(incr) : 0n;
        const got = nextCounterValue(current, incr);
        assert.equal(BigInt(got), exact);
        assert.equal(typeof got, exact <= BigInt(Number.MAX_SAFE_INTEGER) ? "number" : "bigint");
      }),
    );
  });
});

// ---- schema ops ---------------------------------------------------------------------------------

describe("Applier: schema operations", () => {
  test("create_table makes a live table with its indexes; delete_table removes it", () => {
    const { tables, apply, create } = setup();
    const t = create("t", { attributes: ["k", "v", "w"], type: "bag", index: ["v"] });
    assert.equal(t.name, "t");
    assert.equal(t.store.type, "bag");
    assert.deepEqual([...t.indexes.keys()], ["v"]);
    apply([{ op: "delete_table", table: "t" }]);
    assert.equal(tables.has("t"), false);
  });

  test("delete_table closes the table's subscriptions, not other tables'", async () => {
    const { apply, create, subscribe } = setup();
    create("a", { attributes: ["k", "v", "w"] });
    create("b", { attributes: ["k", "v", "w"] });
    const sa = subscribe("a", "simple");
    const sb = subscribe("b", "detailed");
    apply([{ op: "delete_table", table: "a" }]);
    assert.equal(sa.sub.active, false);
    assert.equal(sb.sub.active, true);
    apply([{ op: "write", table: "b", key: 1, record: r(1, 1) }]);
    await delivered();
    assert.equal(sa.events.length, 0);
    assert.equal(sb.events.length, 1);
  });

  test("redefine_table adds (built from the data) and drops indexes", () => {
    const { apply, create } = setup();
    const t = create("t", { attributes: ["k", "v", "w"], index: ["v"] });
    apply([1, 2, 3].map((k) => ({ op: "write", table: "t", key: k, record: r(k, k % 2, "q") })));
    apply([{ op: "redefine_table", spec: { ...t.spec, index: ["w"] } }]);
    assert.deepEqual([...t.indexes.keys()], ["w"]);
    assertIndexesInStep(t);
    assert.deepEqual([...t.indexes.get("w")!.keysFor("q")], [1, 2, 3]);
    apply([{ op: "redefine_table", spec: { ...t.spec, index: ["w", "v"] } }]);
    assert.deepEqual([...t.indexes.keys()].sort(), ["v", "w"]);
    assertIndexesInStep(t);
  });

  test("transform_table reloads the records and rebuilds the indexes", () => {
    const { apply, create } = setup();
    const t = create("t", { attributes: ["k", "v", "w"], type: "bag", index: ["v"] });
    apply([{ op: "write", table: "t", key: 1, record: r(1, "a") }]);
    apply([{ op: "write", table: "t", key: 1, record: r(1, "b") }]);
    const records = [r(1, "z"), r(1, "z"), r(2, "y")];
    apply([{ op: "transform_table", spec: t.spec, records }]);
    const now = [...t.store.records()];
    assert.deepEqual(now, [r(1, "z"), r(2, "y")]);
    assertIndexesInStep(t);
    assert.deepEqual([...t.indexes.get("v")!.keysFor("a")], []);
  });

  test("an entry's ops apply in order; ops on a table deleted earlier in the entry are skipped", () => {
    const { tables, apply, create } = setup();
    const t = create("t", { attributes: ["k", "v", "w"] });
    apply([
      { op: "write", table: "t", key: 1, record: r(1, "a") },
      { op: "write", table: "t", key: 1, record: r(1, "b") },
      { op: "delete", table: "t", key: 2 },
      { op: "write", table: "t", key: 2, record: r(2, "c") },
    ]);
    assert.deepEqual([...t.store.records()], [r(1, "b"), r(2, "c")]);
    apply([
      { op: "delete_table", table: "t" },
      { op: "write", table: "t", key: 3, record: r(3, "d") },
      { op: "update_counter", table: "t", key: 4, incr: 1 },
      { op: "clear_table", table: "t" },
    ]);
    assert.equal(tables.has("t"), false);
  });
});

// ---- data ops keep indexes in step --------------------------------------------------------------

/** How the applier is observed: each takes another path through applyData. */
const MODES = ["plain", "simple", "detailed", "watched"] as const;
type Mode = (typeof MODES)[number];

function world(type: TableType, mode: Mode) {
  const s = setup(mode === "watched" ? ["t"] : []);
  const t = s.create("t", { attributes: ["k", "v", "w"], type, index: ["v", "w"] });
  if (mode === "simple" || mode === "detailed") s.subscribe("t", mode);
  return { ...s, t };
}

for (const type of TYPES) {
  for (const mode of MODES) {
    describe(`Applier: ${type} indexes in step (${mode})`, () => {
      test("write, overwrite, delete, delete_object, clear_table", () => {
        const { apply, t } = world(type, mode);
        const steps: DataOp[] = [
          { op: "write", table: "t", key: 1, record: r(1, "a") },
          { op: "write", table: "t", key: 2, record: r(2, "a") },
          { op: "write", table: "t", key: 1, record: r(1, "b") },
          { op: "write", table: "t", key: 1n, record: r(1n, "b", "q") },
          { op: "write", table: "t", key: 3, record: r(3, 1) },
          { op: "write", table: "t", key: 3, record: r(3, 1n) },
          { op: "delete_object", table: "t", key: 1, record: r(1, "a") },
          { op: "delete_object", table: "t", key: 2, record: r(2, "zz") },
          { op: "delete", table: "t", key: 2 },
          { op: "delete", table: "t", key: 99 },
          { op: "delete_object", table: "t", key: 1n, record: r(1n, "b") },
        ];
        for (const op of steps) {
          apply([op]);
          assertIndexesInStep(t);
        }
        apply([{ op: "clear_table", table: "t" }]);
        assert.equal(t.store.size(), 0);
        assertIndexesInStep(t);
        assert.deepEqual([...t.indexes.get("v")!.keysFor("b")], []);
        apply([{ op: "write", table: "t", key: 5, record: r(5, "b") }]);
        assertIndexesInStep(t);
      });

      test("property: random data ops keep the store equal to the model and the indexes in step", () => {
        const opArb: fc.Arbitrary<DataOp> = fc.oneof(
          {
            weight: 5,
            arbitrary: recArb.map((rec) => ({
              op: "write" as const,
              table: "t",
              key: rec.k as Key,
              record: Object.freeze(rec) as Rec,
            })),
          },
          {
            weight: 1,
            arbitrary: recArb.map((rec) => ({
              op: "delete" as const,
              table: "t",
              key: rec.k as Key,
            })),
          },
          {
            weight: 2,
            arbitrary: recArb.map((rec) => ({
              op: "delete_object" as const,
              table: "t",
              key: rec.k as Key,
              record: Object.freeze(rec) as Rec,
            })),
          },
          { weight: 1, arbitrary: fc.constant({ op: "clear_table" as const, table: "t" }) },
          {
            weight: 1,
            arbitrary: fc.array(recArb, { maxLength: 6 }).map((recs) => ({
              op: "load_table" as const,
              table: "t",
              records: recs.map((rec) => Object.freeze(rec) as Rec),
              file: undefined,
            })),
          },
        );
        assertProperty(
          fc.property(fc.array(opArb, { maxLength: 40, size: "max" }), (ops) => {
            const { apply, t } = world(type, mode);
            const m = new Model(type);
            for (const op of ops) {
              apply([op]);
              if (op.op === "write") m.write(op.record);
              else if (op.op === "delete") m.delete(op.key);
              else if (op.op === "delete_object") m.deleteObject(op.record);
              else if (op.op === "clear_table") m.clear();
              else if (op.op === "load_table") {
                m.clear();
                for (const rec of op.records) m.write(rec);
              }
            }
            assert.equal(t.store.size(), m.size());
            for (const k of m.keys()) assert.deepEqual(t.store.lookup(k), m.read(k));
            assertIndexesInStep(t);
          }),
          { numRuns: 60 },
        );
      });
    });
  }
}

for (const type of TYPES) {
  test(`Applier: load_table on a ${type} table without indexes or subscribers replaces its content`, () => {
    const { apply, tables, create } = setup();
    const t = create("p", { attributes: ["k", "v", "w"], type });
    apply([{ op: "write", table: "p", key: 9, record: r(9, "gone") }]);
    const records = [r(1, "a"), r(2, "b"), r(1, "c")];
    apply([{ op: "load_table", table: "p", records, file: undefined }]);
    const m = new Model(type);
    for (const rec of records) m.write(rec);
    assert.equal(tables.get("p")!.store.size(), m.size());
    for (const k of m.keys()) assert.deepEqual(t.store.lookup(k), m.read(k));
    assert.deepEqual(t.store.lookup(9), []);
  });
}

for (const type of ["set", "ordered_set"] as const) {
  for (const mode of MODES) {
    test(`Applier: update_counter on ${type} keeps the index on the counter in step (${mode})`, () => {
      const s = setup(mode === "watched" ? ["c"] : []);
      const t = s.create("c", { attributes: ["k", "n"], type, index: ["n"] });
      if (mode === "simple" || mode === "detailed") s.subscribe("c", mode);
      s.apply([{ op: "update_counter", table: "c", key: "a", incr: 5 }], DIRTY);
      assert.deepEqual(t.store.lookup("a"), [{ k: "a", n: 5 }]);
      assertIndexesInStep(t);
      s.apply([{ op: "update_counter", table: "c", key: "a", incr: 1 }], DIRTY);
      assert.deepEqual([...t.indexes.get("n")!.keysFor(6)], ["a"]);
      assert.deepEqual([...t.indexes.get("n")!.keysFor(5)], []);
      assertIndexesInStep(t);
      s.apply([{ op: "update_counter", table: "c", key: "a", incr: -100 }], DIRTY);
      assert.deepEqual(t.store.lookup("a"), [{ k: "a", n: 0 }]);
      assertIndexesInStep(t);
      // A non-integer value is replaced by the increment.
      s.apply([{ op: "write", table: "c", key: "b", record: { k: "b", n: "foo" } }]);
      s.apply([{ op: "update_counter", table: "c", key: "b", incr: 2n }], DIRTY);
      assert.deepEqual(t.store.lookup("b"), [{ k: "b", n: 2 }]);
      assertIndexesInStep(t);
      // The stored key is kept when the counter is addressed by an equal key (FACTS Q1: 1.0 on 1).
      s.apply([{ op: "update_counter", table: "c", key: 1, incr: 1 }], DIRTY);
      s.apply([{ op: "update_counter", table: "c", key: 1n, incr: 1 }], DIRTY);
      assert.deepEqual(t.store.lookup(1), [{ k: 1, n: 2 }]);
      assert.deepEqual(
        [...t.store.keys()].filter((k) => typeof k !== "string"),
        [1],
      );
      assertIndexesInStep(t);
      s.apply([{ op: "delete", table: "c", key: 1n }]);
      assertIndexesInStep(t);
    });
  }
}

// ---- the key-change hook ------------------------------------------------------------------------

describe("Applier: onKeyChange", () => {
  test("is called with each key's records before and after, for watched tables only", () => {
    const { apply, create, changes } = setup(["w"]);
    create("w", { attributes: ["k", "v", "w"], type: "bag" });
    create("u", { attributes: ["k", "v", "w"], type: "bag", index: ["v"] });
    apply([{ op: "write", table: "w", key: 1, record: r(1, "a") }]);
    apply([{ op: "write", table: "w", key: 1, record: r(1, "b") }]);
    apply([{ op: "delete_object", table: "w", key: 1, record: r(1, "a") }]);
    apply([{ op: "delete", table: "w", key: 1 }]);
    apply([{ op: "write", table: "u", key: 1, record: r(1, "a") }]);
    apply([{ op: "delete", table: "u", key: 1 }]);
    assert.deepEqual(changes, [
      { table: "w", key: 1, before: [], after: [r(1, "a")] },
      { table: "w", key: 1, before: [r(1, "a")], after: [r(1, "a"), r(1, "b")] },
      { table: "w", key: 1, before: [r(1, "a"), r(1, "b")], after: [r(1, "b")] },
      { table: "w", key: 1, before: [r(1, "b")], after: [] },
    ]);
  });

  test("clear_table reports every key of a watched table as emptied", () => {
    const { apply, create, changes } = setup(["w"]);
    create("w", { attributes: ["k", "v", "w"] });
    apply([{ op: "write", table: "w", key: 1, record: r(1, "a") }]);
    apply([{ op: "write", table: "w", key: 2, record: r(2, "b") }]);
    changes.length = 0;
    apply([{ op: "clear_table", table: "w" }]);
    assert.deepEqual(changes, [
      { table: "w", key: 1, before: [r(1, "a")], after: [] },
      { table: "w", key: 2, before: [r(2, "b")], after: [] },
    ]);
  });

  test("clear_table of an unwatched table does not call it, even with subscribers", () => {
    const { apply, create, changes, subscribe } = setup(["w"]);
    create("u", { attributes: ["k", "v", "w"] });
    subscribe("u", "simple");
    apply([{ op: "write", table: "u", key: 1, record: r(1, "a") }]);
    apply([{ op: "clear_table", table: "u" }]);
    assert.deepEqual(changes, []);
  });
});

// ---- events -------------------------------------------------------------------------------------

describe("Applier: events", () => {
  test("simple events of each data op carry the entry's activity id", async () => {
    const { apply, create, subscribe } = setup();
    create("t", { attributes: ["k", "v", "w"], type: "bag" });
    const { events } = subscribe("t", "simple");
    apply([{ op: "write", table: "t", key: 1, record: r(1, "a") }]);
    apply([{ op: "write", table: "t", key: 1, record: r(1, "a") }], DIRTY);
    apply([{ op: "delete_object", table: "t", key: 1, record: r(1, "a") }]);
    apply([{ op: "delete", table: "t", key: 7 }], DIRTY);
    assert.deepEqual(events, [], "delivery is deferred, never inside apply");
    await delivered();
    assert.deepEqual(events, [
      { type: "write", table: "t", record: r(1, "a"), activityId: TID },
      { type: "write", table: "t", record: r(1, "a"), activityId: DIRTY },
      { type: "delete_object", table: "t", record: r(1, "a"), activityId: TID },
      { type: "delete", table: "t", key: 7, activityId: DIRTY },
    ]);
  });

  test("detailed events carry the records under the key before the change", async () => {
    const { apply, create, subscribe } = setup();
    create("t", { attributes: ["k", "v", "w"], type: "bag" });
    const { events } = subscribe("t", "detailed");
    apply([{ op: "write", table: "t", key: 1, record: r(1, "a") }]);
    apply([{ op: "write", table: "t", key: 1, record: r(1, "b") }]);
    apply([{ op: "write", table: "t", key: 1, record: r(1, "a") }]);
    apply([{ op: "delete_object", table: "t", key: 1, record: r(1, "a") }]);
    apply([{ op: "delete", table: "t", key: 1 }]);
    await delivered();
    assert.deepEqual(events, [
      { type: "write", table: "t", record: r(1, "a"), oldRecords: [], activityId: TID },
      { type: "write", table: "t", record: r(1, "b"), oldRecords: [r(1, "a")], activityId: TID },
      {
        type: "write",
        table: "t",
        record: r(1, "a"),
        oldRecords: [r(1, "a"), r(1, "b")],
        activityId: TID,
      },
      {
        type: "delete",
        table: "t",
        key: 1,
        record: r(1, "a"),
        oldRecords: [r(1, "a"), r(1, "b")],
        activityId: TID,
      },
      { type: "delete", table: "t", key: 1, oldRecords: [r(1, "b")], activityId: TID },
    ]);
  });

  test("update_counter is a write event with the new record (detailed: with the old one)", async () => {
    const { apply, create, subscribe } = setup();
    create("c", { attributes: ["k", "n"] });
    const simple = subscribe("c", "simple");
    const detailed = subscribe("c", "detailed");
    apply([{ op: "update_counter", table: "c", key: "x", incr: 2 }], DIRTY);
    apply([{ op: "update_counter", table: "c", key: "x", incr: 3 }], DIRTY);
    await delivered();
    assert.deepEqual(simple.events, [
      { type: "write", table: "c", record: { k: "x", n: 2 }, activityId: DIRTY },
      { type: "write", table: "c", record: { k: "x", n: 5 }, activityId: DIRTY },
    ]);
    assert.deepEqual(detailed.events, [
      { type: "write", table: "c", record: { k: "x", n: 2 }, oldRecords: [], activityId: DIRTY },
      {
        type: "write",
        table: "c",
        record: { k: "x", n: 5 },
        oldRecords: [{ k: "x", n: 2 }],
        activityId: DIRTY,
      },
    ]);
  });

  test("events go only to the subscribers of the changed table", async () => {
    const { apply, create, subscribe } = setup();
    create("a", { attributes: ["k", "v", "w"] });
    create("b", { attributes: ["k", "v", "w"] });
    create("c", { attributes: ["k", "n"] });
    const sa = subscribe("a", "simple");
    const da = subscribe("a", "detailed");
    const sb = subscribe("b", "simple");
    apply([
      { op: "write", table: "b", key: 1, record: r(1, "x") },
      { op: "write", table: "a", key: 2, record: r(2, "y") },
      { op: "update_counter", table: "c", key: 1, incr: 1 },
      { op: "clear_table", table: "c" },
      { op: "delete", table: "b", key: 1 },
    ]);
    await delivered();
    assert.deepEqual(sa.events, [
      { type: "write", table: "a", record: r(2, "y"), activityId: TID },
    ]);
    assert.deepEqual(da.events, [
      { type: "write", table: "a", record: r(2, "y"), oldRecords: [], activityId: TID },
    ]);
    assert.deepEqual(sb.events, [
      { type: "write", table: "b", record: r(1, "x"), activityId: TID },
      { type: "delete", table: "b", key: 1, activityId: TID },
    ]);
  });

  test("no events after unsubscribing", async () => {
    const { apply, create, subscribe } = setup();
    create("t", { attributes: ["k", "v", "w"] });
    const s = subscribe("t", "simple");
    const d = subscribe("t", "detailed");
    apply([{ op: "write", table: "t", key: 1, record: r(1, "a") }]);
    s.sub.unsubscribe();
    d.sub.unsubscribe();
    apply([{ op: "write", table: "t", key: 2, record: r(2, "a") }]);
    await delivered();
    // The first write was queued before the unsubscription; a closed subscription drops it.
    assert.deepEqual(s.events, []);
    assert.deepEqual(d.events, []);
    apply([{ op: "write", table: "t", key: 3, record: r(3, "a") }]);
    await delivered();
    assert.deepEqual(s.events, []);
  });

  test("clear_table is reported as one delete per key (a documented difference: Mnesia sends schema events)", async () => {
    const { apply, create, subscribe } = setup();
    const t = create("t", { attributes: ["k", "v", "w"], type: "bag" });
    apply([{ op: "write", table: "t", key: 1, record: r(1, "a") }]);
    apply([{ op: "write", table: "t", key: 1, record: r(1, "b") }]);
    apply([{ op: "write", table: "t", key: 2, record: r(2, "c") }]);
    const s = subscribe("t", "simple");
    const d = subscribe("t", "detailed");
    apply([{ op: "clear_table", table: "t" }]);
    await delivered();
    assert.equal(t.store.size(), 0);
    assert.deepEqual(s.events, [
      { type: "delete", table: "t", key: 1, activityId: TID },
      { type: "delete", table: "t", key: 2, activityId: TID },
    ]);
    assert.deepEqual(d.events, [
      {
        type: "delete",
        table: "t",
        key: 1,
        oldRecords: [r(1, "a"), r(1, "b")],
        activityId: TID,
      },
      { type: "delete", table: "t", key: 2, oldRecords: [r(2, "c")], activityId: TID },
    ]);
  });
});
