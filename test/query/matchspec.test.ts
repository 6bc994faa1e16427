import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileMatchSpec, NO_MATCH } from "../../src/query/index.js";
import { PERSON, people, select } from "./helpers.js";

describe("match specs: heads, variables and results", () => {
  test("the Mnesia manual's example: names of all males older than 30", () => {
    const spec = [[{ name: "$1", sex: "male", age: "$2" }, [[">", "$2", 30]], ["$1"]]];
    assert.deepEqual(select(spec, people), ["bob", "dan"]);
  });

  test("run returns NO_MATCH for a record that is not selected", () => {
    const ms = compileMatchSpec([[{ sex: "male" }, [], ["$_"]]], PERSON);
    assert.equal(ms.run(people[0]), NO_MATCH);
    assert.equal(ms.run(people[1]), people[1]);
  });

  test("'_' as head, and attributes left out, match anything", () => {
    assert.deepEqual(select([["_", [], ["$_"]]], people), people);
    assert.deepEqual(select([[{}, [], ["$_"]]], people), people);
    assert.deepEqual(select([[{ name: "_", age: "_" }, [], ["$_"]]], people), people);
  });

  test("'$_' is the record itself", () => {
    const [first] = select([[{ name: "ann" }, [], ["$_"]]], people);
    assert.equal(first, people[0]);
  });

  test("'$$' lists the head's variables in increasing number order, '$0' included", () => {
    const spec = [[{ name: "$3", sex: "$1", age: "$0", salary: "$10" }, [], ["$$"]]];
    assert.deepEqual(select(spec, [people[0]]), [[31, "female", "ann", 10]]);
    // Gaps in the numbering are skipped; '$$' of a head without variables is [].
    assert.deepEqual(select([[{ name: "$7", age: "$2" }, [], ["$$"]]], [people[0]]), [[31, "ann"]]);
    assert.deepEqual(select([[{ name: "ann" }, [], ["$$"]]], people), [[]]);
  });

  test("a variable used twice must match equal values (termEquals: 1 == 1n)", () => {
    const table = { name: "pair", attributes: ["k", "a", "b"] };
    const spec = [[{ k: "$1", a: "$2", b: "$2" }, [], ["$1"]]];
    const records = [
      { k: 1, a: "x", b: "x" },
      { k: 2, a: "x", b: "y" },
      { k: 3, a: [1, { z: 2 }], b: [1, { z: 2 }] },
      { k: 4, a: 1, b: 1n },
      { k: 5, a: 1, b: "1" },
    ];
    assert.deepEqual(select(spec, records, table), [1, 3, 4]);
  });

  test("literals are compared with termEquals", () => {
    const table = { name: "lit", attributes: ["k", "v"] };
    const records = [
      { k: 1, v: 2 },
      { k: 2, v: 2n },
      { k: 3, v: "2" },
      { k: 4, v: new Uint8Array([1, 2]) },
      { k: 5, v: null },
      { k: 6, v: false },
      { k: 7, v: -0 },
    ];
    const keysWhere = (v: unknown) => select([[{ k: "$1", v }, [], ["$1"]]], records, table);
    assert.deepEqual(keysWhere(2), [1, 2]);
    assert.deepEqual(keysWhere(2n), [1, 2]);
    assert.deepEqual(keysWhere("2"), [3]);
    assert.deepEqual(keysWhere(new Uint8Array([1, 2])), [4]);
    assert.deepEqual(keysWhere(null), [5]);
    assert.deepEqual(keysWhere(false), [6]);
    assert.deepEqual(keysWhere(0), [7]);
  });

  test("the first matching clause gives the result", () => {
    const spec = [
      [{ name: "$1", age: "$2" }, [[">", "$2", 40]], [["old", "$1"]]],
      [{ name: "$1", sex: "male" }, [], [["male", "$1"]]],
      [{ name: "$1" }, [], [["other", "$1"]]],
    ];
    assert.deepEqual(select(spec, people), [
      ["other", "ann"],
      ["old", "bob"],
      ["male", "cid"],
      ["male", "dan"],
    ]);
  });

  test("a failing guard skips to the next clause", () => {
    const spec = [
      [{ name: "$1" }, [[">", ["+", "$1", 1], 0]], ["first"]],
      [{ name: "$1" }, [], ["second"]],
    ];
    assert.deepEqual(select(spec, [people[0]]), ["second"]);
  });

  test("all guards must hold", () => {
    const spec = [
      [
        { name: "$1", age: "$2" },
        [
          [">", "$2", 30],
          ["<", "$2", 40],
        ],
        ["$1"],
      ],
    ];
    assert.deepEqual(select(spec, people), ["ann", "dan"]);
    assert.deepEqual(select([[{ name: "$1" }, [true, false], ["$1"]]], people), []);
    assert.deepEqual(select([[{ name: "$1" }, [true], ["$1"]]], people).length, 4);
  });

  test("a guard that is a non-boolean value does not hold", () => {
    assert.deepEqual(select([[{ name: "$1" }, ["$1"], ["$1"]]], people), []);
    assert.deepEqual(select([[{ name: "$1" }, [1], ["$1"]]], people), []);
  });

  test("a failing body gives 'EXIT'; the last body expression is the result", () => {
    assert.deepEqual(select([[{ name: "$1" }, [], [["+", "$1", 1]]]], [people[0]]), ["EXIT"]);
    assert.deepEqual(select([[{ name: "$1" }, [], ["$1", ["+", "$1", 1], "x"]]], [people[0]]), [
      "EXIT",
    ]);
    assert.deepEqual(
      select(
        [
          [
            { age: "$1" },
            [],
            [
              ["+", "$1", 1],
              ["*", "$1", 2],
            ],
          ],
        ],
        [people[0]],
      ),
      [62],
    );
  });

  test("an empty spec selects nothing", () => {
    assert.deepEqual(select([], people), []);
  });
});

