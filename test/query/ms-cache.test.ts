import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { compileMatchSpec, compilePattern } from "../../src/query/index.js";
import { CompileCache, stableText } from "../../src/query/ms-cache.js";
import { PERSON } from "./helpers.js";

const spec = () => [
  [{ name: "$1", age: "$2" }, [[">", "$2", 30n]], ["$1", { const: new Uint8Array([1]) }]],
];

describe("compiled spec cache", () => {
  test("the same spec object gives the same compiled object", () => {
    const s = spec();
    assert.equal(compileMatchSpec(s, PERSON), compileMatchSpec(s, PERSON));
  });

  test("an equal spec built afresh gives the same compiled object", () => {
    assert.equal(compileMatchSpec(spec(), PERSON), compileMatchSpec(spec(), PERSON));
    assert.equal(
      compileMatchSpec(JSON.parse(JSON.stringify([["_", [], ["$_"]]])), PERSON),
      compileMatchSpec([["_", [], ["$_"]]], PERSON),
    );
  });

  test("different tables or different specs compile separately", () => {
    const s = spec();
    const other = { name: "other", attributes: PERSON.attributes };
    assert.notEqual(compileMatchSpec(s, PERSON), compileMatchSpec(s, other));
    assert.notEqual(
      compileMatchSpec(s, PERSON),
      compileMatchSpec(s, { ...PERSON, attributes: ["name", "age", "sex", "salary"] }),
    );
    assert.notEqual(
      compileMatchSpec([["_", [], [1]]], PERSON),
      compileMatchSpec([["_", [], [1n]]], PERSON),
    );
    assert.notEqual(
      compileMatchSpec([["_", [], [1]]], PERSON),
      compileMatchSpec([["_", [], ["1"]]], PERSON),
    );
  });

  test("patterns are cached too", () => {
    assert.equal(compilePattern({ sex: "male" }, PERSON), compilePattern({ sex: "male" }, PERSON));
    assert.equal(compilePattern("_", PERSON), compilePattern("_", PERSON));
  });

  test("equal constants are told apart as by stableText: -0 is not 0, NaN is NaN", () => {
    const body = (c: unknown) => [["_", [], [{ const: c }]]];
    const zero = compileMatchSpec(body(0), PERSON);
    const minusZero = compileMatchSpec(body(-0), PERSON);
    assert.notEqual(zero, minusZero);
    assert.ok(Object.is(minusZero.run({}), -0));
    assert.ok(Object.is(zero.run({}), 0));
    assert.equal(compileMatchSpec(body(Number.NaN), PERSON), compileMatchSpec(body(0 / 0), PERSON));
    assert.equal(
      compileMatchSpec(body([1, "a"]), PERSON),
      compileMatchSpec(body([1, "a"]), PERSON),
    );
    assert.notEqual(
      compileMatchSpec(body([1, "a"]), PERSON),
      compileMatchSpec(body([1, "b"]), PERSON),
    );
    assert.notEqual(compileMatchSpec(body("ab"), PERSON), compileMatchSpec(body("ac"), PERSON));
    assert.notEqual(
      compileMatchSpec(body(2n ** 64n), PERSON),
      compileMatchSpec(body(2n ** 64n + 1n), PERSON),
    );
  });

  test("a spec that failed to compile fails again", () => {
    const bad = [[{ nope: 1 }, [], ["$_"]]];
    assert.throws(() => compileMatchSpec(bad, PERSON), /unknown attribute 'nope'/);
    assert.throws(() => compileMatchSpec(bad, PERSON), /unknown attribute 'nope'/);
  });
});

describe("stableText", () => {
  test("distinguishes terms that plain JSON would confuse", () => {
    const distinct: unknown[] = [
      1,
      1n,
      "1",
      "1n",
      Number.NaN,
      null,
      Number.POSITIVE_INFINITY,
      -0,
      undefined,
      "u",
      [undefined],
      [null],
      new Uint8Array([1]),
      [1],
      { a: 1 },
      { a: undefined },
      {},
    ];
    const texts = distinct.map(stableText);
    assert.equal(new Set(texts).size, distinct.length, JSON.stringify(texts));
  });

  test("is undefined for values with no faithful text", () => {
    const cyclic: unknown[] = [];
    cyclic.push(cyclic);
    assert.equal(stableText(cyclic), undefined);
    assert.equal(stableText([new Date(0)]), undefined);
    assert.equal(stableText({ f: () => 1 }), undefined);
    assert.equal(stableText(new Map()), undefined);
  });
});

describe("CompileCache", () => {
  test("keeps at most `limit` texts, dropping the least recently used", () => {
    const cache = new CompileCache<number>(2);
    const table = { name: "t", attributes: ["a", "b"] };
    let builds = 0;
    const get = (x: string) => cache.get(x, table, () => ++builds);
    get("a");
    get("b");
    get("a"); // a is now the most recent
    get("c"); // evicts b
    assert.equal(cache.size, 2);
    assert.equal(builds, 3);
    get("a");
    assert.equal(builds, 3);
    get("b");
    assert.equal(builds, 4);
  });

  test("with probation, an input enters the cache when it comes back", () => {
    const cache = new CompileCache<number>(2, 1);
    const table = { name: "t", attributes: ["a", "b"] };
    let builds = 0;
    const get = (x: string) => cache.get(x, table, () => ++builds);
    assert.equal(get("a"), 1);
    assert.equal(cache.size, 0);
    assert.equal(get("a"), 1);
    assert.equal(cache.size, 1);
    assert.equal(get("b"), 2);
    assert.equal(get("c"), 3); // pushes b out of probation
    assert.equal(get("b"), 4);
    assert.equal(get("a"), 1);
    assert.equal(builds, 4);
  });
});
