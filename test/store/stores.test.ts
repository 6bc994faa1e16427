// Unit tests of the RAM stores used directly (no database around them): SetStore, BagStore,
// OrderedStore, makeRamStore and HashCursor, plus a model-based property test of each store.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { compareKeys, type Key } from "../../src/keys/index.js";
import { BagStore } from "../../src/store/bag-store.js";
import { HashCursor } from "../../src/store/hash-cursor.js";
import { makeRamStore } from "../../src/store/make-store.js";
import { OrderedStore } from "../../src/store/ordered-store.js";
import { SetStore } from "../../src/store/set-store.js";
import type { KeyBound, TableStore } from "../../src/store/store.js";
import type { TableType } from "../../src/types.js";
import { assertProperty, byKey, Model, type Rec, TYPES } from "./model.js";
import {
  chain,
  checkStore,
  type Mutation,
  mutate,
  mutationArb,
  type Traversal,
  traversalArb,
  traverse,
} from "./store-commands.js";

const r = (k: Key, v: unknown = 0, w: unknown = "p"): Rec => Object.freeze({ k, v, w }) as Rec;

function incl(value: Key): KeyBound {
  return { value, inclusive: true };
}
function excl(value: Key): KeyBound {
  return { value, inclusive: false };
}

// ---- makeRamStore ------------------------------------------------------------------------------

describe("makeRamStore", () => {
  test("returns the store class of each table type", () => {
    const s = makeRamStore("set", "k");
    const o = makeRamStore("ordered_set", "k");
    const b = makeRamStore("bag", "k");
    assert.ok(s instanceof SetStore);
    assert.ok(o instanceof OrderedStore);
    assert.ok(b instanceof BagStore);
    assert.deepEqual(
      [s, o, b].map((x) => [x.type, x.ordered, x.size()]),
      [
        ["set", false, 0],
        ["ordered_set", true, 0],
        ["bag", false, 0],
      ],
    );
  });

  test("the key attribute given is the one the hash stores read keys from", () => {
    for (const type of ["set", "bag"] as const) {
      const s = makeRamStore(type, "id");
      s.write("x", { id: "x", k: "not the key" });
      assert.deepEqual([...s.keys()], ["x"]);
      assert.equal(s.first(), "x");
    }
  });

  test("each call makes a fresh, independent store", () => {
    const a = makeRamStore("set", "k");
    const b = makeRamStore("set", "k");
    a.write(1, r(1));
    assert.equal(a.size(), 1);
    assert.equal(b.size(), 0);
  });
});

// ---- behaviour shared by every store ---------------------------------------------------------

