// The lock that keeps a database directory to one open at a time, across processes and within a
// process: an exclusive flock(2) on the directory itself, opened read-only.
//
// The kernel holds a flock for the open file description and drops it when that is closed or
// the process dies, however it dies (SIGKILL included), so a crashed holder never leaves a stale
// lock, and nothing is decided by pids: a process in another PID namespace (another container on
// the same volume) sees a different pid space, but the same lock. Locking the directory rather
// than a file in it means no one can undo the lock by deleting a file. flock is per open file
// description (unlike fcntl's per-process locks, which drop when any descriptor of the file
// closes), so a second open of the same directory in this process conflicts as well; the `held`
// map below only gives that case its own message.
//
// <dir>/LOCK holds JSON { pid, started, host, nonce } of the holder for humans and error
// messages; it is never read to decide anything. Node has no flock: the binding comes from
// fs-ext-extra-prebuilt (prebuilt binaries, no compiler needed), loaded on first use.

import {
  chmodSync,
  closeSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { createRequire } from "node:module";
import { hostname } from "node:os";
import { join } from "node:path";
import type { flockSync as FlockSync } from "fs-ext-extra-prebuilt";
import { DirectoryLockedError } from "../errors.js";
import { PRIVATE_MODES } from "../file-modes.js";
import { hasCode } from "./fsutil.js";

export const LOCK_FILE = "LOCK";

export interface DirLock {
  /** The (real) path of the locked directory. */
  readonly dir: string;
  /** Gives the directory up; does nothing the second time. */
  release(): void;
}

/** Locks held by this process, by the real path of their directory. */
const held: Map<string, HeldLock> = (() => {
  // Shared by every copy of this module loaded in the process.
  const key = Symbol.for("mneme.dir-locks");
  const g = globalThis as { [key]?: Map<string, HeldLock> };
  if (g[key] === undefined) {
    const locks = new Map<string, HeldLock>();
    g[key] = locks;
    // The kernel drops the locks anyway; this tidies the LOCK files away.
    process.on("exit", () => {
      for (const lock of [...locks.values()]) lock.release();
    });
  }
  return g[key];
})();

let flockSync: typeof FlockSync | undefined;

function flockBinding(dir: string): typeof FlockSync {
  if (flockSync === undefined) {
    try {
      const required: { flockSync: typeof FlockSync } = createRequire(import.meta.url)(
        "fs-ext-extra-prebuilt",
      );
      flockSync = required.flockSync;
    } catch (err) {
      throw new DirectoryLockedError(
        `cannot lock ${dir}: the flock binding (package fs-ext-extra-prebuilt) does not load on ` +
          `${process.platform}-${process.arch}, Node ${process.version}: ${(err as Error).message}. ` +
          "Reinstall it, with a C compiler if no prebuilt binary fits this platform",
        { value: { dir } },
      );
    }
  }
  return flockSync;
}

let counter = 0;

class HeldLock implements DirLock {
  private released = false;

  constructor(
    readonly dir: string,
    private readonly fd: number,
    private readonly nonce: string,
  ) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    if (held.get(this.dir) === this) held.delete(this.dir);
    // Remove our LOCK note while still holding the lock, so it cannot be the next holder's.
    const file = join(this.dir, LOCK_FILE);
    try {
      if (readInfo(file)?.nonce === this.nonce) rmSync(file, { force: true });
    } finally {
      closeSync(this.fd); // drops the flock
    }
  }
}

interface LockInfo {
  readonly pid?: number;
  readonly started?: number;
  readonly host?: string;
  readonly nonce?: string;
}

/** What LOCK says, if it says anything readable (information only). */
function readInfo(file: string): LockInfo | undefined {
  try {
    const v: unknown = JSON.parse(readFileSync(file, "utf8"));
    return typeof v === "object" && v !== null ? (v as LockInfo) : undefined;
  } catch {
    return undefined;
  }
}

/** Describes the holder of `dir` from its LOCK note, for the refusal message. */
function describeHolder(dir: string): { text: string; pid?: number } {
  const info = readInfo(join(dir, LOCK_FILE));
  const pid = typeof info?.pid === "number" ? info.pid : undefined;
  if (pid === undefined) return { text: `${dir} is locked by another process` };
  const host = typeof info?.host === "string" && info.host ? ` on ${info.host}` : "";
  const since =
    typeof info?.started === "number" && info.started > 0
      ? ` since ${new Date(info.started).toISOString()}`
      : "";
  return { text: `${dir} is locked by process ${pid}${host}${since} (as its LOCK file says)`, pid };
}

/**
 * Locks the database directory `dir` for this process, or throws DirectoryLockedError naming the
 * directory and the process holding it (this process too, when `dir` is already open in it).
 */
export function acquireDirLock(dir: string, fileMode = PRIVATE_MODES.file): DirLock {
  const real = realpathSync(dir);
  if (held.has(real)) {
    throw new DirectoryLockedError(`${real} is already open in this process (pid ${process.pid})`, {
      value: { dir: real, pid: process.pid },
    });
  }
  const flock = flockBinding(real);
  const fd = openSync(real, "r");
  try {
    flock(fd, "exnb");
  } catch (err) {
    closeSync(fd);
    if (hasCode(err, "EAGAIN") || hasCode(err, "EWOULDBLOCK")) {
      const holder = describeHolder(real);
      throw new DirectoryLockedError(`${holder.text}; close it there first`, {
        value: { dir: real, pid: holder.pid },
      });
    }
    throw new DirectoryLockedError(
      `cannot lock ${real}: flock failed (${(err as Error).message}); the file system may not ` +
        "support locks",
      { value: { dir: real } },
    );
  }
  try {
    const nonce = `${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2)}`;
    const text = JSON.stringify({ pid: process.pid, started: Date.now(), host: hostname(), nonce });
    const tmp = join(real, `${LOCK_FILE}.${nonce}.tmp`);
    writeFileSync(tmp, text, { mode: fileMode });
    chmodSync(tmp, fileMode);
    renameSync(tmp, join(real, LOCK_FILE));
    const lock = new HeldLock(real, fd, nonce);
    held.set(real, lock);
    return lock;
  } catch (err) {
    closeSync(fd);
    throw err;
  }
}
