// Reading a WAL back: every frame of every segment is validated, and the log ends at the first
// bad one. Repair cuts the log there, so that appends continue after the last intact record.
//
// What the caller knows from elsewhere bounds the repair (RecoveryBounds): damage in a segment
// whose records a checkpoint already holds is ignored (cutting there would drop every later good
// segment for nothing); and a log that, repaired, would no longer hold a record whose effects
// another store already keeps (the LMDB tables' applied position) is refused, repair or not:
// that store would keep its half of transactions whose other half the cut drops.
import * as fs from "node:fs";
import { readFrame } from "../disc/frame.js";
import { CorruptFileError } from "../errors.js";
import { fsyncDirSync } from "./io.js";
import { decodePosition, POSITION_BYTES } from "./record.js";
import { listSegments } from "./segment-names.js";

export interface WalEntry {
  readonly position: number;
  /** The caller's entry bytes: a view into the segment's contents, as read at open. */
  readonly bytes: Buffer;
}

export type DamageReason = "truncated_binary_file" | "bad_checksum";

/** Where a WAL stops being intact. */
export interface Damage {
  /** Path of the damaged segment. */
  readonly file: string;
  /** Offset of the first bad byte: the start of the first bad record. */
  readonly offset: number;
  /** truncated_binary_file: the file ends inside a record (a torn write, an empty segment).
   * bad_checksum: a record fails its checksum or is not a record (too short, position out of
   * order or not the one the file name says). */
  readonly reason: DamageReason;
  readonly detail: string;
}

export interface RepairReport extends Damage {
  /** The damaged segment holds only records a checkpoint already holds: nothing was cut. */
  readonly obsolete: boolean;
  /** Bytes removed: the damaged segment's tail plus every later segment. */
  readonly droppedBytes: number;
  /** Segment files deleted: the later ones, and the damaged one if it was cut to nothing. */
  readonly deletedFiles: readonly string[];
}

/** What the caller knows of the log from elsewhere (see the top of the file). */
export interface RecoveryBounds {
  /** Records at or below this position are no longer needed: a checkpoint holds them. */
  readonly obsoleteThrough?: number;
  /**
   * A logged record whose effects `holder` (a description naming its files) already keeps: the
   * log must still hold it, repaired or not.
   */
  readonly required?: { readonly position: number; readonly holder: string };
}

export interface SegmentInfo {
  readonly first: number;
  readonly path: string;
  /** Bytes of intact records. */
  readonly size: number;
}

export interface WalScan {
  /** The intact records, in order. */
  readonly entries: WalEntry[];
  /** The segments holding them (the damaged one included when it keeps some records). */
  readonly segments: SegmentInfo[];
  readonly damage: Damage | undefined;
  /** Damage in segments holding only obsolete records (see RecoveryBounds): read past, not cut. */
  readonly ignored: readonly Damage[];
  /** The damaged segment's full size, and the segments after it: what a repair drops. */
  readonly dropped: { readonly fileSize: number; readonly later: readonly SegmentInfo[] };
}

/**
 * Reads the WAL in `dir` without changing anything. Damage in a segment all of whose records are
 * at or below `obsoleteThrough` (the next segment starts at most one above it) is only noted.
 */
export function scanWal(dir: string, obsoleteThrough = 0): WalScan {
  const entries: WalEntry[] = [];
  const segments: SegmentInfo[] = [];
  const later: SegmentInfo[] = [];
  const ignored: Damage[] = [];
  let damage: Damage | undefined;
  let fileSize = 0;
  let previous = 0;
  const list = listSegments(dir);
  for (const [i, seg] of list.entries()) {
    if (damage !== undefined) {
      later.push({ ...seg, size: fs.statSync(seg.path).size });
      continue;
    }
    const buf = fs.readFileSync(seg.path);
    const r = scanSegment(buf, seg.path, seg.first, previous, entries);
    previous = r.last;
    const next = list[i + 1];
    if (r.damage !== undefined && next !== undefined && next.first <= obsoleteThrough + 1) {
      // Its records are all below the next segment's first: the next checkpoint deletes it.
      ignored.push(r.damage);
      segments.push({ ...seg, size: buf.length });
    } else if (r.damage !== undefined) {
      damage = r.damage;
      fileSize = buf.length;
      if (r.damage.offset > 0) segments.push({ ...seg, size: r.damage.offset });
    } else {
      segments.push({ ...seg, size: buf.length });
    }
  }
  return { entries, segments, damage, ignored, dropped: { fileSize, later } };
}

