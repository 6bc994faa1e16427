// Checkpoints: the schema and the content of the disc_copies tables at one log position, so that
// the log before it can be dropped. Table snapshots are written first, each under a name holding
// the position (so no file of the previous checkpoint is overwritten); schema.DAT, which names
// them, is renamed into place last. A crash at any moment leaves the previous checkpoint whole.
import fs from "node:fs";
import type { TableSpec } from "../schema/table-spec.js";
import type { Rec } from "../store/store.js";
import type { DirLayout } from "./layout.js";
import { readSnapshot, writeSnapshot, writeSnapshotSync } from "./snapshot.js";

/**
 * A table's snapshot as the checkpoint names it: the file, the log position its content reflects
 * (it may be older than the checkpoint: a table whose log is still small keeps its snapshot), and
 * the cookie that tells one incarnation of the table from another.
 */
export interface SnapshotRef {
  readonly file: string;
  readonly position: number;
  readonly cookie: string;
  /** Written by dumpTables for a ram_copies table (loaded at start while the table stays ram_copies). */
  readonly ram?: boolean;
}

/** Snapshot references by table name (a Map: any string names a table, "__proto__" too). */
export type SnapshotFiles = Map<string, SnapshotRef>;

export interface Checkpoint {
  readonly position: number;
  /** The WAL's last record when it was taken (0 in older files): the log must still reach it. */
  readonly walPosition: number;
  readonly specs: readonly TableSpec[];
  readonly files: ReadonlyMap<string, SnapshotRef>;
  /** The log position the LMDB tables reflected, on disc, when the checkpoint was written. */
  readonly lmdbApplied?: number | undefined;
}

/** schema.DAT's meta: the snapshot references as an object keyed by table name. */
interface SchemaMeta {
  readonly files: { readonly [table: string]: SnapshotRef };
  readonly walPosition?: number;
  readonly lmdbApplied?: number;
}

/** The checkpoint of a directory, or undefined when it has no disc schema. */
export function readCheckpoint(layout: DirLayout): Checkpoint | undefined {
  if (!fs.existsSync(layout.schema)) return undefined;
  const { header, records } = readSnapshot(layout.schema);
  const meta = header.meta as SchemaMeta;
  // The codec brings an own "__proto__" key back as an own property: Object.entries sees it.
  const files: SnapshotFiles = new Map(Object.entries(meta.files));
  return {
    position: header.position,
    walPosition: meta.walPosition ?? 0,
    specs: records as TableSpec[],
    files,
    lmdbApplied: meta.lmdbApplied,
  };
}

/** schema.DAT's meta for `files` (fromEntries defines own properties, "__proto__" included). */
function schemaMeta(
  files: ReadonlyMap<string, SnapshotRef>,
  walPosition: number,
  lmdbApplied?: number,
): SchemaMeta {
  const meta = { files: Object.fromEntries(files), walPosition };
  return lmdbApplied === undefined ? meta : { ...meta, lmdbApplied };
}

/** The records of a table's snapshot. */
export function readTableSnapshot(layout: DirLayout, ref: SnapshotRef): readonly Rec[] {
  return readSnapshot(layout.file(ref.file)).records as Rec[];
}

export interface CheckpointPlan {
  readonly position: number;
  readonly walPosition: number;
  readonly specs: readonly TableSpec[];
  /** Tables whose content is written now (taken at `position`). */
  readonly contents: ReadonlyMap<string, readonly Rec[]>;
  /** Snapshots of earlier checkpoints that stay valid (tables not rewritten, dumped ram tables). */
  readonly kept: ReadonlyMap<string, SnapshotRef>;
  /** The ram_copies tables among `contents` (dumpTables). */
  readonly ram: ReadonlySet<string>;
  /** Every snapshot the log may still need now (a failed checkpoint deletes all others). */
  readonly live: ReadonlyMap<string, SnapshotRef>;
  /** The log position the LMDB tables reflect, synced before the checkpoint is written. */
  readonly lmdbApplied?: number | undefined;
}

/** Writes a checkpoint; returns the snapshot references it holds and the size of each new one. */
export async function writeCheckpoint(
  layout: DirLayout,
  plan: CheckpointPlan,
): Promise<{ files: SnapshotFiles; tableBytes: Map<string, number> }> {
  try {
    return await writeCheckpointFiles(layout, plan);
  } catch (e) {
    removeFailed(layout, plan.live);
    throw e;
  }
}

async function writeCheckpointFiles(
  layout: DirLayout,
  plan: CheckpointPlan,
): Promise<{ files: SnapshotFiles; tableBytes: Map<string, number> }> {
  const files: SnapshotFiles = new Map(plan.kept);
  const tableBytes = new Map<string, number>();
  for (const spec of plan.specs) {
    const records = plan.contents.get(spec.name);
    if (records === undefined) continue;
    const file = layout.snapshotName(spec.name, plan.position);
    const r = await writeSnapshot(
      layout.file(file),
      { table: spec.name, position: plan.position, meta: { cookie: spec.cookie } },
      records,
      layout.modes.file,
    );
    tableBytes.set(spec.name, r.bytes);
    files.set(spec.name, {
      file,
      position: plan.position,
      cookie: spec.cookie,
      ...(plan.ram.has(spec.name) ? { ram: true } : {}),
    });
  }
  await writeSnapshot(
    layout.schema,
    {
      table: "schema",
      position: plan.position,
      meta: schemaMeta(files, plan.walPosition, plan.lmdbApplied),
    },
    plan.specs,
    layout.modes.file,
  );
  try {
    removeUnreferenced(layout, files);
  } catch {
    // The checkpoint is written; what could not be deleted now goes at the next one.
  }
  return { files, tableBytes };
}

/** The empty checkpoint of a new disc schema (create_schema). */
export function writeEmptyCheckpoint(layout: DirLayout): void {
  writeSnapshotSync(
    layout.schema,
    { table: "schema", position: 0, meta: schemaMeta(new Map(), 0) },
    [],
    layout.modes.file,
  );
}

/**
 * After a failed checkpoint: deletes its snapshots (and temporary files), so that failing
 * checkpoints do not pile up files. What schema.DAT names stays, should the failure have come
 * after its rename; if schema.DAT cannot be read, nothing is deleted.
 */
function removeFailed(layout: DirLayout, live: ReadonlyMap<string, SnapshotRef>): void {
  try {
    const onDisc = readCheckpoint(layout)?.files ?? new Map<string, SnapshotRef>();
    removeUnreferenced(layout, live, onDisc);
  } catch {
    // The next checkpoint deletes what is left.
  }
}

/** Deletes snapshot files no checkpoint refers to (older checkpoints, deleted tables, crashes). */
function removeUnreferenced(layout: DirLayout, ...kept: ReadonlyMap<string, SnapshotRef>[]): void {
  const live = new Set(kept.flatMap((files) => [...files.values()].map((f) => f.file)));
  for (const name of fs.readdirSync(layout.dir)) {
    if ((layout.isSnapshot(name) && !live.has(name)) || name.endsWith(".DCD.tmp")) {
      fs.rmSync(layout.file(name), { force: true });
    }
  }
}
