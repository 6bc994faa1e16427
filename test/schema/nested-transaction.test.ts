// Schema functions called inside a transaction body, through the database object (Mnesia's
// nested_transaction, checked with erl): create_table, delete_table, add/del_table_index,
// transform_table, change_table_copy_type/access_mode/load_order/majority, dump_tables return
// {aborted, nested_transaction} (here: the promise rejects) and the body goes on; clear_table aborts
// the calling transaction. In either flavour the change is never applied, and an async body is
// never restarted because of it.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Mneme, NestedTransactionError, TransactionAborted } from "../../src/index.js";
import { assertError } from "../db/helpers.js";

interface Rec {
  k: number;
  v: number;
}

/** Every schema function that returns a promise, with the table info it would change. */
const OPS: Record<string, { run: (db: Mneme) => Promise<unknown>; info: (db: Mneme) => unknown }> =
  {
    createTable: {
      run: (db) => db.createTable("n", { attributes: ["k", "v"] }),
      info: (db) => db.systemInfo("tables"),
    },
    deleteTable: { run: (db) => db.deleteTable("t"), info: (db) => db.systemInfo("tables") },
    addTableIndex: {
      run: (db) => db.addTableIndex("t", "v"),
      info: (db) => db.tableInfo("t", "index"),
    },
    delTableIndex: {
      run: (db) => db.delTableIndex("u", "v"),
      info: (db) => db.tableInfo("u", "index"),
    },
    transformTable: {
      run: (db) => db.transformTable("t", (r: Rec) => ({ ...r, w: 0 }), ["k", "v", "w"]),
      info: (db) => [db.tableInfo("t", "attributes"), db.dirtyRead("t", 1)],
    },
    transformTableIgnore: {
      run: (db) => db.transformTable("t", "ignore", ["k", "w"]),
      info: (db) => db.tableInfo("t", "attributes"),
    },
    changeTableCopyType: {
      run: (db) => db.changeTableCopyType("t", db.node, "disc_copies"),
      info: (db) => db.tableInfo("t", "storage_type"),
    },
    changeTableAccessMode: {
      run: (db) => db.changeTableAccessMode("t", "read_only"),
      info: (db) => db.tableInfo("t", "access_mode"),
    },
    changeTableLoadOrder: {
      run: (db) => db.changeTableLoadOrder("t", 3),
      info: (db) => db.tableInfo("t", "load_order"),
    },
    changeTableMajority: {
      run: (db) => db.changeTableMajority("t", true),
      info: (db) => db.tableInfo("t", "majority"),
    },
    dumpTables: {
      run: (db) => db.dumpTables(["t"]),
      info: (db) => fs.readdirSync(db.systemInfo("directory") as string).sort(),
    },
  };

let dir: string;
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-nested-"));
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

let n = 0;
/** A disc schema (so copy-type changes are possible) with t and u (index on v), ram_copies, {1, 10} each. */
async function open(): Promise<Mneme> {
  const d = path.join(dir, String(n++));
  await Mneme.createSchema({ dir: d });
  const db = await Mneme.open({ dir: d });
  await db.createTable("t", { attributes: ["k", "v"] });
  await db.createTable("u", { attributes: ["k", "v"], index: ["v"] });
  db.dirtyWrite("t", { k: 1, v: 10 });
  db.dirtyWrite("u", { k: 1, v: 10 });
  return db;
}

function isNested(e: unknown): boolean {
  assertError(e, NestedTransactionError, "nested_transaction");
  return true;
}

function isAbortedNested(e: unknown): boolean {
  assert.ok(e instanceof TransactionAborted, String(e));
  assert.equal(e.reason, "nested_transaction");
  assert.ok(e.cause instanceof NestedTransactionError);
  return true;
}

// Before the fix some of these restarted forever: fail instead of hanging.
const LIMIT = { timeout: 10_000 };

