// Running activities: top-level transactions (sync and async bodies), restarts under wait-die,
// nested transactions (savepoints of the overlay), dirty activities, and the commit.
import { AsyncLocalStorage } from "node:async_hooks";
import { validateDurability } from "../db/config.js";
import type { DbCore } from "../db/core.js";
import { BadArgError, MnemeError, NoExistsError, TransactionAborted } from "../errors.js";
import type { Durability, LogEntry } from "../log/entry.js";
import type { ActivityKind } from "../types.js";
import type { AccessModule, Activity, AsyncActivity, Flavour, SyncActivity } from "./activity.js";
import { ActivityContext, abortedError, type TxnState, UserAbort } from "./context.js";
import { RestartSignal, TxLockState } from "./locks.js";
import { Overlay } from "./overlay.js";

export interface TransactionOptions {
  /** How many times the body may be restarted after a lock conflict (Mnesia's Retries). Default: Infinity. */
  readonly retries?: number;
  /** When the commit is acknowledged (disc tables); default: the database's `durability`. */
  readonly durability?: Durability;
}

export interface SyncTransactionOptions {
  /**
   * When the commit is acknowledged (disc tables). A synchronous body cannot wait for a group
   * commit: in "fsync" mode its own commit is fsynced before transactionSync returns.
   */
  readonly durability?: Durability;
}

type TxKind = Extract<ActivityKind, "transaction" | "sync_transaction">;
type DirtyKind = Extract<ActivityKind, "async_dirty" | "sync_dirty" | "ets">;

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v !== null &&
    (typeof v === "object" || typeof v === "function") &&
    typeof (v as { then?: unknown }).then === "function"
  );
}

function checkRetries(retries: unknown): number {
  if (retries === Infinity) return retries;
  if (typeof retries !== "number" || !Number.isInteger(retries) || retries < 0) {
    throw new BadArgError(
      `retries must be a non-negative integer or Infinity, got ${String(retries)}`,
      { value: retries },
    );
  }
  return retries;
}

/** A transaction cannot start, restart or commit on a closed database: {aborted, {node_not_running, Node}}. */
function assertRunning(core: DbCore, starting = false): void {
  try {
    // A closing database (close with drain) lets running transactions restart, not new ones start.
    if (starting) core.assertAccepting();
    else core.assertRunning();
  } catch (e) {
    throw abortedError(e);
  }
}

/** Applies a transaction's changes: one log entry, then the activity event. */
function commit(core: DbCore, ctx: ActivityContext, txn: TxnState): LogEntry | undefined {
  core.assertRunning();
  const ops = txn.overlay.ops();
  if (ops.length > 0) {
    for (const name of txn.overlay.tables.keys()) {
      if (!core.tables.has(name))
        throw new NoExistsError(`table ${name} was deleted during the transaction`, {
          table: name,
        });
    }
    const entry = core.log.append(ctx.activityId, ops);
    if (core.events.hasActivitySubscribers())
      core.events.emitActivity({ type: "complete", activityId: ctx.activityId });
    core.stats.commits++;
    return entry;
  }
  core.stats.commits++;
  return undefined;
}

/**
 * A failed transaction's abort reason for metrics: the Mnesia reason of a MnemeError, or
 * "retries_exhausted", "user" (abort() with the user's own reason, which may be anything), or
 * "exception" (the body threw something else). A small, fixed set: fit for metric labels.
 */
export function abortReasonLabel(e: TransactionAborted): string {
  const cause = e.cause;
  if (cause instanceof MnemeError) return cause.reason;
  if (cause instanceof RestartSignal) return "retries_exhausted";
  return cause === undefined ? "user" : "exception";
}

/** Counts a transaction that failed with `e`; returns `e`, to be thrown. */
function failed(core: DbCore, e: TransactionAborted): TransactionAborted {
  core.stats.failures++;
  const label = abortReasonLabel(e);
  core.stats.aborts.set(label, (core.stats.aborts.get(label) ?? 0) + 1);
  return e;
}

