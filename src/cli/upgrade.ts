// `mneme upgrade <dir> <plan.js>` and `mneme version <dir>`: versioned upgrades (src/upgrade) from
// the command line. The plan file is an ES module whose default export (or export `plan`) is an
// UpgradePlan.
import path from "node:path";
import { pathToFileURL } from "node:url";
import type { UpgradePlan } from "../index.js";
import { type Print, UsageError, withDb } from "./commands.js";

const defaultPrint: Print = (line) => {
  process.stdout.write(`${line}\n`);
};

export interface UpgradeCliOptions {
  readonly dryRun?: boolean;
  readonly down?: boolean;
}

/** The plan a module exports: `default` or `plan`. */
async function loadPlan(file: string): Promise<UpgradePlan> {
  let mod: { default?: unknown; plan?: unknown };
  try {
    mod = (await import(pathToFileURL(path.resolve(file)).href)) as typeof mod;
  } catch (e) {
    throw new UsageError(
      `cannot load the plan ${file}: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  const plan = mod.plan ?? mod.default;
  if (plan === null || typeof plan !== "object") {
    throw new UsageError(
      `${file} must export an upgrade plan { from, to, up, down } as its default export or as "plan"`,
    );
  }
  return plan as UpgradePlan;
}

export async function upgradeCommand(
  dir: string,
  planFile: string,
  options: UpgradeCliOptions = {},
  print: Print = defaultPrint,
): Promise<void> {
  const plan = await loadPlan(planFile);
  await withDb(dir, async (db) => {
    const res = await db.upgrade(plan, {
      direction: options.down ? "down" : "up",
      dryRun: options.dryRun === true,
    });
    res.instructions.forEach((ins, i) => {
      const pnr = i === res.beforePointOfNoReturn ? "  <- point of no return" : "";
      print(`${i + 1}. ${ins.name}${ins.readOnly ? " (check)" : ""}${pnr}`);
    });
    print(
      res.dryRun
        ? `dry run ${res.from} -> ${res.to}: ${res.instructions.length} instructions, checks passed`
        : `${res.direction === "up" ? "upgraded" : "downgraded"} ${dir} from version ${res.from} to ${res.to}`,
    );
  });
}

export async function versionCommand(dir: string, print: Print = defaultPrint): Promise<void> {
  await withDb(dir, async (db) => {
    print(`schema version: ${db.systemInfo("schema_version")}`);
    for (const r of db.upgrades()) {
      const when = new Date(r.startedAt).toISOString();
      const failed = r.failedInstruction === null ? "" : ` at ${r.failedInstruction}`;
      const error = r.error === null ? "" : `: ${r.error}`;
      print(`#${r.id} ${when} ${r.direction} ${r.from} -> ${r.to}: ${r.outcome}${failed}${error}`);
    }
  });
}
