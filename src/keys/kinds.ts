// Which branch of the term order a JavaScript value belongs to.

/** Ranks in the documented order (see compare.ts); gaps are free for future types. */
export const Rank = {
  number: 0,
  false: 1,
  null: 2,
  true: 3,
  array: 4,
  map: 5,
  string: 6,
  binary: 7,
  undefined: 8,
  /** Not a value at all (functions, symbols, class instances, other typed arrays). */
  other: 9,
} as const;

export type Rank = (typeof Rank)[keyof typeof Rank];

/** A plain object: prototype Object.prototype or null (Erlang map). */
export function isPlainObject(v: object): v is { readonly [k: string]: unknown } {
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export function rankOf(v: unknown): Rank {
  switch (typeof v) {
    case "number":
    case "bigint":
      return Rank.number;
    case "string":
      return Rank.string;
    case "boolean":
      return v ? Rank.true : Rank.false;
    case "undefined":
      return Rank.undefined;
    case "object":
      if (v === null) return Rank.null;
      if (Array.isArray(v)) return Rank.array;
      if (v instanceof Uint8Array) return Rank.binary;
      return isPlainObject(v) ? Rank.map : Rank.other;
    default:
      return Rank.other;
  }
}
