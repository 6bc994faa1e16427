// backup, backup_checkpoint, traverse_backup and restore over backup modules. A backup is schema
// items (one per table: its definition) followed by record items, as Mnesia writes them.
import { randomUUID } from "node:crypto";
import { checkRecord } from "../access/validate-record.js";
import type { DbCore } from "../db/core.js";
import { BadArgError, BadTypeError, NoExistsError } from "../errors.js";
import type { Key } from "../keys/index.js";
import type { LogOp } from "../log/entry.js";
import { LiveTable } from "../schema/live-table.js";
import type { TableSpec } from "../schema/table-spec.js";
import type { Rec } from "../store/store.js";
import { TABLE } from "../txn/locks.js";
import type { Checkpoint, Checkpoints } from "./checkpoints.js";
import type { BackupItem, BackupModule } from "./module.js";

/** A table's definition in a backup. */
export interface SchemaItem {
  readonly schema: string;
  readonly definition: TableSpec;
}
/** A record in a backup. */
export interface RecordItem {
  readonly table: string;
  readonly record: Rec;
}

const BLOCK = 1000;

/** Writes a checkpoint's tables through a backup module; nothing is left if it fails. */
export async function backupCheckpoint(
  c: Checkpoint,
  opaque: unknown,
  mod: BackupModule,
): Promise<void> {
  let h = await mod.openWrite(opaque);
  try {
    const schema: SchemaItem[] = [...c.tables.values()].map((r) => ({
      schema: r.spec.name,
      definition: r.spec,
    }));
    h = await mod.write(h, schema);
    for (const r of c.tables.values()) {
      for (let i = 0; i < r.records.length; i += BLOCK) {
        const items: RecordItem[] = [];
        const end = Math.min(r.records.length, i + BLOCK);
        for (let k = i; k < end; k++) items.push({ table: r.spec.name, record: r.records[k]! });
        h = await mod.write(h, items);
      }
    }
    await mod.commitWrite(h);
  } catch (e) {
    await mod.abortWrite(h).catch(() => undefined);
    throw e;
  }
}

/** mnesia:backup/2: a temporary checkpoint of every table, written, then deactivated. */
export async function backupAll(
  core: DbCore,
  checkpoints: Checkpoints,
  opaque: unknown,
  mod: BackupModule,
): Promise<void> {
  const { name } = checkpoints.activate({ max: [...core.tables.keys()] });
  try {
    await backupCheckpoint(checkpoints.get(name), opaque, mod);
  } finally {
    checkpoints.deactivate(name);
  }
}

function isSchemaItem(x: unknown): x is SchemaItem {
  return (
    x !== null &&
    typeof x === "object" &&
    typeof (x as SchemaItem).schema === "string" &&
    typeof (x as SchemaItem).definition === "object"
  );
}
function isRecordItem(x: unknown): x is RecordItem {
  return (
    x !== null &&
    typeof x === "object" &&
    typeof (x as RecordItem).table === "string" &&
    typeof (x as RecordItem).record === "object" &&
    (x as RecordItem).record !== null
  );
}

/** Every item of a backup, in order. */
export async function readBackup(opaque: unknown, mod: BackupModule): Promise<BackupItem[]> {
  const out: BackupItem[] = [];
  let h = await mod.openRead(opaque);
  try {
    for (;;) {
      const r = await mod.read(h);
      if (r === undefined) break;
      h = r.handle;
      for (const item of r.items) out.push(item);
    }
  } finally {
    await mod.closeRead(h);
  }
  return out;
}

/**
 * mnesia:traverse_backup/6: calls fn on every item of the source (schema items first), with an
 * accumulator; the items fn returns are written to the target, unless the target is "read_only".
 */
export async function traverseBackup<A>(
  source: unknown,
  sourceMod: BackupModule,
  target: unknown,
  targetMod: BackupModule | "read_only",
  fn: (item: BackupItem, acc: A) => [readonly BackupItem[], A],
  acc: A,
): Promise<A> {
  const items = await readBackup(source, sourceMod);
  if (targetMod === "read_only") {
    for (const item of items) acc = fn(item, acc)[1];
    return acc;
  }
  let h = await targetMod.openWrite(target);
  try {
    for (let i = 0; i < items.length; i += BLOCK) {
      const out: BackupItem[] = [];
      for (const item of items.slice(i, i + BLOCK)) {
        const [written, next] = fn(item, acc);
        out.push(...written);
        acc = next;
      }
      h = await targetMod.write(h, out);
    }
    await targetMod.commitWrite(h);
  } catch (e) {
    await targetMod.abortWrite(h).catch(() => undefined);
    throw e;
  }
  return acc;
}

