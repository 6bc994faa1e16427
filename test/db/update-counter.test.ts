// dirtyUpdateCounter exactly as real Mnesia's dirty_update_counter (FACTS Q1).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  BadTypeError,
  CombineError,
  Mneme,
  NoExistsError,
  TransactionAborted,
} from "../../src/index.js";
import { throwsMneme } from "./helpers.js";

async function counters(type: "set" | "ordered_set" = "set") {
  const db = await Mneme.open();
  const c = await db.createTable<{ k: unknown; n: unknown }>("c", {
    attributes: ["k", "n"],
    type,
    index: ["n"],
  });
  return { db, c };
}

describe("dirtyUpdateCounter: arithmetic (FACTS Q1)", () => {
  for (const type of ["set", "ordered_set"] as const) {
    it(`${type}: a missing key starts from the increment, never below 0`, async () => {
      const { db } = await counters(type);
      assert.equal(db.dirtyUpdateCounter("c", "a", 5), 5);
      assert.deepEqual(db.dirtyRead("c", "a"), [{ k: "a", n: 5 }]);
      assert.equal(db.dirtyUpdateCounter("c", "a", 5), 10);
      assert.equal(db.dirtyUpdateCounter("c", "b", -5), 0);
      assert.deepEqual(db.dirtyRead("c", "b"), [{ k: "b", n: 0 }]);
      assert.equal(db.dirtyUpdateCounter("c", "z", 0), 0);
      assert.deepEqual(db.dirtyRead("c", "z"), [{ k: "z", n: 0 }]);
    });
  }

  it("negative increments clamp at 0", async () => {
    const { db } = await counters();
    db.dirtyWrite("c", { k: "x", n: 3 });
    assert.equal(db.dirtyUpdateCounter("c", "x", -2), 1);
    assert.equal(db.dirtyUpdateCounter("c", "x", -1), 0);
    assert.equal(db.dirtyUpdateCounter("c", "x", -1), 0);
    db.dirtyWrite("c", { k: "x", n: 3 });
    assert.equal(db.dirtyUpdateCounter("c", "x", -10), 0);
    assert.deepEqual(db.dirtyRead("c", "x"), [{ k: "x", n: 0 }]);
    assert.equal(db.dirtyUpdateCounter("c", "x", -10), 0);
    assert.equal(db.dirtyUpdateCounter("c", "x", 0), 0);
  });

  it("a negative stored value is reset to the increment (or 0)", async () => {
    const { db } = await counters();
    db.dirtyWrite("c", { k: "n", n: -7 });
    assert.equal(db.dirtyUpdateCounter("c", "n", 2), 2);
    assert.deepEqual(db.dirtyRead("c", "n"), [{ k: "n", n: 2 }]);
    assert.equal(db.dirtyUpdateCounter("c", "n", -1), 1);
    db.dirtyWrite("c", { k: "m", n: -7 });
    assert.equal(db.dirtyUpdateCounter("c", "m", -1), 0);
  });

  it("a non-integer stored value is overwritten with the increment (or 0), no error", async () => {
    const { db } = await counters();
    for (const [k, n] of [
      ["y", "foo"],
      ["z", 1.5],
      ["o", { a: 1 }],
      ["l", [1]],
      ["u", null],
    ] as const) {
      db.dirtyWrite("c", { k, n });
      assert.equal(db.dirtyUpdateCounter("c", k, 1), 1);
      assert.deepEqual(db.dirtyRead("c", k), [{ k, n: 1 }]);
      db.dirtyWrite("c", { k, n });
      assert.equal(db.dirtyUpdateCounter("c", k, -1), 0);
      assert.deepEqual(db.dirtyRead("c", k), [{ k, n: 0 }]);
    }
  });

  it("bigint increments and values: exact beyond 2^53, numbers while safe", async () => {
    const { db } = await counters();
    assert.equal(db.dirtyUpdateCounter("c", "big", 1n << 70n), 1180591620717411303424n);
    assert.equal(db.dirtyUpdateCounter("c", "big", 1), 1180591620717411303425n);
    assert.deepEqual(db.dirtyRead("c", "big"), [{ k: "big", n: 1180591620717411303425n }]);
    assert.equal(db.dirtyUpdateCounter("c", "big", -(1n << 70n)), 1);
    assert.deepEqual(db.dirtyRead("c", "big"), [{ k: "big", n: 1 }]);
    assert.equal(
      db.dirtyUpdateCounter("c", "max", Number.MAX_SAFE_INTEGER),
      Number.MAX_SAFE_INTEGER,
    );
    assert.equal(db.dirtyUpdateCounter("c", "max", 1), 9007199254740992n);
    assert.equal(db.dirtyUpdateCounter("c", "max", -1), Number.MAX_SAFE_INTEGER);
    assert.equal(db.dirtyUpdateCounter("c", "small", 5n), 5);
    assert.deepEqual(db.dirtyRead("c", "small"), [{ k: "small", n: 5 }]);
    assert.equal(db.dirtyUpdateCounter("c", 12345678901234567890n, 1), 1);
    assert.deepEqual(db.dirtyRead("c", 12345678901234567890n), [
      { k: 12345678901234567890n, n: 1 },
    ]);
  });

  it("1 and 1n are the same key", async () => {
    const { db } = await counters("ordered_set");
    assert.equal(db.dirtyUpdateCounter("c", 1, 1), 1);
    assert.equal(db.dirtyUpdateCounter("c", 1n, 1), 2);
    assert.deepEqual(db.dirtyRead("c", 1), [{ k: 1, n: 2 }]);
    assert.deepEqual(db.dirtyAllKeys("c"), [1]);
  });

  it("keeps the indexes", async () => {
    const { db } = await counters();
    assert.equal(db.dirtyUpdateCounter("c", "a", 5), 5);
    assert.deepEqual(db.dirtyIndexRead("c", 5, "n"), [{ k: "a", n: 5 }]);
    assert.equal(db.dirtyUpdateCounter("c", "a", 1), 6);
    assert.deepEqual(db.dirtyIndexRead("c", 6, "n"), [{ k: "a", n: 6 }]);
    assert.deepEqual(db.dirtyIndexRead("c", 5, "n"), []);
  });

  it("the record name does not matter", async () => {
    const db = await Mneme.open();
    await db.createTable("p", { attributes: ["k", "n"], recordName: "rec" });
    assert.equal(db.dirtyUpdateCounter("p", "a", 2), 2);
    assert.deepEqual(db.dirtyRead("p", "a"), [{ k: "a", n: 2 }]);
  });

  it("inside a transaction it stays dirty: an abort does not undo it", async () => {
    const { db } = await counters();
    assert.throws(
      () =>
        db.transactionSync((tx) => {
          db.dirtyUpdateCounter("c", "a", 1);
          tx.abort("x");
        }),
      (e: unknown) => e instanceof TransactionAborted && e.reason === "x",
    );
    assert.deepEqual(db.dirtyRead("c", "a"), [{ k: "a", n: 1 }]);
  });
});

