// Deep immutable copies of values for storage, so callers cannot change stored data behind the
// database's back. Binaries cannot be frozen (typed arrays reject Object.freeze): they are
// copied, and the copies handed out by the database must be treated as read-only.

import { isPlainObject } from "./kinds.js";
import { binaryProblem, instanceProblem, MAX_NESTING, TOO_DEEP, valueProblem } from "./validate.js";

/** Containers this module built and froze: storing them again needs no copy. */
const frozenByUs = new WeakSet<object>();

/**
 * A deep, frozen copy of a (validated) value. Primitives are returned as they are; arrays and
 * plain objects are copied and frozen; Uint8Array (and Buffer) become fresh Uint8Array copies.
 */
export function freezeValue<V>(v: V): V {
  if (typeof v !== "object" || v === null) return v;
  return freezeObject(v) as V;
}

function freezeObject(v: object): unknown {
  if (v instanceof Uint8Array) return new Uint8Array(v);
  if (frozenByUs.has(v)) return v;
  let out: object;
  if (Array.isArray(v)) {
    const src: readonly unknown[] = v;
    const arr = new Array<unknown>(src.length);
    for (let i = 0; i < src.length; i++) arr[i] = freezeValue(src[i]);
    out = arr;
  } else {
    // Keep a null prototype; otherwise a fresh plain object.
    const obj: Record<string, unknown> =
      isPlainObject(v) && Object.getPrototypeOf(v) === null ? Object.create(null) : {};
    for (const name of Object.keys(v)) {
      setOwn(obj, name, freezeValue((v as Record<string, unknown>)[name]));
    }
    out = obj;
  }
  Object.freeze(out);
  frozenByUs.add(out);
  return out;
}

/**
 * A new frozen record holding exactly `attributes`, in that order, each through freezeValue.
 * The caller has validated the record.
 */
export function freezeRecord<T extends object>(rec: T, attributes: readonly string[]): T {
  const src = rec as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < attributes.length; i++) {
    const name = attributes[i]!;
    setOwn(out, name, freezeValue(src[name]));
  }
  Object.freeze(out);
  frozenByUs.add(out);
  return out as T;
}

/**
 * Whether `r` is a record as a table's builder would make it, apart from being frozen: a plain
 * object whose own enumerable keys are exactly `attributes`, in order, each holding a primitive.
 * Such a record needs no copy: freezing it (if nobody else holds it) makes it storable as it is.
 */
export function isFlatRecord(r: object, attributes: readonly string[]): boolean {
  if (Object.getPrototypeOf(r) !== Object.prototype) return false;
  const o = r as Record<string, unknown>;
  let i = 0;
  for (const name in o) {
    if (name !== attributes[i++]) return false;
    const v = o[name];
    const type = typeof v;
    if (
      v === undefined ||
      (type === "object" && v !== null) ||
      type === "function" ||
      type === "symbol"
    ) {
      return false;
    }
  }
  return i === attributes.length;
}

