// Where the schema version and the upgrade history live: a disc_copies table of the database,
// `mneme_upgrades`, made by the first upgrade. Being a table, it is logged, checkpointed, backed
// up, restored and replaced by a fallback together with the data, so the version always says
// what shape the data has: a fallback applied after a failed upgrade brings back the old version
// with the old data, and the history entry that says so.
import type { DbCore } from "../db/core.js";
import type { Mneme } from "../db/database.js";
import type { SchemaVersion, UpgradeRecord } from "./instruction.js";

/** The table's name. A user table of that name makes upgrades refuse (see checkUpgradesTable). */
export const UPGRADES_TABLE = "mneme_upgrades";

const VERSION_KEY = "version";

/** A row of the table: the version under "version", each run under ["run", id]. */
interface Row {
  readonly key: string | readonly ["run", number];
  readonly value: SchemaVersion | UpgradeRecord;
}

/** The stored schema version: 0 until an upgrade has succeeded. */
export function storedVersion(core: DbCore): SchemaVersion {
  const t = core.tables.get(UPGRADES_TABLE);
  const row = t?.store.lookup(VERSION_KEY)[0] as Row | undefined;
  return typeof row?.value === "number" ? row.value : 0;
}

/** The recorded runs, oldest first. */
export function upgradeHistory(core: DbCore): UpgradeRecord[] {
  const t = core.tables.get(UPGRADES_TABLE);
  if (t === undefined) return [];
  const runs: UpgradeRecord[] = [];
  for (const r of t.store.records()) {
    const row = r as unknown as Row;
    if (Array.isArray(row.key)) runs.push(row.value as UpgradeRecord);
  }
  return runs.sort((a, b) => a.id - b.id);
}

/** Makes the table if the database has none (the first upgrade). */
export async function ensureUpgradesTable(db: Mneme): Promise<void> {
  await db.ensureTable<Row, "key">(UPGRADES_TABLE, {
    attributes: ["key", "value"],
    discCopies: [db.node],
  });
}

/** Writes a run's record, and the version with it when given, in one transaction. */
export function writeRun(db: Mneme, run: UpgradeRecord, version?: SchemaVersion): void {
  db.transactionSync((tx) => {
    tx.write<Row, "key">(UPGRADES_TABLE, { key: ["run", run.id], value: run });
    if (version !== undefined)
      tx.write<Row, "key">(UPGRADES_TABLE, { key: VERSION_KEY, value: version });
  });
}
