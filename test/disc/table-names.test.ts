// Table and attribute names that are not ordinary identifiers survive everything a disc schema
// does with them: checkpoints, restarts, backups, restores, text files and copy-type changes.
// Object.prototype's names ("__proto__", "constructor", ...) must never be dictionary keys of a
// plain object; names a file system cannot hold (long, non-ASCII, lone surrogates, NUL, "/")
// must still give storable file and LMDB names; a failed checkpoint leaves no files behind.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { BadTypeError, Mneme, type StorageType, TransactionAborted } from "../../src/index.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-names-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const PROTO_NAMES = ["__proto__", "constructor", "toString", "hasOwnProperty", "valueOf"];
const FS_NAMES = [
  "一".repeat(28),
  "a".repeat(250),
  "x\ud800y",
  "\udfff",
  "b".repeat(3000),
  "a\0b",
  "a/b",
  "..",
  "Ab%41",
];
const STORAGES: readonly StorageType[] = ["disc_copies", "disc_only_copies", "ram_copies"];
const COPIES = {
  disc_copies: "discCopies",
  disc_only_copies: "discOnlyCopies",
  ram_copies: "ramCopies",
} as const;

type Row = { k: number; v: string };
const rows = (db: Mneme, t: string): Row[] =>
  (db.dirtySelect(t, [[{}, [], ["$_"]]]) as Row[]).slice().sort((a, b) => a.k - b.k);
const keys = (db: Mneme, t: string): number[] => rows(db, t).map((r) => r.k);

async function create(db: Mneme, names: readonly string[], storage: StorageType): Promise<void> {
  for (const n of names) {
    await db.createTable(n, { attributes: ["k", "v"], [COPIES[storage]]: [db.node] });
  }
}

/** Writes key 1, checkpoints, writes key 2 (ram tables: dumped, so key 1 only survives). */
async function fill(db: Mneme, names: readonly string[], storage: StorageType): Promise<number[]> {
  for (const n of names) db.dirtyWrite(n, { k: 1, v: `one ${n.length}` });
  if (storage === "ram_copies") await db.dumpTables(names);
  await db.dumpLog();
  if (storage === "ram_copies") return [1];
  for (const n of names) {
    await db.transaction(async (tx) => {
      await tx.write(n, { k: 2, v: "two" });
    });
  }
  return [1, 2];
}

async function reopen(db: Mneme): Promise<Mneme> {
  await db.close();
  return Mneme.open({ dir });
}

function assertFileNamesFit(): void {
  for (const name of fs.readdirSync(dir)) {
    assert.ok(Buffer.byteLength(name) <= 255, name);
  }
}