for (const type of TYPES) {
  describe(`${type} store: common behaviour`, () => {
    const make = (): TableStore => makeRamStore(type, "k");

    test("an empty store", () => {
      const s = make();
      assert.equal(s.size(), 0);
      assert.deepEqual(s.lookup(1), []);
      assert.deepEqual([...s.keys()], []);
      assert.deepEqual([...s.records()], []);
      assert.deepEqual([...s.recordsReverse()], []);
      assert.deepEqual([...s.range(undefined, undefined)], []);
      assert.equal(s.first(), undefined);
      assert.equal(s.last(), undefined);
      // Deleting what is not there changes nothing.
      s.deleteKey(1);
      s.deleteObject(1, r(1));
      s.clear();
      assert.equal(s.size(), 0);
    });

    test("lookup returns a fresh array the caller may change", () => {
      const s = make();
      s.write(1, r(1));
      const none = s.lookup(2);
      assert.equal(none.length, 0);
      none.push(r(2));
      assert.deepEqual(s.lookup(2), []);
      const one = s.lookup(1);
      one.push(r(1, "extra"));
      one.reverse();
      assert.deepEqual(s.lookup(1), [r(1)]);
      assert.equal(s.size(), 1);
    });

    test("get returns the (first) record under a key, or undefined", () => {
      const s = make();
      assert.equal(s.get(1), undefined);
      s.write(1, r(1, "a"));
      s.write(1, r(1, "b"));
      assert.deepEqual(s.get(1n), type === "bag" ? r(1, "a") : r(1, "b"));
      s.deleteKey(1);
      assert.equal(s.get(1), undefined);
    });

    test("write then lookup; 1 and 1n are the same key", () => {
      const s = make();
      s.write(1, r(1, "a"));
      assert.deepEqual(s.lookup(1), [r(1, "a")]);
      assert.deepEqual(s.lookup(1n), [r(1, "a")]);
      assert.deepEqual(s.lookup([1]), []);
      s.write([1], r([1], "t"));
      assert.deepEqual(s.lookup([1n]), [r([1], "t")]);
      assert.equal(s.size(), 2);
    });

    test("deleteKey removes every record under the key", () => {
      const s = make();
      s.write("a", r("a", 1));
      s.write("a", r("a", 2));
      s.write("b", r("b", 1));
      s.deleteKey("a");
      assert.deepEqual(s.lookup("a"), []);
      assert.deepEqual([...s.keys()], ["b"]);
      assert.equal(s.size(), 1);
      s.deleteKey(2n);
      assert.equal(s.size(), 1);
    });

    test("deleteObject removes only an equal record", () => {
      const s = make();
      s.write(1, r(1, "a"));
      s.deleteObject(1, r(1, "b"));
      assert.deepEqual(s.lookup(1), [r(1, "a")]);
      s.deleteObject(2, r(2, "a"));
      assert.equal(s.size(), 1);
      // Equality is termEquals: 1n == 1 in the key and in the values.
      s.write(2, r(2, 1));
      s.deleteObject(2n, r(2n, 1n));
      assert.deepEqual(s.lookup(2), []);
      s.deleteObject(1, r(1, "a"));
      assert.deepEqual(s.lookup(1), []);
      assert.equal(s.size(), 0);
      assert.deepEqual([...s.keys()], []);
    });

    test("clear empties the store, which stays usable", () => {
      const s = make();
      for (const k of [3, 1, 2]) s.write(k, r(k));
      s.clear();
      assert.equal(s.size(), 0);
      assert.deepEqual([...s.records()], []);
      assert.equal(s.first(), undefined);
      s.write(5, r(5));
      assert.deepEqual([...s.keys()], [5]);
      assert.equal(s.first(), 5);
      assert.equal(s.next(5), undefined);
    });

    test("lookup results are snapshots: later writes do not change them", () => {
      const s = make();
      s.write(1, r(1, "a"));
      const before = s.lookup(1);
      s.write(1, r(1, "b"));
      s.deleteKey(1);
      assert.deepEqual(before, [r(1, "a")]);
    });

    test("range filters by inclusive and exclusive bounds on the key", () => {
      const s = make();
      for (const k of [1, 2, 3, 4, "a"]) s.write(k, r(k));
      const keys = (lo: KeyBound | undefined, hi: KeyBound | undefined): Key[] =>
        [...s.range(lo, hi)].map((x) => x.k as Key).sort(compareKeys);
      assert.deepEqual(keys(undefined, undefined), [1, 2, 3, 4, "a"]);
      assert.deepEqual(keys(incl(2), incl(3)), [2, 3]);
      assert.deepEqual(keys(excl(2), excl(4)), [3]);
      assert.deepEqual(keys(incl(2n), undefined), [2, 3, 4, "a"]);
      assert.deepEqual(keys(undefined, excl(2)), [1]);
      assert.deepEqual(keys(excl(4), undefined), ["a"]);
      assert.deepEqual(keys(incl(1.5), incl(3.5)), [2, 3]);
      assert.deepEqual(keys(excl(3), excl(3)), []);
      assert.deepEqual(keys(incl(3), incl(3)), [3]);
      assert.deepEqual(keys(incl(5), incl(0)), []);
    });

    test("first/next and last/prev visit every key once", () => {
      const s = make();
      const ks: Key[] = [5, "x", [1, 2], 2n ** 64n + 1n, null, 0.5];
      for (const k of ks) s.write(k, r(k));
      assert.deepEqual(chain(s, "next").sort(compareKeys), ks.slice().sort(compareKeys));
      assert.deepEqual(chain(s, "prev").sort(compareKeys), ks.slice().sort(compareKeys));
    });
  });
}

// ---- SetStore ----------------------------------------------------------------------------------

