// SIGKILL while a fallback is applied, and while a backup is restored into a live database: after
// any kill the database is wholly the old one (the fallback still installed) or wholly the
// backup; never empty, never unopenable.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Mneme } from "../../src/index.js";
import { runChild } from "./child.js";

const FALLBACK_CHILD = "test/crash/fixtures/fallback-child.ts";
const RESTORE_CHILD = "test/crash/fixtures/restore-child.ts";
const N = 1000;

let root: string;
before(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-crash-fallback-"));
});
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

let runs = 0;
/** A copy of `template` to kill a run in. */
function copyOf(template: string): string {
  const dir = path.join(root, `run-${runs++}`);
  fs.cpSync(template, dir, { recursive: true });
  return dir;
}

const sorted = (db: Mneme): string[] => [...(db.systemInfo("tables") as string[])].sort();

describe("SIGKILL while a fallback is applied", () => {
  let template: string;

  before(async () => {
    template = path.join(root, "fallback-template");
    await Mneme.createSchema({ dir: template });
    const db = await Mneme.open({ dir: template });
    await db.createTable("a", { attributes: ["k", "v"], discCopies: [db.node], index: ["v"] });
    await db.createTable("b", { attributes: ["k", "v"], discOnlyCopies: [db.node] });
    await db.createTable("r", { attributes: ["k", "v"], ramCopies: [db.node] });
    for (let i = 0; i < N; i++) {
      db.dirtyWrite("a", { k: i, v: i % 7 });
      db.dirtyWrite("b", { k: i, v: -i });
      if (i < 10) db.dirtyWrite("r", { k: i, v: i });
    }
    const backup = path.join(root, "fallback.BUP");
    await db.backup(backup);
    // The old database: other content, a snapshot and log entries after it, a table more.
    await db.clearTable("a");
    for (let i = 0; i < 100; i++) db.dirtyWrite("a", { k: i, v: "old" });
    await db.createTable("c", { attributes: ["k", "v"], discCopies: [db.node] });
    await db.dumpLog();
    for (let i = 0; i < 5; i++) db.dirtyWrite("c", { k: i, v: i });
    db.dirtyWrite("b", { k: 1, v: 999 });
    await db.installFallback(backup);
    await db.close();
  });

  async function assertOld(dir: string): Promise<void> {
    const db = await Mneme.open({ dir });
    assert.deepEqual(sorted(db), ["a", "b", "c", "r", "schema"]);
    assert.equal(db.tableInfo("a", "size"), 100);
    assert.deepEqual(db.dirtyRead("a", 5), [{ k: 5, v: "old" }]);
    assert.equal(db.tableInfo("b", "size"), N);
    assert.deepEqual(db.dirtyRead("b", 1), [{ k: 1, v: 999 }]);
    assert.equal(db.tableInfo("c", "size"), 5);
    await db.close();
  }

  async function assertBackup(dir: string): Promise<void> {
    const db = await Mneme.open({ dir });
    assert.deepEqual(sorted(db), ["a", "b", "r", "schema"]);
    assert.equal(db.systemInfo("fallback_activated"), false);
    assert.equal(db.tableInfo("a", "size"), N);
    assert.equal(db.dirtyIndexRead("a", 3, "v").length, Math.ceil((N - 3) / 7));
    assert.equal(db.tableInfo("b", "size"), N);
    assert.equal(db.tableInfo("b", "storage_type"), "disc_only_copies");
    assert.deepEqual(db.dirtyRead("b", 1), [{ k: 1, v: -1 }]);
    assert.equal(db.tableInfo("r", "size"), 0);
    db.dirtyWrite("a", { k: N, v: 0 });
    await db.close();
    const again = await Mneme.open({ dir });
    assert.equal(again.tableInfo("a", "size"), N + 1);
    await again.close();
    for (const leftover of ["FALLBACK.BUP", "fallback-stage", "fallback-stage.tmp"]) {
      assert.equal(fs.existsSync(path.join(dir, leftover)), false, leftover);
    }
  }

  /** After a kill: the old database while the switch is not committed, then the backup. */
  async function check(dir: string): Promise<"old" | "switching"> {
    // Committed: the stage is complete, or the switch is done (stage and fallback gone).
    const committed =
      fs.existsSync(path.join(dir, "fallback-stage")) ||
      !fs.existsSync(path.join(dir, "FALLBACK.BUP"));
    let state: "old" | "switching" = "switching";
    if (!committed) {
      state = "old";
      // The old database is whole: seen in a copy with the fallback uninstalled.
      const copy = copyOf(dir);
      await Mneme.uninstallFallback({ scope: "local", mnesiaDir: copy });
      await assertOld(copy);
    }
    await assertBackup(dir);
    return state;
  }

  it("stopped and killed at every step, and killed just after each step", async () => {
    const full = await runChild(FALLBACK_CHILD, [copyOf(template), "-1"]);
    assert.equal(full.code, 0, full.stderr);
    const steps = full.lines.filter((l) => l.startsWith("STEP "));
    assert.deepEqual(full.lines.slice(-2), ["APPLIED", "OPEN"]);
    assert.ok(steps.length >= 10, steps.join("\n"));
    const states = new Map<string, number>();
    for (let k = 0; k < steps.length; k++) {
      // Exactly at step k (the child waits there to be killed) ...
      const dir = copyOf(template);
      const r = await runChild(FALLBACK_CHILD, [dir, String(k)], {
        killOnLine: (l) => l === "PAUSED",
      });
      assert.equal(r.signal, "SIGKILL", r.stderr);
      const s = await check(dir);
      states.set(s, (states.get(s) ?? 0) + 1);
      // ... and somewhere after it, the child running on while the signal is on its way.
      if (k % 4 === 0) {
        const later = copyOf(template);
        const prefix = `STEP ${k} `;
        const r2 = await runChild(FALLBACK_CHILD, [later, "-1"], {
          killOnLine: (l) => l.startsWith(prefix),
          delayMs: k % 2 === 0 ? 0 : 3,
        });
        assert.ok(r2.killed || r2.code === 0, r2.stderr);
        await check(later);
      }
    }
    // Kills fell both before and after the commit of the switch.
    assert.ok((states.get("old") ?? 0) > 0 && (states.get("switching") ?? 0) > 0);
  });
});