/** Assignment, except that "__proto__" becomes an own property instead of a prototype change. */
function setOwn(obj: Record<string, unknown>, name: string, value: unknown): void {
  if (name === "__proto__") {
    Object.defineProperty(obj, name, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  } else {
    obj[name] = value;
  }
}

/**
 * A compiled freezeRecord for one attribute list: an object literal of fixed shape (fast hidden
 * class), primitives copied inline, containers through freezeValue. Falls back to freezeRecord when
 * an attribute name could not be an object-literal key ("__proto__").
 */
export function recordBuilder<T extends object>(attributes: readonly string[]): (rec: T) => T {
  if (attributes.includes("__proto__")) return (rec) => freezeRecord(rec, attributes);
  const fields = attributes
    .map(
      (a, i) =>
        `${JSON.stringify(a)}: (v${i} = s[${JSON.stringify(a)}], typeof v${i} === "object" && v${i} !== null ? fv(v${i}) : v${i})`,
    )
    .join(",\n    ");
  const vars = attributes.map((_, i) => `v${i}`).join(", ");
  const body = `return function buildRecord(s) {\n  let ${vars};\n  return freeze({\n    ${fields}\n  });\n};`;
  return new Function("fv", "freeze", body)(freezeValue, Object.freeze) as (rec: T) => T;
}

/** What is wrong with a value found while copying it, with the path to the bad part. */
export class ValueProblem extends Error {}

/** A value nested past MAX_NESTING: reported as it is, without a path a thousand parts long. */
class TooDeep extends ValueProblem {}

/** A bad attribute found by a checked record builder: its index, and the key if already read. */
export class AttributeProblem extends Error {
  constructor(
    readonly attribute: number,
    readonly key: unknown,
    readonly problem: string,
  ) {
    super(problem);
  }
}

/**
 * A deep frozen copy of a caller's container, checked while it is copied: every property is read
 * exactly once, and what is checked is the copy, so getters, Proxies or concurrent changes cannot
 * make the stored value differ from the validated one. Throws ValueProblem naming the bad part
 * (a getter that throws included); cycles are reported, not followed.
 */
export function checkedCopy(v: object, chain?: object[]): object {
  if (frozenByUs.has(v)) return v;
  if (v instanceof Uint8Array) return new Uint8Array(v);
  let out: object;
  if (Array.isArray(v)) {
    const src: readonly unknown[] = v;
    const n = src.length;
    const arr = new Array<unknown>(n);
    for (let i = 0; i < n; i++) {
      try {
        arr[i] = checkedMember(read(src, i), v, chain);
      } catch (err) {
        if (err instanceof TooDeep) throw err;
        throw new ValueProblem(`array element ${i}: ${problemOf(err)}`);
      }
    }
    out = arr;
  } else {
    const binary = binaryProblem(v, "value");
    if (binary !== undefined) throw new ValueProblem(binary);
    const proto: unknown = Object.getPrototypeOf(v);
    if (proto !== Object.prototype && proto !== null) {
      throw new ValueProblem(instanceProblem(v));
    }
    if (Object.getOwnPropertySymbols(v).length > 0) {
      throw new ValueProblem("symbol-keyed properties are not valid in values");
    }
    const obj: Record<string, unknown> = proto === null ? Object.create(null) : {};
    for (const name of Object.keys(v)) {
      try {
        setOwn(obj, name, checkedMember(read(v, name), v, chain));
      } catch (err) {
        if (err instanceof TooDeep) throw err;
        throw new ValueProblem(`property ${JSON.stringify(name)}: ${problemOf(err)}`);
      }
    }
    out = obj;
  }
  Object.freeze(out);
  frozenByUs.add(out);
  return out;
}

function read(o: object, name: string | number): unknown {
  try {
    return (o as Record<string | number, unknown>)[name];
  } catch (err) {
    throw new ValueProblem(`reading it threw: ${problemOf(err)}`);
  }
}

function checkedMember(e: unknown, parent: object, chain: object[] | undefined): unknown {
  if (typeof e !== "object" || e === null) {
    const p = valueProblem(e);
    if (p !== undefined) throw new ValueProblem(p);
    return e;
  }
  const path = chain ?? [parent];
  if (path.length >= MAX_NESTING) throw new TooDeep(TOO_DEEP);
  if (path.includes(e)) throw new ValueProblem("cyclic reference is not a valid value");
  path.push(e);
  try {
    return checkedCopy(e, path);
  } finally {
    path.pop();
  }
}

function problemOf(err: unknown): string {
  if (err instanceof ValueProblem) return err.message;
  return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
}

/**
 * A compiled builder of checked records for one attribute list: reads each attribute of the
 * caller's record once, copies containers through checkedCopy, and returns the frozen copy
 * (primitives are not checked here: the caller checks the copy). Throws AttributeProblem for a
 * bad container or a getter that throws.
 */
export function checkedRecordBuilder(attributes: readonly string[]): (rec: object) => object {
  const fail = (err: unknown, at: number, key: unknown): never => {
    throw new AttributeProblem(at, key, problemOf(err));
  };
  if (attributes.includes("__proto__")) {
    return (rec) => {
      const src = rec as Record<string, unknown>;
      const out: Record<string, unknown> = {};
      let key: unknown;
      for (let i = 0; i < attributes.length; i++) {
        try {
          const v = src[attributes[i]!];
          if (i === 0) key = v;
          setOwn(out, attributes[i]!, typeof v === "object" && v !== null ? checkedCopy(v) : v);
        } catch (err) {
          fail(err, i, key);
        }
      }
      return Object.freeze(out);
    };
  }
  const fields = attributes
    .map(
      (a, i) =>
        `${JSON.stringify(a)}: (at = ${i}, v${i} = s[${JSON.stringify(a)}], typeof v${i} === "object" && v${i} !== null ? cc(v${i}) : v${i})`,
    )
    .join(",\n      ");
  const vars = attributes.map((_, i) => `v${i}`).join(", ");
  const body = `return function buildCheckedRecord(s) {
  let at = 0, ${vars};
  try {
    return freeze({
      ${fields}
    });
  } catch (err) {
    return fail(err, at, v0);
  }
};`;
  return new Function("cc", "freeze", "fail", body)(checkedCopy, Object.freeze, fail) as (
    rec: object,
  ) => object;
}
