// A database with a disc schema: opens its directory (lock, checkpoint, WAL, LMDB), loads the
// tables and replays the log after a restart, keeps the log short with checkpoints, and closes
// it all. The transaction code never sees any of this: it talks to the log (durable-log.ts).
import fs from "node:fs";
import type { Block } from "../codec/block-codec.js";
import type { DbConfig } from "../db/config.js";
import type { DbCore } from "../db/core.js";
import { CorruptFileError, fileError, NoSchemaError } from "../errors.js";
import type { SystemEvent } from "../events/event-types.js";
import { freezeValue, isFlatRecord, type Key } from "../keys/index.js";
import type { ApplierHooks } from "../log/applier.js";
import type { LogEntry, LogOp, SchemaOp } from "../log/entry.js";
import { type LiveTable, type StoreFactory, storedRecordBuilder } from "../schema/live-table.js";
import type { TableSpec } from "../schema/table-spec.js";
import { LmdbEnv, type LmdbEnvOptions, type LmdbRepair, lmdbDataFile } from "../store/lmdb-env.js";
import { makeRamStore } from "../store/make-store.js";
import type { Rec, TableStore } from "../store/store.js";
import { type RecoveryBounds, type RepairReport, Wal, type WalEntry } from "../wal/index.js";
import {
  type Checkpoint,
  readCheckpoint,
  readTableSnapshot,
  type SnapshotFiles,
  writeCheckpoint,
} from "./checkpoint.js";
import { acquireDirLock, type DirLock } from "./dir-lock.js";
import { DurableLog, decodeWalPayload, type EntryStorage } from "./durable-log.js";
import { existsStrict } from "./fsutil.js";
import { DirLayout, lmdbTableName } from "./layout.js";
import { readSnapshot, writeSnapshotBlocks } from "./snapshot.js";
import type { ReadOp } from "./wal-payload.js";

const isSchemaOp = (op: LogOp | ReadOp): op is SchemaOp =>
  op.op === "create_table" ||
  op.op === "delete_table" ||
  op.op === "redefine_table" ||
  op.op === "transform_table" ||
  op.op === "change_copy_type";

/** What reviving a logged record needs of its table (a LiveTable has it). */
interface RecordShape {
  readonly spec: TableSpec;
  buildRecord(record: object): Rec;
  keyOf(record: Rec): Key;
}

function shapeOfSpec(spec: TableSpec): RecordShape {
  const build = storedRecordBuilder(spec);
  const keyAttr = spec.attributes[0]!;
  return { spec, buildRecord: build, keyOf: (r) => r[keyAttr] as Key };
}

/** A table's new content for writeTableFiles: `count` records in encoded blocks. */
export interface TableFile {
  readonly spec: TableSpec;
  readonly count: number;
  readonly blocks: Iterable<Block>;
}

export interface DiscStats {
  dumps: number;
  /** Time spent in dumps (ms) and bytes of the snapshots they wrote. */
  dumpMs: number;
  dumpBytes: number;
  dumpFailures: number;
}

/** Why a dump runs (in its log line). */
type DumpReason = "threshold" | "dump_log" | "dump_tables" | "startup";

export class DiscStorage {
  readonly log: DurableLog;
  readonly stats: DiscStats = { dumps: 0, dumpMs: 0, dumpBytes: 0, dumpFailures: 0 };
  private core: DbCore | undefined;
  private env: LmdbEnv | undefined;
  /** During recovery: the LMDB tables hold every entry up to this position. */
  private lmdbApplied = 0;
  /** LMDB is behind the checkpoint: the replay also gives it the writes before the checkpoint. */
  private lmdbBehind = false;
  private replaying = false;
  /** ram_copies tables whose dumped content was loaded at start (kept after the replay). */
  private readonly loadedRamDumps = new Set<LiveTable>();
  private files: SnapshotFiles;
  private dumping: Promise<void> | undefined;
  private writesAtDump = 0;
  /** Bytes logged since start, and per table since its snapshot (see dueTables). */
  private logBytes = 0;
  private readonly tableLogBytes = new Map<string, number>();
  /** The log position of each table's last logged change (see cleanSnapshot). */
  private readonly lastChange = new Map<string, number>();
  private readonly logBytesAtSnapshot = new Map<string, number>();
  /** Size of each table's current snapshot file. */
  private readonly snapshotBytes = new Map<string, number>();
  /**
   * Tables whose definition changed since their snapshot, with the position of the change: the
   * next dump rewrites them, so that no snapshot predates a change of its table's definition.
   */
  private readonly forced = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Problems found while opening, reported as system events once subscribers can exist. */
  readonly repairs: RepairReport[] = [];
  /** The WAL is kept from this position on (a replicator that has not shipped the rest yet). */
  walFloor: (() => number) | undefined;

