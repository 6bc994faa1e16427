// literal(v): a user's string "_", "$1" or "$_" as data, matched exactly in patterns, heads,
// guards and bodies, and locked as a key by transactions.

import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { literal, Mneme, type Table } from "../../src/index.js";
import { compileMatchSpec, compilePattern, NO_MATCH } from "../../src/query/index.js";

interface User {
  readonly id: number;
  readonly name: string;
  readonly tags: readonly string[];
}

const NAMES = ["_", "$1", "$_", "$$", "x", "'$_'"] as const;

describe("literal(v)", () => {
  let db: Mneme;
  let users: Table<User, "id">;
  before(async () => {
    db = await Mneme.open();
    users = await db.createTable<User, "id">("users", {
      attributes: ["id", "name", "tags"],
      index: ["name"],
    });
    for (const [i, name] of NAMES.entries()) db.dirtyWrite(users, { id: i, name, tags: [name] });
  });
  after(() => db.close());

  const ids = (rs: readonly { readonly id: number }[]) => rs.map((r) => r.id).sort();

  it("a user's string as it is in a pattern matches everything; literal matches it exactly", () => {
    assert.deepEqual(ids(db.dirtyMatchObject(users, { name: "_" })), [0, 1, 2, 3, 4, 5]);
    assert.deepEqual(ids(db.dirtyMatchObject(users, { name: "$1" })), [0, 1, 2, 3, 4, 5]);
    NAMES.forEach((name, i) => {
      assert.deepEqual(ids(db.dirtyMatchObject(users, { name: literal(name) })), [i], name);
      assert.deepEqual(ids(db.dirtyMatchObject(users, { tags: [literal(name)] })), [i], name);
      assert.deepEqual(ids(db.dirtyMatchObject(users, { tags: literal([name]) })), [i], name);
    });
  });

  it("in a select head, a guard and a body", () => {
    NAMES.forEach((name, i) => {
      const head = db.dirtySelect(users, [[{ id: "$1", name: literal(name) }, [], ["$1"]]]);
      assert.deepEqual(head, [i], name);
      const guard = db.dirtySelect(users, [
        [{ id: "$1", name: "$2" }, [["==", "$2", literal(name)]], ["$1"]],
      ]);
      assert.deepEqual(guard, [i], name);
    });
    assert.deepEqual(db.dirtySelect(users, [[{ id: 4 }, [], [literal("$_")]]]), ["$_"]);
    assert.deepEqual(db.dirtySelect(users, [[{ id: 4 }, [], [literal(["$1", "_"])]]]), [
      ["$1", "_"],
    ]);
  });

  it("indexMatchObject uses the literal's value for the index", () => {
    NAMES.forEach((name, i) => {
      assert.deepEqual(
        ids(db.dirtyIndexMatchObject(users, { name: literal(name) }, "name")),
        [i],
        name,
      );
    });
  });

  it("a literal key in a transaction's matchObject locks and finds that record", async () => {
    const keyed = await db.createTable<{ k: string; v: number }, "k">("keyed", {
      attributes: ["k", "v"],
    });
    for (const [v, k] of NAMES.entries()) db.dirtyWrite(keyed, { k, v });
    for (const [v, k] of NAMES.entries()) {
      const found = await db.transaction((tx) => tx.matchObject(keyed, { k: literal(k) }));
      assert.deepEqual(found, [{ k, v }], k);
      const held = await db.transaction(async (tx) => {
        await tx.matchObject(keyed, { k: literal(k) });
        return db.systemInfo("held_locks");
      });
      assert.deepEqual(
        held.filter((l) => l.space === "keyed").map((l) => [l.item, l.mode]),
        [[k, "read"]],
        k,
      );
    }
  });

  it("a literal value must be a term", () => {
    assert.throws(
      () => db.dirtyMatchObject(users, { name: literal(new Date(0) as never) }),
      /pattern at \.name\.literal: an instance of Date is not a term \(store and compare date\.getTime\(\)/,
    );
  });
});

describe("literal(v) property", () => {
  const table = { name: "p", attributes: ["k", "v"] };
  const value = fc.oneof(
    fc.constantFrom("_", "$1", "$2", "$_", "$$", "$0", "'$_'"),
    fc.string(),
    fc.integer(),
    fc.array(fc.constantFrom("_", "$1", "a"), { maxLength: 3 }),
  );
  it("literal(v) matches exactly the records whose field equals v", () => {
    fc.assert(
      fc.property(value, fc.array(value, { maxLength: 8 }), (v, vs) => {
        const records = vs.map((x, k) => ({ k, v: x }));
        const pattern = compilePattern({ v: literal(v) }, table);
        const spec = compileMatchSpec([[{ k: "$1", v: literal(v) }, [], ["$1"]]], table);
        const expected = records
          .filter((r) => JSON.stringify(r.v) === JSON.stringify(v))
          .map((r) => r.k);
        assert.deepEqual(
          records.filter((r) => pattern.test(r)).map((r) => r.k),
          expected,
        );
        assert.deepEqual(
          records.map((r) => spec.run(r)).filter((x) => x !== NO_MATCH),
          expected,
        );
      }),
    );
  });
});
