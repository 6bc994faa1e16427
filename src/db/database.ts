// The public face of a database: lifecycle, schema, activities, dirty operations, SNMP, events.
// Each method is a thin entry into the layer that does the work.

import fs from "node:fs";
import {
  allKeys,
  fold,
  indexMatchObject,
  indexRead,
  matchObject,
  selectAll,
  step,
} from "../access/reads.js";
import { backupAll, backupCheckpoint, traverseBackup } from "../backup/backup.js";
import { type CheckpointArgs, Checkpoints } from "../backup/checkpoints.js";
import { type FallbackOptions, installFallback, uninstallFallback } from "../backup/fallback.js";
import { applyPendingFallback } from "../backup/fallback-apply.js";
import { fileBackupModule, fileBackupModuleWithMode } from "../backup/file-module.js";
import type { BackupItem, BackupModule } from "../backup/module.js";
import { type RestoreOptions, restore } from "../backup/restore.js";
import { dumpToTextfile, loadTextfile } from "../backup/textfile.js";
import { ControlServer } from "../control/server.js";
import { acquireDirLock } from "../disc/dir-lock.js";
import { DiscStorage } from "../disc/disc-storage.js";
import { DirLayout } from "../disc/layout.js";
import {
  AlreadyExistsError,
  BadArgError,
  BadTypeError,
  CombineError,
  errorDescription,
  fileError,
  NoExistsError,
  NotRunningError,
  TransactionAborted,
} from "../errors.js";
import type { EventCategory, EventFor, SubscribeOptions } from "../events/event-types.js";
import { DEFAULT_MAX_BUFFERED, Subscription } from "../events/subscription.js";
import type { FileModes } from "../file-modes.js";
import type { Key } from "../keys/index.js";
import { LogSink } from "../observe/log-sink.js";
import type { QueryRun } from "../qlc/eval/cursor.js";
import { bindQuery, type QueryArg } from "../qlc/run.js";
import {
  type ReplicateOptions,
  type ReplicationHandle,
  type ReplicationHost,
  Replicator,
} from "../replicate/replicator.js";
import {
  type RestoreReplicaOptions,
  type RestoreReplicaResult,
  restoreReplica,
} from "../replicate/restore.js";
import type { RowIndex } from "../store/snmp.js";
import type {
  AccessModule,
  AsyncActivity,
  KeyArg,
  SyncActivity,
  TableRef,
} from "../txn/activity.js";
import {
  ActivityRunner,
  type SyncTransactionOptions,
  type TransactionOptions,
} from "../txn/run.js";
import type {
  AccessMode,
  ActivityId,
  ActivityKind,
  AnyRecord,
  AttributeList,
  AttrName,
  CounterOf,
  IndexValue,
  MatchPattern,
  MatchSpec,
  NoOptionalProperties,
  RecordArg,
  SelectResult,
  SnmpStruct,
  Table,
  TableDef,
  TableName,
} from "../types.js";
import { upgradeHistory } from "../upgrade/history.js";
import type {
  UpgradeOptions,
  UpgradePlan,
  UpgradeRecord,
  UpgradeResult,
} from "../upgrade/instruction.js";
import { runUpgrade } from "../upgrade/run.js";
import { type DbConfig, type OpenOptions, resolveConfig, validateAccessModule } from "./config.js";
import { DbCore } from "./core.js";
import {
  checkKey,
  dirtyDelete,
  dirtyDeleteObject,
  dirtyUpdateCounter,
  dirtyWrite,
} from "./dirty.js";
import {
  describeSystem,
  describeTables,
  type SystemInfoItem,
  type SystemInfoResult,
  systemInfo,
  type TableInfoItem,
  type TableInfoResult,
  tableInfo,
} from "./info.js";
import { collectMetrics, type MnemeMetrics } from "./metrics.js";
import { logFallbackApplied, logOpened, observeLocks } from "./observe.js";
import { SchemaOps } from "./schema-ops.js";
import {
  type CloseOnSignalsOptions,
  type CloseOptions,
  checkCloseOptions,
  createSchemaDir,
  installCloseOnSignals,
  warnSchemaInRam,
} from "./startup.js";

/** The activity id of dirty operations called outside any activity (Mnesia's {dirty, Pid}). */
const DIRTY_ID: ActivityId = Object.freeze({ kind: "async_dirty", id: 0 });

type ActivitySpec = ActivityKind | readonly ["transaction" | "sync_transaction", number];

function nameOf(ref: TableName): string {
  return typeof ref === "string" ? ref : ref?.name;
}

export class Mneme {
  private readonly core: DbCore;
  private readonly runner: ActivityRunner;
  private readonly schemaOps: SchemaOps;
  private readonly disc: DiscStorage | undefined;
  private readonly checkpoints: Checkpoints;
  private closing: Promise<void> | undefined;
  /** The control socket of a disc database (src/control), if it listens. */
  private control: ControlServer | undefined;
  private endDrain: (() => void) | undefined;
  private replicator: Replicator | undefined;
  readonly config: DbConfig;