describe("match specs: nested patterns", () => {
  const table = { name: "nested", attributes: ["k", "v"] };
  const records = [
    { k: 1, v: [1, 2] },
    { k: 2, v: [1, 2, 3] },
    { k: 3, v: [1, [2, 3]] },
    { k: 4, v: { a: 1, b: 2 } },
    { k: 5, v: { a: 1 } },
    { k: 6, v: { b: 2 } },
    { k: 7, v: "12" },
    { k: 8, v: [{ a: 1, c: [5] }, 1] },
    { k: 9, v: [] },
    { k: 10, v: {} },
  ];
  const keysWhere = (v: unknown) => select([[{ k: "$99", v }, [], ["$99"]]], records, table);

  test("arrays match elementwise and need the same length", () => {
    assert.deepEqual(keysWhere([1, 2]), [1]);
    assert.deepEqual(keysWhere([1, "_"]), [1, 3]);
    assert.deepEqual(keysWhere(["_", "_", "_"]), [2]);
    assert.deepEqual(keysWhere([1, [2, "_"]]), [3]);
    assert.deepEqual(keysWhere([]), [9]);
  });

  test("objects are Erlang map patterns: listed keys must exist and match, others are fine", () => {
    assert.deepEqual(keysWhere({ a: 1 }), [4, 5]);
    assert.deepEqual(keysWhere({ a: "_" }), [4, 5]);
    assert.deepEqual(keysWhere({ a: 1, b: "_" }), [4]);
    assert.deepEqual(keysWhere({ b: 2 }), [4, 6]);
    assert.deepEqual(keysWhere({}), [4, 5, 6, 10]);
    assert.deepEqual(keysWhere([{ a: 1 }, 1]), [8]);
    assert.deepEqual(keysWhere([{ c: [5] }, "_"]), [8]);
  });

  test("variables bind inside nested patterns, and repeat across them", () => {
    const spec = [[{ k: "$1", v: ["$2", "$3"] }, [], [["$1", "$3", "$2"]]]];
    assert.deepEqual(select(spec, records, table), [
      [1, 2, 1],
      [3, [2, 3], 1],
      [8, 1, { a: 1, c: [5] }],
    ]);
    const same = [[{ k: "$1", v: [{ a: "$2" }, "$2"] }, [], ["$1"]]];
    assert.deepEqual(select(same, records, table), [8]);
    const inObject = [[{ k: "$1", v: { a: "$2", b: "$3" } }, [], ["$$"]]];
    assert.deepEqual(select(inObject, records, table), [[4, 1, 2]]);
  });
});

