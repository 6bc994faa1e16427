// Which JavaScript values are keys and which are storable values, with a short human reason
// for the rest. Messages build strings only on failure, so the checks stay cheap.

import { formatKey } from "./format.js";
import { isPlainObject } from "./kinds.js";
import { MAX_KEY_BIGINT } from "./numbers.js";
import type { Key, Value } from "./types.js";

/**
 * How deeply arrays and objects may nest in a key or value. Deeper terms would overflow the stack
 * of the recursive code that compares, encodes and copies them; no real record needs more.
 */
export const MAX_NESTING = 1000;

/** Dates are not terms (a Date stays mutable even frozen); the message says what to store instead. */
const DATE = (what: What) =>
  `Date is not a valid ${what}: store date.getTime() (a number) or date.toISOString() (a string)`;

export const TOO_DEEP = `arrays and objects nested more than ${MAX_NESTING} levels deep are not valid (Mneme's limit for keys and values): store a flatter value`;

/** undefined when `k` is a valid key, else a short reason. */
export function keyProblem(k: unknown): string | undefined {
  switch (typeof k) {
    case "string":
    case "boolean":
      return undefined;
    case "number":
      return Number.isNaN(k) ? "NaN is not a valid key" : undefined;
    case "bigint":
      return k > MAX_KEY_BIGINT || k < -MAX_KEY_BIGINT
        ? "bigint beyond ±Number.MAX_VALUE is not a valid key"
        : undefined;
    case "object":
      if (k === null || k instanceof Uint8Array) return undefined;
      if (Array.isArray(k)) return keyArrayProblem(k, undefined);
      if (k instanceof Date) return DATE("key");
      return binaryProblem(k, "key") ?? `objects are not valid keys (got ${formatKey(k)})`;
    default:
      return kindProblem(k, "key");
  }
}

export function isKey(k: unknown): k is Key {
  return keyProblem(k) === undefined;
}

/** undefined when `v` may be stored in a record field, else a short reason. */
export function valueProblem(v: unknown): string | undefined {
  switch (typeof v) {
    case "string":
    case "boolean":
    case "number":
    case "bigint":
      return undefined;
    case "object":
      if (v === null || v instanceof Uint8Array) return undefined;
      return containerProblem(v, undefined);
    default:
      return kindProblem(v, "value");
  }
}

export function isValue(v: unknown): v is Value {
  return valueProblem(v) === undefined;
}

type What = "key" | "value";

function kindProblem(v: unknown, what: What): string {
  if (v === undefined) return `undefined is not a valid ${what}`;
  if (typeof v === "function") return `functions are not valid ${what}s`;
  if (typeof v === "symbol") return `symbols are not valid ${what}s`;
  return `${typeof v} is not a valid ${what}`;
}

/** Other binary views get a pointed message: only Uint8Array (and Buffer) is a binary. */
export function binaryProblem(v: object, what: What): string | undefined {
  if (!ArrayBuffer.isView(v) && !(v instanceof ArrayBuffer)) return undefined;
  const name = Object.prototype.toString.call(v).slice(8, -1);
  return `${name} is not a valid ${what} (only Uint8Array binaries are)`;
}

/**
 * `chain` holds the containers from the root down to the current one. It is allocated only once
 * nesting appears, and lets cycles be reported instead of overflowing the stack.
 */
function keyArrayProblem(arr: readonly unknown[], chain: object[] | undefined): string | undefined {
  for (let i = 0; i < arr.length; i++) {
    const e = arr[i];
    let p: string | undefined;
    if (Array.isArray(e)) {
      chain ??= [arr];
      if (chain.length >= MAX_NESTING) {
        p = TOO_DEEP;
      } else if (chain.includes(e)) {
        p = "cyclic reference is not a valid key";
      } else {
        chain.push(e);
        p = keyArrayProblem(e, chain);
        chain.pop();
      }
    } else {
      p = keyProblem(e);
    }
    if (p !== undefined) return p === TOO_DEEP ? p : `array element ${i}: ${p}`;
  }
  return undefined;
}

/** A non-null object as a value: Uint8Array, or an array or plain object of values. */
function containerProblem(v: object, chain: object[] | undefined): string | undefined {
  if (v instanceof Uint8Array) return undefined;
  if (Array.isArray(v)) {
    const arr: readonly unknown[] = v;
    for (let i = 0; i < arr.length; i++) {
      const p = memberProblem(arr[i], v, chain);
      if (p !== undefined) return p === TOO_DEEP ? p : `array element ${i}: ${p}`;
    }
    return undefined;
  }
  const binary = binaryProblem(v, "value");
  if (binary !== undefined) return binary;
  if (!isPlainObject(v)) return instanceProblem(v);
  if (Object.getOwnPropertySymbols(v).length > 0) {
    return "symbol-keyed properties are not valid in values";
  }
  for (const name of Object.keys(v)) {
    const p = memberProblem(v[name], v, chain);
    if (p !== undefined) return p === TOO_DEEP ? p : `property ${JSON.stringify(name)}: ${p}`;
  }
  return undefined;
}

/** Why an object that is not plain, an array or a binary is not a value. */
export function instanceProblem(v: object): string {
  if (v instanceof Date) return DATE("value");
  return `class instances are not valid values (got ${formatKey(v)})`;
}

function memberProblem(
  e: unknown,
  parent: object,
  chain: object[] | undefined,
): string | undefined {
  if (typeof e !== "object" || e === null) return valueProblem(e);
  chain ??= [parent];
  if (chain.length >= MAX_NESTING) return TOO_DEEP;
  if (chain.includes(e)) return "cyclic reference is not a valid value";
  chain.push(e);
  const p = containerProblem(e, chain);
  chain.pop();
  return p;
}
