// Checks a record against its table before it may be written, and makes its frozen private copy.
import { BadTypeError, ReadOnlyError } from "../errors.js";
import { AttributeProblem, formatKey, keyProblem, valueProblem } from "../keys/index.js";
import type { LiveTable } from "../schema/live-table.js";
import type { Rec } from "../store/store.js";

export function assertWritable(t: LiveTable, key?: unknown): void {
  if (t.spec.accessMode === "read_only") {
    throw new ReadOnlyError(`table ${t.name} is read_only`, { table: t.name, key });
  }
}

/**
 * Validates a record for `t` and returns its frozen private copy (its key is the copy's first
 * attribute), or throws bad_type saying what is wrong. Each attribute of the caller's record is
 * read exactly once, while copying, and it is the copy that is checked: a getter, a Proxy or a
 * value that changes between two reads cannot make the stored record differ from the checked one.
 */
export function checkedRecord(t: LiveTable, record: unknown): Rec {
  if (record === null || typeof record !== "object" || Array.isArray(record)) {
    throw new BadTypeError(
      `a record of ${t.name} must be an object with attributes ${t.spec.attributes.join(", ")}`,
      { table: t.name, value: record },
    );
  }
  // The shape (plain object, exactly the attributes) is checked without reading any value.
  const attrs = t.spec.attributes;
  let shaped: boolean;
  try {
    const proto = Object.getPrototypeOf(record);
    let n = 0;
    for (const _ in record) n++;
    shaped = (proto === Object.prototype || proto === null) && n === attrs.length;
    // An attribute named __proto__ must be an own property, not Object.prototype inherited.
    if (shaped && attrs.includes("__proto__")) shaped = Object.hasOwn(record, "__proto__");
  } catch (err) {
    unreadable(t, record, err); // a Proxy whose traps throw
  }
  if (!shaped) {
    try {
      explainBadShape(t, record);
    } catch (err) {
      if (err instanceof BadTypeError) throw err;
      unreadable(t, record, err);
    }
  }
  let rec: Rec;
  try {
    rec = t.buildCheckedRecord(record);
  } catch (err) {
    if (!(err instanceof AttributeProblem)) throw err;
    throw new BadTypeError(
      `record of ${t.name}${err.attribute > 0 ? ` with key ${formatKey(err.key)}` : ""}: attribute '${attrs[err.attribute]}': ${err.problem}`,
      { table: t.name, key: err.key, value: record },
    );
  }
  // The copy's values: containers were checked as they were copied; here the key and primitives.
  const key = rec[t.keyAttr];
  let ok =
    typeof key === "string" ||
    (typeof key === "number" && !Number.isNaN(key)) ||
    keyProblem(key) === undefined;
  for (let i = 1; ok && i < attrs.length; i++) {
    const v = rec[attrs[i]!];
    if (v === undefined || typeof v === "function" || typeof v === "symbol") ok = false;
  }
  if (!ok) explainBadValues(t, record, rec);
  return rec;
}

function unreadable(t: LiveTable, record: object, err: unknown): never {
  throw new BadTypeError(`a record of ${t.name} could not be read: ${String(err)}`, {
    table: t.name,
    value: record,
  });
}

/** Throws the precise bad_type for a record that is not a plain object of exactly the attributes. */
function explainBadShape(t: LiveTable, r: object): never {
  const attrs = t.spec.attributes;
  let key: unknown;
  try {
    // For the message only (an own property: a key attribute named __proto__ is not inherited).
    key = Object.hasOwn(r, t.keyAttr) ? (r as Record<string, unknown>)[t.keyAttr] : undefined;
  } catch {
    key = undefined;
  }
  const kp = keyProblem(key);
  if (kp !== undefined) badKey(t, key, kp, r);
  const fail = (what: string): never => {
    throw new BadTypeError(`record of ${t.name} with key ${formatKey(key)}: ${what}`, {
      table: t.name,
      key,
      value: r,
    });
  };
  const proto = Object.getPrototypeOf(r);
  if (proto !== Object.prototype && proto !== null) fail("a record must be a plain object");
  for (const a in r) {
    if (!Object.hasOwn(r, a)) fail(`inherited attribute '${a}'`);
    if (!attrs.includes(a)) fail(`unknown attribute '${a}'`);
  }
  for (const a of attrs) if (!Object.hasOwn(r, a)) fail(`attribute '${a}' is missing`);
  return fail(`it must have exactly the attributes ${attrs.join(", ")}`);
}

function badKey(t: LiveTable, key: unknown, problem: string, original: object): never {
  throw new BadTypeError(`record of ${t.name}: bad key in '${t.keyAttr}': ${problem}`, {
    table: t.name,
    key,
    value: original,
  });
}

/** Throws the precise bad_type for a copied record whose key or a primitive value is bad. */
function explainBadValues(t: LiveTable, original: object, rec: Rec): never {
  const attrs = t.spec.attributes;
  const key = rec[t.keyAttr];
  const kp = keyProblem(key);
  if (kp !== undefined) badKey(t, key, kp, original);
  for (const a of attrs) {
    const v = rec[a];
    const vp = v === undefined ? undefined : valueProblem(v);
    if (v === undefined || vp !== undefined) {
      const what = vp === undefined ? `attribute '${a}' is missing` : `attribute '${a}': ${vp}`;
      throw new BadTypeError(`record of ${t.name} with key ${formatKey(key)}: ${what}`, {
        table: t.name,
        key,
        value: original,
      });
    }
  }
  throw new BadTypeError(`record of ${t.name} with key ${formatKey(key)} is not valid`, {
    table: t.name,
    key,
    value: original,
  });
}
