import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { decodeTerm, decodeTerms, encodeTerm } from "../../src/codec/term-codec.js";
import { freezeValue, termEquals } from "../../src/keys/index.js";
import { valueArb } from "../keys/arbitraries.js";

/** What the database does with a decoded value: a frozen copy with plain Uint8Arrays. */
const roundTrip = (v: unknown): unknown => freezeValue(decodeTerm(encodeTerm(v)));

describe("term codec", () => {
  it("property: every value round-trips to an equal term", () => {
    fc.assert(
      fc.property(valueArb, (v) => {
        assert.ok(termEquals(roundTrip(v), v));
      }),
      { numRuns: 2000 },
    );
  });

  it("keeps numbers and bigints apart, at any size", () => {
    assert.equal(roundTrip(5), 5);
    assert.equal(roundTrip(5n), 5n);
    assert.equal(roundTrip(2 ** 60), 2 ** 60);
    assert.equal(roundTrip(-(2n ** 200n)), -(2n ** 200n));
    assert.equal(roundTrip(1.5), 1.5);
    assert.ok(Number.isNaN(roundTrip(Number.NaN)));
    assert.equal(roundTrip(Number.NEGATIVE_INFINITY), Number.NEGATIVE_INFINITY);
  });

  it("binaries come back as plain Uint8Arrays after freezing", () => {
    const v = roundTrip({ b: new Uint8Array([1, 2, 3]) }) as { b: Uint8Array };
    assert.equal(Object.getPrototypeOf(v.b), Uint8Array.prototype);
    assert.deepEqual([...v.b], [1, 2, 3]);
  });

  it("decodes a sequence of values", () => {
    const bytes = Buffer.concat([encodeTerm({ a: 1 }), encodeTerm([2, "x"]), encodeTerm(null)]);
    assert.deepEqual(decodeTerms(bytes), [{ a: 1 }, [2, "x"], null]);
  });
});
