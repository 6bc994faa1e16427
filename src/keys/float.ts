// float64 ⇄ 8 bytes whose unsigned byte order is the numeric order: non-negatives get the sign
// bit flipped, negatives get every bit inverted (so larger magnitudes sort lower).

const f64 = new Float64Array(1);
const f64Bytes = new Uint8Array(f64.buffer);
// Index of the most significant byte in f64Bytes on this platform.
const MSB = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 7 : 0;

/** Write the ordered bytes of `d` at `buf[p..p+8)`. -0 is written as 0. */
export function writeOrderedDouble(buf: Uint8Array, p: number, d: number): void {
  f64[0] = d === 0 ? 0 : d;
  const flip = (f64Bytes[MSB]! & 0x80) !== 0 ? 0xff : 0;
  for (let i = 0; i < 8; i++) buf[p + i] = f64Bytes[MSB === 7 ? 7 - i : i]! ^ flip;
  if (flip === 0) buf[p]! ^= 0x80;
}

/** Read back a double written by writeOrderedDouble from `bytes[p..p+8)`. */
export function readOrderedDouble(bytes: Uint8Array, p: number): number {
  const flip = (bytes[p]! & 0x80) !== 0 ? 0 : 0xff;
  for (let i = 0; i < 8; i++) f64Bytes[MSB === 7 ? 7 - i : i] = bytes[p + i]! ^ flip;
  if (flip === 0) f64Bytes[MSB]! ^= 0x80;
  return f64[0]!;
}
