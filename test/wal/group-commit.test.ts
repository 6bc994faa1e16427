import assert from "node:assert/strict";
import * as fs from "node:fs";
import { describe, it } from "node:test";
import { DiskFullError, FileError } from "../../src/errors.js";
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
      // Each record is written at its append (so a failed write is never applied).
      assert.equal(writes, 64);
      await wal.close();
      assert.equal(Wal.open(dir, { autoRepair: false }).entries.length, 64);
    });
  });

  it("64 records appended in one turn cost 64 writes and one fsync", async () => {
    await withDir(async (dir) => {
      const { wal } = Wal.open(dir, { autoRepair: false });
      const waits: Promise<void>[] = [];
      for (let p = 1; p <= 64; p++) {
        wal.append(p, entryFor(p));
        waits.push(wal.whenDurable(p, "fsync"));
      }
      await Promise.all(waits);
      assert.deepEqual(wal.stats, { writes: 64, fsyncs: 1, bytes: wal.stats.bytes, segments: 1 });
      assert.equal(wal.stats.bytes, fs.statSync(`${dir}/wal-0000000000000001.log`).size);
      await wal.close();
    });
  });

  it("a long chain of commits in one microtask drain does not keep the disc idle to its end", async () => {
    await withDir(async (dir) => {
      const { io, calls } = slowSync(0);
      const { wal } = Wal.open(dir, { autoRepair: false, io });
      // Concurrent async transactions run like this: each continuation commits and waits for
      // its fsync, one after another, all in one microtask drain (here 100 x 0.3 ms).
      let started = -1;
      const waits: Promise<void>[] = [];
      for (let p = 1; p <= 100; p++) {
        const until = performance.now() + 0.3;
        while (performance.now() < until);
        wal.append(p, entryFor(p));
        waits.push(wal.whenDurable(p, "fsync"));
        if (started < 0 && calls.async > 0) started = p;
        await null;
      }
      assert.ok(started > 1 && started < 60, `fsync started at commit ${started}`);
      await Promise.all(waits);
      assert.equal(wal.durablePosition, 100);
      assert.ok(calls.async >= 2 && calls.async < 10, `${calls.async} fdatasyncs`);
      await wal.close();
    });
  });

  it("while an fdatasync runs, a second one starts for commits it does not cover", async () => {
    await withDir(async (dir) => {
      const { io, calls } = slowSync(40);
      const { wal } = Wal.open(dir, { autoRepair: false, io });
      wal.append(1, entryFor(1));
      const first = wal.whenDurable(1, "fsync");
      await sleep(5);
      assert.equal(calls.async, 1);
      wal.append(2, entryFor(2));
      const second = wal.whenDurable(2, "fsync");
      await sleep(5);
      assert.equal(calls.async, 2);
      wal.append(3, entryFor(3));
      const third = wal.whenDurable(3, "fsync");
      await sleep(5);
      // At most two at once: the third waits for one of them to complete.
      assert.equal(calls.async, 2);
      await Promise.all([first, second, third]);
      assert.equal(calls.async, 3);
      assert.equal(wal.durablePosition, 3);
      await wal.close();
    });
  });

  it("the next fsync starts the moment the previous one completes, for what came meanwhile", async () => {
    await withDir(async (dir) => {
      const { io, calls } = slowSync(30);
      const { wal } = Wal.open(dir, { autoRepair: false, io });
      wal.append(1, entryFor(1));
      const first = wal.whenDurable(1, "fsync");
      await sleep(5);
      wal.append(2, entryFor(2));
      const second = wal.whenDurable(2, "fsync");
      await first;
      // The second group's fdatasync is already on its way when the first group is acknowledged.
      assert.equal(calls.async, 2);
      await second;
      assert.equal(wal.durablePosition, 2);
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

  it("appends are in the file at once, without awaiting anything; flushSync(true) fsyncs", async () => {
    await withDir(async (dir) => {
      const { wal } = Wal.open(dir, { autoRepair: false });
      for (let p = 1; p <= 3; p++) wal.append(p, entryFor(p));
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
      assert.equal(wal.stats.writes, 2);
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
  it("a failed write throws a typed error from append, keeps nothing, and the next append succeeds", async () => {
    await withDir(async (dir) => {
      let fail: string | undefined;
      const { wal } = Wal.open(dir, {
        autoRepair: false,
        io: {
          writeSync: (fd, buf, offset, length) => {
            if (fail !== undefined) throw ioError(fail);
            return fs.writeSync(fd, buf, offset, length);
          },
        },
      });
      fail = "ENOSPC";
      // The first record of a segment: the segment it started goes again.
      assert.throws(
        () => wal.append(1, entryFor(1)),
        (e: unknown) =>
          e instanceof DiskFullError && e.code === "ENOSPC" && e.reason === "file_error",
      );
      assert.equal(wal.lastPosition, 0);
      assert.deepEqual(fs.readdirSync(dir), []);
      fail = undefined;
      wal.append(1, entryFor(1));
      fail = "EIO";
      assert.throws(
        () => wal.append(2, entryFor(2)),
        (e: unknown) => e instanceof FileError && !(e instanceof DiskFullError) && e.code === "EIO",
      );
      assert.equal(wal.lastPosition, 1);
      await wal.whenDurable(2, "fsync"); // waits for 1, the last record there is
      fail = undefined;
      wal.append(2, entryFor(2));
      await wal.whenDurable(2, "fsync");
      await wal.close();
      const scan = scanWal(dir);
      assert.equal(scan.damage, undefined);
      assert.deepEqual(
        scan.entries.map((e) => e.position),
        [1, 2],
      );
    });
  });

  it("a write torn by ENOSPC is cut off, so the file stays intact and takes the next record", async () => {
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
      assert.throws(() => wal.append(2, entryFor(2)), DiskFullError);
      assert.throws(() => wal.append(2, entryFor(2)), DiskFullError);
      let scan = scanWal(dir);
      assert.equal(scan.damage, undefined);
      assert.deepEqual(
        scan.entries.map((e) => e.position),
        [1],
      );
      full = false;
      wal.append(2, entryFor(2));
      await wal.close();
      scan = scanWal(dir);
      assert.equal(scan.damage, undefined);
      assert.deepEqual(
        scan.entries.map((e) => e.position),
        [1, 2],
      );
    });
  });

  it("retract takes the last record back, also one that started a segment", async () => {
    await withDir(async (dir) => {
      const { wal } = Wal.open(dir, { autoRepair: false, segmentBytes: 200 });
      wal.append(1, entryFor(1));
      wal.append(2, entryFor(2));
      wal.retract(2);
      assert.equal(wal.lastPosition, 1);
      wal.append(2, entryFor(2));
      wal.startNewSegment();
      wal.append(3, entryFor(3));
      assert.equal(fs.readdirSync(dir).length, 2);
      wal.retract(3);
      assert.equal(fs.readdirSync(dir).length, 1);
      assert.throws(() => wal.retract(2), /not the last record/);
      wal.append(3, entryFor(3));
      await wal.whenDurable(3, "fsync");
      await wal.close();
      const scan = scanWal(dir);
      assert.equal(scan.damage, undefined);
      assert.deepEqual(
        scan.entries.map((e) => e.position),
        [1, 2, 3],
      );
      assert.equal(fs.readdirSync(dir).length, 2);
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
