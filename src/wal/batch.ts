// Records appended since the last write, framed into one buffer so a flush is one write per
// segment. Records that start a new segment are marked, so the flush knows where to rotate.
import { crc32 } from "node:zlib";
import { FRAME_HEADER_BYTES } from "../disc/frame.js";
import { POSITION_BYTES, writePosition } from "./record.js";

const INITIAL_BYTES = 64 * 1024;

export interface BatchPiece {
  readonly data: Buffer;
  /** The piece goes into a new segment whose first record has position `first`. */
  readonly startsSegment: boolean;
  readonly first: number;
}

/** Bytes a record with `entryBytes` of entry takes on disc. */
export function recordBytes(entryBytes: number): number {
  return FRAME_HEADER_BYTES + POSITION_BYTES + entryBytes;
}

export class Batch {
  private buf = Buffer.allocUnsafe(INITIAL_BYTES);
  private used = 0;
  private firstPosition = 0;
  private readonly starts: { offset: number; first: number }[] = [];
  /** Position of the last record in the batch (meaningless when empty). */
  lastPosition = 0;

  get bytes(): number {
    return this.used;
  }

  /** Frames a record (its entry is the concatenation of `parts`, `length` bytes) into the batch. */
  add(
    position: number,
    parts: readonly Uint8Array[],
    length: number,
    startsSegment: boolean,
  ): void {
    const need = recordBytes(length);
    if (this.used + need > this.buf.length) this.grow(this.used + need);
    if (startsSegment) this.starts.push({ offset: this.used, first: position });
    if (this.used === 0) this.firstPosition = position;
    // The frame (src/disc/frame.ts) of the record (./record.ts), written in place.
    const start = this.used + FRAME_HEADER_BYTES;
    writePosition(this.buf, start, position);
    let p = start + POSITION_BYTES;
    for (const part of parts) {
      this.buf.set(part, p);
      p += part.length;
    }
    this.buf.writeUInt32LE(p - start, this.used);
    this.buf.writeUInt32LE(crc32(this.buf.subarray(start, p)), this.used + 4);
    this.used = p;
    this.lastPosition = position;
  }

  /** The batch split at segment starts. Views into the buffer: valid until the next clear/add. */
  pieces(): BatchPiece[] {
    const out: BatchPiece[] = [];
    let from = 0;
    let first = this.firstPosition;
    let starts = false;
    for (const s of this.starts) {
      if (s.offset > from)
        out.push({ data: this.buf.subarray(from, s.offset), startsSegment: starts, first });
      from = s.offset;
      first = s.first;
      starts = true;
    }
    if (this.used > from)
      out.push({ data: this.buf.subarray(from, this.used), startsSegment: starts, first });
    return out;
  }

  clear(): void {
    this.used = 0;
    this.starts.length = 0;
    // Do not keep a buffer a burst made large.
    if (this.buf.length > 16 * INITIAL_BYTES) this.buf = Buffer.allocUnsafe(INITIAL_BYTES);
  }

  private grow(min: number): void {
    const next = Buffer.allocUnsafe(Math.max(min, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.used);
    this.buf = next;
  }
}
