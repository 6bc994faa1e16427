// Group commit. Appends go into an in-memory batch; one flush, scheduled with setImmediate after
// the first append of a batch, writes the whole batch and starts one fdatasync for every waiter.
// While that fdatasync runs, new appends keep being written (so they reach the OS at once) and
// their waiters wait for the next fdatasync, which then serves all of them.
//
// Ordering: every write() is synchronous, on the JS thread, in append order, so the file's bytes
// are always a prefix of the append sequence and writes never interleave. Only fdatasync is
// asynchronous, and at most one runs at a time; it covers everything written before it was issued
// (its target is the position written at that moment). flushSync writes the rest of the batch and
// fdatasyncs synchronously; the generation counters of SegmentFiles keep it from skipping a file
// whose asynchronous sync has not completed.
//
// Failure: a failed write or sync (ENOSPC, EIO) fails the WAL for good: every waiter is rejected
// with the error and later calls throw it. After a failed fdatasync the kernel may have dropped the
// dirty pages, so nothing written can be trusted to reach the disc; continuing would be a lie.
import { NotRunningError } from "../errors.js";
import { Batch, recordBytes } from "./batch.js";
import type { SegmentFiles } from "./segment-files.js";

export type Durability = "fsync" | "os" | "none";

interface Waiter {
  readonly target: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** Resolves the waiters whose target is reached; returns the others. */
function settle(waiters: Waiter[], reached: number): Waiter[] {
  if (waiters.length === 0) return waiters;
  const rest: Waiter[] = [];
  for (const w of waiters) {
    if (w.target <= reached) w.resolve();
    else rest.push(w);
  }
  return rest;
}

export class GroupCommitWriter {
  private readonly batch = new Batch();
  /** Bytes in the segment receiving the next append, pending ones included; -1: none yet. */
  private fill: number;
  appended: number;
  /** Highest position handed to the OS. */
  written: number;
  /** Highest position fdatasynced. */
  durable: number;
  private osWaiters: Waiter[] = [];
  private fsyncWaiters: Waiter[] = [];
  private scheduled = false;
  /** The fdatasync in flight; it never rejects (failure goes through fail()). */
  private syncing: Promise<void> | undefined;
  private failed = false;
  private failure: unknown;
  /** No more appends (close started). */
  private closed = false;
  private filesClosed = false;
  private closing: Promise<void> | undefined;
  writes = 0;
  bytes = 0;

  constructor(
    private readonly files: SegmentFiles,
    lastPosition: number,
    private readonly segmentBytes: number,
  ) {
    this.fill = files.lastSize ?? -1;
    this.appended = this.written = this.durable = lastPosition;
  }

  get fsyncs(): number {
    return this.files.fsyncs;
  }

  append(position: number, parts: readonly Uint8Array[], length: number): void {
    this.checkOpen();
    const size = recordBytes(length);
    // A record larger than a segment gets a segment of its own.
    const rotate = this.fill < 0 || (this.fill > 0 && this.fill + size > this.segmentBytes);
    if (rotate) this.fill = 0;
    this.fill += size;
    this.batch.add(position, parts, length, rotate);
    this.appended = position;
    this.schedule();
  }

  /** The next record starts a new segment (so the current one can be deleted once it is obsolete). */
  startNewSegment(): void {
    if (this.fill > 0) this.fill = -1;
  }

  whenDurable(position: number, mode: Durability): Promise<void> {
    if (mode === "none") return Promise.resolve();
    if (this.failed) return Promise.reject(this.failure);
    // Positions are not contiguous: waiting for one not logged means waiting for what precedes it.
    const target = Math.min(position, this.appended);
    if (target <= (mode === "os" ? this.written : this.durable)) return Promise.resolve();
    return new Promise((resolve, reject) => {
      (mode === "os" ? this.osWaiters : this.fsyncWaiters).push({ target, resolve, reject });
      this.schedule();
    });
  }

  flushSync(fsync: boolean): void {
    this.checkOpen();
    this.writePending();
    if (fsync) this.syncSync();
  }

  truncateBefore(position: number): number {
    this.checkOpen();
    return this.files.deleteBefore(position);
  }

  close(): Promise<void> {
    this.closing ??= this.closeAsync();
    return this.closing;
  }

  closeSync(): void {
    if (this.filesClosed) return;
    this.closed = true;
    try {
      if (!this.failed) {
        this.writePending();
        this.syncSync();
      }
    } finally {
      // An fdatasync still in flight completes into a closed writer and is ignored.
      this.closeFiles();
    }
  }

  private async closeAsync(): Promise<void> {
    this.closed = true;
    try {
      if (this.failed) return;
      this.writePending();
      while (this.syncing !== undefined) await this.syncing;
      if (this.filesClosed) return;
      this.startSync();
      await this.syncing;
      if (this.failed) throw this.failure;
    } finally {
      this.closeFiles();
    }
  }

  private closeFiles(): void {
    if (this.filesClosed) return;
    this.filesClosed = true;
    this.files.closeSync();
  }

  private checkOpen(): void {
    if (this.failed) throw this.failure;
    if (this.closed) throw new NotRunningError("the WAL is closed");
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(this.pump);
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    if (this.failed || this.filesClosed) return;
    try {
      this.writePending();
    } catch {
      return; // already reported to the waiters by fail()
    }
    if (this.fsyncWaiters.length > 0 && this.syncing === undefined) this.startSync();
  };

  /** Writes the batch to the OS, synchronously. */
  private writePending(): void {
    const size = this.batch.bytes;
    if (size === 0) return;
    try {
      for (const piece of this.batch.pieces()) {
        if (piece.startsSegment) this.files.startSegment(piece.first);
        this.files.write(piece.data);
      }
    } catch (e) {
      this.fail(e);
      throw e;
    }
    this.writes++;
    this.bytes += size;
    this.written = this.batch.lastPosition;
    this.batch.clear();
    this.osWaiters = settle(this.osWaiters, this.written);
  }

  private startSync(): void {
    const target = this.written;
    this.syncing = this.files.sync().then(
      () => {
        this.syncing = undefined;
        if (this.failed || this.filesClosed) return;
        this.synced(target);
        // Waiters that came during this fdatasync get the next one, with everything since.
        if (this.fsyncWaiters.length > 0) this.pump();
      },
      (e: unknown) => {
        this.syncing = undefined;
        if (!this.filesClosed) this.fail(e);
      },
    );
  }

  private syncSync(): void {
    const target = this.written;
    try {
      this.files.syncSync();
    } catch (e) {
      this.fail(e);
      throw e;
    }
    this.synced(target);
  }

  private synced(target: number): void {
    if (target > this.durable) this.durable = target;
    this.fsyncWaiters = settle(this.fsyncWaiters, this.durable);
  }

  private fail(e: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.failure = e;
    this.batch.clear();
    for (const w of [...this.osWaiters, ...this.fsyncWaiters]) w.reject(e);
    this.osWaiters = [];
    this.fsyncWaiters = [];
  }
}
