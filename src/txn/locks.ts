// The lock manager: record and table locks (read shared, write exclusive), global locks, a wait
// queue per table, and deadlock prevention by wait-die — an older transaction waits for a younger
// one, a younger one that meets an older one is restarted. Waits-for edges therefore always point
// from older to younger, so no cycle can form.
//
// A transaction that dies gives up all its locks, then queues for the one lock it died on while
// holding nothing — a transaction holding nothing cannot close a cycle, so it may wait whatever its
// age — and re-runs its body once that lock is granted. Losers of a hot lock therefore line up in
// arrival order instead of restarting together and dying again.
//
// Synchronous transaction bodies cannot wait. They run within one tick, so every lock they would
// conflict with is held by an async transaction suspended at an await; they wound those (restart
// them) instead, which is safe because an async transaction's writes are private until its commit.
import { formatKey, type Key, mapKey } from "../keys/index.js";

export type LockMode = "read" | "write";
type Id = ReturnType<typeof mapKey>;

/** Thrown into a transaction that must be restarted (lost a wait-die race, or was wounded). */
export class RestartSignal extends Error {
  constructor(
    readonly reason: string,
    /** The transaction to wait for before the restart, if any. */
    readonly blocker: TxLockState | undefined,
    /** The lock the transaction died on: the restart queues for it before re-running the body. */
    readonly retryLock?: LockRequest,
  ) {
    // A restart is routine control flow: skip the stack trace, which would cost more than the restart.
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`transaction restart: ${reason}`);
    Error.stackTraceLimit = limit;
    this.name = "RestartSignal";
  }
}

export interface LockRequest {
  readonly space: string;
  readonly key: Key | typeof TABLE;
  readonly mode: LockMode;
}

/** What one transaction holds in one lock space: table-level mode and per-record modes. */
interface HeldInSpace {
  table: LockMode | undefined;
  readonly records: Map<Id, LockMode>;
}

interface RecordLock {
  readonly readers: Set<TxLockState>;
  writer: TxLockState | undefined;
}

interface Waiter {
  readonly tx: TxLockState;
  readonly space: LockSpace;
  readonly id: Id | typeof TABLE;
  readonly key: Key | typeof TABLE;
  readonly mode: LockMode;
  readonly describe: string;
  /** Held no lock when queued, so it may wait for anyone; revoked once the transaction holds one. */
  patient: boolean;
  resolve(): void;
  reject(e: Error): void;
  /** The wait is over, granted or not: counts its time, stops its slow-wait timer. */
  end(): void;
}

/** A lock request that has waited `slowWaitMs`, with the transactions it waits for. */
export interface SlowLockWait {
  /** The table, or undefined for a global lock. */
  readonly table: string | undefined;
  /** The record key as text, or undefined for a table (or global) lock. */
  readonly key: string | undefined;
  readonly lock: string;
  readonly mode: LockMode;
  readonly waitedMs: number;
  /** Wait-die timestamps of the waiting transaction and of the holders it waits for. */
  readonly waiterTs: number;
  readonly holderTs: readonly number[];
}

export const TABLE: unique symbol = Symbol("table");
/** The lock space of global locks (mnesia:lock({global, Key, Nodes}, Kind)). */
export const GLOBAL_SPACE = "\u0000global";

/** How a lock item reads in messages and in systemInfo('lock_queue'). */
export function describeLock(space: string, key: Key | typeof TABLE): string {
  if (space === GLOBAL_SPACE) return `global lock ${JSON.stringify(String(key))}`;
  return key === TABLE ? `table ${space}` : `${space} record ${String(key)}`;
}

/** The lock bookkeeping of one transaction (the same object across its nested transactions). */
export class TxLockState {
  /** What this transaction holds, per lock space: table-level mode and per-record modes. */
  private heldMap: Map<LockSpace, HeldInSpace> | undefined;
  private waiterSet: Set<Waiter> | undefined;
  doomed: RestartSignal | undefined;
  private finished = false;
  private doneWaiters: (() => void)[] | undefined;

