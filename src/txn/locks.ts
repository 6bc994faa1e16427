// The lock manager: record and table locks (read shared, write exclusive), global locks, a wait
// queue per lock item, and deadlock prevention by wait-die — an older transaction waits for a
// younger one, a younger one that meets an older one is restarted. Waits-for edges therefore always
// point from older to younger, so no cycle can form.
//
// A transaction that dies gives up all its locks, then queues for the one lock it died on while
// holding nothing — a transaction holding nothing cannot close a cycle, so it may wait whatever its
// age — and re-runs its body once that lock is granted. Losers of a hot lock therefore line up in
// arrival order instead of restarting together and dying again.
//
// Each item (a record, or a table as a whole) has its own queue, a linked list in arrival order. A
// release re-examines only the queues of the items released (and the table's queue, which record
// locks block); the scan of a queue stops as soon as every waiter left is surely still blocked and
// none of them needs a wait-die check (only waiters that hold a lock do), so a hot record costs
// the same per release whatever the number of its waiters.
//
// Synchronous transaction bodies cannot wait. They run within one tick, so every lock they would
// conflict with is held by an async transaction suspended at an await; they wound those (restart
// them) instead, which is safe because an async transaction's writes are private until its commit.
import { formatKey, type Key, mapKey } from "../keys/index.js";

export type LockMode = "read" | "write";
type Id = ReturnType<typeof mapKey>;
/** A lock item within a lock space: a record's id, or the table as a whole. */
type Item = Id | typeof TABLE;

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

/** The holders of one record's lock. */
class RecordLock {
  /** Made on the first read lock: most record locks are write locks. */
  readers: Set<TxLockState> | undefined = undefined;
  writer: TxLockState | undefined = undefined;

  constructor(
    readonly space: LockSpace,
    readonly id: Id,
  ) {}

  modeOf(tx: TxLockState): LockMode | undefined {
    if (this.writer === tx) return "write";
    return this.readers?.has(tx) === true ? "read" : undefined;
  }
}

/** A queued lock request: a node of its item's queue and an entry of its transaction's waiters. */
class Waiter {
  prev: Waiter | undefined = undefined;
  next: Waiter | undefined = undefined;
  /** In its item's queue (false once granted, rejected or dropped). */
  queued = true;
  /** Neighbours in the manager's list of waits not yet reported as slow (arrival order). */
  slowPrev: Waiter | undefined = undefined;
  slowNext: Waiter | undefined = undefined;
  watched = false;
  resolve!: () => void;
  reject!: (e: Error) => void;
  readonly promise: Promise<void>;

