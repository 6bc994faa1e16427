// Checks a record against its table before it may be written, and freezes a private copy.
import { BadTypeError, ReadOnlyError } from "../errors.js";
import { formatKey, type Key, keyProblem, valueProblem } from "../keys/index.js";
import type { LiveTable } from "../schema/live-table.js";
import type { Rec } from "../store/store.js";

export function assertWritable(t: LiveTable, key?: unknown): void {
  if (t.spec.accessMode === "read_only") {
    throw new ReadOnlyError(`table ${t.name} is read_only`, { table: t.name, key });
  }
}

/**
 * A record's attribute: an own property only. (A record without an own "__proto__" would
 * otherwise give Object.prototype for an attribute of that name.)
 */
function attr(r: { readonly [a: string]: unknown }, a: string): unknown {
  return a === "__proto__" && !Object.hasOwn(r, a) ? undefined : r[a];
}

/** Returns the key of a valid record, or throws bad_type saying what is wrong. */
export function checkRecord(t: LiveTable, record: unknown): Key {
  if (record === null || typeof record !== "object" || Array.isArray(record)) {
    throw new BadTypeError(
      `a record of ${t.name} must be an object with attributes ${t.spec.attributes.join(", ")}`,
      { table: t.name, value: record },
    );
  }
  // Fast path: a plain object with exactly the attributes, defined, of storable values.
  const attrs = t.spec.attributes;
  const r = record as { readonly [a: string]: unknown };
  const key = attr(r, t.keyAttr);
  let ok =
    typeof key === "string" ||
    (typeof key === "number" && !Number.isNaN(key)) ||
    keyProblem(key) === undefined;
  const proto = Object.getPrototypeOf(r);
  ok &&= proto === Object.prototype || proto === null;
  let n = 0;
  for (const _ in r) n++;
  ok &&= n === attrs.length;
  for (let i = 1; ok && i < attrs.length; i++) {
    const v = attr(r, attrs[i]!);
    if (v === undefined || typeof v === "function" || typeof v === "symbol") ok = false;
    else if (typeof v === "object" && v !== null && valueProblem(v) !== undefined) ok = false;
  }
  if (!ok) explainBadRecord(t, r);
  return key as Key;
}

/** Throws the precise bad_type for a record that failed the fast check. */
function explainBadRecord(t: LiveTable, r: { readonly [a: string]: unknown }): never {
  const attrs = t.spec.attributes;
  const key = attr(r, t.keyAttr);
  const fail = (what: string): never => {
    throw new BadTypeError(`record of ${t.name} with key ${formatKey(key)}: ${what}`, {
      table: t.name,
      key,
      value: r,
    });
  };
  const kp = keyProblem(key);
  if (kp !== undefined) {
    throw new BadTypeError(`record of ${t.name}: bad key in '${t.keyAttr}': ${kp}`, {
      table: t.name,
      key,
      value: r,
    });
  }
  const proto = Object.getPrototypeOf(r);
  if (proto !== Object.prototype && proto !== null) fail("a record must be a plain object");
  for (const a in r) {
    if (!Object.hasOwn(r, a)) fail(`inherited attribute '${a}'`);
    if (!attrs.includes(a)) fail(`unknown attribute '${a}'`);
  }
  for (const a of attrs) {
    const v = attr(r, a);
    if (v === undefined) fail(`attribute '${a}' is missing`);
    const vp = valueProblem(v);
    if (vp !== undefined) fail(`attribute '${a}': ${vp}`);
  }
  return fail(`it must have exactly the attributes ${attrs.join(", ")}`);
}

/** A frozen private copy of a checked record, with exactly the table's attributes in order. */
export function ownRecord(t: LiveTable, record: object): Rec {
  return t.buildRecord(record);
}