  private constructor(
    readonly config: DbConfig,
    readonly layout: DirLayout,
    private readonly lock: DirLock,
    private readonly checkpoint: Checkpoint,
    private readonly wal: Wal,
    private readonly recovered: WalEntry[],
    env: LmdbEnv | undefined,
    /** Repairs made to the LMDB file before it was opened (reported as the log's are). */
    private readonly lmdbRepairs: LmdbRepair[],
  ) {
    this.files = new Map(checkpoint.files);
    const last = recovered.length > 0 ? recovered[recovered.length - 1]!.position : 0;
    this.env = env;
    if (env !== undefined) this.checkLmdbAtStart(env);
    this.lmdbApplied = this.env?.appliedPosition() ?? 0;
    this.log = new DurableLog(wal, Math.max(checkpoint.position, last, this.lmdbApplied), {
      logged: (op, defined) => isSchemaOp(op) || this.storageOf(op.table, defined) !== "ram_copies",
      touchesLmdb: (op, defined) =>
        !isSchemaOp(op) && this.storageOf(op.table, defined) === "disc_only_copies",
      onLogged: (ops, bytes) => this.noteLogged(ops, bytes, this.log.position),
      onFailed: (step, e, ops) => this.entryFailed(step, e, ops),
    });
    wal.onFailure = (e) =>
      this.core?.logger.error(
        { event: "wal_failed", dir: wal.dir, err: e },
        `the write-ahead log in ${wal.dir} failed (${errorMessage(e)}): no commit can be made ` +
          "durable any more; close and reopen the database",
      );
  }

  /** A commit that failed on disc: logged for the operator (the committer gets the error). */
  private entryFailed(step: "wal_write" | "lmdb_commit", e: unknown, ops: readonly LogOp[]): void {
    const logger = this.core?.logger;
    if (logger === undefined || !logger.enabled) return;
    const tables = [...new Set(ops.map((op) => ("table" in op ? op.table : op.spec.name)))];
    const what = step === "wal_write" ? "writing to the write-ahead log" : "committing to LMDB";
    logger.error(
      { event: "commit_failed", step, tables, err: e },
      `a commit to ${tables.join(", ")} failed ${what}, and nothing of it was kept: ${errorMessage(e)}`,
    );
  }

  /**
   * Opens the directory of a database whose schema is on disc; undefined when the schema is in
   * RAM (schemaLocation "ram", or "opt_disc" without a disc schema).
   */
  static open(config: DbConfig): DiscStorage | undefined {
    try {
      return DiscStorage.openDir(config);
    } catch (e) {
      // EACCES, EROFS, ENOENT, ... as a FileError naming the file, with what to do.
      throw fileError(e, config.dir, "opening the database directory");
    }
  }

  private static openDir(config: DbConfig): DiscStorage | undefined {
    if (config.schemaLocation === "ram") return undefined;
    const modes = { file: config.fileMode, dir: config.dirMode };
    const layout = new DirLayout(config.dir, modes);
    // An installed fallback has been applied before this (backup/fallback-apply.ts).
    if (!existsStrict(layout.schema)) {
      if (config.schemaLocation === "disc") {
        throw new NoSchemaError(
          `schemaLocation is disc but ${config.dir} holds no schema; create it with Mneme.createSchema`,
          { value: config.dir },
        );
      }
      return undefined;
    }
    const lock = acquireDirLock(config.dir, modes.file);
    let env: LmdbEnv | undefined;
    try {
      const checkpoint = readCheckpoint(layout)!;
      // LMDB first: what it has applied bounds what a repair of the log may cut.
      const lmdbRepairs: LmdbRepair[] = [];
      env = DiscStorage.openLmdbAtStart(config, layout, checkpoint, lmdbRepairs);
      const repairs: RepairReport[] = [];
      const { wal, entries } = Wal.open(layout.wal, {
        autoRepair: config.autoRepair,
        modes,
        onRepair: (r) => repairs.push(r),
        bounds: walBounds(layout, checkpoint, env?.appliedPosition() ?? 0),
      });
      const disc = new DiscStorage(
        config,
        layout,
        lock,
        checkpoint,
        wal,
        entries,
        env,
        lmdbRepairs,
      );
      disc.repairs.push(...repairs);
      return disc;
    } catch (e) {
      env?.close().catch(() => undefined);
      lock.release();
      throw e;
    }
  }

  /**
   * The LMDB environment as found at start (undefined if there is none and need be none). Its file
   * is checked before LMDB opens it (lmdb-env.ts), and must exist when the checkpoint lists
   * disc_only_copies tables: a missing file is their records lost, never an empty table. It is
   * opened before the log, as what it has applied bounds what a repair of the log may cut.
   */
  private static openLmdbAtStart(
    config: DbConfig,
    layout: DirLayout,
    checkpoint: Checkpoint,
    repairs: LmdbRepair[],
  ): LmdbEnv | undefined {
    const needed = checkpoint.specs.some((s) => s.storage === "disc_only_copies");
    if (!needed && !fs.existsSync(layout.lmdb)) return undefined;
    return LmdbEnv.open(layout.lmdb, {
      modes: layout.modes,
      autoRepair: config.autoRepair,
      onRepair: (r) => repairs.push(r),
      mustExist: needed,
    });
  }