describe("a schema function inside an async transaction body", LIMIT, () => {
  for (const [name, op] of Object.entries(OPS)) {
    it(`${name}: rejects with nested_transaction, is not applied; the body goes on and commits`, async () => {
      const db = await open();
      const before = op.info(db);
      const result = await db.transaction(async (tx) => {
        await tx.write("t", { k: 2, v: 20 });
        await assert.rejects(op.run(db), isNested);
        return "body returned";
      });
      assert.equal(result, "body returned");
      assert.deepEqual(op.info(db), before);
      assert.deepEqual(db.dirtyRead("t", 2), [{ k: 2, v: 20 }]);
      assert.equal(db.systemInfo("transaction_restarts"), 0);
      await db.close();
    });

    it(`${name}: not caught, it aborts the transaction with nested_transaction`, async () => {
      const db = await open();
      const before = op.info(db);
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.write("t", { k: 2, v: 20 });
          await op.run(db);
        }),
        isAbortedNested,
      );
      assert.deepEqual(op.info(db), before);
      assert.deepEqual(db.dirtyRead("t", 2), []);
      assert.equal(db.systemInfo("transaction_restarts"), 0);
      await db.close();
    });
  }

  it("clearTable: aborts the transaction with nested_transaction at once, awaited or not; nothing cleared, no restart", async () => {
    const db = await open();
    for (const body of [
      async (tx: Parameters<Parameters<Mneme["transaction"]>[0]>[0]) => {
        await tx.write("t", { k: 2, v: 20 });
        await db.clearTable("t");
      },
      async (tx: Parameters<Parameters<Mneme["transaction"]>[0]>[0]) => {
        await tx.write("t", { k: 2, v: 20 });
        void db.clearTable("t");
        await tx.write("t", { k: 3, v: 30 });
      },
    ]) {
      await assert.rejects(db.transaction(body), isAbortedNested);
      assert.deepEqual(db.dirtyAllKeys("t"), [1]);
    }
    assert.equal(db.systemInfo("transaction_restarts"), 0);
    await db.close();
  });

  it("clearTable: a body that catches it goes on and commits (as with catch in Mnesia)", async () => {
    const db = await open();
    const r = await db.transaction(async (tx) => {
      await tx.write("t", { k: 2, v: 20 });
      assert.throws(() => db.clearTable("t"), isNested);
      return "caught";
    });
    assert.equal(r, "caught");
    assert.deepEqual([...db.dirtyAllKeys("t")].sort(), [1, 2]);
    await db.close();
  });

  it("no endless restarts: clearTable on a table the body wrote settles at once", async () => {
    const db = await open();
    let runs = 0;
    const txn = db.transaction(async (tx) => {
      runs++;
      await tx.write("t", { k: 2, v: 20 });
      await db.clearTable("t");
    });
    const settled = await Promise.race([
      txn.then(
        () => "committed",
        (e: unknown) => (isAbortedNested(e) ? "aborted" : "other"),
      ),
      new Promise((r) => setTimeout(() => r("still running after 2 s"), 2000)),
    ]);
    assert.equal(settled, "aborted");
    assert.equal(runs, 1);
    assert.deepEqual(db.dirtyAllKeys("t"), [1]);
    await db.close();
  });

  it("inside a nested transaction, a dirty activity in it, and after an await of another table", async () => {
    const db = await open();
    await assert.rejects(
      db.transaction(async (tx) =>
        tx.transaction(async (inner) => {
          await inner.read("u", 1);
          await db.deleteTable("t");
        }),
      ),
      isAbortedNested,
    );
    await assert.rejects(
      db.transaction(async (tx) => tx.asyncDirty(() => db.deleteTable("t"))),
      isAbortedNested,
    );
    assert.deepEqual(db.systemInfo("tables"), ["schema", "t", "u"].sort());
    await db.close();
  });

  it("a callback the body scheduled, run after the transaction ended, is not inside it", async () => {
    const db = await open();
    let later: Promise<unknown> | undefined;
    await db.transaction(async (tx) => {
      await tx.write("t", { k: 2, v: 20 });
      later = new Promise((resolve) => setTimeout(resolve, 10)).then(() => db.clearTable("t"));
    });
    await later;
    assert.deepEqual(db.dirtyAllKeys("t"), []);
    await db.close();
  });
});

describe("a schema function inside a synchronous transaction body", LIMIT, () => {
  for (const [name, op] of Object.entries(OPS)) {
    it(`${name}: rejects with nested_transaction, is not applied; the body commits`, async () => {
      const db = await open();
      const before = op.info(db);
      let p: Promise<unknown> | undefined;
      const result = db.transactionSync((tx) => {
        tx.write("t", { k: 2, v: 20 });
        p = op.run(db);
        return "body returned";
      });
      assert.equal(result, "body returned");
      await assert.rejects(p!, isNested);
      assert.deepEqual(op.info(db), before);
      assert.deepEqual(db.dirtyRead("t", 2), [{ k: 2, v: 20 }]);
      await db.close();
    });
  }

  it("clearTable: the transaction aborts with nested_transaction; nothing cleared or written", async () => {
    const db = await open();
    assert.throws(
      () =>
        db.transactionSync((tx) => {
          tx.write("t", { k: 2, v: 20 });
          void db.clearTable("t");
        }),
      isAbortedNested,
    );
    assert.deepEqual(db.dirtyAllKeys("t"), [1]);
    await db.close();
  });
});
