// The `logger` option: open and close, log repairs, an applied fallback, dumps, slow lock waits,
// dropped subscriptions and failures on a full disc reach the logger as (fields, message).
import assert from "node:assert/strict";
import { Console } from "node:console";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { PassThrough } from "node:stream";
import { afterEach, beforeEach, describe, it } from "node:test";
import { BadTypeError, type Logger, Mneme, TransactionAborted } from "../../src/index.js";
import { fillDisk, withTmpfs } from "../disc/tmpfs.js";
import { rejectsMneme } from "./helpers.js";

const NODE = "nonode@nohost";

interface Line {
  readonly level: "error" | "warn" | "info" | "debug";
  readonly fields: Record<string, unknown>;
  readonly msg: string | undefined;
}

/** A logger that keeps its lines; `ms` fields (timings) are replaced by "<ms>". */
function recorder(): { lines: Line[]; logger: Required<Logger> } {
  const lines: Line[] = [];
  const at =
    (level: Line["level"]) =>
    (obj: object | string, msg?: string): void => {
      assert.equal(typeof obj, "object");
      const fields = { ...(obj as Record<string, unknown>) };
      if (typeof fields.ms === "number") fields.ms = "<ms>";
      lines.push({ level, fields, msg });
    };
  return {
    lines,
    logger: { error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") },
  };
}

const events = (lines: readonly Line[]) => lines.map((l) => `${l.level} ${l.fields.event}`);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves once `done()` holds (polled; the machine may be slow). */
async function until(done: () => boolean, what: string): Promise<void> {
  for (const start = Date.now(); !done(); await sleep(5)) {
    if (Date.now() - start > 10_000) assert.fail(`timed out waiting for ${what}`);
  }
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-logger-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("the logger option", () => {
  it("console and a pino-shaped logger are Loggers; anything else is bad_type", async () => {
    // Compile-time: both assign to Logger (pino's methods take (obj, msg, ...args), console's ...args).
    const pinoLike = {
      level: "info",
      error(_obj: object | string, _msg?: string, ..._args: unknown[]): void {},
      warn(_obj: object | string, _msg?: string, ..._args: unknown[]): void {},
      info(_obj: object | string, _msg?: string, ..._args: unknown[]): void {},
      debug(_obj: object | string, _msg?: string, ..._args: unknown[]): void {},
      fatal(_obj: object | string, _msg?: string): void {},
      child(_bindings: object) {
        return pinoLike;
      },
    };
    // A real Console (as the global console), printing nowhere.
    const quiet = new Console({ stdout: new PassThrough(), stderr: new PassThrough() });
    const loggers: Logger[] = [console, quiet, pinoLike];
    // @ts-expect-error: a logger needs warn
    const noWarn: Logger = { error() {}, info() {} };
    for (const logger of loggers.slice(1)) await (await Mneme.open({ logger })).close();
    await rejectsMneme(Mneme.open({ logger: noWarn }), BadTypeError, "bad_type", {
      message: /option logger\.warn must be a function, got undefined/,
    });
    await rejectsMneme(Mneme.open({ logger: "console" as never }), BadTypeError, "bad_type", {
      message: /option logger must be an object with error, warn and info methods/,
    });
    for (const ms of [-1, 1.5, 2 ** 31, "1"]) {
      await rejectsMneme(Mneme.open({ slowLockWaitMs: ms as never }), BadTypeError, "bad_type", {
        message:
          /option slowLockWaitMs must be an integer from 0 to 2147483647, or Infinity for never/,
      });
    }
    assert.equal((await Mneme.open({ slowLockWaitMs: Infinity })).config.slowLockWaitMs, Infinity);
    assert.equal((await Mneme.open()).config.slowLockWaitMs, 1000);
  });

  it("open and close of a RAM database and of a disc database", async () => {
    await Mneme.createSchema({ dir });
    let db = await Mneme.open({ dir });
    await db.createTable("t", { attributes: ["k", "v"], discCopies: [NODE] });
    db.dirtyWrite("t", { k: 1, v: 1 });
    await db.close();
    const { lines, logger } = recorder();
    db = await Mneme.open({ logger, dir, dumpDiscCopiesAtStartup: false });
    await db.close();
    const ms = lines[0]?.msg?.match(/in (\d+) ms$/)?.[1];
    assert.deepEqual(lines, [
      {
        level: "info",
        fields: {
          event: "open",
          node: NODE,
          dir,
          discSchema: true,
          tables: 1,
          records: 1,
          ms: "<ms>",
        },
        msg: `database on ${NODE} opened from ${dir}: 1 tables, 1 records, in ${ms} ms`,
      },
      { level: "info", fields: { event: "close", node: NODE }, msg: `database on ${NODE} closed` },
    ]);
    const first = recorder();
    await (await Mneme.open({ logger: first.logger, schemaLocation: "ram", dir })).close();
    assert.deepEqual(first.lines, [
      {
        level: "info",
        fields: {
          event: "open",
          node: NODE,
          dir,
          discSchema: false,
          tables: 0,
          records: 0,
          ms: "<ms>",
        },
        msg: `database on ${NODE} started with its schema in RAM (directory ${dir} not used)`,
      },
      {
        level: "info",
        fields: { event: "close", node: NODE },
        msg: `database on ${NODE} closed`,
      },
    ]);
  });

  it("a repaired log: a warning with the repair, as the system event says", async () => {
    await Mneme.createSchema({ dir });
    let db = await Mneme.open({ dir });
    await db.createTable("t", { attributes: ["k", "v"], discCopies: [NODE] });
    for (let k = 0; k < 3; k++) await db.transaction(async (tx) => tx.write("t", { k, v: k }));
    await db.close();
    const wal = path.join(dir, "wal");
    const segment = path.join(wal, fs.readdirSync(wal).sort().at(-1)!);
    const size = fs.statSync(segment).size;
    fs.appendFileSync(segment, Buffer.from([1, 2, 3, 4, 5]));
    const { lines, logger } = recorder();
    const events: unknown[] = [];
    db = await Mneme.open({ dir, logger, dumpDiscCopiesAtStartup: false });
    db.subscribe("system", (e) => events.push(e));
    await until(() => events.length > 0, "the system event");
    const message = `the log was damaged: 5 bytes cut from ${segment} at offset ${size} (truncated_binary_file)`;
    assert.deepEqual(lines[0], {
      level: "warn",
      fields: {
        event: "log_repair",
        file: segment,
        offset: size,
        reason: "truncated_binary_file",
        detail: "record cut short",
        droppedBytes: 5,
        deletedFiles: [],
        obsolete: false,
      },
      msg: message,
    });
    assert.deepEqual(
      events.map((e) => (e as { message: string }).message),
      [message],
    );
    assert.equal(db.metrics().logRepairs, 1);
    assert.deepEqual(db.dirtyAllKeys("t"), [0, 1, 2]);
    await db.close();
  });

  it("an applied fallback is logged at open", async () => {
    await Mneme.createSchema({ dir });
    let db = await Mneme.open({ dir });
    await db.createTable("t", { attributes: ["k", "v"], discCopies: [NODE] });
    db.dirtyWrite("t", { k: 1, v: 1 });
    const backup = path.join(dir, "b.BUP");
    await db.backup(backup);
    await db.installFallback(backup);
    db.dirtyWrite("t", { k: 2, v: 2 });
    await db.close();
    const { lines, logger } = recorder();
    db = await Mneme.open({ dir, logger });
    assert.deepEqual(events(lines), ["info fallback_applied", "info open"]);
    assert.deepEqual(lines[0], {
      level: "info",
      fields: { event: "fallback_applied", dir, ms: "<ms>" },
      msg: `the fallback installed in ${dir} replaced the database (in ${lines[0]?.msg?.match(/in (\d+) ms/)?.[1]} ms)`,
    });
    assert.deepEqual(db.dirtyAllKeys("t"), [1]);
    await db.close();
  });

  it("dumps: info when asked for (dump_log, dump_tables), debug when a threshold starts them", async () => {
    await Mneme.createSchema({ dir });
    const { lines, logger } = recorder();
    const db = await Mneme.open({ dir, logger, dumpLogWriteThreshold: 3 });
    await db.createTable("t", { attributes: ["k", "v"], discCopies: [NODE] });
    await db.createTable("r", { attributes: ["k", "v"] });
    db.dirtyWrite("r", { k: 1, v: 1 });
    lines.length = 0;
    // Logged ops past the threshold: a dump (t has no snapshot yet, so it is due).
    db.dirtyWrite("t", { k: 1, v: 1 });
    db.dirtyWrite("t", { k: 2, v: 2 });
    await until(() => lines.length > 0, "the dump");
    await sleep(20);
    const snapshot = (table: string) => {
      const f = fs.readdirSync(dir).filter((n) => n.startsWith(`${table}.`) && n.endsWith(".DCD"));
      assert.equal(f.length, 1, String(f));
      return { file: f[0]!, bytes: fs.statSync(path.join(dir, f[0]!)).size };
    };
    const t1 = snapshot("t");
    assert.deepEqual(lines, [
      {
        level: "debug",
        fields: {
          event: "dump",
          reason: "threshold",
          position: 5,
          tables: ["t"],
          bytes: t1.bytes,
          ms: "<ms>",
        },
        msg: lines[0]?.msg,
      },
    ]);
    assert.match(
      lines[0]!.msg!,
      new RegExp(
        `^log dumped at position 5 \\(threshold\\): 1 table snapshots written, ${t1.bytes} bytes, in \\d+ ms$`,
      ),
    );
    lines.length = 0;
    db.dirtyWrite("t", { k: 3, v: 3 });
    await db.dumpLog();
    await db.dumpTables(["r"]);
    const t2 = snapshot("t");
    const r = snapshot("r");
    assert.deepEqual(
      lines.map((l) => ({ level: l.level, fields: l.fields })),
      [
        {
          level: "info",
          fields: {
            event: "dump",
            reason: "dump_log",
            position: 6,
            tables: ["t"],
            bytes: t2.bytes,
            ms: "<ms>",
          },
        },
        {
          level: "info",
          fields: {
            event: "dump",
            reason: "dump_tables",
            position: 6,
            tables: ["r"],
            bytes: r.bytes,
            ms: "<ms>",
          },
        },
      ],
    );
    const m = db.metrics();
    assert.equal(m.dumps, 3);
    assert.equal(m.dumpBytes, t1.bytes + t2.bytes + r.bytes);
    assert.ok(m.dumpMs > 0);
    await db.close();
  });

  it("a slow lock wait: a warning naming the table, key, time waited, waiter and holder", async () => {
    const { lines, logger } = recorder();
    const db = await Mneme.open({ logger, slowLockWaitMs: 40 });
    await db.createTable("t", { attributes: ["k", "v"] });
    lines.length = 0;
    let holding!: () => void;
    const held = new Promise<void>((r) => {
      holding = r;
    });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    // The older transaction waits for the younger (wait-die lets the older one wait).
    const older = db.transaction(async (tx) => {
      await held;
      await tx.write("t", { k: "a/1", v: "old" });
    });
    const younger = db.transaction(async (tx) => {
      await tx.write("t", { k: "a/1", v: "young" });
      holding();
      await gate;
    });
    await until(() => db.systemInfo("lock_queue").length === 1, "the wait");
    const running = db.systemInfo("transactions");
    await until(() => lines.length > 0, "the warning");
    release();
    await Promise.all([older, younger]);
    assert.equal(lines.length, 1);
    const [line] = lines;
    // Reported once the wait reached slowLockWaitMs, not before.
    const waitedMs = line!.fields.waitedMs as number;
    assert.ok(waitedMs >= 40, String(waitedMs));
    assert.deepEqual(line, {
      level: "warn",
      fields: {
        event: "slow_lock_wait",
        table: "t",
        key: '"a/1"',
        lock: "t record a/1",
        mode: "write",
        waitedMs,
        waiter: { ts: running[0]!.ts, id: running[0]!.id },
        holders: [{ ts: running[1]!.ts, id: running[1]!.id }],
      },
      msg: `a transaction (ts ${running[0]!.ts}) has waited ${waitedMs} ms for a write lock on t record a/1, held by ts ${running[1]!.ts}`,
    });
    assert.deepEqual(db.dirtyRead("t", "a/1"), [{ k: "a/1", v: "old" }]);
    const m = db.metrics();
    assert.equal(m.lockWaits, 1);
    assert.equal(m.slowLockWaits, 1);
    assert.ok(m.lockWaitMs >= waitedMs - 0.5, String(m.lockWaitMs)); // waitedMs is rounded
    await db.close();
  });

  it("a dropped subscription is a warning", async () => {
    const { lines, logger } = recorder();
    const db = await Mneme.open({ logger });
    await db.createTable("t", { attributes: ["k", "v"] });
    lines.length = 0;
    db.subscribe({ table: "t" }, undefined, { maxBuffered: 2 });
    for (let k = 0; k < 3; k++) db.dirtyWrite("t", { k, v: k });
    await until(() => lines.length > 0, "the warning");
    assert.deepEqual(lines, [
      {
        level: "warn",
        fields: { event: "subscription_dropped", category: "t simple", maxBuffered: 2 },
        msg: "a subscription to t simple was dropped: it left 2 events unread",
      },
    ]);
    assert.equal(db.metrics().subscriptionsDropped, 1);
    await db.close();
  });

  it("a logger that throws does not fail the database", async () => {
    const boom = () => {
      throw new Error("logger down");
    };
    const db = await Mneme.open({ logger: { error: boom, warn: boom, info: boom, debug: boom } });
    await db.createTable("t", { attributes: ["k", "v"] });
    db.subscribe({ table: "t" }, undefined, { maxBuffered: 1 });
    db.transactionSync((tx) => tx.write("t", { k: 1, v: 1 }));
    db.dirtyWrite("t", { k: 2, v: 2 });
    assert.deepEqual(db.dirtyAllKeys("t"), [1, 2]);
    await db.close();
  });

  it("on a full disc: failed commits and a failed dump are errors", async () => {
    await withTmpfs("4m", async (dir) => {
      await Mneme.createSchema({ dir });
      const { lines, logger } = recorder();
      const db = await Mneme.open({
        dir,
        logger,
        dumpLogWriteThreshold: 1e9,
        dumpLogTimeThreshold: 1e9,
      });
      await db.createTable("t", { attributes: ["k", "v"], discCopies: [NODE] });
      for (let k = 0; k < 20; k++) db.dirtyWrite("t", { k, v: "x".repeat(1000) });
      lines.length = 0;
      const filler = fillDisk(dir);
      let failedWith: unknown;
      for (let k = 100; k < 120 && failedWith === undefined; k++) {
        try {
          db.transactionSync((tx) => tx.write("t", { k, v: "x".repeat(1000) }));
        } catch (e) {
          failedWith = e;
        }
      }
      assert.ok(failedWith instanceof TransactionAborted);
      const err = failedWith.cause as Error;
      await assert.rejects(db.dumpLog());
      fs.rmSync(filler);
      assert.deepEqual(
        lines.map((l) => [l.level, l.fields.event, l.fields.step ?? l.fields.reason]),
        [
          ["error", "commit_failed", "wal_write"],
          ["error", "dump_failed", "dump_log"],
        ],
      );
      assert.deepEqual(lines[0], {
        level: "error",
        fields: { event: "commit_failed", step: "wal_write", tables: ["t"], err },
        msg: `a commit to t failed writing to the write-ahead log, and nothing of it was kept: ${err.message}`,
      });
      assert.match(
        lines[1]!.msg!,
        /^dumping the log \(dump_log\) failed: .*ENOSPC.*; the log is kept, and the dump is tried again at the next one$/,
      );
      const m = db.metrics();
      assert.equal(m.dumpFailures, 1);
      assert.deepEqual(m.abortsByReason, { file_error: 1 });
      await db.dumpLog();
      assert.equal(db.metrics().dumps, 1);
      await db.close();
    });
  });
});
