// db.upgrade: runs an ordered plan with a point of no return (edeliver's choreography over
// Mnesia's parts). Before the first instruction that changes data, a backup of the whole database
// is installed as the fallback, so that anything that goes wrong afterwards can be undone:
// - an error before the point of no return: the backup is restored into the running database
//   (tables the upgrade made are deleted), the fallback uninstalled; the upgrade rejects with
//   upgrade_aborted and the database is as it was;
// - an error after it: the database is closed (edeliver restarts the release), and the fallback
//   replaces it at the next open: version `from`, the old data. A crash (SIGKILL) at any moment
//   after the fallback is installed ends the same way;
// - success: the version becomes `to` with the last history record, then the fallback goes.
// The version and history live in a table (history.ts), so the fallback restores them with the
// data. Plans are checked in full (order, arguments, point of no return, version) before anything
// runs.
import { randomUUID } from "node:crypto";
import { readdir, rm } from "node:fs/promises";
import path from "node:path";
import type { DbCore } from "../db/core.js";
import type { Mneme } from "../db/database.js";
import { DirLayout } from "../disc/layout.js";
import { BadArgError, BadTypeError, UpgradeError } from "../errors.js";
import {
  ensureUpgradesTable,
  storedVersion,
  UPGRADES_TABLE,
  upgradeHistory,
  writeRun,
} from "./history.js";
import type {
  Instruction,
  PlanInfo,
  PlannedInstruction,
  UpgradeContext,
  UpgradeOptions,
  UpgradePlan,
  UpgradeRecord,
  UpgradeResult,
} from "./instruction.js";
import { orderInstructions } from "./plan/order.js";

/** The backup an upgrade installs as its fallback is written here first (in the database's directory). */
const TMP_PREFIX = "upgrade-";

/** Removes what an upgrade killed while writing its backup left behind. */
async function removeStaleBackups(dir: string): Promise<void> {
  for (const name of await readdir(dir)) {
    if (name.startsWith(TMP_PREFIX) && /\.BUP(\.tmp)?$/.test(name)) {
      await rm(path.join(dir, name), { force: true });
    }
  }
}

/** Databases with an upgrade running: a second one is refused. */
const running = new WeakSet<Mneme>();

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function checkVersion(what: string, v: unknown): number {
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new UpgradeError("bad_plan", `${what} must be a non-negative integer, got ${String(v)}`, {
      value: v,
    });
  }
  return v;
}

/** An upgrade plan as it will run: ordered, with arguments and the point of no return. */
interface Prepared {
  readonly info: PlanInfo;
  readonly ordered: readonly Instruction[];
  readonly args: readonly (readonly unknown[])[];
  /** How many instructions run before the point of no return. */
  readonly beforePnr: number;
}

function prepare(plan: UpgradePlan, options: UpgradeOptions): Prepared {
  if (plan === null || typeof plan !== "object") {
    throw new UpgradeError("bad_plan", "the plan must be an object { from, to, up, down }");
  }
  const direction = options.direction ?? "up";
  if (direction !== "up" && direction !== "down") {
    throw new BadArgError(`direction must be "up" or "down", got ${String(direction)}`, {
      value: direction,
    });
  }
  const pFrom = checkVersion("the plan's from", plan.from);
  const pTo = checkVersion("the plan's to", plan.to);
  if (pFrom === pTo) {
    throw new UpgradeError("bad_plan", `the plan goes from version ${pFrom} to itself`);
  }
  const list = direction === "up" ? plan.up : plan.down;
  if (list === undefined) throw new UpgradeError("bad_plan", "the plan has no down instructions");
  const ordered = orderInstructions(list, direction);
  const [from, to] = direction === "up" ? [pFrom, pTo] : [pTo, pFrom];
  const info: PlanInfo = Object.freeze({
    direction,
    from,
    to,
    order: Object.freeze(ordered.map((i) => i.name)),
  });
  const args = ordered.map((ins) => {
    if (ins.arguments === undefined) return [];
    try {
      const a = ins.arguments(info);
      if (!Array.isArray(a)) throw new Error("arguments must return a list");
      return a;
    } catch (e) {
      throw new UpgradeError("bad_plan", `arguments of ${ins.name} failed: ${message(e)}`, {
        instruction: ins.name,
        cause: e,
      });
    }
  });
  const pnr = direction === "up" ? plan.pointOfNoReturn : plan.downPointOfNoReturn;
  let beforePnr: number;
  if (pnr === undefined) {
    const firstChange = ordered.findIndex((i) => i.readOnly !== true);
    beforePnr = firstChange < 0 ? ordered.length : firstChange;
  } else {
    const at = info.order.indexOf(pnr);
    if (at < 0) {
      throw new UpgradeError(
        "bad_plan",
        `the point of no return is after ${String(pnr)}, which is not an instruction of ${direction}`,
        { value: pnr },
      );
    }
    beforePnr = at + 1;
  }
  return { info, ordered, args, beforePnr };
}

