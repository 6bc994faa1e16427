// Small file-system helpers shared by Mneme's disc files.
import { closeSync, promises as fsp, fsyncSync, openSync, statSync } from "node:fs";

/** Errors of platforms (or file systems) that cannot open or fsync a directory. */
function cannotSyncDir(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  return code === "EISDIR" || code === "EINVAL" || code === "EPERM" || code === "ENOTSUP";
}

/** Makes the directory entries of `dir` (creations, renames, removals) durable. */
export function fsyncDirSync(dir: string): void {
  let fd: number;
  try {
    fd = openSync(dir, "r");
  } catch (err) {
    if (cannotSyncDir(err)) return;
    throw err;
  }
  try {
    fsyncSync(fd);
  } catch (err) {
    if (!cannotSyncDir(err)) throw err;
  } finally {
    closeSync(fd);
  }
}

/** The async form of {@link fsyncDirSync}. */
export async function fsyncDir(dir: string): Promise<void> {
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(dir, "r");
  } catch (err) {
    if (cannotSyncDir(err)) return;
    throw err;
  }
  try {
    await fh.sync();
  } catch (err) {
    if (!cannotSyncDir(err)) throw err;
  } finally {
    await fh.close();
  }
}

/** `err` is a Node system error with this code. */
export function hasCode(err: unknown, code: string): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === code;
}

/**
 * Whether `path` exists. Unlike fs.existsSync, a path that cannot be looked at (EACCES, EIO)
 * throws instead of passing for missing: "no schema" would be the wrong diagnosis.
 */
export function existsStrict(path: string): boolean {
  try {
    statSync(path);
    return true;
  } catch (err) {
    if (hasCode(err, "ENOENT") || hasCode(err, "ENOTDIR")) return false;
    throw err;
  }
}
