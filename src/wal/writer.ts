// Appends and group commit. An append frames its record and writes it to the OS at once, with one
// synchronous write on the JS thread, before it returns: a record whose write failed (ENOSPC) is
// never applied, so nothing of it can be seen or persisted later. fdatasync is what is grouped:
// one, off the event loop, serves every commit waiting for it; records appended meanwhile wait
// for the next one, which starts the moment the previous one completes and serves all of them.
// So the disc syncs one group while the next one accumulates; two fdatasyncs may be in flight.
// When an idle disc starts: see schedule().
//
// Ordering: writes are synchronous and in append order, so the file's bytes are always a prefix of
// the append sequence. At most two asynchronous fdatasyncs run at a time; each covers everything
// written before it was issued (its target is the position written at that moment), whichever of
// them completes first. flushSync fdatasyncs synchronously; the generation counters of
// SegmentFiles keep it from skipping a file whose asynchronous sync has not completed.
//
// Failure. A failed write (ENOSPC, EIO) leaves the log as it was (a torn record is cut off, a
// segment the record started is removed) and throws a FileError/DiskFullError; the next append
// tries again, so the log recovers by itself once there is space. A failed fdatasync fails the WAL
// for good: the kernel may have dropped the dirty pages, so nothing written since the last good
// sync can be trusted to reach the disc; every waiter is rejected and later calls throw.
import { NotRunningError } from "../errors.js";
import { Batch, recordBytes } from "./batch.js";
import type { SegmentFiles } from "./segment-files.js";

export type Durability = "fsync" | "os" | "none";

interface Waiter {
  readonly target: number;
  readonly resolve: () => void;
  readonly reject: (e: unknown) => void;
}

/** The last record written, so that it can be taken back (retract). */
interface LastRecord {
  readonly position: number;
  readonly previous: number;
  readonly fillBefore: number;
  readonly startedSegment: boolean;
  readonly sizeBefore: number;
  readonly bytes: number;
}

/** An fdatasync in flight and the highest position it covers. */
interface InFlightSync {
  target: number;
  done: Promise<void>;
}

/**
 * Two fdatasyncs may run at once: commits that came after one started need not wait for its end
 * before theirs starts (the file system commits its journal in the same two stages anyway).
 */
const MAX_SYNCS_IN_FLIGHT = 2;
/** The fdatasync time assumed before one is measured (ms). */
const INITIAL_SYNC_MS = 4;

export class GroupCommitWriter {
  private readonly batch = new Batch();
  /** Bytes in the segment receiving the next append; -1: the next append starts a segment. */
  private fill: number;
  /** Position of the last record written (appends are written at once). */
  appended: number;
  /** Highest position handed to the OS (the same as appended). */
  get written(): number {
    return this.appended;
  }
  /** Highest position fdatasynced. */
  durable: number;
  private waiters: Waiter[] = [];
  private scheduled = false;
  /** When the first waiter of the next fdatasync came (performance.now()). */
  private scheduledAt = 0;
  /** Still in the synchronous run of that first waiter: it all shares one fdatasync anyway. */
  private sameRun = false;
  /** How long an fdatasync takes, a moving average (ms). */
  private syncMs = INITIAL_SYNC_MS;
  /** The fdatasyncs in flight, each with what it covers; they never reject (failure goes through fail()). */
  private readonly syncs = new Set<InFlightSync>();
  /** The highest position an fdatasync in flight covers (lowered when a record is retracted). */
  private issued = 0;
  private last: LastRecord | undefined;
  private failed = false;
  private failure: unknown;
  /** No more appends (close started). */
  private closed = false;
  private filesClosed = false;
  private closing: Promise<void> | undefined;
  writes = 0;
  bytes = 0;
  /** Told once when the WAL fails for good (see fail). */
  onFailure: ((e: unknown) => void) | undefined;

  constructor(
    private readonly files: SegmentFiles,
    lastPosition: number,
    private readonly segmentBytes: number,
  ) {
    this.fill = files.lastSize ?? -1;
    this.appended = this.durable = lastPosition;
  }

  get fsyncs(): number {
    return this.files.fsyncs;
  }

  /** Frames the record and writes it to the OS. Throws a FileError (nothing kept) if that fails. */
  append(position: number, parts: readonly Uint8Array[], length: number): void {
    this.checkOpen();
    const size = recordBytes(length);
    const fillBefore = this.fill;
    // A record larger than a segment gets a segment of its own.
    const rotate = this.fill < 0 || (this.fill > 0 && this.fill + size > this.segmentBytes);
    const sizeBefore = rotate ? 0 : this.files.currentSize;
    this.batch.add(position, parts, length, rotate);
    try {
      if (rotate) this.files.startSegment(position);
      try {
        for (const piece of this.batch.pieces()) this.files.write(piece.data);
      } catch (e) {
        if (rotate) this.files.abandonSegment();
        throw e;
      }
    } finally {
      this.batch.clear();
    }
    this.fill = (rotate ? 0 : this.fill) + size;
    this.last = {
      position,
      previous: this.appended,
      fillBefore,
      startedSegment: rotate,
      sizeBefore,
      bytes: size,
    };
    this.appended = position;
    this.writes++;
    this.bytes += size;
  }

