// Specs that differ only in their constants share generated code (the shape cache), and the
// code specialised on a constant's type agrees with compareTerms / termEquals for every value.

import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { compareTerms, termEquals } from "../../src/keys/index.js";
import { compileMatchSpec, compilePattern, NO_MATCH } from "../../src/query/index.js";
import { generatedCount } from "../../src/query/ms-codegen.js";
import { parseMatchSpec } from "../../src/query/ms-parse.js";
import { isPlainObject } from "../../src/query/terms.js";

/** A table of its own, so that no other test file has compiled these shapes before. */
const T = { name: "shape_test", attributes: ["id", "v", "w"] } as const;

const rows = Array.from({ length: 30 }, (_, i) => ({ id: i, v: i % 7, w: `w${i}` }));

const ids = (spec: unknown) => {
  const ms = compileMatchSpec(spec, T);
  return rows.filter((r) => ms.run(r) !== NO_MATCH).map((r) => r.id);
};

const range = (k: number) => [
  [
    { id: "$1", v: "$2" },
    [
      [">=", "$1", k],
      ["<", "$1", k + 5],
    ],
    ["$_"],
  ],
];

describe("shape cache", () => {
  test("specs differing only in constants share code but not results or analyses", () => {
    const a = compileMatchSpec(range(3), T);
    const generated = generatedCount();
    const b = compileMatchSpec(range(20), T);
    assert.equal(generatedCount(), generated, "no new code for a new constant");
    assert.notEqual(a, b);
    assert.deepEqual(ids(range(3)), [3, 4, 5, 6, 7]);
    assert.deepEqual(ids(range(20)), [20, 21, 22, 23, 24]);
    assert.deepEqual(a.keyRange(), {
      lower: { value: 3, inclusive: true },
      upper: { value: 8, inclusive: false },
    });
    assert.deepEqual(b.keyRange(), {
      lower: { value: 20, inclusive: true },
      upper: { value: 25, inclusive: false },
    });
    assert.equal(a.returnsRecords, true);
    assert.equal(b.returnsRecords, true);
    assert.equal(generatedCount(), generated);
  });

  test("boundValue follows each spec's own constants", () => {
    const spec = (id: unknown, v: unknown) => [[{ id, v, w: "$1" }, [], ["$1"]]];
    const a = compileMatchSpec(spec(1, 1), T);
    const generated = generatedCount();
    const b = compileMatchSpec(spec(2, 3), T);
    assert.equal(generatedCount(), generated);
    assert.deepEqual(a.boundValue("id"), { value: 1 });
    assert.deepEqual(b.boundValue("id"), { value: 2 });
    assert.deepEqual(b.boundValue("v"), { value: 3 });
    assert.equal(b.boundValue("w"), undefined);
    assert.deepEqual(b.keyRange(), {
      lower: { value: 2, inclusive: true },
      upper: { value: 2, inclusive: true },
    });
    assert.deepEqual(b.run({ id: 2, v: 3, w: "x" }), "x");
    assert.equal(b.run({ id: 1, v: 1, w: "x" }), NO_MATCH);
    assert.deepEqual(a.run({ id: 1, v: 1, w: "y" }), "y");
  });

  test("results built from constants are each spec's own", () => {
    const spec = (c: unknown) => [[{ id: "$1" }, [], [{ id: "$1", tag: c, list: [c, "$1"] }]]];
    const a = compileMatchSpec(spec("a"), T);
    const b = compileMatchSpec(spec("b"), T);
    assert.deepEqual(a.run(rows[1]!), { id: 1, tag: "a", list: ["a", 1] });
    assert.deepEqual(b.run(rows[1]!), { id: 1, tag: "b", list: ["b", 1] });
  });

  test("a constant that changes type in the same position gets code for its type", () => {
    const gt = (c: unknown) => [[{ id: "$1", v: "$2" }, [[">", "$2", c]], ["$1"]]];
    assert.deepEqual(ids(gt(5)), [6, 13, 20, 27]);
    assert.deepEqual(ids(gt(5n)), [6, 13, 20, 27]);
    assert.deepEqual(ids(gt(5.5)), [6, 13, 20, 27]);
    // Every number is below every string, and below null (numbers < atoms < ... < strings).
    assert.deepEqual(ids(gt("5")), []);
    assert.deepEqual(ids(gt(null)), []);
    assert.deepEqual(ids(gt(Number.NaN)), ids(gt(-1)));
    const eq = (c: unknown) => [[{ id: "$1", v: c }, [], ["$1"]]];
    assert.deepEqual(ids(eq(6)), [6, 13, 20, 27]);
    assert.deepEqual(ids(eq(6n)), [6, 13, 20, 27]);
    assert.deepEqual(ids(eq("6")), []);
    assert.deepEqual(ids(eq(true)), []);
    assert.deepEqual(
      parseMatchSpec(gt(5), T).shape === parseMatchSpec(gt("5"), T).shape,
      false,
      "the shape includes the constant's type",
    );
  });

  test("shapes keep structure apart: map keys, attribute names, functions, variables", () => {
    const shape = (spec: unknown) => parseMatchSpec(spec, T).shape;
    const distinct = [
      [[{ v: { a: 1 } }, [], ["$_"]]],
      [[{ v: { b: 1 } }, [], ["$_"]]],
      [[{ w: { a: 1 } }, [], ["$_"]]],
      [[{ v: [1, "_"] }, [], ["$_"]]],
      [[{ v: [1, "$1"] }, [], ["$_"]]],
      [[{ v: [1, 2] }, [], ["$_"]]],
      [[{ v: "$1" }, [[">", "$1", 1]], ["$_"]]],
      [[{ v: "$1" }, [["<", "$1", 1]], ["$_"]]],
      [[{ v: "$2" }, [["<", "$2", 1]], ["$_"]]],
      [[{ v: "$1" }, [["<", 1, "$1"]], ["$_"]]],
      [[{ v: "$1" }, [], [{ a: "$1" }]]],
      [[{ v: "$1" }, [], [{ b: "$1" }]]],
      [[{ v: "$1" }, [], ["$1", "$_"]]],
      [[{ v: "$1" }, [], [["$1", "$_"]]]],
      [[{ v: "$1" }, [], ["$$"]]],
      [["_", [], ["$_"]]],
      [
        ["_", [], ["$_"]],
        ["_", [], ["$_"]],
      ],
    ];
    const shapes = distinct.map(shape);
    assert.equal(new Set(shapes).size, distinct.length, shapes.join("\n"));
    // Equal shapes: only the values of constants of the same types differ.
    assert.equal(shape([[{ v: [1, 2] }, [], ["$_"]]]), shape([[{ v: ["x", 3n, []] }, [], ["$_"]]]));
    assert.equal(shape([[{ v: { a: 1 } }, [], ["$_"]]]), shape([[{ v: { a: 2 } }, [], ["$_"]]]));
  });

  test("map patterns and constructed objects with different keys run correctly", () => {
    const table = { name: "shape_maps", attributes: ["k", "m"] };
    const records = [
      { k: 1, m: { a: 1 } },
      { k: 2, m: { b: 1 } },
    ];
    const keys = (key: string) => {
      const ms = compileMatchSpec([[{ k: "$1", m: { [key]: 1 } }, [], [{ [key]: "$1" }]]], table);
      return records.map((r) => ms.run(r)).filter((x) => x !== NO_MATCH);
    };
    assert.deepEqual(keys("a"), [{ a: 1 }]);
    assert.deepEqual(keys("b"), [{ b: 2 }]);
  });

  test("patterns share code by shape too", () => {
    const a = compilePattern({ v: 3 }, T);
    const generated = generatedCount();
    const b = compilePattern({ v: 4 }, T);
    assert.equal(generatedCount(), generated);
    assert.deepEqual(
      rows.filter((r) => a.test(r)).map((r) => r.id),
      [3, 10, 17, 24],
    );
    assert.deepEqual(
      rows.filter((r) => b.test(r)).map((r) => r.id),
      [4, 11, 18, 25],
    );
    assert.deepEqual(b.boundValue("v"), { value: 4 });
    const c = compilePattern({ v: "4" }, T);
    assert.deepEqual(
      rows.filter((r) => c.test(r)),
      [],
    );
  });

  test("a head literal still fails the clause, not run, when the attribute getter throws", () => {
    const ms = compileMatchSpec([[{ v: 1 }, [], ["$_"]]], T);
    const bad = Object.defineProperty({}, "v", {
      get() {
        throw new Error("boom");
      },
    });
    assert.equal(ms.run(bad), NO_MATCH);
  });
});

