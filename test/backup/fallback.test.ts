// install_fallback: the backup replaces the database at the next start, also when that start is
// killed half-way.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  type BackupItem,
  BadArgError,
  BadTypeError,
  CombineError,
  CorruptFileError,
  FileNotFoundError,
  fileBackupModule,
  MemoryBackupModule,
  Mneme,
} from "../../src/index.js";

let root: string;
let dir: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-fallback-"));
  dir = path.join(root, "db");
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

/** A disc database with tables a (disc_copies) and b (disc_only_copies), and a backup of it. */
async function prepared(): Promise<{ db: Mneme; backup: string }> {
  await Mneme.createSchema({ dir });
  const db = await Mneme.open({ dir });
  await db.createTable("a", { attributes: ["k", "v"], discCopies: [db.node], index: ["v"] });
  await db.createTable("b", { attributes: ["k", "v"], discOnlyCopies: [db.node] });
  for (let i = 0; i < 500; i++) {
    db.dirtyWrite("a", { k: i, v: i % 7 });
    db.dirtyWrite("b", { k: i, v: -i });
  }
  const backup = path.join(root, "b.BUP");
  await db.backup(backup);
  // Changes after the backup, which the fallback must undo.
  await db.clearTable("a");
  db.dirtyWrite("b", { k: 1, v: 999 });
  await db.createTable("c", { attributes: ["k", "v"], discCopies: [db.node] });
  return { db, backup };
}

async function assertIsBackup(): Promise<void> {
  const db = await Mneme.open({ dir });
  assert.equal(db.systemInfo("fallback_activated"), false);
  assert.deepEqual(db.systemInfo("tables"), ["schema", "a", "b"]);
  assert.equal(db.tableInfo("a", "size"), 500);
  assert.equal(db.tableInfo("b", "size"), 500);
  assert.equal(db.tableInfo("b", "storage_type"), "disc_only_copies");
  assert.deepEqual(db.dirtyRead("b", 1), [{ k: 1, v: -1 }]);
  assert.equal(db.dirtyIndexRead("a", 3, "v").length, 71);
  await db.close();
}

/** The database as prepared() left it (the fallback was not applied). */
async function assertIsOld(): Promise<void> {
  const db = await Mneme.open({ dir });
  assert.deepEqual(db.systemInfo("tables"), ["schema", "a", "b", "c"]);
  assert.equal(db.tableInfo("a", "size"), 0);
  assert.equal(db.tableInfo("b", "size"), 500);
  assert.deepEqual(db.dirtyRead("b", 1), [{ k: 1, v: 999 }]);
  assert.deepEqual(db.dirtyRead("b", 2), [{ k: 2, v: -2 }]);
  await db.close();
}

/** Opening fails with `type`, naming the fallback; the database stays; uninstalled, it is back. */
async function assertRefused(type: new (...args: never[]) => Error): Promise<void> {
  for (let i = 0; i < 2; i++) {
    await assert.rejects(Mneme.open({ dir }), (e: Error) => {
      assert.ok(e instanceof type, `${e.constructor.name}: ${e.message}`);
      assert.match(
        e.message,
        /the fallback .*FALLBACK\.BUP cannot be applied, the database is unchanged/,
      );
      return true;
    });
  }
  assert.equal(fs.existsSync(path.join(dir, "fallback-stage.tmp")), false);
  assert.equal(fs.existsSync(path.join(dir, "fallback-stage")), false);
  await Mneme.uninstallFallback({ scope: "local", mnesiaDir: dir });
  await assertIsOld();
}

/** Writes `backup`, changed item by item by `fn`, as the installed fallback of the database. */
async function writeFallback(backup: string, fn: (item: BackupItem) => BackupItem): Promise<void> {
  const target = path.join(dir, "FALLBACK.BUP");
  const db = await Mneme.open();
  await db.traverseBackup(
    backup,
    fileBackupModule,
    target,
    fileBackupModule,
    (item, acc) => [[fn(item)], acc],
    0,
  );
  await db.close();
}