export type RestoreOp = "skip_tables" | "clear_tables" | "keep_tables" | "recreate_tables";

export interface RestoreOptions {
  readonly module?: BackupModule;
  readonly skipTables?: readonly string[];
  readonly clearTables?: readonly string[];
  readonly keepTables?: readonly string[];
  readonly recreateTables?: readonly string[];
  /** For tables named in no list. Default "clear_tables", as Mnesia. */
  readonly defaultOp?: RestoreOp;
}

const RESTORE_OPS: ReadonlySet<unknown> = new Set([
  "skip_tables",
  "clear_tables",
  "keep_tables",
  "recreate_tables",
]);

/**
 * mnesia:restore/2. Everything is read and checked before anything changes; the changes are then
 * one log entry (one transaction): either all of them happen or none. Returns the restored tables.
 */
export async function restore(
  core: DbCore,
  opaque: unknown,
  options: RestoreOptions,
  mod: BackupModule,
): Promise<string[]> {
  const items = await readBackup(opaque, mod);
  const specs = new Map<string, TableSpec>();
  const records = new Map<string, Rec[]>();
  for (const item of items) {
    if (isSchemaItem(item)) {
      specs.set(item.schema, item.definition);
      records.set(item.schema, []);
    } else if (isRecordItem(item)) {
      const list = records.get(item.table);
      if (list === undefined) {
        throw new BadArgError(`the backup holds a record of ${item.table} before its definition`, {
          table: item.table,
        });
      }
      list.push(item.record);
    } else {
      throw new BadArgError("not a Mneme backup item", { value: item });
    }
  }
  const defaultOp = options.defaultOp ?? "clear_tables";
  if (!RESTORE_OPS.has(defaultOp)) {
    throw new BadArgError(`unknown restore op ${String(defaultOp)}`, { value: defaultOp });
  }
  const opOf = (table: string): RestoreOp => {
    if (options.skipTables?.includes(table)) return "skip_tables";
    if (options.clearTables?.includes(table)) return "clear_tables";
    if (options.keepTables?.includes(table)) return "keep_tables";
    if (options.recreateTables?.includes(table)) return "recreate_tables";
    return defaultOp;
  };
  core.assertRunning();
  const schemaOps: LogOp[] = [];
  const ops: LogOp[] = [];
  const restored: string[] = [];
  let touchesLmdb = false;
  for (const [name, backupSpec] of specs) {
    const op = opOf(name);
    if (op === "skip_tables") continue;
    const live = core.tables.get(name);
    let target: LiveTable;
    if (op === "recreate_tables") {
      const storage = backupSpec.storage;
      if (storage !== "ram_copies" && !core.discSchema) {
        throw new BadTypeError(`${name}: ${storage} needs a disc schema`, { table: name });
      }
      const spec: TableSpec = {
        ...backupSpec,
        ramCopies: storage === "ram_copies" ? [core.node] : [],
        discCopies: storage === "disc_copies" ? [core.node] : [],
        discOnlyCopies: storage === "disc_only_copies" ? [core.node] : [],
        cookie: randomUUID(),
      };
      if (live !== undefined) schemaOps.push({ op: "delete_table", table: name });
      schemaOps.push({ op: "create_table", spec });
      touchesLmdb ||= storage === "disc_only_copies" || live?.spec.storage === "disc_only_copies";
      target = new LiveTable(spec);
    } else {
      if (live === undefined) {
        throw new NoExistsError(`restore: table ${name} does not exist (use recreateTables)`, {
          table: name,
        });
      }
      if (live.spec.attributes.join() !== backupSpec.attributes.join()) {
        throw new BadTypeError(`restore: ${name} has other attributes than in the backup`, {
          table: name,
          value: backupSpec.attributes,
        });
      }
      if (op === "clear_tables") ops.push({ op: "clear_table", table: name });
      target = live;
    }
    for (const r of records.get(name) ?? []) {
      const key: Key = checkRecord(target, r);
      ops.push({ op: "write", table: name, key, record: target.buildRecord(r) });
    }
    restored.push(name);
  }
  for (const name of restored) core.locks.woundConflicts(name, TABLE, "write", `table ${name}`);
  // One entry, so that the restore is all or nothing, also across a crash. LMDB tables cannot be
  // opened inside the LMDB transaction that applies an entry: recreating one takes two entries.
  if (touchesLmdb) {
    core.log.append(core.nextActivityId("tid"), schemaOps);
    if (ops.length > 0) core.log.append(core.nextActivityId("tid"), ops);
  } else if (schemaOps.length + ops.length > 0) {
    core.log.append(core.nextActivityId("tid"), [...schemaOps, ...ops]);
  }
  return restored;
}
