// A disc_copies table's snapshot file, kept open by a checkpoint. When a checkpoint is activated
// on a table that holds exactly its snapshot (nothing logged for it since), the checkpoint keeps
// the file instead of the records: a backup then copies the file's encoded blocks rather than
// encoding every record again. The file is opened in the same synchronous step as the rest of the
// activation, so a dump that replaces or deletes it later does not change what the checkpoint
// reads: the open descriptor keeps the old file.
import { closeSync, openSync } from "node:fs";
import { NoExistsError } from "../errors.js";

export class SnapshotSource {
  private users = 0;
  private closed = false;

  private constructor(
    readonly file: string,
    private readonly fd: number,
  ) {}

  /** The snapshot `file` opened for reading, or undefined when it cannot be opened. */
  static open(file: string): SnapshotSource | undefined {
    try {
      return new SnapshotSource(file, openSync(file, "r"));
    } catch {
      return undefined;
    }
  }

  /** Runs `fn` with the open file; a close meanwhile waits for it to finish. */
  async use<T>(fn: (fd: number) => Promise<T>): Promise<T> {
    if (this.closed) {
      throw new NoExistsError(`the checkpoint holding ${this.file} was deactivated`, {
        value: this.file,
      });
    }
    this.users++;
    try {
      return await fn(this.fd);
    } finally {
      this.users--;
      if (this.closed && this.users === 0) closeSync(this.fd);
    }
  }

  /** Closes the file (once nobody uses it). */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.users === 0) closeSync(this.fd);
  }
}
