import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BadTypeError } from "../../src/errors.js";
import { compareKeys, decodeKey, encodeKey, type Key } from "../../src/keys/index.js";

const hex = (k: Key): string => Buffer.from(encodeKey(k)).toString("hex");
const bytes = (h: string): Uint8Array => new Uint8Array(Buffer.from(h, "hex"));

describe("encodeKey", () => {
  it("writes the documented tags", () => {
    assert.equal(hex(false), "20");
    assert.equal(hex(null), "28");
    assert.equal(hex(true), "30");
    assert.equal(hex([]), "4000000000");
    assert.equal(hex(""), "600000");
    assert.equal(hex(new Uint8Array()), "700000");
  });

  it("writes numbers as ordered float64 plus a remainder marker", () => {
    assert.equal(hex(0), "10800000000000000080");
    assert.equal(hex(-0), "10800000000000000080");
    assert.equal(hex(0n), "10800000000000000080");
    assert.equal(hex(1), "10bff000000000000080");
    assert.equal(hex(1n), "10bff000000000000080");
    assert.equal(hex(-1), "10400fffffffffffff80");
    assert.equal(hex(Infinity), "10fff000000000000080");
    assert.equal(hex(-Infinity), "10000fffffffffffff80");
    // 2^53 + 1 rounds to 2^53: positive remainder 1, one byte long.
    assert.equal(hex(2n ** 53n + 1n), "10c340000000000000c00101");
    // -(2^53 + 1) rounds to -(2^53): remainder -1, length and magnitude inverted.
    assert.equal(hex(-(2n ** 53n) - 1n), "103cbfffffffffffff40fefe");
    // 2^60 is a double: exact, same bytes as the number.
    assert.equal(hex(2n ** 60n), hex(2 ** 60));
  });

  it("escapes 0x00 and terminates strings and binaries with 0x00 0x00", () => {
    assert.equal(hex("a\u0000b"), "606100ff620000");
    assert.equal(hex(new Uint8Array([0, 255, 0])), "7000ffff00ff0000");
  });

  it("writes strings as WTF-8, lone surrogates in their 3-byte form", () => {
    assert.equal(hex("é"), "60c3a90000");
    assert.equal(hex("\uFFFF"), "60efbfbf0000");
    assert.equal(hex("\uD83D\uDE00"), "60f09f98800000");
    assert.equal(hex("\uD83D"), "60eda0bd0000");
    assert.equal(hex("\uDE00"), "60edb8800000");
    assert.equal(hex("\uDE00\uD83D"), "60edb880eda0bd0000");
  });

  it("writes arrays as a 4-byte length and the elements", () => {
    assert.equal(hex([true, "a", [null]]), "4000000003" + "30" + "60610000" + "400000000128");
  });

  it("does not encode ['a'] like 'a'", () => {
    assert.notEqual(hex(["a"]), hex("a"));
  });

  it("rejects non-keys with BadTypeError", () => {
    for (const bad of [
      Number.NaN,
      undefined,
      { a: 1 },
      [1, Number.NaN],
      BigInt(Number.MAX_VALUE) + 1n,
    ]) {
      assert.throws(() => encodeKey(bad as Key), BadTypeError);
    }
    assert.throws(() => encodeKey([1, Number.NaN]), /array element 1: NaN is not a valid key/);
  });

  it("keeps order for bigints around the largest doubles", () => {
    const max = BigInt(Number.MAX_VALUE);
    const ks: Key[] = [
      -max,
      -max + 1n,
      -(2n ** 1000n) - 1n,
      -(2n ** 1000n),
      -(2n ** 1000n) + 1n,
      2n ** 1000n - 1n,
      2n ** 1000n,
      2n ** 1000n + 1n,
      max - 1n,
      max,
      Infinity,
    ];
    for (let i = 0; i + 1 < ks.length; i++) {
      assert.equal(compareKeys(ks[i]!, ks[i + 1]!), -1);
      assert.equal(Buffer.compare(encodeKey(ks[i]!), encodeKey(ks[i + 1]!)), -1);
    }
  });
});

describe("decodeKey", () => {
  it("round-trips every type", () => {
    const keys: Key[] = [
      0,
      -1.5,
      Infinity,
      -Infinity,
      3n ** 40n,
      false,
      null,
      true,
      "",
      "a\u0000\uD800😀",
      new Uint8Array([0, 1, 255]),
      [1, ["x", [new Uint8Array()]]],
    ];
    for (const k of keys) {
      const back = decodeKey(encodeKey(k));
      assert.equal(compareKeys(back, k), 0);
    }
    assert.deepEqual(decodeKey(encodeKey([1, ["x"]])), [1, ["x"]]);
    assert.deepEqual(decodeKey(encodeKey(new Uint8Array([0, 9]))), new Uint8Array([0, 9]));
  });

  it("returns numbers when the value is a double, bigints otherwise", () => {
    assert.equal(decodeKey(encodeKey(1n)), 1);
    assert.equal(decodeKey(encodeKey(2n ** 60n)), 2 ** 60);
    assert.equal(decodeKey(encodeKey(2n ** 53n + 1n)), 2n ** 53n + 1n);
    assert.equal(decodeKey(encodeKey(-(2n ** 64n) + 1n)), -(2n ** 64n) + 1n);
    assert.ok(Object.is(decodeKey(encodeKey(-0)), 0));
  });

  it("rejects malformed input with BadTypeError", () => {
    const bad = [
      "", // empty
      "99", // unknown tag
      "08", // NaN is a term-only tag
      "1080000000000000", // truncated number
      "10800000000000000081", // bad remainder marker
      "10fff800000000000080", // NaN payload
      "107fffffffffffffff80", // -0
      "10c340000000000000c00100", // remainder with a leading zero byte
      "10c340000000000000c00102", // remainder too large to round to this double
      "10bff800000000000000c00101", // remainder on a non-integer double
      "6061", // unterminated string
      "606100", // unterminated string after 0x00
      "60610001", // bad escape
      "60c00000", // invalid UTF-8 lead byte
      "60e080800000", // overlong
      "60eda0bdedb8800000", // a surrogate pair written as two lone surrogates
      "60f4908080", // beyond U+10FFFF
      "7000", // unterminated binary
      "700001", // bad escape in binary
      "40000000", // truncated length
      "4000000002" + "20", // fewer elements than announced
      "2020", // trailing bytes
    ];
    for (const h of bad) {
      assert.throws(() => decodeKey(bytes(h)), BadTypeError, `should reject ${h}`);
    }
  });
});
