// Growable byte buffers for the key encoding: one reusable writer (encoding is synchronous and
// never re-entered) and a bounds-checked reader that rejects malformed input.

import { BadTypeError } from "../errors.js";

export class ByteWriter {
  buf: Buffer = Buffer.allocUnsafe(256);
  pos = 0;

  /** Make room for `n` more bytes. */
  reserve(n: number): void {
    const need = this.pos + n;
    if (need <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(need, this.buf.length * 2));
    this.buf.copy(next, 0, 0, this.pos);
    this.buf = next;
  }

  byte(b: number): void {
    this.reserve(1);
    this.buf[this.pos++] = b;
  }

  u32(n: number): void {
    this.reserve(4);
    this.buf.writeUInt32BE(n, this.pos);
    this.pos += 4;
  }

  /** A copy of the bytes written so far, as a plain Uint8Array. */
  copy(): Uint8Array {
    const out = new Uint8Array(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    return out;
  }

  /** The bytes written so far as a latin1 string (one char per byte). */
  latin1(): string {
    return this.buf.toString("latin1", 0, this.pos);
  }
}

/** The writer shared by encodeKey, mapKey and termMapKey; callers reset `pos` first. */
export const scratch = new ByteWriter();

export class ByteReader {
  pos = 0;
  constructor(readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.pos;
  }

  /** Throw unless `n` more bytes are available. */
  need(n: number): void {
    if (this.bytes.length - this.pos < n) throw malformed("truncated input");
  }

  byte(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }

  u32(): number {
    this.need(4);
    const b = this.bytes;
    const p = this.pos;
    this.pos += 4;
    return ((b[p]! << 24) | (b[p + 1]! << 16) | (b[p + 2]! << 8) | b[p + 3]!) >>> 0;
  }
}

export function malformed(why: string): BadTypeError {
  return new BadTypeError(`malformed key encoding: ${why}`);
}
