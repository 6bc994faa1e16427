// Model-based property tests of LmdbStore (disc_only_copies tables), the same commands the RAM
// stores are checked with in stores.test.ts, plus batches that commit or abort and reopening the
// environment. Set and bag tables are in key order on LMDB; the checks allow any stable order.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { compareKeys, type Key, mapKey } from "../../src/keys/index.js";
import { type LmdbEnv, openLmdbEnv } from "../../src/store/lmdb-env.js";
import type { LmdbStore } from "../../src/store/lmdb-store.js";
import type { KeyBound, TableStore } from "../../src/store/store.js";
import type { TableType } from "../../src/types.js";
import {
  assertAsyncProperty,
  assertProperty,
  canon,
  canonKeys,
  keyArb,
  Model,
  pickRecord,
  type Rec,
  recArb,
  TYPES,
  twinKey,
} from "./model.js";

/** Follows next() from first() (or prev() from last()) to the end. */
function chain(s: TableStore, dir: "next" | "prev"): Key[] {
  const out: Key[] = [];
  let k = dir === "next" ? s.first() : s.last();
  while (k !== undefined) {
    out.push(k);
    assert.ok(out.length <= s.size() + 1, "traversal does not end");
    k = dir === "next" ? s.next(k) : s.prev(k);
  }
  return out;
}

function checkStore(type: TableType, s: TableStore, m: Model): void {
  assert.equal(s.size(), m.size());
  const keys = [...s.keys()];
  // LMDB keeps every table in key order.
  assert.deepEqual(keys, keys.slice().sort(compareKeys));
  assert.deepEqual(canonKeys(type, keys), canonKeys(type, m.keys()));
  const records = [...s.records()];
  assert.deepEqual(canon(type, records), canon(type, m.records()));
  for (const r of records) assert.ok(Object.isFrozen(r));
  const rev = [...s.recordsReverse()];
  if (type === "ordered_set") assert.deepEqual(rev, m.records().reverse());
  else assert.deepEqual(rev, records);
  for (const k of keys) {
    assert.deepEqual(s.lookup(k), m.read(k));
    assert.deepEqual(s.get(k), m.read(k)[0]);
  }
  assert.deepEqual(chain(s, "next"), keys);
  assert.deepEqual(chain(s, "prev"), type === "ordered_set" ? keys.slice().reverse() : keys);
  assert.deepEqual(s.first(), keys[0]);
  assert.deepEqual(s.last(), type === "ordered_set" ? keys.at(-1) : keys[0]);
  const lo: KeyBound = { value: 1, inclusive: false };
  const hi: KeyBound = { value: [], inclusive: true };
  const inRange = m
    .records()
    .filter((x) => compareKeys(x.k as Key, 1) > 0 && compareKeys(x.k as Key, []) <= 0);
  assert.deepEqual(canon(type, [...s.range(lo, hi)]), canon(type, inRange));
}

// ---- commands ----------------------------------------------------------------------------------

type Mutation =
  | { readonly op: "write"; readonly pick: number; readonly rec: Rec; readonly twin: boolean }
  | { readonly op: "deleteKey"; readonly pick: number; readonly key: Key }
  | { readonly op: "deleteObject"; readonly pick: number; readonly rec: Rec }
  | { readonly op: "clear" }
  | { readonly op: "move"; readonly pick: number; readonly key: Key };

type StoreOp =
  | Mutation
  | { readonly op: "batch"; readonly ops: readonly Mutation[]; readonly abort: boolean }
  | { readonly op: "step" }
  | { readonly op: "next"; readonly pick: number; readonly key: Key }
  | { readonly op: "check" };

const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant("write"),
      pick: fc.nat(),
      rec: recArb,
      twin: fc.boolean(),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("deleteKey"), pick: fc.nat(), key: keyArb }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("deleteObject"), pick: fc.nat(), rec: recArb }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "clear" } as const) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("move"), pick: fc.nat(), key: keyArb }) },
);

const storeOpArb: fc.Arbitrary<StoreOp> = fc.oneof(
  { weight: 13, arbitrary: mutationArb },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("batch"),
      ops: fc.array(mutationArb, { maxLength: 6 }),
      abort: fc.boolean(),
    }),
  },
  { weight: 4, arbitrary: fc.constant({ op: "step" } as const) },
  { weight: 4, arbitrary: fc.record({ op: fc.constant("next"), pick: fc.nat(), key: keyArb }) },
  { weight: 3, arbitrary: fc.constant({ op: "check" } as const) },
);

const opsArb = fc.array(storeOpArb, { maxLength: 60, size: "max" });

