// SNMP ordering (mnesia:snmp_open_table/2 and friends): row indexes of integer, string,
// fix_string and tuple keys, lexicographic order, rows that follow the table.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AlreadyExistsError,
  BadArgError,
  BadTypeError,
  type Key,
  Mneme,
  NestedTransactionError,
  NoExistsError,
  type RowIndex,
  TransactionAborted,
} from "../../src/index.js";
import { throwsMneme } from "./helpers.js";

/** Every [row index, key] of a table in SNMP order, walking snmpGetNextIndex from []. */
function rows(db: Mneme, table: string): [RowIndex, Key | undefined][] {
  const out: [RowIndex, Key | undefined][] = [];
  for (let r = db.snmpGetNextIndex(table, []); r !== undefined; r = db.snmpGetNextIndex(table, r)) {
    out.push([r, db.snmpGetMnesiaKey(table, r)]);
  }
  return out;
}

describe("SNMP row indexes and their order", () => {
  it("integer keys: [n]; [] gives the first row; next of an absent row; the end is undefined", async () => {
    const db = await Mneme.open();
    await db.createTable("i", { attributes: ["k", "v"], snmp: { key: "integer" } });
    // ordered at once, even while empty
    assert.equal(db.snmpGetNextIndex("i", []), undefined);
    for (const k of [10, 2, 7, -5]) db.dirtyWrite("i", { k, v: `v${k}` });
    assert.deepEqual(rows(db, "i"), [
      [[-5], -5],
      [[2], 2],
      [[7], 7],
      [[10], 10],
    ]);
    assert.deepEqual(db.snmpGetNextIndex("i", [2]), [7]);
    assert.deepEqual(db.snmpGetNextIndex("i", [3]), [7]);
    assert.deepEqual(db.snmpGetNextIndex("i", [2, 0]), [7]);
    assert.equal(db.snmpGetNextIndex("i", [10]), undefined);
    assert.equal(db.snmpGetNextIndex("i", [99]), undefined);
    assert.deepEqual(db.snmpGetRow("i", [7]), { k: 7, v: "v7" });
    assert.equal(db.snmpGetRow("i", [8]), undefined);
    assert.equal(db.snmpGetMnesiaKey("i", [7]), 7);
    assert.equal(db.snmpGetMnesiaKey("i", [8]), undefined);
    assert.equal(db.snmpGetMnesiaKey("i", []), undefined);
  });

  it("integer keys: 1n is the key 1", async () => {
    const db = await Mneme.open();
    await db.createTable("i", { attributes: ["k", "v"], snmp: { key: "integer" } });
    db.dirtyWrite("i", { k: 5n, v: "a" });
    assert.deepEqual(db.snmpGetNextIndex("i", []), [5]);
    assert.deepEqual(db.snmpGetRow("i", [5]), { k: 5n, v: "a" });
    db.dirtyWrite("i", { k: 5, v: "b" });
    assert.deepEqual(rows(db, "i").length, 1);
    assert.deepEqual(db.snmpGetRow("i", [5])?.v, "b");
  });

  it("string keys: [length, ...codes], so shorter strings come first", async () => {
    const db = await Mneme.open();
    await db.createTable("s", { attributes: ["k", "v"], snmp: { key: "string" } });
    for (const k of ["bb", "a", "ccc", "ab", "", [104, 105]]) db.dirtyWrite("s", { k, v: 1 });
    assert.deepEqual(rows(db, "s"), [
      [[0], ""],
      [[1, 97], "a"],
      [[2, 97, 98], "ab"],
      [[2, 98, 98], "bb"],
      [
        [2, 104, 105],
        [104, 105],
      ],
      [[3, 99, 99, 99], "ccc"],
    ]);
    assert.deepEqual(db.snmpGetNextIndex("s", [2]), [2, 97, 98]);
    assert.deepEqual(db.snmpGetNextIndex("s", [2, 97, 98]), [2, 98, 98]);
    assert.deepEqual(db.snmpGetRow("s", [1, 97]), { k: "a", v: 1 });
  });

  it("fix_string keys: the codes only, in plain lexicographic order", async () => {
    const db = await Mneme.open();
    await db.createTable("f", { attributes: ["k", "v"], snmp: { key: "fix_string" } });
    for (const k of ["bb", "a", "ccc", "ab"]) db.dirtyWrite("f", { k, v: 1 });
    assert.deepEqual(rows(db, "f"), [
      [[97], "a"],
      [[97, 98], "ab"],
      [[98, 98], "bb"],
      [[99, 99, 99], "ccc"],
    ]);
  });

  it("tuple keys: the concatenation of the parts' indexes", async () => {
    const db = await Mneme.open();
    await db.createTable("t", { attributes: ["k", "v"], snmp: { key: ["integer", "string"] } });
    for (const k of [
      [2, "a"],
      [1, "zz"],
      [1, "b"],
      [2, ""],
    ]) {
      db.dirtyWrite("t", { k, v: 1 });
    }
    assert.deepEqual(rows(db, "t"), [
      [
        [1, 1, 98],
        [1, "b"],
      ],
      [
        [1, 2, 122, 122],
        [1, "zz"],
      ],
      [
        [2, 0],
        [2, ""],
      ],
      [
        [2, 1, 97],
        [2, "a"],
      ],
    ]);
    // a prefix and absent rows (as Mnesia: next of [1] is [1,1,98], of [1,5] is [2,...])
    assert.deepEqual(db.snmpGetNextIndex("t", [1]), [1, 1, 98]);
    assert.deepEqual(db.snmpGetNextIndex("t", [1, 5]), [2, 0]);
    assert.deepEqual(db.snmpGetNextIndex("t", [1, 2, 122]), [1, 2, 122, 122]);
    assert.deepEqual(db.snmpGetRow("t", [1, 1, 98]), { k: [1, "b"], v: 1 });
    assert.deepEqual(db.snmpGetMnesiaKey("t", [1, 1, 98]), [1, "b"]);
  });
});

