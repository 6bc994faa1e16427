// Framing of records in Mneme's files (WAL segments, table snapshots): each record is
//   u32 LE payload length | u32 LE CRC-32 of the payload | payload
// so that a reader can tell a complete, intact record from a torn or damaged one.
import { crc32 } from "node:zlib";

export const FRAME_HEADER_BYTES = 8;
/** Larger lengths are treated as damage rather than trusted (no record is near this). */
export const MAX_FRAME_PAYLOAD = 1 << 30;

/** The framed bytes of one payload. */
export function encodeFrame(payload: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(FRAME_HEADER_BYTES + payload.length);
  out.writeUInt32LE(payload.length, 0);
  out.writeUInt32LE(crc32(payload), 4);
  out.set(payload, FRAME_HEADER_BYTES);
  return out;
}

export type FrameResult =
  | {
      readonly kind: "frame";
      readonly payload: Buffer;
      readonly offset: number;
      readonly end: number;
    }
  /** The bytes end inside a frame (a torn write). */
  | { readonly kind: "truncated"; readonly offset: number }
  /** A frame whose length is impossible or whose checksum does not match. */
  | { readonly kind: "corrupt"; readonly offset: number; readonly why: string };

/** The frame starting at `offset` of `buf`; undefined exactly at the end of the bytes. */
export function readFrame(buf: Buffer, offset: number): FrameResult | undefined {
  if (offset === buf.length) return undefined;
  if (buf.length - offset < FRAME_HEADER_BYTES) return { kind: "truncated", offset };
  const length = buf.readUInt32LE(offset);
  if (length > MAX_FRAME_PAYLOAD) {
    return { kind: "corrupt", offset, why: `impossible record length ${length}` };
  }
  const end = offset + FRAME_HEADER_BYTES + length;
  if (end > buf.length) return { kind: "truncated", offset };
  const payload = buf.subarray(offset + FRAME_HEADER_BYTES, end);
  if (crc32(payload) !== buf.readUInt32LE(offset + 4)) {
    return { kind: "corrupt", offset, why: "checksum mismatch" };
  }
  return { kind: "frame", payload, offset, end };
}
