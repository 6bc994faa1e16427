import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { BadArgError } from "../../src/errors.js";
import { compileMatchSpec } from "../../src/query/index.js";
import { PERSON } from "./helpers.js";

const head = { name: "$1" };
const guard = (g: unknown) => [[head, [g], ["$_"]]];
const body = (b: unknown) => [[head, [], [b]]];

const cyclic: unknown[] = [">", "$1"];
cyclic.push(cyclic);

let deep: unknown = "$1";
for (let i = 0; i < 100_000; i++) deep = [deep];

/** [spec, a pattern the error message must match]. */
const malformed: readonly (readonly [unknown, RegExp])[] = [
  [
    "select all",
    /^badarg: match spec: expected an array of clauses \[head, guards, body\], got "select all"$/,
  ],
  [{}, /^badarg: match spec: expected an array of clauses/],
  [["x"], /^badarg: match spec clause 0: expected a clause \[head, guards, body\], got "x"$/],
  [[[head, []]], /match spec clause 0: expected a clause \[head, guards, body\]/],
  [[[head, [], ["$_"], 1]], /match spec clause 0: expected a clause/],
  [[[head, [], ["$_"]], "x"], /match spec clause 1: expected a clause/],
  [[[head, "g", ["$_"]]], /match spec clause 0: guards must be an array of expressions, got "g"/],
  [[[head, [], "$_"]], /match spec clause 0: body must be an array of expressions, got "\$_"/],
  [[[head, [], []]], /match spec clause 0: body must not be empty/],
  [
    [[{ nope: 1 }, [], ["$_"]]],
    /match spec clause 0, head: unknown attribute 'nope' \(attributes of person: name, sex, age, salary\)/,
  ],
  [
    [[["$1"], [], ["$_"]]],
    /match spec clause 0, head: expected '_' or a plain object over the attributes/,
  ],
  [[["$1", [], ["$_"]]], /match spec clause 0, head: expected '_' or a plain object/],
  [[[null, [], ["$_"]]], /match spec clause 0, head: expected '_' or a plain object/],
  [[[{ name: "$x" }, [], ["$_"]]], /clause 0, head at \.name: bad variable name '\$x'/],
  [[[{ name: "$01" }, [], ["$_"]]], /bad variable name '\$01'/],
  [[[{ name: "$100000001" }, [], ["$_"]]], /bad variable name '\$100000001'/],
  [[[{ name: "$-1" }, [], ["$_"]]], /bad variable name '\$-1'/],
  [[[{ name: "$" }, [], ["$_"]]], /bad variable name '\$'/],
  [[[{ name: "$_" }, [], ["$_"]]], /head at \.name: '\$_' is only allowed in guards and bodies/],
  [[[{ name: [1, { a: "$$" }] }, [], ["$_"]]], /head at \.name\[1\]\.a: '\$\$' is only allowed/],
  [[[{ name: [1, "$y"] }, [], ["$_"]]], /head at \.name\[1\]: bad variable name '\$y'/],
  [[[{ name: new Date(0) }, [], ["$_"]]], /head at \.name: an instance of Date is not a term/],
  [[[{ name: undefined }, [], ["$_"]]], /head at \.name: undefined is not a term/],
  [[[{ name: [1, undefined, 2] }, [], ["$_"]]], /head at \.name\[1\]: undefined is not a term/],
  [
    [[head, [true, ["foo", 1, 2]], ["$_"]]],
    /^badarg: match spec clause 0, guard 1: unknown function 'foo\/2'$/,
  ],
  [guard([">", "$1"]), /guard 0: function '>\/1' does not exist: '>' takes 2 arguments/],
  [
    guard(["not", true, false]),
    /guard 0: function 'not\/2' does not exist: 'not' takes 1 argument$/,
  ],
  [guard(["andalso"]), /function 'andalso\/0' does not exist: 'andalso' takes at least 1 argument/],
  [body(["-"]), /body 0: function '-\/0' does not exist: '-' takes 1 or 2 arguments/],
  [body(["element", 1, ["abs"]]), /body 0 at \[2\]: function 'abs\/0' does not exist/],
  [guard([">", "$3", 1]), /guard 0 at \[1\]: unbound variable '\$3' \(the head binds \$1\)/],
  [[["_", [], ["$2"]]], /body 0: unbound variable '\$2' \(the head binds no variables\)/],
  [
    [[{ name: "$1", age: "$0" }, [], [["+", "$0", ["-", "$7"]]]]],
    /body 0 at \[2\]\[1\]: unbound variable '\$7' \(the head binds \$0, \$1\)/,
  ],
  [body("$x"), /body 0: bad variable name '\$x' .*write \{const: '\$x'\} for the string/],
  [body([1, "$01"]), /body 0 at \[1\]: bad variable name '\$01'/],
  [body(undefined), /body 0: undefined is not a term/],
  [body({ const: () => 1 }), /body 0 at \.const: a function is not a term/],
  [body({ const: [1, Symbol("s")] }), /body 0 at \.const: a symbol is not a term/],
  [body({ a: new Map() }), /body 0 at \.a: an instance of Map is not a term/],
  [guard({ a: 1 }), /guard 0: expected a boolean expression, got a constructed object/],
  [guard([1, 2]), /guard 0: expected a boolean expression, got a constructed array/],
  [guard(["$1", 2]), /guard 0: expected a boolean expression, got a constructed array/],
  [guard([]), /guard 0: expected a boolean expression, got a constructed array/],
  [guard(["not", ["foo"]]), /guard 0 at \[1\]: unknown function 'foo\/0'/],
  [
    guard(["andalso", true, ["orelse", ["bar", 1]]]),
    /guard 0 at \[2\]\[1\]: unknown function 'bar\/1'/,
  ],
  [body(["not", ["foo", 1]]), /body 0 at \[1\]: unknown function 'foo\/1'/],
  [
    body(["xor", true, { a: 1 }]),
    /body 0 at \[2\]: expected a boolean expression, got a constructed object/,
  ],
  [guard(cyclic), /guard 0 at \[2\]: the expression contains a cycle/],
  [body(deep), /match spec: nested too deeply/],
];

describe("malformed match specs are badarg", () => {
  for (const [spec, message] of malformed) {
    test(String(message), () => {
      assert.throws(
        () => compileMatchSpec(spec, PERSON),
        (e: unknown) => {
          assert.ok(e instanceof BadArgError, `not a BadArgError: ${String(e)}`);
          assert.equal(e.reason, "badarg");
          assert.equal(e.table, "person");
          assert.match(e.message, message);
          return true;
        },
      );
    });
  }

  test("the offending value travels on the error", () => {
    assert.throws(
      () => compileMatchSpec(guard([">", "$9", 1]), PERSON),
      (e: unknown) => e instanceof BadArgError && e.value === "$9",
    );
  });

  test("a cyclic head is badarg", () => {
    const v: unknown[] = [1];
    v.push(v);
    assert.throws(
      () => compileMatchSpec([[{ name: v }, [], ["$_"]]], PERSON),
      /head at \.name\[1\]: the pattern contains a cycle/,
    );
  });
});
