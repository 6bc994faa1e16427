// backup, backup_checkpoint and traverse_backup over backup modules. A backup is schema items (one
// per table: its definition) followed by record items, as Mnesia writes them. Restore: restore.ts.
import { BLOCK_RECORDS, decodeBlock, recordCount } from "../codec/block-codec.js";
import type { DbCore } from "../db/core.js";
import { RECORDS_PER_BLOCK, readSnapshotBlocks } from "../disc/snapshot.js";
import { CorruptFileError } from "../errors.js";
import { storedRecordBuilder } from "../schema/live-table.js";
import type { TableSpec } from "../schema/table-spec.js";
import type { Checkpoint, Checkpoints } from "./checkpoints.js";
import type { RecordItem, SchemaItem } from "./items.js";
import type { BackupItem, BackupModule, BackupReadResult, EncodedRecords } from "./module.js";
import type { SnapshotSource } from "./snapshot-source.js";

export type { RecordItem, SchemaItem } from "./items.js";

/** Items per block written (as many records per block as a table snapshot holds). */
const BLOCK = RECORDS_PER_BLOCK;

/** Writes blocks of one backup, always through the handle the module returned last. */
export interface BackupWriter {
  write(items: readonly BackupItem[]): Promise<void>;
  /** Records given encoded; undefined when the module cannot take them so. */
  readonly writeEncoded: ((records: EncodedRecords) => Promise<void>) | undefined;
}

/**
 * Writes a backup named `opaque` with `body`, then commits it; if anything fails, the write is
 * aborted, which leaves nothing (an older backup of that name stays).
 */
export async function writeBackup<W>(
  mod: BackupModule<W>,
  opaque: unknown,
  body: (w: BackupWriter) => Promise<void>,
): Promise<void> {
  let h = await mod.openWrite(opaque);
  const writeEncoded = mod.writeEncoded?.bind(mod);
  const writer: BackupWriter = {
    write: async (items) => {
      h = await mod.write(h, items);
    },
    writeEncoded:
      writeEncoded === undefined
        ? undefined
        : async (records) => {
            h = await writeEncoded(h, records);
          },
  };
  try {
    await body(writer);
    await mod.commitWrite(h);
  } catch (e) {
    await mod.abortWrite(h).catch(() => undefined);
    throw e;
  }
}

/** Writes a checkpoint's tables through a backup module; nothing is left if it fails. */
export async function backupCheckpoint(
  c: Checkpoint,
  opaque: unknown,
  mod: BackupModule,
): Promise<void> {
  await writeBackup(mod, opaque, async (w) => {
    const schema: SchemaItem[] = [...c.tables.values()].map((r) => ({
      schema: r.spec.name,
      definition: r.spec,
    }));
    await w.write(schema);
    for (const r of c.tables.values()) {
      if (r.snapshot !== undefined) {
        await copySnapshot(r.spec, r.snapshot, w);
        continue;
      }
      for (let i = 0; i < r.records.length; i += BLOCK) {
        const items: RecordItem[] = [];
        const end = Math.min(r.records.length, i + BLOCK);
        for (let k = i; k < end; k++) items.push({ table: r.spec.name, record: r.records[k]! });
        await w.write(items);
      }
    }
  });
}

/**
 * Writes the records of a table's snapshot file: its blocks as they are encoded when the module
 * takes them so (writeEncoded), else decoded into record items.
 */
async function copySnapshot(
  spec: TableSpec,
  source: SnapshotSource,
  w: BackupWriter,
): Promise<void> {
  await source.use(async (fd) => {
    let count = 0;
    let expected = -1;
    const table = spec.name;
    const build = storedRecordBuilder(spec);
    for await (const x of readSnapshotBlocks(fd, source.file)) {
      if (!("kind" in x)) {
        expected = x.count;
        continue;
      }
      const n = x.kind === BLOCK_RECORDS ? recordCount(x.body) : undefined;
      if (n !== undefined && w.writeEncoded !== undefined) {
        await w.writeEncoded({ table, count: n, body: x.body });
        count += n;
        continue;
      }
      let records: unknown[];
      try {
        records = decodeBlock(x.kind, x.body);
      } catch (e) {
        throw new CorruptFileError("bad_checksum", (e as Error).message, source.file, 0);
      }
      await w.write(records.map((r): RecordItem => ({ table, record: build(r as object) })));
      count += records.length;
    }
    if (count !== expected) {
      throw new CorruptFileError(
        "bad_checksum",
        `snapshot holds ${count} records, its header says ${expected}`,
        source.file,
        0,
      );
    }
  });
}

/**
 * mnesia:backup/2: a temporary checkpoint of every table, written, then deactivated. Returns the
 * log position the backup reflects.
 */
export async function backupAll(
  core: DbCore,
  checkpoints: Checkpoints,
  opaque: unknown,
  mod: BackupModule,
): Promise<number> {
  const tables = [...core.tables.keys()];
  if (tables.length === 0) {
    // Nothing to check point (a new schema): as Mnesia, an empty backup, not an error.
    const position = core.log.position;
    const h = await mod.openWrite(opaque);
    try {
      await mod.commitWrite(h);
    } catch (e) {
      await mod.abortWrite(h).catch(() => undefined);
      throw e;
    }
    return position;
  }
  const { name } = checkpoints.activate({ max: tables });
  const { position } = checkpoints.get(name);
  try {
    await backupCheckpoint(checkpoints.get(name), opaque, mod);
    return position;
  } finally {
    checkpoints.deactivate(name);
  }
}

/** The blocks of a backup as its module reads them, in order; the reader is closed at the end. */
export async function* readBlocks(
  opaque: unknown,
  mod: BackupModule,
): AsyncGenerator<BackupReadResult<unknown>> {
  let h = await mod.openRead(opaque);
  try {
    for (;;) {
      const r = await mod.read(h);
      if (r === undefined) return;
      h = r.handle;
      yield r;
    }
  } finally {
    await mod.closeRead(h);
  }
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
  // Block by block: the source's blocks become the target's, never the whole backup in memory
  // (a module may still read and check its whole backup before handing out the first block).
  if (targetMod === "read_only") {
    for await (const r of readBlocks(source, sourceMod)) {
      for (const item of r.items) acc = fn(item, acc)[1];
    }
    return acc;
  }
  await writeBackup(targetMod, target, async (w) => {
    for await (const r of readBlocks(source, sourceMod)) {
      const out: BackupItem[] = [];
      for (const item of r.items) {
        const [written, next] = fn(item, acc);
        for (const x of written) out.push(x);
        acc = next;
      }
      await w.write(out);
    }
  });
  return acc;
}
