// Reading and damaging the WAL of a killed workload's directory, from the outside.
//
// What can legitimately be lost when we damage the log. A record that reached an LMDB table
// (disc_only_copies) is in LMDB for good: LMDB commits are in the OS at once and a replay skips
// what LMDB already holds. Cutting such a record away from the log would keep its LMDB half and
// lose its disc_copies half, so the database refuses such a log, repair or not (as it refuses a
// log that no longer reaches the WAL position its checkpoint recorded, when a snapshot older than
// that still needs the records). So the damage is kept to the records after the position the
// database requires (`requiredPosition`, computed as the database does). Within that region the
// database must lose at most the records from the damage on that are above the checkpoint, and
// keep every other one. wal-segments.test.ts damages old segments and checks the refusals.
import fs from "node:fs";
import { readCheckpoint } from "../../src/disc/checkpoint.js";
import { walBounds } from "../../src/disc/disc-storage.js";
import { decodeWalPayload } from "../../src/disc/durable-log.js";
import { readFrame } from "../../src/disc/frame.js";
import { DirLayout } from "../../src/disc/layout.js";
import { decodePosition, POSITION_BYTES } from "../../src/wal/record.js";
import { listSegments } from "../../src/wal/segment-names.js";
import { ACCOUNT_LMDB, between, HISTORY, type HistoryStorage, TMP_PREFIX } from "./model.js";

export interface WalRecord extends WalFrame {
  /** Whether it may write to an LMDB (disc_only_copies) table (scratch tables count). */
  readonly touchesLmdb: boolean;
  /** The history records (transfer ids) it writes. */
  readonly transfers: readonly string[];
}

interface LoggedOp {
  readonly op?: string;
  readonly table?: string;
  readonly record?: { readonly id?: unknown };
}

/** Where a WAL record is, and its position. */
export interface WalFrame {
  readonly file: string;
  readonly offset: number;
  readonly end: number;
  readonly position: number;
}

/**
 * The intact records of every segment of `walDir`, in order (each segment read up to its first
 * bad frame), with what `describe` makes of each record's ops.
 */
export function readWalRecords<T, Op>(
  walDir: string,
  describe: (ops: readonly Op[]) => T,
): (WalFrame & T)[] {
  const out: (WalFrame & T)[] = [];
  for (const seg of listSegments(walDir)) {
    const buf = fs.readFileSync(seg.path);
    let offset = 0;
    for (;;) {
      const f = readFrame(buf, offset);
      if (f === undefined || f.kind !== "frame") break;
      const position = decodePosition(f.payload);
      if (position === undefined) break;
      // The ops as the caller reads them (only the fields it names, all optional).
      const payload = decodeWalPayload(f.payload.subarray(POSITION_BYTES)) as unknown as {
        readonly ops?: readonly Op[];
      };
      out.push({ file: seg.path, offset, end: f.end, position, ...describe(payload.ops ?? []) });
      offset = f.end;
    }
  }
  return out;
}

/** The intact records of every segment, in order (stops at the first bad frame of a segment). */
export function readWal(dir: string, historyStorage: HistoryStorage): WalRecord[] {
  const layout = new DirLayout(dir);
  if (!fs.existsSync(layout.wal)) return [];
  return readWalRecords(layout.wal, (ops: readonly LoggedOp[]) => {
    const transfers: string[] = [];
    let touchesLmdb = false;
    for (const op of ops) {
      if (op.table === ACCOUNT_LMDB || op.table?.startsWith(TMP_PREFIX)) touchesLmdb = true;
      if (op.table === HISTORY) {
        if (historyStorage === "disc_only_copies") touchesLmdb = true;
        if (op.op === "write" && typeof op.record?.id === "string") transfers.push(op.record.id);
      }
    }
    return { touchesLmdb, transfers };
  });
}

export type DamageKind = "truncate" | "bitflip";

export interface Damage {
  readonly kind: DamageKind;
  readonly file: string;
  /** truncate: the new length; bitflip: the byte changed. */
  readonly offset: number;
  readonly bit?: number;
  /** Whether an open with autoRepair false must fail (a cut at a record boundary is a clean log). */
  readonly corrupt: boolean;
  /** The offset of the first bad record, as CorruptFileError must report it. */
  readonly badRecordOffset: number;
  /** Transfers of the records cut away or made unreadable that no snapshot holds. */
  readonly lost: ReadonlySet<string>;
  /** Records that stay intact. */
  readonly kept: number;
  readonly cut: number;
}

/**
 * The position the log must still reach after a repair, as DiscStorage.open computes it; LMDB's
 * applied position is taken as the last record that may touch LMDB (at least as high).
 */
export function requiredPosition(dir: string, records: readonly WalRecord[]): number {
  const layout = new DirLayout(dir);
  const checkpoint = readCheckpoint(layout);
  if (checkpoint === undefined) return 0;
  let lmdb = 0;
  for (const r of records) if (r.touchesLmdb) lmdb = Math.max(lmdb, r.position);
  return walBounds(layout, checkpoint, lmdb).required?.position ?? 0;
}

/**
 * Damages the tail of the last segment where allowed (see the top of the file); undefined when
 * nothing may be damaged (the last record is at or below the required position).
 */
export function damageTail(
  dir: string,
  records: readonly WalRecord[],
  kind: DamageKind,
  rand: () => number,
): Damage | undefined {
  if (records.length === 0) return undefined;
  const checkpoint = readCheckpoint(new DirLayout(dir))?.position ?? 0;
  const required = requiredPosition(dir, records);
  const file = records[records.length - 1]!.file;
  // The first record of the last segment from which on every record may be lost.
  let first = records.length;
  while (first > 0) {
    const r = records[first - 1]!;
    if (r.file !== file || r.position <= required) break;
    first--;
  }
  if (first === records.length) return undefined;
  const region = records.slice(first);
  const start = region[0]!.offset;
  const end = region[region.length - 1]!.end;
  // Half the time inside the last record only: a torn write as a crash makes it.
  const lo = rand() < 0.5 ? region[region.length - 1]!.offset : start;
  let offset = between(rand, lo, end - 1);
  const hit = region.findIndex((r) => r.end > offset);
  // Now and then a cut exactly between two records: a clean, shorter log.
  if (kind === "truncate" && rand() < 0.2) offset = region[hit]!.offset;
  const damaged = region[hit]!;
  const lostRecords = region.slice(hit);
  // Records at or below the checkpoint position are in the snapshots: nothing of them is lost.
  const lost = new Set(
    lostRecords.filter((r) => r.position > checkpoint).flatMap((r) => r.transfers),
  );
  const kept = records.length - lostRecords.length;
  if (kind === "truncate") {
    fs.truncateSync(file, offset);
    // A cut at a record boundary leaves a clean, shorter log; a cut to nothing an empty segment,
    // which is damage.
    const corrupt = offset !== damaged.offset || offset === 0;
    return {
      kind,
      file,
      offset,
      corrupt,
      badRecordOffset: offset === 0 ? 0 : damaged.offset,
      lost,
      kept,
      cut: lostRecords.length,
    };
  }
  const bit = between(rand, 0, 7);
  const fd = fs.openSync(file, "r+");
  try {
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, offset);
    b[0] = b[0]! ^ (1 << bit);
    fs.writeSync(fd, b, 0, 1, offset);
  } finally {
    fs.closeSync(fd);
  }
  return {
    kind,
    file,
    offset,
    bit,
    corrupt: true,
    badRecordOffset: damaged.offset,
    lost,
    kept,
    cut: lostRecords.length,
  };
}
