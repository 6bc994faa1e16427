import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  compareKeys,
  compareTerms,
  decodeKey,
  encodeKey,
  isKey,
  isValue,
  type Key,
  mapKey,
  termEquals,
  termMapKey,
  type Value,
} from "../../src/keys/index.js";
import {
  bigintArb,
  doubleArb,
  keyArb,
  keyPairArb,
  stringArb,
  valueArb,
  valuePairArb,
} from "./arbitraries.js";

const RUNS = { numRuns: 2000 };

const sign = (n: number): number => (n < 0 ? -1 : n > 0 ? 1 : 0);
const sameValueZero = (a: unknown, b: unknown): boolean =>
  a === b || (Number.isNaN(a) && Number.isNaN(b));

/** Reference string order: arrays of code points (lone surrogates are their own code point). */
function referenceCompareStrings(a: string, b: string): number {
  const ca = Array.from(a, (c) => c.codePointAt(0)!);
  const cb = Array.from(b, (c) => c.codePointAt(0)!);
  for (let i = 0; i < Math.min(ca.length, cb.length); i++) {
    if (ca[i] !== cb[i]) return ca[i]! < cb[i]! ? -1 : 1;
  }
  return sign(ca.length - cb.length);
}

/** Reference exact number/bigint order via floor. */
function referenceCompareNumberBigint(n: number, b: bigint): number {
  if (n === Infinity) return 1;
  if (n === -Infinity) return -1;
  const f = BigInt(Math.floor(n));
  if (f < b) return -1;
  if (f > b) return 1;
  return Number.isInteger(n) ? 0 : 1;
}

/** Check that sorting by `cmp` yields a sequence ordered for every pair (catches intransitivity). */
function assertConsistentOrder<T>(items: T[], cmp: (a: T, b: T) => number): void {
  const sorted = [...items].sort(cmp);
  for (let i = 0; i < sorted.length; i++) {
    for (let j = i + 1; j < sorted.length; j++) {
      assert.ok(cmp(sorted[i]!, sorted[j]!) <= 0, `order broken between positions ${i} and ${j}`);
      assert.ok(cmp(sorted[j]!, sorted[i]!) >= 0, `order broken between positions ${j} and ${i}`);
    }
  }
}

describe("arbitraries", () => {
  it("generate keys and values only", () => {
    fc.assert(
      fc.property(keyArb, (k) => isKey(k) && isValue(k)),
      RUNS,
    );
    fc.assert(
      fc.property(valueArb, (v) => isValue(v)),
      RUNS,
    );
  });
});

describe("compareKeys", () => {
  it("returns exactly -1, 0 or 1 and is reflexive", () => {
    fc.assert(
      fc.property(keyPairArb, ([a, b]) => {
        assert.ok([-1, 0, 1].some((x) => Object.is(x, compareKeys(a, b))));
        assert.equal(compareKeys(a, a), 0);
      }),
      RUNS,
    );
  });

  it("is antisymmetric", () => {
    fc.assert(
      fc.property(keyPairArb, ([a, b]) => {
        assert.equal(sign(compareKeys(a, b)), -sign(compareKeys(b, a)) || 0);
      }),
      RUNS,
    );
  });

  it("is transitive (every pair of a sorted list is in order)", () => {
    fc.assert(
      fc.property(fc.array(keyArb, { maxLength: 12 }), (keys) => {
        assertConsistentOrder(keys, compareKeys);
      }),
      { numRuns: 500 },
    );
  });

  it("is transitive on triples", () => {
    fc.assert(
      fc.property(keyArb, keyArb, keyArb, (a, b, c) => {
        if (compareKeys(a, b) <= 0 && compareKeys(b, c) <= 0) assert.ok(compareKeys(a, c) <= 0);
        if (compareKeys(a, b) === 0 && compareKeys(b, c) === 0) assert.equal(compareKeys(a, c), 0);
      }),
      RUNS,
    );
  });

  it("orders strings by code point", () => {
    fc.assert(
      fc.property(stringArb, stringArb, (a, b) => {
        assert.equal(compareKeys(a, b), referenceCompareStrings(a, b));
      }),
      { numRuns: 5000 },
    );
  });

  it("compares numbers and bigints exactly", () => {
    fc.assert(
      fc.property(doubleArb, bigintArb, (n, b) => {
        const expected = referenceCompareNumberBigint(n, b);
        assert.equal(compareKeys(n, b), expected);
        assert.equal(compareKeys(b, n), -expected || 0);
      }),
      { numRuns: 5000 },
    );
  });
});

