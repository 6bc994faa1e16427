// The functions compiled match specs call at run time. A failure (Erlang's badarg / badarith)
// throws FAIL: the compiled code catches it and treats the guard as false or the body as 'EXIT'.
// FAIL is not an Error, so throwing it captures no stack trace.

import { compareTerms, termEquals } from "../keys/index.js";
import { isPlainObject } from "./terms.js";

export const FAIL: unique symbol = Symbol("match spec failure");

function fail(): never {
  throw FAIL;
}

/** Erlang floats are finite: an overflow or NaN is badarith. */
function fin(x: number): number {
  return Number.isFinite(x) ? x : fail();
}

function isIntNumber(x: unknown): x is number {
  return typeof x === "number" && Number.isSafeInteger(x);
}

/** Shifts beyond this many bits fail instead of building a huge bigint. */
const MAX_SHIFT = 1 << 20;

// --- boolean --------------------------------------------------------------------------------

const bool = (x: unknown): boolean => (typeof x === "boolean" ? x : fail());
// Both arguments are already evaluated; both must be booleans (no short-circuit in the check).
function and2(a: unknown, b: unknown): boolean {
  const x = bool(a);
  return bool(b) && x;
}
function or2(a: unknown, b: unknown): boolean {
  const x = bool(a);
  return bool(b) || x;
}
const xor = (a: unknown, b: unknown): boolean => bool(a) !== bool(b);

// --- arithmetic: number with number or bigint with bigint, never mixed ------------------------

function add(a: unknown, b: unknown): number | bigint {
  if (typeof a === "number" && typeof b === "number") return fin(a + b);
  if (typeof a === "bigint" && typeof b === "bigint") return a + b;
  return fail();
}

function sub(a: unknown, b: unknown): number | bigint {
  if (typeof a === "number" && typeof b === "number") return fin(a - b);
  if (typeof a === "bigint" && typeof b === "bigint") return a - b;
  return fail();
}

function mul(a: unknown, b: unknown): number | bigint {
  if (typeof a === "number" && typeof b === "number") return fin(a * b);
  if (typeof a === "bigint" && typeof b === "bigint") return a * b;
  return fail();
}

function neg(a: unknown): number | bigint {
  if (typeof a === "number") return fin(-a);
  if (typeof a === "bigint") return -a;
  return fail();
}

/** Erlang '/': always a float, also for integers. */
function fdiv(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return b === 0 ? fail() : fin(a / b);
  if (typeof a === "bigint" && typeof b === "bigint") {
    return b === 0n ? fail() : fin(Number(a) / Number(b));
  }
  return fail();
}

/** Integer division truncating toward zero; exact for every integral double. */
function idiv(a: unknown, b: unknown): number | bigint {
  if (typeof a === "number" && typeof b === "number") {
    if (!Number.isInteger(a) || !Number.isInteger(b) || b === 0) fail();
    return (a - (a % b)) / b || 0;
  }
  if (typeof a === "bigint" && typeof b === "bigint") return b === 0n ? fail() : a / b;
  return fail();
}

/** Remainder with the sign of the dividend, as Erlang's rem. */
function rem(a: unknown, b: unknown): number | bigint {
  if (typeof a === "number" && typeof b === "number") {
    if (!Number.isInteger(a) || !Number.isInteger(b) || b === 0) fail();
    return a % b || 0;
  }
  if (typeof a === "bigint" && typeof b === "bigint") return b === 0n ? fail() : a % b;
  return fail();
}

function abs(a: unknown): number | bigint {
  if (typeof a === "number") return fin(Math.abs(a));
  if (typeof a === "bigint") return a < 0n ? -a : a;
  return fail();
}

/** Half away from zero, as Erlang's round (Math.round rounds half toward +Infinity). */
function round(a: unknown): number | bigint {
  if (typeof a === "bigint") return a;
  if (typeof a !== "number") return fail();
  fin(a);
  return (a < 0 ? -Math.round(-a) : Math.round(a)) || 0;
}

function trunc(a: unknown): number | bigint {
  if (typeof a === "bigint") return a;
  if (typeof a !== "number") return fail();
  return Math.trunc(fin(a)) || 0;
}

function float(a: unknown): number {
  if (typeof a === "number") return fin(a);
  if (typeof a === "bigint") return fin(Number(a));
  return fail();
}

/** Erlang's min/max take any terms and return the first one when they compare equal. */
const min = (a: unknown, b: unknown): unknown => (compareTerms(b, a) < 0 ? b : a);
const max = (a: unknown, b: unknown): unknown => (compareTerms(b, a) > 0 ? b : a);

// --- bitwise: integers (safe-integer numbers or bigints) -------------------------------------

/** Runs `op` on bigints; number operands come back as numbers and must stay safe integers. */
function bitwise(a: unknown, b: unknown, op: (x: bigint, y: bigint) => bigint): number | bigint {
  if (typeof a === "bigint" && typeof b === "bigint") return op(a, b);
  if (isIntNumber(a) && isIntNumber(b)) {
    const r = Number(op(BigInt(a), BigInt(b)));
    return Number.isSafeInteger(r) ? r : fail();
  }
  return fail();
}

