// Ids for JavaScript Maps (hash tables, index buckets): two keys get the same id (SameValueZero)
// exactly when compareKeys says they are equal. Common keys are their own id, free of cost.
//
// Id spaces never overlap:
//   number, boolean, null              themselves (-0 → 0; bigints that are doubles → the double)
//   string not starting "\uFFFF"       itself
//   "\uFFFF\u0001" + s                 strings starting "\uFFFF"
//   "\uFFFF\u0000" + latin1(encodeKey) every other key (other bigints, arrays, Uint8Array)
//   "\uFFFF\u0002" + latin1(serial)    values that are not keys (termMapKey only)

import { BadTypeError } from "../errors.js";
import { scratch } from "./bytes.js";
import { writeRootKey, writeTerm } from "./encode.js";
import { exactDouble } from "./numbers.js";
import type { Key, KeyId } from "./types.js";
import { valueProblem } from "./validate.js";

const ESCAPED_STRING = "\uFFFF\u0001";
const ENCODED_KEY = "\uFFFF\u0000";
const ENCODED_TERM = "\uFFFF\u0002";

/**
 * An id for `k` to use as a JavaScript Map key: ids are equal (SameValueZero) exactly when the
 * keys compare equal. Numbers, booleans, null and most strings are their own id. Expects a
 * valid key; throws BadTypeError only when a non-key needs encoding.
 */
export function mapKey(k: Key): KeyId {
  switch (typeof k) {
    case "number":
      return k === 0 ? 0 : k;
    case "string":
      return k.charCodeAt(0) === 0xffff ? ESCAPED_STRING + k : k;
    case "boolean":
      return k;
    case "bigint": {
      const d = exactDouble(k);
      if (d !== undefined) return d;
      break;
    }
    default:
      if (k === null) return null;
  }
  scratch.pos = 0;
  writeRootKey(scratch, k);
  return ENCODED_KEY + scratch.latin1();
}

/**
 * mapKey extended to every value: equal ids exactly when termEquals. Keys get their mapKey;
 * other values (plain objects, NaN, bigints beyond ±Number.MAX_VALUE, undefined, arrays holding
 * any of these) a canonical serialisation. Throws BadTypeError for non-values.
 */
export function termMapKey(v: unknown): KeyId {
  switch (typeof v) {
    case "number":
      if (!Number.isNaN(v)) return v === 0 ? 0 : v;
      break;
    case "string":
      return v.charCodeAt(0) === 0xffff ? ESCAPED_STRING + v : v;
    case "boolean":
      return v;
    case "bigint": {
      const d = exactDouble(v);
      if (d !== undefined) return d;
      break;
    }
    case "object":
      if (v === null) return null;
      break;
    case "undefined":
      break;
    default:
      throw new BadTypeError(valueProblem(v) ?? "not a valid value", { value: v });
  }
  scratch.pos = 0;
  let isKey: boolean;
  try {
    isKey = writeTerm(scratch, v);
  } catch (e) {
    // Name the whole value and the path to the bad part.
    if (e instanceof BadTypeError)
      throw new BadTypeError(valueProblem(v) ?? e.message, { value: v });
    throw e;
  }
  return (isKey ? ENCODED_KEY : ENCODED_TERM) + scratch.latin1();
}
