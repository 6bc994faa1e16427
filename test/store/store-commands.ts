// The commands of the store property tests (RAM stores and LMDB stores against the model): the
// mutations, the traversal steps, and the checks every store must pass.
import assert from "node:assert/strict";
import fc from "fast-check";
import { compareKeys, type Key, mapKey } from "../../src/keys/index.js";
import type { KeyBound, TableStore } from "../../src/store/store.js";
import type { TableType } from "../../src/types.js";
import {
  canon,
  canonKeys,
  keyArb,
  type Model,
  pickRecord,
  type Rec,
  recArb,
  twinKey,
} from "./model.js";

export type Mutation =
  | { readonly op: "write"; readonly pick: number; readonly rec: Rec; readonly twin: boolean }
  | { readonly op: "deleteKey"; readonly pick: number; readonly key: Key }
  | { readonly op: "deleteObject"; readonly pick: number; readonly rec: Rec }
  | { readonly op: "clear" }
  | { readonly op: "move"; readonly pick: number; readonly key: Key };

export type Traversal =
  | { readonly op: "step" }
  | { readonly op: "next"; readonly pick: number; readonly key: Key };

export const mutationArb: fc.Arbitrary<Mutation> = fc.oneof(
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

export const traversalArb: fc.Arbitrary<Traversal> = fc.oneof(
  { weight: 1, arbitrary: fc.constant({ op: "step" } as const) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("next"), pick: fc.nat(), key: keyArb }) },
);

/**
 * `fallback`, or the key a traversal stands on (the last one next() returned: changing it and then
 * stepping on is the interesting case), or any existing key.
 */
export function pickKey(m: Model, pick: number, fallback: Key, cursor: Key | undefined): Key {
  const keys = m.keys();
  if (pick % 3 === 1 && cursor !== undefined) return cursor;
  return keys.length === 0 || pick % 3 === 0 ? fallback : keys[(pick >> 2) % keys.length]!;
}

/** Applies a mutation to store and model alike. */
export function mutate(s: TableStore, m: Model, o: Mutation, cursor: Key | undefined): void {
  switch (o.op) {
    case "write": {
      const k = pickKey(m, o.pick, o.rec.k as Key, cursor);
      const rec = Object.freeze({ ...o.rec, k: o.twin ? twinKey(k) : k });
      s.write(rec.k as Key, rec);
      m.write(rec);
      return;
    }
    case "deleteKey": {
      const key = pickKey(m, o.pick, o.key, cursor);
      s.deleteKey(key);
      m.delete(key);
      return;
    }
    case "deleteObject": {
      const rec = pickRecord(m, o.pick, o.rec);
      s.deleteObject(rec.k as Key, rec);
      m.deleteObject(rec);
      return;
    }
    case "clear":
      s.clear();
      m.clear();
      return;
    case "move": {
      // Deletes a key's records and writes them back: the key moves to the end of a hash store.
      const key = pickKey(m, o.pick, o.key, cursor);
      const recs = m.read(key);
      s.deleteKey(key);
      m.delete(key);
      for (const x of recs) {
        s.write(x.k as Key, x);
        m.write(x);
      }
      return;
    }
  }
}

/** One traversal step interleaved with the mutations; returns where the traversal now stands. */
export function traverse(
  type: TableType,
  s: TableStore,
  m: Model,
  o: Traversal,
  cursor: Key | undefined,
): Key | undefined {
  const keys = [...s.keys()];
  if (o.op === "step") {
    if (cursor === undefined || !m.has(cursor)) {
      const first = s.first();
      assert.deepEqual(first, keys[0]);
      return first;
    }
    const at = keys.findIndex((k) => mapKey(k) === mapKey(cursor));
    const next = s.next(cursor);
    assert.deepEqual(next, keys[at + 1]);
    return next;
  }
  // next of a present key is the following key of keys(); ordered: the next greater key.
  const key = pickKey(m, o.pick, o.key, cursor);
  if (type === "ordered_set") {
    const next = s.next(key);
    assert.deepEqual(next, m.neighbour(key, 1));
    assert.deepEqual(s.prev(key), m.neighbour(key, -1));
    return next;
  }
  if (m.has(key)) {
    const i = keys.findIndex((k) => mapKey(k) === mapKey(key));
    const next = s.next(key);
    assert.deepEqual(next, keys[i + 1]);
    return next;
  }
  assert.equal(s.next(key), undefined);
  return cursor;
}

/** Follows next() from first() (or prev() from last()) to the end. */
export function chain(s: TableStore, dir: "next" | "prev"): Key[] {
  const out: Key[] = [];
  let k = dir === "next" ? s.first() : s.last();
  while (k !== undefined) {
    out.push(k);
    assert.ok(out.length <= s.size() + 1, "traversal does not end");
    k = dir === "next" ? s.next(k) : s.prev(k);
  }
  return out;
}

/** What every store must agree with the model on; returns its keys in table order. */
export function checkStore(type: TableType, s: TableStore, m: Model): Key[] {
  assert.equal(s.size(), m.size());
  const keys = [...s.keys()];
  assert.deepEqual(canonKeys(type, keys), canonKeys(type, m.keys()));
  const records = [...s.records()];
  assert.deepEqual(canon(type, records), canon(type, m.records()));
  const rev = [...s.recordsReverse()];
  if (type === "ordered_set") assert.deepEqual(rev, m.records().reverse());
  else assert.deepEqual(rev, records);
  for (const k of keys) assert.deepEqual(s.lookup(k), m.read(k));
  // Traversals: the keys in keys() order, forwards (and backwards for ordered_set).
  assert.deepEqual(chain(s, "next"), keys);
  assert.deepEqual(chain(s, "prev"), type === "ordered_set" ? keys.slice().reverse() : keys);
  assert.deepEqual(s.first(), keys[0]);
  assert.deepEqual(s.last(), type === "ordered_set" ? keys.at(-1) : keys[0]);
  // A range over the middle of the key space.
  const lo: KeyBound = { value: 1, inclusive: false };
  const hi: KeyBound = { value: [], inclusive: true };
  const inRange = m
    .records()
    .filter((x) => compareKeys(x.k as Key, 1) > 0 && compareKeys(x.k as Key, []) <= 0);
  assert.deepEqual(canon(type, [...s.range(lo, hi)]), canon(type, inRange));
  return keys;
}
