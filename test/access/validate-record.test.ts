// Records that change while they are stored (issue #8, 1.5): getters, Proxies and throwing getters.
// Each attribute is read once; what is stored is exactly what was checked, or the write fails with
// bad_type naming the table, the key and the attribute.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { BadTypeError, Mneme, TransactionAborted } from "../../src/index.js";
import { throwsMneme } from "../db/helpers.js";

interface KV {
  k: unknown;
  v: unknown;
}

async function table() {
  const db = await Mneme.open();
  const t = await db.createTable<KV, "k">("t", { attributes: ["k", "v"] });
  return { db, t };
}

/** A getter that returns `first`, then `later` on every further read, counting the reads. */
function fickle(obj: object, name: string, first: unknown, later: unknown): { reads: number } {
  const count = { reads: 0 };
  Object.defineProperty(obj, name, {
    enumerable: true,
    configurable: true,
    get: () => (count.reads++ === 0 ? first : later),
  });
  return count;
}

describe("a record that changes while it is being stored", () => {
  it("a key getter is read once: the stored key is the one checked, and the table reopens", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-fickle-"));
    try {
      await Mneme.createSchema({ dir });
      let db = await Mneme.open({ dir });
      const t = await db.createTable<KV, "k">("t", {
        attributes: ["k", "v"],
        discCopies: [db.node],
      });
      const rec = { k: undefined, v: 1 } as KV;
      const count = fickle(rec, "k", "a", { not: "a key" });
      const ordered = { k: undefined, v: 1 } as KV;
      const c2 = fickle(ordered, "k", "b", { not: "a key" });
      db.dirtyWrite(t, ordered);
      await db.transaction(async (tx) => tx.write(t, rec));
      assert.equal(c2.reads, 1);
      assert.equal(count.reads, 1);
      assert.deepEqual(db.dirtyRead(t, "b"), [{ k: "b", v: 1 }]);
      await db.close();
      db = await Mneme.open({ dir });
      assert.deepEqual(db.dirtyAllKeys(t).sort(), ["a", "b"]);
      await db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a value getter that turns bad after the first read stores the first value", async () => {
    const { db, t } = await table();
    const rec = { k: 1, v: undefined } as KV;
    const count = fickle(rec, "v", "fine", () => "a function");
    db.dirtyWrite(t, rec);
    assert.equal(count.reads, 1);
    assert.deepEqual(db.dirtyRead(t, 1), [{ k: 1, v: "fine" }]);
  });

  it("a value getter that is bad on the first read is refused, naming table, key and attribute", async () => {
    const { db, t } = await table();
    const rec = { k: 1, v: undefined } as KV;
    fickle(rec, "v", Symbol("bad"), "fine");
    throwsMneme(() => db.dirtyWrite(t, rec), BadTypeError, "bad_type", {
      table: "t",
      key: 1,
      message: /record of t with key 1: attribute 'v': symbols are not valid values/,
    });
    assert.deepEqual(db.dirtyRead(t, 1), []);
  });

  it("getters deeper inside a value are read once, and the copy is what is checked", async () => {
    const { db, t } = await table();
    const inner = { a: 0 };
    const count = fickle(inner, "a", [1, 2], new Date(0));
    const arr = [inner];
    db.dirtyWrite(t, { k: 1, v: { list: arr } });
    assert.equal(count.reads, 1);
    const [stored] = db.dirtyRead(t, 1);
    assert.deepEqual(stored, { k: 1, v: { list: [{ a: [1, 2] }] } });
    assert.ok(Object.isFrozen((stored!.v as { list: unknown[] }).list[0]));

    const bad = { a: 0 };
    fickle(bad, "a", new Map(), 1);
    throwsMneme(() => db.dirtyWrite(t, { k: 2, v: [5, { deep: bad }] }), BadTypeError, "bad_type", {
      table: "t",
      key: 2,
      message:
        /record of t with key 2: attribute 'v': array element 1: property "deep": property "a": class instances are not valid values/,
    });
  });

  it("a Proxy record or value is read once per attribute and stored as a plain copy", async () => {
    const { db, t } = await table();
    let reads = 0;
    const rec = new Proxy(
      { k: 1, v: 1 },
      {
        get: (target, name) => {
          if (name === "v") return reads++ === 0 ? "first" : Symbol("later");
          return Reflect.get(target, name);
        },
      },
    );
    db.dirtyWrite(t, rec);
    assert.equal(reads, 1);
    assert.deepEqual(db.dirtyRead(t, 1), [{ k: 1, v: "first" }]);

    let elementReads = 0;
    const list = new Proxy([1, 2], {
      get: (target, name) => {
        if (name === "0") return elementReads++ === 0 ? "x" : () => 0;
        return Reflect.get(target, name);
      },
    });
    db.dirtyWrite(t, { k: 2, v: list });
    assert.equal(elementReads, 1);
    const [stored] = db.dirtyRead(t, 2);
    assert.deepEqual(stored!.v, ["x", 2]);
    assert.ok(!(stored!.v === list));
  });

  it("throwing getters and Proxy traps are bad_type, naming table, key and attribute", async () => {
    const { db, t } = await table();
    const boom = () => {
      throw new Error("boom");
    };
    const rec = { k: 1, v: 0 } as KV;
    Object.defineProperty(rec, "v", { enumerable: true, get: boom });
    throwsMneme(() => db.dirtyWrite(t, rec), BadTypeError, "bad_type", {
      table: "t",
      key: 1,
      message: /record of t with key 1: attribute 'v': Error: boom/,
    });
    const keyRec = { k: 0, v: 1 } as KV;
    Object.defineProperty(keyRec, "k", { enumerable: true, get: boom });
    throwsMneme(() => db.dirtyWrite(t, keyRec), BadTypeError, "bad_type", {
      table: "t",
      message: /record of t: attribute 'k': Error: boom/,
    });
    const deep = { x: 0 };
    Object.defineProperty(deep, "x", { enumerable: true, get: boom });
    throwsMneme(() => db.dirtyWrite(t, { k: 3, v: { deep } }), BadTypeError, "bad_type", {
      table: "t",
      key: 3,
      message: /attribute 'v': property "deep": property "x": reading it threw: Error: boom/,
    });
    const trap = new Proxy({ k: 4, v: 1 }, { ownKeys: boom });
    throwsMneme(() => db.dirtyWrite(t, trap), BadTypeError, "bad_type", {
      table: "t",
      message: /a record of t could not be read: Error: boom/,
    });
    await assert.rejects(
      db.transaction(async (tx) => tx.write(t, rec)),
      (e: unknown) => e instanceof TransactionAborted && e.reason === "bad_type",
    );
    assert.deepEqual(db.dirtyAllKeys(t), []);
  });

  it("cycles are reported, also through getters", async () => {
    const { db, t } = await table();
    const a: Record<string, unknown> = {};
    a.self = a;
    throwsMneme(() => db.dirtyWrite(t, { k: 1, v: a }), BadTypeError, "bad_type", {
      table: "t",
      key: 1,
      message: /attribute 'v': property "self": cyclic reference is not a valid value/,
    });
  });
});
