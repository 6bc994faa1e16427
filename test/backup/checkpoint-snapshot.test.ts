// A checkpoint of a disc_copies table that holds exactly its snapshot keeps the snapshot file, and
// a backup copies its encoded blocks: the backup must still be the table as it was at activation,
// whatever happens to the table and its files afterwards.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  type BackupModule,
  CorruptFileError,
  fileBackupModule,
  MemoryBackupModule,
  Mneme,
  NoExistsError,
  type RecordItem,
} from "../../src/index.js";

let dir: string;
let db: Mneme | undefined;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-cpsnap-"));
});
afterEach(async () => {
  await db?.close();
  db = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

type Row = { k: number; v: unknown };
const N = 25_000;
const dbDir = (): string => path.join(dir, "db");

/** Tables "a" and "b" on disc, N records each, just dumped (so they hold exactly their snapshots). */
async function prepared(): Promise<Mneme> {
  await Mneme.createSchema({ dir: dbDir() });
  const d = await Mneme.open({ dir: dbDir() });
  for (const t of ["a", "b"]) {
    await d.createTable<Row, "k">(t, { attributes: ["k", "v"], discCopies: [d.node] });
    d.transactionSync((tx) => {
      // Some binaries and nested values, so that blocks of both kinds are copied.
      for (let k = 0; k < N; k++) {
        tx.write(t, {
          k,
          v: k % 1000 === 0 ? { bin: new Uint8Array([k & 255]), at: [k] } : `v${k}`,
        });
      }
    });
  }
  await d.dumpLog();
  return d;
}

/** The file module, counting the blocks it is given encoded. */
function countingFileModule(): { mod: BackupModule; encoded: () => number } {
  let n = 0;
  const mod: BackupModule = {
    ...fileBackupModule,
    writeEncoded: (h, records) => {
      n += records.count;
      return fileBackupModule.writeEncoded!(h as never, records);
    },
  } as BackupModule;
  return { mod, encoded: () => n };
}

/** Every record of a backup, per table, as comparable strings. */
async function backupRecords(file: unknown, mod: BackupModule = fileBackupModule) {
  const seen = await db!.traverseBackup(
    file,
    mod,
    undefined,
    "read_only",
    (item, acc: Map<string, string[]>) => {
      const r = item as RecordItem;
      if (r.record !== undefined) {
        const list = acc.get(r.table) ?? [];
        list.push(show(r.record));
        acc.set(r.table, list);
      }
      return [[], acc];
    },
    new Map<string, string[]>(),
  );
  for (const list of seen.values()) list.sort();
  return seen;
}

const show = (r: unknown): string =>
  JSON.stringify(r, (_, v) => (v instanceof Uint8Array ? `bin:${[...v].join(",")}` : v));

function tableRecords(d: Mneme, t: string): string[] {
  return (d.dirtySelect(t, [[{}, [], ["$_"]]]) as unknown[]).map(show).sort();
}

describe("checkpoints of tables that hold exactly their snapshot", () => {
  it("the backup copies the snapshot's blocks and is the table at activation", async () => {
    db = await prepared();
    const at = { a: tableRecords(db, "a"), b: tableRecords(db, "b") };
    db.activateCheckpoint({ name: "cp", max: ["a", "b"] });
    // Change both tables and dump: their snapshot files are replaced and the old ones deleted.
    db.dirtyWrite("a", { k: 1, v: "changed" });
    db.dirtyDelete("b", 2);
    db.dirtyWrite("b", { k: N + 5, v: "added" });
    await db.dumpLog();
    const { mod, encoded } = countingFileModule();
    const file = path.join(dir, "cp.BUP");
    await db.backupCheckpoint("cp", file, mod);
    assert.equal(encoded(), 2 * N, "every record was copied encoded");
    const got = await backupRecords(file);
    assert.deepEqual(got.get("a"), at.a);
    assert.deepEqual(got.get("b"), at.b);
    // And a restore of it gives the same tables back.
    await db.restore(file);
    assert.deepEqual(tableRecords(db, "a"), at.a);
    assert.deepEqual(tableRecords(db, "b"), at.b);
  });

  it("a module without writeEncoded gets the snapshot's records as items", async () => {
    db = await prepared();
    const at = tableRecords(db, "a");
    db.activateCheckpoint({ name: "cp", max: ["a"] });
    db.dirtyWrite("a", { k: 3, v: "changed" });
    const mem = new MemoryBackupModule();
    await db.backupCheckpoint("cp", "m", mem);
    assert.deepEqual((await backupRecords("m", mem)).get("a"), at);
  });

  it("a table changed since its snapshot is kept as records, not as its file", async () => {
    db = await prepared();
    db.dirtyWrite("a", { k: 4, v: "after the dump" });
    const at = tableRecords(db, "a");
    const { mod, encoded } = countingFileModule();
    const file = path.join(dir, "all.BUP");
    await db.backup(file, mod);
    assert.equal(encoded(), N, "only b was copied encoded");
    assert.deepEqual((await backupRecords(file)).get("a"), at);
  });

  it("the checkpoint's file stays readable until its backup is done, then is closed", async () => {
    db = await prepared();
    const at = tableRecords(db, "b");
    db.activateCheckpoint({ name: "cp", max: ["a", "b"] });
    // A module that deactivates the checkpoint in the middle of the first table.
    let calls = 0;
    const mod: BackupModule = {
      ...fileBackupModule,
      writeEncoded: (h, records) => {
        if (++calls === 1) db!.deactivateCheckpoint("cp");
        return fileBackupModule.writeEncoded!(h as never, records);
      },
    } as BackupModule;
    const file = path.join(dir, "cp.BUP");
    // The first table is finished; the second one's file is closed: the backup fails, whole.
    await assert.rejects(db.backupCheckpoint("cp", file, mod), NoExistsError);
    assert.equal(fs.existsSync(file), false);
    assert.equal(fs.existsSync(`${file}.tmp`), false);
    assert.deepEqual(tableRecords(db, "b"), at);
  });

  it("a snapshot damaged after activation fails the backup, which leaves nothing", async () => {
    db = await prepared();
    db.activateCheckpoint({ name: "cp", max: ["a"] });
    const snap = fs.readdirSync(dbDir()).find((f) => f.startsWith("a.") && f.endsWith(".DCD"))!;
    // Flip a byte in the middle of the file the checkpoint holds open.
    const fd = fs.openSync(path.join(dbDir(), snap), "r+");
    const size = fs.fstatSync(fd).size;
    const b = Buffer.alloc(1);
    fs.readSync(fd, b, 0, 1, size >> 1);
    b[0] = b[0]! ^ 0xff;
    fs.writeSync(fd, b, 0, 1, size >> 1);
    fs.closeSync(fd);
    const file = path.join(dir, "cp.BUP");
    await assert.rejects(db.backupCheckpoint("cp", file), CorruptFileError);
    assert.equal(fs.existsSync(file), false);
  });
});
