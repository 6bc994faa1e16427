// Order-preserving, self-delimiting binary encoding of keys (the LMDB key format of disc tables):
// for keys a, b, memcmp(encodeKey(a), encodeKey(b)) has the sign of compareKeys(a, b), and the
// encodings are byte-identical exactly when compareKeys(a, b) === 0.
//
// Tag table (one byte; gaps left for future types; * = never produced by encodeKey, only by the
// canonical term serialisation behind termMapKey, and not order-preserving there):
//   0x08 *NaN
//   0x10  number | bigint  8 bytes ordered float64 of the value rounded to the nearest double
//                          (-0 → 0; non-negatives: sign bit flipped; negatives: all bits inverted),
//                          then a remainder marker, value = double + remainder:
//                            0x40 negative remainder: inverted length byte, inverted magnitude
//                            0x80 exact (every number, and bigints that are doubles)
//                            0xC0 positive remainder: length byte, big-endian magnitude
//                          Rounding is monotonic, so (double, remainder) order is value order.
//   0x18 *bigint beyond ±Number.MAX_VALUE: its decimal text as an escaped string
//   0x20  false
//   0x28  null
//   0x30  true
//   0x40  array            u32 big-endian length (shorter first), then each element
//   0x50 *plain object     u32 big-endian size, the sorted keys as escaped strings, the values
//   0x60  string           WTF-8, 0x00 → 0x00 0xFF, terminated by 0x00 0x00
//   0x70  Uint8Array       the bytes, same escaping and terminator
//   0xF0 *undefined

import { BadTypeError } from "../errors.js";
import type { ByteWriter } from "./bytes.js";
import { scratch } from "./bytes.js";
import { writeBytes, writeString } from "./escaped.js";
import { writeOrderedDouble } from "./float.js";
import { isPlainObject } from "./kinds.js";
import { MAX_KEY_BIGINT, SAFE_BIG } from "./numbers.js";
import { compareStrings } from "./strings.js";
import type { Key } from "./types.js";
import { keyProblem, valueProblem } from "./validate.js";

export const Tag = {
  nan: 0x08,
  number: 0x10,
  hugeBigint: 0x18,
  false: 0x20,
  null: 0x28,
  true: 0x30,
  array: 0x40,
  map: 0x50,
  string: 0x60,
  binary: 0x70,
  undefined: 0xf0,
} as const;

export const Remainder = { negative: 0x40, exact: 0x80, positive: 0xc0 } as const;

/** The order-preserving encoding of a key. Throws BadTypeError for anything not a key. */
export function encodeKey(k: Key): Uint8Array {
  scratch.pos = 0;
  writeRootKey(scratch, k);
  return scratch.copy();
}

/** writeKey, with an error that names the whole key and the path to the bad element. */
export function writeRootKey(w: ByteWriter, k: unknown): void {
  try {
    writeKey(w, k);
  } catch (e) {
    if (e instanceof BadTypeError) throw new BadTypeError(keyProblem(k) ?? e.message, { key: k });
    throw e;
  }
}

/** Append the encoding of `k`; throws BadTypeError when it is not a key. */
export function writeKey(w: ByteWriter, k: unknown): void {
  switch (typeof k) {
    case "number":
      if (Number.isNaN(k)) break;
      writeDouble(w, k);
      w.byte(Remainder.exact);
      return;
    case "string":
      w.byte(Tag.string);
      writeString(w, k);
      return;
    case "boolean":
      w.byte(k ? Tag.true : Tag.false);
      return;
    case "bigint":
      if (k > MAX_KEY_BIGINT || k < -MAX_KEY_BIGINT) break;
      writeBigint(w, k);
      return;
    case "object":
      if (k === null) {
        w.byte(Tag.null);
        return;
      }
      if (k instanceof Uint8Array) {
        w.byte(Tag.binary);
        writeBytes(w, k);
        return;
      }
      if (Array.isArray(k)) {
        const arr: readonly unknown[] = k;
        w.byte(Tag.array);
        w.u32(arr.length);
        for (let i = 0; i < arr.length; i++) writeKey(w, arr[i]);
        return;
      }
      break;
  }
  throw new BadTypeError(keyProblem(k) ?? "not a valid key", { key: k });
}

/**
 * Append a canonical serialisation of any value: identical to writeKey for keys, and equal for
 * two values exactly when termEquals holds. Returns whether the value was a key.
 * Throws BadTypeError for non-values (undefined is accepted, as compareTerms orders it).
 */
export function writeTerm(w: ByteWriter, v: unknown): boolean {
  switch (typeof v) {
    case "number":
      if (Number.isNaN(v)) {
        w.byte(Tag.nan);
        return false;
      }
      writeKey(w, v);
      return true;
    case "bigint":
      if (v > MAX_KEY_BIGINT || v < -MAX_KEY_BIGINT) {
        w.byte(Tag.hugeBigint);
        writeString(w, v.toString());
        return false;
      }
      writeBigint(w, v);
      return true;
    case "undefined":
      w.byte(Tag.undefined);
      return false;
    case "string":
    case "boolean":
      writeKey(w, v);
      return true;
    case "object": {
      if (v === null || v instanceof Uint8Array) {
        writeKey(w, v);
        return true;
      }
      if (Array.isArray(v)) {
        const arr: readonly unknown[] = v;
        w.byte(Tag.array);
        w.u32(arr.length);
        let allKeys = true;
        for (let i = 0; i < arr.length; i++) allKeys = writeTerm(w, arr[i]) && allKeys;
        return allKeys;
      }
      if (!isPlainObject(v)) break;
      const names = Object.keys(v).sort(compareStrings);
      w.byte(Tag.map);
      w.u32(names.length);
      for (const name of names) writeString(w, name);
      for (const name of names) writeTerm(w, v[name]);
      return false;
    }
  }
  throw new BadTypeError(valueProblem(v) ?? "not a valid value", { value: v });
}

/** Tag and the 8 ordered bytes of a double (no remainder marker). */
function writeDouble(w: ByteWriter, d: number): void {
  w.reserve(9);
  w.buf[w.pos] = Tag.number;
  writeOrderedDouble(w.buf, w.pos + 1, d);
  w.pos += 9;
}

function writeBigint(w: ByteWriter, b: bigint): void {
  const d = Number(b);
  writeDouble(w, d);
  const r = b >= -SAFE_BIG && b <= SAFE_BIG ? 0n : b - BigInt(d);
  if (r === 0n) {
    w.byte(Remainder.exact);
    return;
  }
  const mag = magnitudeBytes(r < 0n ? -r : r);
  w.reserve(mag.length + 2);
  const inv = r < 0n ? 0xff : 0;
  w.buf[w.pos++] = r < 0n ? Remainder.negative : Remainder.positive;
  // A longer magnitude is a larger one; inverting everything reverses the order for negatives.
  w.buf[w.pos++] = mag.length ^ inv;
  for (const byte of mag) w.buf[w.pos++] = byte ^ inv;
}

/** Minimal big-endian bytes of a positive bigint (at most 122 bytes for a key remainder). */
function magnitudeBytes(m: bigint): Uint8Array {
  let hex = m.toString(16);
  if (hex.length % 2 === 1) hex = `0${hex}`;
  return Buffer.from(hex, "hex");
}
