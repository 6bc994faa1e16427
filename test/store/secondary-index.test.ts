// Unit and property tests of SecondaryIndex used directly: value -> keys of the records holding it.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { compareKeys, type Key, mapKey, termEquals, termMapKey } from "../../src/keys/index.js";
import { makeRamStore } from "../../src/store/make-store.js";
import { SecondaryIndex } from "../../src/store/secondary-index.js";
import { assertProperty, type Rec, recArb, TYPES, V_VALUES } from "./model.js";

const r = (k: Key, v: unknown, w: unknown = "p"): Rec => Object.freeze({ k, v, w }) as Rec;
const keysOf = (idx: SecondaryIndex, value: unknown): Key[] =>
  [...idx.keysFor(value)].sort(compareKeys);

test("an empty index", () => {
  const idx = new SecondaryIndex("v");
  assert.equal(idx.attribute, "v");
  assert.deepEqual([...idx.keysFor(1)], []);
  assert.equal(idx.countFor(1), 0);
  assert.equal(idx.entries(), 0);
});

test("update from nothing adds, to nothing removes", () => {
  const idx = new SecondaryIndex("v");
  idx.update(1, [], [r(1, "a")]);
  idx.update(2, [], [r(2, "a")]);
  idx.update(3, [], [r(3, "b")]);
  assert.deepEqual(keysOf(idx, "a"), [1, 2]);
  assert.deepEqual(keysOf(idx, "b"), [3]);
  assert.equal(idx.countFor("a"), 2);
  assert.equal(idx.entries(), 3);
  idx.update(1, [r(1, "a")], []);
  assert.deepEqual(keysOf(idx, "a"), [2]);
  idx.update(2, [r(2, "a")], []);
  assert.deepEqual(keysOf(idx, "a"), []);
  assert.equal(idx.countFor("a"), 0);
  assert.equal(idx.entries(), 1);
});

test("update of one record by another moves the key between values", () => {
  const idx = new SecondaryIndex("v");
  idx.update("k", [], [r("k", 1)]);
  idx.update("k", [r("k", 1)], [r("k", 2)]);
  assert.deepEqual(keysOf(idx, 1), []);
  assert.deepEqual(keysOf(idx, 2), ["k"]);
  // An equal value in another representation is the same bucket.
  idx.update("k", [r("k", 2)], [r("k", 2n, "q")]);
  assert.deepEqual(keysOf(idx, 2n), ["k"]);
  assert.deepEqual(keysOf(idx, 2), ["k"]);
  assert.equal(idx.entries(), 1);
});

test("values are any terms: arrays, objects, null, bigints beyond doubles", () => {
  const idx = new SecondaryIndex("v");
  const values: unknown[] = [[1, "a"], { a: 1 }, null, 2n ** 2000n, "", false];
  values.forEach((v, i) => {
    idx.update(i, [], [r(i, v)]);
  });
  values.forEach((v, i) => {
    assert.deepEqual(keysOf(idx, v), [i]);
  });
  assert.deepEqual(keysOf(idx, [1n, "a"]), [0]);
  assert.deepEqual(keysOf(idx, { a: 1n }), [1]);
  assert.deepEqual(keysOf(idx, 2n ** 2000n + 1n), []);
});

test("bag keys: a key stays under a value while any of its records holds it", () => {
  const idx = new SecondaryIndex("v");
  idx.update(1, [], [r(1, "a", "p")]);
  idx.update(1, [r(1, "a", "p")], [r(1, "a", "p"), r(1, "a", "q")]);
  idx.update(1, [r(1, "a", "p"), r(1, "a", "q")], [r(1, "a", "p"), r(1, "a", "q"), r(1, "b")]);
  assert.deepEqual(keysOf(idx, "a"), [1]);
  assert.deepEqual(keysOf(idx, "b"), [1]);
  assert.equal(idx.countFor("a"), 1);
  assert.equal(idx.entries(), 2);
  idx.update(1, [r(1, "a", "p"), r(1, "a", "q"), r(1, "b")], [r(1, "a", "q"), r(1, "b")]);
  assert.deepEqual(keysOf(idx, "a"), [1]);
  idx.update(1, [r(1, "a", "q"), r(1, "b")], [r(1, "b")]);
  assert.deepEqual(keysOf(idx, "a"), []);
  assert.deepEqual(keysOf(idx, "b"), [1]);
  idx.update(1, [r(1, "b")], []);
  assert.equal(idx.entries(), 0);
});

