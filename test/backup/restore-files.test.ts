// A restore into a disc_copies table writes the table's new content as a snapshot file before its
// log entry, which names the file: these tests check that the file becomes the table's snapshot,
// that the restore survives a crash once it has returned, and that a crash during it leaves the
// table either as it was or wholly restored.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { MemoryBackupModule, Mneme } from "../../src/index.js";

let dir: string;
let db: Mneme | undefined;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-restore-"));
});
afterEach(async () => {
  await db?.close();
  db = undefined;
  fs.rmSync(dir, { recursive: true, force: true });
});

type Row = { k: number; v: string };
const N = 20_000;
const dbDir = (): string => path.join(dir, "db");
const backupFile = (): string => path.join(dir, "t.BUP");

/** A disc_copies table of N records (v "old"), with a backup of it holding v "new". */
async function prepared(): Promise<Mneme> {
  await Mneme.createSchema({ dir: dbDir() });
  const d = await Mneme.open({ dir: dbDir() });
  await d.createTable<Row, "k">("t", {
    attributes: ["k", "v"],
    index: ["v"],
    discCopies: [d.node],
  });
  const fill = (v: string) =>
    d.transactionSync((tx) => {
      for (let k = 0; k < N; k++) tx.write("t", { k, v });
    });
  fill("new");
  await d.backup(backupFile());
  fill("old");
  await d.dumpLog();
  return d;
}

/** The values the table holds, with how many records hold each. */
function values(d: Mneme): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of d.dirtySelect("t", [[{}, [], ["$_"]]]) as Row[]) {
    out.set(r.v, (out.get(r.v) ?? 0) + 1);
  }
  return out;
}

const snapshots = (): string[] => fs.readdirSync(dbDir()).filter((f) => f.startsWith("t."));

function runChild(killAfterMs: number | "restored"): Promise<string> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "test/backup/restore-child.ts", dbDir(), backupFile()],
    { stdio: ["ignore", "pipe", "inherit"] },
  );
  let out = "";
  let timerSet = false;
  return new Promise((resolve, reject) => {
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      if (killAfterMs === "restored" && out.includes("RESTORED")) child.kill("SIGKILL");
      if (typeof killAfterMs === "number" && !timerSet && out.includes("OPEN")) {
        // Once: a later chunk (RESTORED) must not set a second timer.
        timerSet = true;
        setTimeout(() => child.kill("SIGKILL"), killAfterMs);
      }
    });
    const guard = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", reject);
    child.on("exit", () => {
      clearTimeout(guard);
      resolve(out);
    });
  });
}

describe("restore through snapshot files", () => {
  it("the restored content is the table's snapshot: no dump rewrites it", async () => {
    db = await prepared();
    const before = db.systemInfo("log_dumps") as number;
    await db.restore(backupFile());
    assert.deepEqual(values(db), new Map([["new", N]]));
    assert.equal(db.dirtyIndexRead("t", "new", "v").length, N);
    assert.equal(db.dirtyIndexRead("t", "old", "v").length, 0);
    await db.dumpLog();
    // The checkpoint names the restore's file; the old snapshot is gone.
    assert.equal(db.systemInfo("log_dumps"), before + 1);
    const files = snapshots();
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^t\.restore-[0-9a-f-]+\.DCD$/);
    await db.close();
    db = await Mneme.open({ dir: dbDir() });
    assert.deepEqual(values(db), new Map([["new", N]]));
  });

  it("recreate_tables too: the recreated table's snapshot is the restore's file", async () => {
    db = await prepared();
    await db.deleteTable("t");
    await db.restore(backupFile(), { recreateTables: ["t"] });
    assert.deepEqual(values(db), new Map([["new", N]]));
    const before = snapshots();
    await db.dumpLog();
    const files = snapshots();
    assert.equal(files.length, 1);
    assert.match(files[0]!, /^t\.restore-[0-9a-f-]+\.DCD$/);
    assert.ok(before.includes(files[0]!), "the dump kept the restore's file");
    await db.close();
    db = await Mneme.open({ dir: dbDir() });
    assert.deepEqual(values(db), new Map([["new", N]]));
  });

  it("records the backup cannot hand over encoded are encoded into the file", async () => {
    await Mneme.createSchema({ dir: dbDir() });
    db = await Mneme.open({ dir: dbDir() });
    await db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
    // Values that need the term codec's protection, and a copy-on-restore record (nested value).
    const odd = [
      { k: 1, v: "lone \ud800 surrogate" },
      { k: 2, v: { nested: [1, 2n, new Uint8Array([7])] } },
      { k: 3, v: "plain" },
    ];
    for (const r of odd) db.dirtyWrite("t", r);
    const mem = new MemoryBackupModule();
    await db.backup(backupFile());
    await db.backup("m", mem);
    for (const [source, module] of [
      [backupFile(), undefined],
      ["m", mem],
    ] as const) {
      await db.clearTable("t");
      await db.restore(source, module === undefined ? {} : { module });
      await db.close();
      db = await Mneme.open({ dir: dbDir() });
      const got = (db.dirtySelect("t", [[{}, [], ["$_"]]]) as Row[]).sort((a, b) => a.k - b.k);
      assert.deepEqual(got, odd);
    }
  });

  it("writes after a restore are logged on top of it, also across a restart", async () => {
    db = await prepared();
    await db.restore(backupFile());
    db.dirtyWrite("t", { k: 1, v: "later" });
    db.dirtyDelete("t", 2);
    await db.close();
    db = await Mneme.open({ dir: dbDir() });
    assert.deepEqual(
      values(db),
      new Map([
        ["new", N - 2],
        ["later", 1],
      ]),
    );
  });

  it("a process killed once restore has returned keeps the restore (replayed from the log)", async () => {
    db = await prepared();
    await db.close();
    db = undefined;
    const out = await runChild("restored");
    assert.match(out, /RESTORED/);
    db = await Mneme.open({ dir: dbDir() });
    assert.deepEqual(values(db), new Map([["new", N]]));
    await db.dumpLog();
    assert.equal(snapshots().length, 1);
  });

  it("a process killed during a restore leaves the table as it was or wholly restored", async () => {
    db = await prepared();
    await db.close();
    db = undefined;
    for (const delay of [0, 20, 60, 120, 250]) {
      await runChild(delay);
      const d = await Mneme.open({ dir: dbDir() });
      const seen = values(d);
      assert.equal(seen.size, 1, `one value only, got ${[...seen.keys()].join(", ")}`);
      assert.equal([...seen.values()][0], N);
      // Files written by a restore that never committed are removed by the next checkpoint.
      await d.dumpLog();
      assert.equal(snapshots().length, 1, snapshots().join(", "));
      // Back to "old" for the next round.
      d.transactionSync((tx) => {
        for (let k = 0; k < N; k++) tx.write("t", { k, v: "old" });
      });
      await d.close();
    }
  });
});