/** The durability a transaction waits for: sync_transaction always waits for the fsync. */
function durabilityOf(core: DbCore, kind: TxKind, asked: unknown): Durability {
  if (kind === "sync_transaction") return "fsync";
  return validateDurability("durability", asked) ?? core.durability;
}

export class ActivityRunner {
  /** Depth of synchronous transaction bodies running now (for isTransaction and nesting checks). */
  syncDepth = 0;
  /**
   * The transaction whose async body the current async context belongs to: schema functions
   * called through the database object from such a body (which has no other way to tell) refuse
   * with nested_transaction. A callback that outlives its transaction sees it done.
   */
  private readonly asyncBody = new AsyncLocalStorage<TxLockState>();
  /** Async transactions running now, until their commit is as durable as asked (close drains). */
  private inFlight = 0;
  private readonly idleWaiters: (() => void)[] = [];

  constructor(private readonly core: DbCore) {}

  /** Resolves once no async transaction is running. */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Whether code running now is part of a transaction body (sync, or async and not yet done). */
  inTransaction(): boolean {
    if (this.syncDepth > 0) return true;
    const lock = this.asyncBody.getStore();
    return lock !== undefined && !lock.done;
  }

  private readonly nest = (
    ctx: ActivityContext,
    fn: (tx: Activity<Flavour>) => unknown,
  ): unknown => {
    if (ctx.txn === undefined) {
      // A transaction inside a dirty activity is a transaction of its own (as in Mnesia).
      return ctx.flavour === "sync"
        ? this.runSync("transaction", fn as (tx: SyncActivity) => unknown, undefined)
        : this.runAsync(
            "transaction",
            fn as (tx: AsyncActivity) => Promise<unknown>,
            {},
            undefined,
          );
    }
    const txn = ctx.txn;
    const savepoint = txn.overlay.clone();
    const undo = (e: unknown): never => {
      // A restart concerns the whole transaction: let it through to the top.
      if (e instanceof RestartSignal || txn.lock.doomed !== undefined) throw e;
      txn.overlay = savepoint;
      throw abortedError(e);
    };
    const api = ctx as unknown as Activity<Flavour>;
    if (ctx.flavour === "sync") {
      try {
        return fn(api);
      } catch (e) {
        return undo(e);
      }
    }
    return (async () => {
      try {
        return await fn(api);
      } catch (e) {
        return undo(e);
      }
    })();
  };

  /** A transaction whose body is synchronous: it runs to its end without yielding. */
  runSync<R>(
    kind: TxKind,
    fn: (tx: SyncActivity) => R,
    mod: AccessModule | undefined,
    options: SyncTransactionOptions = {},
  ): R {
    const core = this.core;
    assertRunning(core, true);
    let durability: Durability;
    try {
      durability = durabilityOf(core, kind, options.durability);
    } catch (e) {
      throw abortedError(e);
    }
    const txn: TxnState = { lock: new TxLockState(core.nextTs()), overlay: new Overlay() };
    const ctx = new ActivityContext(
      core,
      "sync",
      kind,
      core.nextActivityId("tid"),
      txn,
      mod,
      this.nest,
    );
    this.syncDepth++;
    try {
      const result = fn(ctx as unknown as SyncActivity);
      if (isThenable(result)) {
        throw new BadArgError(
          "the body of transactionSync returned a promise; use transaction() for async bodies",
        );
      }
      const entry = commit(core, ctx, txn);
      core.log.makeDurableSync(entry, durability);
      return result;
    } catch (e) {
      throw failed(core, abortedError(e));
    } finally {
      this.syncDepth--;
      txn.lock.markDone();
    }
  }

