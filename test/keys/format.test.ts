import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatKey } from "../../src/keys/index.js";

describe("formatKey", () => {
  it("renders each type readably", () => {
    assert.equal(formatKey("bob"), '"bob"');
    assert.equal(formatKey("\uD800"), '"\\ud800"');
    assert.equal(formatKey(42), "42");
    assert.equal(formatKey(-0), "-0");
    assert.equal(formatKey(Number.NaN), "NaN");
    assert.equal(formatKey(-Infinity), "-Infinity");
    assert.equal(formatKey(7n), "7n");
    assert.equal(formatKey(true), "true");
    assert.equal(formatKey(null), "null");
    assert.equal(formatKey(undefined), "undefined");
    assert.equal(formatKey([1, "a"]), '[1,"a"]');
    assert.equal(formatKey([[], [null]]), "[[],[null]]");
    assert.equal(formatKey(new Uint8Array(3)), "<bytes 3>");
    assert.equal(formatKey({ a: 1, b: [2n] }), '{"a":1,"b":[2n]}');
    assert.equal(formatKey(new Date(0)), "<Date>");
    assert.equal(formatKey(Object.create(null)), "{}");
    assert.equal(
      formatKey(function named() {}),
      "<function named>",
    );
    assert.equal(formatKey(Symbol("s")), "Symbol(s)");
    // biome-ignore lint/suspicious/noSparseArray: holes render as undefined
    assert.equal(formatKey([1, , 3]), "[1,undefined,3]");
  });

  it("truncates past 80 characters", () => {
    const long = formatKey("x".repeat(1000));
    assert.equal(long.length, 80);
    assert.ok(long.endsWith("…"));
    assert.ok(long.startsWith('"xxx'));
    const wide = formatKey(Array.from({ length: 10000 }, (_, i) => i));
    assert.equal(wide.length, 80);
    assert.ok(wide.startsWith("[0,1,2,"));
    assert.equal(formatKey("x".repeat(78)).length, 80);
    assert.equal(formatKey("x".repeat(79)).length, 80);
    assert.ok(formatKey("x".repeat(79)).endsWith("…"));
  });

  it("never throws", () => {
    const cyclic: unknown[] = [1];
    cyclic.push(cyclic);
    assert.equal(formatKey(cyclic), "[1,<cycle>]");
    const hostile = new Proxy(
      {},
      {
        getPrototypeOf() {
          throw new Error("no");
        },
      },
    );
    assert.equal(formatKey(hostile), "<unprintable>");
    assert.equal(formatKey({ toString: null, valueOf: null }), '{"toString":null,"valueOf":null}');
  });
});
