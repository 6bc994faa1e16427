// transformTable(t, "ignore", newAttributes) leaves the records as they are (Mnesia). As in
// Mnesia, where a pattern is a tuple of the table's new arity, patterns and match spec heads
// written over the new attributes match no record of an older shape; a '_' head matches all, and
// reads return the records as stored. (Checked with erl: mnesia:transform_table(t, ignore,
// [k, v, w]) then dirty_match_object({t,'_','_','_'}) is [], dirty_select with head '_' all.)
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { Mneme } from "../../src/index.js";

type Rec = Record<string, unknown>;

async function transformed() {
  const db = await Mneme.open();
  await db.createTable("t", { attributes: ["k", "v"], index: ["v"] });
  db.dirtyWrite("t", { k: 1, v: "a" });
  db.dirtyWrite("t", { k: 2, v: "b" });
  await db.transformTable("t", "ignore", ["k", "v", "w"]);
  const match = (p: Rec) => db.dirtyMatchObject("t", p as never) as unknown[];
  const select = (spec: unknown) => db.dirtySelect("t", spec as never) as unknown[];
  return { db, match, select };
}

describe('records left in an older shape by transformTable "ignore"', () => {
  it("match no pattern or head over the new attributes; '_' heads and reads see them as stored", async () => {
    const { db, match, select } = await transformed();
    assert.deepEqual(match({}), []);
    assert.deepEqual(match({ k: 1 }), []);
    assert.deepEqual(match({ v: "a" }), []);
    assert.deepEqual(db.dirtyIndexMatchObject("t", { v: "a" } as never, "v"), []);
    assert.deepEqual(select([[{ k: "$1" }, [], ["$_"]]]), []);
    assert.deepEqual(select([[{ w: "$1" }, [], ["$1"]]]), []);
    assert.deepEqual(select([["_", [], ["$_"]]]), [
      { k: 1, v: "a" },
      { k: 2, v: "b" },
    ]);
    assert.deepEqual(db.dirtyRead("t", 1), [{ k: 1, v: "a" }]);
    assert.deepEqual(await db.transaction(async (tx) => tx.matchObject("t", {} as never)), []);
    assert.deepEqual(
      await db.transaction(async (tx) => tx.select("t", [[{ k: 1 }, [], ["$_"]]] as never)),
      [],
    );
  });

  it("records written in the new shape match; a converting transform makes all match again", async () => {
    const { db, match, select } = await transformed();
    db.dirtyWrite("t", { k: 3, v: "c", w: "d" });
    assert.deepEqual(match({}), [{ k: 3, v: "c", w: "d" }]);
    assert.deepEqual(select([[{ k: "$1", w: "$2" }, [], [["$1", "$2"]]]]), [[3, "d"]]);
    await db.transformTable<Rec>("t", (r: Rec) => ({ w: null, ...r }), ["k", "v", "w"]);
    assert.deepEqual((match({}) as Rec[]).map((r) => r.k).sort(), [1, 2, 3]);
  });

  it("an ignore transform that keeps the attributes changes nothing for matching", async () => {
    const db = await Mneme.open();
    await db.createTable("u", { attributes: ["k", "v"] });
    db.dirtyWrite("u", { k: 1, v: "a" });
    await db.transformTable("u", "ignore", ["k", "v"], "renamed");
    assert.deepEqual(db.dirtyMatchObject("u", {} as never), [{ k: 1, v: "a" }]);
    assert.deepEqual(db.dirtySelect("u", [[{}, [], [["element", 1, "$_"]]]] as never), ["renamed"]);
  });

  for (const storage of ["discCopies", "discOnlyCopies"] as const) {
    for (const dump of [false, true]) {
      it(`${storage}: a reopen keeps such records as stored (${dump ? "from a checkpoint" : "from the log"})`, async () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-shapes-"));
        try {
          await Mneme.createSchema({ dir });
          let db = await Mneme.open({ dir });
          await db.createTable("t", { attributes: ["k", "v", "x"], [storage]: [db.node] });
          db.dirtyWrite("t", { k: 1, v: "a", x: 0 });
          await db.transformTable("t", "ignore", ["k", "v"]);
          db.dirtyWrite("t", { k: 2, v: "b" });
          if (dump) await db.dumpLog();
          await db.close();
          db = await Mneme.open({ dir });
          assert.deepEqual(db.dirtyRead("t", 1), [{ k: 1, v: "a", x: 0 }]);
          assert.deepEqual(db.dirtyMatchObject("t", {} as never), [{ k: 2, v: "b" }]);
          await db.close();
        } finally {
          fs.rmSync(dir, { recursive: true, force: true });
        }
      });
    }
  }
});