  constructor(
    readonly tx: TxLockState,
    readonly queue: ItemQueue,
    readonly mode: LockMode,
    /** Held no lock when queued, so it may wait for anyone; revoked once the transaction holds one. */
    public patient: boolean,
    /** Arrival order across all queues (for systemInfo('lock_queue')). */
    readonly seq: number,
    readonly since: number,
  ) {
    this.promise = new Promise<void>((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
  }
}

/** The waiters for one lock item, in arrival order. */
class ItemQueue {
  head: Waiter | undefined = undefined;
  tail: Waiter | undefined = undefined;
  /** Waiters whose transaction holds a lock: a release must re-check them under wait-die. */
  impatient = 0;
  /** Patient waiters asking for a read lock (the only patient ones a reader holder lets in). */
  patientReaders = 0;

  constructor(
    readonly space: LockSpace,
    readonly item: Item,
    readonly key: Key | typeof TABLE,
  ) {}

  get describe(): string {
    return describeLock(this.space.name, this.key);
  }

  push(w: Waiter): void {
    w.prev = this.tail;
    if (this.tail === undefined) this.head = w;
    else this.tail.next = w;
    this.tail = w;
    this.count(w, 1);
  }

  unlink(w: Waiter): void {
    w.queued = false;
    if (w.prev === undefined) this.head = w.next;
    else w.prev.next = w.next;
    if (w.next === undefined) this.tail = w.prev;
    else w.next.prev = w.prev;
    this.count(w, -1);
    if (this.head === undefined) this.space.queues.delete(this.item);
  }

  /** The waiter's transaction now holds a lock: it is no longer patient. */
  revokePatience(w: Waiter): void {
    this.count(w, -1);
    w.patient = false;
    this.count(w, 1);
  }

  private count(w: Waiter, d: number): void {
    if (!w.patient) this.impatient += d;
    else if (w.mode === "read") this.patientReaders += d;
  }
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
  /**
   * The record locks and table locks this attempt holds (each once; its modes are kept by the
   * locks themselves). Arrays made on first use: a synchronous transaction never holds a lock.
   */
  held: (RecordLock | LockSpace)[] | undefined;
  private waiterSet: Set<Waiter> | undefined;
  doomed: RestartSignal | undefined;
  private finished = false;
  private doneWaiters: (() => void)[] | undefined;

  /** Whether this attempt holds a lock. */
  get holding(): boolean {
    return this.held !== undefined;
  }

  /** Whether this attempt holds a lock or has one queued (then it may not wait for an older one). */
  get engaged(): boolean {
    return this.holding || (this.waiterSet?.size ?? 0) > 0;
  }

  /** The queued lock requests of this attempt (several if the body awaits operations together). */
  get waiters(): Set<Waiter> {
    this.waiterSet ??= new Set();
    return this.waiterSet;
  }

  /** The queued requests, without making the set. */
  get anyWaiters(): Set<Waiter> | undefined {
    return this.waiterSet !== undefined && this.waiterSet.size > 0 ? this.waiterSet : undefined;
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

/** Of two transactions (either may be undefined), the older. */
function older(a: TxLockState | undefined, b: TxLockState): TxLockState {
  return a === undefined || b.ts < a.ts ? b : a;
}

/** The locks of one table (or of the global lock space). */
class LockSpace {
  readonly tableReaders = new Set<TxLockState>();
  tableWriter: TxLockState | undefined;
  readonly records = new Map<Id, RecordLock>();
  /** The wait queue of each item that has waiters. */
  readonly queues = new Map<Item, ItemQueue>();

  constructor(readonly name: string) {}

  /**
   * The oldest holder (other than `tx`) whose lock conflicts with `mode` on `id`, or undefined if
   * the lock can be granted. Allocates nothing: this is every lock request's path.
   */
  oldestConflict(tx: TxLockState, id: Item, mode: LockMode): TxLockState | undefined {
    let oldest: TxLockState | undefined;
    const tw = this.tableWriter;
    if (tw !== undefined && tw !== tx) oldest = tw;
    if (id === TABLE) {
      // Table locks are rare: the record locks are walked rather than indexed by holder.
      for (const rec of this.records.values()) {
        if (rec.writer !== undefined && rec.writer !== tx) oldest = older(oldest, rec.writer);
        if (mode === "write" && rec.readers !== undefined)
          for (const o of rec.readers) if (o !== tx) oldest = older(oldest, o);
      }
      if (mode === "write")
        for (const o of this.tableReaders) if (o !== tx) oldest = older(oldest, o);
      return oldest;
    }
    const rec = this.records.get(id);
    if (rec !== undefined) {
      if (rec.writer !== undefined && rec.writer !== tx) oldest = older(oldest, rec.writer);
      if (mode === "write" && rec.readers !== undefined)
        for (const o of rec.readers) if (o !== tx) oldest = older(oldest, o);
    }
    if (mode === "write" && this.tableReaders.size > 0)
      for (const o of this.tableReaders) if (o !== tx) oldest = older(oldest, o);
    return oldest;
  }

  /** Every holder whose lock conflicts (for reports and wounds; `tx` undefined: anyone). */
  conflicts(tx: TxLockState | undefined, id: Item, mode: LockMode): TxLockState[] {
    const out: TxLockState[] = [];
    const add = (o: TxLockState | undefined) => {
      if (o !== undefined && o !== tx && !out.includes(o)) out.push(o);
    };
    add(this.tableWriter);
    if (id === TABLE) {
      if (mode === "write") for (const o of this.tableReaders) add(o);
      for (const rec of this.records.values()) {
        add(rec.writer);
        if (mode === "write" && rec.readers !== undefined) for (const o of rec.readers) add(o);
      }
      return out;
    }
    const rec = this.records.get(id);
    if (rec !== undefined) {
      add(rec.writer);
      if (mode === "write" && rec.readers !== undefined) for (const o of rec.readers) add(o);
    }
    if (mode === "write") for (const o of this.tableReaders) add(o);
    return out;
  }

  /**
   * Whether every patient waiter of `q` is blocked for sure: a patient transaction holds nothing,
   * so any write holder of the item blocks it, and any holder at all blocks a write request.
   */
  patientBlocked(q: ItemQueue): boolean {
    if (this.tableWriter !== undefined) return true;
    if (q.item === TABLE) {
      if (q.patientReaders === 0) return this.tableReaders.size > 0 || this.records.size > 0;
      for (const rec of this.records.values()) if (rec.writer !== undefined) return true;
      return false;
    }
    const rec = this.records.get(q.item);
    if (rec?.writer !== undefined) return true;
    if (q.patientReaders > 0) return false;
    return (rec?.readers !== undefined && rec.readers.size > 0) || this.tableReaders.size > 0;
  }

  grant(tx: TxLockState, id: Item, mode: LockMode): void {
    if (id === TABLE) {
      const had = this.tableWriter === tx || this.tableReaders.has(tx);
      if (mode === "write") {
        this.tableWriter = tx;
        this.tableReaders.delete(tx);
      } else if (this.tableWriter !== tx) this.tableReaders.add(tx);
      if (!had) (tx.held ??= []).push(this);
      return;
    }
    let rec = this.records.get(id);
    if (rec === undefined) this.records.set(id, (rec = new RecordLock(this, id)));
    const had = rec.modeOf(tx);
    if (mode === "write") {
      rec.writer = tx;
      if (had === "read") rec.readers!.delete(tx);
    } else if (had === undefined) (rec.readers ??= new Set()).add(tx);
    if (had === undefined) (tx.held ??= []).push(rec);
  }

  /** The modes `tx` holds on the table and on the record `id`. */
  modes(tx: TxLockState, id: Item): { table: LockMode | undefined; record: LockMode | undefined } {
    const table =
      this.tableWriter === tx ? "write" : this.tableReaders.has(tx) ? "read" : undefined;
    return { table, record: id === TABLE ? undefined : this.records.get(id)?.modeOf(tx) };
  }
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
  /**
   * Queued requests looked at by wakes after releases (their number follows the number of
   * grants and wait-die checks, not the length of the queues).
   */
  examined = 0;
  /** Waits that reached slowWaitMs (each reported once to onSlowWait). */
  slowWaits = 0;
  /** How long a wait may last before it is reported (Infinity: never). */
  slowWaitMs = Infinity;
  onSlowWait: ((wait: SlowLockWait) => void) | undefined;
  /** Queues to re-examine after a release, and whether they are being examined now. */
  private readonly toWake: ItemQueue[] = [];
  private waking = false;
  private seq = 0;
  /**
   * Waits not yet reported as slow, oldest first, and one timer for the oldest: a wait costs no
   * timer of its own.
   */
  private slowHead: Waiter | undefined;
  private slowTail: Waiter | undefined;
  private slowTimer: NodeJS.Timeout | undefined;

  /** The modes `tx` holds on the table `space` and on its record `key`. */
  heldModes(
    tx: TxLockState,
    space: string,
    key: Key | typeof TABLE,
  ): { table: LockMode | undefined; record: LockMode | undefined } {
    const s = this.spaces.get(space);
    if (s === undefined) return { table: undefined, record: undefined };
    return s.modes(tx, key === TABLE ? TABLE : mapKey(key));
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
  ): Promise<void> | undefined {
    if (tx.doomed !== undefined) throw tx.doomed;
    const s = this.space(space);
    const id = key === TABLE ? TABLE : mapKey(key);
    if (holds(tx, s, id, mode)) return undefined;
    const oldest = s.oldestConflict(tx, id, mode);
    if (oldest === undefined) {
      this.grant(s, tx, id, mode);
      return undefined;
    }
    // Holding nothing, this transaction cannot close a cycle: it may wait even for an older one.
    if (!tx.engaged) return this.enqueue(tx, s, id, key, mode, true);
    if (oldest.ts < tx.ts) {
      // Doomed, not just thrown: a body that catches the signal must still restart, not commit.
      const signal = new RestartSignal(`lock conflict on ${describeLock(space, key)}`, oldest, {
        space,
        key,
        mode,
      });
      this.doom(tx, signal);
      throw signal;
    }
    return this.enqueue(tx, s, id, key, mode, false);
  }

  /**
   * Queues a transaction that holds no lock for one lock, whatever its age (it cannot be part of
   * a cycle). Used by a restart before it re-runs the body. Undefined when granted at once.
   */
  acquireHoldingNothing(tx: TxLockState, request: LockRequest): Promise<void> | undefined {
    const s = this.space(request.space);
    const id = request.key === TABLE ? TABLE : mapKey(request.key);
    if (s.oldestConflict(tx, id, request.mode) === undefined) {
      this.grant(s, tx, id, request.mode);
      return undefined;
    }
    return this.enqueue(tx, s, id, request.key, request.mode, true);
  }

  private enqueue(
    tx: TxLockState,
    s: LockSpace,
    id: Item,
    key: Key | typeof TABLE,
    mode: LockMode,
    patient: boolean,
  ): Promise<void> {
    this.waits++;
    let q = s.queues.get(id);
    if (q === undefined) s.queues.set(id, (q = new ItemQueue(s, id, key)));
    const w = new Waiter(tx, q, mode, patient, this.seq++, performance.now());
    tx.waiters.add(w);
    q.push(w);
    if (this.slowWaitMs !== Infinity) this.watch(w);
    return w.promise;
  }

  /** Takes `w` off its queue and its transaction's waiters: counts its time, stops its timer. */
  private unqueue(w: Waiter): void {
    if (!w.queued) return;
    w.queue.unlink(w);
    w.tx.waiters.delete(w);
    this.waitMs += performance.now() - w.since;
    if (w.watched) this.unwatch(w);
  }

  /** Adds a new wait to the slow-wait list; arms the timer if none is. */
  private watch(w: Waiter): void {
    w.watched = true;
    w.slowPrev = this.slowTail;
    if (this.slowTail === undefined) this.slowHead = w;
    else this.slowTail.slowNext = w;
    this.slowTail = w;
    if (this.slowTimer === undefined) this.armSlowTimer(this.slowWaitMs);
  }

  private unwatch(w: Waiter): void {
    w.watched = false;
    if (w.slowPrev === undefined) this.slowHead = w.slowNext;
    else w.slowPrev.slowNext = w.slowNext;
    if (w.slowNext === undefined) this.slowTail = w.slowPrev;
    else w.slowNext.slowPrev = w.slowPrev;
    w.slowPrev = w.slowNext = undefined;
  }

  private armSlowTimer(ms: number): void {
    this.slowTimer = setTimeout(() => this.reportSlowWaits(), Math.max(1, Math.ceil(ms)));
    this.slowTimer.unref();
  }

  /** Reports the waits that reached slowWaitMs, then sleeps until the next one will. */
  private reportSlowWaits(): void {
    this.slowTimer = undefined;
    const now = performance.now();
    for (let w = this.slowHead; w !== undefined; w = this.slowHead) {
      const due = w.since + this.slowWaitMs - now;
      if (due > 0) {
        this.armSlowTimer(due);
        return;
      }
      this.unwatch(w);
      this.reportSlow(w, now);
    }
  }

  /** A wait that lasted slowWaitMs and still goes on: reported with what it waits for. */
  private reportSlow(w: Waiter, now: number): void {
    this.slowWaits++;
    const q = w.queue;
    const holders = q.space.conflicts(w.tx, q.item, w.mode).map((h) => h.ts);
    const global = q.space.name === GLOBAL_SPACE;
    this.onSlowWait?.({
      table: global ? undefined : q.space.name,
      key: q.key === TABLE || global ? undefined : formatKey(q.key),
      lock: q.describe,
      mode: w.mode,
      waitedMs: Math.round(now - w.since),
      waiterTs: w.tx.ts,
      holderTs: holders,
    });
  }

  /** Lock requests waiting now. */
  queued(): number {
    let n = 0;
    for (const s of this.spaces.values())
      for (const q of s.queues.values()) for (let w = q.head; w; w = w.next) n++;
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
    const waiting = tx.anyWaiters;
    if (waiting !== undefined) {
      for (const w of [...waiting]) {
        this.unqueue(w);
        w.reject(signal);
      }
    }
    this.releaseAll(tx);
  }

  releaseAll(tx: TxLockState): void {
    // Requests still queued are dropped (left pending: the attempt is over, nobody awaits them).
    const waiting = tx.anyWaiters;
    if (waiting !== undefined) for (const w of [...waiting]) this.unqueue(w);
    if (!tx.holding) return;
    const wake = this.toWake;
    const held = tx.held!;
    tx.held = undefined;
    for (const item of held) {
      if (item instanceof LockSpace) {
        if (item.tableWriter === tx) item.tableWriter = undefined;
        item.tableReaders.delete(tx);
        // A table lock blocked requests on any of the table's records.
        for (const q of item.queues.values()) wake.push(q);
        continue;
      }
      if (item.writer === tx) item.writer = undefined;
      else item.readers?.delete(tx);
      const s = item.space;
      if (item.writer === undefined && (item.readers === undefined || item.readers.size === 0))
        s.records.delete(item.id);
      if (s.queues.size > 0) {
        const q = s.queues.get(item.id);
        if (q !== undefined) wake.push(q);
        // Table requests wait for record locks too.
        const tq = s.queues.get(TABLE);
        if (tq !== undefined) wake.push(tq);
      }
    }
    this.lockers.delete(tx);
    if (wake.length > 0) this.wakeAll();
  }

  /**
   * The database is closing: every queued request fails with `error` (its transaction then aborts,
   * as Mnesia's stop ends the transaction processes) and every lock is released, so no waiter is
   * left hanging on a holder that never finishes.
   */
  abortAll(error: () => Error): void {
    for (const s of this.spaces.values()) {
      for (const q of [...s.queues.values()]) {
        for (let w = q.head; w !== undefined; w = w.next) {
          this.unqueue(w);
          w.reject(error());
        }
      }
    }
    for (const tx of [...this.lockers]) this.releaseAll(tx);
    this.spaces.clear();
  }

  /** Drops the lock space of a deleted table; waiters restart. */
  dropSpace(space: string): void {
    const s = this.spaces.get(space);
    if (s === undefined) return;
    this.spaces.delete(space);
    const waiting: Waiter[] = [];
    for (const q of s.queues.values()) for (let w = q.head; w; w = w.next) waiting.push(w);
    // Out of reach of the wakes the dooms below cause: none of these waiters may be granted now.
    s.queues.clear();
    for (const w of waiting) {
      this.doom(w.tx, new RestartSignal(`table ${space} was deleted`, undefined));
    }
  }

  heldLocks(): HeldLock[] {
    const out: HeldLock[] = [];
    for (const tx of this.lockers) {
      for (const item of tx.held ?? []) {
        if (item instanceof LockSpace) {
          const mode = item.tableWriter === tx ? "write" : "read";
          out.push({ space: item.name, item: "table", mode, ts: tx.ts });
          continue;
        }
        const mode = item.modeOf(tx);
        if (mode !== undefined)
          out.push({ space: item.space.name, item: item.id as Key, mode, ts: tx.ts });
      }
    }
    return out;
  }

  /** The queued requests in arrival order. */
  lockQueue(): { space: string; item: string; mode: LockMode; ts: number }[] {
    const all: Waiter[] = [];
    for (const s of this.spaces.values())
      for (const q of s.queues.values()) for (let w = q.head; w; w = w.next) all.push(w);
    all.sort((a, b) => a.seq - b.seq);
    return all.map((w) => ({
      space: w.queue.space.name,
      item: w.queue.describe,
      mode: w.mode,
      ts: w.tx.ts,
    }));
  }

  /**
   * Records a grant. A transaction that now holds a lock loses the patience of its other queued
   * requests: each must pass wait-die again (waits only for younger holders), or it restarts.
   */
  private grant(s: LockSpace, tx: TxLockState, id: Item, mode: LockMode): void {
    s.grant(tx, id, mode);
    this.lockers.add(tx);
    const waiting = tx.anyWaiters;
    if (waiting === undefined) return;
    for (const w of waiting) {
      if (!w.patient) continue;
      const q = w.queue;
      q.revokePatience(w);
      const oldest = q.space.oldestConflict(tx, q.item, w.mode);
      if (oldest !== undefined && oldest.ts < tx.ts) {
        const retry: LockRequest = { space: q.space.name, key: q.key, mode: w.mode };
        this.doom(tx, new RestartSignal(`lock conflict on ${q.describe}`, oldest, retry));
        return;
      }
    }
  }

  private space(name: string): LockSpace {
    let s = this.spaces.get(name);
    if (s === undefined) this.spaces.set(name, (s = new LockSpace(name)));
    return s;
  }

  /**
   * Re-examines the queues in toWake. A doom while examining releases more locks and adds more
   * queues: they are examined by the same loop, never by a nested one.
   */
  private wakeAll(): void {
    if (this.waking) return;
    this.waking = true;
    try {
      const wake = this.toWake;
      while (wake.length > 0) this.wake(wake.pop()!);
    } finally {
      this.waking = false;
    }
  }

  /** Grants what a queue's waiters can now have, in arrival order, and applies wait-die to the rest. */
  private wake(q: ItemQueue): void {
    const s = q.space;
    let w = q.head;
    while (w !== undefined) {
      // Only patient waiters left behind a lock they cannot share: nothing can move.
      if (q.impatient === 0 && s.patientBlocked(q)) return;
      let next = w.next;
      this.examined++;
      const oldest = s.oldestConflict(w.tx, q.item, w.mode);
      if (oldest === undefined) {
        this.unqueue(w);
        w.resolve();
        this.grant(s, w.tx, q.item, w.mode);
      } else if (!w.patient && oldest.ts < w.tx.ts) {
        const retry: LockRequest = { space: s.name, key: q.key, mode: w.mode };
        this.doom(w.tx, new RestartSignal(`lock conflict on ${q.describe}`, oldest, retry));
      } else {
        w = next;
        continue;
      }
      // A grant or a doom may have taken other waiters off this queue: start again from the head
      // if the next one went (waiters passed over stay blocked, so this only re-checks them).
      if (next !== undefined && !next.queued) next = q.head;
      w = next;
    }
  }
}

function holds(tx: TxLockState, s: LockSpace, id: Item, mode: LockMode): boolean {
  if (!tx.holding) return false;
  if (s.tableWriter === tx || (mode === "read" && s.tableReaders.has(tx))) return true;
  if (id === TABLE) return false;
  const rec = s.records.get(id);
  if (rec === undefined) return false;
  return rec.writer === tx || (mode === "read" && rec.readers?.has(tx) === true);
}