describe("SetStore", () => {
  test("a write replaces the record and keeps the key's place", () => {
    const s = new SetStore("k");
    s.write("a", r("a", 1));
    s.write("b", r("b", 1));
    s.write("a", r("a", 2));
    assert.deepEqual(s.lookup("a"), [r("a", 2)]);
    assert.deepEqual([...s.keys()], ["a", "b"]);
    assert.deepEqual([...s.records()], [r("a", 2), r("b", 1)]);
    assert.equal(s.size(), 2);
  });

  test("writing under an equal key in another representation replaces the record and its key", () => {
    const s = new SetStore("k");
    s.write(1, r(1, "a"));
    s.write(1n, r(1n, "b"));
    assert.equal(s.size(), 1);
    assert.deepEqual(s.lookup(1), [r(1n, "b")]);
    assert.deepEqual([...s.keys()], [1n]);
    assert.equal(s.first(), 1n);
  });

  test("get returns the record or undefined", () => {
    const s = new SetStore("k");
    s.write(-0, r(0, "z"));
    assert.deepEqual(s.get(0), r(0, "z"));
    assert.deepEqual(s.get(0n), r(0, "z"));
    assert.equal(s.get(1), undefined);
  });

  test("keys, records and range follow insertion order; recordsReverse is the same order", () => {
    const s = new SetStore("k");
    for (const k of [3, 1, 2]) s.write(k, r(k));
    assert.deepEqual([...s.keys()], [3, 1, 2]);
    assert.deepEqual([...s.records()], [r(3), r(1), r(2)]);
    assert.deepEqual([...s.recordsReverse()], [r(3), r(1), r(2)]);
    assert.deepEqual([...s.range(incl(2), undefined)], [r(3), r(2)]);
  });

  test("first == last, next follows keys(), prev behaves like next", () => {
    const s = new SetStore("k");
    for (const k of ["c", "a", "b"]) s.write(k, r(k));
    assert.equal(s.first(), "c");
    assert.equal(s.last(), "c");
    assert.equal(s.next("c"), "a");
    assert.equal(s.next("a"), "b");
    assert.equal(s.next("b"), undefined);
    assert.equal(s.prev("c"), "a");
    assert.equal(s.prev("b"), undefined);
    // An absent key has no successor.
    assert.equal(s.next("zz"), undefined);
  });

  test("next after the key was deleted and written again follows the new order", () => {
    const s = new SetStore("k");
    for (const k of ["a", "b", "c"]) s.write(k, r(k));
    assert.equal(s.next("a"), "b");
    s.deleteKey("b");
    s.write("b", r("b", 2));
    assert.deepEqual([...s.keys()], ["a", "c", "b"]);
    assert.equal(s.next("b"), undefined);
    assert.equal(s.next("a"), "c");
    assert.equal(s.next("c"), "b");
    // The same through deleteObject.
    s.deleteObject("c", r("c"));
    s.write("c", r("c"));
    assert.equal(s.next("c"), undefined);
  });

  test("next of a key deleted in mid traversal ends the traversal, others continue", () => {
    const s = new SetStore("k");
    for (const k of [1, 2, 3, 4]) s.write(k, r(k));
    assert.equal(s.next(1), 2);
    s.deleteKey(3);
    assert.equal(s.next(2), 4);
    s.deleteKey(4);
    assert.equal(s.next(4), undefined);
    assert.equal(s.next(2), undefined);
  });

  test("the key is read from the configured attribute", () => {
    const s = new SetStore("id");
    s.write("x", { id: "x", k: 9 });
    assert.deepEqual([...s.keys()], ["x"]);
    assert.equal(s.first(), "x");
    assert.equal(s.next("x"), undefined);
  });
});

// ---- BagStore ----------------------------------------------------------------------------------