describe("dirtyUpdateCounter: errors (FACTS Q1)", () => {
  it("a bag: combine_error, nothing stored", async () => {
    const db = await Mneme.open();
    await db.createTable("cb", { attributes: ["k", "n"], type: "bag" });
    throwsMneme(() => db.dirtyUpdateCounter("cb", "a", 5), CombineError, "combine_error", {
      table: "cb",
      key: "a",
      message:
        /update_counter needs a set or ordered_set with exactly two attributes; cb is not one/,
    });
    assert.deepEqual(db.dirtyRead("cb", "a"), []);
  });

  it("a table with more than two attributes: combine_error, for a missing and an existing key", async () => {
    const db = await Mneme.open();
    await db.createTable("c3", { attributes: ["k", "a", "b"] });
    throwsMneme(() => db.dirtyUpdateCounter("c3", "a", 5), CombineError, "combine_error", {
      table: "c3",
      key: "a",
    });
    assert.deepEqual(db.dirtyRead("c3", "a"), []);
    db.dirtyWrite("c3", { k: "b", a: 1, b: 2 });
    throwsMneme(() => db.dirtyUpdateCounter("c3", "b", 5), CombineError, "combine_error", {
      table: "c3",
      key: "b",
    });
    assert.deepEqual(db.dirtyRead("c3", "b"), [{ k: "b", a: 1, b: 2 }]);
  });

  it("a non-integer increment: bad_type naming table, key and increment; nothing stored", async () => {
    const { db } = await counters();
    db.dirtyWrite("c", { k: "x", n: 3 });
    for (const incr of [1.5, "foo", Number.NaN, Infinity, null, undefined, 2 ** 60]) {
      for (const key of ["x", "newkey"]) {
        throwsMneme(
          () => db.dirtyUpdateCounter("c", key, incr as never),
          BadTypeError,
          "bad_type",
          {
            table: "c",
            key,
            value: incr,
            message: /update_counter on c: the increment must be an integer/,
          },
        );
      }
    }
    assert.deepEqual(db.dirtyRead("c", "x"), [{ k: "x", n: 3 }]);
    assert.deepEqual(db.dirtyRead("c", "newkey"), []);
  });

  it("a bad key: bad_type; a missing table: no_exists", async () => {
    const { db } = await counters();
    for (const key of [undefined, Number.NaN, { a: 1 }]) {
      throwsMneme(() => db.dirtyUpdateCounter("c", key as never, 1), BadTypeError, "bad_type", {
        table: "c",
        key,
      });
    }
    throwsMneme(() => db.dirtyUpdateCounter("missing", "a", 1), NoExistsError, "no_exists", {
      table: "missing",
    });
  });
});
