// Checkpoints, backup, restore and traverse_backup through the database API.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import fc from "fast-check";
import {
  AlreadyExistsError,
  BadArgError,
  BadTypeError,
  CorruptFileError,
  FileNotFoundError,
  fileBackupModule,
  MemoryBackupModule,
  Mneme,
  type MnemeError,
  NoExistsError,
  type RecordItem,
} from "../../src/index.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-backup-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

type Row = { k: number; v: number };
const all = (db: Mneme, t: string) =>
  (db.dirtySelect(t, [[{}, [], ["$_"]]]) as Row[]).map((r) => JSON.stringify(r)).sort();

async function withTables(types: readonly ("set" | "bag" | "ordered_set")[]): Promise<Mneme> {
  const db = await Mneme.open();
  for (const type of types) {
    await db.createTable(type, { attributes: ["k", "v"], type, index: ["v"] });
    for (let i = 0; i < 20; i++) db.dirtyWrite(type, { k: i % 10, v: i });
  }
  return db;
}

describe("checkpoints", () => {
  it("activate, list, deactivate; a deleted table ends its checkpoints", async () => {
    const db = await withTables(["set", "bag"]);
    assert.deepEqual(db.activateCheckpoint({ name: "c1", max: ["set"] }), {
      name: "c1",
      nodes: [db.node],
    });
    assert.throws(() => db.activateCheckpoint({ name: "c1", max: ["set"] }), AlreadyExistsError);
    assert.throws(() => db.activateCheckpoint({ max: ["nope"] }), NoExistsError);
    const c2 = db.activateCheckpoint({ max: ["bag"], min: ["set"] });
    assert.deepEqual(db.systemInfo("checkpoints"), ["c1", c2.name]);
    assert.deepEqual(db.tableInfo("bag", "checkpoints"), [c2.name]);
    db.deactivateCheckpoint("c1");
    assert.throws(() => db.deactivateCheckpoint("c1"), NoExistsError);
    await db.deleteTable("bag");
    assert.deepEqual(db.systemInfo("checkpoints"), []);
  });

  it("property: a checkpoint's backup is the state at activation, whatever is written after", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(15), fc.integer()), { maxLength: 30 }),
        fc.array(fc.tuple(fc.boolean(), fc.nat(15), fc.integer()), { maxLength: 30 }),
        async (before, after) => {
          const db = await Mneme.open();
          await db.createTable("t", { attributes: ["k", "v"] });
          for (const [k, v] of before) db.dirtyWrite("t", { k, v });
          const expected = all(db, "t");
          const { name } = db.activateCheckpoint({ max: ["t"] });
          const mod = new MemoryBackupModule();
          // Writes interleave with the backup being taken.
          const backup = db.backupCheckpoint(name, "b", mod);
          for (const [del, k, v] of after) {
            await db.transaction(async (tx) => (del ? tx.delete("t", k) : tx.write("t", { k, v })));
          }
          await backup;
          const other = await Mneme.open();
          await other.createTable("t", { attributes: ["k", "v"] });
          await other.restore("b", { module: mod });
          assert.deepEqual(all(other, "t"), expected);
        },
      ),
      { numRuns: 40 },
    );
  });

  it("property: the same for a disc_copies table kept as its snapshot file, dumped meanwhile", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat(15), fc.integer()), { maxLength: 30 }),
        fc.array(fc.tuple(fc.boolean(), fc.nat(15), fc.integer()), { maxLength: 30 }),
        async (before, after) => {
          const ddir = path.join(dir, `p${run++}`);
          await Mneme.createSchema({ dir: ddir });
          const db = await Mneme.open({ dir: ddir });
          await db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
          for (const [k, v] of before) db.dirtyWrite("t", { k, v });
          await db.dumpLog(); // the table now holds exactly its snapshot
          const expected = all(db, "t");
          const { name } = db.activateCheckpoint({ max: ["t"] });
          const file = path.join(ddir, "cp.BUP");
          const backup = db.backupCheckpoint(name, file);
          for (const [del, k, v] of after) {
            await db.transaction(async (tx) => (del ? tx.delete("t", k) : tx.write("t", { k, v })));
          }
          await db.dumpLog(); // a new snapshot replaces the one the checkpoint holds
          await backup;
          await db.restore(file);
          assert.deepEqual(all(db, "t"), expected);
          await db.close();
        },
      ),
      { numRuns: 15 },
    );
  });

  it("ramOverridesDump: ram_copies tables from RAM (default), or as dumpTables left them", async () => {
    const ddir = path.join(dir, "ram");
    await Mneme.createSchema({ dir: ddir });
    const db = await Mneme.open({ dir: ddir });
    await db.createTable("r", { attributes: ["k", "v"] });
    await db.createTable("s", { attributes: ["k", "v"] });
    db.dirtyWrite("r", { k: 1, v: 1 });
    db.dirtyWrite("s", { k: 1, v: 1 });
    await db.dumpTables(["r"]);
    db.dirtyWrite("r", { k: 2, v: 2 });
    db.dirtyWrite("s", { k: 2, v: 2 });
    const backupOf = async (ramOverridesDump: boolean | string[] | undefined) => {
      const { name } = db.activateCheckpoint({ max: ["r", "s"], ramOverridesDump });
      const mod = new MemoryBackupModule();
      await db.backupCheckpoint(name, "b", mod);
      db.deactivateCheckpoint(name);
      const seen = await db.traverseBackup(
        "b",
        mod,
        undefined,
        "read_only",
        (item, acc: string[]) => {
          const r = item as RecordItem;
          return [[], r.record === undefined ? acc : [...acc, `${r.table}${r.record.k}`]];
        },
        [],
      );
      return seen.sort();
    };
    const ram = ["r1", "r2", "s1", "s2"];
    assert.deepEqual(await backupOf(undefined), ram);
    assert.deepEqual(await backupOf(true), ram);
    // Mnesia's default: the dumped state ("r" as dumpTables wrote it; "s" was never dumped).
    assert.deepEqual(await backupOf(false), ["r1"]);
    assert.deepEqual(await backupOf(["s"]), ["r1", "s1", "s2"]);
    assert.throws(
      () => db.activateCheckpoint({ max: ["r"], ramOverridesDump: "r" as never }),
      BadArgError,
    );
    await db.close();
  });
});

