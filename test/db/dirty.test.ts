// The dirty operations on set, ordered_set and bag tables: results, bag semantics (FACTS Q2),
// bad records and keys (bad_type naming table and key), missing tables (no_exists).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  BadArgError,
  BadTypeError,
  Mneme,
  NoExistsError,
  type Table,
  type TableType,
} from "../../src/index.js";
import { throwsMneme } from "./helpers.js";

interface KV {
  k: number | string;
  v: string;
  n: number;
}

async function table(type: TableType) {
  const db = await Mneme.open();
  const t = await db.createTable<KV, "k">("t", { attributes: ["k", "v", "n"], type, index: ["v"] });
  return { db, t };
}

/** Three keys written in the order 3, 1, 2. */
async function filled(type: TableType) {
  const r = await table(type);
  for (const k of [3, 1, 2]) r.db.dirtyWrite(r.t, { k, v: k === 2 ? "b" : "a", n: k * 10 });
  return r;
}

const sortK = (rs: readonly KV[]) =>
  [...rs].sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.n - b.n));

describe("dirtyWrite / dirtyRead", () => {
  for (const type of ["set", "ordered_set"] as const) {
    it(`${type}: a write replaces the record of its key`, async () => {
      const { db, t } = await table(type);
      assert.deepEqual(db.dirtyRead(t, 1), []);
      db.dirtyWrite(t, { k: 1, v: "a", n: 1 });
      db.dirtyWrite(t, { k: 1, v: "b", n: 2 });
      assert.deepEqual(db.dirtyRead(t, 1), [{ k: 1, v: "b", n: 2 }]);
      assert.equal(db.tableInfo(t, "size"), 1);
    });
  }

  it("bag: insertion order, a duplicate keeps its place, delete_object then rewrite appends (FACTS Q2)", async () => {
    const { db, t } = await table("bag");
    db.dirtyWrite(t, { k: 1, v: "a", n: 0 });
    db.dirtyWrite(t, { k: 1, v: "b", n: 0 });
    db.dirtyWrite(t, { k: 1, v: "a", n: 0 });
    assert.deepEqual(db.dirtyRead(t, 1), [
      { k: 1, v: "a", n: 0 },
      { k: 1, v: "b", n: 0 },
    ]);
    db.dirtyWrite(t, { k: 1, v: "c", n: 0 });
    db.dirtyWrite(t, { k: 1, v: "a", n: 0 });
    assert.deepEqual(db.dirtyRead(t, 1), [
      { k: 1, v: "a", n: 0 },
      { k: 1, v: "b", n: 0 },
      { k: 1, v: "c", n: 0 },
    ]);
    db.dirtyDeleteObject(t, { k: 1, v: "a", n: 0 });
    assert.deepEqual(db.dirtyRead(t, 1), [
      { k: 1, v: "b", n: 0 },
      { k: 1, v: "c", n: 0 },
    ]);
    db.dirtyWrite(t, { k: 1, v: "a", n: 0 });
    assert.deepEqual(db.dirtyRead(t, 1), [
      { k: 1, v: "b", n: 0 },
      { k: 1, v: "c", n: 0 },
      { k: 1, v: "a", n: 0 },
    ]);
    assert.equal(db.tableInfo(t, "size"), 3);
  });

  it("records are stored as frozen private copies with the table's attribute order", async () => {
    const { db, t } = await table("set");
    const rec = { n: 1, v: "a", k: 1 };
    db.dirtyWrite(t, rec);
    rec.v = "changed";
    const [r] = db.dirtyRead(t, 1);
    assert.deepEqual(r, { k: 1, v: "a", n: 1 });
    assert.deepEqual(Object.keys(r!), ["k", "v", "n"]);
    assert.ok(Object.isFrozen(r));
  });

  it("values may be any storable value: strings, numbers, bigints, booleans, null, binaries, arrays, objects", async () => {
    const db = await Mneme.open();
    await db.createTable("any", { attributes: ["k", "v"] });
    const values = [
      "s",
      1.5,
      -0,
      10n ** 30n,
      true,
      null,
      new Uint8Array([1, 2]),
      [1, [2]],
      { a: { b: 1 } },
    ];
    values.forEach((v, i) => {
      db.dirtyWrite("any", { k: i, v });
    });
    values.forEach((v, i) => {
      assert.deepEqual(db.dirtyRead("any", i), [{ k: i, v }]);
    });
  });

  it("keys: 1 and 1n are the same key, as are keys of every kind", async () => {
    const { db } = await table("set");
    await db.createTable("keys", { attributes: ["k", "v"], type: "ordered_set" });
    const keys = ["s", -2, 3.5, 7n, true, null, new Uint8Array([1]), [1, "a"], []];
    for (const k of keys) db.dirtyWrite("keys", { k, v: String(k) });
    for (const k of keys) assert.deepEqual(db.dirtyRead("keys", k), [{ k, v: String(k) }]);
    for (const type of ["set", "ordered_set", "bag"] as const) {
      await db.createTable(type, { attributes: ["k", "v"], type });
      db.dirtyWrite(type, { k: 1, v: "a" });
      db.dirtyWrite(type, { k: 1n, v: type === "bag" ? "b" : "a2" });
      assert.equal(db.dirtyRead(type, 1n).length, type === "bag" ? 2 : 1);
      assert.deepEqual(db.dirtyRead(type, 1), db.dirtyRead(type, 1n));
      assert.equal(db.dirtyAllKeys(type).length, 1);
    }
  });

  it("bad records: bad_type naming table and key", async () => {
    const { db, t } = await table("set");
    const bad: [unknown, unknown, RegExp][] = [
      [{ k: 1, v: "a" }, 1, /record of t with key 1: attribute 'n' is missing/],
      [{ k: 1, v: "a", n: 1, w: 2 }, 1, /record of t with key 1: unknown attribute 'w'/],
      [{ k: 1, v: undefined, n: 1 }, 1, /attribute 'v' is missing/],
      [{ k: 1, v: () => 1, n: 1 }, 1, /attribute 'v': functions are not valid values/],
      [{ k: 1, v: Symbol("x"), n: 1 }, 1, /attribute 'v': symbols are not valid values/],
      [
        { k: 1, v: new Date(0), n: 1 },
        1,
        /attribute 'v': Date is not a valid value: store date\.getTime\(\) \(a number\) or date\.toISOString\(\)/,
      ],
      [{ k: undefined, v: "a", n: 1 }, undefined, /bad key in 'k': undefined is not a valid key/],
      [{ v: "a", n: 1 }, undefined, /bad key in 'k': undefined is not a valid key/],
      [{ k: Number.NaN, v: "a", n: 1 }, Number.NaN, /bad key in 'k': NaN is not a valid key/],
      [{ k: { a: 1 }, v: "a", n: 1 }, { a: 1 }, /bad key in 'k': objects are not valid keys/],
      [
        { k: [1, Number.NaN], v: "a", n: 1 },
        [1, Number.NaN],
        /array element 1: NaN is not a valid key/,
      ],
    ];
    for (const [record, key, message] of bad) {
      throwsMneme(() => db.dirtyWrite(t, record as KV), BadTypeError, "bad_type", {
        table: "t",
        key,
        message,
      });
    }
    const fn = () => 1;
    throwsMneme(
      () => db.dirtyWrite(t, { k: fn, v: "a", n: 1 } as never),
      BadTypeError,
      "bad_type",
      {
        table: "t",
        key: fn,
        message: /bad key in 'k': functions are not valid keys/,
      },
    );
    for (const record of [3, "r", null, [1, "a", 2], undefined]) {
      throwsMneme(() => db.dirtyWrite(t, record as never), BadTypeError, "bad_type", {
        table: "t",
        message: /a record of t must be an object with attributes k, v, n/,
      });
    }
    assert.equal(db.tableInfo(t, "size"), 0);
  });

  it("bad keys to dirtyRead: bad_type naming table and key", async () => {
    const { db, t } = await table("set");
    const fn = () => 1;
    for (const [key, message] of [
      [undefined, /t: undefined is not a valid key/],
      [Number.NaN, /t: NaN is not a valid key/],
      [{ a: 1 }, /t: objects are not valid keys/],
      [fn, /t: functions are not valid keys/],
      [Symbol.for("s"), /t: symbols are not valid keys/],
    ] as const) {
      throwsMneme(() => db.dirtyRead(t, key as never), BadTypeError, "bad_type", {
        table: "t",
        key,
        message,
      });
    }
  });
});

