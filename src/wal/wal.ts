// Mneme's local write-ahead log.
//
// File format. A WAL is a directory of segment files wal-<first position, 16 digits>.log. A
// segment is a sequence of frames (src/disc/frame.ts: u32 LE length | u32 LE CRC-32 | payload)
// whose payload is a u64 LE log position followed by the caller's entry bytes. Positions strictly
// increase across the whole log (gaps allowed); the first record of a segment has the position
// its name says. Nothing else is in a file (no header), so a file is valid up to its first bad
// frame, and the log is valid up to the first bad frame of its first damaged segment.
//
// Recovery (recovery.ts) validates every frame: length, checksum, payload of at least the 8
// position bytes (so a zero-filled tail, which frames as valid empty payloads, is damage),
// increasing positions, the segment name. Repair cuts there and deletes the later segments,
// within the bounds the caller knows from its checkpoint and LMDB (RecoveryBounds).
//
// Writing and group commit: see writer.ts. Segments are created when their first record is
// written, so a WAL never used for writing leaves no file behind, and rotation happens at append
// time: a record that would take the current segment past segmentBytes starts the next one.
import { BadArgError } from "../errors.js";
import { type FileModes, makeDirSync, PRIVATE_MODES } from "../file-modes.js";
import { realIo, type WalIo } from "./io.js";
import { MAX_ENTRY_BYTES } from "./record.js";
import { type RecoveryBounds, type RepairReport, recoverWal, type WalEntry } from "./recovery.js";
import { SegmentFiles } from "./segment-files.js";
import { type Durability, GroupCommitWriter } from "./writer.js";

export const DEFAULT_SEGMENT_BYTES = 64 * 1024 * 1024;

export interface WalOptions {
  /** On damage: true cuts the log at the first bad record and goes on; false throws CorruptFileError. */
  readonly autoRepair: boolean;
  /** Size at which a new segment is started (default 64 MiB). */
  readonly segmentBytes?: number;
  /** Told what a repair dropped, and of damage ignored in obsolete segments. */
  readonly onRepair?: (report: RepairReport) => void;
  /** What the caller knows of the log from elsewhere: see RecoveryBounds. */
  readonly bounds?: RecoveryBounds;
  /** Modes of the WAL directory and its segment files (default private: 0o700, 0o600). */
  readonly modes?: FileModes;
  /** Replaces system calls, for fault injection in tests. */
  readonly io?: Partial<WalIo>;
}

export interface WalStats {
  /** write batches handed to the OS (each one write per segment touched). */
  readonly writes: number;
  /** fdatasync calls on segment files. */
  readonly fsyncs: number;
  /** Bytes written since open. */
  readonly bytes: number;
  /** Segment files in the directory. */
  readonly segments: number;
}

const DURABILITIES: readonly string[] = ["fsync", "os", "none"];

export class Wal {
  private constructor(
    readonly dir: string,
    private readonly files: SegmentFiles,
    private readonly writer: GroupCommitWriter,
  ) {}

  /**
   * Opens (creating if needed) the WAL in `dir` and reads it back. Synchronous.
   * Throws CorruptFileError on damage unless `autoRepair`.
   */
  static open(dir: string, options: WalOptions): { wal: Wal; entries: WalEntry[] } {
    const segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    if (!Number.isSafeInteger(segmentBytes) || segmentBytes <= 0) {
      throw new BadArgError(`segmentBytes must be a positive integer, got ${segmentBytes}`, {
        value: segmentBytes,
      });
    }
    const modes = options.modes ?? PRIVATE_MODES;
    makeDirSync(dir, modes.dir, true);
    const scan = recoverWal(dir, options.autoRepair, options.onRepair, options.bounds);
    const io: WalIo = { ...realIo, ...options.io };
    const files = new SegmentFiles(dir, scan.segments, io, modes.file);
    const last = scan.entries.at(-1)?.position ?? 0;
    const wal = new Wal(dir, files, new GroupCommitWriter(files, last, segmentBytes));
    return { wal, entries: scan.entries };
  }

  /** Told once when the WAL fails for good (a failed fdatasync): every later write throws. */
  set onFailure(fn: ((e: unknown) => void) | undefined) {
    this.writer.onFailure = fn;
  }

  /** The bytes of the segment files now (a few stat calls: for metrics, not for every write). */
  diskBytes(): number {
    return this.files.diskBytes();
  }

  /** Position of the last appended record; 0 when the log is empty. */
  get lastPosition(): number {
    return this.writer.appended;
  }

  /** Highest position known to be fdatasynced. */
  get durablePosition(): number {
    return this.writer.durable;
  }

  get stats(): WalStats {
    const w = this.writer;
    return { writes: w.writes, fsyncs: w.fsyncs, bytes: w.bytes, segments: this.files.count };
  }

  /**
   * Writes a record to the OS (one write; fdatasync is left to whenDurable/flushSync). `position`
   * must be a safe integer above lastPosition. The entry is `bytes`, or the concatenation of its
   * parts (so a large entry encoded in pieces is copied once, into the frame). Throws a FileError
   * (DiskFullError on ENOSPC) when the write fails; the log is then as before the call.
   */
  append(position: number, bytes: Uint8Array | readonly Uint8Array[]): void {
    if (!Number.isSafeInteger(position) || position <= this.writer.appended) {
      throw new BadArgError(
        `WAL position must be an integer above ${this.writer.appended}, got ${position}`,
        { value: position },
      );
    }
    const parts = bytes instanceof Uint8Array ? [bytes] : bytes;
    let length = 0;
    for (const part of parts) {
      if (!(part instanceof Uint8Array)) {
        throw new BadArgError("a WAL entry must be a Uint8Array or an array of them");
      }
      length += part.length;
    }
    if (length > MAX_ENTRY_BYTES) {
      throw new BadArgError("WAL entry must be at most 1 GiB - 8 bytes");
    }
    this.writer.append(position, parts, length);
  }

  /**
   * Resolves once every record up to `position` is written to the OS ("os") or also fdatasynced
   * ("fsync"); "none" resolves at once. A position above lastPosition waits for lastPosition.
   * Rejects with the I/O error if the WAL failed.
   */
  whenDurable(position: number, mode: Durability): Promise<void> {
    if (!DURABILITIES.includes(mode)) {
      return Promise.reject(new BadArgError(`unknown durability ${String(mode)}`, { value: mode }));
    }
    return this.writer.whenDurable(position, mode);
  }

  /** fdatasyncs now if `fsync` (records are written at append). Throws a FileError on failure. */
  flushSync(fsync: boolean): void {
    this.writer.flushSync(fsync);
  }

  /**
   * Takes back the last record appended, at `position`, whose entry could not be applied: the
   * log is cut back and fdatasynced, so the record is never replayed.
   */
  retract(position: number): void {
    this.writer.retract(position);
  }

  /** The next record starts a new segment: a checkpoint calls it so its whole log can go. */
  startNewSegment(): void {
    this.writer.startNewSegment();
  }

  /**
   * Deletes the segment files all of whose records are below `position` (never the current one).
   * Returns how many were deleted.
   */
  truncateBefore(position: number): number {
    return this.writer.truncateBefore(position);
  }

  /** Writes, fdatasyncs and closes. */
  close(): Promise<void> {
    return this.writer.close();
  }

  closeSync(): void {
    this.writer.closeSync();
  }
}
