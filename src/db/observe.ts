// The database's log lines that are not tied to one layer: open, an applied fallback, slow lock
// waits. (Dumps, repairs and disc errors are logged by the disc storage, where they happen.)
import { LogSink } from "../observe/log-sink.js";
import type { SlowLockWait } from "../txn/locks.js";
import type { DbConfig } from "./config.js";
import type { DbCore } from "./core.js";

/**
 * Counts lock waits longer than `slowMs` (metrics), and logs them as warnings naming the waiter
 * and the holders.
 */
export function observeLocks(core: DbCore, slowMs: number): void {
  core.locks.slowWaitMs = slowMs;
  core.locks.onSlowWait = (w) => slowLockWait(core, w);
}

function slowLockWait(core: DbCore, w: SlowLockWait): void {
  if (!core.logger.enabled) return;
  // The wait-die timestamp is the transaction's across restarts; the activity id is its attempt's.
  const tx = (ts: number) => {
    for (const a of core.activeTransactions) if (a.ts === ts) return { ts, id: a.activityId.id };
    return { ts };
  };
  const holders = w.holderTs.map(tx);
  core.logger.warn(
    {
      event: "slow_lock_wait",
      table: w.table,
      key: w.key,
      lock: w.lock,
      mode: w.mode,
      waitedMs: w.waitedMs,
      waiter: tx(w.waiterTs),
      holders,
    },
    `a transaction (ts ${w.waiterTs}) has waited ${w.waitedMs} ms for a ${w.mode} lock on ` +
      `${w.lock}, held by ${holders.map((h) => `ts ${h.ts}`).join(", ") || "nobody (queued behind others)"}`,
  );
}

export function logOpened(core: DbCore, config: DbConfig, ms: number): void {
  if (!core.logger.enabled) return;
  let records = 0;
  for (const t of core.tables.values()) records += t.store.size();
  const fields = {
    event: "open",
    node: core.node,
    dir: config.dir,
    discSchema: core.discSchema,
    tables: core.tables.size,
    records,
    ms: Math.round(ms),
  };
  core.logger.info(
    fields,
    core.discSchema
      ? `database on ${core.node} opened from ${config.dir}: ${fields.tables} tables, ` +
          `${records} records, in ${fields.ms} ms`
      : `database on ${core.node} started with its schema in RAM (directory ${config.dir} not used)`,
  );
}

export function logFallbackApplied(config: DbConfig, ms: number): void {
  new LogSink(config.logger).info(
    { event: "fallback_applied", dir: config.dir, ms: Math.round(ms) },
    `the fallback installed in ${config.dir} replaced the database (in ${Math.round(ms)} ms)`,
  );
}
