import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileMatchSpec, NO_MATCH } from "../../src/query/index.js";
import { evalBody, holds, VW } from "./helpers.js";

type Case = readonly [expr: unknown, v: unknown, w: unknown, expected: unknown];

/** Each case: the body expr over '$1' = v and '$2' = w, and its exact result ("EXIT" = failure). */
function check(cases: readonly Case[]): void {
  for (const [expr, v, w, expected] of cases) {
    assert.deepEqual(
      evalBody(expr, v, w),
      expected,
      `${JSON.stringify(expr)} on ${String(v)}, ${String(w)}`,
    );
  }
}

const bin = (...bytes: number[]) => new Uint8Array(bytes);

describe("comparisons", () => {
  test("term order: numbers < false < null < true < arrays < objects < strings < binaries", () => {
    const ordered: unknown[] = [
      -1,
      2n,
      3.5,
      false,
      null,
      true,
      [9],
      [1, 2],
      {},
      { a: 1 },
      "",
      "a",
      bin(0),
    ];
    for (let i = 0; i < ordered.length; i++) {
      for (let j = 0; j < ordered.length; j++) {
        const [a, b] = [ordered[i], ordered[j]];
        assert.equal(evalBody(["<", "$1", "$2"], a, b), i < j);
        assert.equal(evalBody(["=<", "$1", "$2"], a, b), i <= j);
        assert.equal(evalBody([">", "$1", "$2"], a, b), i > j);
        assert.equal(evalBody([">=", "$1", "$2"], a, b), i >= j);
        for (const op of ["==", "=:="]) assert.equal(evalBody([op, "$1", "$2"], a, b), i === j);
        for (const op of ["/=", "=/="]) assert.equal(evalBody([op, "$1", "$2"], a, b), i !== j);
      }
    }
  });

  test("numbers compare by value across number and bigint; structures by content", () => {
    check([
      [["==", "$1", "$2"], 1, 1n, true],
      [["=:=", "$1", "$2"], 1, 1n, true],
      [["=/=", "$1", "$2"], 1, 1n, false],
      [["<", "$1", "$2"], 1, 2n, true],
      [["==", "$1", "$2"], [1, { a: "x" }], [1n, { a: "x" }], true],
      [["==", "$1", "$2"], { a: 1, b: 2 }, { b: 2, a: 1 }, true],
      [["<", "$1", "$2"], [1, 2], [1, 3], true],
      [["<", "$1", "$2"], "Z", "a", true],
      [["==", "$1", "$2"], Number.NaN, Number.NaN, true],
    ]);
  });
});

describe("boolean functions", () => {
  test("andalso / orelse short-circuit; every evaluated argument must be a boolean", () => {
    check([
      [["andalso", "$1", "$2"], true, true, true],
      [["andalso", "$1", "$2"], true, false, false],
      [["andalso", "$1", "$2"], false, "x", false],
      [["andalso", "$1", "$2"], true, "x", "EXIT"],
      [["andalso", "$1", "$2"], "x", true, "EXIT"],
      [["andalso", "$1", ["+", "$2", 1]], false, "x", false],
      [["andalso", "$1", "$1", "$2"], true, true, true],
      [["andalso", "$1"], true, 0, true],
      [["orelse", "$1", "$2"], false, false, false],
      [["orelse", "$1", "$2"], false, true, true],
      [["orelse", "$1", "$2"], true, "x", true],
      [["orelse", "$1", "$2"], false, "x", "EXIT"],
      [["orelse", "$1", "$1", "$2"], false, true, true],
    ]);
  });

  test("and / or evaluate every argument", () => {
    check([
      [["and", "$1", "$2"], true, true, true],
      [["and", "$1", "$2"], true, false, false],
      [["and", "$1", "$2"], false, "x", "EXIT"],
      [["and", "$1", "$1", "$2"], true, true, true],
      [["and", "$1"], "x", 0, "EXIT"],
      [["or", "$1", "$2"], false, false, false],
      [["or", "$1", "$2"], false, true, true],
      [["or", "$1", "$2"], true, "x", "EXIT"],
      [["or", "$1", "$2", "$2"], false, false, false],
    ]);
  });

  test("xor and not", () => {
    check([
      [["xor", "$1", "$2"], true, false, true],
      [["xor", "$1", "$2"], true, true, false],
      [["xor", "$1", "$2"], false, false, false],
      [["xor", "$1", "$2"], 1, true, "EXIT"],
      [["not", "$1"], true, 0, false],
      [["not", "$1"], false, 0, true],
      [["not", "$1"], null, 0, "EXIT"],
    ]);
  });

  test("in a guard, a failing argument makes the guard fail", () => {
    assert.equal(holds(["orelse", "$1", "$2"], false, "x"), false);
    assert.equal(holds(["orelse", ["not", "$1"], "$2"], false, "x"), true);
    assert.equal(holds(["not", ["andalso", "$1", "$2"]], true, 1), false);
  });
});