describe("restore modes", () => {
  const STORAGES = [
    ["ramCopies", "ram_copies"],
    ["discCopies", "disc_copies"],
    ["discOnlyCopies", "disc_only_copies"],
  ] as const;
  for (const [option, storage] of STORAGES) {
    for (const type of ["set", "bag", "ordered_set"] as const) {
      it(`${storage} ${type}: clear, keep, skip and recreate, also across a restart`, async () => {
        const ddir = path.join(dir, "db");
        const open = async () =>
          storage === "ram_copies" ? Mneme.open() : Mneme.open({ dir: ddir });
        if (storage !== "ram_copies") await Mneme.createSchema({ dir: ddir });
        let db = await open();
        await db.createTable(type, {
          attributes: ["k", "v"],
          type,
          index: ["v"],
          [option]: [db.node],
        });
        for (let i = 0; i < 20; i++) db.dirtyWrite(type, { k: i % 10, v: i });
        const file = path.join(dir, "b.BUP");
        await db.backup(file);
        const saved = all(db, type);
        db.dirtyWrite(type, { k: 100, v: 1 });
        // keep_tables adds the backup's records to what is there.
        assert.deepEqual(await db.restore(file, { defaultOp: "keep_tables" }), [type]);
        assert.deepEqual(
          all(db, type),
          [...new Set([...saved, JSON.stringify({ k: 100, v: 1 })])].sort(),
        );
        // clear_tables (the default) makes the table exactly the backup.
        assert.deepEqual(await db.restore(file), [type]);
        assert.deepEqual(all(db, type), saved);
        assert.equal(db.dirtyIndexRead(type, 19, "v").length, 1);
        // skip_tables leaves it alone.
        db.dirtyWrite(type, { k: 200, v: 2 });
        assert.deepEqual(await db.restore(file, { skipTables: [type] }), []);
        assert.equal(db.dirtyRead(type, 200).length, 1);
        // recreate_tables brings the table back even after it was deleted.
        await db.deleteTable(type);
        assert.deepEqual(await db.restore(file, { recreateTables: [type] }), [type]);
        assert.deepEqual(all(db, type), saved);
        assert.equal(db.tableInfo(type, "type"), type);
        assert.equal(db.tableInfo(type, "storage_type"), storage);
        if (storage !== "ram_copies") {
          await db.close();
          db = await open();
          assert.deepEqual(all(db, type), saved);
          assert.equal(db.dirtyIndexRead(type, 19, "v").length, 1);
        }
        await db.close();
      });
    }
  }

  it("a missing table without recreate: no_exists, and nothing changes", async () => {
    const db = await withTables(["set", "bag"]);
    const file = path.join(dir, "b.BUP");
    await db.backup(file);
    await db.deleteTable("bag");
    db.dirtyWrite("set", { k: 99, v: 99 });
    await assert.rejects(db.restore(file), NoExistsError);
    assert.equal(db.dirtyRead("set", 99).length, 1, "the set table was not cleared");
  });

  it("other attributes: bad_type", async () => {
    const db = await withTables(["set"]);
    const file = path.join(dir, "b.BUP");
    await db.backup(file);
    await db.deleteTable("set");
    await db.createTable("set", { attributes: ["k", "w"] });
    await assert.rejects(db.restore(file), BadTypeError);
  });

  it("a truncated or altered backup file is rejected and nothing changes", async () => {
    const db = await withTables(["set"]);
    const file = path.join(dir, "b.BUP");
    await db.backup(file);
    const saved = all(db, "set");
    db.dirtyWrite("set", { k: 50, v: 50 });
    const bytes = fs.readFileSync(file);
    fs.writeFileSync(file, bytes.subarray(0, bytes.length - 5));
    await assert.rejects(db.restore(file), CorruptFileError);
    bytes[30] = bytes[30]! ^ 1;
    fs.writeFileSync(file, bytes);
    await assert.rejects(db.restore(file), CorruptFileError);
    assert.deepEqual(all(db, "set"), [...saved, JSON.stringify({ k: 50, v: 50 })].sort());
  });

  it("disc tables: backup of disc_copies and disc_only_copies, restored after a restart", async () => {
    const ddir = path.join(dir, "db");
    await Mneme.createSchema({ dir: ddir });
    let db = await Mneme.open({ dir: ddir });
    await db.createTable("dc", { attributes: ["k", "v"], discCopies: [db.node] });
    await db.createTable("do", { attributes: ["k", "v"], discOnlyCopies: [db.node] });
    for (let i = 0; i < 30; i++) {
      db.dirtyWrite("dc", { k: i, v: i });
      db.dirtyWrite("do", { k: i, v: -i });
    }
    const file = path.join(dir, "disc.BUP");
    await db.backup(file);
    await db.clearTable("dc");
    await db.deleteTable("do");
    assert.deepEqual((await db.restore(file, { recreateTables: ["do"] })).sort(), ["dc", "do"]);
    await db.close();
    db = await Mneme.open({ dir: ddir });
    assert.equal(db.tableInfo("dc", "size"), 30);
    assert.equal(db.tableInfo("do", "size"), 30);
    assert.equal(db.tableInfo("do", "storage_type"), "disc_only_copies");
    assert.deepEqual(db.dirtyRead("do", 7), [{ k: 7, v: -7 }]);
    await db.close();
  });
});

