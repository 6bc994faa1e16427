// db.metrics(): counters since open and gauges now, after a known workload.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { Mneme, type MnemeMetrics, TransactionAborted } from "../../src/index.js";

const NODE = "nonode@nohost";

const ZERO: MnemeMetrics = {
  commits: 0,
  aborts: 0,
  abortsByReason: {},
  restarts: 0,
  logWrites: 0,
  dirtyWrites: 0,
  lockWaits: 0,
  lockWaitMs: 0,
  slowLockWaits: 0,
  dumps: 0,
  dumpMs: 0,
  dumpBytes: 0,
  dumpFailures: 0,
  logRepairs: 0,
  walWrittenBytes: 0,
  walFsyncs: 0,
  subscriptionsDropped: 0,
  walBytes: 0,
  walSegments: 0,
  tables: 0,
  records: 0,
  subscriptions: 0,
  activeTransactions: 0,
  lockQueue: 0,
};

interface Row {
  k: number;
  v: unknown;
}

function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => {
    open = r;
  });
  return { wait, open };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until(done: () => boolean): Promise<void> {
  for (const start = Date.now(); !done(); await sleep(2)) {
    if (Date.now() - start > 10_000) assert.fail("timed out");
  }
}

/**
 * Wait-die: the younger transaction holds k 8 and wants the older one's k 9, so it dies and (with
 * retries left) queues for k 9, holding nothing, until the older one commits.
 */
async function conflict(db: Mneme, retries: number, during: () => void): Promise<unknown> {
  const olderHolds = gate();
  const finish = gate();
  const older = db.transaction(async (tx) => {
    await tx.write<Row>("t", { k: 9, v: "old" });
    olderHolds.open();
    await finish.wait;
  });
  const younger = db.transaction(
    async (tx) => {
      await tx.write<Row>("t", { k: 8, v: "young" });
      await olderHolds.wait;
      await tx.write<Row>("t", { k: 9, v: "young" });
    },
    { retries },
  );
  const outcome = younger.then(
    () => "committed",
    (e: unknown) => e,
  );
  if (retries > 0) await until(() => db.systemInfo("lock_queue").length === 1);
  else await outcome;
  during();
  finish.open();
  await older;
  return outcome;
}

describe("metrics", () => {
  it("counts commits, aborts by reason, restarts, lock waits, dirty writes; gauges follow", async () => {
    const db = await Mneme.open();
    assert.deepEqual(db.metrics(), ZERO);
    await db.createTable<Row>("t", { attributes: ["k", "v"] });
    db.transactionSync((tx) => {
      tx.write<Row>("t", { k: 1, v: 1 });
      tx.write<Row>("t", { k: 2, v: 2 });
    });
    await db.transaction(async (tx) => tx.write<Row>("t", { k: 3, v: 3 }));
    db.dirtyWrite<Row>("t", { k: 4, v: 4 });
    db.dirtyDelete<Row>("t", 4);
    db.dirtyUpdateCounter<Row>("t", 10, 5);
    assert.throws(() => db.transactionSync((tx) => tx.abort({ mine: 1 })), TransactionAborted);
    assert.throws(() => db.transactionSync((tx) => tx.read("missing", 1)), TransactionAborted);
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.read("missing", 1);
      }),
      TransactionAborted,
    );
    await assert.rejects(
      db.transaction(async () => {
        throw new Error("boom");
      }),
      TransactionAborted,
    );
    // Restarted once, after a wait for the lock it died on.
    let during: MnemeMetrics | undefined;
    assert.equal(
      await conflict(db, Infinity, () => {
        during = db.metrics();
      }),
      "committed",
    );
    assert.equal(during?.lockQueue, 1);
    assert.equal(during?.activeTransactions, 1);
    // No retries left: retries_exhausted.
    const exhausted = await conflict(db, 0, () => {});
    assert.ok(exhausted instanceof TransactionAborted);
    assert.equal((exhausted.reason as unknown[])[0], "retries_exhausted");

    const system = db.subscribe("system");
    db.subscribe({ table: "t" });
    db.subscribe({ table: "t", mode: "detailed" }, undefined, { maxBuffered: 1 });
    db.dirtyWrite<Row>("t", { k: 20, v: 20 });
    db.dirtyWrite<Row>("t", { k: 21, v: 21 });
    await sleep(1);
    const m = db.metrics();
    assert.ok(m.lockWaitMs > 0);
    assert.deepEqual(
      { ...m, lockWaitMs: 0 },
      {
        ...ZERO,
        // transactionSync, transaction, the older twice, the younger once (after its restart)
        commits: 5,
        aborts: 5,
        abortsByReason: { user: 1, no_exists: 2, exception: 1, retries_exhausted: 1 },
        restarts: 1,
        // create_table, 2 + 1 transaction writes, 3 dirty, 2 + 2 conflict writes, 2 dirty
        logWrites: 13,
        dirtyWrites: 5,
        lockWaits: 1,
        subscriptionsDropped: 1,
        tables: 1,
        // 1, 2, 3, 10, 8, 9, 20, 21
        records: 8,
        subscriptions: 2,
      },
    );
    system.unsubscribe();
    assert.equal(db.metrics().subscriptions, 1);
    await db.close();
    // Still readable after close (a last scrape).
    assert.equal(db.metrics().commits, 5);
  });

  it("a disc database: the log's size and segments as on disc, dumps and their bytes", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-metrics-"));
    try {
      await Mneme.createSchema({ dir });
      const db = await Mneme.open({ dir, dumpLogWriteThreshold: 1e9 });
      const onDisc = () => {
        const wal = path.join(dir, "wal");
        const files = fs.readdirSync(wal);
        let bytes = 0;
        for (const f of files) bytes += fs.statSync(path.join(wal, f)).size;
        return { walBytes: bytes, walSegments: files.length };
      };
      await db.createTable<Row>("t", { attributes: ["k", "v"], discCopies: [NODE] });
      for (let k = 0; k < 10; k++) {
        await db.transaction(async (tx) => tx.write<Row>("t", { k, v: "x".repeat(100) }));
      }
      let m = db.metrics();
      assert.deepEqual({ walBytes: m.walBytes, walSegments: m.walSegments }, onDisc());
      assert.equal(m.walSegments, 1);
      assert.equal(m.walWrittenBytes, m.walBytes);
      assert.ok(m.walFsyncs >= 1 && m.walFsyncs <= 11, String(m.walFsyncs));
      assert.equal(m.dumps, 0);
      await db.dumpLog();
      // The next record starts a new segment; the old one goes at the next dump.
      await db.transaction(async (tx) => tx.write<Row>("t", { k: 99, v: 1 }));
      const snapshot = fs.readdirSync(dir).find((n) => n.endsWith(".DCD"))!;
      m = db.metrics();
      assert.deepEqual({ walBytes: m.walBytes, walSegments: m.walSegments }, onDisc());
      assert.equal(m.walSegments, 2);
      assert.equal(m.dumps, 1);
      assert.equal(m.dumpBytes, fs.statSync(path.join(dir, snapshot)).size);
      await db.dumpLog();
      m = db.metrics();
      assert.deepEqual({ walBytes: m.walBytes, walSegments: m.walSegments }, onDisc());
      assert.equal(m.walSegments, 1);
      assert.equal(m.records, 11);
      await db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
