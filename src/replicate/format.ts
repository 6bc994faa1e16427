// The objects of a replica and their names.
//
//   manifest.json                          what the replica holds (manifest.ts)
//   snapshots/<position>.snap              a backup file (src/backup/file-module.ts format) of the
//                                          whole database at <position>
//   segments/<level>/<first>-<last>.seg    the WAL entries first..last, in order
//
// Positions are zero-padded to 16 digits, so name order is position order. A segment object is a
// sequence of frames (src/disc/frame.ts: length | CRC-32 | payload): a JSON header, then one frame
// per entry: u64 LE position | f64 LE commit time (ms) | the WAL entry bytes as the WAL holds them.
// Each object's SHA-256 is in the manifest; each segment also names the log checksum before and
// after it (the chain, below), so that a restore proves it applied exactly the shipped entries in
// order, and the manifest ties each snapshot to the chain at its position.
import { createHash } from "node:crypto";
import { encodeFrame, readFrame } from "../disc/frame.js";
import { CorruptFileError } from "../errors.js";
import { decodePosition, writePosition } from "../wal/record.js";

export const MANIFEST_KEY = "manifest.json";

export const pad = (n: number): string => String(n).padStart(16, "0");

export function snapshotKey(position: number): string {
  return `snapshots/${pad(position)}.snap`;
}

export function segmentKey(level: number, first: number, last: number): string {
  return `segments/${level}/${pad(first)}-${pad(last)}.seg`;
}

export function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** The log checksum after `entry`: SHA-256 of the one before, the position and the entry's bytes. */
export function chainNext(before: string, position: number, bytes: Uint8Array): string {
  const pos = Buffer.allocUnsafe(8);
  writePosition(pos, 0, position);
  return createHash("sha256").update(before, "hex").update(pos).update(bytes).digest("hex");
}

/** The log checksum a replica starts from: its first snapshot's position and database checksum. */
export function chainGenesis(position: number, state: string): string {
  return createHash("sha256").update(`mneme-replica:${position}:${state}`).digest("hex");
}

export interface ShippedEntry {
  readonly position: number;
  /** When the entry was committed (ms since the epoch), as the replicator saw it. */
  readonly time: number;
  /** The WAL entry bytes. */
  readonly bytes: Buffer;
}

export interface SegmentHeader {
  readonly format: "mneme-replica-segment";
  readonly version: 1;
  /** The position of the entry before this segment (the last of the previous one). */
  readonly from: number;
  readonly first: number;
  readonly last: number;
  readonly count: number;
  /** Log checksum at `from` and at `last`. */
  readonly before: string;
  readonly after: string;
}

export function encodeSegment(header: SegmentHeader, entries: readonly ShippedEntry[]): Buffer {
  const parts: Buffer[] = [encodeFrame(Buffer.from(JSON.stringify(header)))];
  for (const e of entries) {
    const payload = Buffer.allocUnsafe(16 + e.bytes.length);
    writePosition(payload, 0, e.position);
    payload.writeDoubleLE(e.time, 8);
    payload.set(e.bytes, 16);
    parts.push(encodeFrame(payload));
  }
  return Buffer.concat(parts);
}

/** Reads a segment object, checking every frame; CorruptFileError naming `name` otherwise. */
export function decodeSegment(
  bytes: Buffer,
  name: string,
): { header: SegmentHeader; entries: ShippedEntry[] } {
  const bad = (offset: number, why: string) =>
    new CorruptFileError("bad_checksum", `damaged replica segment: ${why}`, name, offset);
  const first = readFrame(bytes, 0);
  if (first?.kind !== "frame") throw bad(0, "no header");
  let header: SegmentHeader;
  try {
    header = JSON.parse(first.payload.toString("utf8")) as SegmentHeader;
  } catch {
    throw bad(0, "the header is not JSON");
  }
  if (header.format !== "mneme-replica-segment") throw bad(0, "not a segment object");
  const entries: ShippedEntry[] = [];
  let offset = first.end;
  for (;;) {
    const f = readFrame(bytes, offset);
    if (f === undefined) break;
    if (f.kind !== "frame") throw bad(offset, f.kind === "truncated" ? "truncated" : f.why);
    const position = decodePosition(f.payload);
    if (position === undefined || f.payload.length < 16) throw bad(offset, "entry too short");
    entries.push({
      position,
      time: f.payload.readDoubleLE(8),
      bytes: f.payload.subarray(16),
    });
    offset = f.end;
  }
  if (entries.length !== header.count) {
    throw bad(offset, `${entries.length} entries, the header says ${header.count}`);
  }
  return { header, entries };
}
