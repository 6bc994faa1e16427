// The lock that keeps a database directory to one open at a time (across processes, and within a
// process too): the file <dir>/LOCK, holding JSON { pid, started, host, nonce } of its holder.
//
// Acquiring creates LOCK exclusively, with its contents already in place (written to a private
// temp file, then hard-linked to LOCK, which fails if LOCK exists; where hard links are refused,
// an O_CREAT|O_EXCL open). An existing LOCK is
//   - held, when its pid is alive (process.kill(pid, 0) succeeds or fails with EPERM), or when it
//     is a lock this process holds (an open of the same directory in the same process);
//   - stale, when its pid is dead (ESRCH), when it is unreadable or garbage, or when it names this
//     process's pid but this process does not hold it (a crashed earlier process had the same pid,
//     as happens with containers).
// A stale LOCK is taken over atomically: it is renamed away to a private name (only one contender
// can do that), checked to still be the stale lock that was judged (else it is put back), removed,
// and the exclusive creation is tried again — so two contenders never both win.
//
// release() removes LOCK only if it still holds this lock; locks still held are released when the
// process exits normally (best effort: a crash leaves a stale LOCK, which the next open takes over).
import {
  closeSync,
  linkSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { DirectoryLockedError } from "../errors.js";
import { hasCode } from "./fsutil.js";

export const LOCK_FILE = "LOCK";

export interface DirLock {
  /** The (real) path of the locked directory. */
  readonly dir: string;
  /** Gives the directory up; does nothing the second time. */
  release(): void;
}

interface LockContents {
  readonly pid: number;
  readonly started: number;
  readonly host: string;
  readonly nonce?: string;
}

/** Locks held by this process, by the real path of their directory. */
const held: Map<string, HeldLock> = (() => {
  // Shared by every copy of this module loaded in the process.
  const key = Symbol.for("mneme.dir-locks");
  const g = globalThis as { [key]?: Map<string, HeldLock> };
  if (g[key] === undefined) {
    const locks = new Map<string, HeldLock>();
    g[key] = locks;
    process.on("exit", () => {
      for (const lock of [...locks.values()]) lock.release();
    });
  }
  return g[key];
})();

let counter = 0;

class HeldLock implements DirLock {
  private released = false;

  constructor(
    readonly dir: string,
    private readonly file: string,
    private readonly nonce: string,
  ) {}

  release(): void {
    if (this.released) return;
    this.released = true;
    if (held.get(this.dir) === this) held.delete(this.dir);
    const current = readLock(this.file);
    if (
      current.state === "ok" &&
      current.lock.pid === process.pid &&
      current.lock.nonce === this.nonce
    ) {
      rmSync(this.file, { force: true });
    }
  }
}

type ReadResult =
  | { readonly state: "ok"; readonly lock: LockContents; readonly text: string }
  | { readonly state: "missing" }
  | { readonly state: "garbage"; readonly text: string };

function readLock(file: string): ReadResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    if (hasCode(err, "ENOENT")) return { state: "missing" };
    return { state: "garbage", text: "" };
  }
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v === "object" && v !== null) {
      const o = v as Record<string, unknown>;
      if (typeof o.pid === "number" && Number.isSafeInteger(o.pid) && o.pid > 0) {
        return {
          state: "ok",
          text,
          lock: {
            pid: o.pid,
            started: typeof o.started === "number" ? o.started : 0,
            host: typeof o.host === "string" ? o.host : "",
            ...(typeof o.nonce === "string" ? { nonce: o.nonce } : {}),
          },
        };
      }
    }
  } catch {
    // garbage
  }
  return { state: "garbage", text };
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return !hasCode(err, "ESRCH");
  }
}

/** Why `r` (an existing LOCK) holds the directory, or undefined when it is stale. */
function holder(dir: string, r: ReadResult): string | undefined {
  if (r.state !== "ok") return undefined;
  const { pid, host, started } = r.lock;
  if (pid === process.pid) {
    return held.has(dir) ? `${dir} is already open in this process (pid ${pid})` : undefined;
  }
  if (!pidAlive(pid)) return undefined;
  const since = started > 0 ? ` since ${new Date(started).toISOString()}` : "";
  return `${dir} is locked by process ${pid}${host ? ` on ${host}` : ""}${since}`;
}

/** Creates `file` with `text` if it does not exist; false if it does. */
function createExclusive(file: string, text: string, tmp: string): boolean {
  writeFileSync(tmp, text, { flag: "w" });
  try {
    linkSync(tmp, file);
    return true;
  } catch (err) {
    if (hasCode(err, "EEXIST")) return false;
    // No hard links here: an exclusive open (its contents appear just after it).
    let fd: number;
    try {
      fd = openSync(file, "wx");
    } catch (err2) {
      if (hasCode(err2, "EEXIST")) return false;
      throw err2;
    }
    try {
      writeSync(fd, text);
    } finally {
      closeSync(fd);
    }
    return true;
  } finally {
    rmSync(tmp, { force: true });
  }
}

/**
 * Locks the database directory `dir` for this process, or throws DirectoryLockedError naming the
 * directory and the process holding it (this process too, when `dir` is already open in it).
 */
export function acquireDirLock(dir: string): DirLock {
  const real = realpathSync(dir);
  const file = join(real, LOCK_FILE);
  const already = held.get(real);
  if (already !== undefined) {
    throw new DirectoryLockedError(`${real} is already open in this process (pid ${process.pid})`, {
      value: { dir: real, pid: process.pid },
    });
  }
  const nonce = `${process.pid}-${Date.now().toString(36)}-${(counter++).toString(36)}-${Math.random().toString(36).slice(2)}`;
  const text = JSON.stringify({ pid: process.pid, started: Date.now(), host: hostname(), nonce });
  const tmp = join(real, `${LOCK_FILE}.${nonce}.tmp`);

  for (let attempt = 0; attempt < 20; attempt++) {
    if (createExclusive(file, text, tmp)) {
      const lock = new HeldLock(real, file, nonce);
      held.set(real, lock);
      return lock;
    }
    const seen = readLock(file);
    if (seen.state === "missing") continue; // released meanwhile: try again
    const why = holder(real, seen);
    if (why !== undefined) {
      throw new DirectoryLockedError(why, {
        value: { dir: real, pid: seen.state === "ok" ? seen.lock.pid : undefined },
      });
    }
    // Stale: move it out of the way (one contender only can), and check it was the stale one.
    const aside = join(real, `${LOCK_FILE}.${nonce}.stale`);
    try {
      renameSync(file, aside);
    } catch (err) {
      if (hasCode(err, "ENOENT")) continue; // another contender moved it first
      throw err;
    }
    const moved = readLock(aside);
    const movedText = moved.state === "missing" ? undefined : moved.text;
    if (movedText !== seen.text) {
      // Not the lock judged stale: a contender took over meanwhile. Judge this one afresh.
      const movedWhy = holder(real, moved);
      if (movedWhy !== undefined) {
        try {
          linkSync(aside, file); // put it back (fails if yet another lock appeared)
        } catch {
          // nothing better to do
        }
        rmSync(aside, { force: true });
        throw new DirectoryLockedError(movedWhy, {
          value: { dir: real, pid: moved.state === "ok" ? moved.lock.pid : undefined },
        });
      }
    }
    rmSync(aside, { force: true });
  }
  throw new DirectoryLockedError(`${real} is locked: could not take over its lock file`, {
    value: { dir: real },
  });
}
