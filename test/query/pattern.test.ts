import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BadArgError } from "../../src/errors.js";
import { compilePattern } from "../../src/query/index.js";
import { PERSON, people } from "./helpers.js";

const names = (pattern: unknown, records: readonly { name: unknown }[] = people) => {
  const p = compilePattern(pattern, PERSON);
  return records.filter((r) => p.test(r)).map((r) => r.name);
};

describe("match_object patterns", () => {
  test("constants, wildcards and left-out attributes", () => {
    assert.deepEqual(names({ sex: "male" }), ["bob", "cid", "dan"]);
    assert.deepEqual(names({ sex: "male", age: 30 }), ["cid"]);
    assert.deepEqual(names({ name: "_", sex: "_" }), ["ann", "bob", "cid", "dan"]);
    assert.deepEqual(names("_"), ["ann", "bob", "cid", "dan"]);
    assert.deepEqual(names({}), ["ann", "bob", "cid", "dan"]);
  });

  test("test returns booleans", () => {
    const p = compilePattern({ sex: "male" }, PERSON);
    assert.equal(p.test(people[0]), false);
    assert.equal(p.test(people[1]), true);
  });

  test("a variable used twice must match equal values", () => {
    const records = [
      { name: "x", sex: "x", age: 1, salary: 1 },
      { name: "y", sex: "z", age: 1, salary: 2 },
      { name: "w", sex: "w", age: 2, salary: 2n },
    ];
    assert.deepEqual(names({ name: "$1", sex: "$1" }, records), ["x", "w"]);
    assert.deepEqual(names({ age: "$1", salary: "$1" }, records), ["x", "w"]);
    assert.deepEqual(names({ name: "$1", salary: "$2" }, records), ["x", "y", "w"]);
  });

  test("nested arrays and map patterns", () => {
    const records = [
      { name: "a", sex: [1, { k: "v", extra: 1 }], age: 0, salary: 0 },
      { name: "b", sex: [1, { k: "w" }], age: 0, salary: 0 },
      { name: "c", sex: [1, { j: "v" }], age: 0, salary: 0 },
      { name: "d", sex: [1, { k: "v" }, 3], age: 0, salary: 0 },
    ];
    assert.deepEqual(names({ sex: [1, { k: "v" }] }, records), ["a"]);
    assert.deepEqual(names({ sex: ["_", { k: "_" }] }, records), ["a", "b"]);
    assert.deepEqual(names({ sex: ["$1", "$2"] }, records), ["a", "b", "c"]);
  });

  test("boundValue", () => {
    const p = compilePattern({ name: "bob", sex: "$1", age: [1, 2] }, PERSON);
    assert.deepEqual(p.boundValue("name"), { value: "bob" });
    assert.deepEqual(p.boundValue("age"), { value: [1, 2] });
    assert.equal(p.boundValue("sex"), undefined);
    assert.equal(p.boundValue("salary"), undefined);
    assert.equal(compilePattern("_", PERSON).boundValue("name"), undefined);
  });

  test("malformed patterns are badarg naming the place", () => {
    const cases: readonly (readonly [unknown, RegExp])[] = [
      [{ nope: 1 }, /^badarg: pattern: unknown attribute 'nope'/],
      [[1], /^badarg: pattern: expected '_' or a plain object/],
      ["$1", /^badarg: pattern: expected '_' or a plain object/],
      [{ name: "$x" }, /^badarg: pattern at \.name: bad variable name '\$x'/],
      [{ name: [{ a: "$_" }] }, /^badarg: pattern at \.name\[0\]\.a: '\$_' is only allowed/],
      [{ name: () => 1 }, /^badarg: pattern at \.name: a function is not a term/],
    ];
    for (const [pattern, message] of cases) {
      assert.throws(
        () => compilePattern(pattern, PERSON),
        (e: unknown) => e instanceof BadArgError && message.test(e.message),
        String(message),
      );
    }
  });
});