  /**
   * Takes back the last record appended, at `position` (its entry could not be applied): the file
   * is cut back to what it was, synchronously fdatasynced, so the record can never be replayed.
   */
  retract(position: number): void {
    this.checkOpen();
    const last = this.last;
    if (last === undefined || last.position !== position || this.appended !== position) {
      throw new Error(`WAL: ${position} is not the last record appended`);
    }
    try {
      if (last.startedSegment) this.files.abandonSegment();
      else this.files.truncateCurrent(last.sizeBefore);
    } catch (e) {
      // The record may stay in the file while its entry was not applied: stop here.
      this.fail(e);
      throw e;
    }
    this.last = undefined;
    this.fill = last.fillBefore;
    this.appended = last.previous;
    this.bytes -= last.bytes;
    if (this.durable > last.previous) this.durable = last.previous;
    if (this.issued > last.previous) this.issued = last.previous;
    for (const s of this.syncs) if (s.target > last.previous) s.target = last.previous;
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
      this.waiters.push({ target, resolve, reject });
      this.schedule();
    });
  }

  flushSync(fsync: boolean): void {
    this.checkOpen();
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
      if (!this.failed) this.syncSync();
    } finally {
      // An fdatasync still in flight completes into a closed writer and is ignored.
      this.closeFiles();
    }
  }

  private async closeAsync(): Promise<void> {
    this.closed = true;
    try {
      if (this.failed) return;
      while (this.syncs.size > 0) await Promise.all([...this.syncs].map((s) => s.done));
      if (this.filesClosed) return;
      await this.startSync().done;
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

  /**
   * A waiter came. An idle disc starts syncing when the JavaScript running now is done
   * (setImmediate): every commit made in the meantime shares the fdatasync. But a long run of
   * commits (concurrent async transactions continuing one another as their locks are granted,
   * all in one microtask drain) would keep the disc idle until its end: once the first waiter has
   * waited half an fdatasync, the next commit in a later microtask starts one at once, and later
   * ones the next. (A synchronous loop of commits cannot be cut short, so it keeps to one.)
   */
  private schedule(): void {
    if (this.syncs.size >= MAX_SYNCS_IN_FLIGHT) return; // a completion pumps
    const now = performance.now();
    if (!this.scheduled) {
      this.scheduled = true;
      this.scheduledAt = now;
      this.sameRun = true;
      queueMicrotask(this.runEnded);
      setImmediate(this.pump);
    } else if (!this.sameRun && now - this.scheduledAt >= this.syncMs / 2) this.pump();
  }

  private readonly runEnded = (): void => {
    this.sameRun = false;
  };

  private readonly pump = (): void => {
    this.scheduled = false;
    if (this.failed || this.filesClosed) return;
    if (this.syncs.size >= MAX_SYNCS_IN_FLIGHT || this.written <= this.issued) return;
    // Only for a waiter that no fdatasync in flight covers (the latest ones, at the end).
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i]!.target > this.issued) {
        this.startSync();
        return;
      }
    }
  };

  private startSync(): InFlightSync {
    const sync: InFlightSync = { target: this.written, done: Promise.resolve() };
    this.issued = sync.target;
    this.syncs.add(sync);
    const started = performance.now();
    sync.done = this.files.sync().then(
      () => {
        this.syncs.delete(sync);
        this.syncMs += (performance.now() - started - this.syncMs) / 8;
        if (this.failed || this.filesClosed) return;
        this.synced(sync.target);
        // Waiters that came during this fdatasync get the next one, with everything since.
        if (this.waiters.length > 0) this.pump();
      },
      (e: unknown) => {
        this.syncs.delete(sync);
        if (!this.filesClosed) this.fail(e);
      },
    );
    return sync;
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
    if (this.waiters.length === 0) return;
    const rest: Waiter[] = [];
    for (const w of this.waiters) {
      if (w.target <= this.durable) w.resolve();
      else rest.push(w);
    }
    this.waiters = rest;
  }

  private fail(e: unknown): void {
    if (this.failed) return;
    this.failed = true;
    this.failure = e;
    this.onFailure?.(e);
    for (const w of this.waiters) w.reject(e);
    this.waiters = [];
  }
}
