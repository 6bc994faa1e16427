// Start-up on a damaged directory: a torn log tail is cut and reported (autoRepair) or refused;
// a damaged snapshot is never loaded.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { CorruptFileError, Mneme, type SystemEvent } from "../../src/index.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-recovery-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** A database with 10 committed records in a disc_copies table, closed. */
async function populated(): Promise<void> {
  await Mneme.createSchema({ dir });
  const db = await Mneme.open({ dir, dumpDiscCopiesAtStartup: false });
  await db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
  for (let i = 1; i <= 10; i++) await db.transaction(async (tx) => tx.write("t", { k: i, v: i }));
  await db.close();
}

function lastSegment(): string {
  const wal = path.join(dir, "wal");
  const names = fs.readdirSync(wal).sort();
  return path.join(wal, names[names.length - 1]!);
}

describe("recovery", () => {
  it("a torn log tail: autoRepair cuts it, keeps the intact commits and says so", async () => {
    await populated();
    const seg = lastSegment();
    const size = fs.statSync(seg).size;
    fs.truncateSync(seg, size - 3);
    const db = await Mneme.open({ dir, dumpDiscCopiesAtStartup: false });
    const events: SystemEvent[] = [];
    db.subscribe("system", (e) => events.push(e));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(db.tableInfo("t", "size"), 9);
    assert.deepEqual(db.dirtyRead("t", 10), []);
    const repair = events.find((e) => e.type === "mnesia_error");
    assert.ok(repair !== undefined && "message" in repair);
    assert.match(repair.message, /the log was damaged: .* cut from .*wal-\d+\.log at offset \d+/);
    // The repaired log takes new commits.
    await db.transaction(async (tx) => tx.write("t", { k: 10, v: 100 }));
    await db.close();
    const again = await Mneme.open({ dir });
    assert.deepEqual(again.dirtyRead("t", 10), [{ k: 10, v: 100 }]);
    await again.close();
  });

  it("a torn log tail with autoRepair false: CorruptFileError naming the file, nothing changed", async () => {
    await populated();
    const seg = lastSegment();
    fs.truncateSync(seg, fs.statSync(seg).size - 3);
    const bytes = fs.readFileSync(seg);
    await assert.rejects(Mneme.open({ dir, autoRepair: false }), (e: unknown) => {
      assert.ok(e instanceof CorruptFileError);
      assert.equal(e.file, seg);
      assert.equal(e.reason, "truncated_binary_file");
      return true;
    });
    assert.deepEqual(fs.readFileSync(seg), bytes);
    // The failed open released the directory.
    const db = await Mneme.open({ dir });
    assert.equal(db.tableInfo("t", "size"), 9);
    await db.close();
  });

  it("a flipped bit in a snapshot: open fails with CorruptFileError, never a silent load", async () => {
    await populated();
    const db = await Mneme.open({ dir });
    await db.dumpLog();
    await db.close();
    const dcd = fs.readdirSync(dir).find((n) => n.endsWith(".DCD"))!;
    const file = path.join(dir, dcd);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 12] = bytes[bytes.length - 12]! ^ 0x10;
    fs.writeFileSync(file, bytes);
    await assert.rejects(Mneme.open({ dir }), CorruptFileError);
  });
});