describe("BagStore", () => {
  test("distinct records per key in insertion order (FACTS Q2)", () => {
    const s = new BagStore("k");
    s.write(1, r(1, "a"));
    s.write(1, r(1, "b"));
    assert.deepEqual(s.lookup(1), [r(1, "a"), r(1, "b")]);
    // An equal record keeps its position.
    s.write(1, r(1, "a"));
    assert.deepEqual(s.lookup(1), [r(1, "a"), r(1, "b")]);
    s.write(1, r(1, "c"));
    s.write(1, r(1, "a"));
    assert.deepEqual(s.lookup(1), [r(1, "a"), r(1, "b"), r(1, "c")]);
    assert.equal(s.size(), 3);
    // delete_object then write appends it at the end.
    s.deleteObject(1, r(1, "a"));
    assert.deepEqual(s.lookup(1), [r(1, "b"), r(1, "c")]);
    s.write(1, r(1, "a"));
    assert.deepEqual(s.lookup(1), [r(1, "b"), r(1, "c"), r(1, "a")]);
    assert.equal(s.size(), 3);
  });

  test("an equal record in another representation replaces the stored one in place", () => {
    const s = new BagStore("k");
    s.write(1, r(1, 1));
    s.write(1, r(1, 2));
    s.write(1n, r(1n, 1n));
    assert.deepEqual(s.lookup(1), [r(1n, 1n), r(1, 2)]);
    assert.equal(s.size(), 2);
    // The key reported is the first record's.
    assert.deepEqual([...s.keys()], [1n]);
    s.deleteObject(1, r(1, 1));
    assert.deepEqual([...s.keys()], [1]);
    assert.equal(s.first(), 1);
  });

  test("size counts records, not keys", () => {
    const s = new BagStore("k");
    s.write(1, r(1, "a"));
    s.write(1, r(1, "b"));
    s.write(2, r(2, "a"));
    assert.equal(s.size(), 3);
    s.deleteObject(1, r(1, "zz"));
    assert.equal(s.size(), 3);
    s.deleteKey(1);
    assert.equal(s.size(), 1);
    s.clear();
    assert.equal(s.size(), 0);
  });

  test("lookup results are never mutated by later changes to the key", () => {
    const s = new BagStore("k");
    s.write(1, r(1, "a"));
    const one = s.lookup(1);
    s.write(1, r(1, "b"));
    const two = s.lookup(1);
    s.write(1, r(1, "a", "q"));
    s.deleteObject(1, r(1, "b"));
    assert.deepEqual(one, [r(1, "a")]);
    assert.deepEqual(two, [r(1, "a"), r(1, "b")]);
  });

  test("keys once per key, records grouped by key, recordsReverse equals records", () => {
    const s = new BagStore("k");
    s.write(2, r(2, "a"));
    s.write(1, r(1, "a"));
    s.write(2, r(2, "b"));
    assert.deepEqual([...s.keys()], [2, 1]);
    assert.deepEqual([...s.records()], [r(2, "a"), r(2, "b"), r(1, "a")]);
    assert.deepEqual([...s.recordsReverse()], [...s.records()]);
    assert.deepEqual([...s.range(undefined, excl(2))], [r(1, "a")]);
    assert.deepEqual([...s.range(incl(2), incl(2))], [r(2, "a"), r(2, "b")]);
  });

  test("first == last; next visits each key once (FACTS Q12); prev is next", () => {
    const s = new BagStore("k");
    for (const k of [3, 2, 1]) for (const v of ["x", "y", "z"]) s.write(k, r(k, v));
    assert.equal(s.first(), 3);
    assert.equal(s.last(), 3);
    assert.deepEqual(chain(s, "next"), [3, 2, 1]);
    assert.equal(s.prev(3), 2);
    assert.equal(s.next(99), undefined);
  });

  test("next after the key was emptied and refilled follows the new order", () => {
    const s = new BagStore("k");
    for (const k of ["a", "b", "c"]) s.write(k, r(k));
    assert.equal(s.next("a"), "b");
    s.deleteObject("b", r("b"));
    s.write("b", r("b", 1));
    assert.equal(s.next("b"), undefined);
    assert.equal(s.next("c"), "b");
    s.deleteKey("b");
    s.write("b", r("b", 2));
    assert.equal(s.next("b"), undefined);
    assert.deepEqual(chain(s, "next"), ["a", "c", "b"]);
  });
});

// ---- OrderedStore ------------------------------------------------------------------------------