for (const [what, names] of [
  ["Object.prototype's names", PROTO_NAMES],
  ["names a file system cannot hold as they are", FS_NAMES],
] as const) {
  describe(`tables with ${what}`, () => {
    for (const storage of STORAGES) {
      it(`${storage}: write, checkpoint, write, reopen: all there; again after a second checkpoint`, async () => {
        await Mneme.createSchema({ dir });
        let db = await Mneme.open({ dir });
        await create(db, names, storage);
        const expected = await fill(db, names, storage);
        db = await reopen(db);
        for (const n of names) assert.deepEqual(keys(db, n), expected, JSON.stringify(n));
        await db.dumpLog();
        db = await reopen(db);
        for (const n of names) assert.deepEqual(keys(db, n), expected, JSON.stringify(n));
        assertFileNamesFit();
        await db.close();
      });
    }

    it("backup, then restore (recreate and clear) into a database with a disc schema", async () => {
      await Mneme.createSchema({ dir });
      let db = await Mneme.open({ dir });
      // The names as they are for disc_copies (restore files, adopted as snapshots), suffixed
      // for the others (one database holds them all).
      const byStorage = new Map(
        STORAGES.map((s) => [s, names.map((n) => (s === "disc_copies" ? n : `${n}.${s}`))]),
      );
      const all = [...byStorage.values()].flat();
      for (const [s, ns] of byStorage) await create(db, ns, s);
      for (const n of all) db.dirtyWrite(n, { k: 1, v: n });
      const file = path.join(dir, "b.BUP");
      await db.backup(file);
      for (const n of all) await db.deleteTable(n);
      assert.deepEqual(
        (await db.restore(file, { defaultOp: "recreate_tables" })).sort(),
        all.sort(),
      );
      for (const n of all) db.dirtyWrite(n, { k: 2, v: "after" });
      // clear_tables writes disc_copies content as a restore file named after the table.
      assert.deepEqual((await db.restore(file)).sort(), all.sort());
      for (const n of all) assert.deepEqual(rows(db, n), [{ k: 1, v: n }], JSON.stringify(n));
      await db.dumpLog();
      db = await reopen(db);
      for (const [s, ns] of byStorage) {
        for (const n of ns) {
          const expected = s === "ram_copies" ? [] : [{ k: 1, v: n }];
          assert.deepEqual(rows(db, n), expected, JSON.stringify(n));
        }
      }
      assertFileNamesFit();
      await db.close();
    });

    it("dumpToTextfile, then loadTextfile into an empty database", async () => {
      const db = await Mneme.open();
      for (const n of names) {
        await db.createTable(n, { attributes: ["k", "v"] });
        db.dirtyWrite(n, { k: 1, v: n });
      }
      const file = path.join(dir, "t.txt");
      await db.dumpToTextfile(file);
      await db.close();
      const other = await Mneme.open();
      assert.deepEqual(await other.loadTextfile(file), names);
      for (const n of names) assert.deepEqual(rows(other, n), [{ k: 1, v: n }], JSON.stringify(n));
      await other.close();
    });

    it("changeTableCopyType ram -> disc_copies -> disc_only_copies -> disc_copies, with checkpoints", async () => {
      await Mneme.createSchema({ dir });
      let db = await Mneme.open({ dir });
      await create(db, names, "ram_copies");
      for (const n of names) db.dirtyWrite(n, { k: 1, v: "one" });
      for (const to of ["disc_copies", "disc_only_copies", "disc_copies"] as const) {
        for (const n of names) await db.changeTableCopyType(n, db.node, to);
        await db.dumpLog();
        db = await reopen(db);
        for (const n of names) {
          assert.equal(db.tableInfo(n, "storage_type"), to);
          assert.deepEqual(keys(db, n), [1], JSON.stringify(n));
        }
      }
      assertFileNamesFit();
      await db.close();
    });
  });
}

describe("attributes named __proto__", () => {
  for (const storage of STORAGES) {
    it(`${storage}: as key and as value attribute, through checkpoints, restart, backup and text file`, async () => {
      await Mneme.createSchema({ dir });
      let db = await Mneme.open({ dir });
      const copies = { [COPIES[storage]]: [db.node] };
      await db.createTable("pk", { attributes: ["__proto__", "v"], ...copies });
      await db.createTable("pv", {
        attributes: ["k", "__proto__"],
        index: ["__proto__"],
        ...copies,
      });
      db.dirtyWrite("pk", { ["__proto__"]: 1, v: "a" });
      db.dirtyWrite("pv", { k: 1, ["__proto__"]: { x: 1 } });
      if (storage === "ram_copies") await db.dumpTables(["pk", "pv"]);
      await db.dumpLog();
      // Logged after the checkpoint: replayed from the WAL at the next start (disc tables).
      if (storage !== "ram_copies") db.dirtyWrite("pv", { k: 2, ["__proto__"]: "logged" });
      const logged =
        storage === "ram_copies"
          ? []
          : [
              ["k", 2],
              ["__proto__", "logged"],
            ];
      const check = (d: Mneme): void => {
        const w = d.dirtyRead("pv", 2 as never) as object[];
        assert.deepEqual(
          w.flatMap((r) => Object.entries(r)),
          logged,
        );
        const [a] = d.dirtyRead("pk", 1 as never) as object[];
        assert.equal(Object.getPrototypeOf(a), Object.prototype);
        assert.deepEqual(Object.entries(a!), [
          ["__proto__", 1],
          ["v", "a"],
        ]);
        const [b] = d.dirtyRead("pv", 1 as never) as object[];
        assert.equal(Object.getPrototypeOf(b), Object.prototype);
        assert.deepEqual(Object.entries(b!), [
          ["k", 1],
          ["__proto__", { x: 1 }],
        ]);
        assert.deepEqual(d.dirtyIndexRead("pv", { x: 1 }, "__proto__").length, 1);
      };
      check(db);
      db = await reopen(db);
      check(db);
      const file = path.join(dir, "b.BUP");
      await db.backup(file);
      await db.dumpToTextfile(path.join(dir, "t.txt"));
      await db.deleteTable("pk");
      await db.deleteTable("pv");
      await db.restore(file, { defaultOp: "recreate_tables" });
      check(db);
      await db.deleteTable("pk");
      await db.deleteTable("pv");
      await db.loadTextfile(path.join(dir, "t.txt"));
      check(db);
      await db.close();
    });
  }
});