describe("match specs: expressions", () => {
  const bob = people[1];

  test("{const: X} is X, not evaluated", () => {
    const spec = [
      [
        { name: "bob" },
        [],
        [{ const: ["$1", [">", 1, 2], { const: 1 }, "$_", "$$"] }, { const: "$1" }],
      ],
    ];
    assert.deepEqual(select(spec, [bob]), ["$1"]);
    const first = [[{ name: "bob" }, [], [{ const: ["$1", [">", 1, 2], { const: 1 }, "$$"] }]]];
    assert.deepEqual(select(first, [bob]), [["$1", [">", 1, 2], { const: 1 }, "$$"]]);
  });

  test("constructed arrays and objects evaluate their elements", () => {
    const spec = [
      [
        { name: "$1", age: "$2" },
        [],
        [{ who: "$1", next: ["+", "$2", 1], tags: ["$1", ["*", "$2", 2], { const: "$3" }] }],
      ],
    ];
    assert.deepEqual(select(spec, [bob]), [{ who: "bob", next: 43, tags: ["bob", 84, "$3"] }]);
  });

  test("an array whose first element is a function name is written with {const: name}", () => {
    const spec = [[{ age: "$1" }, [], [[{ const: "abs" }, "$1"]]]];
    assert.deepEqual(select(spec, [bob]), [["abs", 42]]);
    assert.deepEqual(select([[{ age: "$1" }, [], [["abs", ["-", "$1"]]]]], [bob]), [42]);
  });

  test("an array whose first element is not a function name is a constructed array", () => {
    const spec = [[{ name: "$1", age: "$2" }, [], [["person", "$1", ["tuple", "$2"], []]]]];
    assert.deepEqual(select(spec, [bob]), [["person", "bob", ["tuple", 42], []]]);
  });

  test("a constructed object may have a __proto__ key", () => {
    const body = JSON.parse('{"__proto__": "$1", "x": 1}') as unknown;
    const [result] = select([[{ name: "$1" }, [], [body]]], [bob]) as [object];
    assert.equal(Object.getPrototypeOf(result), Object.prototype);
    assert.deepEqual(Object.entries(result), [
      ["__proto__", "bob"],
      ["x", 1],
    ]);
  });

  test("primitives are constants; strings not starting with '$' are themselves", () => {
    const spec = [[{ name: "bob" }, [], [[1, 2n, "s", true, false, null, "_"]]]];
    assert.deepEqual(select(spec, [bob]), [[1, 2n, "s", true, false, null, "_"]]);
  });

  test("constants are copied: mutating the spec afterwards changes nothing", () => {
    const constant = { list: [1, 2] };
    const spec = [[{ name: "bob" }, [], [{ const: constant }]]];
    const ms = compileMatchSpec(spec, PERSON);
    constant.list.push(3);
    assert.deepEqual(ms.run(bob), { list: [1, 2] });
    assert.ok(Object.isFrozen(ms.run(bob)));
  });

  test("run never throws, even for a record whose attribute getter throws", () => {
    const ms = compileMatchSpec([[{ name: "$1" }, [], ["$1"]]], PERSON);
    const bad = Object.defineProperty({}, "name", {
      get() {
        throw new Error("boom");
      },
    });
    assert.equal(ms.run(bad), NO_MATCH);
  });
});

describe("match specs: '$_' as Mnesia's record tuple", () => {
  // What erl gives for table t with attributes [k, v] holding {t,1,a}, {t,2,b}, {t,3,1}.
  async function table(recordName?: string) {
    const { Mneme } = await import("../../src/index.js");
    const db = await Mneme.open();
    const t = await db.createTable<{ k: number; v: unknown }, "k">("t", {
      attributes: ["k", "v"],
      type: "ordered_set",
      ...(recordName === undefined ? {} : { recordName }),
    });
    for (const [k, v] of [
      [1, "a"],
      [2, "b"],
      [3, 1],
    ] as const) {
      db.dirtyWrite(t, { k, v });
    }
    const sel = (spec: unknown): unknown[] => db.dirtySelect(t, spec as never);
    return { db, t, sel };
  }

  test("element(N, '$_') in guards and bodies: N = 1 the record name, then the attributes", async () => {
    const { db, t, sel } = await table();
    const guard = [[{}, [["==", ["element", 2, "$_"], 2]], ["$_"]]];
    assert.deepEqual(sel(guard), [{ k: 2, v: "b" }]);
    const body = [
      [
        {},
        [],
        [
          [
            ["element", 1, "$_"],
            ["element", 2, "$_"],
            ["element", 3, "$_"],
          ],
        ],
      ],
    ];
    assert.deepEqual(sel(body), [
      ["t", 1, "a"],
      ["t", 2, "b"],
      ["t", 3, 1],
    ]);
    const inTxn = [[{}, [["==", ["element", 3, "$_"], 1]], [["element", 2, "$_"]]]];
    assert.deepEqual(await db.transaction(async (tx) => tx.select(t, inTxn as never)), [3]);
    assert.deepEqual(sel(inTxn), [3]);
  });

  test("element(N, '$_') beyond the tuple: the guard fails, the body gives EXIT", async () => {
    const { sel } = await table();
    for (const n of [0, 4, 1.5]) {
      assert.deepEqual(sel([[{}, [["==", ["element", n, "$_"], 1]], ["$_"]]]), []);
      assert.deepEqual(sel([[{}, [], [["element", n, "$_"]]]]), ["EXIT", "EXIT", "EXIT"]);
    }
  });

  test("element with a computed index, size and is_tuple see the record tuple", async () => {
    const { sel } = await table();
    assert.deepEqual(sel([[{ k: "$1" }, [], [["element", "$1", "$_"]]]]), ["t", 2, 1]);
    assert.deepEqual(sel([[{}, [], [["size", "$_"]]]]), [3, 3, 3]);
    assert.equal(sel([[{}, [["is_tuple", "$_"]], ["$_"]]]).length, 3);
  });

  test("element(1, '$_') is the table's record name", async () => {
    const { sel } = await table("rec");
    assert.deepEqual(sel([[{ k: 1 }, [], [["element", 1, "$_"]]]]), ["rec"]);
    assert.deepEqual(sel([[{ k: 1 }, [], [["size", "$_"]]]]), [3]);
  });
});
