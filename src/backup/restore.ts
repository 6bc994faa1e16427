// mnesia:restore/2. Everything is read and checked before anything changes; the changes are then
// one log entry (one transaction): either all of them happen or none.
//
// A disc_copies table that is cleared or recreated gets its new content as a snapshot file,
// written before the entry (copying the backup's encoded blocks where the records are kept as
// they are), and the entry names the file instead of carrying the records: the log then holds a
// few bytes instead of the whole table, and the file is the table's new snapshot, so no dump has
// to write the content again. Other tables get the records in the entry.
import { randomUUID } from "node:crypto";
import { checkedRecord } from "../access/validate-record.js";
import { BLOCK_RECORDS, type Block } from "../codec/block-codec.js";
import type { DbCore } from "../db/core.js";
import type { TableFile } from "../disc/disc-storage.js";
import { encodeBlocks, RECORDS_PER_BLOCK } from "../disc/snapshot.js";
import { BadArgError, BadTypeError, MnemeError, NoExistsError } from "../errors.js";
import { isFlatRecord, type Key, keyProblem } from "../keys/index.js";
import type { DataOp, LogEntry, LogOp } from "../log/entry.js";
import { LiveTable } from "../schema/live-table.js";
import type { TableSpec } from "../schema/table-spec.js";
import { validateStoredSpec } from "../schema/validate-def.js";
import type { Rec } from "../store/store.js";
import { TABLE } from "../txn/locks.js";
import { readBlocks } from "./backup.js";
import { isRecordItem, isSchemaItem } from "./items.js";
import type { BackupModule } from "./module.js";

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

/** Records of one table in a backup, with their encoded form when the module gave it. */
export interface RecordBlock {
  readonly records: Rec[];
  readonly encoded: Uint8Array | undefined;
}

/** A table in a backup: its last definition and the records after it. */
export interface BackupTable {
  readonly spec: TableSpec;
  readonly blocks: RecordBlock[];
}

/**
 * A backup's table definition, checked exactly as createTable checks its options: a backup is
 * input like any other, and a definition restored as it is could lose the table's records at the
 * next start. Whatever is wrong is a badarg naming the table.
 */
function checkedDefinition(name: string, definition: unknown, node: string): TableSpec {
  try {
    return validateStoredSpec(name, definition, node, randomUUID());
  } catch (e) {
    if (!(e instanceof MnemeError)) throw e;
    throw new BadArgError(
      `restore: the backup's definition of ${name} is not valid: ${e.message}`,
      {
        table: name,
        value: definition,
      },
    );
  }
}

/** Reads a whole backup, checking that it is made of schema items and records of their tables. */
export async function readBackupTables(
  opaque: unknown,
  mod: BackupModule,
  node: string,
): Promise<Map<string, BackupTable>> {
  const tables = new Map<string, BackupTable>();
  const tableOf = (name: string): BackupTable => {
    const t = tables.get(name);
    if (t === undefined) {
      throw new BadArgError(`the backup holds a record of ${name} before its definition`, {
        table: name,
      });
    }
    return t;
  };
  for await (const r of readBlocks(opaque, mod)) {
    const { encoded, records } = r;
    if (encoded !== undefined && records !== undefined && records.length === encoded.count) {
      const block = new Array<Rec>(records.length);
      for (let i = 0; i < records.length; i++) {
        const record = records[i];
        if (typeof record !== "object" || record === null) {
          throw new BadArgError(`a record of ${encoded.table} that is not an object`, {
            table: encoded.table,
            value: record,
          });
        }
        block[i] = record as Rec;
      }
      if (block.length > 0)
        tableOf(encoded.table).blocks.push({ records: block, encoded: encoded.body });
      continue;
    }
    let run: { table: string; block: RecordBlock } | undefined;
    for (const item of r.items) {
      if (isSchemaItem(item)) {
        const spec = checkedDefinition(item.schema, item.definition, node);
        tables.set(item.schema, { spec, blocks: [] });
        run = undefined;
      } else if (isRecordItem(item)) {
        if (run === undefined || run.table !== item.table) {
          run = { table: item.table, block: { records: [], encoded: undefined } };
          tableOf(item.table).blocks.push(run.block);
        }
        run.block.records.push(item.record);
      } else {
        throw new BadArgError("not a Mneme backup item", { value: item });
      }
    }
  }
  return tables;
}

/** What restore does to one table, decided and checked before anything changes. */
interface TablePlan {
  readonly name: string;
  /** The table as it was when planned (undefined: none); it must be the same at commit. */
  readonly live: LiveTable | undefined;
  readonly schemaOps: LogOp[];
  /** Where the records go: a snapshot file, a load_table op, or writes on top of the content. */
  readonly how: "file" | "load" | "writes";
  readonly clear: boolean;
  readonly spec: TableSpec;
  readonly blocks: RecordBlock[];
  readonly count: number;
}

/** Validates and freezes a table's records; a block keeps its encoded form if no record changed. */
export function checkBlocks(target: LiveTable, blocks: readonly RecordBlock[]): RecordBlock[] {
  const attrs = target.spec.attributes;
  const keyAttr = target.keyAttr;
  return blocks.map(({ records, encoded }) => {
    let same = true;
    const out = new Array<Rec>(records.length);
    for (let i = 0; i < records.length; i++) {
      const r = records[i]!;
      // A frozen record of the table's shape, with a valid key, cannot change under the table:
      // kept as it is. Anything else is checked in full and copied.
      if (Object.isFrozen(r) && isFlatRecord(r, attrs) && keyProblem(r[keyAttr]) === undefined) {
        out[i] = r;
      } else {
        out[i] = checkedRecord(target, r);
        same = false;
      }
    }
    return { records: out, encoded: same ? encoded : undefined };
  });
}

