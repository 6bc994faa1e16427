// The running database's internal state, shared by the public class, the activity contexts and the
// schema operations. Not exported from the package.

import type { DiscStorage } from "../disc/disc-storage.js";
import { NoExistsError, NotRunningError } from "../errors.js";
import { EventHub } from "../events/event-hub.js";
import { Applier } from "../log/applier.js";
import type { CommitLog, Durability, LogEntry, LogOp } from "../log/entry.js";
import { MemoryLog } from "../log/memory-log.js";
import { type LogSink, NO_LOG } from "../observe/log-sink.js";
import { LiveTable } from "../schema/live-table.js";
import type { TableSpec } from "../schema/table-spec.js";
import { SnmpOrdering } from "../store/snmp.js";
import { LockManager } from "../txn/locks.js";
import type { ActivityId, TableName } from "../types.js";

/** Counters since open: plain increments, cheap enough for every commit. */
export interface DbStats {
  commits: number;
  failures: number;
  restarts: number;
  logWrites: number;
  /** Dirty writes, deletes and counter updates (outside transactions). */
  dirtyWrites: number;
  /** Subscriptions dropped for leaving maxBuffered events unread. */
  subscriptionsDropped: number;
  /** Failed transactions by abort reason (see abortReasonLabel). */
  readonly aborts: Map<string, number>;
}

/** What the disc storage counts (see DiscStorage.counters). */
export interface DiscCounters {
  readonly dumps: number;
  readonly dumpMs: number;
  readonly dumpBytes: number;
  readonly dumpFailures: number;
  readonly repairs: number;
  readonly fsyncs: number;
  /** Bytes written to the WAL since open. */
  readonly bytes: number;
  /** The WAL's size now: its segment files. */
  readonly walBytes: number;
  readonly walSegments: number;
}

export class DbCore {
  readonly tables = new Map<string, LiveTable>();
  readonly events = new EventHub();
  readonly locks = new LockManager();
  readonly snmp = new SnmpOrdering();
  readonly log: CommitLog;
  readonly stats: DbStats = {
    commits: 0,
    failures: 0,
    restarts: 0,
    logWrites: 0,
    dirtyWrites: 0,
    subscriptionsDropped: 0,
    aborts: new Map(),
  };
  /** The `logger` option's sink (no-op without one). */
  logger: LogSink = NO_LOG;
  running = true;
  /** close({ drain: true }) is waiting for running transactions: no new ones start. */
  draining = false;
  /** The database's default durability for transactions on disc tables. */
  durability: Durability = "fsync";
  /** Whether the schema is on disc (disc_copies and disc_only_copies tables need it). */
  discSchema = false;
  /** Whether a fallback is installed (for systemInfo). */
  fallbackActivated: () => boolean = () => false;
  /** The active checkpoints (for systemInfo and tableInfo). */
  checkpointNames: (table?: string) => string[] = () => [];
  /** Counters of the disc storage, when there is one (for systemInfo and metrics). */
  discStats: (() => DiscCounters) | undefined;
  /**
   * The snapshot file of a disc_copies table that holds exactly that file's records (nothing
   * logged for it since), for checkpoints to keep instead of the records (disc storage).
   */
  cleanSnapshot: ((table: string) => string | undefined) | undefined;
  /** The file of a ram_copies table's last dumpTables, if any (disc storage). */
  ramDump: ((table: string) => string | undefined) | undefined;
  /** Writes restored disc_copies tables as snapshot files (disc storage; see restore.ts). */
  writeTableFiles: DiscStorage["writeTableFiles"] | undefined;
  private tsCounter = 0;
  private activityCounter = 0;
  /** Transactions currently running (for systemInfo('transactions')). */
  readonly activeTransactions = new Set<{ readonly activityId: ActivityId; readonly ts: number }>();

  readonly applier: Applier;
  /** Applies an entry to the tables (disc storage wraps it to group LMDB writes). */
  applyEntry: (entry: LogEntry) => void;

  constructor(
    readonly node: string,
    log: CommitLog = new MemoryLog(),
  ) {
    this.log = log;
    const applier = new Applier(
      this.tables,
      this.events,
      (t, key, before, after) => this.snmp.update(t, key, before, after),
      (t) => this.snmp.isOpen(t.name),
    );
    this.applier = applier;
    this.applyEntry = applier.apply;
    this.log.subscribe((entry) => this.applyEntry(entry));
    this.log.subscribe((entry) => {
      this.stats.logWrites += entry.ops.length;
    });
    this.log.subscribe((entry) => {
      for (const op of entry.ops) this.syncSnmp(op);
    });
  }

  /** Keeps the SNMP orderings in step with the tables' snmp property (createTable, snmpOpenTable, ...). */
  private syncSnmp(op: LogOp): void {
    if (op.op === "delete_table") {
      this.snmp.close(op.table);
      return;
    }
    if (op.op !== "create_table" && op.op !== "redefine_table" && op.op !== "transform_table") {
      return;
    }
    const t = this.tables.get(op.spec.name);
    if (t === undefined) return;
    if (t.spec.snmp === null) this.snmp.close(t.name);
    else if (op.op !== "redefine_table" || !this.snmp.isOpen(t.name))
      this.snmp.open(t, t.spec.snmp);
  }

  /** Applies an entry recovered from disc (it is in the log already; counters are not touched). */
  replay(entry: LogEntry): void {
    this.applyEntry(entry);
    for (const op of entry.ops) this.syncSnmp(op);
  }

  /** A live table for a definition loaded from disc, with the store its storage type calls for. */
  createLiveTable(spec: TableSpec): LiveTable {
    return new LiveTable(spec, this.applier.hooks.makeStore);
  }

  /** Adds a table loaded from disc (not through the log). */
  addLiveTable(t: LiveTable): void {
    this.tables.set(t.name, t);
    if (t.spec.snmp !== null) this.snmp.open(t, t.spec.snmp);
  }

  nextTs(): number {
    return ++this.tsCounter;
  }

  nextActivityId(kind: ActivityId["kind"]): ActivityId {
    return { kind, id: ++this.activityCounter };
  }

  /** A new transaction or activity may start: running and not draining (node_not_running). */
  assertAccepting(): void {
    this.assertRunning();
    if (this.draining) {
      throw new NotRunningError(
        `the database on ${this.node} is closing: it finishes the running transactions and starts no new ones`,
      );
    }
  }

  assertRunning(): void {
    if (!this.running) throw new NotRunningError(`the database on ${this.node} is closed`);
  }

  /** The live table named by a handle or a name; no_exists if there is none. */
  table(ref: TableName): LiveTable {
    const name = typeof ref === "string" ? ref : ref?.name;
    if (!this.running) {
      throw new NotRunningError(`the database on ${this.node} is closed`, { table: name });
    }
    const t = this.tables.get(name);
    if (t === undefined) {
      throw new NoExistsError(`table ${String(name)} does not exist`, { table: name });
    }
    return t;
  }
}
