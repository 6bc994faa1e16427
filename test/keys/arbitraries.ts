// fast-check arbitraries mixing every key and value type, biased towards the edge cases where
// an order or an encoding could go wrong (and towards collisions, so equal pairs occur often).

import fc from "fast-check";
import type { Key, Value } from "../../src/keys/index.js";

const MAX_BIG = BigInt(Number.MAX_VALUE);

const edgeDoubles = fc.constantFrom(
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  Number.EPSILON,
  Number.MIN_VALUE,
  -Number.MIN_VALUE,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  Number.MAX_SAFE_INTEGER,
  2 ** 53,
  2 ** 53 + 2,
  -(2 ** 53),
  2 ** 63,
  2 ** 64,
  -(2 ** 64),
  1e300,
  Infinity,
  -Infinity,
);

export const doubleArb: fc.Arbitrary<number> = fc.oneof(
  edgeDoubles,
  fc.integer({ min: -3, max: 3 }),
  fc.integer(),
  fc.double({ noNaN: true }),
);

/** bigints from `base - 3` to `base + 3`. */
const near = (base: bigint): fc.Arbitrary<bigint> =>
  fc.integer({ min: -3, max: 3 }).map((d) => base + BigInt(d));

/** Integers just around a random finite double (where rounding makes remainders). */
const nearDouble: fc.Arbitrary<bigint> = fc
  .double({ noNaN: true, noDefaultInfinity: true, min: -1e30, max: 1e30 })
  .chain((d) => near(BigInt(Math.trunc(d))));

export const bigintArb: fc.Arbitrary<bigint> = fc.oneof(
  fc.bigInt(-5n, 5n),
  near(2n ** 53n),
  near(-(2n ** 53n)),
  near(2n ** 64n),
  near(-(2n ** 64n)),
  nearDouble,
  fc.bigInt(-(2n ** 70n), 2n ** 70n),
  fc.constantFrom(MAX_BIG, -MAX_BIG, MAX_BIG - 1n, -MAX_BIG + 1n, 2n ** 1000n + 1n),
);

/** Units that probe code point order: surrogates (paired or lone), 0x00, 0xFFFF, boundaries. */
const unit = fc.constantFrom(
  "\u0000",
  "\u0001",
  "a",
  "b",
  "\u007F",
  "\u0080",
  "\u07FF",
  "\u0800",
  "\uD7FF",
  "\uD800",
  "\uD83D",
  "\uDBFF",
  "\uDC00",
  "\uDE00",
  "\uDFFF",
  "\uE000",
  "\uFFFE",
  "\uFFFF",
  "😀",
  "\u{10000}",
  "\u{10FFFF}",
);

export const stringArb: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit, maxLength: 6 }),
  fc.string({ unit: "binary", maxLength: 6 }),
  fc.string({ unit, maxLength: 4 }).map((s) => `\uFFFF${s}`),
  fc.string({ unit, maxLength: 4 }).map((s) => `\uFFFF\u0000${s}`),
);

export const bytesArb: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 5 }),
  fc.array(fc.constantFrom(0, 1, 0xfe, 0xff), { maxLength: 5 }).map((a) => new Uint8Array(a)),
);

const leafKey: fc.Arbitrary<Key> = fc.oneof(
  doubleArb,
  bigintArb,
  stringArb,
  fc.constantFrom(false, null, true),
  bytesArb,
);

export const keyArb: fc.Arbitrary<Key> = fc.letrec<{ key: Key; array: Key[] }>((tie) => ({
  key: fc.oneof({ maxDepth: 3, depthIdentifier: "key" }, leafKey, leafKey, tie("array")),
  array: fc.array(tie("key"), { maxLength: 4, depthIdentifier: "key" }),
})).key;

/** A key that compares equal to `k` but is written differently where possible. */
export function twinOf(k: Key): Key {
  if (typeof k === "number") {
    if (Number.isInteger(k) && Number.isFinite(k)) return BigInt(k);
    return k === 0 ? -k : k;
  }
  if (typeof k === "bigint") {
    const d = Number(k);
    return Number.isFinite(d) && BigInt(d) === k ? d : k;
  }
  if (k instanceof Uint8Array) return new Uint8Array(k);
  if (Array.isArray(k)) return k.map((e: Key) => twinOf(e));
  return k;
}

/** Pairs of keys: independent, twins, or near-twins (sharing a prefix). */
export const keyPairArb: fc.Arbitrary<[Key, Key]> = fc.oneof(
  fc.tuple(keyArb, keyArb),
  keyArb.map((k): [Key, Key] => [k, twinOf(k)]),
  fc.tuple(keyArb, keyArb, keyArb).map(([p, a, b]): [Key, Key] => [
    [p, a],
    [twinOf(p), b],
  ]),
);

const leafValue: fc.Arbitrary<Value> = fc.oneof(
  leafKey,
  fc.constant(Number.NaN),
  fc.constantFrom(MAX_BIG + 1n, -(MAX_BIG + 1n), 2n ** 1100n),
);

const propName = fc.oneof(fc.constantFrom("a", "b", "__proto__", "", "\uFFFF"), stringArb);

export const valueArb: fc.Arbitrary<Value> = fc.letrec<{
  value: Value;
  array: Value[];
  map: Record<string, Value>;
}>((tie) => ({
  value: fc.oneof(
    { maxDepth: 3, depthIdentifier: "value" },
    leafValue,
    leafValue,
    tie("array"),
    tie("map"),
  ),
  array: fc.array(tie("value"), { maxLength: 3, depthIdentifier: "value" }),
  map: fc.dictionary(propName, tie("value"), { maxKeys: 3, depthIdentifier: "value" }),
})).value;

/** A value equal to `v` (termEquals) written differently where possible. */
export function valueTwinOf(v: Value): Value {
  if (typeof v === "number" && Number.isNaN(v)) return Number.NaN;
  if (Array.isArray(v)) return v.map((e: Value) => valueTwinOf(e));
  if (typeof v === "object" && v !== null && !(v instanceof Uint8Array)) {
    // Same entries, reversed insertion order, null prototype.
    const out: Record<string, Value> = Object.create(null);
    for (const name of Object.keys(v).reverse()) {
      Object.defineProperty(out, name, {
        value: valueTwinOf((v as Record<string, Value>)[name]!),
        enumerable: true,
      });
    }
    return out;
  }
  return twinOf(v as Key);
}

export const valuePairArb: fc.Arbitrary<[Value, Value]> = fc.oneof(
  fc.tuple(valueArb, valueArb),
  valueArb.map((v): [Value, Value] => [v, valueTwinOf(v)]),
);
