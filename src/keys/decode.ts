// decodeKey: the inverse of encodeKey. Strict: anything encodeKey would not produce is rejected
// with BadTypeError, so decoded keys re-encode to the same bytes.

import { ByteReader, malformed } from "./bytes.js";
import { Remainder, Tag } from "./encode.js";
import { readBytes, readString } from "./escaped.js";
import { readOrderedDouble } from "./float.js";
import { MAX_KEY_BIGINT } from "./numbers.js";
import type { Key } from "./types.js";

/**
 * Decode one key that fills `bytes` exactly. Numbers come back as a `number` whenever the value
 * is exactly a double (so 1n and 2n ** 60n decode as numbers, equal by compareKeys), otherwise as
 * a bigint. Arrays come back as fresh, mutable arrays.
 */
export function decodeKey(bytes: Uint8Array): Key {
  const r = new ByteReader(bytes);
  const k = readKey(r);
  if (r.pos !== bytes.length) throw malformed("trailing bytes");
  return k;
}

function readKey(r: ByteReader): Key {
  const tag = r.byte();
  switch (tag) {
    case Tag.number:
      return readNumber(r);
    case Tag.false:
      return false;
    case Tag.null:
      return null;
    case Tag.true:
      return true;
    case Tag.array: {
      const n = r.u32();
      // Every element takes at least one byte: cheap guard against absurd lengths.
      if (n > r.remaining) throw malformed("array length beyond input");
      const out: Key[] = [];
      for (let i = 0; i < n; i++) out.push(readKey(r));
      return out;
    }
    case Tag.string:
      return readString(r);
    case Tag.binary:
      return readBytes(r);
    default:
      throw malformed(`unknown tag 0x${tag.toString(16).padStart(2, "0")}`);
  }
}

function readNumber(r: ByteReader): number | bigint {
  r.need(9);
  const b = r.bytes;
  const p = r.pos;
  const d = readOrderedDouble(b, p);
  if (Number.isNaN(d)) throw malformed("NaN in key");
  if (d === 0 && 1 / d < 0) throw malformed("-0 in key");
  const marker = b[p + 8]!;
  r.pos = p + 9;
  if (marker === Remainder.exact) return d;
  if (marker !== Remainder.negative && marker !== Remainder.positive) {
    throw malformed("bad number remainder marker");
  }
  const inv = marker === Remainder.negative ? 0xff : 0;
  const len = r.byte() ^ inv;
  r.need(len);
  let hex = "";
  for (let i = 0; i < len; i++) hex += (b[r.pos + i]! ^ inv).toString(16).padStart(2, "0");
  r.pos += len;
  if (len === 0 || hex.startsWith("00") || !Number.isInteger(d)) {
    throw malformed("non-canonical bigint remainder");
  }
  const m = BigInt(`0x${hex}`);
  const value = BigInt(d) + (inv ? -m : m);
  // Canonical only if the double is the value rounded; keys stay within ±Number.MAX_VALUE.
  if (Number(value) !== d || value > MAX_KEY_BIGINT || value < -MAX_KEY_BIGINT) {
    throw malformed("non-canonical bigint remainder");
  }
  return value;
}