/** The snapshot blocks of a table's checked records (encoded blocks copied as they are). */
export function* snapshotBlocks(blocks: readonly RecordBlock[]): Generator<Block> {
  for (const b of blocks) {
    if (b.encoded !== undefined) yield { kind: BLOCK_RECORDS, body: b.encoded };
    else {
      for (let i = 0; i < b.records.length; i += RECORDS_PER_BLOCK) {
        yield* encodeBlocks(b.records.slice(i, i + RECORDS_PER_BLOCK));
      }
    }
  }
}

/** Restores tables from a backup (see the file's header). Returns the restored tables. */
export async function restore(
  core: DbCore,
  opaque: unknown,
  options: RestoreOptions,
  mod: BackupModule,
): Promise<string[]> {
  const tables = await readBackupTables(opaque, mod, core.node);
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
  const plans: TablePlan[] = [];
  for (const [name, backup] of tables) {
    const op = opOf(name);
    if (op !== "skip_tables") plans.push(planTable(core, name, op, backup));
  }
  const files: TableFile[] = plans
    .filter((p) => p.how === "file")
    .map((p) => ({ spec: p.spec, count: p.count, blocks: snapshotBlocks(p.blocks) }));
  let last: LogEntry | undefined;
  const commit = (names: ReadonlyMap<string, string>): void => {
    last = commitPlans(core, plans, names);
  };
  const writeFiles = core.writeTableFiles;
  if (files.length > 0 && writeFiles !== undefined) await writeFiles(files, commit);
  else commit(new Map());
  if (last !== undefined) await core.log.whenDurable(last, core.durability);
  return plans.map((p) => p.name);
}

function planTable(core: DbCore, name: string, op: RestoreOp, backup: BackupTable): TablePlan {
  const live = core.tables.get(name);
  const schemaOps: LogOp[] = [];
  let target: LiveTable;
  if (op === "recreate_tables") {
    const spec = backup.spec;
    if (spec.storage !== "ram_copies" && !core.discSchema) {
      throw new BadTypeError(`${name}: ${spec.storage} needs a disc schema`, { table: name });
    }
    if (live !== undefined) schemaOps.push({ op: "delete_table", table: name });
    schemaOps.push({ op: "create_table", spec });
    target = new LiveTable(spec);
  } else {
    if (live === undefined) {
      throw new NoExistsError(`restore: table ${name} does not exist (use recreateTables)`, {
        table: name,
      });
    }
    if (live.spec.attributes.join() !== backup.spec.attributes.join()) {
      throw new BadTypeError(`restore: ${name} has other attributes than in the backup`, {
        table: name,
        value: backup.spec.attributes,
      });
    }
    target = live;
  }
  const blocks = checkBlocks(target, backup.blocks);
  let count = 0;
  for (const b of blocks) count += b.records.length;
  const storage = target.spec.storage;
  const replaces = op === "clear_tables" || op === "recreate_tables";
  const how =
    replaces && storage === "disc_copies" && core.writeTableFiles !== undefined
      ? "file"
      : replaces && storage === "ram_copies"
        ? "load"
        : "writes";
  return {
    name,
    live,
    schemaOps,
    how,
    clear: op === "clear_tables",
    spec: target.spec,
    blocks,
    count,
  };
}

/** Appends the restore's entry (two for LMDB tables being recreated); returns the last one. */
function commitPlans(
  core: DbCore,
  plans: readonly TablePlan[],
  files: ReadonlyMap<string, string>,
): LogEntry | undefined {
  core.assertRunning();
  const schemaOps: LogOp[] = [];
  const ops: DataOp[] = [];
  let touchesLmdb = false;
  for (const p of plans) {
    // The checks were made against the tables as they were; a table created, deleted or
    // recreated since (while the files were written) ends the restore.
    if (core.tables.get(p.name) !== p.live) {
      throw new BadArgError(`restore: table ${p.name} changed while the restore was prepared`, {
        table: p.name,
      });
    }
    schemaOps.push(...p.schemaOps);
    touchesLmdb ||=
      p.schemaOps.length > 0 &&
      (p.spec.storage === "disc_only_copies" || p.live?.spec.storage === "disc_only_copies");
    if (p.how === "writes") {
      if (p.clear) ops.push({ op: "clear_table", table: p.name });
      const keyAttr = p.spec.attributes[0]!;
      for (const b of p.blocks) {
        for (const record of b.records) {
          ops.push({ op: "write", table: p.name, key: record[keyAttr] as Key, record });
        }
      }
      continue;
    }
    const records: Rec[] = [];
    for (const b of p.blocks) for (const r of b.records) records.push(r);
    ops.push({ op: "load_table", table: p.name, records, file: files.get(p.name) });
  }
  for (const p of plans) core.locks.woundConflicts(p.name, TABLE, "write", `table ${p.name}`);
  // One entry, so that the restore is all or nothing, also across a crash. LMDB tables cannot be
  // opened inside the LMDB transaction that applies an entry: recreating one takes two entries.
  if (touchesLmdb) {
    let last = core.log.append(core.nextActivityId("tid"), schemaOps);
    if (ops.length > 0) last = core.log.append(core.nextActivityId("tid"), ops);
    return last;
  }
  if (schemaOps.length + ops.length === 0) return undefined;
  return core.log.append(core.nextActivityId("tid"), [...schemaOps, ...ops]);
}
