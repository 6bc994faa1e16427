// Unit tests of the LMDB table store (disc_only_copies) and its environment: the behaviour the RAM
// stores have, LMDB's key order, persistence, atomic batches with the applied log position, and
// the limits of LMDB (key size).

import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, test } from "node:test";
import { open } from "lmdb";
import {
  BadArgError,
  CorruptFileError,
  NotRunningError,
  SystemLimitError,
} from "../../src/errors.js";
import { compareKeys, type Key, recordBuilder } from "../../src/keys/index.js";
import { type LmdbEnv, openLmdbEnv } from "../../src/store/lmdb-env.js";
import type { LmdbStore } from "../../src/store/lmdb-store.js";
import type { KeyBound } from "../../src/store/store.js";
import type { TableType } from "../../src/types.js";
import { type Rec, TYPES } from "./model.js";
import { chain } from "./store-commands.js";

const r = (k: Key, v: unknown = 0, w: unknown = "p"): Rec => Object.freeze({ k, v, w }) as Rec;
const incl = (value: Key): KeyBound => ({ value, inclusive: true });
const excl = (value: Key): KeyBound => ({ value, inclusive: false });

let dir: string;
let env: LmdbEnv;
let tables = 0;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "mneme-lmdb-"));
  env = openLmdbEnv(join(dir, "lmdb"));
});
afterEach(async () => {
  await env.close();
  rmSync(dir, { recursive: true, force: true });
});

function table(type: TableType, keyAttr = "k"): LmdbStore {
  return env.openTable(`t${++tables}`, type, keyAttr);
}

async function reopen(): Promise<void> {
  await env.close();
  env = openLmdbEnv(join(dir, "lmdb"));
}

// ---- behaviour shared by every type ------------------------------------------------------------

