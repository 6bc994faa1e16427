// db.metrics(): the database's counters and gauges as one plain object. The counters are plain
// increments where things happen (see DbStats, LockManager, DiscStats); this only reads them.
import type { DbCore } from "./core.js";

export interface MnemeMetrics {
  // Counters, since open.
  /** Transactions committed (also those that wrote nothing). */
  readonly commits: number;
  /** Transactions that failed, and the same by reason (see `abortsByReason`). */
  readonly aborts: number;
  /**
   * Failed transactions by reason: a Mnesia abort reason (`no_exists`, `bad_type`,
   * `node_not_running`, ...), `retries_exhausted`, `user` (`abort()` with the caller's own
   * reason) or `exception` (the body threw something else).
   */
  readonly abortsByReason: Readonly<Record<string, number>>;
  /** Transaction restarts after lock conflicts (wait-die, wounds). */
  readonly restarts: number;
  /** Operations logged: Mnesia's transaction_log_writes. */
  readonly logWrites: number;
  /** Dirty writes, deletes and counter updates. */
  readonly dirtyWrites: number;
  /** Lock requests that had to wait, their total wait (ms), and those that waited slowLockWaitMs. */
  readonly lockWaits: number;
  readonly lockWaitMs: number;
  readonly slowLockWaits: number;
  /** Log dumps (checkpoints): how many, their total time (ms), the snapshot bytes they wrote. */
  readonly dumps: number;
  readonly dumpMs: number;
  readonly dumpBytes: number;
  readonly dumpFailures: number;
  /** Damage found and repaired (or read past) in the log at open. */
  readonly logRepairs: number;
  /** Bytes written to the write-ahead log, and its fdatasyncs. */
  readonly walWrittenBytes: number;
  readonly walFsyncs: number;
  /** Subscriptions dropped for leaving too many events unread (maxBuffered). */
  readonly subscriptionsDropped: number;
  // Gauges, now.
  /** The write-ahead log's size on disc, and its segment files (0 without a disc schema). */
  readonly walBytes: number;
  readonly walSegments: number;
  /** Tables (without the schema), and the records in them. */
  readonly tables: number;
  readonly records: number;
  /** Subscriptions of every kind. */
  readonly subscriptions: number;
  /** Async transactions running, and lock requests waiting. */
  readonly activeTransactions: number;
  readonly lockQueue: number;
}

export function collectMetrics(core: DbCore): MnemeMetrics {
  const s = core.stats;
  const disc = core.discStats?.();
  let records = 0;
  for (const t of core.tables.values()) records += t.store.size();
  return {
    commits: s.commits,
    aborts: s.failures,
    abortsByReason: Object.fromEntries(s.aborts),
    restarts: s.restarts,
    logWrites: s.logWrites,
    dirtyWrites: s.dirtyWrites,
    lockWaits: core.locks.waits,
    lockWaitMs: core.locks.waitMs,
    slowLockWaits: core.locks.slowWaits,
    dumps: disc?.dumps ?? 0,
    dumpMs: disc?.dumpMs ?? 0,
    dumpBytes: disc?.dumpBytes ?? 0,
    dumpFailures: disc?.dumpFailures ?? 0,
    logRepairs: disc?.repairs ?? 0,
    walWrittenBytes: disc?.bytes ?? 0,
    walFsyncs: disc?.fsyncs ?? 0,
    subscriptionsDropped: s.subscriptionsDropped,
    walBytes: disc?.walBytes ?? 0,
    walSegments: disc?.walSegments ?? 0,
    tables: core.tables.size,
    records,
    subscriptions: core.events.count(),
    activeTransactions: core.activeTransactions.size,
    lockQueue: core.locks.queued(),
  };
}
