// The payload of a WAL frame: u64 LE log position, then the caller's entry bytes.
// The position is inside the checksummed payload, so a damaged position is caught like damaged
// data; and a payload always has at least 8 bytes, so a zero-filled tail (length 0, CRC 0, which
// is a valid frame of nothing) is told apart from a record.
import { MAX_FRAME_PAYLOAD } from "../disc/frame.js";

export const POSITION_BYTES = 8;
/** The largest entry a frame can carry. */
export const MAX_ENTRY_BYTES = MAX_FRAME_PAYLOAD - POSITION_BYTES;

const TWO_32 = 0x1_0000_0000;

/** Writes the position prefix of a payload into `out` at `offset`. */
export function writePosition(out: Buffer, offset: number, position: number): void {
  out.writeUInt32LE(position % TWO_32, offset);
  out.writeUInt32LE(Math.floor(position / TWO_32), offset + 4);
}

/** The position a payload starts with; undefined if the payload is too short or the value unsafe. */
export function decodePosition(payload: Buffer): number | undefined {
  if (payload.length < POSITION_BYTES) return undefined;
  const position = payload.readUInt32LE(4) * TWO_32 + payload.readUInt32LE(0);
  return Number.isSafeInteger(position) ? position : undefined;
}
