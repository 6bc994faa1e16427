import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BadTypeError } from "../../src/errors.js";
import { encodeKey, type Key, mapKey, termMapKey, type Value } from "../../src/keys/index.js";

const latin1 = (k: Key): string => Buffer.from(encodeKey(k)).toString("latin1");

describe("mapKey", () => {
  it("returns common keys themselves", () => {
    assert.equal(mapKey(42), 42);
    assert.equal(mapKey(-1.5), -1.5);
    assert.equal(mapKey(Infinity), Infinity);
    assert.ok(Object.is(mapKey(-0), 0));
    assert.equal(mapKey(true), true);
    assert.equal(mapKey(false), false);
    assert.equal(mapKey(null), null);
    assert.equal(mapKey(""), "");
    assert.equal(mapKey("bob"), "bob");
    assert.equal(mapKey("\uD800"), "\uD800");
  });

  it("turns bigints that are doubles into those doubles", () => {
    assert.equal(mapKey(7n), 7);
    assert.equal(mapKey(-(2n ** 53n)), -(2 ** 53));
    assert.equal(mapKey(2n ** 60n), 2 ** 60);
    assert.ok(Object.is(mapKey(0n), 0));
  });

  it("escapes strings starting with \\uFFFF", () => {
    assert.equal(mapKey("\uFFFF"), "\uFFFF\u0001\uFFFF");
    assert.equal(mapKey("\uFFFF\u0000x"), "\uFFFF\u0001\uFFFF\u0000x");
    assert.equal(mapKey("a\uFFFF"), "a\uFFFF");
  });

  it("encodes everything else", () => {
    assert.equal(mapKey(2n ** 53n + 1n), `\uFFFF\u0000${latin1(2n ** 53n + 1n)}`);
    assert.equal(mapKey([1, "a"]), `\uFFFF\u0000${latin1([1, "a"])}`);
    assert.equal(mapKey([1, "a"]), mapKey([1n, "a"]));
    assert.equal(mapKey(new Uint8Array([0, 1])), `\uFFFF\u0000${latin1(new Uint8Array([0, 1]))}`);
    assert.equal(mapKey(Buffer.from([0, 1])), mapKey(new Uint8Array([0, 1])));
    assert.notEqual(mapKey(["a"]), mapKey("a"));
    assert.notEqual(mapKey([]), mapKey(new Uint8Array()));
  });

  it("throws BadTypeError for non-keys that need encoding", () => {
    assert.throws(() => mapKey({} as unknown as Key), BadTypeError);
    assert.throws(() => mapKey([1, [Number.NaN]]), /array element 1: array element 0: NaN/);
  });
});

describe("termMapKey", () => {
  it("agrees with mapKey on keys", () => {
    for (const k of [
      1,
      -0,
      "x",
      "\uFFFF",
      true,
      null,
      5n,
      2n ** 64n + 1n,
      [1, [2]],
      new Uint8Array([3]),
    ] as Key[]) {
      assert.ok(Object.is(termMapKey(k), mapKey(k)));
    }
  });

  it("serialises other values canonically", () => {
    const nan = termMapKey(Number.NaN);
    assert.equal(typeof nan, "string");
    assert.equal(termMapKey(Number.NaN), nan);
    assert.ok((nan as string).startsWith("\uFFFF\u0002"));
    assert.equal(termMapKey({ a: 1, b: [2] }), termMapKey({ b: [2n], a: 1n }));
    assert.equal(termMapKey(Object.create(null)), termMapKey({}));
    assert.notEqual(termMapKey({ a: 1 }), termMapKey({ a: 2 }));
    assert.notEqual(termMapKey({ a: 1 }), termMapKey({ b: 1 }));
    assert.notEqual(termMapKey({}), termMapKey([]));
    assert.notEqual(termMapKey([Number.NaN]), termMapKey([0]));
    assert.equal(termMapKey([Number.NaN]), termMapKey([Number.NaN]));
    assert.notEqual(termMapKey(2n ** 2000n), termMapKey(-(2n ** 2000n)));
    assert.notEqual(termMapKey(2n ** 2000n), termMapKey(Infinity));
    assert.equal(termMapKey(undefined), termMapKey(undefined));
    assert.notEqual(termMapKey(undefined), termMapKey(null));
    assert.notEqual(termMapKey([undefined]), termMapKey([null]));
  });

  it("throws BadTypeError for non-values", () => {
    assert.throws(() => termMapKey(() => 1), BadTypeError);
    assert.throws(() => termMapKey(Symbol("s")), BadTypeError);
    assert.throws(() => termMapKey(new Date(0) as unknown as Value), /Date is not a valid value/);
    assert.throws(
      () => termMapKey({ a: [new Map()] }),
      /property "a": array element 0: class instances/,
    );
  });
});