describe("arithmetic", () => {
  test("+ - * on numbers or bigints, never mixed", () => {
    check([
      [["+", "$1", "$2"], 1, 2, 3],
      [["+", "$1", "$2"], 0.5, 0.25, 0.75],
      [["+", "$1", "$2"], 1n, 2n, 3n],
      [["+", "$1", "$2"], 1, 2n, "EXIT"],
      [["+", "$1", "$2"], "a", 1, "EXIT"],
      [["+", "$1", "$2"], 1e308, 1e308, "EXIT"],
      [["-", "$1", "$2"], 5, 7, -2],
      [["-", "$1", "$2"], 5n, 7n, -2n],
      [["-", "$1", "$2"], 5n, 7, "EXIT"],
      [["-", "$1"], 5, 0, -5],
      [["-", "$1"], -3n, 0, 3n],
      [["-", "$1"], "a", 0, "EXIT"],
      [["*", "$1", "$2"], 3, 4, 12],
      [["*", "$1", "$2"], 2n ** 40n, 2n ** 40n, 2n ** 80n],
      [["*", "$1", "$2"], 3, null, "EXIT"],
    ]);
  });

  test("'/' always divides to a number; div and rem truncate toward zero", () => {
    check([
      [["/", "$1", "$2"], 7, 2, 3.5],
      [["/", "$1", "$2"], 7n, 2n, 3.5],
      [["/", "$1", "$2"], 1, 0, "EXIT"],
      [["/", "$1", "$2"], 1n, 0n, "EXIT"],
      [["/", "$1", "$2"], 1, 2n, "EXIT"],
      [["div", "$1", "$2"], 7, 2, 3],
      [["div", "$1", "$2"], -7, 2, -3],
      [["div", "$1", "$2"], 7, -2, -3],
      [["div", "$1", "$2"], 7n, -2n, -3n],
      [["div", "$1", "$2"], 2 ** 53 - 1, 3, 3002399751580330],
      [["div", "$1", "$2"], 7.5, 2, "EXIT"],
      [["div", "$1", "$2"], 7, 0, "EXIT"],
      [["div", "$1", "$2"], 7n, 0n, "EXIT"],
      [["rem", "$1", "$2"], 7, 3, 1],
      [["rem", "$1", "$2"], -7, 3, -1],
      [["rem", "$1", "$2"], 7, -3, 1],
      [["rem", "$1", "$2"], -7n, 3n, -1n],
      [["rem", "$1", "$2"], 7, 0, "EXIT"],
      [["rem", "$1", "$2"], 7, 0.5, "EXIT"],
      [["rem", "$1", "$2"], 7n, 3, "EXIT"],
    ]);
  });

  test("abs round trunc float", () => {
    check([
      [["abs", "$1"], -3, 0, 3],
      [["abs", "$1"], -3.5, 0, 3.5],
      [["abs", "$1"], -3n, 0, 3n],
      [["abs", "$1"], "x", 0, "EXIT"],
      [["round", "$1"], 2.5, 0, 3],
      [["round", "$1"], -2.5, 0, -3],
      [["round", "$1"], 2.4, 0, 2],
      [["round", "$1"], -0.4, 0, 0],
      [["round", "$1"], 5n, 0, 5n],
      [["round", "$1"], Number.POSITIVE_INFINITY, 0, "EXIT"],
      [["round", "$1"], "x", 0, "EXIT"],
      [["trunc", "$1"], 2.7, 0, 2],
      [["trunc", "$1"], -2.7, 0, -2],
      [["trunc", "$1"], 5n, 0, 5n],
      [["trunc", "$1"], null, 0, "EXIT"],
      [["float", "$1"], 3n, 0, 3],
      [["float", "$1"], 2.5, 0, 2.5],
      [["float", "$1"], 10n ** 400n, 0, "EXIT"],
      [["float", "$1"], "1", 0, "EXIT"],
    ]);
  });

  test("min and max take any terms by term order, the first when equal", () => {
    check([
      [["min", "$1", "$2"], 1, 2, 1],
      [["min", "$1", "$2"], 1, "a", 1],
      [["max", "$1", "$2"], 1, "a", "a"],
      [["max", "$1", "$2"], [1], null, [1]],
      [["min", "$1", "$2"], 1, 1n, 1],
      [["min", "$1", "$2"], 1n, 1, 1n],
      [["max", "$1", "$2"], 2n, 2, 2n],
    ]);
  });
});

