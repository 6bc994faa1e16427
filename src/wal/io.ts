// The system calls whose failure the WAL must survive (ENOSPC, EIO), behind an interface so tests
// can inject faults. fdatasync runs on libuv's thread pool, so the event loop keeps going.
import * as fs from "node:fs";

export interface WalIo {
  writeSync(fd: number, buf: Buffer, offset: number, length: number): number;
  fdatasync(fd: number): Promise<void>;
  fdatasyncSync(fd: number): void;
}

export const realIo: WalIo = {
  writeSync: (fd, buf, offset, length) => fs.writeSync(fd, buf, offset, length),
  fdatasync: (fd) =>
    new Promise((resolve, reject) => fs.fdatasync(fd, (e) => (e ? reject(e) : resolve()))),
  fdatasyncSync: (fd) => fs.fdatasyncSync(fd),
};

/** fsync of a directory file descriptor (makes file creations durable). */
export function fsyncAsync(fd: number): Promise<void> {
  return new Promise((resolve, reject) => fs.fsync(fd, (e) => (e ? reject(e) : resolve())));
}

/** A descriptor for fsyncing `dir`, or undefined where directories cannot be opened (Windows). */
export function openDir(dir: string): number | undefined {
  try {
    return fs.openSync(dir, "r");
  } catch {
    return undefined;
  }
}

/** Makes the entries of `dir` (created, deleted files) durable, where the platform allows it. */
export function fsyncDirSync(dir: string): void {
  const fd = openDir(dir);
  if (fd === undefined) return;
  try {
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
