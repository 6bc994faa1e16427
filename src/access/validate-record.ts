// Checks a record against its table before it may be written, and freezes a private copy.
import { BadTypeError, ReadOnlyError } from "../errors.js";
import { formatKey, freezeRecord, type Key, keyProblem, valueProblem } from "../keys/index.js";
import type { LiveTable } from "../schema/live-table.js";
import type { Rec } from "../store/store.js";

export function assertWritable(t: LiveTable, key?: unknown): void {
  if (t.spec.accessMode === "read_only") {
    throw new ReadOnlyError(`table ${t.name} is read_only`, { table: t.name, key });
  }
}

/** Returns the key of a valid record, or throws bad_type saying what is wrong. */
export function checkRecord(t: LiveTable, record: unknown): Key {
  if (record === null || typeof record !== "object" || Array.isArray(record)) {
    throw new BadTypeError(
      `a record of ${t.name} must be an object with attributes ${t.spec.attributes.join(", ")}`,
      {
        table: t.name,
        value: record,
      },
    );
  }
  const attrs = t.spec.attributes;
  const r = record as { readonly [a: string]: unknown };
  const key = r[t.keyAttr];
  const kp = keyProblem(key);
  if (kp !== undefined) {
    throw new BadTypeError(`record of ${t.name}: bad key in '${t.keyAttr}': ${kp}`, {
      table: t.name,
      key,
      value: record,
    });
  }
  let n = 0;
  for (const a in r) {
    if (!Object.hasOwn(r, a)) continue;
    n++;
    if (!attrs.includes(a)) {
      throw new BadTypeError(
        `record of ${t.name} with key ${formatKey(key)}: unknown attribute '${a}'`,
        {
          table: t.name,
          key,
          value: record,
        },
      );
    }
  }
  for (let i = 1; i < attrs.length; i++) {
    const a = attrs[i]!;
    const v = r[a];
    if (v === undefined) {
      throw new BadTypeError(
        `record of ${t.name} with key ${formatKey(key)}: attribute '${a}' is missing`,
        {
          table: t.name,
          key,
          value: record,
        },
      );
    }
    if (typeof v === "object" || typeof v === "function" || typeof v === "symbol") {
      const vp = valueProblem(v);
      if (vp !== undefined) {
        throw new BadTypeError(
          `record of ${t.name} with key ${formatKey(key)}: attribute '${a}': ${vp}`,
          {
            table: t.name,
            key,
            value: record,
          },
        );
      }
    }
  }
  if (n !== attrs.length) {
    throw new BadTypeError(
      `record of ${t.name} with key ${formatKey(key)} must have exactly the attributes ${attrs.join(", ")}`,
      {
        table: t.name,
        key,
        value: record,
      },
    );
  }
  return key as Key;
}

/** A frozen private copy of a checked record, with exactly the table's attributes in order. */
export function ownRecord(t: LiveTable, record: object): Rec {
  return freezeRecord(record, t.spec.attributes) as Rec;
}
