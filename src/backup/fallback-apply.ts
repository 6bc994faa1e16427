// Applying an installed fallback, at the start of a database (Mneme.open, before the directory is
// opened). Nothing of the current database is touched until the fallback has been read and
// checked in full (every frame's checksum, every table definition as createTable checks it, every
// record as a write checks it) and the database it describes has been built beside the current
// one, in `fallback-stage.tmp/`. Renaming that to `fallback-stage/` commits the switch, which
// disc/fallback-switch.ts then carries out. A fallback that cannot be applied leaves the database
// as it was, still installed, and the error names the file.
//
// As in Mnesia, the backup's ram_copies tables start empty; disc_copies tables get a snapshot
// (the backup's encoded blocks copied where the records are kept as they are); disc_only_copies
// tables are written into a new LMDB environment.
import fs from "node:fs";
import { type SnapshotRef, writeCheckpoint } from "../disc/checkpoint.js";
import { acquireDirLock } from "../disc/dir-lock.js";
import {
  type FallbackTrace,
  fallbackSwitchPending,
  finishFallbackSwitch,
  removeIncompleteStage,
} from "../disc/fallback-switch.js";
import { fsyncDirSync } from "../disc/fsutil.js";
import { DirLayout, lmdbTableName } from "../disc/layout.js";
import { RECORDS_PER_BLOCK, writeSnapshotBlocks } from "../disc/snapshot.js";
import { type FileModes, makeDirSync, PRIVATE_MODES } from "../file-modes.js";
import { LiveTable } from "../schema/live-table.js";
import { LmdbEnv } from "../store/lmdb-env.js";
import { fileBackupModule } from "./file-module.js";
import type { BackupModule } from "./module.js";
import { checkBlocks, type RecordBlock, readBackupTables, snapshotBlocks } from "./restore.js";

export type { FallbackTrace } from "../disc/fallback-switch.js";

/** A table of the fallback, checked and ready to be written. */
export interface StagedTable {
  readonly table: LiveTable;
  readonly blocks: readonly RecordBlock[];
  readonly count: number;
}

/**
 * Applies the fallback installed in `dir`, if any, or finishes one whose switch a crash
 * interrupted; true when it did either. `trace` is told of each step (crash tests).
 */
export async function applyPendingFallback(
  dir: string,
  node: string,
  trace: FallbackTrace = () => {},
  modes: FileModes = PRIVATE_MODES,
): Promise<boolean> {
  const layout = new DirLayout(dir, modes);
  const pending =
    fs.existsSync(layout.fallback) ||
    fallbackSwitchPending(layout) ||
    fs.existsSync(layout.fallbackStageTmp);
  if (!pending) return false;
  const lock = acquireDirLock(dir, modes.file);
  try {
    if (!fallbackSwitchPending(layout)) {
      removeIncompleteStage(layout);
      if (!fs.existsSync(layout.fallback)) return false;
      await stageFallback(layout, node, trace);
    }
    finishFallbackSwitch(layout, trace);
    return true;
  } finally {
    lock.release();
  }
}

/**
 * Reads and checks a whole backup as a fallback: every table definition as createTable checks it
 * (for a copy on `node`), every record as a write checks it.
 */
export async function readFallback(
  opaque: unknown,
  node: string,
  mod: BackupModule = fileBackupModule,
): Promise<StagedTable[]> {
  const out: StagedTable[] = [];
  for (const backup of (await readBackupTables(opaque, mod, node)).values()) {
    const table = new LiveTable(backup.spec);
    const blocks = checkBlocks(table, backup.blocks);
    let count = 0;
    for (const b of blocks) count += b.records.length;
    out.push({ table, blocks, count });
  }
  return out;
}

/** Builds the fallback's database in the stage and commits the switch to it. */
async function stageFallback(layout: DirLayout, node: string, trace: FallbackTrace): Promise<void> {
  const file = layout.fallback;
  try {
    const tables = await readFallback(file, node);
    trace("stage: fallback checked");
    const stage = new DirLayout(layout.fallbackStageTmp, layout.modes);
    await writeDatabaseFiles(stage, tables, 0, trace);
    fsyncDirSync(stage.dir);
    fs.renameSync(stage.dir, layout.fallbackStage);
    fsyncDirSync(layout.dir);
    trace("stage: complete");
  } catch (e) {
    removeIncompleteStage(layout);
    throw named(e, file);
  }
}

/**
 * Writes the database of `tables` into `stage.dir` (created), at log position `position`: a
 * snapshot per disc_copies table, an LMDB environment for the disc_only tables and a schema.DAT
 * naming them (ram_copies tables start empty). A replica restore builds its base this way too.
 */
export async function writeDatabaseFiles(
  stage: DirLayout,
  tables: readonly StagedTable[],
  position: number,
  trace: FallbackTrace = () => {},
): Promise<void> {
  makeDirSync(stage.dir, stage.modes.dir);
  const files = new Map<string, SnapshotRef>();
  for (const { table, blocks, count } of tables) {
    if (table.spec.storage !== "disc_copies") continue;
    const { name, cookie } = table.spec;
    const snapshot = stage.restoreName(name);
    await writeSnapshotBlocks(
      stage.file(snapshot),
      { table: name, position, meta: { cookie } },
      count,
      snapshotBlocks(blocks),
      stage.modes.file,
    );
    files.set(name, { file: snapshot, position, cookie });
    trace(`stage: wrote ${name}`);
  }
  const lmdb = tables.filter((t) => t.table.spec.storage === "disc_only_copies");
  if (lmdb.length > 0) {
    await writeLmdb(stage.lmdb, lmdb, stage.modes);
    trace("stage: wrote lmdb");
  }
  const specs = tables.map((t) => t.table.spec);
  await writeCheckpoint(stage, {
    position,
    specs,
    contents: new Map(),
    kept: files,
    live: files,
    walPosition: position,
    ram: new Set(),
  });
}

/** The disc_only_copies tables of the fallback, in a new LMDB environment at `path`. */
async function writeLmdb(
  path: string,
  tables: readonly StagedTable[],
  modes: FileModes,
): Promise<void> {
  const env = LmdbEnv.open(path, { modes });
  try {
    for (const { table, blocks } of tables) {
      const { spec } = table;
      const store = env.openTable(
        lmdbTableName(spec.name, spec.cookie),
        spec.type,
        spec.attributes[0]!,
        table.buildRecord,
      );
      for (const { records } of blocks) {
        for (let i = 0; i < records.length; i += RECORDS_PER_BLOCK) {
          env.batch(() => {
            const end = Math.min(records.length, i + RECORDS_PER_BLOCK);
            for (let k = i; k < end; k++) store.write(table.keyOf(records[k]!), records[k]!);
          });
        }
      }
    }
    await env.sync();
  } finally {
    await env.close();
  }
}

/** The error, its message saying which fallback could not be applied and what to do. */
function named(e: unknown, file: string): unknown {
  if (e instanceof Error) {
    e.message = `the fallback ${file} cannot be applied, the database is unchanged (fix the file or uninstall the fallback): ${e.message}`;
  }
  return e;
}