  /**
   * The LMDB tables must reflect the log at least up to where they did when the checkpoint was
   * written: the replay gives them back later writes only while the log still holds them.
   */
  private checkLmdbAtStart(env: LmdbEnv): void {
    const layout = this.layout;
    const needed = this.checkpoint.specs.some((s) => s.storage === "disc_only_copies");
    const applied = env.appliedPosition();
    // (Without disc_only_copies tables in the checkpoint, no LMDB content before it matters.)
    const expected = needed ? (this.checkpoint.lmdbApplied ?? 0) : 0;
    if (applied >= expected) return;
    const file = lmdbDataFile(layout.lmdb);
    if (!this.config.autoRepair || !this.logHoldsSince(applied)) {
      throw new CorruptFileError(
        "invalid_file",
        `the LMDB file of the disc_only_copies tables reflects the log up to position ${applied}, but it held position ${expected} when the checkpoint was written: it lost committed writes${this.config.autoRepair ? " the log no longer holds" : " (autoRepair would replay them from the log if it holds them)"}; restore the database from a backup`,
        file,
        0,
      );
    }
    // The replay gives the LMDB tables back the writes after `applied` (see attach).
    this.lmdbBehind = true;
    this.lmdbRepairs.push({
      file,
      offset: 0,
      reason: `it reflected the log up to position ${applied}, not ${expected} as when the checkpoint was written; the writes in between are replayed from the log`,
    });
  }

  /**
   * Whether replaying the log before the checkpoint can bring the LMDB tables from `applied` to
   * the checkpoint: the log holds every entry after `applied` (the log has gaps only where
   * nothing was logged, and is cut only at its start) and no schema change between (the tables
   * are created as the checkpoint defines them, which such writes may not fit).
   */
  private logHoldsSince(applied: number): boolean {
    const first = this.recovered[0];
    if (first === undefined || first.position > applied + 1) return false;
    for (const e of this.recovered) {
      if (e.position <= applied || e.position > this.checkpoint.position) continue;
      if (decodeWalPayload(e.bytes).ops.some(isSchemaOp)) return false;
    }
    return true;
  }

  private lmdbOptions(): LmdbEnvOptions {
    return {
      modes: this.layout.modes,
      autoRepair: this.config.autoRepair,
      onRepair: (r) => this.lmdbRepairs.push(r),
    };
  }

  /** Where a table is stored, after the schema ops of the entry being logged (`defined`). */
  private storageOf(table: string, defined?: EntryStorage): TableSpec["storage"] | undefined {
    if (defined?.has(table)) return defined.get(table);
    return this.core?.tables.get(table)?.spec.storage;
  }

  /**
   * Schema ops, and data ops of tables that are on disc where the op stands in its entry: a
   * restore creates (or recreates, with another storage type) a table and loads it in one entry.
   */

  // ---- loading --------------------------------------------------------------------------------

