// A deliberately simple model of the three table types, the arbitraries the model tests share,
// and comparison helpers. The model is a plain array of key groups, each the records under one
// key (compareKeys === 0) in insertion order:
//   set / ordered_set  one record per key; a write replaces it;
//   bag                distinct records (termEquals) per key; writing an equal record replaces it
//                      where it stands, a new record is appended (so delete_object + write moves
//                      it to the end);
//   ordered_set        keys read in compareKeys order; set and bag in an unspecified order.
// The key of a group is the key attribute of its first record.

import fc from "fast-check";
import { compareKeys, compareTerms, type Key, termEquals } from "../../src/keys/index.js";
import type { AnyRecord, TableType, Value } from "../../src/types.js";

export type Rec = AnyRecord;
export const TYPES: readonly TableType[] = ["set", "ordered_set", "bag"];

/** Attributes of the model tables: key `k`, indexed `v`, plain `w`. */
export const ATTRS = ["k", "v", "w"] as const;

export class Model {
  private groups: Rec[][] = [];

  constructor(readonly type: TableType) {}

  clone(): Model {
    const m = new Model(this.type);
    m.groups = this.groups.map((g) => g.slice());
    return m;
  }

  private at(key: Key): number {
    return this.groups.findIndex((g) => compareKeys(g[0]!.k as Key, key) === 0);
  }

  write(r: Rec): void {
    const i = this.at(r.k as Key);
    if (i < 0) this.groups.push([r]);
    else if (this.type !== "bag") this.groups[i] = [r];
    else {
      const g = this.groups[i]!;
      const j = g.findIndex((x) => termEquals(x, r));
      if (j >= 0) g[j] = r;
      else g.push(r);
    }
  }

  delete(key: Key): void {
    const i = this.at(key);
    if (i >= 0) this.groups.splice(i, 1);
  }

  deleteObject(r: Rec): void {
    const i = this.at(r.k as Key);
    if (i < 0) return;
    const g = this.groups[i]!.filter((x) => !termEquals(x, r));
    if (g.length === 0) this.groups.splice(i, 1);
    else this.groups[i] = g;
  }

  clear(): void {
    this.groups = [];
  }

  read(key: Key): Rec[] {
    const i = this.at(key);
    return i < 0 ? [] : this.groups[i]!.slice();
  }

  private ordered(): Rec[][] {
    if (this.type !== "ordered_set") return this.groups;
    return this.groups.slice().sort((a, b) => compareKeys(a[0]!.k as Key, b[0]!.k as Key));
  }

  /** Keys: in key order for ordered_set, else in an arbitrary order. */
  keys(): Key[] {
    return this.ordered().map((g) => g[0]!.k as Key);
  }

  /** Records: in key order for ordered_set, else grouped by key in an arbitrary key order. */
  records(): Rec[] {
    return this.ordered().flat();
  }

  size(): number {
    return this.groups.reduce((n, g) => n + g.length, 0);
  }

  has(key: Key): boolean {
    return this.at(key) >= 0;
  }

  /** The smallest key above `key` (dir 1) or the largest below (dir -1), by compareKeys. */
  neighbour(key: Key, dir: 1 | -1): Key | undefined {
    let best: Key | undefined;
    for (const k of this.keys()) {
      if (compareKeys(k, key) * dir <= 0) continue;
      if (best === undefined || compareKeys(k, best) * dir < 0) best = k;
    }
    return best;
  }
}

// ---- comparison helpers -----------------------------------------------------------------------

/** Stable sort by key: for unordered tables, the canonical form of a record list (keeps each key's order). */
export function byKey(records: readonly Rec[]): Rec[] {
  return records.slice().sort((a, b) => compareKeys(a.k as Key, b.k as Key));
}

export function sortKeys(keys: readonly Key[]): Key[] {
  return keys.slice().sort(compareKeys);
}

/** The records as the table type promises them: exact order for ordered_set, canonical otherwise. */
export function canon(type: TableType, records: readonly Rec[]): Rec[] {
  return type === "ordered_set" ? records.slice() : byKey(records);
}

export function canonKeys(type: TableType, keys: readonly Key[]): Key[] {
  return type === "ordered_set" ? keys.slice() : sortKeys(keys);
}

// ---- counters (dirty_update_counter) ----------------------------------------------------------

/** Mnesia's counter arithmetic (FACTS Q1), written independently of the applier. */
export function counterStep(current: unknown, incr: number | bigint): number | bigint {
  const isInt =
    typeof current === "bigint" || (typeof current === "number" && Number.isSafeInteger(current));
  let out: bigint;
  if (isInt && BigInt(current as number | bigint) + BigInt(incr) >= 0n)
    out = BigInt(current as number | bigint) + BigInt(incr);
  else out = BigInt(incr) > 0n ? BigInt(incr) : 0n;
  // Canonical form: a number while it is a safe integer.
  return out <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(out) : out;
}

