// CRC-32 (the zlib polynomial) of a range of bytes, without making a view of it: LMDB values are
// checked on every read, and for the short values most records are, a table loop in JavaScript
// costs less than zlib's call plus the subarray it needs. Longer ranges go to zlib.
import { crc32 } from "node:zlib";

const TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}
/** Above this many bytes zlib is faster. */
const SHORT = 128;

/** The CRC-32 of `buf[start..end)`, continuing from `seed` (the CRC of the bytes before). */
export function crc32Range(buf: Uint8Array, start: number, end: number, seed = 0): number {
  if (end - start > SHORT) return crc32(buf.subarray(start, end), seed);
  let c = ~seed;
  for (let i = start; i < end; i++) c = TABLE[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
