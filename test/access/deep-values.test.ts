// Keys and values nested too deeply (or cyclic) are bad_type naming the table and key, never a
// RangeError from a recursion, and nothing is stored; values at the limit work end to end, on disc.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  BadArgError,
  BadTypeError,
  Mneme,
  type MnemeError,
  TransactionAborted,
} from "../../src/index.js";
import { type Key, MAX_NESTING } from "../../src/keys/index.js";

/** An array nested `n` levels deep around 1. */
function nest(n: number): Key {
  let v: Key = 1;
  for (let i = 0; i < n; i++) v = [v];
  return v;
}
/** An object nested `n` levels deep around 1. */
function nestObject(n: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < n; i++) v = { a: v };
  return v;
}

const TOO_DEEP =
  /nested more than 1000 levels deep are not valid \(Mneme's limit for keys and values\): store a flatter value$/;

/** The error thrown (or carried by a TransactionAborted) by `f`. */
async function failure(f: () => unknown): Promise<MnemeError> {
  try {
    await f();
  } catch (e) {
    const err = e instanceof TransactionAborted ? e.cause : e;
    assert.ok(!(err instanceof RangeError), `a RangeError escaped: ${String(err)}`);
    return err as MnemeError;
  }
  return assert.fail("expected an error");
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-deep-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function openDisc(): Promise<Mneme> {
  await Mneme.createSchema({ dir });
  const db = await Mneme.open({ dir });
  await db.createTable("s", { attributes: ["k", "v"], discCopies: [db.node] });
  await db.createTable("o", { attributes: ["k", "v"], type: "ordered_set", discCopies: [db.node] });
  await db.createTable("d", { attributes: ["k", "v"], discOnlyCopies: [db.node] });
  await db.createTable("x", { attributes: ["k", "v"], index: ["v"] });
  return db;
}

describe("values and keys nested too deeply (issue #8)", () => {
  it(`MAX_NESTING is ${MAX_NESTING}`, () => {
    assert.equal(MAX_NESTING, 1000);
  });

  it("writes of a value nested 100,000 deep: bad_type naming the table and key; nothing stored", async () => {
    const db = await openDisc();
    for (const deep of [nest(100_000), nestObject(100_000), nest(MAX_NESTING + 1)]) {
      for (const t of ["s", "o", "d", "x"]) {
        const writes = [
          () => db.dirtyWrite(t, { k: 1, v: deep }),
          () => db.transactionSync((tx) => tx.write(t, { k: 1, v: deep })),
          () => db.transaction(async (tx) => tx.write(t, { k: 1, v: deep })),
          () => db.dirtyDeleteObject(t, { k: 1, v: deep }),
        ];
        for (const w of writes) {
          const e = await failure(w);
          assert.ok(e instanceof BadTypeError, String(e));
          assert.equal(e.table, t);
          assert.equal(e.key, 1);
          assert.match(
            e.message,
            new RegExp(`^bad_type: record of ${t} with key 1: attribute 'v': `),
          );
          assert.match(e.message, TOO_DEEP);
        }
        assert.deepEqual(db.dirtyAllKeys(t), []);
      }
    }
    await db.close();
  });

  it("a key nested too deeply: bad_type naming the table, for writes, reads, deletes and locks", async () => {
    const db = await openDisc();
    const deep = nest(100_000);
    for (const t of ["s", "o"]) {
      const ops = [
        () => db.dirtyWrite(t, { k: deep, v: 1 }),
        () => db.dirtyRead(t, deep),
        () => db.dirtyDelete(t, deep),
        () => db.dirtyNext(t, deep),
        () => db.dirtyUpdateCounter(t, deep, 1),
        () => db.transactionSync((tx) => tx.read(t, deep)),
        () => db.transaction(async (tx) => tx.write(t, { k: deep, v: 1 })),
        () => db.transaction(async (tx) => tx.lock({ record: t, key: deep }, "write")),
      ];
      for (const op of ops) {
        const e = await failure(op);
        assert.ok(e instanceof BadTypeError, String(e));
        assert.equal(e.table, t);
        assert.match(e.message, TOO_DEEP);
      }
      assert.deepEqual(db.dirtyAllKeys(t), []);
    }
    await db.close();
  });

  it("index reads by a value nested too deeply: bad_type naming the table and attribute", async () => {
    const db = await openDisc();
    for (const op of [
      () => db.dirtyIndexRead("x", nest(100_000), "v"),
      () => db.transactionSync((tx) => tx.indexRead("x", nest(100_000), "v")),
    ]) {
      const e = await failure(op);
      assert.ok(e instanceof BadTypeError, String(e));
      assert.equal(e.table, "x");
      assert.match(e.message, /^bad_type: index_read on x by 'v': arrays and objects nested more/);
    }
    await db.close();
  });

  it("patterns and match specs nested too deeply: badarg naming the table (Mnesia's reason for a bad pattern)", async () => {
    const db = await openDisc();
    const deep = nest(100_000);
    for (const op of [
      () => db.dirtySelect("s", [[{ k: "$1", v: deep }, [], ["$_"]]]),
      () => db.dirtySelect("s", [[{ k: deep, v: "_" }, [], ["$_"]]]),
      () => db.dirtyMatchObject("s", { k: "_", v: deep }),
      () => db.dirtyIndexMatchObject("x", { k: "_", v: deep }, "v"),
      () =>
        db.transactionSync((tx) =>
          tx.select("s", [[{ k: "$1", v: "$2" }, [["==", "$2", deep]], ["$_"]]]),
        ),
    ]) {
      const e = await failure(op);
      assert.ok(e instanceof BadArgError, String(e));
      assert.match(
        e.message,
        /nested too deeply for table [sx] \(keys and values nest at most 1000 levels\)/,
      );
    }
    await db.close();
  });

  it(`a key and a value nested ${MAX_NESTING} deep are stored, found and survive a reopen`, async () => {
    let db = await openDisc();
    const key = nest(MAX_NESTING - 1); // the record's key is inside no container
    const value = nestObject(MAX_NESTING);
    for (const t of ["s", "o", "x"]) db.dirtyWrite(t, { k: key, v: value });
    await db.transaction(async (tx) => tx.write("s", { k: 2, v: value }));
    db.dirtyWrite("d", { k: 1, v: value }); // LMDB keys are short: only the value is deep here
    await db.close();
    db = await Mneme.open({ dir });
    for (const t of ["s", "o"]) {
      assert.deepEqual(db.dirtyRead(t, key), [{ k: key, v: value }]);
      assert.deepEqual(db.dirtyMatchObject(t, { k: "_", v: value }).length, t === "s" ? 2 : 1);
    }
    assert.deepEqual(db.dirtyRead("s", 2), [{ k: 2, v: value }]);
    assert.deepEqual(db.dirtyRead("d", 1), [{ k: 1, v: value }]);
    await db.close();
  });
});

describe("an abort reason nested too deeply to print (issue #8)", () => {
  it("aborts with that reason instead of a RangeError from describing it", async () => {
    const db = await Mneme.open();
    const deep = nest(100_000);
    for (const run of [
      () => db.transactionSync((tx) => tx.abort(deep)),
      () => db.transaction(async (tx) => tx.abort(deep)),
    ]) {
      const e = await (async () => {
        try {
          await run();
        } catch (err) {
          return err;
        }
        return assert.fail("expected an abort");
      })();
      assert.ok(e instanceof TransactionAborted, String(e));
      assert.equal(e.reason, deep);
      assert.equal(e.message, "transaction aborted: [object Array]");
    }
  });
});