describe("dirtyDelete / dirtyDeleteObject", () => {
  for (const type of ["set", "ordered_set", "bag"] as const) {
    it(`${type}: delete removes every record of the key; a missing key is fine`, async () => {
      const { db, t } = await filled(type);
      if (type === "bag") db.dirtyWrite(t, { k: 1, v: "z", n: 0 });
      db.dirtyDelete(t, 1);
      db.dirtyDelete(t, 99);
      assert.deepEqual(db.dirtyRead(t, 1), []);
      assert.deepEqual(sortK(db.dirtyMatchObject(t, {})), [
        { k: 2, v: "b", n: 20 },
        { k: 3, v: "a", n: 30 },
      ]);
      assert.deepEqual(db.dirtyIndexRead(t, "a", "v"), [{ k: 3, v: "a", n: 30 }]);
    });

    it(`${type}: deleteObject removes only an equal record`, async () => {
      const { db, t } = await filled(type);
      db.dirtyDeleteObject(t, { k: 1, v: "a", n: 999 });
      assert.deepEqual(db.dirtyRead(t, 1), [{ k: 1, v: "a", n: 10 }]);
      db.dirtyDeleteObject(t, { k: 1, v: "a", n: 10 });
      assert.deepEqual(db.dirtyRead(t, 1), []);
      db.dirtyDeleteObject(t, { k: 99, v: "a", n: 1 });
      assert.equal(db.tableInfo(t, "size"), 2);
    });
  }

  it("bad keys and records: bad_type naming table and key", async () => {
    const { db, t } = await filled("set");
    throwsMneme(() => db.dirtyDelete(t, undefined as never), BadTypeError, "bad_type", {
      table: "t",
      key: undefined,
      message: /undefined is not a valid key/,
    });
    throwsMneme(() => db.dirtyDelete(t, Number.NaN), BadTypeError, "bad_type", {
      table: "t",
      key: Number.NaN,
    });
    throwsMneme(() => db.dirtyDeleteObject(t, { k: 1, v: "a" } as KV), BadTypeError, "bad_type", {
      table: "t",
      key: 1,
      message: /attribute 'n' is missing/,
    });
    assert.equal(db.tableInfo(t, "size"), 3);
  });
});