const band = (a: unknown, b: unknown) => bitwise(a, b, (x, y) => x & y);
const bor = (a: unknown, b: unknown) => bitwise(a, b, (x, y) => x | y);
const bxor = (a: unknown, b: unknown) => bitwise(a, b, (x, y) => x ^ y);

function bnot(a: unknown): number | bigint {
  if (typeof a === "bigint") return ~a;
  if (isIntNumber(a)) return -a - 1;
  return fail();
}

/** The shift count may be a number or a bigint: Erlang has one integer type. */
function shiftCount(s: unknown): bigint {
  if (typeof s === "bigint" || isIntNumber(s)) {
    const c = BigInt(s);
    return c > MAX_SHIFT || c < -MAX_SHIFT ? fail() : c;
  }
  return fail();
}

function shift(a: unknown, count: bigint): number | bigint {
  if (typeof a === "bigint") return a << count;
  if (isIntNumber(a)) {
    const r = Number(BigInt(a) << count);
    return Number.isSafeInteger(r) ? r : fail();
  }
  return fail();
}

// BigInt's << shifts right for a negative count, as Erlang's bsl does.
const bsl = (a: unknown, s: unknown) => shift(a, shiftCount(s));
const bsr = (a: unknown, s: unknown) => shift(a, -shiftCount(s));

// --- type tests: never fail --------------------------------------------------------------------

const is_integer = (x: unknown): boolean =>
  typeof x === "bigint" || (typeof x === "number" && Number.isInteger(x));
const is_float = (x: unknown): boolean => typeof x === "number" && !Number.isInteger(x);
const is_number = (x: unknown): boolean => typeof x === "number" || typeof x === "bigint";
const is_atom = (x: unknown): boolean => x === null || typeof x === "boolean";
const is_boolean = (x: unknown): boolean => typeof x === "boolean";
const is_list = (x: unknown): boolean => Array.isArray(x);
const is_map = (x: unknown): boolean => isPlainObject(x);
const is_binary = (x: unknown): boolean => x instanceof Uint8Array;
const is_string = (x: unknown): boolean => typeof x === "string";
const is_null = (x: unknown): boolean => x === null;

// --- term functions ----------------------------------------------------------------------------

function toIndex(n: unknown): number {
  if (typeof n === "bigint") return n >= 1n && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : 0;
  return isIntNumber(n) ? n : 0;
}

/** 1-based, as Erlang's element/2. */
function element(n: unknown, t: unknown): unknown {
  const i = toIndex(n);
  return Array.isArray(t) && i >= 1 && i <= t.length ? t[i - 1] : fail();
}

const hd = (l: unknown): unknown => (Array.isArray(l) && l.length > 0 ? l[0] : fail());
const tl = (l: unknown): unknown[] => (Array.isArray(l) && l.length > 0 ? l.slice(1) : fail());
const length = (l: unknown): number => (Array.isArray(l) ? l.length : fail());

function size(x: unknown): number {
  if (Array.isArray(x)) return x.length;
  return x instanceof Uint8Array ? x.byteLength : fail();
}

function map_get(k: unknown, m: unknown): unknown {
  return isPlainObject(m) && typeof k === "string" && Object.hasOwn(m, k) ? m[k] : fail();
}

function is_map_key(k: unknown, m: unknown): boolean {
  return isPlainObject(m) ? typeof k === "string" && Object.hasOwn(m, k) : fail();
}

const map_size = (m: unknown): number => (isPlainObject(m) ? Object.keys(m).length : fail());
const byte_size = (b: unknown): number => (b instanceof Uint8Array ? b.byteLength : fail());

// --- construction ------------------------------------------------------------------------------

/** Builds a constructed object; defineProperty keeps a "__proto__" key an ordinary key. */
function mkobj(keys: readonly string[], values: readonly unknown[]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (let i = 0; i < keys.length; i++) {
    Object.defineProperty(o, keys[i]!, {
      value: values[i],
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return o;
}

/**
 * Everything generated code may reference, by the local name it is bound to. Names are
 * lower-case words, so they never collide with the generated v<n>, t<n> and k<n> locals.
 */
/** Whether record `r` has exactly `attributes`, each defined (not a record of an older shape). */
function hasShape(r: object, attributes: readonly string[]): boolean {
  let n = 0;
  for (const _ in r) n++;
  if (n !== attributes.length) return false;
  const o = r as Record<string, unknown>;
  for (const a of attributes) if (!Object.hasOwn(o, a) || o[a] === undefined) return false;
  return true;
}

export const RUNTIME = {
  hasShape,
  cmp: compareTerms,
  eq: termEquals,
  isArray: Array.isArray,
  isPlainObject,
  hasOwn: Object.hasOwn,
  bool,
  and2,
  or2,
  xor,
  add,
  sub,
  mul,
  neg,
  fdiv,
  idiv,
  rem,
  abs,
  round,
  trunc,
  float,
  min,
  max,
  band,
  bor,
  bxor,
  bnot,
  bsl,
  bsr,
  is_integer,
  is_float,
  is_number,
  is_atom,
  is_boolean,
  is_list,
  is_map,
  is_binary,
  is_string,
  is_null,
  element,
  hd,
  tl,
  length,
  size,
  map_get,
  is_map_key,
  map_size,
  byte_size,
  mkobj,
} as const;

export type RuntimeName = keyof typeof RUNTIME;
