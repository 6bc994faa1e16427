// Permission modes of what Mneme creates (shared by every layer that writes files). Data is private by default: directories 0700, files
// 0600. A mode is applied exactly (chmod after creation), not filtered by the process's umask,
// so that an operator who asks for 0640 gets 0640; files are created with the mode already, so
// they are never more open than asked, not even for an instant.
import { chmodSync, fchmodSync, mkdirSync } from "node:fs";
import { BadTypeError } from "./errors.js";

export interface FileModes {
  readonly file: number;
  readonly dir: number;
}

export const PRIVATE_MODES: FileModes = Object.freeze({ file: 0o600, dir: 0o700 });

/** A permission mode is an integer from 0 to 0o777; bad_type naming `option` otherwise. */
export function checkMode(option: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > 0o777) {
    throw new BadTypeError(
      `option ${option} must be a permission mode from 0 to 0o777 (511), got ${String(v)}`,
      { value: v },
    );
  }
  return v;
}

/**
 * Creates directory `path` with `mode` unless it exists (with `recursive`, its missing parents
 * too, as mkdir -p does); returns whether `path` was created.
 */
export function makeDirSync(path: string, mode: number, recursive = false): boolean {
  try {
    if (recursive) {
      if (mkdirSync(path, { mode, recursive }) === undefined) return false;
    } else mkdirSync(path, { mode });
  } catch (err) {
    if ((err as NodeJS.ErrnoException | null)?.code === "EEXIST") return false;
    throw err;
  }
  chmodSync(path, mode);
  return true;
}

/** Gives a file just created (open with `mode`) exactly `mode`, whatever the umask took off. */
export function setFileModeSync(fd: number, mode: number): void {
  fchmodSync(fd, mode);
}
