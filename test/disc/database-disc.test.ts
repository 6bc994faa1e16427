// A database with a disc schema, end to end: what is committed survives close and reopen, for
// every storage type and through dumps, copy-type changes and schema changes.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  AlreadyExistsError,
  BadTypeError,
  DirectoryLockedError,
  Mneme,
  NoSchemaError,
  TransactionAborted,
} from "../../src/index.js";
import { warningCollector } from "../db/helpers.js";

interface Acct {
  id: number;
  branch: string;
  balance: number;
}

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-disc-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

async function fresh(): Promise<Mneme> {
  await Mneme.createSchema({ dir });
  return Mneme.open({ dir });
}

const ATTRS = ["id", "branch", "balance"] as const;
const STORAGES = ["discCopies", "discOnlyCopies"] as const;

describe("disc schema", () => {
  it("createSchema, then open uses the directory", async () => {
    const db = await fresh();
    assert.equal(db.systemInfo("use_dir"), true);
    assert.equal(db.systemInfo("directory"), dir);
    await db.close();
  });

  it("createSchema twice: already_exists", async () => {
    await Mneme.createSchema({ dir });
    await assert.rejects(Mneme.createSchema({ dir }), AlreadyExistsError);
  });

  it("schemaLocation disc without a schema: no_schema", async () => {
    await assert.rejects(Mneme.open({ dir, schemaLocation: "disc" }), NoSchemaError);
  });

  it("opt_disc without a schema runs in RAM and writes nothing", async () => {
    const { logger, warnings } = warningCollector();
    const db = await Mneme.open({ dir, logger });
    assert.equal(warnings.length, 1);
    assert.match(warnings[0] ?? "", /holds no disc schema/);
    assert.equal(db.systemInfo("use_dir"), false);
    await assert.rejects(
      db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] }),
      BadTypeError,
    );
    await db.close();
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it("schemaLocation ram ignores a disc schema", async () => {
    await Mneme.createSchema({ dir });
    const db = await Mneme.open({ dir, schemaLocation: "ram" });
    assert.equal(db.systemInfo("use_dir"), false);
    await db.close();
  });

  it("a second open of the same directory: dir_locked; after close it opens", async () => {
    const db = await fresh();
    await assert.rejects(Mneme.open({ dir }), DirectoryLockedError);
    await db.close();
    const again = await Mneme.open({ dir });
    await again.close();
  });

  it("deleteSchema removes the files; refused while open", async () => {
    const db = await fresh();
    await db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
    await assert.rejects(Mneme.deleteSchema({ dir }), DirectoryLockedError);
    await db.close();
    await Mneme.deleteSchema({ dir });
    assert.deepEqual(fs.readdirSync(dir), []);
  });
});

