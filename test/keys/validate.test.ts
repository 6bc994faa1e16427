import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatKey, isKey, isValue, keyProblem, valueProblem } from "../../src/keys/index.js";

const MAX_BIG = BigInt(Number.MAX_VALUE);

describe("keyProblem", () => {
  it("accepts every key type", () => {
    const keys: unknown[] = [
      0,
      -0,
      1.5,
      -1e300,
      Infinity,
      -Infinity,
      Number.MIN_VALUE,
      0n,
      -(2n ** 64n),
      MAX_BIG,
      -MAX_BIG,
      "",
      "bob",
      "\uD800",
      "x\uDFFF",
      "😀",
      "\u0000",
      true,
      false,
      null,
      new Uint8Array(),
      new Uint8Array([0, 255]),
      Buffer.from("abc"),
      [],
      [1, "a", [2n, [null, [new Uint8Array([1])]]]],
      Object.freeze([1, 2]),
    ];
    for (const k of keys) {
      assert.equal(keyProblem(k), undefined, `expected a key: ${formatKey(k)}`);
      assert.equal(isKey(k), true);
    }
  });

  it("explains what is not a key", () => {
    const cases: [unknown, string][] = [
      [Number.NaN, "NaN is not a valid key"],
      [undefined, "undefined is not a valid key"],
      [MAX_BIG + 1n, "bigint beyond ±Number.MAX_VALUE is not a valid key"],
      [-MAX_BIG - 1n, "bigint beyond ±Number.MAX_VALUE is not a valid key"],
      [{}, "objects are not valid keys (got {})"],
      [{ a: 1 }, 'objects are not valid keys (got {"a":1})'],
      [Object.create(null), "objects are not valid keys (got {})"],
      [
        new Date(0),
        "Date is not a valid key: store date.getTime() (a number) or date.toISOString() (a string)",
      ],
      [new Map(), "objects are not valid keys (got <Map>)"],
      [new Set(), "objects are not valid keys (got <Set>)"],
      [new Int8Array(2), "Int8Array is not a valid key (only Uint8Array binaries are)"],
      [
        new Uint8ClampedArray(2),
        "Uint8ClampedArray is not a valid key (only Uint8Array binaries are)",
      ],
      [new ArrayBuffer(2), "ArrayBuffer is not a valid key (only Uint8Array binaries are)"],
      [() => 1, "functions are not valid keys"],
      [Symbol("s"), "symbols are not valid keys"],
      [[1, 2, Number.NaN], "array element 2: NaN is not a valid key"],
      [
        [1, [2, [undefined]]],
        "array element 1: array element 1: array element 0: undefined is not a valid key",
      ],
      [[{ a: 1 }], 'array element 0: objects are not valid keys (got {"a":1})'],
      // biome-ignore lint/suspicious/noSparseArray: a hole is exactly what is tested
      [[1, , 3], "array element 1: undefined is not a valid key"],
    ];
    for (const [k, reason] of cases) {
      assert.equal(keyProblem(k), reason);
      assert.equal(isKey(k), false);
    }
  });

  it("reports cycles instead of overflowing the stack", () => {
    const a: unknown[] = [1];
    a.push(a);
    assert.equal(keyProblem(a), "array element 1: cyclic reference is not a valid key");
    const b: unknown[] = [];
    const c: unknown[] = [b];
    b.push(["x", c]);
    assert.equal(
      keyProblem(c),
      "array element 0: array element 0: array element 1: cyclic reference is not a valid key",
    );
  });

  it("accepts shared (acyclic) sub-arrays", () => {
    const shared = [1, 2];
    assert.equal(keyProblem([shared, [shared, shared]]), undefined);
  });
});

describe("valueProblem", () => {
  it("accepts every value type", () => {
    const values: unknown[] = [
      0,
      Number.NaN,
      Infinity,
      -Infinity,
      MAX_BIG + 1n,
      2n ** 2000n,
      "s",
      "\uDC00",
      true,
      null,
      new Uint8Array([1]),
      Buffer.alloc(2),
      [],
      [Number.NaN, { a: [1, { b: null }] }],
      {},
      { a: 1, b: "x", c: [1n], d: { e: new Uint8Array() } },
      Object.create(null),
      JSON.parse('{"__proto__": 1}'),
    ];
    for (const v of values) {
      assert.equal(valueProblem(v), undefined, `expected a value: ${formatKey(v)}`);
      assert.equal(isValue(v), true);
    }
  });

  it("explains what is not a value", () => {
    class Point {
      x = 1;
    }
    const cases: [unknown, string][] = [
      [undefined, "undefined is not a valid value"],
      [() => 1, "functions are not valid values"],
      [Symbol("s"), "symbols are not valid values"],
      [
        new Date(0),
        "Date is not a valid value: store date.getTime() (a number) or date.toISOString() (a string)",
      ],
      [new Map(), "class instances are not valid values (got <Map>)"],
      [new Set(), "class instances are not valid values (got <Set>)"],
      [new Point(), "class instances are not valid values (got <Point>)"],
      [new Float64Array(1), "Float64Array is not a valid value (only Uint8Array binaries are)"],
      [
        new DataView(new ArrayBuffer(1)),
        "DataView is not a valid value (only Uint8Array binaries are)",
      ],
      [[1, undefined], "array element 1: undefined is not a valid value"],
      [
        { a: { b: [0, () => 0] } },
        'property "a": property "b": array element 1: functions are not valid values',
      ],
      [{ a: undefined }, 'property "a": undefined is not a valid value'],
      [{ [Symbol("s")]: 1 }, "symbol-keyed properties are not valid in values"],
    ];
    for (const [v, reason] of cases) {
      assert.equal(valueProblem(v), reason);
      assert.equal(isValue(v), false);
    }
  });

  it("reports cycles through arrays and objects", () => {
    const o: Record<string, unknown> = { a: 1 };
    o.self = o;
    assert.equal(valueProblem(o), 'property "self": cyclic reference is not a valid value');
    const arr: unknown[] = [];
    arr.push({ inner: [arr] });
    assert.equal(
      valueProblem(arr),
      'array element 0: property "inner": array element 0: cyclic reference is not a valid value',
    );
  });

  it("accepts shared (acyclic) sub-values", () => {
    const shared = { x: [1] };
    assert.equal(valueProblem({ a: shared, b: [shared, shared] }), undefined);
  });

  it("accepts every key as a value", () => {
    assert.equal(valueProblem([1n, "a", [true, null, new Uint8Array()]]), undefined);
  });
});
