// mneme/prometheus: db.metrics() under Prometheus names, in a prom-client registry. A separate
// entry point, so that only those who import it need prom-client (an optional peer dependency).
import { Counter, Gauge, type Registry } from "prom-client";
import type { MnemeMetrics } from "./db/metrics.js";
import { BadArgError } from "./errors.js";

export type { MnemeMetrics } from "./db/metrics.js";

/** Anything with metrics(): a Mneme database. */
export interface MetricsSource {
  metrics(): MnemeMetrics;
}

export interface RegisterMetricsOptions {
  /** Prefix of every name (default "mneme_"): two databases in one registry need two prefixes. */
  readonly prefix?: string;
}

type Numeric = {
  [K in keyof MnemeMetrics]: MnemeMetrics[K] extends number ? K : never;
}[keyof MnemeMetrics];

interface Def {
  readonly name: string;
  readonly help: string;
  readonly value: Numeric;
  /** Milliseconds reported in seconds, as Prometheus wants. */
  readonly ms?: true;
}

/** Counters since open: `<prefix><name>`, each ending in _total. */
const COUNTERS: readonly Def[] = [
  { name: "commits_total", help: "Transactions committed.", value: "commits" },
  { name: "restarts_total", help: "Transaction restarts after lock conflicts.", value: "restarts" },
  {
    name: "log_writes_total",
    help: "Operations logged (transaction_log_writes).",
    value: "logWrites",
  },
  {
    name: "dirty_writes_total",
    help: "Dirty writes, deletes and counter updates.",
    value: "dirtyWrites",
  },
  { name: "lock_waits_total", help: "Lock requests that had to wait.", value: "lockWaits" },
  {
    name: "lock_wait_seconds_total",
    help: "Time lock requests spent waiting.",
    value: "lockWaitMs",
    ms: true,
  },
  {
    name: "slow_lock_waits_total",
    help: "Lock waits that reached slowLockWaitMs.",
    value: "slowLockWaits",
  },
  { name: "dumps_total", help: "Log dumps (checkpoints) written.", value: "dumps" },
  { name: "dump_seconds_total", help: "Time spent dumping the log.", value: "dumpMs", ms: true },
  {
    name: "dump_bytes_total",
    help: "Bytes of the table snapshots dumps wrote.",
    value: "dumpBytes",
  },
  { name: "dump_failures_total", help: "Log dumps that failed.", value: "dumpFailures" },
  {
    name: "log_repairs_total",
    help: "Damage repaired or read past in the log at open.",
    value: "logRepairs",
  },
  {
    name: "wal_written_bytes_total",
    help: "Bytes written to the write-ahead log.",
    value: "walWrittenBytes",
  },
  { name: "wal_fsyncs_total", help: "fdatasync calls on the write-ahead log.", value: "walFsyncs" },
  {
    name: "subscriptions_dropped_total",
    help: "Subscriptions dropped for unread events.",
    value: "subscriptionsDropped",
  },
];

/** Gauges: the value now. */
const GAUGES: readonly Def[] = [
  { name: "wal_bytes", help: "Size of the write-ahead log's segment files.", value: "walBytes" },
  { name: "wal_segments", help: "Segment files of the write-ahead log.", value: "walSegments" },
  { name: "tables", help: "Tables, without the schema.", value: "tables" },
  { name: "records", help: "Records in all tables.", value: "records" },
  { name: "subscriptions", help: "Event subscriptions.", value: "subscriptions" },
  { name: "active_transactions", help: "Async transactions running.", value: "activeTransactions" },
  { name: "lock_queue", help: "Lock requests waiting.", value: "lockQueue" },
];

/**
 * Registers the database's metrics in `registry`; each scrape reads db.metrics() once. Returns a
 * function that removes them again (for a database that is closed and replaced).
 */
export function registerMetrics(
  db: MetricsSource,
  registry: Registry,
  options: RegisterMetricsOptions = {},
): () => void {
  const prefix = options.prefix ?? "mneme_";
  // One read per scrape: every collect of a scrape runs in the same tick.
  let current: MnemeMetrics | undefined;
  const read = (): MnemeMetrics => {
    if (current === undefined) {
      current = db.metrics();
      queueMicrotask(() => {
        current = undefined;
      });
    }
    return current;
  };
  const value = (d: Def): number => {
    const v = read()[d.value];
    return d.ms === true ? v / 1000 : v;
  };
  const names: string[] = [];
  const remove = () => {
    for (const n of names) registry.removeSingleMetric(n);
  };
  try {
    // A name is recorded once registered: a clash must not remove the other database's metric.
    for (const d of COUNTERS) {
      new Counter({
        name: prefix + d.name,
        help: d.help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(value(d));
        },
      });
      names.push(prefix + d.name);
    }
    new Counter({
      name: `${prefix}aborts_total`,
      help: "Transactions that failed, by abort reason.",
      labelNames: ["reason"],
      registers: [registry],
      collect() {
        this.reset();
        for (const [reason, n] of Object.entries(read().abortsByReason)) this.inc({ reason }, n);
      },
    });
    names.push(`${prefix}aborts_total`);
    for (const d of GAUGES) {
      new Gauge({
        name: prefix + d.name,
        help: d.help,
        registers: [registry],
        collect() {
          this.set(value(d));
        },
      });
      names.push(prefix + d.name);
    }
  } catch (e) {
    // A name taken already, or a prefix Prometheus refuses: nothing stays registered.
    remove();
    throw new BadArgError(
      `registerMetrics: ${(e as Error).message}; give each database its own prefix`,
      { value: prefix },
    );
  }
  return remove;
}