  private constructor(config: DbConfig, disc: DiscStorage | undefined) {
    this.config = config;
    this.disc = disc;
    this.core = new DbCore(config.node, disc?.log);
    this.core.durability = config.durability;
    this.core.discSchema = disc !== undefined;
    if (config.logger !== undefined) this.core.logger = new LogSink(config.logger);
    observeLocks(this.core, config.slowLockWaitMs);
    this.runner = new ActivityRunner(this.core);
    this.schemaOps = new SchemaOps(this.core, () => this.runner.inTransaction());
    this.checkpoints = new Checkpoints(this.core);
    this.core.fallbackActivated = () => disc !== undefined && fs.existsSync(disc.layout.fallback);
    this.core.checkpointNames = (table) =>
      table === undefined ? this.checkpoints.names() : this.checkpoints.namesFor(table);
  }

  /**
   * Starts a database (mnesia:start/0 with its configuration). With a disc schema in `dir` (see
   * createSchema and `schemaLocation`), loads its tables and replays its log first.
   */
  static async open(options: OpenOptions = {}): Promise<Mneme> {
    const config = resolveConfig(options);
    const start = performance.now();
    const modes = { file: config.fileMode, dir: config.dirMode };
    if (config.create) {
      if (config.schemaLocation === "ram") {
        throw new CombineError(
          'create: true makes a disc schema, schemaLocation "ram" refuses one',
          {
            value: options,
          },
        );
      }
      createSchemaDir(config.dir, modes, true);
    }
    // An installed fallback becomes the database before it is opened.
    if (config.schemaLocation !== "ram") {
      const fallbackStart = performance.now();
      if (await applyPendingFallback(config.dir, config.node, undefined, modes)) {
        logFallbackApplied(config, performance.now() - fallbackStart);
      }
    }
    const disc = DiscStorage.open(config);
    // Mnesia's opt_disc, left as the default with a directory named: probably not meant.
    if (disc === undefined && options.schemaLocation === undefined && options.dir !== undefined) {
      warnSchemaInRam(config);
    }
    const db = new Mneme(config, disc);
    if (disc !== undefined) {
      try {
        await disc.attach(db.core);
      } catch (e) {
        await disc.close().catch(() => undefined);
        throw fileError(e, config.dir, "opening the database");
      }
    }
    if (disc !== undefined) {
      if (config.control) {
        db.control = await ControlServer.start(db, config.dir, {
          fileMode: config.fileMode,
          log: db.core.logger,
        });
      } else ControlServer.clearStale(config.dir);
    }
    logOpened(db.core, config, performance.now() - start);
    if (options.replicate !== undefined) {
      try {
        db.replicate(options.replicate);
      } catch (e) {
        await db.close();
        throw e;
      }
    }
    return db;
  }

  /**
   * mnesia:create_schema/1 for this node: makes `dir` hold an empty disc schema. Fails with
   * already_exists if it holds one, and dir_locked if a database has it open.
   */
  static async createSchema(options: {
    readonly dir: string;
    readonly node?: string;
    /** Modes of what is created (see OpenOptions): default 0o600 for files, 0o700 for directories. */
    readonly fileMode?: number;
    readonly dirMode?: number;
  }): Promise<void> {
    const { dir, node, fileMode, dirMode } = options;
    const config = resolveConfig({
      dir,
      ...(node ? { node } : {}),
      ...(fileMode === undefined ? {} : { fileMode }),
      ...(dirMode === undefined ? {} : { dirMode }),
    });
    // As Mnesia: the directory is created, its parent must exist.
    createSchemaDir(config.dir, { file: config.fileMode, dir: config.dirMode }, false);
  }

  /**
   * mnesia:delete_schema/1 for this node: removes the database files of `dir` (schema, snapshots,
   * log, LMDB tables). Fails with dir_locked while a database has it open.
   */
  static async deleteSchema(options: { readonly dir: string }): Promise<void> {
    if (!fs.existsSync(options.dir)) return;
    const lock = acquireDirLock(options.dir);
    try {
      const layout = new DirLayout(options.dir);
      fs.rmSync(layout.schema, { force: true });
      fs.rmSync(layout.wal, { recursive: true, force: true });
      fs.rmSync(layout.lmdb, { recursive: true, force: true });
      fs.rmSync(layout.fallbackStage, { recursive: true, force: true });
      fs.rmSync(layout.fallbackStageTmp, { recursive: true, force: true });
      for (const name of fs.readdirSync(options.dir)) {
        if (layout.isSnapshot(name) || name.endsWith(".DCD.tmp") || name.endsWith(".DAT.tmp")) {
          fs.rmSync(layout.file(name), { force: true });
        }
      }
    } finally {
      lock.release();
    }
  }

  /** The modes of the files and directories this database creates. */
  private get modes(): FileModes {
    return { file: this.config.fileMode, dir: this.config.dirMode };
  }

