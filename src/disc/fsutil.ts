// Small file-system helpers shared by Mneme's disc files.
import { closeSync, promises as fsp, fsyncSync, openSync } from "node:fs";

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