describe("a failed checkpoint", () => {
  it("deletes the snapshots it wrote; the previous checkpoint stays whole and the next one works", async () => {
    await Mneme.createSchema({ dir });
    let db = await Mneme.open({ dir });
    await create(db, ["a", "b"], "disc_copies");
    db.dirtyWrite("a", { k: 1, v: "one" });
    db.dirtyWrite("b", { k: 1, v: "one" });
    await db.dumpLog();
    const before = fs.readdirSync(dir).sort();
    db.dirtyWrite("a", { k: 2, v: "two" });
    db.dirtyWrite("b", { k: 2, v: "two" });
    // schema.DAT cannot be replaced: the table snapshots are written, then the checkpoint fails.
    const blocker = path.join(dir, "schema.DAT.tmp");
    fs.mkdirSync(blocker);
    for (let i = 0; i < 3; i++) {
      await assert.rejects(
        db.dumpLog(),
        (e: unknown) => (e as { code?: string }).code === "EISDIR",
      );
    }
    fs.rmdirSync(blocker);
    assert.deepEqual(fs.readdirSync(dir).sort(), before);
    db = await reopen(db);
    assert.deepEqual(keys(db, "a"), [1, 2]);
    assert.deepEqual(keys(db, "b"), [1, 2]);
    await db.dumpLog();
    const after = fs.readdirSync(dir).filter((f) => f.endsWith(".DCD"));
    assert.equal(after.length, 2);
    assert.notDeepEqual(
      after.sort(),
      before.filter((f) => f.endsWith(".DCD")),
    );
    await db.close();
  });
});

describe("restore recreating a table with another storage type", () => {
  for (const [from, to] of [
    ["ram_copies", "disc_copies"],
    ["disc_copies", "ram_copies"],
  ] as const) {
    it(`${from} -> ${to}: the entry logs the records as the new storage needs`, async () => {
      await Mneme.createSchema({ dir });
      let db = await Mneme.open({ dir });
      await create(db, ["t"], to);
      db.dirtyWrite("t", { k: 1, v: "backed up" });
      const file = path.join(dir, "b.BUP");
      await db.backup(file);
      await db.deleteTable("t");
      await create(db, ["t"], from);
      db.dirtyWrite("t", { k: 2, v: "replaced" });
      await db.restore(file, { recreateTables: ["t"] });
      assert.equal(db.tableInfo("t", "storage_type"), to);
      assert.deepEqual(rows(db, "t"), [{ k: 1, v: "backed up" }]);
      db = await reopen(db);
      assert.deepEqual(rows(db, "t"), to === "ram_copies" ? [] : [{ k: 1, v: "backed up" }]);
      await db.close();
    });
  }
});

describe("records of a table with a __proto__ attribute", () => {
  it("must have it as an own property: the inherited Object.prototype is no value", async () => {
    const db = await Mneme.open();
    await db.createTable("pv", { attributes: ["k", "__proto__"] });
    await db.createTable("pk", { attributes: ["__proto__", "v"] });
    for (const [t, r, what] of [
      ["pv", { k: 1, v: 2 }, /unknown attribute 'v'/],
      ["pv", { k: 1 }, /attribute '__proto__' is missing/],
      ["pk", { v: 2 }, /bad key in '__proto__': undefined is not a valid key/],
    ] as const) {
      assert.throws(
        () => db.dirtyWrite(t, r as never),
        (e: unknown) => e instanceof BadTypeError && what.test(e.message),
      );
      await assert.rejects(
        db.transaction(async (tx) => tx.write(t, r as never)),
        (e: unknown) => e instanceof TransactionAborted && e.cause instanceof BadTypeError,
      );
    }
    assert.equal(db.tableInfo("pv", "size"), 0);
    assert.equal(db.tableInfo("pk", "size"), 0);
    await db.close();
  });
});
