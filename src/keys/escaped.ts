// Self-delimiting byte runs for strings and binaries: 0x00 is escaped as 0x00 0xFF and the run
// ends with 0x00 0x00, so a prefix sorts first and the run can sit inside an array encoding.
// Strings are written as WTF-8: UTF-8 that also encodes lone surrogates (as 0xED 0xA0..0xBF ..),
// which keeps byte order equal to code point order and never collides two strings.

import { type ByteReader, type ByteWriter, malformed } from "./bytes.js";

export function writeString(w: ByteWriter, s: string): void {
  const len = s.length;
  // At most 3 bytes per UTF-16 unit (a pair takes 4 for 2 units; 0x00 takes 2), plus terminator.
  w.reserve(len * 3 + 2);
  const buf = w.buf;
  let p = w.pos;
  for (let i = 0; i < len; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      if (c === 0) {
        buf[p++] = 0;
        buf[p++] = 0xff;
      } else {
        buf[p++] = c;
      }
    } else if (c < 0x800) {
      buf[p++] = 0xc0 | (c >> 6);
      buf[p++] = 0x80 | (c & 0x3f);
    } else {
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < len) {
        const lo = s.charCodeAt(i + 1);
        if (lo >= 0xdc00 && lo <= 0xdfff) {
          c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
          i++;
          buf[p++] = 0xf0 | (c >> 18);
          buf[p++] = 0x80 | ((c >> 12) & 0x3f);
          buf[p++] = 0x80 | ((c >> 6) & 0x3f);
          buf[p++] = 0x80 | (c & 0x3f);
          continue;
        }
      }
      // BMP character or lone surrogate.
      buf[p++] = 0xe0 | (c >> 12);
      buf[p++] = 0x80 | ((c >> 6) & 0x3f);
      buf[p++] = 0x80 | (c & 0x3f);
    }
  }
  buf[p++] = 0;
  buf[p++] = 0;
  w.pos = p;
}

export function writeBytes(w: ByteWriter, bytes: Uint8Array): void {
  const len = bytes.length;
  w.reserve(len * 2 + 2);
  const buf = w.buf;
  let p = w.pos;
  for (let i = 0; i < len; i++) {
    const b = bytes[i]!;
    buf[p++] = b;
    if (b === 0) buf[p++] = 0xff;
  }
  buf[p++] = 0;
  buf[p++] = 0;
  w.pos = p;
}

/** Read a string written by writeString; rejects anything writeString would not produce. */
export function readString(r: ByteReader): string {
  const b = r.bytes;
  const end = b.length;
  let p = r.pos;
  const units: number[] = [];
  // A lone high surrogate directly followed by a lone low one must have been written as a pair.
  let afterLoneHigh = false;
  for (;;) {
    if (p >= end) throw malformed("unterminated string");
    const c = b[p++]!;
    if (c < 0x80) {
      if (c === 0) {
        const e = b[p++];
        if (e === 0) break;
        if (e !== 0xff) throw malformed("bad escape in string");
      }
      units.push(c);
      afterLoneHigh = false;
    } else if (c >= 0xc2 && c < 0xe0) {
      units.push(((c & 0x1f) << 6) | cont(b, p++));
      afterLoneHigh = false;
    } else if (c >= 0xe0 && c < 0xf0) {
      const cp = ((c & 0x0f) << 12) | (cont(b, p++) << 6) | cont(b, p++);
      if (cp < 0x800) throw malformed("overlong UTF-8");
      if (afterLoneHigh && cp >= 0xdc00 && cp <= 0xdfff) throw malformed("split surrogate pair");
      units.push(cp);
      afterLoneHigh = cp >= 0xd800 && cp <= 0xdbff;
    } else if (c >= 0xf0 && c < 0xf5) {
      const cp = ((c & 0x07) << 18) | (cont(b, p++) << 12) | (cont(b, p++) << 6) | cont(b, p++);
      if (cp < 0x10000 || cp > 0x10ffff) throw malformed("code point out of range");
      units.push(0xd800 + ((cp - 0x10000) >> 10), 0xdc00 + ((cp - 0x10000) & 0x3ff));
      afterLoneHigh = false;
    } else {
      throw malformed("invalid UTF-8 lead byte");
    }
  }
  r.pos = p;
  return fromUnits(units);
}

/** Read a binary written by writeBytes. */
export function readBytes(r: ByteReader): Uint8Array {
  const b = r.bytes;
  const end = b.length;
  // First pass: validate and measure; second: copy without the escapes.
  let p = r.pos;
  let n = 0;
  for (;;) {
    if (p >= end) throw malformed("unterminated binary");
    if (b[p++] === 0) {
      const e = b[p++];
      if (e === 0) break;
      if (e !== 0xff) throw malformed("bad escape in binary");
    }
    n++;
  }
  const out = new Uint8Array(n);
  let q = r.pos;
  for (let i = 0; i < n; i++) {
    const v = b[q++]!;
    out[i] = v;
    if (v === 0) q++;
  }
  r.pos = p;
  return out;
}

function cont(b: Uint8Array, p: number): number {
  const c = b[p];
  if (c === undefined || (c & 0xc0) !== 0x80) throw malformed("bad UTF-8 continuation byte");
  return c & 0x3f;
}

const CHUNK = 8192;

function fromUnits(units: number[]): string {
  if (units.length <= CHUNK) return String.fromCharCode(...units);
  let s = "";
  for (let i = 0; i < units.length; i += CHUNK) {
    s += String.fromCharCode(...units.slice(i, i + CHUNK));
  }
  return s;
}
