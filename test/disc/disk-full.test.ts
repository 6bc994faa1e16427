// A full disc, for real (a small tmpfs): a commit that cannot be logged fails with a typed
// error and leaves nothing behind, and the database carries on by itself once there is space.
// The disc_only_copies case (LMDB) runs in a child process: test/crash/diskfull.test.ts.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { DiskFullError, Mneme, type Table, TransactionAborted } from "../../src/index.js";
import { scanWal } from "../../src/wal/index.js";
import { fillDisk, withTmpfs } from "./tmpfs.js";

interface Rec {
  id: number;
  blob: string;
}
const BLOB = "b".repeat(1500);

async function open(dir: string) {
  // No dump on its own: the test decides when checkpoints run.
  return Mneme.open({ dir, dumpLogWriteThreshold: 1e9, dumpLogTimeThreshold: 1e9 });
}

function isDiskFull(e: unknown): boolean {
  const cause = e instanceof TransactionAborted ? e.cause : e;
  return cause instanceof DiskFullError && cause.code === "ENOSPC" && cause.reason === "file_error";
}

describe("disc_copies on a full disc", () => {
  it("failed commits are typed, invisible, not persisted; commits succeed again after space returns", async () => {
    await withTmpfs("4m", async (dir) => {
      await Mneme.createSchema({ dir });
      let db = await open(dir);
      const t: Table<Rec, "id"> = await db.createTable<Rec, "id">("t", {
        attributes: ["id", "blob"],
        discCopies: [db.node],
      });
      await db.transaction(async (tx) => tx.write(t, { id: 0, blob: BLOB }));
      const filler = fillDisk(dir);
      const ok: number[] = [];
      const failed: number[] = [];
      for (let id = 1; id <= 60; id++) {
        try {
          if (id % 3 === 0) db.transactionSync((tx) => tx.write(t, { id, blob: BLOB }));
          else if (id % 3 === 1)
            await db.transaction(async (tx) => tx.write(t, { id, blob: BLOB }));
          else db.dirtyWrite(t, { id, blob: BLOB });
          ok.push(id);
        } catch (e) {
          assert.ok(isDiskFull(e), `commit ${id}: ${String(e)}`);
          failed.push(id);
        }
      }
      // The last page of the log may still take a record or two.
      assert.ok(failed.length >= 55, `failed ${failed.length}`);
      for (const id of failed) assert.deepEqual(db.dirtyRead(t, id), [], `record ${id} visible`);
      assert.equal(scanWal(path.join(dir, "wal")).damage, undefined);

      fs.rmSync(filler);
      // Half of the failed ones are written again; the others must never turn up, not after a
      // checkpoint (which writes what is in RAM) nor after a reopen.
      const redo = failed.filter((id) => id % 2 === 0);
      for (const id of redo) await db.transaction(async (tx) => tx.write(t, { id, blob: "x" }));
      db.dirtyWrite(t, { id: 100, blob: "y" });
      await db.dumpLog();
      await db.close();

      db = await open(dir);
      const t2 = db.table<Rec, "id">("t");
      assert.equal(db.tableInfo(t2, "size"), 1 + ok.length + redo.length + 1);
      for (const id of failed) {
        assert.deepEqual(db.dirtyRead(t2, id), id % 2 === 0 ? [{ id, blob: "x" }] : []);
      }
      for (const id of ok) assert.deepEqual(db.dirtyRead(t2, id), [{ id, blob: BLOB }]);
      assert.deepEqual(db.dirtyRead(t2, 100), [{ id: 100, blob: "y" }]);
      await db.close();
    });
  });

  it("a checkpoint on a full disc fails cleanly, keeps the log, and succeeds later", async () => {
    await withTmpfs("4m", async (dir) => {
      await Mneme.createSchema({ dir });
      let db = await open(dir);
      // u first: its snapshot is written (and must be deleted again) before t's fails.
      const u = await db.createTable<Rec, "id">("u", {
        attributes: ["id", "blob"],
        discCopies: [db.node],
      });
      const t = await db.createTable<Rec, "id">("t", {
        attributes: ["id", "blob"],
        discCopies: [db.node],
      });
      await db.transaction(async (tx) => {
        for (let id = 0; id < 300; id++) tx.write(t, { id, blob: BLOB });
        tx.write(u, { id: 0, blob: "small" });
      });
      const before = fs.readdirSync(dir).sort();
      const filler = fillDisk(dir);
      // A little room: the snapshot of u fits, t's does not.
      fs.truncateSync(filler, fs.statSync(filler).size - 64 * 1024);
      await assert.rejects(db.dumpLog(), (e: unknown) => isDiskFull(e));
      // Nothing of the failed checkpoint is left; the log is whole.
      assert.deepEqual(fs.readdirSync(dir).sort(), [...before, "filler"].sort());
      assert.equal(scanWal(path.join(dir, "wal")).entries.length, 3);

      fs.rmSync(filler);
      await db.dumpLog();
      await db.close();
      db = await open(dir);
      assert.equal(db.tableInfo(db.table<Rec, "id">("t"), "size"), 300);
      assert.deepEqual(db.dirtyRead(db.table<Rec, "id">("u"), 0), [{ id: 0, blob: "small" }]);
      await db.close();
    });
  });
});