describe("SNMP rows follow the table", () => {
  it("writes, deletes, transactions, counters, clearTable and transformTable", async () => {
    const db = await Mneme.open();
    await db.createTable("i", { attributes: ["k", "v"], snmp: { key: "integer" } });
    db.dirtyWrite("i", { k: 3, v: 0 });
    db.dirtyWrite("i", { k: 1, v: 0 });
    db.dirtyDelete("i", 3);
    assert.deepEqual(rows(db, "i"), [[[1], 1]]);
    db.transactionSync((tx) => {
      tx.write("i", { k: 4, v: 0 });
      tx.delete("i", 1);
    });
    assert.deepEqual(rows(db, "i"), [[[4], 4]]);
    assert.throws(
      () =>
        db.transactionSync((tx) => {
          tx.write("i", { k: 9, v: 0 });
          tx.abort("no");
        }),
      TransactionAborted,
    );
    assert.deepEqual(rows(db, "i"), [[[4], 4]]);
    assert.equal(db.dirtyUpdateCounter("i", 2, 5), 5);
    assert.deepEqual(rows(db, "i"), [
      [[2], 2],
      [[4], 4],
    ]);
    db.dirtyDeleteObject("i", { k: 2, v: 5 });
    assert.deepEqual(rows(db, "i"), [[[4], 4]]);
    await db.transformTable("i", (r) => ({ k: r.k, v: r.v, w: "x" }), ["k", "v", "w"]);
    assert.deepEqual(db.snmpGetRow("i", [4]), { k: 4, v: 0, w: "x" });
    assert.deepEqual(db.tableInfo("i", "snmp"), { key: "integer" });
    await db.clearTable("i");
    assert.deepEqual(rows(db, "i"), []);
    db.dirtyWrite("i", { k: 1, v: 0, w: "y" });
    assert.deepEqual(rows(db, "i"), [[[1], 1]]);
  });

  it("a bag: one row per key, while a record of the key remains", async () => {
    const db = await Mneme.open();
    await db.createTable("b", { attributes: ["k", "v"], type: "bag", snmp: { key: "integer" } });
    db.dirtyWrite("b", { k: 1, v: 1 });
    db.dirtyWrite("b", { k: 1, v: 2 });
    assert.deepEqual(rows(db, "b"), [[[1], 1]]);
    assert.deepEqual(db.snmpGetRow("b", [1]), { k: 1, v: 1 });
    db.dirtyDeleteObject("b", { k: 1, v: 1 });
    assert.deepEqual(db.snmpGetRow("b", [1]), { k: 1, v: 2 });
    db.dirtyDeleteObject("b", { k: 1, v: 2 });
    assert.deepEqual(rows(db, "b"), []);
  });

  it("a key that does not fit the SNMP type: bad_type, and nothing is written", async () => {
    const db = await Mneme.open();
    await db.createTable("i", { attributes: ["k", "v"], snmp: { key: "integer" } });
    await db.createTable("t", { attributes: ["k", "v"], snmp: { key: ["integer", "string"] } });
    for (const k of ["x", 1.5, [1], true]) {
      throwsMneme(() => db.dirtyWrite("i", { k, v: 1 }), BadTypeError, "bad_type", {
        table: "i",
        key: k,
        message: /does not fit its SNMP key type/,
      });
    }
    for (const k of [[1], ["a", "b"], [1, "a", 2], [1, [1.5]], 1]) {
      throwsMneme(() => db.dirtyWrite("t", { k, v: 1 }), BadTypeError, "bad_type", {
        table: "t",
        key: k,
      });
    }
    throwsMneme(() => db.dirtyUpdateCounter("i", "zz", 1), BadTypeError, "bad_type", {
      table: "i",
      key: "zz",
    });
    assert.throws(
      () => db.transactionSync((tx) => tx.write("i", { k: "x", v: 1 })),
      (e: unknown) =>
        e instanceof TransactionAborted &&
        e.reason === "bad_type" &&
        e.cause instanceof BadTypeError,
    );
    assert.equal(db.tableInfo("i", "size"), 0);
    assert.equal(db.tableInfo("t", "size"), 0);
  });
});