describe("bitwise functions", () => {
  test("band bor bxor bnot on integers of one kind", () => {
    check([
      [["band", "$1", "$2"], 12, 10, 8],
      [["band", "$1", "$2"], 12n, 10n, 8n],
      [["band", "$1", "$2"], 2 ** 40 + 5, 2 ** 40 + 3, 2 ** 40 + 1],
      [["band", "$1", "$2"], -1, 255, 255],
      [["bor", "$1", "$2"], 12, 10, 14],
      [["bor", "$1", "$2"], 2n ** 70n, 1n, 2n ** 70n + 1n],
      [["bxor", "$1", "$2"], 12, 10, 6],
      [["bxor", "$1", "$2"], 12n, 10n, 6n],
      [["band", "$1", "$2"], 1.5, 1, "EXIT"],
      [["band", "$1", "$2"], 1, 1n, "EXIT"],
      [["bor", "$1", "$2"], 2 ** 60, 1, "EXIT"],
      [["bnot", "$1"], 5, 0, -6],
      [["bnot", "$1"], 5n, 0, -6n],
      [["bnot", "$1"], 0.5, 0, "EXIT"],
    ]);
  });

  test("bsl and bsr shift arithmetically; the count may be a number or a bigint", () => {
    check([
      [["bsl", "$1", "$2"], 1, 10, 1024],
      [["bsl", "$1", "$2"], 1n, 100, 2n ** 100n],
      [["bsl", "$1", "$2"], 1n, 100n, 2n ** 100n],
      [["bsl", "$1", "$2"], 3, 1n, 6],
      [["bsl", "$1", "$2"], 1, 60, "EXIT"],
      [["bsl", "$1", "$2"], 1, -1, 0],
      [["bsl", "$1", "$2"], 1n, 2 ** 21, "EXIT"],
      [["bsl", "$1", "$2"], 1, 0.5, "EXIT"],
      [["bsr", "$1", "$2"], -16, 2, -4],
      [["bsr", "$1", "$2"], -1, 5, -1],
      [["bsr", "$1", "$2"], 16n, 2n, 4n],
      [["bsr", "$1", "$2"], 1, -3, 8],
      [["bsr", "$1", "$2"], "x", 1, "EXIT"],
    ]);
  });
});