function result(p: Prepared, dryRun: boolean): UpgradeResult {
  const instructions: PlannedInstruction[] = p.ordered.map((ins, i) => ({
    name: ins.name,
    args: p.args[i]!,
    readOnly: ins.readOnly === true,
  }));
  return {
    ...p.info,
    instructions,
    beforePointOfNoReturn: p.beforePnr,
    dryRun,
    outcome: dryRun ? "checked" : "success",
  };
}

/** What the upgrade needs of the database beyond its public API. */
export interface UpgradeHost {
  readonly core: DbCore;
  /** The database directory; undefined when the schema is in RAM. */
  readonly dir: string | undefined;
}

export async function runUpgrade(
  db: Mneme,
  host: UpgradeHost,
  plan: UpgradePlan,
  options: UpgradeOptions = {},
): Promise<UpgradeResult> {
  if (options === null || typeof options !== "object") {
    throw new BadArgError("upgrade options must be an object", { value: options });
  }
  const p = prepare(plan, options);
  const { info } = p;
  const stored = storedVersion(host.core);
  if (stored !== info.from) {
    throw new UpgradeError(
      "version_mismatch",
      `the database is at schema version ${stored}, and this ${info.direction === "up" ? "upgrade" : "downgrade"} ` +
        `starts from ${info.from}: nothing was run`,
      { value: stored },
    );
  }
  if (running.has(db)) {
    throw new BadArgError("an upgrade is already running on this database; wait for it to end");
  }
  running.add(db);
  try {
    if (options.dryRun === true) {
      await new Upgrade(db, host, p, undefined).checks();
      return result(p, true);
    }
    if (host.dir === undefined) {
      throw new BadTypeError(
        "an upgrade needs a disc schema (its fallback and version are kept on disc); this database's schema is in RAM",
      );
    }
    if (db.systemInfo("fallback_activated")) {
      throw new UpgradeError(
        "upgrade_aborted",
        `a fallback is already installed in ${host.dir}; uninstall it (or open the database to apply it) before upgrading`,
      );
    }
    await new Upgrade(db, host, p, host.dir).run();
    return result(p, false);
  } finally {
    running.delete(db);
  }
}

class Upgrade {
  private readonly base: UpgradeRecord;
  private fallbackInstalled = false;

  constructor(
    private readonly db: Mneme,
    private readonly host: UpgradeHost,
    private readonly p: Prepared,
    private readonly dir: string | undefined,
  ) {
    const ids = upgradeHistory(host.core).map((r) => r.id);
    this.base = {
      id: Math.max(0, ...ids) + 1,
      direction: p.info.direction,
      from: p.info.from,
      to: p.info.to,
      instructions: p.info.order,
      startedAt: Date.now(),
      endedAt: null,
      outcome: "running",
      failedInstruction: null,
      error: null,
    };
  }

  private context(ins: Instruction): UpgradeContext {
    const logger = this.host.core.logger;
    return {
      ...this.p.info,
      db: this.db,
      log: (msg, details) =>
        logger.info({ event: "upgrade_log", instruction: ins.name, ...details }, msg),
    };
  }

  private async runOne(i: number): Promise<void> {
    const ins = this.p.ordered[i]!;
    this.host.core.logger.info(
      { event: "upgrade_instruction", instruction: ins.name, index: i },
      `upgrade ${this.p.info.from} -> ${this.p.info.to}: running ${ins.name}`,
    );
    await ins.run(this.p.args[i]!, this.context(ins));
  }

  /** A dry run: only the read-only instructions, in order. */
  async checks(): Promise<void> {
    for (let i = 0; i < this.p.ordered.length; i++) {
      const ins = this.p.ordered[i]!;
      if (ins.readOnly !== true) continue;
      try {
        await this.runOne(i);
      } catch (e) {
        throw new UpgradeError("upgrade_aborted", `dry run: ${ins.name} failed: ${message(e)}`, {
          instruction: ins.name,
          cause: e,
        });
      }
    }
  }

