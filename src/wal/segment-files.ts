// The open segment files of a WAL: writing, rotation, fdatasync and deletion.
//
// Durability is tracked per file with generation counters: every write bumps writeGen; a sync
// records the writeGen it saw when it was issued once it completes. A file is dirty while
// writeGen > syncedGen, so a synchronous sync never trusts an asynchronous one still in flight.
// A file rotated out stays open until it is no longer dirty (its last records need a sync).
import * as fs from "node:fs";
import { join } from "node:path";
import { fileError } from "../errors.js";
import { PRIVATE_MODES, setFileModeSync } from "../file-modes.js";
import { fsyncAsync, openDir, type WalIo } from "./io.js";
import type { SegmentInfo } from "./recovery.js";
import { type SegmentFile, segmentFileName } from "./segment-names.js";

interface OpenSegment {
  readonly fd: number;
  writeGen: number;
  syncedGen: number;
}

const isDirty = (s: OpenSegment) => s.writeGen > s.syncedGen;

export class SegmentFiles {
  private readonly list: SegmentFile[];
  private current: OpenSegment | undefined;
  /** Segments rotated out, open until synced. */
  private retired: OpenSegment[] = [];
  private size: number;
  /** The size of the previous segment when the current one was started (see abandonSegment). */
  private sizeBeforeStart = 0;
  private previous: OpenSegment | undefined;
  /** A failed write left bytes after `size` that could not be cut off yet. */
  private tornTail = false;
  private readonly dirFd: number | undefined;
  private dirGen = 0;
  private dirSyncedGen = 0;
  private asyncSyncs = 0;
  private closed = false;
  /** fdatasync calls made on segment files. */
  fsyncs = 0;

  constructor(
    private readonly dir: string,
    existing: readonly SegmentInfo[],
    private readonly io: WalIo,
    /** Mode of new segment files (exactly: see disc/file-modes.ts). */
    private readonly fileMode = PRIVATE_MODES.file,
  ) {
    this.list = existing.map((s) => ({ first: s.first, path: s.path }));
    this.size = existing.at(-1)?.size ?? 0;
    this.dirFd = openDir(dir);
  }

  get count(): number {
    return this.list.length;
  }

  /** The size of every segment file (one deleted meanwhile counts 0). */
  diskBytes(): number {
    let n = 0;
    for (const s of this.list) n += fs.statSync(s.path, { throwIfNoEntry: false })?.size ?? 0;
    return n;
  }

  /** Bytes in the last segment; undefined when there is no segment yet. */
  get lastSize(): number | undefined {
    return this.list.length === 0 ? undefined : this.size;
  }

  /** Bytes in the current segment. */
  get currentSize(): number {
    return this.size;
  }

  /** Creates the segment whose first record has position `first`; later writes go there. */
  startSegment(first: number): void {
    const path = join(this.dir, segmentFileName(first));
    let fd: number;
    try {
      // "x": names only grow, so an existing file of that name is something to stop for.
      fd = fs.openSync(path, "ax", this.fileMode);
      setFileModeSync(fd, this.fileMode);
    } catch (e) {
      throw fileError(e, path, "creating a WAL segment");
    }
    this.previous = this.current;
    if (this.current !== undefined) this.retired.push(this.current);
    this.current = { fd, writeGen: 0, syncedGen: 0 };
    this.sizeBeforeStart = this.size;
    this.size = 0;
    this.tornTail = false;
    this.list.push({ first, path });
    this.dirGen++;
  }

  /**
   * Removes the segment just started (its first record could not be written or applied): the
   * previous segment is the current one again, and the name can be used again.
   */
  abandonSegment(): void {
    const seg = this.current;
    const last = this.list.pop();
    if (seg === undefined || last === undefined) return;
    fs.unlinkSync(last.path);
    // Closed once no asynchronous sync can still be using the descriptor.
    this.retired.push({ fd: seg.fd, writeGen: 0, syncedGen: 0 });
    const back = this.previous === undefined ? -1 : this.retired.indexOf(this.previous);
    this.current = back < 0 ? undefined : this.retired.splice(back, 1)[0];
    this.previous = undefined;
    this.size = this.sizeBeforeStart;
    this.tornTail = false;
    this.dirGen++;
  }

  /** Cuts the current segment back to `size` bytes and fdatasyncs it (a record taken back). */
  truncateCurrent(size: number): void {
    const seg = this.current ?? this.openLast();
    const path = this.list.at(-1)!.path;
    try {
      fs.ftruncateSync(seg.fd, size);
      this.io.fdatasyncSync(seg.fd);
    } catch (e) {
      throw fileError(e, path, "cutting a record off the WAL");
    }
    this.size = size;
    seg.writeGen++;
    seg.syncedGen = seg.writeGen;
  }