/** Validates one segment's records, pushing them onto `into`; returns the last position. */
function scanSegment(
  buf: Buffer,
  file: string,
  first: number,
  previous: number,
  into: WalEntry[],
): { last: number; damage?: Damage } {
  const bad = (offset: number, reason: DamageReason, detail: string) => ({
    last: previous,
    damage: { file, offset, reason, detail },
  });
  // A segment is created just before its first record is written: empty means that write was lost.
  if (buf.length === 0) return bad(0, "truncated_binary_file", "empty segment");
  let offset = 0;
  for (;;) {
    const r = readFrame(buf, offset);
    if (r === undefined) return { last: previous };
    if (r.kind === "truncated") return bad(offset, "truncated_binary_file", "record cut short");
    if (r.kind === "corrupt") return bad(offset, "bad_checksum", r.why);
    const position = decodePosition(r.payload);
    if (position === undefined) {
      const why = r.payload.length < POSITION_BYTES ? "record too short" : "position out of range";
      return bad(offset, "bad_checksum", why);
    }
    if (offset === 0 && position !== first) {
      return bad(offset, "bad_checksum", `first position ${position}, file name says ${first}`);
    }
    if (position <= previous) {
      return bad(offset, "bad_checksum", `position ${position} after ${previous}`);
    }
    into.push({ position, bytes: r.payload.subarray(POSITION_BYTES) });
    previous = position;
    offset = r.end;
  }
}

/**
 * Opens the WAL in `dir` for writing: scans it; on damage either throws CorruptFileError
 * (autoRepair false: nothing is changed) or cuts the log at the damage. A log that would then end
 * before `bounds.required` is refused either way, unchanged. Then makes what is left durable,
 * since a previous process may have written records it never fsynced.
 */
export function recoverWal(
  dir: string,
  autoRepair: boolean,
  onRepair?: (report: RepairReport) => void,
  bounds: RecoveryBounds = {},
): WalScan {
  const scan = scanWal(dir, bounds.obsoleteThrough);
  const { damage } = scan;
  const required = bounds.required;
  const kept = scan.entries.at(-1)?.position ?? 0;
  if (required !== undefined && required.position > kept) {
    throw lostRequired(dir, scan, kept, required);
  }
  for (const d of scan.ignored) {
    onRepair?.({ ...d, obsolete: true, droppedBytes: 0, deletedFiles: [] });
  }
  if (damage !== undefined) {
    if (!autoRepair) {
      throw new CorruptFileError(
        damage.reason,
        `WAL segment damaged: ${damage.detail}`,
        damage.file,
        damage.offset,
      );
    }
    const report = repair(dir, scan, damage);
    onRepair?.(report);
  }
  for (const seg of scan.segments) {
    const fd = fs.openSync(seg.path, "r+");
    try {
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
  fsyncDirSync(dir);
  return scan;
}

function repair(dir: string, scan: WalScan, damage: Damage): RepairReport {
  const deletedFiles: string[] = [];
  let droppedBytes = scan.dropped.fileSize - damage.offset;
  // Later segments go first, and durably: if a crash interrupted the repair after the cut, they
  // would otherwise read as intact, with a hole before them.
  for (const seg of [...scan.dropped.later].reverse()) {
    fs.unlinkSync(seg.path);
    deletedFiles.push(seg.path);
    droppedBytes += seg.size;
  }
  fsyncDirSync(dir);
  if (damage.offset === 0) {
    // Nothing left: the name would not match the next record written, so the file goes.
    fs.unlinkSync(damage.file);
    deletedFiles.push(damage.file);
  } else {
    const fd = fs.openSync(damage.file, "r+");
    try {
      fs.ftruncateSync(fd, damage.offset);
      fs.fdatasyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
  }
  return { ...damage, obsolete: false, droppedBytes, deletedFiles: deletedFiles.reverse() };
}

/** The log, repaired, would end at `kept`, before a record another store already holds. */
function lostRequired(
  dir: string,
  scan: WalScan,
  kept: number,
  required: NonNullable<RecoveryBounds["required"]>,
): CorruptFileError {
  const what =
    `${required.holder} already holds log position ${required.position}, but the log ` +
    `${scan.damage === undefined ? "ends" : "cut at the damage would end"} at position ${kept}: `;
  const todo =
    "the entries in between would be kept only in part, so the log is not repaired. " +
    "Put the missing or damaged WAL segment files back, or restore the database from a backup";
  if (scan.damage !== undefined) {
    const d = scan.damage;
    return new CorruptFileError(
      d.reason,
      `WAL segment damaged (${d.detail}) in ${dir}; ${what}${todo}`,
      d.file,
      d.offset,
    );
  }
  const last = scan.segments.at(-1);
  return new CorruptFileError(
    "truncated_binary_file",
    `WAL records are missing in ${dir} (segment files deleted?); ${what}${todo}`,
    last?.path ?? dir,
    last?.size ?? 0,
  );
}
