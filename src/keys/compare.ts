// The one total order over keys, and its extension to every value.
//
//   numbers (number and bigint by exact value; 1 == 1n, -0 == 0; NaN lowest, values only)
//   < false < null < true                  (Erlang atoms, alphabetical)
//   < arrays                               (Erlang tuples: shorter first, then element-wise)
//   < plain objects                        (Erlang maps; values only: size, sorted keys, values)
//   < strings                              (by code point = UTF-8/WTF-8 byte order)
//   < Uint8Array                           (byte-wise, a prefix first)
//   < undefined < anything else            (not values; never thrown on, all "equal")

import { isPlainObject, Rank, rankOf } from "./kinds.js";
import { compareDoubles, compareNumberBigint, compareNumeric } from "./numbers.js";
import { compareStrings } from "./strings.js";
import type { Key } from "./types.js";

/** Compare two keys: -1, 0 or 1. Numbers and strings take allocation-free fast paths. */
export function compareKeys(a: Key, b: Key): number {
  if (typeof a === "number" && typeof b === "number") return a < b ? -1 : a > b ? 1 : 0;
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  return compareSlow(a, b);
}

/** Compare any two values in the same order as compareKeys (used by guards and sorting). */
export function compareTerms(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return compareDoubles(a, b);
  if (typeof a === "string" && typeof b === "string") return compareStrings(a, b);
  return compareSlow(a, b);
}

/** compareTerms(a, b) === 0, with an identity fast path and no sorting for objects. */
export function termEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  const ta = typeof a;
  const tb = typeof b;
  if (ta === "number") {
    if (tb === "number") return Number.isNaN(a) && Number.isNaN(b);
    return tb === "bigint" && compareNumberBigint(a as number, b as bigint) === 0;
  }
  if (ta === "bigint")
    return tb === "number" && compareNumberBigint(b as number, a as bigint) === 0;
  if (typeof a === "object" && typeof b === "object" && a !== null && b !== null) {
    if (Array.isArray(a)) return Array.isArray(b) && arraysEqual(a, b);
    if (a instanceof Uint8Array) return b instanceof Uint8Array && Buffer.compare(a, b) === 0;
    if (isPlainObject(a) && !Array.isArray(b) && !(b instanceof Uint8Array) && isPlainObject(b)) {
      return mapsEqual(a, b);
    }
  }
  // Distinct strings/booleans differ; the odd cases (non-values) follow compareTerms.
  return ta !== "string" && ta !== "boolean" && compareSlow(a, b) === 0;
}

function compareSlow(a: unknown, b: unknown): number {
  if (a === b) return 0;
  const ra = rankOf(a);
  const rb = rankOf(b);
  if (ra !== rb) return ra < rb ? -1 : 1;
  switch (ra) {
    case Rank.number:
      return compareNumeric(a as number | bigint, b as number | bigint);
    case Rank.array:
      return compareArrays(a as readonly unknown[], b as readonly unknown[]);
    case Rank.map:
      return compareMaps(
        a as Readonly<Record<string, unknown>>,
        b as Readonly<Record<string, unknown>>,
      );
    case Rank.string:
      return compareStrings(a as string, b as string);
    case Rank.binary:
      return Buffer.compare(a as Uint8Array, b as Uint8Array);
    default:
      // false, null, true, undefined: one value each; non-values are not ordered.
      return 0;
  }
}

function compareArrays(a: readonly unknown[], b: readonly unknown[]): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  for (let i = 0; i < a.length; i++) {
    const c = compareTerms(a[i], b[i]);
    if (c !== 0) return c;
  }
  return 0;
}

/** Erlang map order: size, then the sorted key lists, then the values in key order. */
function compareMaps(
  a: Readonly<Record<string, unknown>>,
  b: Readonly<Record<string, unknown>>,
): number {
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return ka.length < kb.length ? -1 : 1;
  ka.sort(compareStrings);
  kb.sort(compareStrings);
  for (let i = 0; i < ka.length; i++) {
    const c = compareStrings(ka[i]!, kb[i]!);
    if (c !== 0) return c;
  }
  for (const k of ka) {
    const c = compareTerms(a[k], b[k]);
    if (c !== 0) return c;
  }
  return 0;
}

function arraysEqual(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!termEquals(a[i], b[i])) return false;
  return true;
}

function mapsEqual(
  a: Readonly<Record<string, unknown>>,
  b: Readonly<Record<string, unknown>>,
): boolean {
  const ka = Object.keys(a);
  if (ka.length !== Object.keys(b).length) return false;
  for (const k of ka) {
    if (!Object.hasOwn(b, k) || !termEquals(a[k], b[k])) return false;
  }
  return true;
}