  /** Loads the tables into `core` and replays the log; returns once the database is consistent. */
  async attach(core: DbCore): Promise<void> {
    this.core = core;
    core.applier.hooks = this.hooks;
    core.applyEntry = (entry) => this.applyEntry(entry);
    core.writeTableFiles = (tables, commit) => this.writeTableFiles(tables, commit);
    core.cleanSnapshot = (table) => this.cleanSnapshot(table);
    core.ramDump = (table) => {
      const t = this.core?.tables.get(table);
      const ref = this.files.get(table);
      return t?.spec.storage === "ram_copies" && ref?.ram === true && ref.cookie === t.spec.cookie
        ? this.layout.file(ref.file)
        : undefined;
    };
    core.discStats = () => ({
      ...this.stats,
      repairs: this.repairs.length,
      fsyncs: this.wal.stats.fsyncs,
      bytes: this.wal.stats.bytes,
      walBytes: this.wal.diskBytes(),
      walSegments: this.wal.stats.segments,
    });
    for (const r of this.repairs) {
      const { file, offset, reason, detail, droppedBytes, deletedFiles, obsolete } = r;
      core.logger.warn(
        { event: "log_repair", file, offset, reason, detail, droppedBytes, deletedFiles, obsolete },
        repairMessage(r),
      );
    }
    for (const r of this.lmdbRepairs)
      core.logger.warn({ event: "lmdb_repair", ...r }, lmdbRepairMessage(r));
    const specs = [...this.checkpoint.specs].sort((a, b) => b.loadOrder - a.loadOrder);
    for (const spec of specs) this.loadTable(spec);
    this.replaying = true;
    let replayed = 0;
    const S = this.checkpoint.position;
    for (const e of this.recovered) {
      const payload = decodeWalPayload(e.bytes);
      // Up to the checkpoint, only the writes of disc_copies tables whose snapshot is older (and
      // of LMDB tables when LMDB is behind the checkpoint; what it holds is skipped as always).
      const ops =
        e.position > S
          ? payload.ops
          : payload.ops.filter(
              (op) =>
                !isSchemaOp(op) &&
                (e.position > this.snapshotPosition(op.table) ||
                  (this.lmdbBehind && this.storageOf(op.table) === "disc_only_copies")),
            );
      if (ops.length === 0) continue;
      // Records are built for their table's attributes, also for a table the entry creates.
      const created = new Map<string, RecordShape>();
      const shapeOf = (table: string): RecordShape | undefined =>
        created.get(table) ?? this.core?.tables.get(table);
      const revived = ops.map((op) => {
        if (op.op === "create_table") created.set(op.spec.name, shapeOfSpec(op.spec));
        return this.revive(op, shapeOf);
      });
      // Replayed entries count as logged since the snapshots (and replayed schema changes force
      // their table's next snapshot), exactly as when they were first written.
      this.noteLogged(revived, e.bytes.length, e.position);
      core.replay({
        position: e.position,
        activity: { kind: payload.kind, id: payload.id },
        ops: revived,
      });
      replayed++;
    }
    this.replaying = false;
    this.recovered.length = 0;
    // A ram_copies table starts empty, or with its dumpTables content: what the replay rebuilt of
    // a table that became ram_copies in the log is not kept.
    for (const t of core.tables.values()) {
      if (t.spec.storage !== "ram_copies" || this.loadedRamDumps.has(t)) continue;
      if (t.store.size() > 0) {
        t.store.clear();
        t.rebuildIndexes();
      }
    }
    this.loadedRamDumps.clear();
    this.writesAtDump = this.log.writes;
    for (const [name, ref] of this.files) {
      this.snapshotBytes.set(name, fileSize(this.layout.file(ref.file)));
    }
    core.log.subscribe(() => this.afterEntry());
    if (this.config.dumpDiscCopiesAtStartup && replayed > 0) await this.runDump(true, "startup");
    // Infinity: no timed dumps (only dumpLogWriteThreshold's).
    if (this.config.dumpLogTimeThreshold !== Infinity) {
      this.timer = setInterval(() => this.maybeDump(), this.config.dumpLogTimeThreshold);
      this.timer.unref();
    }
    // Subscribers can only exist once open() has returned.
    setImmediate(() => {
      for (const r of this.repairs) core.events.emitSystem(repairEvent(r));
      for (const r of this.lmdbRepairs) core.events.emitSystem(lmdbRepairEvent(r));
    });
  }

  /** The log position of a disc_copies table's snapshot in the checkpoint (Infinity: not one). */
  private snapshotPosition(table: string): number {
    const t = this.core!.tables.get(table);
    const ref = this.files.get(table);
    if (t === undefined || t.spec.storage !== "disc_copies" || ref === undefined) return Infinity;
    return ref.cookie === t.spec.cookie ? ref.position : Infinity;
  }

  private loadTable(spec: TableSpec): void {
    const core = this.core!;
    const t = core.createLiveTable(spec);
    const ref = this.files.get(spec.name);
    const loads =
      ref !== undefined &&
      ref.cookie === spec.cookie &&
      (spec.storage === "disc_copies" || (spec.storage === "ram_copies" && ref.ram === true));
    if (loads) {
      const attrs = spec.attributes;
      for (const r of readTableSnapshot(this.layout, ref)) {
        // Decoded records are fresh objects written from stored ones: freeze them in place when
        // every attribute is a primitive, instead of copying (half the work of a load).
        const rec = isFlatRecord(r, attrs) ? Object.freeze(r) : t.buildRecord(r);
        t.store.write(t.keyOf(rec), rec);
      }
      t.rebuildIndexes();
      if (spec.storage === "ram_copies") this.loadedRamDumps.add(t);
    }
    core.addLiveTable(t);
  }

  /** A logged op as decoded from the WAL, with its records frozen as the live table would. */
  private revive(op: ReadOp, shapeOf: (table: string) => RecordShape | undefined): LogOp {
    switch (op.op) {
      case "load_file": {
        // A restore's records, from the snapshot file the entry names.
        const t = shapeOf(op.table);
        const file = op.file;
        if (t === undefined) return { op: "load_table", table: op.table, records: [], file };
        const attrs = t.spec.attributes;
        const records = readSnapshot(this.layout.file(file)).records.map((r) =>
          isFlatRecord(r as object, attrs) ? Object.freeze(r as Rec) : t.buildRecord(r as object),
        );
        return { op: "load_table", table: op.table, records, file };
      }
      case "write":
      case "delete_object": {
        const t = shapeOf(op.table);
        if (t === undefined) return op;
        const record = t.buildRecord(op.record);
        return { ...op, key: t.keyOf(record), record };
      }
      case "delete":
      case "update_counter":
        return { ...op, key: freezeValue(op.key) as Key };
      case "transform_table":
      case "change_copy_type": {
        if (op.records === undefined) return op;
        const build = storedRecordBuilder(op.spec);
        return { ...op, records: op.records.map(build) } as LogOp;
      }
      default:
        return op;
    }
  }

