// A commit whose logged changes are larger than one WAL entry holds is refused with system_limit
// naming the tables, before anything is logged or applied (issue #8). The real limit is 1 GiB; the
// test lowers it on the live log so as not to allocate gigabytes.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import type { DurableLog } from "../../src/disc/durable-log.js";
import { Mneme, SystemLimitError, TransactionAborted } from "../../src/index.js";
import { MAX_ENTRY_BYTES } from "../../src/wal/record.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-entry-size-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

function logOf(db: Mneme): DurableLog {
  return (db as unknown as { core: { log: DurableLog } }).core.log;
}

describe("a commit larger than a WAL entry", () => {
  it("is system_limit naming the tables; nothing is stored, later commits and a reopen work", async () => {
    await Mneme.createSchema({ dir });
    let db = await Mneme.open({ dir });
    await db.createTable("a", { attributes: ["k", "v"], discCopies: [db.node] });
    await db.createTable("b", { attributes: ["k", "v"], discOnlyCopies: [db.node] });
    await db.createTable("r", { attributes: ["k", "v"] });
    const log = logOf(db);
    assert.equal(log.maxEntryBytes, MAX_ENTRY_BYTES);
    assert.equal(MAX_ENTRY_BYTES, 2 ** 30 - 8);
    log.maxEntryBytes = 10_000;
    const big = "x".repeat(6_000);
    const before = log.position;
    const e = await db
      .transaction(async (tx) => {
        await tx.write("a", { k: 1, v: big });
        await tx.write("b", { k: 1, v: big });
        await tx.write("r", { k: 1, v: big }); // ram_copies: not logged, not counted
      })
      .catch((err: unknown) => err);
    assert.ok(e instanceof TransactionAborted);
    assert.equal(e.reason, "system_limit");
    const cause = e.cause;
    assert.ok(cause instanceof SystemLimitError);
    assert.equal(cause.table, "a");
    assert.match(
      cause.message,
      /^system_limit: the changes to a, b in one commit encode to \d+ bytes, more than a WAL entry holds \(10000 bytes\); nothing was stored: write them in several smaller transactions$/,
    );
    assert.throws(() => db.dirtyWrite("a", { k: 2, v: `${big}${big}` }), SystemLimitError);
    for (const t of ["a", "b", "r"]) assert.deepEqual(db.dirtyAllKeys(t), []);
    // Smaller commits go on, and the log has no gap where the refused ones were.
    await db.transaction(async (tx) => tx.write("a", { k: 3, v: big }));
    assert.equal(log.position, before + 1);
    db.dirtyWrite("b", { k: 4, v: "small" });
    await db.close();
    db = await Mneme.open({ dir });
    assert.deepEqual(db.dirtyAllKeys("a"), [3]);
    assert.deepEqual(db.dirtyRead("b", 4), [{ k: 4, v: "small" }]);
    await db.close();
  });
});
