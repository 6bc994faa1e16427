// db.upgrade: an error injected after each instruction leaves the database exactly as before the
// upgrade (before the point of no return: at once; after it: once the fallback is applied at the
// next open), or, without error, exactly as after it; downgrades; dry runs; version checks.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  type Instruction,
  Mneme,
  type SystemEvent,
  UpgradeError,
  type UpgradePlan,
  upgradeStep,
} from "../../src/index.js";
import { UPGRADES_TABLE } from "../../src/upgrade/history.js";

let root: string;
let dir: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-upgrade-"));
  dir = path.join(root, "db");
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

interface User {
  id: number;
  name: string;
}
interface UserV1 {
  id: number;
  name: string;
  email: string;
}

/** Everything a user can see of the tables (the upgrades table aside), and the version. */
function state(db: Mneme): unknown {
  const tables = db
    .systemInfo("tables")
    .filter((t) => t !== "schema" && t !== UPGRADES_TABLE)
    .sort();
  return {
    version: db.systemInfo("schema_version"),
    tables: tables.map((t) => ({
      name: t,
      attributes: db.tableInfo(t, "attributes"),
      type: db.tableInfo(t, "type"),
      storage: db.tableInfo(t, "storage_type"),
      index: db.tableInfo(t, "index"),
      records: db
        .dirtySelect(t, [[{}, [], ["$_"]]] as never)
        .map((r) => JSON.stringify(r))
        .sort(),
    })),
  };
}

async function seeded(): Promise<Mneme> {
  const db = await Mneme.open({ dir, create: true });
  await db.createTable<User, "id">("users", { attributes: ["id", "name"], discCopies: [db.node] });
  await db.createTable("logs", { attributes: ["k", "v"], discOnlyCopies: [db.node] });
  db.transactionSync((tx) => {
    for (let i = 1; i <= 50; i++) tx.write<User, "id">("users", { id: i, name: `u${i}` });
    for (let i = 1; i <= 20; i++) tx.write("logs", { k: i, v: i * i });
  });
  return db;
}

const up: Instruction[] = [
  upgradeStep.check("users exist", (db) => {
    if (db.tableInfo("users", "size") === 0) throw new Error("no users");
  }),
  upgradeStep.transformTable<UserV1, User>(
    "users",
    (u) => ({ id: u.id, name: u.name, email: `${u.name}@example.com` }),
    ["id", "name", "email"],
  ),
  upgradeStep.addIndex("users", "email", { dependencies: ["transformTable:users"] }),
  upgradeStep.createTable("orders", { attributes: ["id", "user"], discCopies: ["nonode@nohost"] }),
  {
    name: "seed orders",
    dependencies: ["createTable:orders"],
    async run(_args, { db }) {
      await db.transaction(async (tx) => {
        for (let i = 1; i <= 10; i++) await tx.write("orders", { id: i, user: i });
      });
    },
  },
  upgradeStep.changeCopyType("logs", "disc_copies"),
];

const down: Instruction[] = [
  upgradeStep.transformTable<User, UserV1>("users", (u) => ({ id: u.id, name: u.name }), [
    "id",
    "name",
  ]),
  upgradeStep.delIndex("users", "email", { dependencies: ["transformTable:users"] }),
  upgradeStep.deleteTable("orders"),
  upgradeStep.changeCopyType("logs", "disc_only_copies"),
];

/** Each instruction of `list` followed by an injected error when it is the one named. */
function failingAfter(list: readonly Instruction[], failing: string): Instruction[] {
  return list.map((ins) => ({
    ...ins,
    async run(args, ctx) {
      await ins.run(args, ctx);
      if (ins.name === failing) throw new Error(`injected after ${failing}`);
    },
  }));
}

async function expectUpgradeError(p: Promise<unknown>, reason: string, instruction?: string) {
  await assert.rejects(p, (e: unknown) => {
    assert.ok(e instanceof UpgradeError, String(e));
    assert.equal(e.reason, reason);
    if (instruction !== undefined) assert.equal(e.instruction, instruction);
    return true;
  });
}