  // Made on first use: a synchronous transaction never holds or queues for a lock.
  get held(): Map<LockSpace, HeldInSpace> {
    this.heldMap ??= new Map();
    return this.heldMap;
  }

  /** The queued lock requests of this attempt (several if the body awaits operations together). */
  get waiters(): Set<Waiter> {
    this.waiterSet ??= new Set();
    return this.waiterSet;
  }

  constructor(
    /** Wait-die timestamp: smaller is older. Kept across restarts so a transaction eventually wins. */
    readonly ts: number,
  ) {}

  /** True once this attempt has committed or aborted. */
  get done(): boolean {
    return this.finished;
  }

  /** Resolves when this attempt has committed or aborted. */
  whenDone(): Promise<void> {
    if (this.finished) return Promise.resolve();
    return new Promise((resolve) => {
      this.doneWaiters ??= [];
      this.doneWaiters.push(resolve);
    });
  }

  markDone(): void {
    this.finished = true;
    const waiting = this.doneWaiters;
    this.doneWaiters = undefined;
    if (waiting !== undefined) for (const w of waiting) w();
  }
}

/** The locks of one table (or of the global lock space). */
class LockSpace {
  readonly tableReaders = new Set<TxLockState>();
  tableWriter: TxLockState | undefined;
  readonly records = new Map<Id, RecordLock>();
  /** Per transaction: how many record locks it holds here, and how many of them are write locks. */
  readonly recordLockers = new Map<TxLockState, number>();
  readonly recordWriters = new Map<TxLockState, number>();
  queue: Waiter[] = [];

  constructor(readonly name: string) {}

  conflicts(tx: TxLockState | undefined, id: Id | typeof TABLE, mode: LockMode): TxLockState[] {
    const out: TxLockState[] = [];
    const add = (o: TxLockState | undefined) => {
      if (o !== undefined && o !== tx && !out.includes(o)) out.push(o);
    };
    add(this.tableWriter);
    if (id === TABLE) {
      if (mode === "write") {
        for (const o of this.tableReaders) add(o);
        for (const o of this.recordLockers.keys()) add(o);
      } else {
        for (const o of this.recordWriters.keys()) add(o);
      }
      return out;
    }
    const rec = this.records.get(id);
    if (rec !== undefined) {
      add(rec.writer);
      if (mode === "write") for (const o of rec.readers) add(o);
    }
    if (mode === "write") for (const o of this.tableReaders) add(o);
    return out;
  }

  grant(tx: TxLockState, id: Id | typeof TABLE, mode: LockMode): void {
    let mine = tx.held.get(this);
    if (mine === undefined) tx.held.set(this, (mine = { table: undefined, records: new Map() }));
    if (id === TABLE) {
      if (mode === "write") {
        this.tableWriter = tx;
        this.tableReaders.delete(tx);
      } else this.tableReaders.add(tx);
      mine.table = mode === "write" || mine.table === "write" ? "write" : "read";
      return;
    }
    let rec = this.records.get(id);
    if (rec === undefined) this.records.set(id, (rec = { readers: new Set(), writer: undefined }));
    const had = mine.records.get(id);
    if (had === undefined) this.recordLockers.set(tx, (this.recordLockers.get(tx) ?? 0) + 1);
    if (mode === "write") {
      rec.writer = tx;
      rec.readers.delete(tx);
      if (had !== "write") this.recordWriters.set(tx, (this.recordWriters.get(tx) ?? 0) + 1);
      mine.records.set(id, "write");
    } else if (had === undefined) {
      rec.readers.add(tx);
      mine.records.set(id, "read");
    }
  }

