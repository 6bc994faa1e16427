import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  compareKeys,
  compareTerms,
  formatKey,
  type Key,
  termEquals,
} from "../../src/keys/index.js";

/** Assert that `items` is strictly increasing (and every later item compares greater). */
function assertIncreasing(items: readonly unknown[], cmp: (a: never, b: never) => number): void {
  const c = cmp as (a: unknown, b: unknown) => number;
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      const what = `${formatKey(items[i])} vs ${formatKey(items[j])}`;
      assert.equal(c(items[i], items[j]), -1, what);
      assert.equal(c(items[j], items[i]), 1, what);
    }
  }
}

describe("the documented key order", () => {
  it("sorts the reference list", () => {
    const sorted: Key[] = [
      -Infinity,
      -1n,
      0,
      0.5,
      1,
      1n,
      2 ** 53,
      2n ** 53n + 1n,
      Infinity,
      false,
      null,
      true,
      [],
      [9],
      [1, 2],
      "",
      "a",
      "ab",
      // By code point: U+FFFF comes before U+1F600 (UTF-16 "<" would say the opposite).
      "\uFFFF",
      "\uD83D\uDE00",
      new Uint8Array(),
      new Uint8Array([0]),
    ];
    const shuffled = [...sorted].reverse();
    shuffled.push(shuffled.shift()!);
    const result = shuffled.sort(compareKeys).map(formatKey);
    const expected = sorted.map(formatKey);
    // 1 and 1n are equal, so either may come first.
    assert.deepEqual(new Set(result.slice(4, 6)), new Set(["1", "1n"]));
    assert.deepEqual(
      [...result.slice(0, 4), ...result.slice(6)],
      [...expected.slice(0, 4), ...expected.slice(6)],
    );
    // 1 and 1n are equal; everything else is strictly increasing.
    assert.equal(compareKeys(1, 1n), 0);
    assertIncreasing(
      sorted.filter((k) => k !== 1n),
      compareKeys,
    );
  });

  it("puts the types in Erlang order", () => {
    assertIncreasing(
      [
        -Infinity,
        Number.MAX_VALUE,
        Infinity,
        false,
        null,
        true,
        [],
        ["z"],
        "",
        "\u0000",
        new Uint8Array(),
      ],
      compareKeys,
    );
  });

  it("orders arrays like tuples: shorter first, then element-wise", () => {
    assertIncreasing([[], [Infinity], ["a"], [0, 0], [0, 1], [1, 0], [0, 0, 0]], compareKeys);
    assert.equal(compareKeys([1, [2n, "x"]], [1n, [2, "x"]]), 0);
    assert.equal(compareKeys([-0], [0]), 0);
  });

  it("orders binaries byte-wise, a prefix first", () => {
    assertIncreasing(
      [
        new Uint8Array(),
        new Uint8Array([0]),
        new Uint8Array([0, 0]),
        new Uint8Array([0, 255]),
        new Uint8Array([1]),
        new Uint8Array([255]),
      ],
      compareKeys,
    );
    assert.equal(compareKeys(Buffer.from([1, 2]), new Uint8Array([1, 2])), 0);
  });
});

describe("numbers and bigints", () => {
  it("compare by exact mathematical value", () => {
    assert.equal(compareKeys(1, 1n), 0);
    assert.equal(compareKeys(-0, 0), 0);
    assert.equal(compareKeys(-0, 0n), 0);
    assert.equal(compareKeys(2 ** 53, 2n ** 53n), 0);
    assert.equal(compareKeys(2 ** 53, 2n ** 53n + 1n), -1);
    assert.equal(compareKeys(2n ** 53n + 1n, 2 ** 53 + 2), -1);
    assert.equal(compareKeys(0.5, 1n), -1);
    assert.equal(compareKeys(0.5, 0n), 1);
    assert.equal(compareKeys(-0.5, 0n), -1);
    assert.equal(compareKeys(-0.5, -1n), 1);
    assert.equal(compareKeys(2 ** 64, 2n ** 64n - 1n), 1);
    assert.equal(compareKeys(2 ** 64, 2n ** 64n + 1n), -1);
    assert.equal(compareKeys(Number.MAX_VALUE, BigInt(Number.MAX_VALUE)), 0);
    assert.equal(compareKeys(Number.MAX_VALUE, BigInt(Number.MAX_VALUE) - 1n), 1);
    assert.equal(compareKeys(Infinity, BigInt(Number.MAX_VALUE)), 1);
    assert.equal(compareKeys(-Infinity, -BigInt(Number.MAX_VALUE)), -1);
    assert.equal(compareKeys(3n, 2n), 1);
  });
});

