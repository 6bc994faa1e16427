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

/**
 * A whole file, read with as few system calls as its size allows: fs.promises.readFile reads in
 * small chunks, one thread-pool round trip each, which made reading a 100 MB backup 2-3x slower.
 */
export async function readWholeFile(file: string): Promise<Buffer> {
  const fh = await fsp.open(file, "r");
  try {
    const { size } = await fh.stat();
    const buf = Buffer.allocUnsafe(size);
    let done = 0;
    while (done < size) {
      const { bytesRead } = await fh.read(buf, done, size - done, done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    // A file that shrank meanwhile is read as it is now; one that grew, up to its first size.
    return done === size ? buf : buf.subarray(0, done);
  } finally {
    await fh.close();
  }
}