describe("type tests", () => {
  const values: Record<string, unknown> = {
    int: 1,
    float: 1.5,
    big: 2n,
    str: "s",
    bool: true,
    nul: null,
    arr: [1],
    obj: { a: 1 },
    bin: bin(1),
  };
  const expected: Record<string, readonly string[]> = {
    is_integer: ["int", "big"],
    is_float: ["float"],
    is_number: ["int", "float", "big"],
    is_atom: ["bool", "nul"],
    is_boolean: ["bool"],
    is_list: ["arr"],
    is_tuple: ["arr"],
    is_map: ["obj"],
    is_binary: ["bin"],
    is_string: ["str"],
    is_null: ["nul"],
  };

  for (const [fn, yes] of Object.entries(expected)) {
    test(`${fn} holds exactly for ${yes.join(", ")}`, () => {
      for (const [name, value] of Object.entries(values)) {
        assert.equal(evalBody([fn, "$1"], value), yes.includes(name), `${fn}(${name})`);
        assert.equal(holds([fn, "$1"], value), yes.includes(name), `guard ${fn}(${name})`);
      }
    });
  }

  test("a null-prototype object is a map", () => {
    assert.equal(evalBody(["is_map", "$1"], Object.create(null)), true);
  });
});

describe("term functions", () => {
  test("element hd tl length size", () => {
    check([
      [["element", "$1", "$2"], 2, ["a", "b", "c"], "b"],
      [["element", "$1", "$2"], 2n, ["a", "b", "c"], "b"],
      [["element", "$1", "$2"], 3, ["a", "b", "c"], "c"],
      [["element", "$1", "$2"], 0, ["a", "b", "c"], "EXIT"],
      [["element", "$1", "$2"], 4, ["a", "b", "c"], "EXIT"],
      [["element", "$1", "$2"], 1.5, ["a", "b", "c"], "EXIT"],
      [["element", "$1", "$2"], 1, "abc", "EXIT"],
      [["hd", "$1"], [1, 2], 0, 1],
      [["hd", "$1"], [], 0, "EXIT"],
      [["hd", "$1"], "ab", 0, "EXIT"],
      [["tl", "$1"], [1, 2, 3], 0, [2, 3]],
      [["tl", "$1"], [1], 0, []],
      [["tl", "$1"], [], 0, "EXIT"],
      [["length", "$1"], [1, 2], 0, 2],
      [["length", "$1"], [], 0, 0],
      [["length", "$1"], "ab", 0, "EXIT"],
      [["size", "$1"], [1, 2, 3], 0, 3],
      [["size", "$1"], bin(1, 2, 3, 4), 0, 4],
      [["size", "$1"], "abc", 0, "EXIT"],
      [["size", "$1"], { a: 1 }, 0, "EXIT"],
    ]);
  });

  test("map_get is_map_key map_size byte_size", () => {
    check([
      [["map_get", "$1", "$2"], "a", { a: 1 }, 1],
      [["map_get", "$1", "$2"], "b", { a: 1 }, "EXIT"],
      [["map_get", "$1", "$2"], "toString", { a: 1 }, "EXIT"],
      [["map_get", "$1", "$2"], 0, ["x"], "EXIT"],
      [["map_get", "$1", "$2"], 1, { 1: "one" }, "EXIT"],
      [["is_map_key", "$1", "$2"], "a", { a: 1 }, true],
      [["is_map_key", "$1", "$2"], "b", { a: 1 }, false],
      [["is_map_key", "$1", "$2"], 1, { a: 1 }, false],
      [["is_map_key", "$1", "$2"], "a", 5, "EXIT"],
      [["map_size", "$1"], { a: 1, b: 2 }, 0, 2],
      [["map_size", "$1"], {}, 0, 0],
      [["map_size", "$1"], [], 0, "EXIT"],
      [["byte_size", "$1"], bin(1, 2, 3), 0, 3],
      [["byte_size", "$1"], "abc", 0, "EXIT"],
    ]);
  });

  test("functions compose", () => {
    const spec = [
      [
        { k: "$1", v: "$2" },
        [["andalso", ["is_list", "$2"], [">", ["length", "$2"], 1]]],
        [["+", ["element", 2, "$2"], ["hd", ["tl", "$2"]]]],
      ],
    ];
    const ms = compileMatchSpec(spec, VW);
    assert.equal(ms.run({ k: 1, v: [1, 20, 3] }), 40);
    assert.equal(ms.run({ k: 1, v: [1] }), NO_MATCH);
    assert.equal(ms.run({ k: 1, v: "xy" }), NO_MATCH);
    assert.equal(ms.run({ k: 1, v: [1, "x"] }), "EXIT");
  });
});