describe("comparisons and equality specialised on the constant's type", () => {
  // Values where JavaScript's operators and the term order part ways.
  const special: unknown[] = [
    0,
    -0,
    1,
    -1,
    1.5,
    Number.NaN,
    Number.POSITIVE_INFINITY,
    Number.NEGATIVE_INFINITY,
    2 ** 53,
    2 ** 53 + 2,
    0n,
    1n,
    -1n,
    2n ** 53n + 1n,
    2n ** 64n,
    "",
    "a",
    "b",
    "ab",
    "\uffff",
    "\u{10000}",
    "\ud800",
    "\udfff",
    "\ue000",
    "a\u{10000}",
    true,
    false,
    null,
    [],
    [1],
    {},
    { a: 1 },
    new Uint8Array([1]),
    undefined,
  ];
  const value = fc.oneof(
    fc.constantFrom(...special),
    fc.double(),
    fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
    fc.string({ unit: "binary", maxLength: 3 }),
    fc.string({ unit: "grapheme-ascii", maxLength: 3 }),
    // Single UTF-16 units around the surrogates, lone ones included.
    fc.string({
      unit: fc.integer({ min: 0xd7f0, max: 0xffff }).map((n) => String.fromCharCode(n)),
      maxLength: 3,
    }),
  );
  const constant = value.filter((c) => c !== undefined);
  const table = { name: "shape_cmp", attributes: ["k", "x"] } as const;
  const ORDER: Readonly<Record<string, (c: number) => boolean>> = {
    "<": (c) => c < 0,
    "=<": (c) => c <= 0,
    ">": (c) => c > 0,
    ">=": (c) => c >= 0,
  };

  test("x <op> constant and constant <op> x agree with compareTerms", () => {
    fc.assert(
      fc.property(fc.constantFrom("<", "=<", ">", ">="), constant, value, (op, c, x) => {
        const holds = ORDER[op]!;
        const right = compileMatchSpec([[{ x: "$1" }, [[op, "$1", { const: c }]], [true]]], table);
        const left = compileMatchSpec([[{ x: "$1" }, [[op, { const: c }, "$1"]], [true]]], table);
        const record = { k: 0, x };
        assert.equal(right.run(record) === true, holds(compareTerms(x, c)));
        assert.equal(left.run(record) === true, holds(compareTerms(c, x)));
        // A computed operand (here: x + 0 for numbers) goes through a temporary.
        if (typeof x === "number" && Number.isFinite(x)) {
          const sum = compileMatchSpec(
            [[{ x: "$1" }, [[op, ["+", "$1", 0], { const: c }]], [true]]],
            table,
          );
          assert.equal(sum.run(record) === true, holds(compareTerms(x + 0, c)));
        }
      }),
      { numRuns: 3000 },
    );
  });

  test("==, =:=, /=, =/= and head literals agree with termEquals", () => {
    fc.assert(
      fc.property(fc.constantFrom("==", "=:=", "/=", "=/="), constant, value, (op, c, x) => {
        const equal = termEquals(x, c);
        const expected = op === "==" || op === "=:=" ? equal : !equal;
        const record = { k: 0, x };
        for (const guard of [
          [op, "$1", { const: c }],
          [op, { const: c }, "$1"],
        ]) {
          const ms = compileMatchSpec([[{ x: "$1" }, [guard], [true]]], table);
          assert.equal(ms.run(record) === true, expected);
        }
        // In a head, '_' and '$...' strings are not literals, and objects are map patterns.
        const literal = typeof c === "string" ? c !== "_" && !c.startsWith("$") : !isPlainObject(c);
        if (literal) {
          const head = compileMatchSpec([[{ x: c }, [], [true]]], table);
          assert.equal(head.run(record) === true, equal);
          assert.equal(compilePattern({ x: c }, table).test(record), equal);
        }
      }),
      { numRuns: 3000 },
    );
  });
});