describe("dirtyMatchObject / dirtySelect", () => {
  for (const type of ["set", "ordered_set", "bag"] as const) {
    it(`${type}: patterns and match specifications`, async () => {
      const { db, t } = await filled(type);
      assert.deepEqual(sortK(db.dirtyMatchObject(t, { v: "a" })), [
        { k: 1, v: "a", n: 10 },
        { k: 3, v: "a", n: 30 },
      ]);
      assert.deepEqual(db.dirtyMatchObject(t, { k: 2 }), [{ k: 2, v: "b", n: 20 }]);
      assert.deepEqual(db.dirtyMatchObject(t, { k: 2, v: "a" }), []);
      assert.deepEqual(sortK(db.dirtyMatchObject(t, { v: "_", n: "_" })).length, 3);
      const bigger = db.dirtySelect(t, [[{ k: "$1", n: "$2" }, [[">", "$2", 15]], ["$1"]]]);
      assert.deepEqual([...bigger].sort(), [2, 3]);
      assert.deepEqual(db.dirtySelect(t, [[{ k: 2 }, [], ["$_"]]]), [{ k: 2, v: "b", n: 20 }]);
      if (type === "ordered_set") {
        assert.deepEqual(
          db.dirtyMatchObject(t, {}).map((r) => r.k),
          [1, 2, 3],
        );
      }
    });
  }

  it("bad patterns and specs", async () => {
    const { db, t } = await filled("set");
    throwsMneme(() => db.dirtyMatchObject(t, "_"), BadTypeError, "bad_type", { table: "t" });
    throwsMneme(() => db.dirtyMatchObject(t, 3 as never), BadTypeError, "bad_type", { table: "t" });
    throwsMneme(() => db.dirtyMatchObject(t, { zz: 1 } as never), BadArgError, "badarg", {
      message: /unknown attribute 'zz'/,
    });
    throwsMneme(() => db.dirtySelect(t, "bad" as never), BadArgError, "badarg");
  });
});