describe("OrderedStore", () => {
  const KEYS_IN_ORDER: Key[] = [
    -1,
    0,
    0.5,
    1,
    2 ** 64,
    2n ** 64n + 1n,
    false,
    null,
    true,
    [],
    [2],
    [1, "a"],
    "",
    "a",
    "ab",
    "b",
    new Uint8Array([1]),
  ];

  test("keys, records and recordsReverse are in key order", () => {
    const s = new OrderedStore();
    for (const k of KEYS_IN_ORDER.slice().reverse()) s.write(k, r(k));
    assert.deepEqual([...s.keys()], KEYS_IN_ORDER);
    assert.deepEqual(
      [...s.records()].map((x) => x.k),
      KEYS_IN_ORDER,
    );
    assert.deepEqual(
      [...s.recordsReverse()].map((x) => x.k),
      KEYS_IN_ORDER.slice().reverse(),
    );
    assert.equal(s.size(), KEYS_IN_ORDER.length);
    assert.deepEqual(chain(s, "next"), KEYS_IN_ORDER);
    assert.deepEqual(chain(s, "prev"), KEYS_IN_ORDER.slice().reverse());
  });

  test("1 and 1n are one key; a write replaces record and stored key (FACTS Q2)", () => {
    const s = new OrderedStore();
    s.write(1, r(1, "x"));
    assert.deepEqual(s.lookup(1n), [r(1, "x")]);
    s.write(1n, r(1n, "y"));
    assert.deepEqual([...s.keys()], [1n]);
    assert.deepEqual(s.lookup(1), [r(1n, "y")]);
    assert.deepEqual(s.get(1), r(1n, "y"));
    assert.equal(s.size(), 1);
  });

  test("get returns the record or undefined", () => {
    const s = new OrderedStore();
    s.write("a", r("a"));
    assert.deepEqual(s.get("a"), r("a"));
    assert.equal(s.get("b"), undefined);
  });

  test("first/last/next/prev, also from keys not in the table (FACTS Q7)", () => {
    const s = new OrderedStore();
    for (const k of [0, 1, 4, 5, 9]) s.write(k, r(k));
    assert.equal(s.first(), 0);
    assert.equal(s.last(), 9);
    assert.equal(s.next(2), 4);
    assert.equal(s.prev(2), 1);
    assert.equal(s.next(4), 5);
    assert.equal(s.prev(4), 1);
    assert.equal(s.next(9), undefined);
    assert.equal(s.prev(0), undefined);
    assert.equal(s.next(100), undefined);
    assert.equal(s.next("foo"), undefined);
    assert.equal(s.prev("foo"), 9);
    assert.equal(s.next(-5), 0);
    assert.equal(s.next(1n), 4);
    assert.equal(s.prev(4.5), 4);
  });

  test("range walks only the keys within the bounds, in key order", () => {
    const s = new OrderedStore();
    for (const k of [5, 1, 3, 2, 4, "a", [1]]) s.write(k, r(k));
    const keys = (lo: KeyBound | undefined, hi: KeyBound | undefined): unknown[] =>
      [...s.range(lo, hi)].map((x) => x.k);
    assert.deepEqual(keys(undefined, undefined), [1, 2, 3, 4, 5, [1], "a"]);
    assert.deepEqual(keys(incl(2), incl(4)), [2, 3, 4]);
    assert.deepEqual(keys(excl(2), excl(4)), [3]);
    assert.deepEqual(keys(excl(2n), undefined), [3, 4, 5, [1], "a"]);
    assert.deepEqual(keys(undefined, incl(3n)), [1, 2, 3]);
    assert.deepEqual(keys(incl(2.5), incl(4.5)), [3, 4]);
    assert.deepEqual(keys(excl(5), excl("a")), [[1]]);
    assert.deepEqual(keys(incl(6), incl(0)), []);
    assert.deepEqual(keys(excl(3), incl(3)), []);
  });

  test("deleteObject removes the record only when equal", () => {
    const s = new OrderedStore();
    s.write(1, r(1, "a"));
    s.deleteObject(1, r(1, "b"));
    assert.equal(s.size(), 1);
    s.deleteObject(1n, r(1n, "a"));
    assert.equal(s.size(), 0);
    assert.equal(s.first(), undefined);
  });

  test("many keys: a deep tree stays ordered through deletes", () => {
    const s = new OrderedStore();
    for (let i = 0; i < 2000; i++) s.write((i * 7919) % 2000, r((i * 7919) % 2000));
    for (let i = 0; i < 2000; i += 3) s.deleteKey(i);
    const expected = [...Array(2000).keys()].filter((i) => i % 3 !== 0);
    assert.deepEqual([...s.keys()], expected);
    assert.equal(s.size(), expected.length);
    assert.equal(s.next(3), 4);
    assert.equal(s.prev(3), 2);
    assert.deepEqual(
      [...s.range(incl(10), excl(16))].map((x) => x.k),
      [10, 11, 13, 14],
    );
  });
});

