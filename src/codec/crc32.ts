// CRC-32 (the zlib polynomial) of a range of bytes, without making a view of it: LMDB values are
// checked on every read, and for the short values most records are, a table loop in JavaScript
// costs less than zlib's call plus the subarray it needs. Longer ranges go to zlib.
import { crc32 } from "node:zlib";

/**
 * Slicing-by-8 tables: TABLE[k * 256 + n] is the CRC of byte n followed by k zero bytes, so eight
 * bytes are folded in with eight lookups and no dependency between them.
 */
const TABLE = new Int32Array(8 * 256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  TABLE[n] = c;
}
for (let n = 0; n < 256; n++) {
  for (let k = 1; k < 8; k++) {
    const prev = TABLE[(k - 1) * 256 + n]!;
    TABLE[k * 256 + n] = (prev >>> 8) ^ TABLE[prev & 0xff]!;
  }
}
/** Above this many bytes zlib is faster. */
const SHORT = 256;

/**
 * The CRC-32 of `buf[start..end)`, continuing from `seed` (the CRC of the bytes before). `view`,
 * a DataView of exactly `buf`, lets it read four bytes at a time (scans keep one for LMDB's
 * reused buffer).
 */
export function crc32Range(
  buf: Uint8Array,
  start: number,
  end: number,
  seed = 0,
  view?: DataView,
): number {
  if (end - start > SHORT) return crc32(buf.subarray(start, end), seed);
  const t = TABLE;
  let c = ~seed;
  let i = start;
  for (; i + 8 <= end; i += 8) {
    let a: number;
    let b: number;
    if (view !== undefined) {
      a = c ^ view.getInt32(i, true);
      b = view.getInt32(i + 4, true);
    } else {
      a = c ^ (buf[i]! | (buf[i + 1]! << 8) | (buf[i + 2]! << 16) | (buf[i + 3]! << 24));
      b = buf[i + 4]! | (buf[i + 5]! << 8) | (buf[i + 6]! << 16) | (buf[i + 7]! << 24);
    }
    c =
      t[1792 + (a & 0xff)]! ^
      t[1536 + ((a >>> 8) & 0xff)]! ^
      t[1280 + ((a >>> 16) & 0xff)]! ^
      t[1024 + (a >>> 24)]! ^
      t[768 + (b & 0xff)]! ^
      t[512 + ((b >>> 8) & 0xff)]! ^
      t[256 + ((b >>> 16) & 0xff)]! ^
      t[b >>> 24]!;
  }
  for (; i < end; i++) c = t[(c ^ buf[i]!) & 0xff]! ^ (c >>> 8);
  return ~c >>> 0;
}