describe("dirtyAllKeys / dirtyFirst / dirtyNext / dirtyPrev / dirtyLast", () => {
  it("ordered_set: key order, next and prev of absent keys give the neighbours (FACTS Q7, Q12)", async () => {
    const { db, t } = await filled("ordered_set");
    assert.deepEqual(db.dirtyAllKeys(t), [1, 2, 3]);
    assert.equal(db.dirtyFirst(t), 1);
    assert.equal(db.dirtyLast(t), 3);
    assert.equal(db.dirtyNext(t, 1), 2);
    assert.equal(db.dirtyNext(t, 3), undefined);
    assert.equal(db.dirtyPrev(t, 3), 2);
    assert.equal(db.dirtyPrev(t, 1), undefined);
    assert.equal(db.dirtyNext(t, 1.5), 2);
    assert.equal(db.dirtyPrev(t, 1.5), 1);
    assert.equal(db.dirtyNext(t, 99), undefined);
    assert.equal(db.dirtyPrev(t, 0), undefined);
    // numbers sort before strings: every number precedes "a"
    assert.equal(db.dirtyNext(t, "a"), undefined);
    assert.equal(db.dirtyPrev(t, "a"), 3);
    assert.equal(db.dirtyNext(t, 1n as never), 2);
  });

  for (const type of ["set", "bag"] as const) {
    it(`${type}: first/next visit every key once; last is first and prev is next (FACTS Q7, Q12)`, async () => {
      const { db, t } = await filled(type);
      if (type === "bag") db.dirtyWrite(t, { k: 2, v: "z", n: 0 });
      const chain: unknown[] = [];
      for (let k = db.dirtyFirst(t); k !== undefined; k = db.dirtyNext(t, k)) chain.push(k);
      assert.deepEqual([...chain].sort(), [1, 2, 3]);
      assert.deepEqual(db.dirtyAllKeys(t), chain);
      const back: unknown[] = [];
      for (let k = db.dirtyLast(t); k !== undefined; k = db.dirtyPrev(t, k)) back.push(k);
      assert.equal(db.dirtyLast(t), db.dirtyFirst(t));
      assert.deepEqual(back, chain);
      // next of a key that is not in the table: badarg (FACTS Q7)
      throwsMneme(() => db.dirtyNext(t, 99), BadArgError, "badarg", {
        table: "t",
        key: 99,
        message: /next on t: key 99 is not in the table/,
      });
      throwsMneme(() => db.dirtyPrev(t, 99), BadArgError, "badarg", { table: "t", key: 99 });
    });
  }

  for (const type of ["set", "ordered_set", "bag"] as const) {
    it(`${type}: an empty table`, async () => {
      const { db, t } = await table(type);
      assert.deepEqual(db.dirtyAllKeys(t), []);
      assert.equal(db.dirtyFirst(t), undefined);
      assert.equal(db.dirtyLast(t), undefined);
      if (type === "ordered_set") assert.equal(db.dirtyNext(t, "foo"), undefined);
      else
        throwsMneme(() => db.dirtyNext(t, "foo"), BadArgError, "badarg", {
          table: "t",
          key: "foo",
        });
    });
  }

  it("bad keys to next and prev: bad_type naming table and key", async () => {
    for (const type of ["set", "ordered_set"] as const) {
      const { db, t } = await filled(type);
      for (const key of [undefined, Number.NaN, { a: 1 }]) {
        throwsMneme(() => db.dirtyNext(t, key as never), BadTypeError, "bad_type", {
          table: "t",
          key,
        });
        throwsMneme(() => db.dirtyPrev(t, key as never), BadTypeError, "bad_type", {
          table: "t",
          key,
        });
      }
    }
  });
});

describe("dirtyIndexRead / dirtyIndexMatchObject", () => {
  for (const type of ["set", "ordered_set", "bag"] as const) {
    it(`${type}: by attribute name and by position`, async () => {
      const { db, t } = await filled(type);
      assert.deepEqual(sortK(db.dirtyIndexRead(t, "a", "v")), [
        { k: 1, v: "a", n: 10 },
        { k: 3, v: "a", n: 30 },
      ]);
      assert.deepEqual(db.dirtyIndexRead(t, "b", 3), [{ k: 2, v: "b", n: 20 }]);
      assert.deepEqual(db.dirtyIndexRead(t, "zzz", "v"), []);
      assert.deepEqual(db.dirtyIndexMatchObject(t, { v: "a", n: 30 }, "v"), [
        { k: 3, v: "a", n: 30 },
      ]);
      assert.deepEqual(sortK(db.dirtyIndexMatchObject(t, { v: "a" }, 3)), [
        { k: 1, v: "a", n: 10 },
        { k: 3, v: "a", n: 30 },
      ]);
      db.dirtyWrite(t, { k: 1, v: "b", n: 10 });
      assert.deepEqual(sortK(db.dirtyIndexRead(t, "b", "v")), [
        { k: 1, v: "b", n: 10 },
        { k: 2, v: "b", n: 20 },
      ]);
      assert.deepEqual(
        sortK(db.dirtyIndexRead(t, "a", "v")),
        type === "bag"
          ? [
              { k: 1, v: "a", n: 10 },
              { k: 3, v: "a", n: 30 },
            ]
          : [{ k: 3, v: "a", n: 30 }],
      );
    });
  }

  it("errors (FACTS Q9): no index badarg, unknown attribute bad_type, unbound attribute bad_type", async () => {
    const { db, t } = await filled("set");
    throwsMneme(() => db.dirtyIndexRead(t, 10, "n"), BadArgError, "badarg", {
      table: "t",
      value: "n",
      message: /t has no index on 'n'/,
    });
    throwsMneme(() => db.dirtyIndexRead(t, 1, "k"), BadArgError, "badarg", {
      table: "t",
      value: "k",
    });
    throwsMneme(() => db.dirtyIndexRead(t, 1, 2), BadArgError, "badarg", {
      table: "t",
      value: "k",
    });
    throwsMneme(() => db.dirtyIndexRead(t, 1 as never, "zzz" as never), BadTypeError, "bad_type", {
      table: "t",
      value: "zzz",
    });
    throwsMneme(() => db.dirtyIndexRead(t, 1, 9), BadTypeError, "bad_type", {
      table: "t",
      value: 9,
    });
    throwsMneme(() => db.dirtyIndexMatchObject(t, { v: "_" }, "v"), BadTypeError, "bad_type", {
      table: "t",
      value: { v: "_" },
    });
    throwsMneme(() => db.dirtyIndexMatchObject(t, { k: 1 }, "v"), BadTypeError, "bad_type", {
      table: "t",
      value: { k: 1 },
    });
    throwsMneme(() => db.dirtyIndexMatchObject(t, { n: 10 }, "n"), BadArgError, "badarg", {
      table: "t",
      value: "n",
    });
    throwsMneme(() => db.dirtyIndexMatchObject(t, "_" as never, "v"), BadTypeError, "bad_type", {
      table: "t",
    });
  });
});