  /** A transaction whose body may await: full lock manager, wait-die, restarts. */
  async runAsync<R>(
    kind: TxKind,
    fn: (tx: AsyncActivity) => Promise<R> | R,
    options: TransactionOptions,
    mod: AccessModule | undefined,
  ): Promise<R> {
    const core = this.core;
    assertRunning(core, true);
    let retries: number;
    let durability: Durability;
    try {
      retries = options.retries === undefined ? Infinity : checkRetries(options.retries);
      durability =
        options.durability === undefined && kind === "transaction"
          ? core.durability
          : durabilityOf(core, kind, options.durability);
    } catch (e) {
      // Mnesia: {aborted, {badarg, Fun, Retries, ...}}.
      throw abortedError(e);
    }
    this.inFlight++;
    try {
      const ts = core.nextTs();
      let prepared: TxLockState | undefined;
      for (let attempt = 0; ; attempt++) {
        const lock = prepared ?? new TxLockState(ts);
        prepared = undefined;
        const txn: TxnState = { lock, overlay: new Overlay() };
        const ctx = new ActivityContext(
          core,
          "async",
          kind,
          core.nextActivityId("tid"),
          txn,
          mod,
          this.nest,
        );
        // The context itself is the entry (it carries the activity id and the wait-die timestamp).
        core.activeTransactions.add(ctx);
        let restart: RestartSignal | undefined;
        let result: R | undefined;
        let durable: Promise<void> | undefined;
        let committed = false;
        try {
          result = await this.asyncBody.run(lock, fn, ctx as unknown as AsyncActivity);
          if (lock.doomed !== undefined) throw lock.doomed;
          const entry = commit(core, ctx, txn);
          committed = true;
          durable = core.log.whenDurable(entry, durability);
        } catch (e) {
          restart = lock.doomed ?? (e instanceof RestartSignal ? e : undefined);
          if (restart === undefined || attempt >= retries) {
            if (restart !== undefined) {
              throw failed(
                core,
                new TransactionAborted(["retries_exhausted", restart.message], restart),
              );
            }
            throw failed(core, abortedError(e));
          }
        } finally {
          core.locks.releaseAll(lock);
          lock.markDone();
          core.activeTransactions.delete(ctx);
        }
        if (committed) {
          // Early lock release: the locks are released before the wait. A later transaction that
          // read this one's writes waits for a later log position (or, writing nothing to disc,
          // for everything logged), so it is never acknowledged before this one is durable.
          // A failed fsync rejects it with the FileError (as for every commit after it).
          if (durable !== undefined) await durable;
          return result as R;
        }
        if (restart === undefined) throw new Error("unreachable: neither committed nor restarted");
        core.stats.restarts++;
        if (restart.retryLock !== undefined) {
          // Queue, holding nothing, for the lock we died on; run the body again once it is ours.
          prepared = new TxLockState(ts);
          const wait = core.locks.acquireHoldingNothing(prepared, restart.retryLock);
          if (wait !== undefined) {
            try {
              await wait;
            } catch (e) {
              // The database closed while this restart queued: node_not_running.
              throw failed(core, abortedError(e));
            }
          }
        } else if (restart.blocker !== undefined) await restart.blocker.whenDone();
        else await new Promise<void>((resolve) => setImmediate(resolve));
        assertRunning(core);
      }
    } finally {
      if (--this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
    }
  }

  /** async_dirty, sync_dirty and ets at top level. */
  runDirty<R>(kind: DirtyKind, fn: (ctx: SyncActivity) => R, mod: AccessModule | undefined): R {
    const core = this.core;
    core.assertAccepting();
    const ctx = new ActivityContext(
      core,
      "sync",
      kind,
      core.nextActivityId(kind),
      undefined,
      mod,
      this.nest,
    );
    const convert = (e: unknown): never => {
      throw e instanceof UserAbort ? new TransactionAborted(e.reason) : e;
    };
    try {
      const result = fn(ctx as unknown as SyncActivity);
      if (isThenable(result)) return Promise.resolve(result).catch(convert) as R;
      return result;
    } catch (e) {
      return convert(e);
    }
  }
}
