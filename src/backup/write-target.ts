// Where a file that is written whole (a backup, a text dump) really goes. A regular file (or a new
// one) is written to `<path>.tmp` and renamed over it, so it is never half written; a symlink is
// followed, so the rename replaces its target and the link stays; a file that is not regular (a
// pipe, a terminal, /dev/stdout) cannot be renamed over, so it is written directly, as a stream.
import { realpath, stat } from "node:fs/promises";

export interface WriteTarget {
  /** The path to write (the symlink's target for a symlink). */
  readonly path: string;
  /** True for a pipe, device or other non-regular file: written directly, no tmp, no rename. */
  readonly stream: boolean;
}

export async function writeTarget(path: string): Promise<WriteTarget> {
  let resolved = path;
  try {
    resolved = await realpath(path);
  } catch {
    // Missing (a new file), or a link into something realpath cannot name (/proc/self/fd/1 on a
    // pipe): stat below follows the link itself.
  }
  try {
    const st = await stat(path);
    if (!st.isFile()) return { path, stream: !st.isDirectory() };
  } catch {
    // A new file: written through a tmp file like any regular one.
  }
  return { path: resolved, stream: false };
}

/**
 * A system error met on `<path>.tmp`, made to name `path`: the tmp file is an internal detail, the
 * user named `path`.
 */
export function namingFinal(e: unknown, path: string): unknown {
  const err = e as NodeJS.ErrnoException | null;
  if (err !== null && typeof err === "object" && typeof err.path === "string") {
    if (err.path === `${path}.tmp`) err.path = path;
    if (typeof err.message === "string") err.message = err.message.replaceAll(`${path}.tmp`, path);
  }
  return e;
}