  // ---- applying -------------------------------------------------------------------------------

  /**
   * Entries that change LMDB tables apply in one LMDB transaction with their position. That commit
   * can fail (a full disc): so that nothing of the entry stays, its LMDB writes go first and its
   * writes to RAM tables only once they are committed, and the events it queued are dropped.
   */
  private applyEntry(entry: LogEntry): void {
    const core = this.core!;
    const env = this.env;
    if (env === undefined || !entry.ops.some((op) => this.changesLmdb(op))) {
      core.applier.apply(entry);
      return;
    }
    // Schema ops must stay in order with the rest; data ops on distinct tables commute.
    const split = !entry.ops.some(isSchemaOp);
    const first = split ? { ...entry, ops: entry.ops.filter((op) => this.changesLmdb(op)) } : entry;
    const mark = core.events.queued;
    try {
      env.batch(() => {
        core.applier.apply(first);
        env.setAppliedPosition(entry.position);
      });
    } catch (e) {
      core.events.discardFrom(mark);
      throw e;
    }
    if (split && first.ops.length < entry.ops.length) {
      core.applier.apply({ ...entry, ops: entry.ops.filter((op) => !this.changesLmdb(op)) });
    }
  }

  private changesLmdb(op: LogOp): boolean {
    return !isSchemaOp(op) && this.storageOf(op.table) === "disc_only_copies";
  }

  private lmdb(): LmdbEnv {
    this.env ??= LmdbEnv.open(this.layout.lmdb, this.lmdbOptions());
    return this.env;
  }

  private static lmdbName(spec: TableSpec): string {
    return lmdbTableName(spec.name, spec.cookie);
  }

  private readonly makeStore: StoreFactory = (spec, buildRecord, fresh) => {
    if (spec.storage !== "disc_only_copies") return makeRamStore(spec.type, spec.attributes[0]!);
    const env = this.lmdb();
    const name = DiscStorage.lmdbName(spec);
    env.closeTable(name);
    const store = env.openTable(name, spec.type, spec.attributes[0]!, buildRecord, spec.name);
    if (fresh) store.clear();
    return store;
  };

  private readonly hooks: ApplierHooks = {
    makeStore: this.makeStore,
    holdsContent: (t, position) =>
      this.replaying && t.spec.storage === "disc_only_copies" && position <= this.lmdbApplied,
    changeCopyType: (t, op, position) => this.changeCopyType(t, op, position),
  };

  private changeCopyType(
    t: LiveTable,
    op: Extract<SchemaOp, { op: "change_copy_type" }>,
    position: number,
  ): void {
    const from = t.spec.storage;
    const to = op.spec.storage;
    let store: TableStore = t.store;
    if (to === "disc_only_copies") {
      const holds = this.replaying && position <= this.lmdbApplied;
      const env = this.lmdb();
      const lmdbStore = this.makeStore(op.spec, t.buildRecord, !holds);
      if (!holds) {
        const records = op.records ?? [...t.store.records()];
        env.batch(() => {
          for (const r of records) lmdbStore.write(t.keyOf(r), r);
          env.setAppliedPosition(position);
        });
      }
      store = lmdbStore;
    } else if (from === "disc_only_copies" || op.records !== undefined) {
      // Into RAM: from LMDB (whose sub-database is dropped at the next checkpoint), or from the
      // records the log carries (a ram_copies table's content, never logged before).
      store = makeRamStore(op.spec.type, op.spec.attributes[0]!);
      for (const r of op.records ?? t.store.records()) store.write(t.keyOf(r), r);
      if (from === "disc_only_copies") this.env?.closeTable(DiscStorage.lmdbName(t.spec));
    }
    t.replaceStore(op.spec, store);
  }

  // ---- dumping --------------------------------------------------------------------------------

  /** Log bytes per table since its snapshot; schema changes force a table's next snapshot. */
  private noteLogged(ops: readonly LogOp[], bytes: number, position: number): void {
    const share = bytes / ops.length;
    this.logBytes += bytes;
    // Runs of ops on one table are added up first: a restore is a million writes to one table.
    let table: string | undefined;
    let sum = 0;
    const flush = (): void => {
      if (table !== undefined) {
        this.tableLogBytes.set(table, (this.tableLogBytes.get(table) ?? 0) + sum);
      }
      table = undefined;
      sum = 0;
    };
    // The entry is not applied yet: a table it creates is known by its create_table op only.
    // (Made only when needed: this runs for every commit to a disc table.)
    let created: Map<string, TableSpec> | undefined;
    for (const op of ops) {
      if (op.op === "load_table") {
        flush();
        this.lastChange.set(op.table, position);
        const spec = created?.get(op.table) ?? this.core?.tables.get(op.table)?.spec;
        this.adoptSnapshot(spec, op.file, position);
        continue;
      }
      if (op.op === "create_table") (created ??= new Map()).set(op.spec.name, op.spec);
      if (!isSchemaOp(op)) {
        if (op.table !== table) {
          flush();
          table = op.table;
          this.lastChange.set(table, position);
        }
        sum += share;
        continue;
      }
      flush();
      if (op.op === "delete_table") {
        this.tableLogBytes.delete(op.table);
        this.lastChange.delete(op.table);
        this.forced.delete(op.table);
      } else {
        this.forced.set(op.spec.name, position);
      }
    }
    flush();
  }