test("updateOne: add, replace, same value, remove", () => {
  const idx = new SecondaryIndex("v");
  idx.updateOne("x", undefined, r("x", 1));
  assert.deepEqual(keysOf(idx, 1), ["x"]);
  idx.updateOne("x", r("x", 1), r("x", 1n, "q"));
  assert.deepEqual(keysOf(idx, 1), ["x"]);
  idx.updateOne("x", r("x", 1n, "q"), r("x", "z"));
  assert.deepEqual(keysOf(idx, 1), []);
  assert.deepEqual(keysOf(idx, "z"), ["x"]);
  idx.updateOne("x", r("x", "z"), undefined);
  assert.equal(idx.entries(), 0);
  idx.updateOne("x", undefined, undefined);
  assert.equal(idx.entries(), 0);
});

test("keys are held by identity class: 1 and 1n are one key", () => {
  const idx = new SecondaryIndex("v");
  idx.update(1, [], [r(1, "a")]);
  idx.update(1n, [r(1, "a")], [r(1n, "a", "q")]);
  assert.equal(idx.countFor("a"), 1);
  idx.update(1n, [r(1n, "a", "q")], []);
  assert.equal(idx.countFor("a"), 0);
});

test("add puts a key under a value id", () => {
  const idx = new SecondaryIndex("v");
  idx.add(termMapKey("a"), 1);
  idx.add(termMapKey("a"), 1n);
  idx.add(termMapKey("a"), 2);
  assert.equal(idx.countFor("a"), 2);
});

test("clear and rebuild", () => {
  const idx = new SecondaryIndex("v");
  idx.update(1, [], [r(1, "a")]);
  idx.clear();
  assert.equal(idx.entries(), 0);
  assert.deepEqual(keysOf(idx, "a"), []);
  idx.update(9, [], [r(9, "z")]);
  idx.rebuild([r(1, "a"), r(2, "a"), r(2, "b"), r(2, "a", "q"), r(3, 7n)], "k");
  assert.deepEqual(keysOf(idx, "a"), [1, 2]);
  assert.deepEqual(keysOf(idx, "b"), [2]);
  assert.deepEqual(keysOf(idx, 7), [3]);
  assert.deepEqual(keysOf(idx, "z"), []);
  assert.equal(idx.entries(), 4);
});

test("rebuild reads keys from the given key attribute", () => {
  const idx = new SecondaryIndex("v");
  idx.rebuild([{ id: "x", v: 1 }], "id");
  assert.deepEqual([...idx.keysFor(1)], ["x"]);
});

// ---- property: an index kept up to date equals one rebuilt from the data ----------------------

type IdxOp =
  | { readonly op: "write"; readonly rec: Rec }
  | { readonly op: "delete"; readonly pick: number; readonly rec: Rec }
  | { readonly op: "deleteObject"; readonly pick: number; readonly rec: Rec };

const idxOpArb: fc.Arbitrary<IdxOp> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ op: fc.constant("write"), rec: recArb }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("delete"), pick: fc.nat(), rec: recArb }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant("deleteObject"), pick: fc.nat(), rec: recArb }),
  },
);

function expectedKeys(records: Iterable<Rec>, value: unknown): Key[] {
  const out: Key[] = [];
  for (const x of records)
    if (termEquals(x.v, value) && !out.some((k) => compareKeys(k, x.k as Key) === 0))
      out.push(x.k as Key);
  return out.sort(compareKeys);
}

for (const type of TYPES) {
  test(`property: update/updateOne keep a ${type} index equal to a rebuild`, () => {
    assertProperty(
      fc.property(fc.array(idxOpArb, { maxLength: 50, size: "max" }), (ops) => {
        const store = makeRamStore(type, "k");
        const viaUpdate = new SecondaryIndex("v");
        const viaOne = new SecondaryIndex("v");
        for (const o of ops) {
          // Deletes hit an existing record when there is one.
          const all = [...store.records()];
          const rec = o.op === "write" || all.length === 0 ? o.rec : all[o.pick % all.length]!;
          const key = rec.k as Key;
          const before = store.lookup(key);
          const one = store.get(key);
          if (o.op === "write") store.write(key, rec);
          else if (o.op === "delete") store.deleteKey(key);
          else store.deleteObject(key, rec);
          viaUpdate.update(key, before, store.lookup(key));
          if (type !== "bag") viaOne.updateOne(key, one, store.get(key));
        }
        const rebuilt = new SecondaryIndex("v");
        rebuilt.rebuild(store.records(), "k");
        const indexes = type === "bag" ? [viaUpdate, rebuilt] : [viaUpdate, viaOne, rebuilt];
        for (const idx of indexes) {
          for (const v of V_VALUES) {
            // Keys as identity classes: an index may hold 2n for a key now written as 2.
            assert.deepEqual(
              keysOf(idx, v).map(mapKey),
              expectedKeys(store.records(), v).map(mapKey),
            );
            assert.equal(idx.countFor(v), expectedKeys(store.records(), v).length);
          }
          assert.equal(idx.entries(), rebuilt.entries());
        }
      }),
      { numRuns: 400 },
    );
  });
}