describe("db.upgrade", () => {
  it("runs the plan in order: the post-upgrade state, version 1, history, event, no fallback left", async () => {
    const db = await seeded();
    const events: SystemEvent[] = [];
    db.subscribe("system", (e) => events.push(e));
    const res = await db.upgrade({ from: 0, to: 1, up, down });
    assert.deepEqual(
      res.instructions.map((i) => i.name),
      [
        "users exist",
        "transformTable:users",
        "addIndex:users.email",
        "createTable:orders",
        "seed orders",
        "changeCopyType:logs",
      ],
    );
    assert.equal(res.beforePointOfNoReturn, 1);
    const after = state(db) as { version: number; tables: { name: string; index: unknown }[] };
    assert.equal(after.version, 1);
    assert.deepEqual(
      after.tables.map((t) => t.name),
      ["logs", "orders", "users"],
    );
    assert.equal(db.systemInfo("fallback_activated"), false);
    const [run] = db.upgrades();
    assert.equal(run?.outcome, "success");
    assert.equal(run?.from, 0);
    assert.equal(run?.to, 1);
    assert.ok(run!.endedAt! >= run!.startedAt);
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(
      events.filter((e) => e.type === "mneme_upgrade"),
      [{ type: "mneme_upgrade", direction: "up", from: 0, to: 1, outcome: "success" }],
    );
    await db.close();
    const again = await Mneme.open({ dir });
    assert.deepEqual(state(again), after);
    assert.equal(again.upgrades().length, 1);
    await again.close();
  });

  it("an error after each instruction: exactly the old state (at once before the point of no return, after reopening past it)", async () => {
    for (const pointOfNoReturn of [undefined, "seed orders"]) {
      for (const ins of up) {
        fs.rmSync(dir, { recursive: true, force: true });
        const db = await seeded();
        const before = state(db);
        const events: SystemEvent[] = [];
        db.subscribe("system", (e) => events.push(e));
        const plan: UpgradePlan = {
          from: 0,
          to: 1,
          up: failingAfter(up, ins.name),
          ...(pointOfNoReturn ? { pointOfNoReturn } : {}),
        };
        const beforePnr = (await db.upgrade({ ...plan, up }, { dryRun: true }))
          .beforePointOfNoReturn;
        const at = up.indexOf(ins);
        const where = `${ins.name}, point of no return after ${pointOfNoReturn ?? "(default)"}`;
        if (at < beforePnr) {
          await expectUpgradeError(db.upgrade(plan), "upgrade_aborted", ins.name);
          assert.deepEqual(state(db), before, where);
          assert.equal(db.systemInfo("fallback_activated"), false, where);
          assert.equal(db.upgrades().at(-1)?.outcome, "aborted", where);
          await db.close();
        } else {
          await expectUpgradeError(db.upgrade(plan), "upgrade_rolled_back", ins.name);
          assert.equal(db.systemInfo("is_running"), "no", where);
        }
        await new Promise((r) => setImmediate(r));
        assert.deepEqual(
          events.filter((e) => e.type === "mneme_upgrade"),
          [
            {
              type: "mneme_upgrade",
              direction: "up",
              from: 0,
              to: 1,
              outcome: at < beforePnr ? "aborted" : "rolled_back",
              failedInstruction: ins.name,
              error: `injected after ${ins.name}`,
            },
          ],
          where,
        );
        const reopened = await Mneme.open({ dir });
        assert.deepEqual(state(reopened), before, where);
        const last = reopened.upgrades().at(-1);
        assert.equal(last?.outcome, at < beforePnr ? "aborted" : "rolled_back", where);
        assert.equal(reopened.systemInfo("fallback_activated"), false, where);
        await reopened.close();
      }
    }
  });

  it("a downgrade returns the data to the old shape", async () => {
    const db = await seeded();
    const before = state(db);
    const plan: UpgradePlan = { from: 0, to: 1, up, down };
    await db.upgrade(plan);
    const res = await db.upgrade(plan, { direction: "down" });
    // delIndex depends on the transform: on the way down it runs first.
    assert.deepEqual(
      res.instructions.map((i) => i.name),
      ["delIndex:users.email", "transformTable:users", "deleteTable:orders", "changeCopyType:logs"],
    );
    assert.equal(res.from, 1);
    assert.equal(res.to, 0);
    assert.deepEqual(state(db), before);
    assert.deepEqual(
      db.upgrades().map((r) => [r.direction, r.from, r.to, r.outcome]),
      [
        ["up", 0, 1, "success"],
        ["down", 1, 0, "success"],
      ],
    );
    await db.close();
  });

  it("an error in a downgrade after its point of no return rolls back to version `from` of the downgrade", async () => {
    const db = await seeded();
    const plan: UpgradePlan = { from: 0, to: 1, up, down };
    await db.upgrade(plan);
    const upgraded = state(db);
    await expectUpgradeError(
      db.upgrade(
        { ...plan, down: failingAfter(down, "deleteTable:orders") },
        { direction: "down" },
      ),
      "upgrade_rolled_back",
      "deleteTable:orders",
    );
    const reopened = await Mneme.open({ dir });
    assert.deepEqual(state(reopened), upgraded);
    await reopened.close();
  });

  it("refuses a version mismatch before running anything", async () => {
    const db = await seeded();
    let ran = 0;
    const spy: Instruction = { name: "spy", run: () => void ran++ };
    await expectUpgradeError(db.upgrade({ from: 1, to: 2, up: [spy] }), "version_mismatch");
    await expectUpgradeError(
      db.upgrade({ from: 0, to: 1, up: [spy], down: [spy] }, { direction: "down" }),
      "version_mismatch",
    );
    assert.equal(ran, 0);
    assert.equal(db.systemInfo("tables").includes(UPGRADES_TABLE), false);
    await db.close();
  });

  it("refuses bad plans before running anything: cycle, missing dependency, bad point of no return", async () => {
    const db = await seeded();
    let ran = 0;
    const a: Instruction = { name: "a", dependencies: ["b"], run: () => void ran++ };
    const b: Instruction = { name: "b", dependencies: ["a"], run: () => void ran++ };
    await expectUpgradeError(db.upgrade({ from: 0, to: 1, up: [a, b] }), "bad_plan");
    await expectUpgradeError(db.upgrade({ from: 0, to: 1, up: [a] }), "bad_plan");
    await expectUpgradeError(
      db.upgrade({
        from: 0,
        to: 1,
        up: [{ name: "c", run: () => void ran++ }],
        pointOfNoReturn: "x",
      }),
      "bad_plan",
    );
    await expectUpgradeError(db.upgrade({ from: 0, to: 0, up: [] }), "bad_plan");
    await expectUpgradeError(
      db.upgrade({ from: 0, to: 1, up: [] }, { direction: "down" }),
      "bad_plan",
    );
    assert.equal(ran, 0);
    await db.close();
  });

  it("a dry run orders the plan, computes arguments and runs only the checks", async () => {
    const db = await seeded();
    const before = state(db);
    const runs: string[] = [];
    const withArgs: Instruction<[number, string]> = {
      name: "with args",
      insertWhere: "start",
      arguments: (plan) => [plan.to, plan.order.join(",")],
      run: () => void runs.push("with args"),
    };
    const check = upgradeStep.check("check", (_db, ctx) => void runs.push(`check ${ctx.from}`));
    const res = await db.upgrade(
      { from: 0, to: 1, up: [...up, check, withArgs] },
      { dryRun: true },
    );
    assert.deepEqual(runs, ["check 0"]);
    assert.equal(res.dryRun, true);
    assert.equal(res.outcome, "checked");
    assert.deepEqual(res.instructions[0], {
      name: "with args",
      args: [1, res.instructions.map((i) => i.name).join(",")],
      readOnly: false,
    });
    assert.deepEqual(state(db), before);
    assert.equal(db.systemInfo("tables").includes(UPGRADES_TABLE), false);
    const failing = upgradeStep.check("fails", () => {
      throw new Error("not ready");
    });
    await expectUpgradeError(
      db.upgrade({ from: 0, to: 1, up: [failing] }, { dryRun: true }),
      "upgrade_aborted",
      "fails",
    );
    await db.close();
  });

  it("refuses while a fallback is installed, and on a RAM schema", async () => {
    const db = await seeded();
    const bup = path.join(root, "b.BUP");
    await db.backup(bup);
    await db.installFallback(bup);
    await expectUpgradeError(db.upgrade({ from: 0, to: 1, up }), "upgrade_aborted");
    await db.uninstallFallback();
    await db.close();
    const ram = await Mneme.open();
    await assert.rejects(ram.upgrade({ from: 0, to: 1, up: [] }), { reason: "bad_type" });
    await ram.close();
  });

  it("removes the backup files an upgrade killed while writing them left behind", async () => {
    const db = await seeded();
    const stale = ["upgrade-1234.BUP", "upgrade-5678.BUP.tmp"];
    for (const f of stale) fs.writeFileSync(path.join(dir, f), "half a backup");
    await db.upgrade({ from: 0, to: 1, up: [upgradeStep.addIndex("logs", "v")] });
    assert.deepEqual(
      fs.readdirSync(dir).filter((f) => f.startsWith("upgrade-")),
      [],
    );
    await db.close();
  });

  it("loadTextfile and deleteTable steps; a check-only plan needs no fallback", async () => {
    const db = await seeded();
    const text = path.join(root, "extra.txt");
    const src = await Mneme.open();
    await src.createTable("extra", { attributes: ["k", "v"] });
    src.dirtyWrite("extra", { k: 1, v: "one" });
    await src.dumpToTextfile(text);
    await src.close();
    await db.upgrade({
      from: 0,
      to: 1,
      up: [upgradeStep.loadTextfile(text), upgradeStep.deleteTable("logs")],
    });
    assert.deepEqual(db.dirtyRead("extra", 1), [{ k: 1, v: "one" }]);
    assert.equal(db.systemInfo("tables").includes("logs"), false);
    await db.upgrade({ from: 1, to: 2, up: [upgradeStep.check("ok", () => {})] });
    assert.equal(db.systemInfo("schema_version"), 2);
    await db.close();
  });
});