describe("dirtyFoldl", () => {
  for (const type of ["set", "ordered_set", "bag"] as const) {
    it(`${type}: visits every record once`, async () => {
      const { db, t } = await filled(type);
      if (type === "bag") db.dirtyWrite(t, { k: 1, v: "z", n: 1 });
      const seen = db.dirtyFoldl(t, (r: KV, acc: KV[]) => [...acc, r], []);
      assert.equal(seen.length, type === "bag" ? 4 : 3);
      assert.equal(
        db.dirtyFoldl(t, (r: KV, sum: number) => sum + r.n, 0),
        type === "bag" ? 61 : 60,
      );
      if (type === "ordered_set")
        assert.deepEqual(
          seen.map((r) => r.k),
          [1, 2, 3],
        );
    });
  }

  it("records written by the function are not visited", async () => {
    const { db, t } = await filled("ordered_set");
    const seen = db.dirtyFoldl(
      t,
      (r: KV, acc: number[]) => {
        db.dirtyWrite(t, { k: Number(r.k) + 100, v: "x", n: 0 });
        return [...acc, Number(r.k)];
      },
      [] as number[],
    );
    assert.deepEqual(seen, [1, 2, 3]);
    assert.deepEqual(db.dirtyAllKeys(t), [1, 2, 3, 101, 102, 103]);
  });
});

describe("a missing table: no_exists from every dirty operation", () => {
  it("names the table", async () => {
    const db = await Mneme.open();
    const m: Table<KV, "k"> = db.table<KV, "k">("missing");
    const rec = { k: 1, v: "a", n: 1 };
    const ops: [string, () => unknown][] = [
      ["dirtyRead", () => db.dirtyRead(m, 1)],
      ["dirtyWrite", () => db.dirtyWrite(m, rec)],
      ["dirtyDelete", () => db.dirtyDelete(m, 1)],
      ["dirtyDeleteObject", () => db.dirtyDeleteObject(m, rec)],
      ["dirtyMatchObject", () => db.dirtyMatchObject(m, {})],
      ["dirtySelect", () => db.dirtySelect(m, [[{}, [], ["$_"]]])],
      ["dirtyAllKeys", () => db.dirtyAllKeys(m)],
      ["dirtyFirst", () => db.dirtyFirst(m)],
      ["dirtyLast", () => db.dirtyLast(m)],
      ["dirtyNext", () => db.dirtyNext(m, 1)],
      ["dirtyPrev", () => db.dirtyPrev(m, 1)],
      ["dirtyIndexRead", () => db.dirtyIndexRead(m, "a", "v")],
      ["dirtyIndexMatchObject", () => db.dirtyIndexMatchObject(m, { v: "a" }, "v")],
      ["dirtyUpdateCounter", () => db.dirtyUpdateCounter("missing", 1, 1)],
      ["dirtyFoldl", () => db.dirtyFoldl(m, (_r, a: number) => a, 0)],
    ];
    for (const [what, op] of ops) {
      assert.throws(op, (e: unknown) => {
        assert.ok(e instanceof NoExistsError, what);
        assert.equal(e.name, "NoExistsError", what);
        assert.equal(e.reason, "no_exists", what);
        assert.equal(e.table, "missing", what);
        assert.match(e.message, /table missing does not exist/, what);
        return true;
      });
    }
  });
});