  /** Appends `data` to the last segment; a failed write leaves no partial record behind. */
  write(data: Buffer): void {
    const seg = this.current ?? this.openLast();
    const path = this.list.at(-1)!.path;
    let done = 0;
    try {
      // Records written after a torn one would sit behind damage: it goes first.
      if (this.tornTail) fs.ftruncateSync(seg.fd, this.size);
      this.tornTail = false;
      while (done < data.length) {
        const n = this.io.writeSync(seg.fd, data, done, data.length - done);
        if (n <= 0) throw new Error("WAL write made no progress");
        done += n;
      }
    } catch (e) {
      if (done > 0) {
        try {
          fs.ftruncateSync(seg.fd, this.size);
        } catch {
          this.tornTail = true;
        }
      }
      throw fileError(e, path, "writing the WAL");
    }
    this.size += data.length;
    seg.writeGen++;
  }

  /** fdatasync of every dirty segment (and of the directory after a creation), off the event loop. */
  async sync(): Promise<void> {
    const targets = this.open().filter(isDirty);
    const gens = targets.map((s) => s.writeGen);
    const dirGen = this.dirGen;
    const work = targets.map((s) => this.io.fdatasync(s.fd));
    if (dirGen > this.dirSyncedGen && this.dirFd !== undefined) work.push(fsyncAsync(this.dirFd));
    this.fsyncs += targets.length;
    this.asyncSyncs++;
    try {
      await Promise.all(work);
    } catch (e) {
      throw fileError(e, this.dir, "fdatasync of the WAL");
    } finally {
      this.asyncSyncs--;
    }
    if (this.closed) return;
    this.checkLinked();
    targets.forEach((s, i) => {
      s.syncedGen = Math.max(s.syncedGen, gens[i]!);
    });
    this.dirSyncedGen = Math.max(this.dirSyncedGen, dirGen);
    this.closeRetired();
  }

  syncSync(): void {
    let synced = false;
    try {
      for (const s of this.open()) {
        if (!isDirty(s)) continue;
        synced = true;
        const gen = s.writeGen;
        this.io.fdatasyncSync(s.fd);
        this.fsyncs++;
        s.syncedGen = gen;
      }
      if (this.dirGen > this.dirSyncedGen && this.dirFd !== undefined) {
        const gen = this.dirGen;
        fs.fsyncSync(this.dirFd);
        this.dirSyncedGen = gen;
      }
    } catch (e) {
      throw fileError(e, this.dir, "fdatasync of the WAL");
    }
    if (synced) this.checkLinked();
    this.closeRetired();
  }

  /**
   * A segment deleted under us (the database directory removed, say) takes writes and fsyncs
   * without complaint, yet nothing survives: a sync must not report such records durable.
   */
  private checkLinked(): void {
    const seg = this.current;
    const last = this.list.at(-1);
    if (seg === undefined || last === undefined || fs.fstatSync(seg.fd).nlink > 0) return;
    throw fileError(
      Object.assign(new Error("WAL segment deleted"), { code: "ENOENT" }),
      last.path,
      "fdatasync of a WAL segment deleted while in use (the database directory removed?)",
    );
  }

  /** Deletes the segments all of whose records are below `position`, never the last one. */
  deleteBefore(position: number): number {
    let n = 0;
    // A segment's records are all below the first position of the segment after it.
    while (n + 1 < this.list.length && this.list[n + 1]!.first <= position) {
      fs.unlinkSync(this.list[n]!.path);
      n++;
    }
    this.list.splice(0, n);
    return n;
  }

  /** Closes every descriptor. An asynchronous sync still in flight then fails or hits nothing. */
  closeSync(): void {
    if (this.closed) return;
    this.closed = true;
    for (const s of this.open()) fs.closeSync(s.fd);
    if (this.dirFd !== undefined) fs.closeSync(this.dirFd);
    this.current = undefined;
    this.retired = [];
  }

  private open(): OpenSegment[] {
    return this.current === undefined ? this.retired : [...this.retired, this.current];
  }

  private openLast(): OpenSegment {
    const last = this.list.at(-1);
    if (last === undefined) throw new Error("WAL write before any segment was started");
    let fd: number;
    try {
      fd = fs.openSync(last.path, "a");
    } catch (e) {
      throw fileError(e, last.path, "opening a WAL segment");
    }
    this.current = { fd, writeGen: 0, syncedGen: 0 };
    return this.current;
  }

  /** Closes rotated-out segments that are synced, unless a sync in flight may still use them. */
  private closeRetired(): void {
    if (this.asyncSyncs > 0) return;
    this.retired = this.retired.filter((s) => {
      if (isDirty(s)) return true;
      fs.closeSync(s.fd);
      return false;
    });
  }
}
