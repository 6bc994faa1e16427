import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { freezeRecord, freezeValue } from "../../src/keys/index.js";

describe("freezeValue", () => {
  it("returns primitives as they are", () => {
    for (const v of [1, -0, Number.NaN, 2n, "s", true, null, undefined]) {
      assert.ok(Object.is(freezeValue(v), v));
    }
  });

  it("copies and deep-freezes arrays and plain objects", () => {
    const src = { a: [1, { b: "x" }], c: { d: [] as number[] } };
    const out = freezeValue(src);
    assert.notEqual(out, src);
    assert.deepEqual(out, src);
    assert.ok(Object.isFrozen(out));
    assert.ok(Object.isFrozen(out.a));
    assert.ok(Object.isFrozen(out.a[1]));
    assert.ok(Object.isFrozen(out.c.d));
    assert.equal(Object.isFrozen(src), false);
    src.c.d.push(1);
    assert.deepEqual(out.c.d, []);
  });

  it("copies binaries (which cannot be frozen) into plain Uint8Arrays", () => {
    const buf = Buffer.from([1, 2]);
    const out = freezeValue({ bin: buf });
    assert.notEqual(out.bin, buf);
    assert.equal(Object.getPrototypeOf(out.bin), Uint8Array.prototype);
    buf[0] = 9;
    assert.deepEqual([...out.bin], [1, 2]);
  });

  it("keeps null prototypes and own __proto__ properties", () => {
    const nullProto = Object.create(null) as Record<string, number>;
    nullProto.x = 1;
    assert.equal(Object.getPrototypeOf(freezeValue(nullProto)), null);
    const tricky = JSON.parse('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    const out = freezeValue(tricky);
    assert.equal(Object.getPrototypeOf(out), Object.prototype);
    assert.ok(Object.hasOwn(out, "__proto__"));
    assert.deepEqual(Object.keys(out), ["__proto__"]);
  });

  it("does not copy what it froze already", () => {
    const once = freezeValue([1, [2]]);
    assert.equal(freezeValue(once), once);
    // Frozen by someone else: still copied (its contents may be mutable).
    const foreign = Object.freeze([{ a: 1 }]);
    assert.notEqual(freezeValue(foreign), foreign);
  });
});

describe("freezeRecord", () => {
  it("builds a new frozen record with exactly the attributes, in order", () => {
    const rec = { z: 1, key: "k", extra: "dropped", list: [1] };
    const out = freezeRecord(rec, ["key", "list", "z"]);
    assert.notEqual(out, rec);
    assert.deepEqual(Object.keys(out), ["key", "list", "z"]);
    assert.ok(Object.isFrozen(out));
    assert.ok(Object.isFrozen(out.list));
    assert.notEqual(out.list, rec.list);
    assert.equal(Object.isFrozen(rec), false);
  });

  it("records a missing attribute as undefined", () => {
    const out = freezeRecord({ a: 1 } as { a: number; b?: number }, ["a", "b"]);
    assert.deepEqual(Object.keys(out), ["a", "b"]);
    assert.equal(out.b, undefined);
  });
});