for (const storage of STORAGES) {
  for (const type of ["set", "ordered_set", "bag"] as const) {
    describe(`${storage} ${type}`, () => {
      it("commits survive close and reopen, with indexes and table info", async () => {
        let db = await fresh();
        await db.createTable<Acct, "id">("acct", {
          attributes: ATTRS,
          type,
          index: ["branch"],
          [storage]: [db.node],
        });
        await db.transaction(async (tx) => {
          for (let i = 1; i <= 20; i++) {
            await tx.write("acct", { id: i, branch: `b${i % 3}`, balance: i * 10 });
          }
        });
        db.transactionSync((tx) => {
          tx.delete("acct", 5);
          tx.write("acct", { id: 7, branch: "b9", balance: 1 });
        });
        db.dirtyWrite("acct", { id: 100, branch: "b1", balance: 0 });
        const before = db.dirtySelect("acct", [[{}, [], ["$_"]]]);
        await db.close();

        db = await Mneme.open({ dir });
        const after = db.dirtySelect("acct", [[{}, [], ["$_"]]]);
        const sort = (xs: readonly unknown[]) =>
          [...(xs as Acct[])].sort((a, b) => a.id - b.id || a.balance - b.balance);
        assert.deepEqual(sort(after), sort(before));
        assert.equal(
          db.tableInfo("acct", "storage_type"),
          storage === "discCopies" ? "disc_copies" : "disc_only_copies",
        );
        assert.equal(db.tableInfo("acct", "type"), type);
        assert.deepEqual(
          (db.dirtyIndexRead("acct", "b9", "branch") as Acct[]).map((r) => r.id),
          [7],
        );
        assert.equal(db.tableInfo("acct", "size"), type === "bag" ? 21 : 20);
        await db.close();
      });
    });
  }

  describe(`${storage}: log and dumps`, () => {
    it("dumpLog writes a checkpoint; later writes replay on top", async () => {
      let db = await fresh();
      await db.createTable<Acct, "id">("acct", { attributes: ATTRS, [storage]: [db.node] });
      for (let i = 0; i < 50; i++) db.dirtyWrite("acct", { id: i, branch: "a", balance: i });
      assert.equal(await db.dumpLog(), "dumped");
      await db.transaction(async (tx) => {
        await tx.write("acct", { id: 1, branch: "z", balance: -1 });
        await tx.delete("acct", 2);
      });
      await db.close();
      db = await Mneme.open({ dir });
      assert.deepEqual(db.dirtyRead("acct", 1), [{ id: 1, branch: "z", balance: -1 }]);
      assert.deepEqual(db.dirtyRead("acct", 2), []);
      assert.equal(db.tableInfo("acct", "size"), 49);
      await db.close();
    });

    it("an aborted transaction leaves nothing on disc", async () => {
      let db = await fresh();
      await db.createTable<Acct, "id">("acct", { attributes: ATTRS, [storage]: [db.node] });
      await assert.rejects(
        db.transaction(async (tx) => {
          await tx.write("acct", { id: 1, branch: "a", balance: 1 });
          tx.abort("no");
        }),
        TransactionAborted,
      );
      await db.close();
      db = await Mneme.open({ dir });
      assert.equal(db.tableInfo("acct", "size"), 0);
      await db.close();
    });

    it("small dump thresholds: many checkpoints, nothing lost", async () => {
      await Mneme.createSchema({ dir });
      let db = await Mneme.open({ dir, dumpLogWriteThreshold: 10 });
      await db.createTable<Acct, "id">("acct", { attributes: ATTRS, [storage]: [db.node] });
      for (let i = 0; i < 300; i++) {
        await db.transaction(async (tx) => {
          await tx.write("acct", { id: i % 37, branch: "a", balance: i });
        });
      }
      await db.dumpLog();
      assert.ok((db.systemInfo("log_dumps") as number) >= 1);
      const before = db.dirtySelect("acct", [[{}, [], ["$_"]]]);
      await db.close();
      db = await Mneme.open({ dir });
      assert.deepEqual(
        new Set(db.dirtySelect("acct", [[{}, [], ["$_"]]]).map((r) => JSON.stringify(r))),
        new Set(before.map((r) => JSON.stringify(r))),
      );
      await db.close();
    });
  });
}

