// Early lock release in fsync mode: a transaction's locks go when its entry is written, before its
// fsync, so a transaction that read its writes may commit before that fsync; it must not be
// acknowledged before it, even when it has nothing of its own to make durable.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { FileError, Mneme, type Table, TransactionAborted } from "../../src/index.js";

interface Rec {
  id: number;
  v: number;
}

let dir: string;
let db: Mneme;
let disc: Table<Rec, "id">;
let ram: Table<Rec, "id">;
beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-elr-"));
  await Mneme.createSchema({ dir });
  db = await Mneme.open({ dir, durability: "fsync" });
  disc = await db.createTable<Rec, "id">("disc", {
    attributes: ["id", "v"],
    discCopies: [db.node],
  });
  ram = await db.createTable<Rec, "id">("ram", { attributes: ["id", "v"] });
});
afterEach(async () => {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Starts a transaction writing disc/1 and returns its promise, recording when it resolves. */
function writer(order: string[]): Promise<void> {
  return db
    .transaction(async (tx) => {
      await tx.write(disc, { id: 1, v: 1 });
    })
    .then(() => {
      order.push("writer");
    });
}

describe("early lock release (fsync mode)", () => {
  it("transactions queued on a hot record all commit before any fsync completes", async () => {
    await db.transaction(async (tx) => tx.write(disc, { id: 9, v: 0 }));
    const acked: number[] = [];
    const all = Array.from({ length: 20 }, (_, i) =>
      db
        .transaction(async (tx) => {
          const [r] = await tx.wread(disc, 9);
          await tx.write(disc, { id: 9, v: r!.v + 1 });
        })
        .then(() => acked.push(i)),
    );
    // Microtask turns only: no fdatasync can complete in between, yet each transaction got the
    // lock its predecessor released at its commit.
    let turns = 0;
    while (db.dirtyRead(disc, 9)[0]!.v < 20 && turns < 100_000) {
      turns++;
      await null;
    }
    assert.deepEqual(db.dirtyRead(disc, 9), [{ id: 9, v: 20 }]);
    assert.deepEqual(acked, []);
    await Promise.all(all);
    assert.equal(acked.length, 20);
    assert.ok(db.systemInfo("log_fsyncs") < 20, `${db.systemInfo("log_fsyncs")} fsyncs`);
  });

  it("a read-only transaction that read an unacknowledged write is acknowledged after it", async () => {
    const order: string[] = [];
    const w = writer(order);
    // Its read lock waits for the writer's write lock, granted when the writer's entry is written.
    const r = db
      .transaction(async (tx) => (await tx.read(disc, 1))[0]?.v)
      .then((v) => {
        order.push(`reader ${v}`);
      });
    await Promise.all([w, r]);
    assert.deepEqual(order, ["writer", "reader 1"]);
  });

  it("a transaction writing only a ram_copies table waits for the fsync of what it read", async () => {
    const order: string[] = [];
    const w = writer(order);
    const r = db
      .transaction(async (tx) => {
        const [rec] = await tx.read(disc, 1);
        await tx.write(ram, { id: 1, v: rec?.v ?? 0 });
      })
      .then(() => {
        order.push("ram writer");
      });
    await Promise.all([w, r]);
    assert.deepEqual(order, ["writer", "ram writer"]);
    assert.deepEqual(db.dirtyRead(ram, 1), [{ id: 1, v: 1 }]);
  });

  it("a read-only transactionSync fsyncs the unacknowledged writes it may have read", async () => {
    const order: string[] = [];
    const w = writer(order);
    // Until the writer's entry is applied; its fsync cannot complete within this microtask run.
    while (db.dirtyRead(disc, 1).length === 0) await null;
    assert.deepEqual(order, []);
    const before = db.systemInfo("log_fsyncs");
    const v = db.transactionSync((tx) => tx.read(disc, 1)[0]?.v);
    assert.equal(v, 1);
    assert.equal(db.systemInfo("log_fsyncs"), before + 1);
    // Nothing pending any more: the next read-only transaction syncs nothing.
    db.transactionSync((tx) => tx.read(disc, 1));
    assert.equal(db.systemInfo("log_fsyncs"), before + 1);
    await w;
  });

  it('"os" mode: a read-only transaction syncs nothing, even with a write waiting for its fsync', async () => {
    const order: string[] = [];
    const w = writer(order);
    while (db.dirtyRead(disc, 1).length === 0) await null;
    const before = db.systemInfo("log_fsyncs");
    const v = db.transactionSync((tx) => tx.read(disc, 1)[0]?.v, { durability: "os" });
    assert.equal(v, 1);
    assert.equal(db.systemInfo("log_fsyncs"), before);
    await w;
  });

  it("a failed fsync aborts its transaction and every one that read it, with the FileError", async () => {
    const order: string[] = [];
    const w = writer(order);
    while (db.dirtyRead(disc, 1).length === 0) await null;
    const reader = db.transaction(async (tx) => (await tx.read(disc, 1))[0]?.v);
    // The segment deleted under the fsync in flight: it completes, but nothing would survive.
    const walDir = path.join(dir, "wal");
    for (const f of fs.readdirSync(walDir)) fs.unlinkSync(path.join(walDir, f));
    // As the commit of a write whose file vanished (test/disc/fs-errors.test.ts): the FileError.
    const isFileError = (e: unknown) => e instanceof FileError && e.reason === "file_error";
    await assert.rejects(w, isFileError);
    await assert.rejects(reader, isFileError);
    assert.deepEqual(order, []);
    // Nothing is acknowledged any more, read-only transactions included.
    await assert.rejects(
      db.transaction(async (tx) => tx.read(disc, 1)),
      isFileError,
    );
    // A write fails at its commit, as on a full disc: aborted, the FileError as cause.
    await assert.rejects(
      db.transaction(async (tx) => tx.write(disc, { id: 3, v: 3 })),
      (e: unknown) => e instanceof TransactionAborted && isFileError(e.cause),
    );
  });
});