describe("encodeKey / decodeKey", () => {
  it("byte order agrees with compareKeys, and bytes are equal iff keys compare equal", () => {
    fc.assert(
      fc.property(keyPairArb, ([a, b]) => {
        const ea = encodeKey(a);
        const eb = encodeKey(b);
        const c = compareKeys(a, b);
        assert.equal(Buffer.compare(ea, eb), c);
        assert.equal(Buffer.from(ea).equals(eb), c === 0);
      }),
      { numRuns: 5000 },
    );
  });

  it("decodes to a key that compares equal and re-encodes to the same bytes", () => {
    fc.assert(
      fc.property(keyArb, (k) => {
        const bytes = encodeKey(k);
        const back = decodeKey(bytes);
        assert.equal(compareKeys(back, k), 0);
        assert.deepEqual(encodeKey(back), bytes);
      }),
      RUNS,
    );
  });

  it("is self-delimiting: a key followed by anything never decodes as the key", () => {
    fc.assert(
      fc.property(keyArb, fc.uint8Array({ minLength: 1, maxLength: 3 }), (k, tail) => {
        const bytes = encodeKey(k);
        const longer = new Uint8Array(bytes.length + tail.length);
        longer.set(bytes);
        longer.set(tail, bytes.length);
        assert.throws(() => decodeKey(longer));
      }),
      RUNS,
    );
  });

  it("decodes numbers as numbers exactly when the value is a double", () => {
    fc.assert(
      fc.property(fc.oneof(doubleArb, bigintArb), (n) => {
        const back = decodeKey(encodeKey(n));
        const exact =
          typeof n === "number" || (Number.isFinite(Number(n)) && BigInt(Number(n)) === n);
        assert.equal(typeof back, exact ? "number" : "bigint");
      }),
      RUNS,
    );
  });
});

describe("mapKey", () => {
  it("gives equal ids exactly to keys that compare equal", () => {
    fc.assert(
      fc.property(keyPairArb, ([a, b]) => {
        assert.equal(sameValueZero(mapKey(a), mapKey(b)), compareKeys(a, b) === 0);
      }),
      { numRuns: 5000 },
    );
  });

  it("works as a Map key", () => {
    fc.assert(
      fc.property(fc.array(keyArb, { maxLength: 20 }), (keys) => {
        const map = new Map<unknown, Key>();
        for (const k of keys) if (!map.has(mapKey(k))) map.set(mapKey(k), k);
        const distinct = [...keys]
          .sort(compareKeys)
          .filter((k, i, all) => i === 0 || compareKeys(all[i - 1]!, k) !== 0);
        assert.equal(map.size, distinct.length);
      }),
      { numRuns: 500 },
    );
  });
});

describe("compareTerms / termEquals / termMapKey", () => {
  it("compareTerms agrees with compareKeys on keys", () => {
    fc.assert(
      fc.property(keyPairArb, ([a, b]) => {
        assert.equal(compareTerms(a, b), compareKeys(a, b));
      }),
      RUNS,
    );
  });

  it("compareTerms is a total order over values", () => {
    fc.assert(
      fc.property(fc.array(valueArb, { maxLength: 10 }), (values) => {
        assertConsistentOrder(values, compareTerms);
        for (const v of values) assert.equal(compareTerms(v, v), 0);
      }),
      { numRuns: 500 },
    );
  });

  it("compareTerms is antisymmetric and termEquals is compareTerms === 0", () => {
    fc.assert(
      fc.property(valuePairArb, ([a, b]) => {
        const c = compareTerms(a, b);
        assert.ok([-1, 0, 1].some((x) => Object.is(x, c)));
        assert.equal(sign(compareTerms(b, a)), -c || 0);
        assert.equal(termEquals(a, b), c === 0);
        assert.equal(termEquals(b, a), c === 0);
      }),
      RUNS,
    );
  });

  it("termMapKey gives equal ids exactly to termEquals values, and mapKey's ids to keys", () => {
    fc.assert(
      fc.property(valuePairArb, ([a, b]) => {
        assert.equal(sameValueZero(termMapKey(a), termMapKey(b)), termEquals(a, b));
      }),
      RUNS,
    );
    fc.assert(
      fc.property(keyArb, (k) => {
        assert.ok(sameValueZero(termMapKey(k), mapKey(k)));
      }),
      RUNS,
    );
  });

  it("termMapKey separates keys from non-key values", () => {
    fc.assert(
      fc.property(keyArb, valueArb, (k, v) => {
        assert.equal(sameValueZero(termMapKey(k), termMapKey(v as Value)), termEquals(k, v));
      }),
      RUNS,
    );
  });
});