  /** The snapshot file of a disc_copies table when the table holds exactly its records. */
  private cleanSnapshot(table: string): string | undefined {
    const t = this.core?.tables.get(table);
    const ref = this.files.get(table);
    if (
      t === undefined ||
      t.spec.storage !== "disc_copies" ||
      ref === undefined ||
      ref.cookie !== t.spec.cookie ||
      this.forced.has(table) ||
      (this.lastChange.get(table) ?? 0) > ref.position
    ) {
      return undefined;
    }
    return this.layout.file(ref.file);
  }

  /**
   * A restore's snapshot file becomes the table's snapshot at `position` (the entry that loads
   * it): the table holds exactly that file's records there, so it has nothing logged since.
   */
  private adoptSnapshot(
    spec: TableSpec | undefined,
    file: string | undefined,
    position: number,
  ): void {
    if (file === undefined || spec === undefined || spec.storage !== "disc_copies") return;
    const table = spec.name;
    this.files.set(table, { file, position, cookie: spec.cookie });
    this.snapshotBytes.set(table, fileSize(this.layout.file(file)));
    this.tableLogBytes.set(table, 0);
    this.logBytesAtSnapshot.set(table, this.logBytes);
    this.forced.delete(table);
  }

  /**
   * restore into disc_copies tables: writes each table's new content as a snapshot file, then
   * calls `commit` with the file names, which appends the entry that loads them (load_table ops
   * naming the files). No dump runs meanwhile, so none can drop the files before the entry names
   * them; if anything fails, the files are removed and nothing changed.
   */
  async writeTableFiles(
    tables: readonly TableFile[],
    commit: (files: ReadonlyMap<string, string>) => void,
  ): Promise<void> {
    const work = (async () => {
      const written = new Map<string, string>();
      try {
        for (const { spec, count, blocks } of tables) {
          const file = this.layout.restoreName(spec.name);
          written.set(spec.name, file);
          await writeSnapshotBlocks(
            this.layout.file(file),
            { table: spec.name, position: this.log.position, meta: { cookie: spec.cookie } },
            count,
            blocks,
            this.layout.modes.file,
          );
        }
        commit(written);
      } catch (e) {
        for (const file of written.values()) fs.rmSync(this.layout.file(file), { force: true });
        throw e;
      }
    })();
    await this.exclusive(work);
  }

  /** Runs `work` with no dump running and none starting until it is done. */
  private async exclusive(work: Promise<void>): Promise<void> {
    while (this.dumping !== undefined) await this.dumping.catch(() => undefined);
    this.dumping = work.finally(() => {
      this.dumping = undefined;
    });
    return this.dumping;
  }

  private afterEntry(): void {
    if (this.log.writes - this.writesAtDump >= this.config.dumpLogWriteThreshold) {
      this.writesAtDump = this.log.writes;
      this.maybeDump();
    }
  }

  /**
   * The disc_copies tables whose snapshot a dump rewrites. Mnesia rewrites a table's DCD when its
   * own log (DCL) exceeds DCD / dc_dump_limit; Mneme does the same with the log bytes of each
   * table, and also rewrites a table whose old snapshot holds back more log than the whole data
   * is large (so a big table under a trickle of writes cannot make the log grow forever). A
   * table whose definition changed since its snapshot, or that has none, is always rewritten.
   * `all` (dump_log) rewrites every table with anything logged since its snapshot.
   */
  private dueTables(all: boolean): LiveTable[] {
    const due: LiveTable[] = [];
    let dataBytes = 0;
    for (const b of this.snapshotBytes.values()) dataBytes += b;
    for (const t of this.core!.tables.values()) {
      if (t.spec.storage !== "disc_copies") continue;
      const ref = this.files.get(t.name);
      const own = this.tableLogBytes.get(t.name) ?? 0;
      const size = this.snapshotBytes.get(t.name) ?? 0;
      const held = this.logBytes - (this.logBytesAtSnapshot.get(t.name) ?? 0);
      if (
        ref === undefined ||
        ref.cookie !== t.spec.cookie ||
        this.forced.has(t.name) ||
        (all && own > 0) ||
        own * this.config.dcDumpLimit >= size ||
        (held > 0 && held >= dataBytes)
      ) {
        due.push(t);
      }
    }
    return due;
  }

