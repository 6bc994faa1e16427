// Reading some fields of an encoded record without decoding it: a scan of a disc_only table
// tests the attributes a match spec reads on the LMDB bytes in place, and decodes only the
// records that pass. Records are MessagePack maps with string keys (term-codec.ts): this walks
// the top-level map, skips the values it is not asked for, and decodes the others (small
// numbers, booleans, null and short ASCII strings here; anything else by msgpackr, on its range).
// What it cannot follow (see skip) makes it give up, and the record is decoded whole.
import { decodeTermRange } from "./term-codec.js";

/** The fields to read: their names, and the same names as UTF-8 bytes. */
export interface FieldNames {
  readonly names: readonly string[];
  readonly bytes: readonly Uint8Array[];
}

export function fieldNames(names: readonly string[]): FieldNames {
  const enc = new TextEncoder();
  return { names, bytes: names.map((n) => enc.encode(n)) };
}

/**
 * Sets `into[name]` for every name of `fields` to the value of the map `v[start..end)` holds
 * under it (undefined if none). False when the bytes are not a map with string keys that this
 * reader follows to its end (then the caller decodes the whole value instead).
 */
export function readFields(
  v: Uint8Array,
  start: number,
  end: number,
  fields: FieldNames,
  into: Record<string, unknown>,
): boolean {
  const { names, bytes } = fields;
  for (let i = 0; i < names.length; i++) into[names[i]!] = undefined;
  let p = start;
  if (p >= end) return false;
  const b = v[p]!;
  let n: number;
  if (b >= 0x80 && b <= 0x8f) {
    n = b & 0x0f;
    p += 1;
  } else if (b === 0xde && p + 3 <= end) {
    n = (v[p + 1]! << 8) | v[p + 2]!;
    p += 3;
  } else return false;
  let left = names.length;
  for (let e = 0; e < n && left > 0; e++) {
    // The key: a string.
    const k = v[p]!;
    let klen: number;
    if (k >= 0xa0 && k <= 0xbf) {
      klen = k & 0x1f;
      p += 1;
    } else if (k === 0xd9 && p + 2 <= end) {
      klen = v[p + 1]!;
      p += 2;
    } else return false;
    if (p + klen > end) return false;
    const which = nameAt(v, p, klen, bytes);
    p += klen;
    const after = skip(v, p, end, 0);
    if (after < 0) return false;
    if (which >= 0) {
      into[names[which]!] = valueAt(v, p, after);
      left--;
    }
    p = after;
  }
  return true;
}

/** The index of the name whose bytes are v[p..p+len), or -1. */
function nameAt(v: Uint8Array, p: number, len: number, bytes: readonly Uint8Array[]): number {
  outer: for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    if (b.length !== len) continue;
    for (let j = 0; j < len; j++) if (b[j] !== v[p + j]) continue outer;
    return i;
  }
  return -1;
}

/** The value encoded in v[p..end). */
function valueAt(v: Uint8Array, p: number, end: number): unknown {
  const b = v[p]!;
  if (b <= 0x7f) return b;
  if (b >= 0xe0) return b - 0x100;
  switch (b) {
    case 0xc0:
      return null;
    case 0xc2:
      return false;
    case 0xc3:
      return true;
    case 0xcc:
      return v[p + 1]!;
    case 0xcd:
      return (v[p + 1]! << 8) | v[p + 2]!;
    case 0xce:
      return ((v[p + 1]! << 24) | (v[p + 2]! << 16) | (v[p + 3]! << 8) | v[p + 4]!) >>> 0;
    case 0xd0:
      return (v[p + 1]! << 24) >> 24;
    case 0xd1:
      return (((v[p + 1]! << 8) | v[p + 2]!) << 16) >> 16;
    case 0xd2:
      return (v[p + 1]! << 24) | (v[p + 2]! << 16) | (v[p + 3]! << 8) | v[p + 4]!;
  }
  if (b >= 0xa0 && b <= 0xbf && end - p <= 33) {
    let s = "";
    for (let i = p + 1; i < end; i++) {
      const c = v[i]!;
      if (c >= 0x80) return decodeTermRange(v, p, end);
      s += String.fromCharCode(c);
    }
    return s;
  }
  return decodeTermRange(v, p, end);
}

/** Where the value starting at v[p] ends (before `end`), or -1 if it does not. */
function skip(v: Uint8Array, p: number, end: number, depth: number): number {
  if (p >= end || depth > 1100) return -1;
  const b = v[p]!;
  let q: number;
  if (b <= 0x7f || b >= 0xe0 || b === 0xc0 || b === 0xc2 || b === 0xc3) q = p + 1;
  else if (b >= 0xa0 && b <= 0xbf) q = p + 1 + (b & 0x1f);
  else if (b >= 0x80 && b <= 0x8f) return items(v, p + 1, end, 2 * (b & 0x0f), depth);
  else if (b >= 0x90 && b <= 0x9f) return items(v, p + 1, end, b & 0x0f, depth);
  else {
    switch (b) {
      case 0xcc:
      case 0xd0:
        q = p + 2;
        break;
      case 0xcd:
      case 0xd1:
        q = p + 3;
        break;
      case 0xca:
      case 0xce:
      case 0xd2:
        q = p + 5;
        break;
      case 0xcb:
      case 0xcf:
      case 0xd3:
        q = p + 9;
        break;
      // fixext 1: msgpackr's tag extensions (ours for "__proto__" keys among them) put the
      // tagged value after it, so its end is not in its header: decode the record instead.
      case 0xd5:
        q = p + 4;
        break;
      case 0xd6:
        q = p + 6;
        break;
      case 0xd7:
        q = p + 10;
        break;
      case 0xd8:
        q = p + 18;
        break;
      case 0xc4:
      case 0xd9:
        q = p + 2 + len(v, p + 1, 1, end);
        break;
      case 0xc5:
      case 0xda:
        q = p + 3 + len(v, p + 1, 2, end);
        break;
      case 0xc6:
      case 0xdb:
        q = p + 5 + len(v, p + 1, 4, end);
        break;
      case 0xc7:
        q = p + 3 + len(v, p + 1, 1, end);
        break;
      case 0xc8:
        q = p + 4 + len(v, p + 1, 2, end);
        break;
      case 0xc9:
        q = p + 6 + len(v, p + 1, 4, end);
        break;
      case 0xdc:
        return items(v, p + 3, end, len(v, p + 1, 2, end), depth);
      case 0xdd:
        return items(v, p + 5, end, len(v, p + 1, 4, end), depth);
      case 0xde:
        return items(v, p + 3, end, 2 * len(v, p + 1, 2, end), depth);
      case 0xdf:
        return items(v, p + 5, end, 2 * len(v, p + 1, 4, end), depth);
      default:
        return -1;
    }
  }
  return q > end || Number.isNaN(q) ? -1 : q;
}

/** Where `n` values starting at v[p] end, or -1. */
function items(v: Uint8Array, p: number, end: number, n: number, depth: number): number {
  if (Number.isNaN(n) || p > end) return -1;
  for (let i = 0; i < n; i++) {
    p = skip(v, p, end, depth + 1);
    if (p < 0) return -1;
  }
  return p;
}

/** The big-endian length of `size` bytes at v[p], or NaN past `end`. */
function len(v: Uint8Array, p: number, size: 1 | 2 | 4, end: number): number {
  if (p + size > end) return Number.NaN;
  if (size === 1) return v[p]!;
  if (size === 2) return (v[p]! << 8) | v[p + 1]!;
  return ((v[p]! << 24) | (v[p + 1]! << 16) | (v[p + 2]! << 8) | v[p + 3]!) >>> 0;
}
