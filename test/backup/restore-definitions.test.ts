// A backup is input: every table definition in it is checked as createTable checks its options
// before anything changes. A bad one is a badarg naming the table and what is wrong, and the
// database is left exactly as it was (also across a restart).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  type BackupModule,
  BadArgError,
  fileBackupModule,
  MemoryBackupModule,
  Mneme,
  type RestoreOp,
} from "../../src/index.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-restore-defs-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

type Def = { readonly [p: string]: unknown };

/** Writes a backup of one table "t" with the definition `def` and one record. */
async function craft(mod: BackupModule, opaque: unknown, name: string, def: unknown) {
  const w = await mod.openWrite(opaque);
  const w2 = await mod.write(w, [{ schema: name, definition: def }]);
  const w3 = await mod.write(w2, [{ table: name, record: { k: 9, v: "from the backup" } }]);
  await mod.commitWrite(w3);
}

/** A real backup's definition of t (disc_copies, attributes k, v, index on v). */
async function goodDefinition(db: Mneme): Promise<Def> {
  const mod = new MemoryBackupModule();
  await db.backup("good", mod);
  let h = await mod.openRead("good");
  for (;;) {
    const r = await mod.read(h);
    assert.ok(r !== undefined);
    h = r.handle;
    for (const item of r.items) {
      const s = item as { schema?: string; definition?: Def };
      if (s.schema === "t") return s.definition!;
    }
  }
}

/** The bad definitions and what the error must say about each. */
const BAD: readonly [string, string, (good: Def) => unknown, RegExp][] = [
  ["storage evil", "t", (g) => ({ ...g, storage: "evil" }), /storage of t must be ram_copies/],
  ["no storage", "t", (g) => ({ ...g, storage: undefined }), /storage of t must be/],
  ["attributes []", "t", (g) => ({ ...g, attributes: [] }), /attributes of t must list/],
  ["no attributes", "t", (g) => ({ ...g, attributes: undefined }), /definition of t has no attr/],
  [
    "attributes twice",
    "t",
    (g) => ({ ...g, attributes: ["k", "k"], index: [] }),
    /attribute 'k' of t is listed twice/,
  ],
  ["index of no attribute", "t", (g) => ({ ...g, index: ["zz"] }), /zz is not an attribute/],
  ["index on the key", "t", (g) => ({ ...g, index: ["k"] }), /key attribute 'k' cannot/],
  ["index not a list", "t", (g) => ({ ...g, index: "v" }), /index of t must be a list/],
  ["table named schema", "schema", (g) => ({ ...g, name: "schema" }), /schema already exists/],
  ["empty name", "", (g) => ({ ...g, name: "" }), /non-empty string/],
  ["loadOrder a string", "t", (g) => ({ ...g, loadOrder: "5" }), /loadOrder of t must be an int/],
  ["accessMode a string", "t", (g) => ({ ...g, accessMode: "rw" }), /accessMode of t must be/],
  ["accessMode a number", "t", (g) => ({ ...g, accessMode: 1 }), /accessMode of t must be/],
  ["type heap", "t", (g) => ({ ...g, type: "heap" }), /type of t must be set/],
  ["majority a string", "t", (g) => ({ ...g, majority: "yes" }), /majority of t must be a bool/],
  ["userProperties", "t", (g) => ({ ...g, userProperties: "x" }), /userProperties of t/],
  ["storageProperties", "t", (g) => ({ ...g, storageProperties: [] }), /storageProperties of t/],
  ["snmp", "t", (g) => ({ ...g, snmp: { key: "float" } }), /snmp of t must be/],
  ["recordName", "t", (g) => ({ ...g, recordName: 3 }), /recordName of t must be/],
  ["another table's name", "t", (g) => ({ ...g, name: "u" }), /names another table \(u\)/],
  ["null", "t", () => null, /definition of t must be an object/],
];

/** What the database holds: its tables, their definitions and records. */
function state(db: Mneme): unknown {
  return db
    .systemInfo("tables")
    .filter((t) => t !== "schema")
    .sort()
    .map((t) => {
      const { size, memory, ...info } = db.tableInfo(t, "all") as unknown as {
        [k: string]: unknown;
      };
      return [t, info, db.dirtySelect(t, [[{}, [], ["$_"]]])];
    });
}

describe("restore checks the backup's table definitions", () => {
  for (const op of ["recreate_tables", "clear_tables", "keep_tables"] as const) {
    it(`${op}: each bad definition is a badarg naming the table; nothing changes`, async () => {
      await Mneme.createSchema({ dir });
      const db = await Mneme.open({ dir });
      await db.createTable("t", { attributes: ["k", "v"], index: ["v"], discCopies: [db.node] });
      await db.createTable("u", { attributes: ["k", "v"] });
      db.dirtyWrite("t", { k: 1, v: "kept" });
      db.dirtyWrite("u", { k: 1, v: "kept" });
      const good = await goodDefinition(db);
      const before = state(db);
      const mod = new MemoryBackupModule();
      for (const [what, name, make, message] of BAD) {
        await craft(mod, what, name, make(good));
        await assert.rejects(
          db.restore(what, { module: mod, defaultOp: op as RestoreOp }),
          (e: unknown) => {
            assert.ok(e instanceof BadArgError, `${what}: ${String(e)}`);
            assert.equal(e.table, name, what);
            assert.match(e.message, /^badarg: restore: the backup's definition of /, what);
            assert.match(e.message, message, what);
            return true;
          },
        );
        assert.deepEqual(state(db), before, what);
      }
      // The good definition restores (the crafting is sound).
      await craft(mod, "fine", "t", good);
      assert.deepEqual(await db.restore("fine", { module: mod, defaultOp: op }), ["t"]);
      await db.close();
    });
  }

  it("through the file module, and across a restart: the database is as it was", async () => {
    await Mneme.createSchema({ dir });
    let db = await Mneme.open({ dir });
    await db.createTable("t", { attributes: ["k", "v"], index: ["v"], discCopies: [db.node] });
    db.dirtyWrite("t", { k: 1, v: "kept" });
    const good = await goodDefinition(db);
    const before = state(db);
    for (const [what, name, make, message] of BAD) {
      const file = path.join(dir, "crafted.BUP");
      await craft(fileBackupModule, file, name, make(good));
      await assert.rejects(db.restore(file, { defaultOp: "recreate_tables" }), (e: unknown) => {
        assert.ok(e instanceof BadArgError, `${what}: ${String(e)}`);
        assert.match(e.message, message, what);
        return true;
      });
    }
    await db.close();
    db = await Mneme.open({ dir });
    assert.deepEqual(state(db), before);
    await db.close();
  });

  it("a restored definition keeps only checked properties", async () => {
    const db = await Mneme.open();
    await db.createTable("t", { attributes: ["k", "v"] });
    const good = await goodDefinition(db);
    const mod = new MemoryBackupModule();
    await craft(mod, "b", "t", { ...good, colour: "red", loadOrder: 7 });
    await db.restore("b", { module: mod, defaultOp: "recreate_tables" });
    assert.equal(db.tableInfo("t", "load_order"), 7);
    assert.deepEqual(db.dirtySelect("t", [[{}, [], ["$_"]]]), [{ k: 9, v: "from the backup" }]);
    await db.close();
  });
});