  async run(): Promise<void> {
    const { ordered, beforePnr } = this.p;
    const firstChange = ordered.findIndex((i) => i.readOnly !== true);
    try {
      await ensureUpgradesTable(this.db);
    } catch (e) {
      throw new UpgradeError("upgrade_aborted", `the ${UPGRADES_TABLE} table: ${message(e)}`, {
        cause: e,
      });
    }
    // The first record is written with the fallback (a run killed before it changed nothing).
    for (let i = 0; i < ordered.length; i++) {
      const name = ordered[i]!.name;
      if (i === firstChange) {
        try {
          await this.installFallback();
        } catch (e) {
          // Nothing has changed yet: whatever the point of no return, this is an abort.
          return this.abort(`the fallback before ${name}`, e);
        }
      }
      try {
        await this.runOne(i);
      } catch (e) {
        if (i < beforePnr) return this.abort(name, e);
        return this.rollBack(name, e);
      }
    }
    try {
      this.record({ outcome: "success", endedAt: Date.now() }, this.p.info.to);
      if (this.fallbackInstalled) await this.db.uninstallFallback();
    } catch (e) {
      if (this.fallbackInstalled) return this.rollBack("(finishing)", e);
      throw e;
    }
    this.emit("success");
  }

  private record(change: Partial<UpgradeRecord>, version?: number): void {
    writeRun(this.db, { ...this.base, ...change }, version);
  }

  private get fallbackFile(): string {
    return new DirLayout(this.dir!).fallback;
  }

  /**
   * The point where a fallback is needed: the whole database, with a history record that says
   * what the fallback means should it ever be applied, is backed up and installed.
   */
  private async installFallback(): Promise<void> {
    const dir = this.dir!;
    this.record({
      outcome: "rolled_back",
      error: "interrupted after its fallback was installed; the fallback was applied at an open",
    });
    await removeStaleBackups(dir);
    const tmp = path.join(dir, `${TMP_PREFIX}${randomUUID()}.BUP`);
    try {
      await this.db.backup(tmp);
      await this.db.installFallback(tmp);
      this.fallbackInstalled = true;
    } finally {
      await rm(tmp, { force: true });
    }
    this.record({ outcome: "running" });
  }

  /** Before the point of no return: the database goes back to the fallback's state, online. */
  private async abort(name: string, e: unknown): Promise<never> {
    if (this.fallbackInstalled) {
      try {
        await this.restoreOnline();
        await this.db.uninstallFallback();
        this.fallbackInstalled = false;
      } catch (undoError) {
        return this.rollBack(name, e, undoError);
      }
    }
    const error = message(e);
    try {
      this.record({ outcome: "aborted", endedAt: Date.now(), failedInstruction: name, error });
    } catch {
      // The history is a courtesy; the database is as it was, which is what matters.
    }
    this.emit("aborted", name, error);
    throw new UpgradeError(
      "upgrade_aborted",
      `${name} failed before the point of no return, so the upgrade ${this.p.info.from} -> ${this.p.info.to} ` +
        `was aborted and nothing changed: ${error}`,
      { instruction: name, cause: e },
    );
  }

  /** Every table as the fallback holds it; tables made since are deleted. */
  private async restoreOnline(): Promise<void> {
    const restored = new Set(
      await this.db.restore(this.fallbackFile, { defaultOp: "recreate_tables" }),
    );
    for (const t of this.db.systemInfo("tables")) {
      if (t !== "schema" && !restored.has(t)) await this.db.deleteTable(t);
    }
  }

  /** After the point of no return: the database is closed; its fallback applies at the next open. */
  private async rollBack(name: string, e: unknown, undoError?: unknown): Promise<never> {
    const error = message(e);
    this.emit("rolled_back", name, error);
    this.host.core.logger.error(
      { event: "upgrade_rolled_back", instruction: name, err: e },
      `upgrade ${this.p.info.from} -> ${this.p.info.to}: ${name} failed (${error}); the database is closed ` +
        "and its fallback is applied at the next open",
    );
    await this.db.close();
    const undo =
      undoError === undefined ? "" : ` (undoing it online failed too: ${message(undoError)})`;
    throw new UpgradeError(
      "upgrade_rolled_back",
      `${name} failed${undoError === undefined ? " after the point of no return" : ""}: ${error}${undo}. ` +
        `The database was closed; open it again to apply the fallback installed for this upgrade, ` +
        `which brings back version ${this.p.info.from} and its data`,
      { instruction: name, cause: e },
    );
  }

  private emit(
    outcome: "success" | "aborted" | "rolled_back",
    name?: string,
    error?: string,
  ): void {
    this.host.core.events.emitSystem({
      type: "mneme_upgrade",
      direction: this.p.info.direction,
      from: this.p.info.from,
      to: this.p.info.to,
      outcome,
      ...(name === undefined ? {} : { failedInstruction: name }),
      ...(error === undefined ? {} : { error }),
    });
  }
}