  /** A dump is due (write or time threshold): a checkpoint if any table's snapshot is due. */
  private maybeDump(): void {
    if (this.dumping !== undefined || this.dueTables(false).length === 0) return;
    this.runDump(false, "threshold").catch((e: unknown) => {
      this.core?.events.emitSystem({
        type: "mnesia_error",
        message: `dumping the log failed: ${(e as Error).message}`,
        details: e,
      });
    });
  }

  /** Writes a checkpoint now (dump_log); resolves when it is on disc and the log is cut. */
  dump(): Promise<void> {
    return this.runDump(true, "dump_log");
  }

  private async runDump(
    all: boolean,
    why: DumpReason,
    extraRam: readonly string[] = [],
  ): Promise<void> {
    while (this.dumping !== undefined) await this.dumping.catch(() => undefined);
    const start = performance.now();
    this.dumping = this.dumpOnce(all, extraRam)
      .then(
        (done) => this.dumped(why, done, performance.now() - start),
        (e: unknown) => {
          this.dumpFailed(why, e, performance.now() - start);
          throw e;
        },
      )
      .finally(() => {
        this.dumping = undefined;
      });
    return this.dumping;
  }

  /** Counts a dump and logs it: at debug when a threshold started it (often), else at info. */
  private dumped(why: DumpReason, done: DumpDone, ms: number): void {
    this.stats.dumps++;
    this.stats.dumpMs += ms;
    this.stats.dumpBytes += done.bytes;
    const logger = this.core?.logger;
    if (logger === undefined || !logger.enabled) return;
    const fields = {
      event: "dump",
      reason: why,
      position: done.position,
      tables: done.tables,
      bytes: done.bytes,
      ms: Math.round(ms),
    };
    const msg =
      `log dumped at position ${done.position} (${why}): ${done.tables.length} table snapshots ` +
      `written, ${done.bytes} bytes, in ${fields.ms} ms`;
    if (why === "threshold") logger.debug(fields, msg);
    else logger.info(fields, msg);
  }

  private dumpFailed(why: DumpReason, e: unknown, ms: number): void {
    this.stats.dumpFailures++;
    this.core?.logger.error(
      { event: "dump_failed", reason: why, ms: Math.round(ms), err: e },
      `dumping the log (${why}) failed: ${errorMessage(e)}; the log is kept, and the dump is ` +
        "tried again at the next one",
    );
  }

  private async dumpOnce(all: boolean, extraRam: readonly string[] = []): Promise<DumpDone> {
    const core = this.core!;
    // Everything below is taken in one synchronous step, so it is the state at `position`.
    const position = core.log.position;
    const walPosition = this.wal.lastPosition;
    const specs = [...core.tables.values()].map((t) => t.spec);
    const contents = new Map<string, readonly Rec[]>();
    const kept: SnapshotFiles = new Map();
    const advanced: string[] = [];
    const due = new Set(this.dueTables(all));
    for (const t of core.tables.values()) {
      const ref = this.files.get(t.name);
      if (due.has(t) || extraRam.includes(t.name)) {
        contents.set(t.name, [...t.store.records()]);
      } else if (ref !== undefined && ref.cookie === t.spec.cookie) {
        // A disc_copies table keeps a snapshot that is not due; a ram_copies table keeps only
        // what dumpTables wrote while it was ram_copies.
        if (this.cleanSnapshot(t.name) !== undefined) {
          // Nothing logged for it since: the file is its content now, so the log before this
          // checkpoint is no longer needed for it (a quiet table does not pin old segments).
          kept.set(t.name, { ...ref, position });
          advanced.push(t.name);
        } else if (
          t.spec.storage === "disc_copies" ||
          (t.spec.storage === "ram_copies" && ref.ram === true)
        )
          kept.set(t.name, ref);
      }
    }
    const logBytesAtStart = this.logBytes;
    const ownAtStart = new Map(this.tableLogBytes);
    this.wal.startNewSegment();
    // Everything LMDB applied so far is on disc once sync() resolves: the checkpoint says so.
    const lmdbApplied = this.env?.appliedPosition();
    await this.env?.sync();
    // The checkpoint records walPosition, which a later open requires the log to reach (tables
    // with older snapshots need the records up to it): so they are on disc before it is.
    await this.wal.whenDurable(walPosition, "fsync");
    const { files, tableBytes } = await writeCheckpoint(this.layout, {
      position,
      walPosition,
      specs,
      contents,
      kept,
      ram: new Set(extraRam),
      live: this.files,
      lmdbApplied,
    });
    this.files = files;
    for (const [name, at] of [...this.forced]) {
      if (at <= position && files.get(name)?.position === position) this.forced.delete(name);
    }
    for (const [name, bytes] of tableBytes) {
      this.snapshotBytes.set(name, bytes);
      this.logBytesAtSnapshot.set(name, logBytesAtStart);
      // What was logged for the table while its snapshot was written still counts.
      this.tableLogBytes.set(
        name,
        (this.tableLogBytes.get(name) ?? 0) - (ownAtStart.get(name) ?? 0),
      );
    }
    for (const name of advanced) this.logBytesAtSnapshot.set(name, logBytesAtStart);
    for (const name of this.snapshotBytes.keys()) {
      if (!files.has(name)) this.snapshotBytes.delete(name);
    }
    // The log is needed from the oldest snapshot of a disc_copies table on.
    let keepFrom = position;
    for (const t of core.tables.values()) {
      const ref = files.get(t.name);
      if (t.spec.storage === "disc_copies" && ref !== undefined)
        keepFrom = Math.min(keepFrom, ref.position);
    }
    if (this.walFloor !== undefined) keepFrom = Math.min(keepFrom, this.walFloor() - 1);
    this.wal.truncateBefore(keepFrom + 1);
    this.dropStaleLmdbTables();
    let bytes = 0;
    for (const b of tableBytes.values()) bytes += b;
    return { position, tables: [...tableBytes.keys()], bytes };
  }