function pickKey(m: Model, pick: number, fallback: Key, cursor: Key | undefined): Key {
  const keys = m.keys();
  if (pick % 3 === 1 && cursor !== undefined) return cursor;
  return keys.length === 0 || pick % 3 === 0 ? fallback : keys[(pick >> 2) % keys.length]!;
}

class Abort extends Error {}

/** Runs the commands against store and model; `cursor` is the key a traversal stands on. */
function run(
  env: LmdbEnv,
  type: TableType,
  s: LmdbStore,
  m: Model,
  ops: readonly StoreOp[],
): Model {
  let cursor: Key | undefined;
  const mutate = (o: Mutation, model: Model): void => {
    switch (o.op) {
      case "write": {
        const k = pickKey(model, o.pick, o.rec.k as Key, cursor);
        const rec = Object.freeze({ ...o.rec, k: o.twin ? twinKey(k) : k });
        s.write(rec.k as Key, rec);
        model.write(rec);
        break;
      }
      case "deleteKey": {
        const key = pickKey(model, o.pick, o.key, cursor);
        s.deleteKey(key);
        model.delete(key);
        break;
      }
      case "deleteObject": {
        const rec = pickRecord(model, o.pick, o.rec);
        s.deleteObject(rec.k as Key, rec);
        model.deleteObject(rec);
        break;
      }
      case "clear":
        s.clear();
        model.clear();
        break;
      case "move": {
        const key = pickKey(model, o.pick, o.key, cursor);
        const recs = model.read(key);
        s.deleteKey(key);
        model.delete(key);
        for (const x of recs) {
          s.write(x.k as Key, x);
          model.write(x);
        }
        break;
      }
    }
  };
  for (const o of ops) {
    switch (o.op) {
      case "batch": {
        const inner = m.clone();
        try {
          env.batch(() => {
            for (const x of o.ops) mutate(x, inner);
            // Reads inside the batch see its writes.
            assert.equal(s.size(), inner.size());
            if (o.abort) throw new Abort();
          });
          m = inner;
        } catch (e) {
          if (!(e instanceof Abort)) throw e;
        }
        assert.equal(s.size(), m.size());
        break;
      }
      case "step": {
        const keys = [...s.keys()];
        if (cursor === undefined || !m.has(cursor)) {
          cursor = s.first();
          assert.deepEqual(cursor, keys[0]);
        } else {
          const at = keys.findIndex((k) => mapKey(k) === mapKey(cursor!));
          cursor = s.next(cursor);
          assert.deepEqual(cursor, keys[at + 1]);
        }
        break;
      }
      case "next": {
        const key = pickKey(m, o.pick, o.key, cursor);
        const keys = [...s.keys()];
        if (type === "ordered_set") {
          cursor = s.next(key);
          assert.deepEqual(cursor, m.neighbour(key, 1));
          assert.deepEqual(s.prev(key), m.neighbour(key, -1));
        } else if (m.has(key)) {
          const i = keys.findIndex((k) => mapKey(k) === mapKey(key));
          cursor = s.next(key);
          assert.deepEqual(cursor, keys[i + 1]);
        } else assert.equal(s.next(key), undefined);
        break;
      }
      case "check":
        checkStore(type, s, m);
        break;
      default:
        mutate(o, m);
    }
  }
  checkStore(type, s, m);
  return m;
}

describe("LmdbStore against the model", () => {
  let dir: string;
  let env: LmdbEnv;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "mneme-lmdb-model-"));
    env = openLmdbEnv(join(dir, "lmdb"));
  });
  after(async () => {
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const type of TYPES) {
    test(`property: ${type} LMDB store agrees with the model`, () => {
      const s = env.openTable(`model_${type}`, type, "k");
      assertProperty(
        fc.property(opsArb, (ops) => {
          s.clear();
          run(env, type, s, new Model(type), ops);
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe("LmdbStore against the model, across a reopen", () => {
  for (const type of TYPES) {
    test(`property: ${type} LMDB store keeps its content and size when reopened`, async () => {
      await assertAsyncProperty(
        fc.asyncProperty(opsArb, async (ops) => {
          const dir = mkdtempSync(join(tmpdir(), "mneme-lmdb-reopen-"));
          try {
            let env = openLmdbEnv(dir);
            const m = run(env, type, env.openTable("t", type, "k"), new Model(type), ops);
            env.setAppliedPosition(ops.length);
            await env.close();
            env = openLmdbEnv(dir);
            checkStore(type, env.openTable("t", type, "k"), m);
            assert.equal(env.appliedPosition(), ops.length);
            await env.close();
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        }),
        { numRuns: 25 },
      );
    });
  }
});