describe("SIGKILL while a backup is restored into a live disc database", () => {
  let template: string;
  let backup: string;

  before(async () => {
    template = path.join(root, "restore-template");
    await Mneme.createSchema({ dir: template });
    const db = await Mneme.open({ dir: template });
    await db.createTable("a", { attributes: ["k", "v"], discCopies: [db.node] });
    await db.createTable("b", { attributes: ["k", "v"], discOnlyCopies: [db.node] });
    for (let i = 0; i < 10 * N; i++) db.dirtyWrite("a", { k: i, v: i });
    for (let i = 0; i < N; i++) db.dirtyWrite("b", { k: i, v: 2 * i });
    backup = path.join(root, "restore.BUP");
    await db.backup(backup);
    await db.transaction(async (tx) => {
      for (let i = 0; i < 10 * N + 1; i++) await tx.write("a", { k: i, v: "old" });
      for (let i = 0; i < N; i++) await tx.write("b", { k: i, v: "old" });
    });
    await db.close();
  });

  /** Whether table `t` is wholly old (every record "old") or wholly restored. */
  function stateOf(db: Mneme, t: string, size: number, value: (k: number) => number): string {
    const records = db.dirtySelect(t, [[{}, [], ["$_"]]]) as { k: number; v: unknown }[];
    if (records.length === size + 1 && records.every((r) => r.v === "old")) return "old";
    assert.equal(records.length, size, `${t}: neither old nor restored`);
    for (const r of records) assert.equal(r.v, value(r.k), `${t}: neither old nor restored`);
    return "restored";
  }

  it("each table wholly old or wholly restored, both alike", async () => {
    const seen = new Set<string>();
    for (const delayMs of [0, 30, 100, 250, 600]) {
      const dir = copyOf(template);
      // b has one record more in the old state too: it is written below.
      const db0 = await Mneme.open({ dir });
      db0.dirtyWrite("b", { k: N, v: "old" });
      await db0.close();
      const r = await runChild(RESTORE_CHILD, [dir, backup], {
        killOnLine: (l) => l === "READY",
        delayMs,
      });
      const db = await Mneme.open({ dir });
      const a = stateOf(db, "a", 10 * N, (k) => k);
      const b = stateOf(db, "b", N, (k) => 2 * k);
      assert.equal(a, b, "one restore, one transaction");
      if (r.lines.includes("RESTORED")) assert.equal(a, "restored");
      seen.add(a);
      await db.close();
    }
    assert.ok(seen.has("old"), "no kill fell before the restore");
  });
});