describe("fallback", () => {
  it("a damaged fallback (one bit flipped) leaves the database as it was", async () => {
    const { db, backup } = await prepared();
    await db.installFallback(backup);
    await db.close();
    const file = path.join(dir, "FALLBACK.BUP");
    const bytes = fs.readFileSync(file);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x10;
    fs.writeFileSync(file, bytes);
    await assertRefused(CorruptFileError);
  });

  it("a fallback with a table definition createTable refuses leaves the database as it was", async () => {
    const { db, backup } = await prepared();
    await db.close();
    await writeFallback(backup, (item) => {
      const x = item as { schema?: string; definition?: object };
      return x.schema === "b" ? { ...x, definition: { ...x.definition, type: "heap" } } : item;
    });
    await assertRefused(BadArgError);
  });

  it("a fallback with a record its table refuses leaves the database as it was", async () => {
    const { db, backup } = await prepared();
    await db.close();
    await writeFallback(backup, (item) => {
      const x = item as { table?: string; record?: { k: number } };
      return x.table === "b" && x.record?.k === 7 ? { table: "b", record: { k: 7, w: 1 } } : item;
    });
    await assertRefused(BadTypeError);
  });

  it("installFallback refuses a backup whose definition or record would be refused", async () => {
    const { db, backup } = await prepared();
    const bad = path.join(root, "bad.BUP");
    await db.traverseBackup(
      backup,
      fileBackupModule,
      bad,
      fileBackupModule,
      (item, acc) => {
        const x = item as { schema?: string; definition?: object };
        return [
          [x.schema === "a" ? { ...x, definition: { ...x.definition, type: 7 } } : item],
          acc,
        ];
      },
      0,
    );
    await assert.rejects(db.installFallback(bad), BadArgError);
    assert.equal(db.systemInfo("fallback_activated"), false);
    await db.close();
    await assertIsOld();
  });

  it("a backup of disc_copies and ram_copies tables: the ram table starts empty (as Mnesia)", async () => {
    await Mneme.createSchema({ dir });
    const db = await Mneme.open({ dir });
    await db.createTable("d", { attributes: ["k", "v"], discCopies: [db.node] });
    await db.createTable("r", { attributes: ["k", "v"], ramCopies: [db.node] });
    for (let i = 0; i < 10; i++) {
      db.dirtyWrite("d", { k: i, v: i });
      db.dirtyWrite("r", { k: i, v: i });
    }
    const backup = path.join(root, "dr.BUP");
    await db.backup(backup);
    await db.installFallback(backup);
    await db.close();
    for (let i = 0; i < 2; i++) {
      const again = await Mneme.open({ dir });
      assert.deepEqual(again.systemInfo("tables"), ["schema", "d", "r"]);
      assert.equal(again.tableInfo("d", "size"), 10);
      assert.equal(again.tableInfo("r", "size"), 0);
      assert.equal(again.tableInfo("r", "storage_type"), "ram_copies");
      assert.equal(again.systemInfo("fallback_activated"), false);
      await again.close();
    }
  });

  it("installed, it replaces the database at the next start, then is gone", async () => {
    const { db, backup } = await prepared();
    await db.installFallback(backup);
    assert.equal(db.systemInfo("fallback_activated"), true);
    await db.close();
    await assertIsBackup();
    // A later restart keeps the restored database (the fallback is not applied again).
    const again = await Mneme.open({ dir });
    again.dirtyWrite("a", { k: 1000, v: 0 });
    await again.close();
    const third = await Mneme.open({ dir });
    assert.equal(third.tableInfo("a", "size"), 501);
    await third.close();
  });

  it("options: scope, mnesiaDir (a fresh directory becomes that database), module", async () => {
    const { db, backup } = await prepared();
    await assert.rejects(db.installFallback(backup, { scope: "nowhere" as never }), BadArgError);
    // Another directory only with scope local, as in Mnesia.
    const other = path.join(root, "other", "db");
    await assert.rejects(db.installFallback(backup, { mnesiaDir: other }), CombineError);
    await db.installFallback(backup, { scope: "local", mnesiaDir: other });
    assert.equal(db.systemInfo("fallback_activated"), false, "not this database's");
    await db.close();
    const fresh = await Mneme.open({ dir: other });
    assert.deepEqual(fresh.systemInfo("tables"), ["schema", "a", "b"]);
    assert.equal(fresh.tableInfo("b", "size"), 500);
    // From any module; and without a running database (the static form).
    const mem = new MemoryBackupModule();
    await fresh.backup("m", mem);
    await fresh.close();
    await Mneme.installFallback("m", { module: mem, scope: "local", mnesiaDir: dir });
    await assertIsBackup();
  });

  it("uninstallFallback: enoent when none is installed (as Mnesia)", async () => {
    const { db } = await prepared();
    const enoent = (e: Error) => e instanceof FileNotFoundError && e.reason === "enoent";
    await assert.rejects(db.uninstallFallback(), enoent);
    const other = path.join(root, "other");
    await assert.rejects(Mneme.uninstallFallback({ scope: "local", mnesiaDir: other }), enoent);
    await db.close();
  });

  it("uninstallFallback: nothing happens at the next start", async () => {
    const { db, backup } = await prepared();
    await db.installFallback(backup);
    await db.uninstallFallback();
    assert.equal(db.systemInfo("fallback_activated"), false);
    await db.close();
    const again = await Mneme.open({ dir });
    assert.deepEqual(again.systemInfo("tables"), ["schema", "a", "b", "c"]);
    await again.close();
  });

  it("a damaged backup is refused at install, and a RAM schema cannot take one", async () => {
    const { db, backup } = await prepared();
    const bytes = fs.readFileSync(backup);
    fs.writeFileSync(backup, bytes.subarray(0, bytes.length - 3));
    await assert.rejects(db.installFallback(backup), CorruptFileError);
    assert.equal(db.systemInfo("fallback_activated"), false);
    await db.close();
    const ram = await Mneme.open();
    await assert.rejects(ram.installFallback(backup), BadTypeError);
  });

  it("a start killed while applying the fallback: the next start applies it again", async () => {
    const { db, backup } = await prepared();
    await db.installFallback(backup);
    await db.close();
    for (const delay of [60, 150, 300, 500]) {
      const child = spawn(
        process.execPath,
        ["--import", "tsx", "test/backup/fallback-child.ts", dir],
        {
          stdio: ["ignore", "pipe", "inherit"],
        },
      );
      // Listen before the kill: a fast child may have finished by then (it then ran whole).
      const exited = new Promise((r) => child.on("exit", r));
      await new Promise((r) => setTimeout(r, delay));
      child.kill("SIGKILL");
      await exited;
    }
    await assertIsBackup();
  });
});
