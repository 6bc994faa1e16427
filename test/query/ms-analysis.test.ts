import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileMatchSpec } from "../../src/query/index.js";
import { PERSON } from "./helpers.js";

const compile = (spec: unknown) => compileMatchSpec(spec, PERSON);
const incl = (value: unknown) => ({ value, inclusive: true });
const excl = (value: unknown) => ({ value, inclusive: false });

describe("boundValue", () => {
  test("a constant in every clause's head, the same in all", () => {
    const one = compile([[{ name: "bob", sex: "male", age: "$1" }, [], ["$_"]]]);
    assert.deepEqual(one.boundValue("name"), { value: "bob" });
    assert.deepEqual(one.boundValue("sex"), { value: "male" });
    const two = compile([
      [{ name: "bob", age: 3 }, [], ["$_"]],
      [{ name: "bob", age: 4 }, [], ["$_"]],
    ]);
    assert.deepEqual(two.boundValue("name"), { value: "bob" });
    assert.equal(two.boundValue("age"), undefined);
  });

  test("equal by termEquals across clauses; structured constants count", () => {
    const ms = compile([
      [{ name: [1, "x"], age: 1 }, [], ["$_"]],
      [{ name: [1, "x"], age: 1n }, [], ["$_"]],
    ]);
    assert.deepEqual(ms.boundValue("name"), { value: [1, "x"] });
    assert.deepEqual(ms.boundValue("age"), { value: 1 });
  });

  test("undefined for '_', variables, left-out attributes, patterns with variables, maps", () => {
    const ms = compile([[{ name: "_", sex: "$1", age: ["$2", 1], salary: { a: 1 } }, [], ["$_"]]]);
    for (const a of PERSON.attributes) assert.equal(ms.boundValue(a), undefined, a);
    assert.equal(compile([["_", [], ["$_"]]]).boundValue("name"), undefined);
    assert.equal(compile([[{ sex: "male" }, [], ["$_"]]]).boundValue("name"), undefined);
  });

  test("undefined when one clause leaves the attribute open, or for an unknown attribute", () => {
    const ms = compile([
      [{ name: "bob" }, [], ["$_"]],
      [{ name: "$1" }, [], ["$_"]],
    ]);
    assert.equal(ms.boundValue("name"), undefined);
    assert.equal(compile([[{ name: "bob" }, [], ["$_"]]]).boundValue("nope"), undefined);
    assert.equal(compile([]).boundValue("name"), undefined);
  });
});

