// Files are private by default: every directory Mneme creates is 0700 and every file 0600 (the
// data directory, schema, snapshots, WAL, LMDB, LOCK, fallback, backups and text dumps), with
// fileMode/dirMode to choose others, applied exactly whatever the umask.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import { BadTypeError, fileBackupModuleWithMode, Mneme } from "../../src/index.js";
import { rejectsMneme } from "../db/helpers.js";

let root: string;
let umask: number;
before(() => {
  umask = process.umask(0o022);
});
after(() => {
  process.umask(umask);
});
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-modes-"));
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

/** Every path under `dir` (itself included) with its permission bits, as "path 0600". */
function modes(dir: string): string[] {
  const out: string[] = [];
  const walk = (p: string) => {
    const st = fs.statSync(p);
    out.push(`${path.relative(root, p) || "."} ${(st.mode & 0o777).toString(8).padStart(4, "0")}`);
    if (st.isDirectory()) for (const n of fs.readdirSync(p).sort()) walk(path.join(p, n));
  };
  walk(dir);
  return out;
}

/** A workload that makes every kind of file: snapshots, ram dumps, WAL, LMDB, backups, text. */
async function workload(dir: string, options: { fileMode?: number; dirMode?: number } = {}) {
  const db = await Mneme.open({ dir, create: true, ...options });
  const d = await db.ensureTable("d", { attributes: ["k", "v"], discCopies: [db.node] });
  const o = await db.ensureTable("o", { attributes: ["k", "v"], discOnlyCopies: [db.node] });
  const r = await db.ensureTable("r", { attributes: ["k", "v"] });
  await db.transaction(async (tx) => {
    for (let i = 0; i < 10; i++) {
      await tx.write(d, { k: i, v: i });
      await tx.write(o, { k: i, v: i });
      await tx.write(r, { k: i, v: i });
    }
  });
  await db.dumpLog();
  await db.dumpTables([r]);
  await db.backup(path.join(root, "out.BUP"));
  await db.dumpToTextfile(path.join(root, "out.txt"));
  await db.installFallback(path.join(root, "out.BUP"));
  return db;
}

describe("file modes", () => {
  it("default: the data directory and every directory in it 0700, every file 0600 (umask 022)", async () => {
    const dir = path.join(root, "data");
    const db = await workload(dir);
    const seen = modes(dir);
    await db.close();
    // A fallback applied at the next start stages a new database: its files are private too.
    await (await Mneme.open({ dir })).close();
    const all = [
      ...seen,
      ...modes(dir),
      ...modes(path.join(root, "out.BUP")),
      ...modes(path.join(root, "out.txt")),
    ];
    const names = all.map((l) => l.split(" ")[0]);
    for (const f of [
      "data/schema.DAT",
      "data/LOCK",
      "data/FALLBACK.BUP",
      "data/lmdb/data.mdb",
      "data/lmdb/lock.mdb",
    ]) {
      assert.ok(names.includes(f), `${f} not made by the workload: ${names}`);
    }
    assert.ok(names.some((n) => /^data\/wal\/wal-\d+\.log$/.test(n!)));
    assert.ok(names.some((n) => /^data\/d\.\d+\.DCD$/.test(n!)));
    assert.deepEqual(
      all.filter((l) => {
        const isDir =
          l.startsWith("data ") || l.startsWith("data/wal ") || l.startsWith("data/lmdb ");
        return !l.endsWith(isDir ? " 0700" : " 0600");
      }),
      [],
    );
  });

  it("fileMode and dirMode are applied exactly, not filtered by the umask", async () => {
    const dir = path.join(root, "data");
    const db = await workload(dir, { fileMode: 0o660, dirMode: 0o770 });
    const all = [
      ...modes(dir),
      ...modes(path.join(root, "out.BUP")),
      ...modes(path.join(root, "out.txt")),
    ];
    await db.close();
    assert.deepEqual(
      all.filter((l) => {
        const isDir =
          l.startsWith("data ") || l.startsWith("data/wal ") || l.startsWith("data/lmdb ");
        return !l.endsWith(isDir ? " 0770" : " 0660");
      }),
      [],
    );
  });

  it("createSchema takes the modes too; the file backup module takes a mode", async () => {
    const dir = path.join(root, "data");
    await Mneme.createSchema({ dir, fileMode: 0o640, dirMode: 0o750 });
    assert.deepEqual(modes(dir), ["data 0750", "data/schema.DAT 0640"]);
    const db = await Mneme.open();
    await db.createTable("t", { attributes: ["k", "v"] });
    await db.backup(path.join(root, "b.BUP"), fileBackupModuleWithMode(0o644));
    assert.deepEqual(modes(path.join(root, "b.BUP")), ["b.BUP 0644"]);
    await db.backup(path.join(root, "c.BUP"));
    assert.deepEqual(modes(path.join(root, "c.BUP")), ["c.BUP 0600"]);
    await db.close();
  });

  it("bad modes: bad_type", async () => {
    for (const v of [-1, 0o1000, 1.5, "600"]) {
      await rejectsMneme(Mneme.open({ fileMode: v as never }), BadTypeError, "bad_type", {
        message: /option fileMode must be a permission mode from 0 to 0o777/,
      });
      await rejectsMneme(Mneme.open({ dirMode: v as never }), BadTypeError, "bad_type");
    }
  });
});