  /** dump_tables: ram_copies tables are written too, and reloaded at the next start. */
  dumpTables(names: readonly string[]): Promise<void> {
    return this.runDump(false, "dump_tables", names);
  }

  private dropStaleLmdbTables(): void {
    const env = this.env;
    if (env === undefined) return;
    const live = new Set<string>();
    for (const t of this.core!.tables.values()) {
      if (t.spec.storage === "disc_only_copies") live.add(DiscStorage.lmdbName(t.spec));
    }
    for (const name of env.tableNames()) if (!live.has(name)) env.dropTable(name);
  }

  // ---- the log --------------------------------------------------------------------------------

  /** sync_log: everything logged so far is on disc when this resolves. */
  async syncLog(): Promise<void> {
    this.wal.flushSync(true);
  }

  get walStats(): Wal["stats"] {
    return this.wal.stats;
  }

  get usesLmdb(): boolean {
    return this.env !== undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer !== undefined) clearInterval(this.timer);
    if (this.dumping !== undefined) await this.dumping.catch(() => undefined);
    await this.wal.close();
    await this.env?.sync();
    await this.env?.close();
    this.lock.release();
  }
}

/**
 * What the checkpoint and the LMDB tables say about the log. Records at or below the oldest
 * disc_copies snapshot are in every snapshot (and LMDB is synced before a checkpoint is written):
 * no longer needed. The LMDB tables hold every entry up to their applied position, and the log
 * reached the checkpoint's walPosition when it was taken: a log ending before either, once past
 * what is no longer needed, has lost records whose other half is kept.
 */
export function walBounds(
  layout: DirLayout,
  checkpoint: Checkpoint,
  lmdbApplied: number,
): RecoveryBounds {
  let obsoleteThrough = checkpoint.position;
  for (const spec of checkpoint.specs) {
    const ref = checkpoint.files.get(spec.name);
    if (spec.storage === "disc_copies" && ref !== undefined && ref.cookie === spec.cookie) {
      obsoleteThrough = Math.min(obsoleteThrough, ref.position);
    }
  }
  // LMDB behind the checkpoint (an older meta page): the replay needs the log from its position.
  if (lmdbApplied < (checkpoint.lmdbApplied ?? 0)) {
    obsoleteThrough = Math.min(obsoleteThrough, lmdbApplied);
  }
  const required =
    lmdbApplied > checkpoint.walPosition
      ? { position: lmdbApplied, holder: `the LMDB environment ${layout.lmdb}` }
      : { position: checkpoint.walPosition, holder: `the checkpoint ${layout.schema}` };
  return { obsoleteThrough, ...(required.position > obsoleteThrough ? { required } : {}) };
}

function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

function lmdbRepairMessage(r: LmdbRepair): string {
  return `the LMDB file was damaged: ${r.file} at offset ${r.offset}: ${r.reason}`;
}

function lmdbRepairEvent(r: LmdbRepair): SystemEvent {
  return { type: "mnesia_error", message: lmdbRepairMessage(r), details: r };
}

function repairMessage(r: RepairReport): string {
  const later = r.deletedFiles.filter((f) => f !== r.file).length;
  return r.obsolete
    ? `the log was damaged in ${r.file} at offset ${r.offset} (${r.reason}), which holds only ` +
        "records the checkpoint already holds: nothing was lost, the next checkpoint deletes the file"
    : `the log was damaged: ${r.droppedBytes} bytes cut from ${r.file} at offset ${r.offset} ` +
        `(${r.reason})${later > 0 ? `, and ${later} later segment files deleted` : ""}`;
}

function repairEvent(r: RepairReport): SystemEvent {
  return { type: "mnesia_error", message: repairMessage(r), details: r };
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** What a dump wrote: the tables whose snapshot it rewrote, and their bytes. */
interface DumpDone {
  readonly position: number;
  readonly tables: readonly string[];
  readonly bytes: number;
}