  releaseAll(tx: TxLockState): void {
    const mine = tx.held.get(this);
    if (mine === undefined) return;
    if (this.tableWriter === tx) this.tableWriter = undefined;
    this.tableReaders.delete(tx);
    for (const id of mine.records.keys()) {
      const rec = this.records.get(id);
      if (rec === undefined) continue;
      if (rec.writer === tx) rec.writer = undefined;
      rec.readers.delete(tx);
      if (rec.writer === undefined && rec.readers.size === 0) this.records.delete(id);
    }
    this.recordLockers.delete(tx);
    this.recordWriters.delete(tx);
  }
}

function oldestOf(txs: readonly TxLockState[]): TxLockState {
  return txs.reduce((a, b) => (b.ts < a.ts ? b : a));
}

export interface HeldLock {
  readonly space: string;
  readonly item: Key | "table";
  readonly mode: LockMode;
  readonly ts: number;
}

export class LockManager {
  private readonly spaces = new Map<string, LockSpace>();
  /** Transactions that hold at least one lock. When empty, synchronous bodies skip all lock work. */
  readonly lockers = new Set<TxLockState>();
  /**
   * Tables stuck to this node by a sticky_write lock. As in Mnesia on a single node, a table stays
   * stuck until the database closes (also after the transaction, or the table, is gone); only
   * lock() results tell.
   */
  readonly stuck = new Set<string>();
  /** Lock requests that had to queue, and their total time in the queue (ms). */
  waits = 0;
  waitMs = 0;
  /** Waits that reached slowWaitMs (each reported once to onSlowWait). */
  slowWaits = 0;
  /** How long a wait may last before it is reported (Infinity: never). */
  slowWaitMs = Infinity;
  onSlowWait: ((wait: SlowLockWait) => void) | undefined;

  /** The modes `tx` holds on the table `space` and on its record `key`. */
  heldModes(
    tx: TxLockState,
    space: string,
    key: Key | typeof TABLE,
  ): { table: LockMode | undefined; record: LockMode | undefined } {
    const s = this.spaces.get(space);
    const mine = s === undefined ? undefined : tx.held.get(s);
    if (mine === undefined) return { table: undefined, record: undefined };
    return { table: mine.table, record: key === TABLE ? undefined : mine.records.get(mapKey(key)) };
  }

  /**
   * Takes a lock for an async transaction. Returns undefined when granted at once, a promise when
   * queued (it rejects with RestartSignal if the wait must end in a restart); throws RestartSignal
   * when wait-die says die.
   */
  acquire(
    tx: TxLockState,
    space: string,
    key: Key | typeof TABLE,
    mode: LockMode,
    describe: string,
  ): Promise<void> | undefined {
    if (tx.doomed !== undefined) throw tx.doomed;
    const s = this.space(space);
    const id = key === TABLE ? TABLE : mapKey(key);
    if (holds(tx, s, id, mode)) return undefined;
    const conflicts = s.conflicts(tx, id, mode);
    if (conflicts.length === 0) {
      this.grant(s, tx, id, mode);
      return undefined;
    }
    const oldest = oldestOf(conflicts);
    if (tx.held.size === 0 && tx.waiters.size === 0) {
      // Holding nothing, this transaction cannot close a cycle: it may wait even for an older one.
      return this.enqueue(tx, s, id, key, mode, describe, true);
    }
    if (oldest.ts < tx.ts) {
      // Doomed, not just thrown: a body that catches the signal must still restart, not commit.
      const retry: LockRequest = { space, key, mode };
      const signal = new RestartSignal(`lock conflict on ${describe}`, oldest, retry);
      this.doom(tx, signal);
      throw signal;
    }
    return this.enqueue(tx, s, id, key, mode, describe, false);
  }

  /**
   * Queues a transaction that holds no lock for one lock, whatever its age (it cannot be part of
   * a cycle). Used by a restart before it re-runs the body. Undefined when granted at once.
   */
  acquireHoldingNothing(
    tx: TxLockState,
    request: LockRequest,
    describe: string,
  ): Promise<void> | undefined {
    const s = this.space(request.space);
    const id = request.key === TABLE ? TABLE : mapKey(request.key);
    if (s.conflicts(tx, id, request.mode).length === 0) {
      this.grant(s, tx, id, request.mode);
      return undefined;
    }
    return this.enqueue(tx, s, id, request.key, request.mode, describe, true);
  }

