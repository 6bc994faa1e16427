// SIGKILL at random moments of an upgrade of a 100,000-record table (a transform of every
// record, an index, a new table): after reopening, the database is wholly at version 0 with the
// old records, or wholly at version 1 with the new ones; never a mix, never a fallback left behind.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Mneme } from "../../src/index.js";
import { runChild } from "./child.js";

const CHILD = "test/crash/fixtures/upgrade-child.ts";
const N = 100_000;

let root: string;
let template: string;
before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-crash-upgrade-"));
  template = path.join(root, "template");
  const r = await runChild(CHILD, ["setup", template, String(N)]);
  assert.deepEqual(r.lines, ["READY"], r.stderr);
});
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

let runs = 0;
function copyOfTemplate(): string {
  const dir = path.join(root, `run-${runs++}`);
  fs.cpSync(template, dir, { recursive: true });
  return dir;
}

/** Opens `dir` and checks that it is all-old or all-new; returns which. */
async function oldOrNew(dir: string): Promise<"old" | "new"> {
  const db = await Mneme.open({ dir });
  try {
    assert.equal(db.systemInfo("fallback_activated"), false);
    assert.equal(db.tableInfo("t", "size"), N);
    const version = db.systemInfo("schema_version");
    const last = db.upgrades().at(-1);
    let bad = 0;
    if (version === 0) {
      assert.deepEqual(db.tableInfo("t", "attributes"), ["k", "v"]);
      assert.deepEqual(db.tableInfo("t", "index"), []);
      assert.equal(db.systemInfo("tables").includes("u"), false);
      db.dirtyFoldl(
        "t",
        (r: { k: number; v: number }) => {
          if (r.v !== r.k || Object.keys(r).length !== 2) bad++;
          return 0;
        },
        0,
      );
      assert.equal(bad, 0);
      // Killed before the fallback was installed: no record; after: the fallback's record.
      assert.ok(last === undefined || last.outcome === "rolled_back", JSON.stringify(last));
      return "old";
    }
    assert.equal(version, 1);
    assert.deepEqual(db.tableInfo("t", "attributes"), ["k", "v", "w"]);
    assert.deepEqual(db.tableInfo("t", "index"), [4]); // positions, as Mnesia
    db.dirtyFoldl(
      "t",
      (r: { k: number; v: number; w: number }) => {
        if (r.v !== r.k || r.w !== 2 * r.v) bad++;
        return 0;
      },
      0,
    );
    assert.equal(bad, 0);
    assert.equal(db.tableInfo("u", "size"), 1000);
    assert.equal(last?.outcome, "success");
    return "new";
  } finally {
    await db.close();
  }
}

describe("SIGKILL during an upgrade of a 100,000-record table", () => {
  it("an upgrade left alone ends at version 1", async () => {
    const dir = copyOfTemplate();
    const r = await runChild(CHILD, ["upgrade", dir]);
    assert.equal(r.code, 0, r.stderr);
    process.stdout.write(`# upgrade of ${N} records: ${r.lines.at(-1)} ms\n`);
    assert.equal(await oldOrNew(dir), "new");
  });

  // A step's start, plus a random delay (the first lands in the backup of the fallback).
  const kills: [string, number][] = [
    ["STEP t is there", Math.floor(Math.random() * 300)],
    ["STEP transformTable:t", Math.floor(Math.random() * 1500)],
    ["STEP addIndex:t.w", Math.floor(Math.random() * 300)],
    // createTable:u, then fill u, then the end: the last may also reach the end.
    ["STEP createTable:u", Math.floor(Math.random() * 600)],
  ];
  for (const [line, delayMs] of kills) {
    it(`killed ${delayMs} ms after "${line}": all old or all new`, async () => {
      const dir = copyOfTemplate();
      const r = await runChild(CHILD, ["upgrade", dir], {
        killOnLine: (l) => l === line,
        delayMs,
      });
      assert.ok(r.killed || r.code === 0, r.stderr);
      const outcome = await oldOrNew(dir);
      // Killed before the upgrade finished: it cannot have been acknowledged.
      if (r.killed && !r.lines.some((l) => l.startsWith("DONE"))) {
        assert.ok(outcome === "old" || outcome === "new");
      } else {
        assert.equal(outcome, "new");
      }
      fs.rmSync(dir, { recursive: true, force: true });
    });
  }
});