describe("snmpOpenTable / snmpCloseTable", () => {
  it("opening orders the existing records and sets the snmp property; closing removes both", async () => {
    const db = await Mneme.open();
    await db.createTable("s", { attributes: ["k", "v"] });
    for (const k of ["bb", "a"]) db.dirtyWrite("s", { k, v: 1 });
    db.snmpOpenTable("s", { key: "string" });
    assert.deepEqual(db.tableInfo("s", "snmp"), { key: "string" });
    assert.deepEqual(rows(db, "s"), [
      [[1, 97], "a"],
      [[2, 98, 98], "bb"],
    ]);
    // from now on keys must fit, and new rows are ordered
    throwsMneme(() => db.dirtyWrite("s", { k: 3, v: 1 }), BadTypeError, "bad_type", {
      table: "s",
      key: 3,
    });
    db.dirtyWrite("s", { k: "ab", v: 1 });
    assert.deepEqual(db.snmpGetNextIndex("s", [1, 97]), [2, 97, 98]);
    db.snmpCloseTable("s");
    assert.deepEqual(db.tableInfo("s", "snmp"), []);
    throwsMneme(() => db.snmpGetNextIndex("s", []), BadArgError, "badarg", {
      table: "s",
      message: /table s is not SNMP ordered/,
    });
    // closing a table that is not SNMP ordered is fine; keys are free again
    db.snmpCloseTable("s");
    db.dirtyWrite("s", { k: 3, v: 1 });
    // reopening orders what fits and leaves the rest out
    db.snmpOpenTable("s", { key: "fix_string" });
    assert.deepEqual(
      rows(db, "s").map(([, k]) => k),
      ["a", "ab", "bb"],
    );
  });

  it("a table created with snmp can be closed", async () => {
    const db = await Mneme.open();
    await db.createTable("i", { attributes: ["k", "v"], snmp: { key: "integer" } });
    db.snmpCloseTable("i");
    assert.deepEqual(db.tableInfo("i", "snmp"), []);
    db.dirtyWrite("i", { k: "free", v: 1 });
    throwsMneme(() => db.snmpGetRow("i", [1]), BadArgError, "badarg", { table: "i", value: [1] });
  });

  it("errors: already open (already_exists), bad struct (badarg), missing table (no_exists), in a transaction", async () => {
    const db = await Mneme.open();
    await db.createTable("i", { attributes: ["k", "v"], snmp: { key: "integer" } });
    await db.createTable("p", { attributes: ["k", "v"] });
    for (const struct of [{ key: "integer" }, { key: "string" }] as const) {
      throwsMneme(() => db.snmpOpenTable("i", struct), AlreadyExistsError, "already_exists", {
        table: "i",
        value: { key: "integer" },
      });
    }
    for (const struct of ["bad", null, {}, { key: "foo" }, { key: [] }, { key: ["integer", 3] }]) {
      throwsMneme(() => db.snmpOpenTable("p", struct as never), BadArgError, "badarg", {
        table: "p",
        value: struct,
      });
    }
    assert.deepEqual(db.tableInfo("p", "snmp"), []);
    throwsMneme(() => db.snmpOpenTable("missing", { key: "integer" }), NoExistsError, "no_exists", {
      table: "missing",
    });
    throwsMneme(() => db.snmpCloseTable("missing"), NoExistsError, "no_exists", {
      table: "missing",
    });
    assert.throws(
      () => db.transactionSync(() => db.snmpOpenTable("p", { key: "integer" })),
      (e: unknown) =>
        e instanceof TransactionAborted &&
        e.reason === "nested_transaction" &&
        e.cause instanceof NestedTransactionError,
    );
    assert.deepEqual(db.tableInfo("p", "snmp"), []);
  });

  it("reading rows: a table that is not SNMP ordered is badarg, a bad row index bad_type, a missing table no_exists", async () => {
    const db = await Mneme.open();
    await db.createTable("p", { attributes: ["k", "v"] });
    await db.createTable("i", { attributes: ["k", "v"], snmp: { key: "integer" } });
    for (const op of [
      () => db.snmpGetRow("p", [1]),
      () => db.snmpGetNextIndex("p", []),
      () => db.snmpGetMnesiaKey("p", [1]),
    ]) {
      throwsMneme(op, BadArgError, "badarg", { table: "p" });
    }
    for (const row of ["x", [1.5], ["a"], null, [Number.NaN]]) {
      throwsMneme(() => db.snmpGetRow("i", row as never), BadTypeError, "bad_type", {
        table: "i",
        value: row,
      });
      throwsMneme(() => db.snmpGetNextIndex("i", row as never), BadTypeError, "bad_type", {
        table: "i",
        value: row,
      });
      throwsMneme(() => db.snmpGetMnesiaKey("i", row as never), BadTypeError, "bad_type", {
        table: "i",
        value: row,
      });
    }
    for (const op of [
      () => db.snmpGetRow("missing", [1]),
      () => db.snmpGetNextIndex("missing", []),
      () => db.snmpGetMnesiaKey("missing", [1]),
    ]) {
      throwsMneme(op, NoExistsError, "no_exists", { table: "missing" });
    }
  });

  it("deleting the table ends its ordering; a new table of that name is not ordered", async () => {
    const db = await Mneme.open();
    await db.createTable("i", { attributes: ["k", "v"], snmp: { key: "integer" } });
    db.dirtyWrite("i", { k: 1, v: 1 });
    await db.deleteTable("i");
    await db.createTable("i", { attributes: ["k", "v"] });
    db.dirtyWrite("i", { k: "x", v: 1 });
    throwsMneme(() => db.snmpGetNextIndex("i", []), BadArgError, "badarg", { table: "i" });
  });
});