// ---- guards of select -------------------------------------------------------------------------

export type GuardOp = "<" | ">" | "=<" | ">=" | "==" | "/=";

export function guardHolds(op: GuardOp, a: unknown, b: unknown): boolean {
  const c = compareTerms(a, b);
  switch (op) {
    case "<":
      return c < 0;
    case ">":
      return c > 0;
    case "=<":
      return c <= 0;
    case ">=":
      return c >= 0;
    case "==":
      return termEquals(a, b);
    case "/=":
      return !termEquals(a, b);
  }
}

// ---- arbitraries ------------------------------------------------------------------------------

/**
 * A small key space mixing numbers, bigints equal to numbers (1n == 1), a bigint that is no
 * double, atoms, tuples and strings, so that collisions and equal-but-different keys are common.
 */
export const KEYS: readonly Key[] = [
  0,
  1,
  1n,
  2,
  2n,
  -1,
  0.5,
  2 ** 64,
  2n ** 64n + 1n,
  false,
  null,
  true,
  [],
  [1],
  [1n],
  [1, "a"],
  ["a", 1],
  "",
  "a",
  "b",
  "ab",
];

/** Values of the indexed attribute `v` (1 and 1n are equal terms, [1] and [1n] too). */
export const V_VALUES: readonly Value[] = [0, 1, 1n, 2, "x", "y", [1], [1n], null];
/** Values of the plain attribute `w`. */
export const W_VALUES: readonly Value[] = ["p", "q", 3, [3]];

export const keyArb: fc.Arbitrary<Key> = fc.constantFrom(...KEYS);
export const vArb: fc.Arbitrary<Value> = fc.constantFrom(...V_VALUES);
export const wArb: fc.Arbitrary<Value> = fc.constantFrom(...W_VALUES);
export const recArb: fc.Arbitrary<Rec> = fc
  .record({ k: keyArb, v: vArb, w: wArb })
  .map((r) => ({ k: r.k, v: r.v, w: r.w }));
export const guardOpArb: fc.Arbitrary<GuardOp> = fc.constantFrom<GuardOp>(
  "<",
  ">",
  "=<",
  ">=",
  "==",
  "/=",
);
export const incrArb: fc.Arbitrary<number | bigint> = fc.oneof(
  fc.integer({ min: -4, max: 6 }),
  fc.bigInt(-4n, 6n),
  fc.constantFrom(
    2n ** 60n,
    -(2n ** 60n),
    Number.MAX_SAFE_INTEGER,
    BigInt(Number.MAX_SAFE_INTEGER),
  ),
);

/**
 * An existing record of the model two times in three (by a random index), else `fallback` (which
 * may or may not be stored), so that delete_object both hits and misses.
 */
export function pickRecord(m: Model, pick: number, fallback: Rec): Rec {
  const all = m.records();
  return all.length === 0 || pick % 3 === 0 ? fallback : all[pick % all.length]!;
}

/** A copy of `r` whose key is given in another representation where one exists (1 <-> 1n). */
export function twinKey(k: Key): Key {
  if (typeof k === "number" && Number.isSafeInteger(k)) return BigInt(k);
  if (typeof k === "bigint" && k >= -(2n ** 53n) && k <= 2n ** 53n) return Number(k);
  if (Array.isArray(k)) return k.map((x) => twinKey(x as Key));
  return k;
}

// ---- reporting --------------------------------------------------------------------------------

/** fast-check keeps the failure in `cause`, which node:test does not print: add it to the message. */
function withCause(e: unknown): unknown {
  if (e instanceof Error && e.cause !== undefined) {
    const c = e.cause instanceof Error ? (e.cause.stack ?? e.cause.message) : String(e.cause);
    e.message += `\nCaused by: ${c}`;
  }
  return e;
}

export function assertProperty<Ts extends [unknown, ...unknown[]]>(
  property: fc.IProperty<Ts>,
  params?: fc.Parameters<Ts>,
): void {
  try {
    fc.assert(property, params);
  } catch (e) {
    throw withCause(e);
  }
}

export async function assertAsyncProperty<Ts extends [unknown, ...unknown[]]>(
  property: fc.IAsyncProperty<Ts>,
  params?: fc.Parameters<Ts>,
): Promise<void> {
  try {
    await fc.assert(property, params);
  } catch (e) {
    throw withCause(e);
  }
}