describe("strings", () => {
  it("order by code point, not by UTF-16 unit", () => {
    // U+1F600 (a surrogate pair in UTF-16) sorts after U+E000..U+FFFF.
    assertIncreasing(["\uD7FF", "\uE000", "\uFFFF", "\uD83D\uDE00", "\u{10FFFF}"], compareKeys);
  });

  it("place lone surrogates at their own code point", () => {
    assertIncreasing(
      [
        "\uD7FF",
        "\uD800",
        "\uD83D",
        "\uD83Dx",
        "\uDBFF",
        "\uDC00",
        "\uDFFF",
        "\uE000",
        "\u{10000}",
      ],
      compareKeys,
    );
  });

  it("handle a pair against a lone surrogate after a shared prefix", () => {
    // A pair is above any lone surrogate, even one with a higher first unit.
    assert.equal(compareKeys("\uD800\uDC00", "\uDBFF"), 1);
    // The shared high surrogate pairs in one string only.
    assert.equal(compareKeys("\uD83D\uDE00", "\uD83D\uE000"), 1);
    assert.equal(compareKeys("\uD83D\uDE00", "\uD83Dx"), 1);
    assert.equal(compareKeys("\uD83D", "\uD83D\uDE00"), -1);
    assert.equal(compareKeys("\uD83D\uDBFF\uDFFF", "\uD83D\uDC00"), -1);
  });

  it("put a prefix first and treat \\u0000 as the lowest character", () => {
    assertIncreasing(["", "\u0000", "\u0000\u0000", "\u0001", "a", "a\u0000", "aa"], compareKeys);
  });
});

describe("compareTerms", () => {
  it("puts plain objects between arrays and strings", () => {
    assertIncreasing([[1, 2, 3], {}, { a: 1 }, ""], compareTerms);
  });

  it("orders objects by size, then sorted keys, then values", () => {
    assertIncreasing(
      [
        {},
        { z: 0 },
        { a: 9, b: 0 },
        { a: 0, c: 0 },
        { a: 1, c: 0 },
        { a: 1, c: 1 },
        { a: 0, b: 0, c: 0 },
      ],
      compareTerms,
    );
    assert.equal(compareTerms({ a: 1, b: [2] }, { b: [2n], a: 1n }), 0);
    assert.equal(compareTerms({ "\uFFFF": 0 }, { "\uD83D\uDE00": 0 }), -1);
  });

  it("places NaN below every number, equal to itself", () => {
    assertIncreasing(
      [Number.NaN, -Infinity, -(2n ** 2000n), 0, 2n ** 2000n, Infinity],
      compareTerms,
    );
    assert.equal(compareTerms(Number.NaN, Number.NaN), 0);
    assert.equal(termEquals(Number.NaN, Number.NaN), true);
    assert.equal(termEquals([Number.NaN], [Number.NaN]), true);
  });

  it("sorts undefined last and never throws on non-values", () => {
    assertIncreasing([new Uint8Array([9]), undefined, () => 0], compareTerms);
    assert.equal(compareTerms(undefined, undefined), 0);
    assert.equal(compareTerms(new Date(1), Symbol("x")), 0);
    assert.equal(termEquals(new Date(1), new Date(2)), true);
    assert.equal(termEquals(undefined, null), false);
  });

  it("termEquals matches compareTerms", () => {
    assert.equal(termEquals(1, 1n), true);
    assert.equal(termEquals(1n, 1), true);
    assert.equal(termEquals(-0, 0), true);
    assert.equal(termEquals("a", "b"), false);
    assert.equal(termEquals(new Uint8Array([1]), Buffer.from([1])), true);
    assert.equal(termEquals({ a: [1] }, { a: [1n] }), true);
    assert.equal(termEquals({ a: 1 }, { b: 1 }), false);
    assert.equal(termEquals({ a: 1 }, [1]), false);
    assert.equal(termEquals([], {}), false);
    assert.equal(termEquals(Object.create(null), {}), true);
  });
});