  /** This node's name. */
  get node(): string {
    return this.core.node;
  }

  /**
   * mnesia:stop/0. Running transactions fail with node_not_running, or with `drain` finish first
   * (see CloseOptions); subscribers get mnesia_down. A close without drain during a drain ends
   * the drain at once.
   */
  async close(options: CloseOptions = {}): Promise<void> {
    const { drain, timeoutMs } = checkCloseOptions(options);
    if (!drain) this.endDrain?.();
    this.closing ??= this.shutdown(drain, timeoutMs);
    return this.closing;
  }

  /**
   * Closes the database with a drain on SIGTERM and SIGINT, then exits with 128 + the signal's
   * number (see CloseOnSignalsOptions). Returns a function that removes the handlers.
   */
  closeOnSignals(options: CloseOnSignalsOptions = {}): () => void {
    return installCloseOnSignals((o) => this.close(o), this.config.logger, options);
  }

  /** Waits for the running transactions, at most timeoutMs, or until a plain close. */
  private drain(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        if (timer !== undefined) clearTimeout(timer);
        this.endDrain = undefined;
        resolve();
      };
      const timer = timeoutMs === Infinity ? undefined : setTimeout(done, timeoutMs);
      this.endDrain = done;
      void this.runner.whenIdle().then(done);
    });
  }

  private async shutdown(drain: boolean, timeoutMs: number): Promise<void> {
    if (!this.core.running) return;
    // At once (no await before the drain starts): no new control requests, clients dropped.
    const controlClosed = this.control?.close();
    if (drain) {
      this.core.draining = true;
      await this.drain(timeoutMs);
    }
    // Ships what was committed (the replicator reads the WAL, which is still open).
    await this.replicator?.stop();
    this.core.events.emitSystem({ type: "mnesia_down", node: this.core.node });
    this.core.running = false;
    this.core.locks.abortAll(
      () =>
        new NotRunningError(
          `the database on ${this.core.node} was closed while waiting for a lock`,
        ),
    );
    this.checkpoints.endAll();
    await controlClosed;
    await this.disc?.close();
    this.core.logger.info(
      { event: "close", node: this.core.node },
      `database on ${this.core.node} closed`,
    );
    await new Promise<void>((resolve) => queueMicrotask(resolve));
  }

  // ---- continuous replication (src/replicate) ---------------------------------------------------

  /**
   * Starts shipping this database's log to an object store (`file:///path` or
   * `s3://bucket/prefix`), with snapshots, compaction and retention; see ReplicateOptions. One
   * replicator per database; it stops when the database closes. Needs a disc schema.
   */
  replicate(options: ReplicateOptions): ReplicationHandle {
    this.core.assertRunning();
    const disc = this.disc;
    if (disc === undefined) {
      throw new NoExistsError("replicate needs a disc schema (the WAL is what is shipped)", {
        value: "schema",
      });
    }
    if (this.replicator !== undefined && this.replicator.status().state !== "stopped") {
      throw new AlreadyExistsError(`this database already replicates to ${this.replicator.url}`, {
        value: this.replicator.url,
      });
    }
    const { core, checkpoints } = this;
    const host: ReplicationHost = {
      node: core.node,
      dir: disc.layout.dir,
      walDir: disc.layout.wal,
      logPosition: () => core.log.position,
      // Only entries written to the WAL are shipped (writes to ram_copies tables are not logged).
      onAppend: (fn) =>
        core.log.subscribe((e) => {
          if ((e as { inWal?: boolean }).inWal === true) fn(e.position);
        }),
      snapshot: (file) => backupAll(core, checkpoints, file, fileBackupModule),
      setWalFloor: (floor) => {
        disc.walFloor = floor;
      },
      setAfterDurable: (fn) => {
        disc.log.afterDurable = fn;
      },
      reportMismatch: (message) =>
        core.events.emitSystem({ type: "mnesia_error", message, details: options.url }),
    };
    this.replicator = new Replicator(host, options);
    return this.replicator;
  }

  /**
   * Builds a database directory from a replica at the newest point not after `position` or
   * `timestamp` (default: the newest), verifying every object on the way (see
   * RestoreReplicaOptions). `dryRun` only returns the plan.
   */
  static restoreReplica(
    url: string,
    options: RestoreReplicaOptions,
  ): Promise<RestoreReplicaResult> {
    return restoreReplica(url, options);
  }

  // ---- checkpoints, backup, restore, text files ---------------------------------------------------

  /**
   * mnesia:activate_checkpoint/1: keeps a transaction-consistent view of the tables in `max` and
   * `min` (all storage types) while they go on changing. Returns the name and the nodes.
   */
  activateCheckpoint(args: CheckpointArgs): { name: string; nodes: string[] } {
    return this.checkpoints.activate(args);
  }

  /** mnesia:deactivate_checkpoint/1. */
  deactivateCheckpoint(name: string): void {
    this.checkpoints.deactivate(name);
  }

  /** mnesia:backup/2: a consistent backup of every table (default module: a local file path). */
  async backup(opaque: unknown, module?: BackupModule): Promise<void> {
    // The default file module writes the backup with the database's fileMode.
    module ??= fileBackupModuleWithMode(this.config.fileMode);
    this.core.assertRunning();
    await backupAll(this.core, this.checkpoints, opaque, module);
  }

  /** mnesia:backup_checkpoint/3: the tables of an active checkpoint, as they were at activation. */
  async backupCheckpoint(
    name: string,
    opaque: unknown,
    module: BackupModule = fileBackupModule,
  ): Promise<void> {
    await backupCheckpoint(this.checkpoints.get(name), opaque, module);
  }

  /**
   * mnesia:restore/2: restores tables from a backup as one transaction (all or nothing). Each
   * table is skipped, cleared and filled, kept and added to, or recreated from the backup's
   * definition, as the options say (default: clear_tables). Returns the restored tables.
   */
  async restore(opaque: unknown, options: RestoreOptions = {}): Promise<string[]> {
    return restore(this.core, opaque, options, options.module ?? fileBackupModule);
  }

  /** mnesia:traverse_backup/6: fn maps each item to the items to write and a new accumulator. */
  traverseBackup<A>(
    source: unknown,
    sourceModule: BackupModule,
    target: unknown,
    targetModule: BackupModule | "read_only",
    fn: (item: BackupItem, acc: A) => [readonly BackupItem[], A],
    acc: A,
  ): Promise<A> {
    return traverseBackup(source, sourceModule, target, targetModule, fn, acc);
  }

  /**
   * mnesia:install_fallback/2: checks the backup and installs it in this database's directory
   * (or in `mnesiaDir`, with scope "local"). At the next start there it replaces the whole
   * database (tables not in it are gone), then is removed. Needs a disc schema.
   */
  async installFallback(opaque: unknown, options: FallbackOptions = {}): Promise<void> {
    this.core.assertRunning();
    await installFallback(opaque, options, this.disc?.layout.dir, this.core.node, this.modes);
  }

  /**
   * mnesia:install_fallback/2 without a running database: installs into the default directory
   * ("Mnesia.<node>" in the working directory), or into `mnesiaDir` with scope "local".
   */
  static async installFallback(opaque: unknown, options: FallbackOptions = {}): Promise<void> {
    const { dir, node } = resolveConfig({});
    await installFallback(opaque, options, dir, node);
  }

  /** mnesia:uninstall_fallback/1: no_exists when no fallback is installed. */
  async uninstallFallback(options: FallbackOptions = {}): Promise<void> {
    this.core.assertRunning();
    await uninstallFallback(options, this.disc?.layout.dir);
  }

  /** mnesia:uninstall_fallback/1 without a running database (see the static installFallback). */
  static async uninstallFallback(options: FallbackOptions = {}): Promise<void> {
    await uninstallFallback(options, resolveConfig({}).dir);
  }

  /** mnesia:dump_to_textfile/1: every table's definition and records, as readable text. */
  dumpToTextfile(file: string): Promise<void> {
    this.core.assertRunning();
    return dumpToTextfile(this, file);
  }

  /** mnesia:load_textfile/1: creates the tables of a text file and writes its records. */
  loadTextfile(file: string): Promise<string[]> {
    this.core.assertRunning();
    return loadTextfile(this, file);
  }

  // ---- upgrades (src/upgrade) ---------------------------------------------------------------------

  /**
   * Runs a versioned upgrade (or, with `direction: "down"`, a downgrade): the ordered instructions
   * of `plan`, with a fallback installed before the first change. An error before the point of no
   * return leaves the database as it was (upgrade_aborted); after it, the database is closed and
   * the fallback brings back version `from` at the next open (upgrade_rolled_back). See UpgradePlan.
   */
  upgrade(plan: UpgradePlan, options: UpgradeOptions = {}): Promise<UpgradeResult> {
    this.core.assertRunning();
    this.schemaOps.refuseInTransaction("upgrade");
    return runUpgrade(this, { core: this.core, dir: this.disc?.layout.dir }, plan, options);
  }

  /** The upgrades run on this database, oldest first: versions, instructions, times, outcome. */
  upgrades(): UpgradeRecord[] {
    this.core.assertRunning();
    return upgradeHistory(this.core);
  }

  // ---- disc -------------------------------------------------------------------------------------

  /**
   * mnesia:dump_log/0: writes a checkpoint of the disc_copies tables now and cuts the log before
   * it. Returns "dumped" (a database without a disc schema has nothing to dump).
   */
  async dumpLog(): Promise<"dumped"> {
    this.core.assertRunning();
    await this.disc?.dump();
    return "dumped";
  }

  /** mnesia:sync_log/0: resolves once everything logged so far is fsynced. */
  async syncLog(): Promise<void> {
    this.core.assertRunning();
    await this.disc?.syncLog();
  }

  /**
   * mnesia:dump_tables/1: writes the content of ram_copies tables to disc; it is loaded again at
   * the next start. Needs a disc schema.
   */
  async dumpTables(tables: readonly TableName[]): Promise<void> {
    this.core.assertRunning();
    this.schemaOps.refuseInTransaction("dumpTables");
    const names = tables.map((t) => this.core.table(t).name);
    for (const n of names) {
      const t = this.core.table(n);
      if (t.spec.storage !== "ram_copies") {
        throw new BadTypeError(`dumpTables: ${n} is ${t.spec.storage}, not ram_copies`, {
          table: n,
          value: t.spec.storage,
        });
      }
    }
    if (this.disc === undefined) {
      throw new BadTypeError("dumpTables needs a disc schema; this database's schema is in RAM", {
        value: names,
      });
    }
    await this.disc.dumpTables(names);
  }

  /**
   * mnesia:change_table_copy_type/3: moves a table between ram_copies, disc_copies and
   * disc_only_copies while it stays online (the change is one step between two commits).
   */
  async changeTableCopyType(
    table: TableName,
    node: string,
    to: "ram_copies" | "disc_copies" | "disc_only_copies",
  ): Promise<void> {
    await this.schemaOps.changeTableCopyType(nameOf(table), node, to);
    // A table newly on disc gets its first snapshot now rather than at the next dump.
    if (to === "disc_copies") await this.disc?.dump();
  }

  // ---- schema -----------------------------------------------------------------------------------

  /** A typed handle for a table by name (no check that it exists; operations check). */
  table<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    name: string & NoOptionalProperties<T>,
  ): Table<T, K> {
    return Object.freeze({ name });
  }

  /**
   * mnesia:create_table/2. Returns the typed handle of the new table. The compiler checks the
   * attributes against the record type T (all of them, key K first) and refuses optional
   * properties (a record has every attribute: use `| null`).
   */
  async createTable<T extends object, K extends AttrName<T> = AttrName<T>>(
    name: string,
    def: TableDef<T, K> & NoOptionalProperties<T>,
  ): Promise<Table<T, K>> {
    await this.schemaOps.createTable(name, def as unknown as TableDef<object>);
    return Object.freeze({ name });
  }

  /**
   * createTable if the table does not exist; if it does, checks that its definition matches `def`
   * (attributes, type, storage on this node, index, recordName, accessMode, majority,
   * localContent, snmp) and fails with already_exists listing the differences otherwise.
   * loadOrder, userProperties and storageProperties may differ (the stored ones stay).
   */
  async ensureTable<T extends object, K extends AttrName<T> = AttrName<T>>(
    name: string,
    def: TableDef<T, K> & NoOptionalProperties<T>,
  ): Promise<Table<T, K>> {
    await this.schemaOps.ensureTable(name, def as unknown as TableDef<object>);
    return Object.freeze({ name });
  }

  async deleteTable(table: TableName): Promise<void> {
    await this.schemaOps.deleteTable(nameOf(table));
  }

  /**
   * mnesia:clear_table/1. Inside a transaction it throws nested_transaction at once, in the caller
   * (Mnesia aborts the calling transaction), where the other schema functions reject.
   */
  clearTable(table: TableName): Promise<void> {
    this.schemaOps.refuseInTransaction("clearTable");
    return (async () => this.schemaOps.clearTable(nameOf(table)))();
  }

  async addTableIndex<T extends object>(
    table: TableRef<T, AttrName<T>>,
    attribute: AttrName<T> | number,
  ): Promise<void> {
    await this.schemaOps.addTableIndex(nameOf(table), attribute);
  }

  async delTableIndex<T extends object>(
    table: TableRef<T, AttrName<T>>,
    attribute: AttrName<T> | number,
  ): Promise<void> {
    await this.schemaOps.delTableIndex(nameOf(table), attribute);
  }

  /**
   * mnesia:transform_table/3,4: `fn` maps each old record to one with `newAttributes`
   * (or "ignore": only the definition changes). Returns the handle typed with the new record type.
   */
  async transformTable<N extends object, O extends object = AnyRecord>(
    table: TableRef<O, AttrName<O>>,
    fn: ((record: Readonly<O>) => N) | "ignore",
    newAttributes: AttributeList<N> & NoOptionalProperties<N>,
    newRecordName?: string,
  ): Promise<Table<N>> {
    await this.schemaOps.transformTable(
      nameOf(table),
      fn as never,
      newAttributes as readonly string[],
      newRecordName,
    );
    return Object.freeze({ name: nameOf(table) });
  }

  async changeTableAccessMode(table: TableName, mode: AccessMode): Promise<void> {
    await this.schemaOps.changeTableAccessMode(nameOf(table), mode);
  }

  async changeTableLoadOrder(table: TableName, order: number): Promise<void> {
    await this.schemaOps.changeTableLoadOrder(nameOf(table), order);
  }

  async changeTableMajority(table: TableName, majority: boolean): Promise<void> {
    await this.schemaOps.changeTableMajority(nameOf(table), majority);
  }

  /** mnesia:wait_for_tables/2: resolves when all are loaded; rejects with TimeoutError naming the others. */
  async waitForTables(tables: readonly TableName[], timeoutMs: number): Promise<void> {
    return this.schemaOps.waitForTables(
      Array.isArray(tables) ? tables.map(nameOf) : (tables as never),
      timeoutMs,
    );
  }

  tableInfo<I extends TableInfoItem>(table: TableName, item: I): TableInfoResult<I> {
    return tableInfo(this.core, nameOf(table), item) as TableInfoResult<I>;
  }

  systemInfo<I extends SystemInfoItem>(item: I): SystemInfoResult<I> {
    return systemInfo(this.core, this.config, item) as SystemInfoResult<I>;
  }

  /**
   * Counters since open and gauges now, as a plain object (cheap: it reads counters and stats the
   * WAL's segment files). `registerMetrics` from "mneme/prometheus" exports them to prom-client.
   */
  metrics(): MnemeMetrics {
    return collectMetrics(this.core);
  }

  /** mnesia:info/0: prints (and returns) a description of the system. */
  info(print: (text: string) => void = (s) => process.stdout.write(s)): string {
    const text = describeSystem(this.core, this.config);
    print(text);
    return text;
  }

  /** mnesia:schema/0,1: prints (and returns) the definitions of all tables, or of one. */
  schema(
    table?: TableName,
    print: (text: string) => void = (s) => process.stdout.write(s),
  ): string {
    const names = table === undefined ? ["schema", ...this.core.tables.keys()] : [nameOf(table)];
    if (table !== undefined && !this.core.tables.has(names[0]!) && names[0] !== "schema") {
      throw new NoExistsError(`table ${names[0]} does not exist`, { table: names[0] });
    }
    const text = describeTables(this.core, names);
    print(text);
    return text;
  }

  /** mnesia:error_description/1. */
  errorDescription(error: unknown): string {
    return errorDescription(error);
  }

  // ---- activities -------------------------------------------------------------------------------

  /** mnesia:transaction/1,2 with an async body: operations return promises, locks may be waited for. */
  transaction<R>(
    fn: (tx: AsyncActivity) => Promise<R> | R,
    options: TransactionOptions = {},
  ): Promise<R> {
    return this.runner.runAsync("transaction", fn, options, undefined);
  }

  /**
   * A transaction with a synchronous body: it runs to completion without yielding, so nothing
   * interleaves with it, and returns the body's result directly. The fast path for local tables.
   */
  transactionSync<R>(fn: (tx: SyncActivity) => R, options?: SyncTransactionOptions): R {
    return this.runner.runSync("transaction", fn, undefined, options);
  }

  /** mnesia:sync_transaction: as transaction, and waits until the commit is durable (RAM: at once). */
  syncTransaction<R>(
    fn: (tx: AsyncActivity) => Promise<R> | R,
    options: TransactionOptions = {},
  ): Promise<R> {
    return this.runner.runAsync("sync_transaction", fn, options, undefined);
  }

  /**
   * A query (QLC) run as async_dirty: no locks, answers as promises. In a transaction use
   * tx.query, whose reads take the transaction's locks and see its own writes.
   */
  query<B, R>(q: QueryArg<B, R>): QueryRun<R, "async"> {
    return this.asyncDirty((ctx) => bindQuery(ctx, this.core, "async", q));
  }

  asyncDirty<R>(fn: (ctx: SyncActivity) => R): R {
    return this.runner.runDirty("async_dirty", fn, undefined);
  }

  syncDirty<R>(fn: (ctx: SyncActivity) => R): R {
    return this.runner.runDirty("sync_dirty", fn, undefined);
  }

  /** mnesia:ets/1: raw local access; no events are sent for its writes. */
  ets<R>(fn: (ctx: SyncActivity) => R): R {
    return this.runner.runDirty("ets", fn, undefined);
  }

  /**
   * mnesia:activity/2,4. A transaction kind takes an async body and returns a promise; a dirty kind a
   * synchronous body. The access module (default: the `accessModule` option) receives every operation.
   */
  activity<R>(
    kind:
      | "transaction"
      | "sync_transaction"
      | readonly ["transaction" | "sync_transaction", number],
    fn: (tx: AsyncActivity) => Promise<R> | R,
    accessModule?: AccessModule,
  ): Promise<R>;
  activity<R>(
    kind: "async_dirty" | "sync_dirty" | "ets",
    fn: (ctx: SyncActivity) => R,
    accessModule?: AccessModule,
  ): R;
  activity<R>(
    kind: ActivitySpec,
    fn: (ctx: never) => R | Promise<R>,
    accessModule?: AccessModule,
  ): R | Promise<R> {
    const mod = validateAccessModule("accessModule", accessModule) ?? this.config.accessModule;
    const [k, retries] = Array.isArray(kind) ? kind : [kind, Infinity];
    switch (k) {
      case "transaction":
      case "sync_transaction":
        return this.runner.runAsync(k, fn as never, { retries }, mod);
      case "async_dirty":
      case "sync_dirty":
      case "ets":
        return this.runner.runDirty(k, fn as never, mod);
      default:
        throw new BadArgError(`unknown activity kind ${String(k)}`, { value: kind });
    }
  }

  /** mnesia:is_transaction/0: true inside a transaction body, synchronous or async. */
  isTransaction(): boolean {
    return this.runner.inTransaction();
  }

  /** mnesia:abort/1 outside an activity: throws TransactionAborted with the reason. */
  abort(reason: unknown): never {
    throw new TransactionAborted(reason);
  }

  // ---- dirty operations -------------------------------------------------------------------------

  dirtyRead<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    key: KeyArg<T, K>,
  ): Readonly<T>[] {
    const t = this.core.table(table);
    return t.store.lookup(checkKey(t, key)) as unknown as T[];
  }

  dirtyWrite<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    record: NoInfer<RecordArg<T>>,
  ): void {
    dirtyWrite(this.core, DIRTY_ID, this.core.table(table), record);
  }

  dirtyDelete<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    key: KeyArg<T, K>,
  ): void {
    dirtyDelete(this.core, DIRTY_ID, this.core.table(table), key);
  }

  dirtyDeleteObject<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    record: NoInfer<RecordArg<T>>,
  ): void {
    dirtyDeleteObject(this.core, DIRTY_ID, this.core.table(table), record);
  }

  dirtyMatchObject<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    pattern: MatchPattern<T>,
  ): Readonly<T>[] {
    return matchObject(this.core.table(table).view, pattern) as unknown as T[];
  }

  /** mnesia:dirty_select/2; the result type follows the spec's body (see SelectResult). */
  dirtySelect<
    T extends object = AnyRecord,
    K extends AttrName<T> = AttrName<T>,
    const S extends MatchSpec<T> = MatchSpec<T>,
  >(table: TableRef<T, K>, spec: S): NoInfer<SelectResult<S, T>>[] {
    return selectAll(this.core.table(table).view, spec) as SelectResult<S, T>[];
  }

  dirtyAllKeys<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
  ): KeyArg<T, K>[] {
    return allKeys(this.core.table(table).view) as KeyArg<T, K>[];
  }

  /** First key in table order, or undefined ('$end_of_table'). */
  dirtyFirst<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
  ): KeyArg<T, K> | undefined {
    return this.core.table(table).store.first() as KeyArg<T, K> | undefined;
  }

  dirtyLast<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
  ): KeyArg<T, K> | undefined {
    return this.core.table(table).store.last() as KeyArg<T, K> | undefined;
  }

  dirtyNext<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    key: KeyArg<T, K>,
  ): KeyArg<T, K> | undefined {
    const t = this.core.table(table);
    return step(t.view, checkKey(t, key), "next") as KeyArg<T, K> | undefined;
  }

  dirtyPrev<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    key: KeyArg<T, K>,
  ): KeyArg<T, K> | undefined {
    const t = this.core.table(table);
    return step(t.view, checkKey(t, key), "prev") as KeyArg<T, K> | undefined;
  }

  dirtyIndexRead<
    T extends object = AnyRecord,
    K extends AttrName<T> = AttrName<T>,
    A extends AttrName<T> | number = AttrName<T> | number,
  >(table: TableRef<T, K>, value: NoInfer<IndexValue<T, A>>, attribute: A): Readonly<T>[] {
    return indexRead(this.core.table(table).view, value, attribute, false) as unknown as T[];
  }

  dirtyIndexMatchObject<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    pattern: MatchPattern<T>,
    attribute: AttrName<T> | number,
  ): Readonly<T>[] {
    return indexMatchObject(this.core.table(table).view, pattern, attribute) as unknown as T[];
  }

  /** mnesia:dirty_update_counter/3 on a table of {key, counter} records; returns the new value. */
  dirtyUpdateCounter<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    key: KeyArg<T, K>,
    incr: number | bigint,
  ): CounterOf<T, K> {
    return dirtyUpdateCounter(this.core, DIRTY_ID, this.core.table(table), key, incr) as CounterOf<
      T,
      K
    >;
  }

  /** dirty foldl in async_dirty, as a convenience equal to asyncDirty(ctx => ctx.foldl(...)). */
  dirtyFoldl<A, T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    fn: (record: Readonly<T>, acc: A) => A,
    acc: A,
  ): A {
    return fold(this.core.table(table).view, fn as never, acc, false);
  }

  // ---- SNMP -------------------------------------------------------------------------------------

  /**
   * mnesia:snmp_open_table/2: sets the table's snmp property (as the snmp option of createTable
   * does), so the table is ordered by SNMP row index and its keys must fit the SNMP key type.
   */
  snmpOpenTable(table: TableName, struct: SnmpStruct): void {
    this.schemaOps.snmpOpenTable(nameOf(table), struct);
  }

  /** mnesia:snmp_close_table/1: removes the snmp property. */
  snmpCloseTable(table: TableName): void {
    this.schemaOps.snmpCloseTable(nameOf(table));
  }

  /** The record at an SNMP row index, or undefined. */
  snmpGetRow<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    row: RowIndex,
  ): Readonly<T> | undefined {
    const t = this.snmpTable(table, row);
    const key = this.core.snmp.keyOf(t, row);
    return key === undefined
      ? undefined
      : (this.core.table(t).store.lookup(key)[0] as unknown as T | undefined);
  }

  /** The row index after `row` in lexicographic order ([] gives the first), or undefined at the end. */
  snmpGetNextIndex(table: TableName, row: RowIndex): RowIndex | undefined {
    return this.core.snmp.nextIndex(this.snmpTable(table, row), row);
  }

  /** The Mnesia key of a row index, or undefined. */
  snmpGetMnesiaKey(table: TableName, row: RowIndex): Key | undefined {
    return this.core.snmp.keyOf(this.snmpTable(table, row), row);
  }

  /** The name of an SNMP ordered table (Mnesia: badarg if it is not one, bad_type for a bad row). */
  private snmpTable(table: TableName, row: unknown): string {
    const t = this.core.table(table);
    if (!this.core.snmp.isOpen(t.name)) {
      throw new BadArgError(`table ${t.name} is not SNMP ordered (snmpOpenTable first)`, {
        table: t.name,
        value: row,
      });
    }
    if (!Array.isArray(row) || !row.every((n) => Number.isSafeInteger(n))) {
      throw new BadTypeError(`an SNMP row index of ${t.name} must be a list of integers`, {
        table: t.name,
        value: row,
      });
    }
    return t.name;
  }

  // ---- events -----------------------------------------------------------------------------------

  /**
   * mnesia:subscribe/1. Events arrive at `callback` if given, and through async iteration of the
   * returned subscription. Each call makes a new, independent subscription. At most
   * `options.maxBuffered` events (default 10,000) wait unread for the iterator; a subscriber that
   * falls further behind is dropped (see SubscribeOptions).
   */
  subscribe<C extends EventCategory>(
    category: C,
    callback?: (event: EventFor<C>) => void,
    options: SubscribeOptions = {},
  ): Subscription<EventFor<C>> {
    this.core.assertRunning();
    const hub = this.core.events;
    const maxBuffered = checkMaxBuffered(options);
    const onDrop = (s: Subscription<EventFor<C>>) => {
      this.core.stats.subscriptionsDropped++;
      this.core.logger.warn(
        { event: "subscription_dropped", category: s.category, maxBuffered: s.maxBuffered },
        `a subscription to ${s.category} was dropped: it left ${s.maxBuffered} events unread`,
      );
      hub.emitSystem({
        type: "subscription_dropped",
        category: s.category,
        reason: "overflow",
        maxBuffered: s.maxBuffered,
      });
    };
    if (category === "system" || category === "activity") {
      const sub = new Subscription<EventFor<C>>(
        category,
        callback,
        (s) => hub.remove(category, undefined, s as never),
        maxBuffered,
        onDrop,
      );
      hub.add(category, undefined, sub as never);
      return sub;
    }
    if (category === null || typeof category !== "object" || !("table" in category)) {
      throw new BadArgError(`cannot subscribe to ${String(category)}`, { value: category });
    }
    const mode = category.mode ?? "simple";
    if (mode !== "simple" && mode !== "detailed") {
      throw new BadArgError(`table event mode must be simple or detailed, got ${String(mode)}`, {
        value: category,
      });
    }
    const t = this.core.table(nameOf(category.table));
    const sub = new Subscription<EventFor<C>>(
      `${t.name} ${mode}`,
      callback,
      (s) => hub.remove(mode, t.name, s as never),
      maxBuffered,
      onDrop,
    );
    hub.add(mode, t.name, sub as never);
    return sub;
  }

  /** mnesia:unsubscribe/1 for a subscription returned by subscribe. */
  unsubscribe(subscription: Subscription<unknown>): void {
    subscription.unsubscribe();
  }

  /** mnesia:report_event/1: system subscribers receive {type: "mnesia_user", event}. */
  reportEvent(event: unknown): void {
    this.core.events.emitSystem({ type: "mnesia_user", event });
  }
}

/** subscribe's maxBuffered: a positive integer or Infinity. */
function checkMaxBuffered(options: SubscribeOptions): number {
  if (options === null || typeof options !== "object") {
    throw new BadArgError(`subscribe options must be an object, got ${String(options)}`, {
      value: options,
    });
  }
  const n = options.maxBuffered ?? DEFAULT_MAX_BUFFERED;
  if (n !== Infinity && (typeof n !== "number" || !Number.isInteger(n) || n < 1)) {
    throw new BadArgError(`maxBuffered must be a positive integer or Infinity, got ${String(n)}`, {
      value: n,
    });
  }
  return n;
}