  private enqueue(
    tx: TxLockState,
    s: LockSpace,
    id: Id | typeof TABLE,
    key: Key | typeof TABLE,
    mode: LockMode,
    describe: string,
    patient: boolean,
  ): Promise<void> {
    this.waits++;
    const since = performance.now();
    return new Promise<void>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const waiter: Waiter = {
        tx,
        space: s,
        id,
        key,
        mode,
        describe,
        patient,
        resolve: () => {
          waiter.end();
          resolve();
        },
        reject: (e) => {
          waiter.end();
          reject(e);
        },
        end: () => {
          if (!tx.waiters.delete(waiter)) return;
          this.waitMs += performance.now() - since;
          if (timer !== undefined) clearTimeout(timer);
        },
      };
      tx.waiters.add(waiter);
      s.queue.push(waiter);
      if (this.slowWaitMs !== Infinity) {
        timer = setTimeout(() => this.reportSlow(waiter, since), this.slowWaitMs);
        timer.unref();
      }
    });
  }

  /** A wait that lasted slowWaitMs and still goes on: reported with what it waits for. */
  private reportSlow(w: Waiter, since: number): void {
    if (!w.tx.waiters.has(w)) return;
    this.slowWaits++;
    const holders = w.space.conflicts(w.tx, w.id, w.mode).map((h) => h.ts);
    const global = w.space.name === GLOBAL_SPACE;
    this.onSlowWait?.({
      table: global ? undefined : w.space.name,
      key: w.key === TABLE || global ? undefined : formatKey(w.key),
      lock: w.describe,
      mode: w.mode,
      waitedMs: Math.round(performance.now() - since),
      waiterTs: w.tx.ts,
      holderTs: holders,
    });
  }

  /** Lock requests waiting now. */
  queued(): number {
    let n = 0;
    for (const s of this.spaces.values()) n += s.queue.length;
    return n;
  }

  /**
   * For a synchronous body: restarts every async transaction holding a lock that conflicts with
   * this access. Nothing is recorded, since the body finishes before anything else runs.
   */
  woundConflicts(space: string, key: Key | typeof TABLE, mode: LockMode, describe: string): void {
    if (this.lockers.size === 0) return;
    const s = this.spaces.get(space);
    if (s === undefined) return;
    const id = key === TABLE ? TABLE : mapKey(key);
    for (const victim of s.conflicts(undefined, id, mode)) {
      this.doom(
        victim,
        new RestartSignal(`wounded by a synchronous transaction on ${describe}`, undefined),
      );
    }
  }

  /** Marks a transaction for restart and frees its locks now. */
  doom(tx: TxLockState, signal: RestartSignal): void {
    if (tx.doomed !== undefined) return;
    tx.doomed = signal;
    for (const w of [...tx.waiters]) {
      w.space.queue = w.space.queue.filter((x) => x !== w);
      w.reject(signal);
    }
    this.releaseAll(tx);
  }

  releaseAll(tx: TxLockState): void {
    // Requests still queued are dropped (left pending: the attempt is over, nobody awaits them).
    for (const w of [...tx.waiters]) {
      w.space.queue = w.space.queue.filter((x) => x !== w);
      w.end();
    }
    const touched = [...tx.held.keys()];
    for (const s of touched) s.releaseAll(tx);
    tx.held.clear();
    this.lockers.delete(tx);
    for (const s of touched) this.wake(s);
    for (const s of touched) {
      if (
        s.records.size === 0 &&
        s.tableReaders.size === 0 &&
        s.tableWriter === undefined &&
        s.queue.length === 0
      ) {
        this.spaces.delete(s.name);
      }
    }
  }

  /**
   * The database is closing: every queued request fails with `error` (its transaction then aborts,
   * as Mnesia's stop ends the transaction processes) and every lock is released, so no waiter is
   * left hanging on a holder that never finishes.
   */
  abortAll(error: () => Error): void {
    for (const s of this.spaces.values()) {
      const queue = s.queue;
      s.queue = [];
      for (const w of queue) w.reject(error());
    }
    for (const tx of [...this.lockers]) this.releaseAll(tx);
    this.spaces.clear();
  }

  /** Drops the lock space of a deleted table; waiters restart. */
  dropSpace(space: string): void {
    const s = this.spaces.get(space);
    if (s === undefined) return;
    const queue = s.queue;
    s.queue = [];
    for (const w of queue)
      this.doom(w.tx, new RestartSignal(`table ${space} was deleted`, undefined));
  }

  heldLocks(): HeldLock[] {
    const out: HeldLock[] = [];
    for (const tx of this.lockers) {
      for (const [s, mine] of tx.held) {
        if (mine.table !== undefined)
          out.push({ space: s.name, item: "table", mode: mine.table, ts: tx.ts });
        for (const [id, mode] of mine.records)
          out.push({ space: s.name, item: id as Key, mode, ts: tx.ts });
      }
    }
    return out;
  }

  lockQueue(): { space: string; item: string; mode: LockMode; ts: number }[] {
    const out: { space: string; item: string; mode: LockMode; ts: number }[] = [];
    for (const s of this.spaces.values()) {
      for (const w of s.queue)
        out.push({ space: s.name, item: w.describe, mode: w.mode, ts: w.tx.ts });
    }
    return out;
  }

  /**
   * Records a grant. A transaction that now holds a lock loses the patience of its other queued
   * requests: each must pass wait-die again (waits only for younger holders), or it restarts.
   */
  private grant(s: LockSpace, tx: TxLockState, id: Id | typeof TABLE, mode: LockMode): void {
    s.grant(tx, id, mode);
    this.lockers.add(tx);
    for (const w of tx.waiters) {
      if (!w.patient) continue;
      w.patient = false;
      const conflicts = w.space.conflicts(tx, w.id, w.mode);
      if (conflicts.length === 0) continue;
      const oldest = oldestOf(conflicts);
      if (oldest.ts < tx.ts) {
        const retry: LockRequest = { space: w.space.name, key: w.key, mode: w.mode };
        this.doom(tx, new RestartSignal(`lock conflict on ${w.describe}`, oldest, retry));
        return;
      }
    }
  }

  private space(name: string): LockSpace {
    let s = this.spaces.get(name);
    if (s === undefined) this.spaces.set(name, (s = new LockSpace(name)));
    return s;
  }

  /** Re-examines the queue of a lock space in arrival order after locks were released. */
  private wake(s: LockSpace): void {
    if (s.queue.length === 0) return;
    const queue = s.queue;
    s.queue = [];
    for (const w of queue) {
      // Settled meanwhile (its transaction was doomed while this queue was being examined).
      if (!w.tx.waiters.has(w)) continue;
      const conflicts = s.conflicts(w.tx, w.id, w.mode);
      if (conflicts.length === 0) {
        w.resolve();
        this.grant(s, w.tx, w.id, w.mode);
        continue;
      }
      const oldest = oldestOf(conflicts);
      if (!w.patient && oldest.ts < w.tx.ts) {
        const retry: LockRequest = { space: s.name, key: w.key, mode: w.mode };
        this.doom(w.tx, new RestartSignal(`lock conflict on ${w.describe}`, oldest, retry));
      } else s.queue.push(w);
    }
  }
}

function holds(tx: TxLockState, s: LockSpace, id: Id | typeof TABLE, mode: LockMode): boolean {
  const mine = tx.held.get(s);
  if (mine === undefined) return false;
  if (mine.table === "write" || (mine.table === "read" && mode === "read")) return true;
  if (id === TABLE) return false;
  const m = mine.records.get(id);
  return m === "write" || (m === "read" && mode === "read");
}