describe("schema changes on disc", () => {
  it("deleteTable, clearTable, addTableIndex and transformTable persist", async () => {
    let db = await fresh();
    await db.createTable("a", { attributes: ["k", "v"], discCopies: [db.node] });
    await db.createTable("b", { attributes: ["k", "v"], discOnlyCopies: [db.node] });
    await db.createTable("c", { attributes: ["k", "v"], discCopies: [db.node] });
    for (const t of ["a", "b", "c"]) db.dirtyWrite(t, { k: 1, v: 10 });
    await db.deleteTable("a");
    await db.clearTable("c");
    await db.addTableIndex("b", "v");
    await db.transformTable(
      "b",
      (r: { k: number; v: number }) => ({ k: r.k, v: r.v, w: r.v * 2 }),
      ["k", "v", "w"],
    );
    await db.close();
    db = await Mneme.open({ dir });
    assert.deepEqual(db.systemInfo("tables"), ["schema", "b", "c"]);
    assert.deepEqual(db.dirtyRead("b", 1), [{ k: 1, v: 10, w: 20 }]);
    assert.deepEqual(db.dirtyIndexRead("b", 10, "v"), [{ k: 1, v: 10, w: 20 }]);
    assert.equal(db.tableInfo("c", "size"), 0);
    await db.close();
  });

  it("ram_copies tables keep their definition but not their content; dumpTables keeps it", async () => {
    let db = await fresh();
    await db.createTable("r", { attributes: ["k", "v"] });
    await db.createTable("d", { attributes: ["k", "v"] });
    db.dirtyWrite("r", { k: 1, v: 1 });
    db.dirtyWrite("d", { k: 2, v: 2 });
    await db.dumpTables(["d"]);
    await db.close();
    db = await Mneme.open({ dir });
    assert.equal(db.tableInfo("r", "storage_type"), "ram_copies");
    assert.equal(db.tableInfo("r", "size"), 0);
    assert.deepEqual(db.dirtyRead("d", 2), [{ k: 2, v: 2 }]);
    await db.close();
  });

  const TYPES = ["ram_copies", "disc_copies", "disc_only_copies"] as const;
  for (const from of TYPES) {
    for (const to of TYPES) {
      if (from === to) continue;
      it(`changeTableCopyType ${from} -> ${to}: content kept, online and after reopen`, async () => {
        let db = await fresh();
        const lists = {
          ramCopies: from === "ram_copies" ? [db.node] : [],
          discCopies: from === "disc_copies" ? [db.node] : [],
          discOnlyCopies: from === "disc_only_copies" ? [db.node] : [],
        };
        await db.createTable("t", { attributes: ["k", "v"], index: ["v"], ...lists });
        for (let i = 0; i < 30; i++) db.dirtyWrite("t", { k: i, v: i % 4 });
        await db.changeTableCopyType("t", db.node, to);
        assert.equal(db.tableInfo("t", "storage_type"), to);
        db.dirtyWrite("t", { k: 100, v: 3 });
        assert.equal(db.tableInfo("t", "size"), 31);
        assert.equal(db.dirtyIndexRead("t", 3, "v").length, 8);
        await assert.rejects(db.changeTableCopyType("t", db.node, to), AlreadyExistsError);
        await db.close();
        db = await Mneme.open({ dir });
        assert.equal(db.tableInfo("t", "storage_type"), to);
        assert.equal(db.tableInfo("t", "size"), to === "ram_copies" ? 0 : 31);
        if (to !== "ram_copies") assert.equal(db.dirtyIndexRead("t", 3, "v").length, 8);
        await db.close();
      });
    }
  }
});

describe("dump policy: each table's snapshot is rewritten when its own log has grown", () => {
  const snapshotsOf = (table: string) =>
    fs.readdirSync(dir).filter((n) => n.startsWith(`${table}.`) && n.endsWith(".DCD"));

  it("a big table under a trickle keeps its snapshot while a hot table is dumped; reopen is exact", async () => {
    await Mneme.createSchema({ dir });
    let db = await Mneme.open({ dir, dumpLogWriteThreshold: 20 });
    await db.createTable("big", { attributes: ["k", "v"], discCopies: [db.node] });
    await db.createTable("hot", { attributes: ["k", "v"], discCopies: [db.node] });
    db.transactionSync((tx) => {
      for (let i = 0; i < 5000; i++) tx.write("big", { k: i, v: "x".repeat(40) });
    });
    await db.dumpLog();
    const bigSnapshot = snapshotsOf("big");
    assert.equal(bigSnapshot.length, 1);
    for (let i = 0; i < 400; i++) {
      await db.transaction(async (tx) => {
        await tx.write("hot", { k: i % 10, v: i });
        if (i % 100 === 0) await tx.write("big", { k: i, v: "changed" });
      });
    }
    await new Promise((r) => setTimeout(r, 50));
    assert.ok((db.systemInfo("log_dumps") as number) > 1);
    assert.deepEqual(snapshotsOf("big"), bigSnapshot, "the big table was not rewritten");
    // A definition change forces the next snapshot of its table.
    await db.addTableIndex("big", "v");
    await db.close();
    db = await Mneme.open({ dir, dumpDiscCopiesAtStartup: false });
    assert.equal(db.tableInfo("big", "size"), 5000);
    for (const i of [0, 100, 200, 300])
      assert.deepEqual(db.dirtyRead("big", i), [{ k: i, v: "changed" }]);
    assert.deepEqual(db.dirtyRead("big", 1), [{ k: 1, v: "x".repeat(40) }]);
    assert.equal(db.dirtyIndexRead("big", "changed", "v").length, 4);
    assert.deepEqual(db.dirtyRead("hot", 9), [{ k: 9, v: 399 }]);
    await db.dumpLog();
    assert.notDeepEqual(snapshotsOf("big"), bigSnapshot);
    await db.close();
    db = await Mneme.open({ dir });
    assert.equal(db.dirtyIndexRead("big", "changed", "v").length, 4);
    await db.close();
  });
});