for (const type of TYPES) {
  describe(`LMDB ${type} store: common behaviour`, () => {
    test("type, ordered, and an empty store", () => {
      const s = table(type);
      assert.equal(s.type, type);
      assert.equal(s.ordered, type === "ordered_set");
      assert.equal(s.size(), 0);
      assert.deepEqual(s.lookup(1), []);
      assert.equal(s.get(1), undefined);
      assert.deepEqual([...s.keys()], []);
      assert.deepEqual([...s.records()], []);
      assert.deepEqual([...s.recordsReverse()], []);
      assert.deepEqual([...s.range(undefined, undefined)], []);
      assert.equal(s.first(), undefined);
      assert.equal(s.last(), undefined);
      assert.equal(s.next(1), undefined);
      assert.equal(s.prev(1), undefined);
      s.deleteKey(1);
      s.deleteObject(1, r(1));
      s.clear();
      assert.equal(s.size(), 0);
    });

    test("the key attribute given is the one keys are read from", () => {
      const s = table(type, "id");
      s.write(1n, Object.freeze({ id: 1n, k: "not the key" }));
      assert.deepEqual([...s.keys()], [1n]);
      assert.equal(s.first(), 1n);
    });

    test("lookup returns a fresh array of frozen records", () => {
      const s = table(type);
      s.write(1, r(1));
      const one = s.lookup(1);
      assert.ok(Object.isFrozen(one[0]));
      one.push(r(1, "extra"));
      assert.deepEqual(s.lookup(1), [r(1)]);
      assert.notEqual(s.lookup(1)[0], s.lookup(1)[0]);
      assert.ok(Object.isFrozen(s.get(1)));
    });

    test("get returns the (first) record under a key, or undefined", () => {
      const s = table(type);
      s.write(1, r(1, "a"));
      s.write(1, r(1, "b"));
      assert.deepEqual(s.get(1n), type === "bag" ? r(1, "a") : r(1, "b"));
      s.deleteKey(1);
      assert.equal(s.get(1), undefined);
    });

    test("write then lookup; 1 and 1n are the same key", () => {
      const s = table(type);
      s.write(1, r(1, "a"));
      assert.deepEqual(s.lookup(1n), [r(1, "a")]);
      assert.deepEqual(s.lookup([1]), []);
      s.write([1], r([1], "t"));
      assert.deepEqual(s.lookup([1n]), [r([1], "t")]);
      assert.equal(s.size(), 2);
    });

    test("deleteKey removes every record under the key", () => {
      const s = table(type);
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

    test("deleteObject removes only an equal record (termEquals)", () => {
      const s = table(type);
      s.write(1, r(1, "a"));
      s.deleteObject(1, r(1, "b"));
      assert.deepEqual(s.lookup(1), [r(1, "a")]);
      s.write(2, r(2, 1));
      s.deleteObject(2n, r(2n, 1n));
      assert.deepEqual(s.lookup(2), []);
      s.deleteObject(1, r(1, "a"));
      assert.equal(s.size(), 0);
      assert.deepEqual([...s.keys()], []);
    });

    test("clear empties the store, which stays usable", () => {
      const s = table(type);
      for (const k of [3, 1, 2]) s.write(k, r(k));
      s.clear();
      assert.equal(s.size(), 0);
      assert.equal(s.first(), undefined);
      s.write(5, r(5));
      assert.deepEqual([...s.keys()], [5]);
      assert.equal(s.next(5), undefined);
    });

    test("lookup results are snapshots", () => {
      const s = table(type);
      s.write(1, r(1, "a"));
      const before = s.lookup(1);
      s.write(1, r(1, "b"));
      s.deleteKey(1);
      assert.deepEqual(before, [r(1, "a")]);
    });

    test("range filters by inclusive and exclusive bounds, in key order", () => {
      const s = table(type);
      for (const k of ["a", 4, 3, 2, 1]) s.write(k, r(k));
      const keys = (lo: KeyBound | undefined, hi: KeyBound | undefined): unknown[] =>
        [...s.range(lo, hi)].map((x) => x.k);
      assert.deepEqual(keys(undefined, undefined), [1, 2, 3, 4, "a"]);
      assert.deepEqual(keys(incl(2), incl(3)), [2, 3]);
      assert.deepEqual(keys(excl(2), excl(4)), [3]);
      assert.deepEqual(keys(incl(2n), undefined), [2, 3, 4, "a"]);
      assert.deepEqual(keys(undefined, excl(2)), [1]);
      assert.deepEqual(keys(excl(4), undefined), ["a"]);
      assert.deepEqual(keys(incl(1.5), incl(3.5)), [2, 3]);
      assert.deepEqual(keys(excl(3), excl(3)), []);
      assert.deepEqual(keys(excl(3), incl(3)), []);
      assert.deepEqual(keys(incl(3), incl(3)), [3]);
      assert.deepEqual(keys(incl(5), incl(0)), []);
    });

    test("keys come back in the form they were written (bigints, arrays of them)", () => {
      const s = table(type);
      const ks: Key[] = [1n, [2n, "x"], 2n ** 64n + 1n, [[3n]], 7, 2 ** 64, [2 ** 64]];
      for (const k of ks) s.write(k, r(k));
      const expected = ks.slice().sort(compareKeys);
      assert.deepEqual([...s.keys()], expected);
      assert.equal(s.first(), 1n);
      assert.deepEqual(chain(s, "next"), expected);
      for (const k of s.keys()) if (typeof k === "object") assert.ok(Object.isFrozen(k));
      // A write in the other form replaces the stored key's form (for a bag: if the first record).
      s.deleteKey(1);
      s.write(1, r(1, "again"));
      assert.equal(s.first(), 1);
      // -0 is stored as 0: the term codec (MessagePack) does not keep the sign of zero.
      s.write(-0, r(-0));
      assert.ok(Object.is(s.first(), 0));
      assert.ok(Object.is(s.get(0)!.k, 0));
    });

    test("a key too long for LMDB: writes throw system_limit, reads find nothing", () => {
      const s = table(type);
      const long = "x".repeat(env.maxKeySize + 10);
      assert.throws(() => s.write(long, r(long)), SystemLimitError);
      assert.equal(s.size(), 0);
      s.write("x", r("x"));
      s.write("y", r("y"));
      assert.deepEqual(s.lookup(long), []);
      assert.equal(s.get(long), undefined);
      s.deleteKey(long);
      s.deleteObject(long, r(long));
      assert.equal(s.size(), 2);
      // As a bound: "x" < long < "y".
      const ks = (lo: KeyBound | undefined, hi: KeyBound | undefined): unknown[] =>
        [...s.range(lo, hi)].map((x) => x.k);
      assert.deepEqual(ks(incl(long), undefined), ["y"]);
      assert.deepEqual(ks(excl(long), undefined), ["y"]);
      assert.deepEqual(ks(undefined, incl(long)), ["x"]);
      assert.deepEqual(ks(undefined, excl(long)), ["x"]);
      if (type === "ordered_set") {
        assert.equal(s.next(long), "y");
        assert.equal(s.prev(long), "x");
        assert.equal(s.next(`y${long}`), undefined);
        assert.equal(s.prev(`y${long}`), "y");
      } else assert.equal(s.next(long), undefined);
    });

    test("binaries come back as plain frozen-record Uint8Array copies", () => {
      const s = table(type);
      const bin = new Uint8Array([0, 1, 2, 255]);
      s.write(bin, r(bin, new Uint8Array([9])));
      const [got] = s.lookup(bin);
      assert.equal(Object.getPrototypeOf(got!.k), Uint8Array.prototype);
      assert.equal(Object.getPrototypeOf(got!.v), Uint8Array.prototype);
      assert.deepEqual(got, r(bin, new Uint8Array([9])));
      assert.deepEqual([...s.keys()], [bin]);
    });

    test("values of every kind, small and large, come back equal and deeply frozen", () => {
      const s = table(type);
      const nested = JSON.parse('{"__proto__": {"a": [1, {"b": null}]}, "x": "y"}');
      const big = new Uint8Array(300_000).map((_, i) => i % 251);
      const values: unknown[] = [
        Number.NaN,
        2n ** 2000n,
        -(2n ** 70n),
        nested,
        "lone \ud800 surrogate",
        [1, [2, [3, "deep"]], { z: 1n }],
        "s".repeat(200_000),
        big,
      ];
      for (const [i, v] of values.entries()) s.write(i, r(i, v, i));
      values.forEach((v, i) => {
        const got = s.get(i)!;
        assert.deepEqual(got, r(i, v, i));
        assert.deepEqual(s.lookup(i), [r(i, v, i)]);
        assert.ok(Object.isFrozen(got));
        if (typeof got.v === "object" && got.v !== null && !(got.v instanceof Uint8Array)) {
          assert.ok(Object.isFrozen(got.v));
        }
      });
      // A large value read through LMDB's shared buffers stays intact after further reads.
      const first = s.get(7)!;
      s.get(6);
      s.get(0);
      assert.deepEqual(first.v, big);
      assert.equal(Object.getPrototypeOf(first.v), Uint8Array.prototype);
      assert.deepEqual(
        [...s.records()].map((x) => x.w),
        values.map((_, i) => i),
      );
      s.deleteObject(3, r(3, JSON.parse('{"__proto__": {"a": [1, {"b": null}]}, "x": "y"}'), 3));
      s.deleteObject(0, r(0, Number.NaN, 0));
      assert.equal(s.size(), values.length - 2);
    });

    test("changes during an iteration do not break it", () => {
      const s = table(type);
      for (let i = 0; i < 100; i++) s.write(i, r(i));
      let seen = 0;
      for (const x of s.records()) {
        seen++;
        s.deleteKey(x.k as Key);
        s.deleteKey((x.k as number) + 50);
        if (x.k === 10) s.write(1000, r(1000));
      }
      assert.equal(s.size(), 0);
      // Deleted keys after the current chunk are skipped, a key written ahead is visited.
      assert.ok(seen >= 50 && seen <= 100, `seen ${seen}`);
      for (let i = 0; i < 40; i++) s.write(i, r(i));
      const visited: Key[] = [];
      for (const k of s.keys()) {
        visited.push(k);
        s.write(k, r(k, "changed"));
      }
      assert.equal(visited.length, 40);
      assert.deepEqual(
        s.lookup(39),
        type === "bag" ? [r(39), r(39, "changed")] : [r(39, "changed")],
      );
    });

    test("an iteration left unfinished holds no transaction", () => {
      const s = table(type);
      for (let i = 0; i < 100; i++) s.write(i, r(i));
      const it = s.records();
      it.next();
      it.next();
      for (let i = 0; i < 100; i++) s.write(i, r(i, "b"));
      assert.deepEqual(s.lookup(99), type === "bag" ? [r(99), r(99, "b")] : [r(99, "b")]);
      assert.ok(it.next().done === false);
    });
  });
}

// ---- type-specific ---------------------------------------------------------------------------

describe("LMDB set store", () => {
  test("a write replaces the record and its key's form; key order, first == last", () => {
    const s = table("set");
    s.write("b", r("b", 1));
    s.write("a", r("a", 1));
    s.write("a", r("a", 2));
    s.write(1, r(1, "a"));
    s.write(1n, r(1n, "b"));
    assert.equal(s.size(), 3);
    assert.deepEqual([...s.keys()], [1n, "a", "b"]);
    assert.deepEqual([...s.records()], [r(1n, "b"), r("a", 2), r("b", 1)]);
    assert.deepEqual([...s.recordsReverse()], [...s.records()]);
    assert.equal(s.first(), 1n);
    assert.equal(s.last(), 1n);
    assert.equal(s.next(1), "a");
    assert.equal(s.prev(1), "a");
    assert.equal(s.next("b"), undefined);
    // next of a key not in the table: none, as in the RAM set store.
    assert.equal(s.next("aa"), undefined);
    assert.equal(s.prev("aa"), undefined);
  });

  test("next of a key deleted in mid traversal ends it, others continue", () => {
    const s = table("set");
    for (const k of [1, 2, 3, 4]) s.write(k, r(k));
    assert.equal(s.next(1), 2);
    s.deleteKey(3);
    assert.equal(s.next(2), 4);
    s.deleteKey(4);
    assert.equal(s.next(4), undefined);
    assert.equal(s.next(2), undefined);
  });
});

describe("LMDB bag store", () => {
  test("distinct records per key in insertion order; an equal record keeps its place", () => {
    const s = table("bag");
    s.write(1, r(1, "a"));
    s.write(1, r(1, "b"));
    s.write(1, r(1, "a"));
    assert.deepEqual(s.lookup(1), [r(1, "a"), r(1, "b")]);
    s.write(1, r(1, "c"));
    s.write(1, r(1, "a"));
    assert.deepEqual(s.lookup(1), [r(1, "a"), r(1, "b"), r(1, "c")]);
    assert.equal(s.size(), 3);
    s.deleteObject(1, r(1, "a"));
    s.write(1, r(1, "a"));
    assert.deepEqual(s.lookup(1), [r(1, "b"), r(1, "c"), r(1, "a")]);
    assert.equal(s.size(), 3);
  });

  test("an equal record in another form replaces the stored one in place; keys follow it", () => {
    const s = table("bag");
    s.write(1, r(1, 1));
    s.write(1, r(1, 2));
    s.write(1n, r(1n, 1n));
    assert.deepEqual(s.lookup(1), [r(1n, 1n), r(1, 2)]);
    assert.equal(s.size(), 2);
    assert.deepEqual([...s.keys()], [1n]);
    s.deleteObject(1, r(1, 1));
    assert.deepEqual([...s.keys()], [1]);
    assert.ok(typeof s.first() === "number");
  });

  test("size counts records; keys once per key; records grouped by key", () => {
    const s = table("bag");
    s.write(2, r(2, "a"));
    s.write(1, r(1, "a"));
    s.write(2, r(2, "b"));
    assert.equal(s.size(), 3);
    assert.deepEqual([...s.keys()], [1, 2]);
    assert.deepEqual([...s.records()], [r(1, "a"), r(2, "a"), r(2, "b")]);
    assert.deepEqual([...s.range(incl(2), incl(2))], [r(2, "a"), r(2, "b")]);
    assert.deepEqual(chain(s, "next"), [1, 2]);
    assert.equal(s.last(), 1);
    s.deleteObject(2, r(2, "zz"));
    assert.equal(s.size(), 3);
    s.deleteKey(2);
    assert.equal(s.size(), 1);
  });

  test("sizes of keys with few and many records, also when reopened", async () => {
    const s = table("bag");
    env.batch(() => {
      for (let i = 0; i < 300; i++) s.write(1, r(1, i));
      for (let i = 0; i < 15; i++) s.write(2n ** 64n, r(2n ** 64n, i));
    });
    s.write(2, r(2));
    assert.equal(s.size(), 316);
    await reopen();
    const again = env.openTable(`t${tables}`, "bag", "k");
    assert.equal(again.size(), 316);
    assert.equal(again.lookup(1).length, 300);
    again.deleteKey(1);
    assert.equal(again.size(), 16);
    again.deleteKey(2n ** 64n);
    assert.equal(again.size(), 1);
  });
});

describe("LMDB ordered_set store", () => {
  const KEYS_IN_ORDER: Key[] = [
    -(2n ** 70n),
    -1,
    0,
    0.5,
    1,
    2 ** 53,
    2n ** 53n + 1n,
    2 ** 64,
    2n ** 64n + 1n,
    Number.MAX_VALUE,
    false,
    null,
    true,
    [],
    [2],
    [2n ** 64n + 1n],
    [1, "a"],
    [1, "b"],
    [[], "a", 3],
    "",
    "\u0000",
    "a",
    "a\u0000",
    "ab",
    "b",
    "\uffff",
    "\u{10000}",
    new Uint8Array([]),
    new Uint8Array([0]),
    new Uint8Array([1]),
    new Uint8Array([1, 0]),
    new Uint8Array([255]),
  ];

  test("keys of every kind, written in any order, come back in compareKeys order", () => {
    const s = table("ordered_set");
    const shuffled = KEYS_IN_ORDER.slice().sort(() => Math.random() - 0.5);
    for (const k of shuffled) s.write(k, r(k));
    assert.deepEqual(KEYS_IN_ORDER.slice().sort(compareKeys), KEYS_IN_ORDER);
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

  test("first/last/next/prev, also from keys not in the table", () => {
    const s = table("ordered_set");
    for (const k of [0, 1, 4, 5, 9]) s.write(k, r(k));
    assert.equal(s.first(), 0);
    assert.equal(s.last(), 9);
    assert.equal(s.next(2), 4);
    assert.equal(s.prev(2), 1);
    assert.equal(s.next(4), 5);
    assert.equal(s.prev(4), 1);
    assert.equal(s.next(9), undefined);
    assert.equal(s.prev(0), undefined);
    assert.equal(s.next("foo"), undefined);
    assert.equal(s.prev("foo"), 9);
    assert.equal(s.next(-5), 0);
    assert.equal(s.next(1n), 4);
    assert.equal(s.prev(4.5), 4);
  });

  test("many keys: order through deletes, chunked iteration, ranges", () => {
    const s = table("ordered_set");
    env.batch(() => {
      for (let i = 0; i < 5000; i++) s.write((i * 7919) % 5000, r((i * 7919) % 5000));
    });
    for (let i = 0; i < 5000; i += 3) s.deleteKey(i);
    const expected = [...Array(5000).keys()].filter((i) => i % 3 !== 0);
    assert.deepEqual([...s.keys()], expected);
    assert.deepEqual(
      [...s.recordsReverse()].map((x) => x.k),
      expected.slice().reverse(),
    );
    assert.equal(s.size(), expected.length);
    assert.equal(s.next(3), 4);
    assert.equal(s.prev(3), 2);
    assert.deepEqual(
      [...s.range(incl(10), excl(16))].map((x) => x.k),
      [10, 11, 13, 14],
    );
    assert.equal([...s.range(excl(100), incl(4000))].length, 2600);
  });
});

// ---- the environment ---------------------------------------------------------------------------

describe("LMDB scans read entries in place", () => {
  for (const type of TYPES) {
    test(`${type}: the longest keys, across chunk boundaries, and values larger than LMDB's shared buffer`, () => {
      const s = table(type);
      // Keys of maxKeySize encoded bytes (a string key takes its length plus 3): a chunk that ends
      // on one goes on from all of it.
      const longKey = (i: number) =>
        `${String(i).padStart(4, "0")}${"x".repeat(env.maxKeySize - 7)}`;
      const big = "b".repeat(300_000);
      const want: Rec[] = [];
      for (let i = 0; i < 90; i++) {
        const rec = r(longKey(i), i % 30 === 7 ? big : i, new Uint8Array([i, 1, 2]));
        s.write(rec.k as Key, rec);
        want.push(rec);
      }
      assert.equal(s.size(), 90);
      assert.deepEqual([...s.records()], want);
      assert.deepEqual([...s.range(incl(longKey(10)), excl(longKey(80)))], want.slice(10, 80));
      assert.deepEqual(
        [...s.keys()],
        want.map((x) => x.k),
      );
      if (type === "ordered_set") assert.deepEqual([...s.recordsReverse()], want.toReversed());
      // Binaries are copies, not views of LMDB's reused buffer.
      const [first] = [...s.records()];
      assert.ok(first!.w instanceof Uint8Array);
      assert.deepEqual([...(first!.w as Uint8Array)], [0, 1, 2]);
    });
  }

  test("a scan that fails on a damaged entry fails again each time, and the table goes on working", async () => {
    const s = env.openTable("a", "set", "k");
    for (let i = 0; i < 40; i++) s.write(i, r(i, `value number ${i}`));
    await env.close();
    const file = join(dir, "lmdb", "data.mdb");
    const buf = readFileSync(file);
    // Every copy (LMDB leaves older ones in free pages).
    for (
      let at = buf.indexOf("value number 33");
      at >= 0;
      at = buf.indexOf("value number 33", at + 1)
    ) {
      buf[at + 14]! ^= 0x01;
    }
    writeFileSync(file, buf);
    env = openLmdbEnv(join(dir, "lmdb"));
    const t = env.openTable("a", "set", "k");
    for (let n = 0; n < 100; n++) assert.throws(() => [...t.records()], CorruptFileError);
    t.deleteKey(33);
    t.write(40, r(40));
    assert.equal([...t.records()].length, 40);
  });
});

describe("LmdbEnv", () => {
  test("content, sizes and the applied position survive a close and reopen", async () => {
    const stores = TYPES.map((type) => env.openTable(type, type, "k"));
    for (const s of stores) {
      for (let i = 0; i < 50; i++) s.write(i % 20, r(i % 20, i % 7));
    }
    env.setAppliedPosition(42);
    const before = stores.map((s) => [s.size(), [...s.records()]]);
    await reopen();
    assert.equal(env.appliedPosition(), 42);
    assert.deepEqual(env.tableNames().sort(), ["bag", "ordered_set", "set"]);
    const after = TYPES.map((type) => env.openTable(type, type, "k"));
    assert.deepEqual(
      after.map((s) => [s.size(), [...s.records()]]),
      before,
    );
    assert.deepEqual(
      after.map((s) => s.size()),
      [20, 20, 50],
    );
  });

  test("a new environment has applied position 0 and no tables", () => {
    assert.equal(env.appliedPosition(), 0);
    assert.deepEqual(env.tableNames(), []);
  });

  test("a batch commits writes to several tables and the position together", async () => {
    const a = env.openTable("a", "set", "k");
    const b = env.openTable("b", "bag", "k");
    const result = env.batch(() => {
      a.write(1, r(1));
      b.write(1, r(1, "x"));
      b.write(1, r(1, "y"));
      env.setAppliedPosition(7);
      // Visible inside the batch.
      assert.deepEqual(a.lookup(1), [r(1)]);
      assert.equal(b.size(), 2);
      assert.equal(env.appliedPosition(), 7);
      assert.equal(env.inBatch, true);
      return "done";
    });
    assert.equal(result, "done");
    assert.equal(env.inBatch, false);
    await reopen();
    assert.equal(env.appliedPosition(), 7);
    assert.equal(env.openTable("a", "set", "k").size(), 1);
    assert.equal(env.openTable("b", "bag", "k").size(), 2);
  });

  test("a batch that throws midway leaves no trace: data, sizes, position", async () => {
    const a = env.openTable("a", "set", "k");
    const b = env.openTable("b", "bag", "k");
    const o = env.openTable("o", "ordered_set", "k");
    a.write(1, r(1, "old"));
    b.write(1, r(1, "old"));
    env.setAppliedPosition(3);
    const boom = new Error("boom");
    assert.throws(
      () =>
        env.batch(() => {
          a.write(1, r(1, "new"));
          a.write(2, r(2));
          b.write(1, r(1, "new"));
          b.deleteObject(1, r(1, "old"));
          o.write(5, r(5));
          o.clear();
          o.write(6, r(6));
          env.setAppliedPosition(4);
          throw boom;
        }),
      (e) => e === boom,
    );
    const state = (): unknown => [
      env.appliedPosition(),
      a.size(),
      a.lookup(1),
      a.lookup(2),
      b.size(),
      b.lookup(1),
      o.size(),
      [...o.keys()],
    ];
    const expected = [3, 1, [r(1, "old")], [], 1, [r(1, "old")], 0, []];
    assert.deepEqual(state(), expected);
    await reopen();
    const [a2, b2, o2] = [
      env.openTable("a", "set", "k"),
      env.openTable("b", "bag", "k"),
      env.openTable("o", "ordered_set", "k"),
    ];
    assert.deepEqual(
      [
        env.appliedPosition(),
        a2.size(),
        a2.lookup(1),
        a2.lookup(2),
        b2.size(),
        b2.lookup(1),
        o2.size(),
        [...o2.keys()],
      ],
      expected,
    );
  });

  test("a failing store operation inside a batch aborts all of it", () => {
    const a = env.openTable("a", "set", "k");
    const long = "x".repeat(env.maxKeySize + 1);
    assert.throws(
      () =>
        env.batch(() => {
          a.write(1, r(1));
          a.write(long, r(long));
        }),
      SystemLimitError,
    );
    assert.equal(a.size(), 0);
    assert.deepEqual(a.lookup(1), []);
  });

  test("nested batches run inside the outer one", () => {
    const a = env.openTable("a", "set", "k");
    assert.throws(() =>
      env.batch(() => {
        env.batch(() => a.write(1, r(1)));
        assert.equal(env.inBatch, true);
        env.batch(() => env.setAppliedPosition(9));
        throw new Error("outer fails");
      }),
    );
    assert.equal(a.size(), 0);
    assert.equal(env.appliedPosition(), 0);
    // An error a nested batch throws and the outer one catches undoes nothing.
    env.batch(() => {
      try {
        env.batch(() => {
          a.write(2, r(2));
          throw new Error("inner fails");
        });
      } catch {}
      a.write(3, r(3));
    });
    assert.deepEqual([...a.keys()], [2, 3]);
    assert.equal(a.size(), 2);
  });

  test("a batch must be synchronous", () => {
    const a = env.openTable("a", "set", "k");
    assert.throws(
      () =>
        env.batch(() => {
          a.write(1, r(1));
          return Promise.resolve();
        }),
      BadArgError,
    );
    assert.equal(a.size(), 0);
    assert.deepEqual(a.lookup(1), []);
  });

  test("tables: open once, close, drop", () => {
    const a = env.openTable("a", "set", "k");
    a.write(1, r(1));
    assert.throws(() => env.openTable("a", "set", "k"), BadArgError);
    env.closeTable("a");
    assert.throws(() => a.lookup(1), NotRunningError);
    const again = env.openTable("a", "set", "k");
    assert.deepEqual(again.lookup(1), [r(1)]);
    env.dropTable("a");
    assert.throws(() => again.lookup(1), NotRunningError);
    assert.deepEqual(env.tableNames(), []);
    const fresh = env.openTable("a", "bag", "k");
    assert.equal(fresh.size(), 0);
    fresh.write(1, r(1));
    assert.equal(fresh.size(), 1);
    // Dropping a table that is not open; and one that does not exist.
    env.closeTable("a");
    env.dropTable("a");
    env.dropTable("never");
    assert.deepEqual(env.tableNames(), []);
    assert.throws(() => env.batch(() => env.dropTable("x")), BadArgError);
  });

  test("the record builder given makes the records handed out", () => {
    let built = 0;
    const build = recordBuilder<Rec>(["k", "v", "w"]);
    const s = env.openTable("a", "bag", "k", (rec) => {
      built++;
      return build(rec as Rec);
    });
    s.write(1, r(1, "a"));
    s.write(1, r(1, "b"));
    assert.deepEqual(s.lookup(1), [r(1, "a"), r(1, "b")]);
    assert.equal(built, 2);
    s.get(1);
    assert.equal(built, 3);
  });

  test("sync flushes; a closed environment refuses work", async () => {
    const a = env.openTable("a", "set", "k");
    a.write(1, r(1));
    await env.sync();
    await env.close();
    await env.close();
    assert.throws(() => a.lookup(1), NotRunningError);
    assert.throws(() => env.appliedPosition(), NotRunningError);
    assert.throws(() => env.openTable("b", "set", "k"), NotRunningError);
    env = openLmdbEnv(join(dir, "lmdb"));
    assert.deepEqual(env.openTable("a", "set", "k").lookup(1), [r(1)]);
  });
});

// ---- a damaged file ----------------------------------------------------------------------------

describe("LMDB damage", () => {
  /** Closes the environment, flips the last bit of every copy of `text` in its file, reopens it. */
  async function flipIn(text: string): Promise<void> {
    await env.close();
    const file = join(dir, "lmdb", "data.mdb");
    const buf = readFileSync(file);
    let n = 0;
    for (let at = buf.indexOf(text); at >= 0; at = buf.indexOf(text, at + 1), n++) {
      buf[at + text.length - 1]! ^= 0x01;
    }
    assert.ok(n > 0);
    writeFileSync(file, buf);
    env = openLmdbEnv(join(dir, "lmdb"));
  }

  const damaged = (table: string, key: Key) => (e: unknown) => {
    assert.ok(e instanceof CorruptFileError);
    assert.equal(e.reason, "bad_checksum");
    assert.equal(e.file, join(dir, "lmdb", "data.mdb"));
    assert.equal(e.table, table);
    assert.deepEqual(e.key, key);
    return true;
  };

  for (const type of TYPES) {
    test(`${type}: a flipped bit in a value is a CorruptFileError naming the table and key on every read`, async () => {
      const s = env.openTable("a", type, "k", undefined, "accounts");
      s.write(1, r(1, "the first value"));
      s.write(2, r(2, "the second value"));
      await flipIn("the second value");
      const t = env.openTable("a", type, "k", undefined, "accounts");
      assert.deepEqual(t.lookup(1), [r(1, "the first value")]);
      assert.throws(() => t.get(2), damaged("accounts", 2));
      assert.throws(() => t.lookup(2), damaged("accounts", 2));
      assert.throws(() => [...t.records()], damaged("accounts", 2));
      assert.throws(() => [...t.range(undefined, undefined)], damaged("accounts", 2));
      assert.throws(() => t.deleteObject(2, r(2)), damaged("accounts", 2));
      if (type === "ordered_set") {
        assert.throws(() => [...t.recordsReverse()], damaged("accounts", 2));
      }
      if (type === "bag") assert.throws(() => t.write(2, r(2, "more")), damaged("accounts", 2));
      // What is damaged can be deleted (and then written again).
      t.deleteKey(2);
      assert.deepEqual([...t.keys()], [1]);
    });
  }

  test("a flipped bit in a key: the entry fails its checksum when listed", async () => {
    const s = env.openTable("a", "set", "k");
    s.write("key-one", r("key-one"));
    s.write("key-two", r("key-two"));
    await flipIn("key-two");
    const t = env.openTable("a", "set", "k");
    assert.throws(() => [...t.keys()], CorruptFileError);
    assert.throws(() => [...t.records()], CorruptFileError);
    assert.deepEqual(t.get("key-one"), r("key-one"));
  });

  test("an environment with values of another layout (no checksums) is refused", async () => {
    env.openTable("a", "set", "k").write(1, r(1));
    await env.close();
    const raw = open({ path: join(dir, "lmdb"), maxDbs: 4 });
    const meta = raw.openDB({ name: "__mneme_meta", keyEncoding: "binary", encoding: "binary" });
    assert.equal(meta.removeSync(Buffer.from("value_format")), true);
    await raw.close();
    assert.throws(
      () => openLmdbEnv(join(dir, "lmdb")),
      (e: unknown) => e instanceof CorruptFileError && e.reason === "invalid_file",
    );
    env = openLmdbEnv(join(dir, "other"));
  });
});