describe("keyRange", () => {
  test("a constant key gives a point", () => {
    assert.deepEqual(compile([[{ name: "bob" }, [], ["$_"]]]).keyRange(), {
      lower: incl("bob"),
      upper: incl("bob"),
    });
  });

  test("comparisons of the key variable with constants, on either side", () => {
    const range = (guards: unknown[]) => compile([[{ name: "$1" }, guards, ["$_"]]]).keyRange();
    assert.deepEqual(range([[">", "$1", "b"]]), { lower: excl("b") });
    assert.deepEqual(range([[">=", "$1", "b"]]), { lower: incl("b") });
    assert.deepEqual(range([["<", "$1", "b"]]), { upper: excl("b") });
    assert.deepEqual(range([["=<", "$1", "b"]]), { upper: incl("b") });
    assert.deepEqual(range([["<", "b", "$1"]]), { lower: excl("b") });
    assert.deepEqual(range([["=<", "b", "$1"]]), { lower: incl("b") });
    assert.deepEqual(range([[">", "b", "$1"]]), { upper: excl("b") });
    assert.deepEqual(range([[">=", "b", "$1"]]), { upper: incl("b") });
    assert.deepEqual(range([["==", "$1", 5]]), { lower: incl(5), upper: incl(5) });
    assert.deepEqual(range([["=:=", 5, "$1"]]), { lower: incl(5), upper: incl(5) });
    assert.deepEqual(range([[">", "$1", { const: [1, "$2"] }]]), { lower: excl([1, "$2"]) });
  });

  test("conjunctions tighten: several guards, andalso, and, nested", () => {
    const range = (guards: unknown[]) => compile([[{ name: "$1" }, guards, ["$_"]]]).keyRange();
    assert.deepEqual(
      range([
        [">", "$1", 1],
        ["<", "$1", 9],
        [">=", "$1", 3],
      ]),
      {
        lower: incl(3),
        upper: excl(9),
      },
    );
    assert.deepEqual(
      range([["andalso", [">=", "$1", 1], ["and", ["<", "$1", 5], ["=<", "$1", 5]]]]),
      {
        lower: incl(1),
        upper: excl(5),
      },
    );
    assert.deepEqual(
      range([
        [">=", "$1", 2],
        [">", "$1", 2],
      ]),
      { lower: excl(2) },
    );
    assert.deepEqual(
      range([
        [">", "$1", 2],
        [">=", "$1", 2],
      ]),
      { lower: excl(2) },
    );
    // An empty range is still a sound answer.
    assert.deepEqual(
      range([
        [">", "$1", 9],
        ["<", "$1", 1],
      ]),
      { lower: excl(9), upper: excl(1) },
    );
  });

  test("other guards are ignored but do not spoil the range", () => {
    const ms = compile([
      [
        { name: "$1", age: "$2" },
        [
          [">", "$2", 30],
          ["<", "$1", "m"],
          ["is_atom", "$1"],
        ],
        ["$_"],
      ],
    ]);
    assert.deepEqual(ms.keyRange(), { upper: excl("m") });
  });

  test("undefined: two clauses, orelse, not, non-constants, other variables, no bounds", () => {
    const undef = (spec: unknown) =>
      assert.equal(compile(spec).keyRange(), undefined, JSON.stringify(spec));
    undef([
      [{ name: "a" }, [], ["$_"]],
      [{ name: "b" }, [], ["$_"]],
    ]);
    undef([[{ name: "$1" }, [["orelse", [">", "$1", 1], ["<", "$1", 0]]], ["$_"]]]);
    undef([[{ name: "$1" }, [["orelse", [">", "$1", 1]]], ["$_"]]]);
    undef([[{ name: "$1" }, [["not", ["<", "$1", 1]]], ["$_"]]]);
    undef([[{ name: "$1", age: "$2" }, [[">", "$1", "$2"]], ["$_"]]]);
    undef([[{ name: "$1" }, [[">", "$1", ["+", 1, 2]]], ["$_"]]]);
    undef([[{ name: "$1" }, [[">", ["+", "$1", 0], 1]], ["$_"]]]);
    undef([[{ name: "$1", age: "$2" }, [[">", "$2", 1]], ["$_"]]]);
    undef([[{ name: "$1" }, [["/=", "$1", 1]], ["$_"]]]);
    undef([[{ name: "$1" }, [], ["$_"]]]);
    undef([[{ sex: "male" }, [], ["$_"]]]);
    undef([["_", [], ["$_"]]]);
    undef([[{ name: ["$1", 2] }, [[">", "$1", 1]], ["$_"]]]);
  });
});

describe("returnsRecords", () => {
  test("true iff every clause's result is '$_'", () => {
    assert.equal(compile([[{ sex: "male" }, [], ["$_"]]]).returnsRecords, true);
    assert.equal(
      compile([[{ name: "$1" }, [["is_atom", "$1"]], ["$1", "$_"]]]).returnsRecords,
      true,
    );
    assert.equal(
      compile([
        [{ sex: "male" }, [], ["$_"]],
        [{ sex: "female" }, [], ["$_"]],
      ]).returnsRecords,
      true,
    );
    assert.equal(
      compile([
        [{ sex: "male" }, [], ["$_"]],
        [{ sex: "female" }, [], ["$$"]],
      ]).returnsRecords,
      false,
    );
    assert.equal(compile([[{ name: "$1" }, [], ["$1"]]]).returnsRecords, false);
    assert.equal(compile([["_", [], [["$_"]]]]).returnsRecords, false);
    // A body expression before '$_' that can fail would make the result 'EXIT'.
    assert.equal(compile([[{ name: "$1" }, [], [["+", "$1", 1], "$_"]]]).returnsRecords, false);
  });
});