describe("restore: recreating with another storage type", () => {
  it("a table recreated as ram_copies or disc_copies where the other was (disc schema)", async () => {
    const ddir = path.join(dir, "db");
    await Mneme.createSchema({ dir: ddir });
    let db = await Mneme.open({ dir: ddir });
    await db.createTable("a", { attributes: ["k", "v"], discCopies: [db.node] });
    await db.createTable("r", { attributes: ["k", "v"], ramCopies: [db.node] });
    for (let i = 0; i < 10; i++) {
      db.dirtyWrite("a", { k: i, v: i });
      db.dirtyWrite("r", { k: i, v: i });
    }
    const file = path.join(dir, "b.BUP");
    await db.backup(file);
    await db.deleteTable("a");
    await db.deleteTable("r");
    await db.createTable("a", { attributes: ["k", "v"], ramCopies: [db.node] });
    await db.createTable("r", { attributes: ["k", "v"], discCopies: [db.node] });
    assert.deepEqual(await db.restore(file, { defaultOp: "recreate_tables" }), ["a", "r"]);
    assert.equal(db.tableInfo("a", "storage_type"), "disc_copies");
    assert.equal(db.tableInfo("r", "storage_type"), "ram_copies");
    assert.equal(db.tableInfo("a", "size"), 10);
    assert.equal(db.tableInfo("r", "size"), 10);
    await db.close();
    db = await Mneme.open({ dir: ddir });
    assert.equal(db.tableInfo("a", "storage_type"), "disc_copies");
    assert.equal(db.tableInfo("a", "size"), 10, "the restored disc_copies table was logged");
    assert.equal(db.tableInfo("r", "size"), 0, "a ram_copies table starts empty");
    await db.close();
  });

  it("a backup's definition that createTable refuses: badarg naming why, and nothing changes", async () => {
    const db = await withTables(["set"]);
    const file = path.join(dir, "b.BUP");
    const bad = path.join(dir, "bad.BUP");
    await db.backup(file);
    await db.traverseBackup(
      file,
      fileBackupModule,
      bad,
      fileBackupModule,
      (item, acc) => {
        const x = item as { schema?: string; definition?: object };
        return [[x.schema ? { ...x, definition: { ...x.definition, type: "heap" } } : item], acc];
      },
      0,
    );
    db.dirtyWrite("set", { k: 99, v: 99 });
    await assert.rejects(db.restore(bad, { recreateTables: ["set"] }), (e: Error) => {
      assert.ok(e instanceof BadArgError, e.message);
      assert.match(e.message, /type of set must be set, ordered_set or bag, got heap/);
      return true;
    });
    assert.equal(db.dirtyRead("set", 99).length, 1);
    assert.equal(db.tableInfo("set", "type"), "set");
  });
});

