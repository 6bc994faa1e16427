// Schema operations are durable when they resolve: a child runs one operation, says so the moment
// its promise resolves and is SIGKILLed on that line; at the next open the change is there. Each
// operation runs several times with durability "fsync" and once with "os" (written to the OS).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { Mneme } from "../../src/index.js";
import { runChild } from "./child.js";

const CHILD = "test/crash/fixtures/schema-ops-child.ts";
const RECORDS = [1, 2, 3].map((k) => ({ k, v: k * 10 }));

/** A disc schema with t (disc_copies) and u (disc_copies, index on v), 3 records each, and r (ram_copies). */
async function setUp(dir: string): Promise<void> {
  await Mneme.createSchema({ dir });
  const db = await Mneme.open({ dir });
  await db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
  await db.createTable("u", { attributes: ["k", "v"], discCopies: [db.node], index: ["v"] });
  await db.createTable("r", { attributes: ["k", "v"] });
  await db.transaction(async (tx) => {
    for (const table of ["t", "u"]) for (const rec of RECORDS) await tx.write(table, rec);
  });
  await db.close();
}

const keys = (db: Mneme, table: string) => [...db.dirtyAllKeys(table)].sort();

/** What each operation leaves behind, checked on the reopened database. */
const EFFECTS: Record<string, (db: Mneme) => void> = {
  createTable: (db) => assert.deepEqual(db.tableInfo("n", "storage_type"), "disc_copies"),
  deleteTable: (db) => assert.equal((db.systemInfo("tables") as string[]).includes("t"), false),
  clearTable: (db) => assert.equal(db.tableInfo("t", "size"), 0),
  transformTable: (db) => {
    assert.deepEqual(db.tableInfo("t", "attributes"), ["k", "v", "w"]);
    assert.deepEqual(db.dirtyRead("t", 2), [{ k: 2, v: 20, w: 40 }]);
  },
  addTableIndex: (db) => assert.deepEqual(db.tableInfo("t", "index"), [3]),
  delTableIndex: (db) => assert.deepEqual(db.tableInfo("u", "index"), []),
  changeTableCopyType: (db) => {
    assert.equal(db.tableInfo("t", "storage_type"), "disc_only_copies");
    assert.deepEqual(keys(db, "t"), [1, 2, 3]);
  },
  changeTableCopyTypeToDisc: (db) => {
    assert.equal(db.tableInfo("r", "storage_type"), "disc_copies");
    assert.deepEqual(keys(db, "r"), [1, 2, 3]);
  },
  changeTableAccessMode: (db) => assert.equal(db.tableInfo("t", "access_mode"), "read_only"),
  changeTableLoadOrder: (db) => assert.equal(db.tableInfo("t", "load_order"), 7),
  changeTableMajority: (db) => assert.equal(db.tableInfo("t", "majority"), true),
  snmpOpenTable: (db) => assert.deepEqual(db.tableInfo("t", "snmp"), { key: "integer" }),
};

async function killAfterResolve(op: string, durability: "fsync" | "os"): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-schema-crash-"));
  try {
    await setUp(dir);
    const r = await runChild(CHILD, [dir, op, durability], {
      killOnLine: (l) => l === "RESOLVED",
    });
    assert.equal(r.killed, true, `${op}: the child was not killed: ${r.stderr}`);
    assert.deepEqual(r.lines, ["RESOLVED"], `${op}: ${r.stderr}`);
    const db = await Mneme.open({ dir });
    try {
      EFFECTS[op]!(db);
    } finally {
      await db.close();
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("schema operations survive a SIGKILL right after they resolve", () => {
  for (const op of Object.keys(EFFECTS)) {
    it(`${op} (fsync, 3 runs; os, 1 run)`, async () => {
      await Promise.all([
        killAfterResolve(op, "fsync"),
        killAfterResolve(op, "fsync"),
        killAfterResolve(op, "fsync"),
        killAfterResolve(op, "os"),
      ]);
    });
  }
});
