import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import { scanWal, Wal, type WalIo } from "../../src/wal/index.js";
import { realIo } from "../../src/wal/io.js";
import { entryFor, sleep, withDir } from "./helpers.js";

function ioError(code: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: injected`), { code });
}

/** An fdatasync that takes `ms` longer, and counters of the sync calls. */
function slowSync(ms: number) {
  const calls = { async: 0, sync: 0 };
  const io: Partial<WalIo> = {
    fdatasync: async (fd) => {
      calls.async++;
      await sleep(ms);
      await realIo.fdatasync(fd);
    },
    fdatasyncSync: (fd) => {
      calls.sync++;
      realIo.fdatasyncSync(fd);
    },
  };
  return { io, calls };
}

describe("WAL group commit", () => {
  it("64 concurrent commits waiting for fsync share far fewer than 64 fsyncs", async () => {
    await withDir(async (dir) => {
      const { wal } = Wal.open(dir, { autoRepair: false });
      let next = 0;
      const commit = async (i: number) => {
        await sleep(i % 8); // spread over several turns of the event loop
        const p = ++next;
        wal.append(p, entryFor(p));
        await wal.whenDurable(p, "fsync");
        assert.ok(wal.durablePosition >= p);
        return p;
      };
      const acked = await Promise.all(Array.from({ length: 64 }, (_, i) => commit(i)));
      assert.deepEqual(
        [...acked].sort((a, b) => a - b),
        Array.from({ length: 64 }, (_, i) => i + 1),
      );
      const { fsyncs, writes } = wal.stats;
      assert.ok(fsyncs >= 1 && fsyncs < 64, `fsyncs ${fsyncs}`);
      assert.ok(writes < 64, `writes ${writes}`);
      await wal.close();
      assert.equal(Wal.open(dir, { autoRepair: false }).entries.length, 64);
    });
  });

  it("one batch appended in one turn costs one write and one fsync", async () => {
    await withDir(async (dir) => {
      const { wal } = Wal.open(dir, { autoRepair: false });
      const waits: Promise<void>[] = [];
      for (let p = 1; p <= 64; p++) {
        wal.append(p, entryFor(p));
        waits.push(wal.whenDurable(p, "fsync"));
      }
      await Promise.all(waits);
      assert.deepEqual(wal.stats, { writes: 1, fsyncs: 1, bytes: wal.stats.bytes, segments: 1 });
      assert.equal(wal.stats.bytes, fs.statSync(`${dir}/wal-0000000000000001.log`).size);
      await wal.close();
    });
  });

  it("appends made during an fsync reach the OS at once and share the next fsync", async () => {
    await withDir(async (dir) => {
      const { io, calls } = slowSync(60);
      const { wal } = Wal.open(dir, { autoRepair: false, io });
      wal.append(1, entryFor(1));
      const first = wal.whenDurable(1, "fsync");
      await sleep(15);
      assert.equal(calls.async, 1);
      const later: Promise<void>[] = [];
      for (let p = 2; p <= 10; p++) {
        wal.append(p, entryFor(p));
        later.push(wal.whenDurable(p, "fsync"));
      }
      await wal.whenDurable(10, "os");
      assert.deepEqual(
        scanWal(dir).entries.map((e) => e.position),
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
      );
      assert.equal(wal.durablePosition, 0);
      await first;
      await Promise.all(later);
      assert.equal(calls.async, 2);
      assert.equal(wal.durablePosition, 10);
      await wal.close();
    });
  });

  it("flushSync makes appends visible to a reader without awaiting anything", async () => {
    await withDir(async (dir) => {
      const { wal } = Wal.open(dir, { autoRepair: false });
      for (let p = 1; p <= 3; p++) wal.append(p, entryFor(p));
      assert.deepEqual(scanWal(dir).entries, []);
      wal.flushSync(false);
      assert.deepEqual(
        scanWal(dir).entries.map((e) => e.position),
        [1, 2, 3],
      );
      assert.equal(wal.stats.fsyncs, 0);
      assert.equal(wal.durablePosition, 0);
      const durable = wal.whenDurable(3, "fsync");
      wal.append(4, entryFor(4));
      wal.flushSync(true);
      assert.equal(wal.stats.fsyncs, 1);
      assert.equal(wal.durablePosition, 4);
      assert.equal(scanWal(dir).entries.length, 4);
      await durable;
      await wal.close();
    });
  });

  it("flushSync(true) during an fsync in flight syncs again itself", async () => {
    await withDir(async (dir) => {
      const { io, calls } = slowSync(50);
      const { wal } = Wal.open(dir, { autoRepair: false, io });
      wal.append(1, entryFor(1));
      const first = wal.whenDurable(1, "fsync");
      await sleep(10);
      assert.equal(calls.async, 1);
      // Record 1 is written, its fdatasync not done: flushSync must not trust it.
      wal.flushSync(true);
      assert.equal(calls.sync, 1);
      assert.equal(wal.durablePosition, 1);
      await first;
      wal.append(2, entryFor(2));
      wal.flushSync(true);
      assert.equal(calls.sync, 2);
      assert.equal(wal.durablePosition, 2);
      wal.flushSync(true); // nothing new: no fdatasync
      assert.equal(calls.sync, 2);
      await sleep(60);
      await wal.close();
      assert.equal(Wal.open(dir, { autoRepair: false }).entries.length, 2);
    });
  });

  it('"os" mode: appended records reach the file within a few milliseconds, unawaited', async () => {
    await withDir(async (dir) => {
      const { wal } = Wal.open(dir, { autoRepair: false });
      wal.append(1, entryFor(1));
      wal.append(2, entryFor(2));
      await sleep(50);
      assert.deepEqual(
        scanWal(dir).entries.map((e) => e.position),
        [1, 2],
      );
      assert.equal(wal.stats.writes, 1);
      assert.equal(wal.stats.fsyncs, 0);
      wal.closeSync();
    });
  });

  it("closeSync writes and fsyncs what is pending and resolves the waiters", async () => {
    await withDir(async (dir) => {
      const { wal } = Wal.open(dir, { autoRepair: false });
      wal.append(1, entryFor(1));
      const durable = wal.whenDurable(1, "fsync");
      wal.closeSync();
      await durable;
      assert.equal(wal.stats.fsyncs, 1);
      assert.equal(Wal.open(dir, { autoRepair: false }).entries.length, 1);
    });
  });
});

describe("WAL I/O errors", () => {
  it("a failed write rejects the waiters and later calls, without crashing", async () => {
    await withDir(async (dir) => {
      const { wal } = Wal.open(dir, {
        autoRepair: false,
        io: {
          writeSync: () => {
            throw ioError("ENOSPC");
          },
        },
      });
      wal.append(1, entryFor(1));
      const os = wal.whenDurable(1, "os");
      const fsync = wal.whenDurable(1, "fsync");
      await assert.rejects(os, { code: "ENOSPC" });
      await assert.rejects(fsync, { code: "ENOSPC" });
      assert.throws(() => wal.append(2, entryFor(2)), { code: "ENOSPC" });
      assert.throws(() => wal.flushSync(true), { code: "ENOSPC" });
      await assert.rejects(wal.whenDurable(1, "os"), { code: "ENOSPC" });
      await wal.close();
    });
  });

  it("a failure with no waiter is kept for the next call", async () => {
    await withDir(async (dir) => {
      const { wal } = Wal.open(dir, {
        autoRepair: false,
        io: {
          writeSync: () => {
            throw ioError("EIO");
          },
        },
      });
      wal.append(1, entryFor(1));
      await sleep(10);
      await assert.rejects(wal.whenDurable(1, "fsync"), { code: "EIO" });
      wal.closeSync();
    });
  });

  it("a write torn by ENOSPC is cut off, so the file stays intact", async () => {
    await withDir(async (dir) => {
      let full = false;
      const { wal } = Wal.open(dir, {
        autoRepair: false,
        io: {
          writeSync: (fd, buf, offset, length) => {
            if (!full) return fs.writeSync(fd, buf, offset, length);
            if (length > 10) return fs.writeSync(fd, buf, offset, 10);
            throw ioError("ENOSPC");
          },
        },
      });
      wal.append(1, entryFor(1));
      await wal.whenDurable(1, "fsync");
      full = true;
      wal.append(2, entryFor(2));
      wal.append(3, entryFor(3));
      await assert.rejects(wal.whenDurable(3, "os"), { code: "ENOSPC" });
      const scan = scanWal(dir);
      assert.equal(scan.damage, undefined);
      assert.deepEqual(
        scan.entries.map((e) => e.position),
        [1],
      );
      await wal.close();
    });
  });

  it("a failed fdatasync rejects the fsync waiters and fails the WAL", async () => {
    await withDir(async (dir) => {
      const { wal } = Wal.open(dir, {
        autoRepair: false,
        io: { fdatasync: () => Promise.reject(ioError("EIO")) },
      });
      wal.append(1, entryFor(1));
      await wal.whenDurable(1, "os");
      await assert.rejects(wal.whenDurable(1, "fsync"), { code: "EIO" });
      assert.throws(() => wal.append(2, entryFor(2)), { code: "EIO" });
      await wal.close();
    });
  });

  it("a failed synchronous fdatasync throws from flushSync and rejects the waiters", async () => {
    await withDir(async (dir) => {
      const { wal } = Wal.open(dir, {
        autoRepair: false,
        io: {
          fdatasyncSync: () => {
            throw ioError("EIO");
          },
        },
      });
      wal.append(1, entryFor(1));
      const durable = wal.whenDurable(1, "fsync");
      assert.throws(() => wal.flushSync(true), { code: "EIO" });
      await assert.rejects(durable, { code: "EIO" });
      wal.closeSync();
    });
  });
});