describe("admin errors of the backup functions (reasons as Mnesia's)", () => {
  const reason = (r: string, file?: string) => (e: Error) => {
    assert.equal((e as MnemeError).reason, r, e.message);
    if (file !== undefined) assert.ok(e.message.includes(file), e.message);
    return true;
  };

  it("restore, traverseBackup, installFallback: a missing file is enoent, garbage not_a_log_file", async () => {
    const db = await withTables(["set"]);
    const missing = path.join(dir, "nope.BUP");
    const garbage = path.join(dir, "garbage.BUP");
    fs.writeFileSync(garbage, "hello this is garbage");
    const traverse = (f: string) =>
      db.traverseBackup(f, fileBackupModule, null, "read_only", (x, a) => [[x], a], 0);
    const install = (f: string) =>
      Mneme.installFallback(f, { scope: "local", mnesiaDir: path.join(dir, "fb") });
    for (const op of [(f: string) => db.restore(f), traverse, install]) {
      await assert.rejects(op(missing), reason("enoent", missing));
      await assert.rejects(op(missing), FileNotFoundError);
      await assert.rejects(op(garbage), reason("not_a_log_file", garbage));
      await assert.rejects(op(garbage), CorruptFileError);
    }
    assert.equal(db.tableInfo("set", "size"), 10);
  });

  it("backupCheckpoint of an unknown checkpoint: no_exists (Mnesia: {no_exists, Name})", async () => {
    const db = await withTables(["set"]);
    await assert.rejects(db.backupCheckpoint("nocp", path.join(dir, "c.BUP")), NoExistsError);
    await assert.rejects(db.backupCheckpoint("nocp", path.join(dir, "c.BUP")), reason("no_exists"));
    assert.equal(fs.existsSync(path.join(dir, "c.BUP")), false);
  });

  it("activateCheckpoint naming a missing table: no_exists (a documented difference)", async () => {
    const db = await withTables(["set"]);
    for (const args of [{ max: ["nosuch"] }, { min: ["nosuch"] }, { max: ["set", "nosuch"] }]) {
      assert.throws(() => db.activateCheckpoint(args), reason("no_exists", "nosuch"));
    }
    assert.deepEqual(db.systemInfo("checkpoints"), []);
  });
});

describe("traverseBackup", () => {
  it("counts items read-only, and rewrites a backup through fn", async () => {
    const db = await withTables(["set"]);
    const mod = new MemoryBackupModule();
    await db.backup("b", mod);
    const count = await db.traverseBackup(
      "b",
      mod,
      undefined,
      "read_only",
      (_i, n: number) => [[], n + 1],
      0,
    );
    assert.equal(count, 1 + 10);
    // Keep the schema item and the records with an even key.
    await db.traverseBackup(
      "b",
      mod,
      "even",
      mod,
      (item, n: number) => {
        const r = item as RecordItem;
        return [r.record === undefined || (r.record as Row).k % 2 === 0 ? [item] : [], n];
      },
      0,
    );
    await db.restore("even", { module: mod });
    assert.deepEqual(
      (db.dirtyAllKeys("set") as number[]).sort((a, b) => a - b),
      [0, 2, 4, 6, 8],
    );
  });
});

describe("text files through the database", () => {
  it("dumpToTextfile then loadTextfile into another database", async () => {
    const db = await withTables(["bag"]);
    const file = path.join(dir, "dump.txt");
    await db.dumpToTextfile(file);
    const other = await Mneme.open();
    assert.deepEqual(await other.loadTextfile(file), ["bag"]);
    assert.deepEqual(all(other, "bag"), all(db, "bag"));
  });
});
