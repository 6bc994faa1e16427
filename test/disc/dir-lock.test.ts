import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { acquireDirLock, type DirLock, LOCK_FILE } from "../../src/disc/dir-lock.js";
import { DirectoryLockedError } from "../../src/errors.js";

let root = "";
before(() => {
  root = realpathSync(mkdtempSync(join(tmpdir(), "mneme-dirlock-")));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
function freshDir(): string {
  const d = join(root, `db${n++}`);
  mkdirSync(d);
  return d;
}

const child = join(import.meta.dirname, "lock-child.ts");

/** Runs a command in a PID namespace of its own (as another container would), with /proc of it. */
const otherPidNamespace = ["unshare", "--pid", "--kill-child", "--mount-proc"];

/**
 * Starts lock-child.ts (under `wrap`, a command prefix, if given); resolves with its first line
 * of output.
 */
function startChild(
  dir: string,
  mode: string,
  at?: string,
  wrap: readonly string[] = [],
): { proc: ChildProcess; line: Promise<string> } {
  const args = ["--import", "tsx", child, dir, mode, ...(at === undefined ? [] : [at])];
  const [cmd, ...cmdArgs] = [...wrap, process.execPath, ...args];
  const proc = spawn(cmd!, cmdArgs, {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = new Promise<string>((resolve, reject) => {
    let out = "";
    proc.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const nl = out.indexOf("\n");
      if (nl >= 0) resolve(out.slice(0, nl));
    });
    proc.on("exit", (code, signal) =>
      reject(new Error(`lock child exited (${code ?? signal}) without a line: ${out}`)),
    );
  });
  return { proc, line };
}

function exited(proc: ChildProcess): Promise<{ code: number | null; signal: string | null }> {
  if (proc.exitCode !== null || proc.signalCode !== null) {
    return Promise.resolve({ code: proc.exitCode, signal: proc.signalCode });
  }
  return new Promise((resolve) => proc.on("exit", (code, signal) => resolve({ code, signal })));
}

function lockedBy(dir: string, pattern: RegExp) {
  return (err: unknown): boolean => {
    assert.ok(err instanceof DirectoryLockedError, `expected DirectoryLockedError, got ${err}`);
    assert.equal(err.reason, "dir_locked");
    assert.ok(err.message.includes(dir), `"${err.message}" names ${dir}`);
    assert.match(err.message, pattern);
    return true;
  };
}

describe("directory lock", () => {
  it("acquire, release, acquire again", () => {
    const dir = freshDir();
    const lock = acquireDirLock(dir);
    assert.equal(lock.dir, dir);
    const contents = JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8"));
    assert.equal(contents.pid, process.pid);
    assert.equal(contents.host, hostname());
    assert.equal(typeof contents.started, "number");
    lock.release();
    assert.ok(!existsSync(join(dir, LOCK_FILE)));
    lock.release(); // twice is harmless
    const again = acquireDirLock(dir);
    again.release();
    assert.deepEqual(readdirSync(dir), [], "no temp files are left behind");
  });

  it("a second acquire in the same process fails, naming the directory", () => {
    const dir = freshDir();
    const lock = acquireDirLock(dir);
    assert.throws(() => acquireDirLock(dir), lockedBy(dir, /already open in this process/));
    assert.throws(() => acquireDirLock(join(dir, ".")), DirectoryLockedError);
    // Even if someone deleted the lock file under us.
    rmSync(join(dir, LOCK_FILE));
    assert.throws(() => acquireDirLock(dir), DirectoryLockedError);
    lock.release();
    acquireDirLock(dir).release();
  });

  it("release leaves alone a lock file that is no longer ours", () => {
    const dir = freshDir();
    const lock = acquireDirLock(dir);
    const other = JSON.stringify({ pid: 1, started: 1, host: "elsewhere" });
    writeFileSync(join(dir, LOCK_FILE), other);
    lock.release();
    assert.equal(readFileSync(join(dir, LOCK_FILE), "utf8"), other);
  });

  it("garbage, empty or unreadable lock files do not hold the directory", () => {
    for (const garbage of ["", "{not json", "null", '{"pid": "12"}', '{"pid": -1}', '{"pid": 0}']) {
      const dir = freshDir();
      writeFileSync(join(dir, LOCK_FILE), garbage);
      const lock = acquireDirLock(dir);
      assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid, process.pid);
      lock.release();
      assert.deepEqual(readdirSync(dir), []);
    }
  });

  it("a LOCK file naming a dead process, or an earlier process with our pid, holds nothing", async () => {
    // A pid that surely is dead: a child that has exited.
    const done = spawn(process.execPath, ["-e", "0"]);
    await exited(done);
    for (const pid of [done.pid!, process.pid]) {
      const dir = freshDir();
      writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid, started: 1, host: hostname() }));
      const lock = acquireDirLock(dir);
      assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid, process.pid);
      lock.release();
    }
  });

  it("a lock held by another live process refuses us; SIGKILLing it frees the directory", async () => {
    const dir = freshDir();
    const { proc, line } = startChild(dir, "hold");
    try {
      assert.equal(await line, `locked ${proc.pid}`);
      assert.throws(() => acquireDirLock(dir), lockedBy(dir, new RegExp(`process ${proc.pid}\\b`)));
      assert.throws(() => acquireDirLock(dir), DirectoryLockedError, "still refused");
      proc.kill("SIGKILL");
      assert.equal((await exited(proc)).signal, "SIGKILL");
      assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid, proc.pid);
      const lock = acquireDirLock(dir);
      assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid, process.pid);
      lock.release();
    } finally {
      proc.kill("SIGKILL");
    }
  });

  it("our lock refuses another process; a normal exit releases the lock", async () => {
    const dir = freshDir();
    const lock = acquireDirLock(dir);
    const tried = startChild(dir, "try");
    assert.match(await tried.line, new RegExp(`^refused dir_locked .*process ${process.pid}\\b`));
    await exited(tried.proc);
    lock.release();

    const holder = startChild(dir, "exit");
    assert.equal(await holder.line, `locked ${holder.proc.pid}`);
    assert.equal((await exited(holder.proc)).code, 0);
    assert.ok(!existsSync(join(dir, LOCK_FILE)), "the exit hook removed the lock file");
    acquireDirLock(dir).release();
  });

  it("a process in another PID namespace is refused while we hold the directory", async () => {
    const dir = freshDir();
    const lock = acquireDirLock(dir);
    try {
      const tried = startChild(dir, "try", undefined, otherPidNamespace);
      assert.match(await tried.line, new RegExp(`^refused dir_locked .*process ${process.pid}\\b`));
      assert.equal((await exited(tried.proc)).code, 0);
    } finally {
      lock.release();
    }
  });

  it("a holder in another PID namespace refuses us; once SIGKILLed, the lock is free at once", async () => {
    const dir = freshDir();
    const { proc, line } = startChild(dir, "hold", undefined, otherPidNamespace);
    try {
      // Inside its namespace the holder is pid 1, a pid that is alive out here too.
      assert.equal(await line, "locked 1");
      assert.throws(() => acquireDirLock(dir), lockedBy(dir, /process 1 /));
      proc.kill("SIGKILL");
      assert.equal((await exited(proc)).signal, "SIGKILL");
      // unshare's child dies with it (--kill-child); wait for the kernel to drop its lock.
      let lock: DirLock | undefined;
      for (let i = 0; i < 100 && lock === undefined; i++) {
        try {
          lock = acquireDirLock(dir);
        } catch (err) {
          if (!(err instanceof DirectoryLockedError)) throw err;
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
      }
      assert.ok(lock !== undefined, "the lock of the killed holder was dropped");
      assert.equal(JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8")).pid, process.pid);
      lock.release();
    } finally {
      proc.kill("SIGKILL");
    }
  });

  it("deleting the LOCK file of a held directory lets no other process in", async () => {
    const dir = freshDir();
    const lock = acquireDirLock(dir);
    rmSync(join(dir, LOCK_FILE));
    const tried = startChild(dir, "try");
    assert.match(await tried.line, /^refused dir_locked .* is locked by another process/);
    await exited(tried.proc);
    lock.release();

    const { proc, line } = startChild(dir, "hold");
    try {
      assert.equal(await line, `locked ${proc.pid}`);
      rmSync(join(dir, LOCK_FILE));
      assert.throws(() => acquireDirLock(dir), lockedBy(dir, /locked by another process/));
      writeFileSync(join(dir, LOCK_FILE), "garbage");
      assert.throws(() => acquireDirLock(dir), DirectoryLockedError);
    } finally {
      proc.kill("SIGKILL");
      await exited(proc);
    }
  });

  it("contenders in many processes: exactly one wins over a stale lock", async () => {
    for (let round = 0; round < 2; round++) {
      const dir = freshDir();
      writeFileSync(join(dir, LOCK_FILE), round === 0 ? "stale garbage" : '{"pid": 999999999}');
      const at = String(Date.now() + 2500);
      const kids = Array.from({ length: 4 }, () => startChild(dir, "try-hold", at));
      try {
        const lines = await Promise.all(kids.map((k) => k.line));
        const winners = lines.filter((l) => l.startsWith("locked"));
        assert.equal(winners.length, 1, lines.join("\n"));
        assert.equal(lines.filter((l) => l.startsWith("refused dir_locked")).length, 3);
        const lock = JSON.parse(readFileSync(join(dir, LOCK_FILE), "utf8"));
        assert.equal(`locked ${lock.pid}`, winners[0]);
      } finally {
        for (const k of kids) k.proc.kill("SIGKILL");
        await Promise.all(kids.map((k) => exited(k.proc)));
      }
    }
  });
});