// ---- HashCursor --------------------------------------------------------------------------------

describe("HashCursor", () => {
  test("after() walks the map's entries in order", () => {
    const m = new Map([
      ["a", 1],
      ["b", 2],
      ["c", 3],
    ]);
    const c = new HashCursor(m);
    assert.deepEqual(c.after("a"), ["b", 2]);
    assert.deepEqual(c.after("b"), ["c", 3]);
    assert.equal(c.after("c"), undefined);
    // Jumping around seeks afresh.
    assert.deepEqual(c.after("a"), ["b", 2]);
    assert.deepEqual(c.after("a"), ["b", 2]);
    assert.equal(c.after("zz"), undefined);
  });

  test("an entry added during a traversal is visited; a removed one is skipped", () => {
    const m = new Map([
      [1, "a"],
      [2, "b"],
      [3, "c"],
    ]);
    const c = new HashCursor(m);
    assert.deepEqual(c.after(1), [2, "b"]);
    m.delete(3);
    m.set(4, "d");
    assert.deepEqual(c.after(2), [4, "d"]);
    assert.equal(c.after(4), undefined);
  });

  test("after() from an absent id is undefined", () => {
    const c = new HashCursor(new Map<string, number>());
    assert.equal(c.after("x"), undefined);
  });

  test("forget() of the cached id makes the next call seek (the entry may have moved)", () => {
    const m = new Map([
      ["a", 1],
      ["b", 2],
      ["c", 3],
    ]);
    const c = new HashCursor(m);
    assert.deepEqual(c.after("a"), ["b", 2]);
    m.delete("b");
    c.forget("b");
    m.set("b", 4);
    assert.equal(c.after("b"), undefined);
    assert.deepEqual(c.after("c"), ["b", 4]);
    // forget() of another id keeps the cached position (and stays correct).
    assert.deepEqual(c.after("a"), ["c", 3]);
    c.forget("zz");
    assert.deepEqual(c.after("c"), ["b", 4]);
  });

  test("reset() forgets the position", () => {
    const m = new Map([
      ["a", 1],
      ["b", 2],
    ]);
    const c = new HashCursor(m);
    assert.deepEqual(c.after("a"), ["b", 2]);
    m.clear();
    c.reset();
    m.set("b", 3);
    m.set("c", 4);
    assert.deepEqual(c.after("b"), ["c", 4]);
  });
});

// ---- property: each store against the model ---------------------------------------------------

type StoreOp = Mutation | Traversal | { readonly op: "check" };

const storeOpArb: fc.Arbitrary<StoreOp> = fc.oneof(
  { weight: 13, arbitrary: mutationArb },
  { weight: 8, arbitrary: traversalArb },
  { weight: 3, arbitrary: fc.constant({ op: "check" } as const) },
);

function checkRamStore(type: TableType, s: TableStore, m: Model): void {
  const keys = checkStore(type, s, m);
  assert.equal(s.first(), keys[0]);
  assert.equal(s.last(), type === "ordered_set" ? keys.at(-1) : keys[0]);
}

for (const type of TYPES) {
  test(`property: ${type} store agrees with the model`, () => {
    assertProperty(
      fc.property(fc.array(storeOpArb, { maxLength: 60, size: "max" }), (ops) => {
        const s = makeRamStore(type, "k");
        const m = new Model(type);
        let cursor: Key | undefined;
        for (const o of ops) {
          if (o.op === "check") checkRamStore(type, s, m);
          else if (o.op === "step" || o.op === "next") cursor = traverse(type, s, m, o, cursor);
          else mutate(s, m, o, cursor);
        }
        checkRamStore(type, s, m);
      }),
      { numRuns: 1000 },
    );
  });
}

test("byKey keeps the order of records under one key", () => {
  assert.deepEqual(byKey([r(2, "b"), r(1, "z"), r(2, "a"), r(1n, "y")]), [
    r(1, "z"),
    r(1n, "y"),
    r(2, "b"),
    r(2, "a"),
  ]);
});
