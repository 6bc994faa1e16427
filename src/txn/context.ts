// The object passed to an activity's body. One implementation serves every kind: in a transaction
// operations take locks and work on the transaction's overlay; in a dirty activity they map to the
// dirty operations. The flavour decides how a lock is obtained: a synchronous body wounds
// conflicting async transactions, an async body asks the lock manager and may wait.
import {
  allKeys,
  checkLimit,
  firstChunk,
  fold,
  indexMatchObject,
  indexRead,
  matchObject,
  nextChunk,
  selectAll,
  step,
} from "../access/reads.js";
import { assertWritable, checkedRecord } from "../access/validate-record.js";
import { type TableView, viewOf } from "../access/view.js";
import type { DbCore } from "../db/core.js";
import { checkKey, dirtyDelete, dirtyDeleteObject, dirtyWrite, prepareWrite } from "../db/dirty.js";
import { tableInfo } from "../db/info.js";
import { BadTypeError, MnemeError, NoTransactionError, TransactionAborted } from "../errors.js";
import type { Key } from "../keys/index.js";
import { bindQuery } from "../qlc/run.js";
import { Literal } from "../query/literal.js";
import type { LiveTable } from "../schema/live-table.js";
import type { ActivityId, ActivityKind, LockItem, LockKind, TableName } from "../types.js";
import type { AccessModule, Activity, Flavour } from "./activity.js";
import { type HeldModes, needsWriteLock, SyncLocks, tableLockResult } from "./lock-result.js";
import { describeLock, GLOBAL_SPACE, type LockMode, TABLE, type TxLockState } from "./locks.js";
import type { Overlay } from "./overlay.js";

/** The state of one transaction attempt (shared by its nested transactions). */
export interface TxnState {
  readonly lock: TxLockState;
  overlay: Overlay;
  /** A synchronous body's table locks and record write locks (for lock() results); made on use. */
  syncLocks?: SyncLocks;
}

/** Thrown by abort(reason); turned into TransactionAborted by the runner. */
export class UserAbort extends Error {
  constructor(readonly reason: unknown) {
    super("aborted by the activity");
  }
}

type Ref = TableName;
const READ_KINDS = new Set<unknown>(["read", "write", "sticky_write"]);
const WRITE_KINDS = new Set<unknown>(["write", "sticky_write"]);

/**
 * What an async write returns once its lock is granted: one settled promise shared by all (a
 * settled promise never changes, so sharing it is safe), not a new one per operation.
 */
const DONE: Promise<undefined> = Promise.resolve(undefined);

function nameOf(ref: Ref): string {
  return typeof ref === "string" ? ref : ref?.name;
}

export class ActivityContext {
  /** The context without access module, handed to the module's callbacks as `opaque`. */
  private readonly plain: ActivityContext;

  constructor(
    readonly core: DbCore,
    readonly flavour: Flavour,
    readonly kind: ActivityKind,
    readonly activityId: ActivityId,
    readonly txn: TxnState | undefined,
    private readonly mod: AccessModule | undefined,
    /** Runs a nested transaction (provided by the runner). */
    private readonly nest: (
      ctx: ActivityContext,
      fn: (tx: Activity<Flavour>) => unknown,
    ) => unknown,
  ) {
    this.plain =
      mod === undefined
        ? this
        : new ActivityContext(core, flavour, kind, activityId, txn, undefined, nest);
  }

  /** The transaction's wait-die timestamp (with activityId, its entry in activeTransactions). */
  get ts(): number {
    return this.txn?.lock.ts ?? 0;
  }

  private get api(): Activity<Flavour> {
    return this.plain as unknown as Activity<Flavour>;
  }

  isTransaction(): boolean {
    return this.txn !== undefined;
  }

  abort(reason: unknown): never {
    throw new UserAbort(reason);
  }

  // ---- plumbing -------------------------------------------------------------------------------

  /** Runs `f` and returns its result in the activity's flavour (a promise for async bodies). */
  private run<X>(f: () => X | Promise<X>): X | Promise<X> {
    if (this.flavour === "sync") {
      this.assertOpen();
      return f();
    }
    try {
      this.assertOpen();
      const r = f();
      return r instanceof Promise ? r : Promise.resolve(r);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * A transaction's object used after the transaction ended (kept by the body) has no transaction
   * any more: its operations would be lost, and its locks never released.
   */
  private assertOpen(): void {
    if (this.txn?.lock.done === true) {
      throw new NoTransactionError(`transaction ${this.activityId.id} has ended`);
    }
  }

  /** Takes a lock (in a transaction), then runs `g`. */
  private locked<X>(
    space: string,
    key: Key | typeof TABLE,
    mode: LockMode,
    g: () => X,
  ): X | Promise<X> {
    const txn = this.txn;
    if (txn === undefined) return g();
    const locks = this.core.locks;
    if (this.flavour === "sync") {
      this.woundConflicts(space, key, mode);
      if (key === TABLE || mode === "write")
        (txn.syncLocks ??= new SyncLocks()).note(space, key, mode);
      return g();
    }
    const wait = locks.acquire(txn.lock, space, key, mode);
    return wait === undefined ? g() : wait.then(g);
  }

  /** A synchronous body cannot wait: it restarts the async transactions holding what it needs. */
  private woundConflicts(space: string, key: Key | typeof TABLE, mode: LockMode): void {
    const locks = this.core.locks;
    // Only async transactions hold locks; with none running there is nothing to wound.
    if (locks.lockers.size > 0) locks.woundConflicts(space, key, mode, describeLock(space, key));
  }

  private table(ref: Ref): LiveTable {
    if (this.txn !== undefined) {
      if (this.txn.lock.doomed !== undefined) throw this.txn.lock.doomed;
      // A transaction still running when the database closes ends with node_not_running.
      this.core.assertRunning();
    }
    return this.core.table(ref);
  }

  private view(t: LiveTable): TableView {
    const txn = this.txn;
    return viewOf(
      this.core.table(t.name),
      txn === undefined ? undefined : txn.overlay.table(t.name),
    );
  }

  private checkKind(t: LiveTable, kind: unknown, allowed: Set<unknown>): LockMode {
    if (!allowed.has(kind)) {
      throw new BadTypeError(`${t.name}: lock kind ${String(kind)} is not allowed here`, {
        table: t.name,
        value: kind,
      });
    }
    return kind === "read" ? "read" : "write";
  }

  // ---- reads ----------------------------------------------------------------------------------

  read(ref: Ref, key: Key, lock: LockKind = "read"): unknown {
    if (this.mod?.read !== undefined)
      return this.mod.read(this.activityId, this.api, nameOf(ref), key, lock);
    if (this.flavour === "sync") {
      this.assertOpen();
      return this.readNow(ref, key, lock);
    }
    try {
      this.assertOpen();
      const r = this.readNow(ref, key, lock);
      return r instanceof Promise ? r : Promise.resolve(r);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** A record read: its records now, or (an async body that must wait for the lock) a promise. */
  private readNow(ref: Ref, key: Key, lock: LockKind): unknown {
    const t = this.table(ref);
    const txn = this.txn;
    if (txn === undefined) return t.store.lookup(checkKey(t, key));
    const mode = this.checkKind(t, lock, READ_KINDS);
    const k = checkKey(t, key);
    if (this.flavour === "sync") {
      // The hot path of a synchronous transaction: no closure, no merged view.
      this.woundConflicts(t.name, k, mode);
      if (mode === "write") {
        if (lock === "sticky_write") this.stick(t.name, k);
        (txn.syncLocks ??= new SyncLocks()).note(t.name, k, mode);
      }
      return lookupIn(t, txn, k);
    }
    if (lock === "sticky_write") this.stick(t.name, k);
    // A granted lock needs no closure and no wait: the records are read at once.
    const wait = this.core.locks.acquire(txn.lock, t.name, k, mode);
    return wait === undefined ? lookupIn(t, txn, k) : wait.then(() => this.view(t).lookup(k));
  }

  wread(ref: Ref, key: Key): unknown {
    return (this as ActivityContext).read(ref, key, "write");
  }

  matchObject(ref: Ref, pattern: unknown, lock: LockKind = "read"): unknown {
    if (this.mod?.matchObject !== undefined) {
      return this.mod.matchObject(this.activityId, this.api, nameOf(ref), pattern as never, lock);
    }
    return this.run(() => {
      const t = this.table(ref);
      if (this.txn === undefined) return matchObject(t.view, pattern);
      const mode = this.checkKind(t, lock, READ_KINDS);
      // A bound key locks the record, anything else the table (as Mnesia does).
      const keyPattern = (pattern as { readonly [a: string]: unknown } | null)?.[t.keyAttr];
      const key = keyPattern === undefined ? undefined : constantOf(keyPattern);
      return this.locked(t.name, key !== undefined ? (key.value as Key) : TABLE, mode, () =>
        matchObject(this.view(t), pattern),
      );
    });
  }

  select(ref: Ref, spec: unknown, lock: LockKind = "read"): unknown {
    if (this.mod?.select !== undefined)
      return this.mod.select(this.activityId, this.api, nameOf(ref), spec as never, lock);
    return this.run(() => {
      const t = this.table(ref);
      if (this.txn === undefined) return selectAll(t.view, spec);
      const mode = this.checkKind(t, lock, READ_KINDS);
      return this.locked(t.name, TABLE, mode, () => selectAll(this.view(t), spec));
    });
  }

  tableInfo(ref: Ref, item: string): unknown {
    if (this.mod?.tableInfo !== undefined)
      return this.mod.tableInfo(this.activityId, this.api, nameOf(ref), item);
    return tableInfo(this.core, nameOf(ref), item);
  }

  selectLimit(ref: Ref, spec: unknown, limit: number, lock: LockKind = "read"): unknown {
    return this.run(() => {
      const t = this.table(ref);
      const n = checkLimit(t.name, limit);
      const txn = this.txn;
      if (txn === undefined) return firstChunk(selectAll(t.view, spec), n, undefined, t.name);
      const mode = this.checkKind(t, lock, READ_KINDS);
      return this.locked(t.name, TABLE, mode, () =>
        firstChunk(selectAll(this.view(t), spec), n, txn, t.name),
      );
    });
  }

  selectContinue(continuation: unknown): unknown {
    return this.run(() => nextChunk(continuation, this.txn));
  }

  allKeys(ref: Ref, lock: LockKind = "read"): unknown {
    if (this.mod?.allKeys !== undefined)
      return this.mod.allKeys(this.activityId, this.api, nameOf(ref), lock);
    return this.tableRead(ref, lock, (v) => allKeys(v));
  }

  first(ref: Ref): unknown {
    if (this.mod?.first !== undefined)
      return this.mod.first(this.activityId, this.api, nameOf(ref));
    return this.tableRead(ref, "read", (v) => v.first());
  }

  last(ref: Ref): unknown {
    if (this.mod?.last !== undefined) return this.mod.last(this.activityId, this.api, nameOf(ref));
    return this.tableRead(ref, "read", (v) => v.last());
  }

  next(ref: Ref, key: Key): unknown {
    if (this.mod?.next !== undefined)
      return this.mod.next(this.activityId, this.api, nameOf(ref), key);
    return this.tableRead(ref, "read", (v) => step(v, key, "next"));
  }

  prev(ref: Ref, key: Key): unknown {
    if (this.mod?.prev !== undefined)
      return this.mod.prev(this.activityId, this.api, nameOf(ref), key);
    return this.tableRead(ref, "read", (v) => step(v, key, "prev"));
  }

  foldl(
    ref: Ref,
    fn: (r: never, acc: unknown) => unknown,
    acc: unknown,
    lock: LockKind = "read",
  ): unknown {
    if (this.mod?.foldl !== undefined)
      return this.mod.foldl(this.activityId, this.api, fn as never, acc, nameOf(ref), lock);
    return this.tableRead(ref, lock, (v) => fold(v, fn as never, acc, false));
  }

  foldr(
    ref: Ref,
    fn: (r: never, acc: unknown) => unknown,
    acc: unknown,
    lock: LockKind = "read",
  ): unknown {
    if (this.mod?.foldr !== undefined)
      return this.mod.foldr(this.activityId, this.api, fn as never, acc, nameOf(ref), lock);
    return this.tableRead(ref, lock, (v) => fold(v, fn as never, acc, true));
  }

  indexRead(ref: Ref, value: unknown, attribute: string | number): unknown {
    if (this.mod?.indexRead !== undefined) {
      return this.mod.indexRead(this.activityId, this.api, nameOf(ref), value, attribute, "read");
    }
    return this.tableRead(ref, "read", (v) =>
      indexRead(v, value, attribute, this.txn !== undefined),
    );
  }

  indexMatchObject(
    ref: Ref,
    pattern: unknown,
    attribute: string | number,
    lock: LockKind = "read",
  ): unknown {
    if (this.mod?.indexMatchObject !== undefined) {
      return this.mod.indexMatchObject(
        this.activityId,
        this.api,
        nameOf(ref),
        pattern as never,
        attribute,
        lock,
      );
    }
    return this.tableRead(ref, lock, (v) => indexMatchObject(v, pattern, attribute));
  }

  /** A read of the whole table: a table lock in a transaction. */
  private tableRead<X>(ref: Ref, lock: LockKind, f: (v: TableView) => X): unknown {
    return this.run(() => {
      const t = this.table(ref);
      if (this.txn === undefined) return f(t.view);
      const mode = this.checkKind(t, lock, READ_KINDS);
      return this.locked(t.name, TABLE, mode, () => f(this.view(t)));
    });
  }

  query(q: unknown): unknown {
    return bindQuery(this as never, this.core, this.flavour, q as never);
  }

  // ---- writes ---------------------------------------------------------------------------------

  write(ref: Ref, record: unknown, lock: LockKind = "write"): unknown {
    if (this.mod?.write !== undefined) {
      return this.mod.write(this.activityId, this.api, nameOf(ref), record as never, lock as never);
    }
    if (this.flavour === "sync") {
      this.assertOpen();
      return this.writeNow(ref, record, lock);
    }
    try {
      this.assertOpen();
      return this.writeNow(ref, record, lock) ?? DONE;
    } catch (e) {
      return Promise.reject(e);
    }
  }

  private writeNow(ref: Ref, record: unknown, lock: LockKind): unknown {
    const t = this.table(ref);
    const txn = this.txn;
    if (txn === undefined) return void dirtyWrite(this.core, this.activityId, t, record);
    this.checkKind(t, lock, WRITE_KINDS);
    const { key, rec } = prepareWrite(t, record);
    if (lock === "sticky_write") this.stick(t.name, key);
    const op = { op: "write", table: t.name, key, record: rec } as const;
    if (this.flavour === "sync") {
      this.woundConflicts(t.name, key, "write");
      txn.overlay.add(t.name, t.spec.type, op);
      return undefined;
    }
    const wait = this.core.locks.acquire(txn.lock, t.name, key, "write");
    if (wait === undefined) {
      txn.overlay.add(t.name, t.spec.type, op);
      return undefined;
    }
    return wait.then(() => {
      txn.overlay.add(t.name, t.spec.type, op);
    });
  }

  sWrite(ref: Ref, record: unknown): unknown {
    return (this as ActivityContext).write(ref, record, "sticky_write");
  }

  delete(ref: Ref, key: Key, lock: LockKind = "write"): unknown {
    if (this.mod?.delete !== undefined)
      return this.mod.delete(this.activityId, this.api, nameOf(ref), key, lock as never);
    return this.run(() => {
      const t = this.table(ref);
      const txn = this.txn;
      if (txn === undefined) return void dirtyDelete(this.core, this.activityId, t, key);
      this.checkKind(t, lock, WRITE_KINDS);
      const k = checkKey(t, key);
      assertWritable(t, k);
      if (lock === "sticky_write") this.stick(t.name, k);
      return this.locked(t.name, k, "write", () => {
        txn.overlay.add(t.name, t.spec.type, { op: "delete", table: t.name, key: k });
      });
    });
  }

  sDelete(ref: Ref, key: Key): unknown {
    return (this as ActivityContext).delete(ref, key, "sticky_write");
  }

  deleteObject(ref: Ref, record: unknown, lock: LockKind = "write"): unknown {
    if (this.mod?.deleteObject !== undefined) {
      return this.mod.deleteObject(
        this.activityId,
        this.api,
        nameOf(ref),
        record as never,
        lock as never,
      );
    }
    return this.run(() => {
      const t = this.table(ref);
      const txn = this.txn;
      if (txn === undefined) return void dirtyDeleteObject(this.core, this.activityId, t, record);
      this.checkKind(t, lock, WRITE_KINDS);
      const rec = checkedRecord(t, record);
      const key = t.keyOf(rec);
      assertWritable(t, key);
      if (lock === "sticky_write") this.stick(t.name, key);
      return this.locked(t.name, key, "write", () => {
        txn.overlay.add(t.name, t.spec.type, {
          op: "delete_object",
          table: t.name,
          key,
          record: rec,
        });
      });
    });
  }

  sDeleteObject(ref: Ref, record: unknown): unknown {
    return (this as ActivityContext).deleteObject(ref, record, "sticky_write");
  }

  // ---- locks ----------------------------------------------------------------------------------

  lock(item: LockItem, kind: LockKind): unknown {
    if (this.mod?.lock !== undefined) return this.mod.lock(this.activityId, this.api, item, kind);
    return this.run(() => {
      if (this.txn === undefined) return [];
      const node = this.core.node;
      if (item !== null && typeof item === "object" && "global" in item) {
        if (kind !== "read" && kind !== "write")
          throw new BadTypeError(`lock kind ${String(kind)} is not allowed`, { value: kind });
        const nodes = item.nodes ?? [node];
        return this.locked(GLOBAL_SPACE, item.global, kind === "read" ? "read" : "write", () =>
          nodes.filter((n) => n === node),
        );
      }
      if (item !== null && typeof item === "object" && "record" in item) {
        const t = this.table(item.record);
        const mode = this.checkKind(t, kind, READ_KINDS);
        const k = checkKey(t, item.key);
        if (kind === "sticky_write") return this.stickyLock(t.name, k);
        const held = this.heldModes(t.name, k);
        return this.locked(t.name, k, mode, () => {
          if (kind === "read") return [...this.view(t).lookup(k)];
          return needsWriteLock(held, false) ? [node] : [];
        });
      }
      if (item !== null && typeof item === "object" && "table" in item) {
        const t = this.table(item.table);
        const mode = this.checkKind(t, kind, READ_KINDS);
        if (kind === "sticky_write") return this.stickyLock(t.name, TABLE);
        const held = this.heldModes(t.name, TABLE);
        return this.locked(t.name, TABLE, mode, () => tableLockResult(mode, held, node));
      }
      throw new BadTypeError(`not a lock item: ${String(item)}`, { value: item });
    });
  }

  /**
   * A sticky_write lock by lock(). The first one on a table sticks it to this node and, as Mnesia
   * does then, also takes a read lock on the table; later ones are "granted".
   */
  private stickyLock(space: string, key: Key | typeof TABLE): unknown {
    const onTable = key === TABLE;
    const held = this.heldModes(space, key);
    const plain = onTable ? [this.core.node] : "ok";
    if (!needsWriteLock(held, onTable)) return this.locked(space, key, "write", () => plain);
    const stuck = this.core.locks.stuck;
    if (stuck.has(space)) return this.locked(space, key, "write", () => "granted");
    return this.locked(space, TABLE, "read", () =>
      this.locked(space, key, "write", () => {
        stuck.add(space);
        return plain;
      }),
    );
  }

  /** A sticky_write lock taken by a read or write sticks the table, if the lock is new. */
  private stick(space: string, key: Key): void {
    const stuck = this.core.locks.stuck;
    if (!stuck.has(space) && needsWriteLock(this.heldModes(space, key), false)) stuck.add(space);
  }

  /** The modes this transaction holds on a table and one of its records (before a new lock). */
  private heldModes(space: string, key: Key | typeof TABLE): HeldModes {
    const txn = this.txn!;
    if (this.flavour === "async") return this.core.locks.heldModes(txn.lock, space, key);
    const held = txn.syncLocks?.held(space, key) ?? { table: undefined, record: undefined };
    // A synchronous body's record writes are in its overlay.
    if (
      key !== TABLE &&
      held.record === undefined &&
      txn.overlay.table(space)?.get(key) !== undefined
    )
      return { table: held.table, record: "write" };
    return held;
  }

  readLockTable(ref: Ref): unknown {
    return this.lockTable(ref, "read");
  }

  writeLockTable(ref: Ref): unknown {
    return this.lockTable(ref, "write");
  }

  /** mnesia:read_lock_table/1 and write_lock_table/1 return ok, also where the lock is a no-op. */
  private lockTable(ref: Ref, kind: "read" | "write"): unknown {
    const r = (this as ActivityContext).lock({ table: ref }, kind);
    // An access module's lock callback may return a plain value even in an async body.
    return this.flavour === "sync" ? "ok" : Promise.resolve(r).then(() => "ok");
  }

  // ---- nesting --------------------------------------------------------------------------------

  transaction(fn: (tx: Activity<Flavour>) => unknown): unknown {
    return this.nest(this, fn);
  }

  /** Dirty activities nested in a transaction inherit it; outside one they are dirty. */
  asyncDirty(fn: (ctx: Activity<Flavour>) => unknown): unknown {
    return fn(this as unknown as Activity<Flavour>);
  }

  syncDirty(fn: (ctx: Activity<Flavour>) => unknown): unknown {
    return fn(this as unknown as Activity<Flavour>);
  }

  ets(fn: (ctx: Activity<Flavour>) => unknown): unknown {
    return fn(this as unknown as Activity<Flavour>);
  }
}

/** A key's records as the transaction sees them: the committed ones with its own changes applied. */
function lookupIn(t: LiveTable, txn: TxnState, k: Key): readonly unknown[] {
  const ov = txn.overlay.table(t.name);
  const change = ov?.get(k);
  const base = t.store.lookup(k);
  return change === undefined ? base : ov!.apply(base, change);
}

/**
 * The value a pattern element stands for when it contains no wildcard or variable (literal(v)
 * stands for v), else undefined.
 */
function constantOf(p: unknown): { value: unknown } | undefined {
  if (p instanceof Literal) return { value: p.value };
  if (typeof p === "string") return p !== "_" && !/^\$\d+$/.test(p) ? { value: p } : undefined;
  if (p === null || typeof p !== "object" || p instanceof Uint8Array) return { value: p };
  const parts = Array.isArray(p) ? p : Object.values(p);
  const values: unknown[] = [];
  for (const part of parts) {
    const c = constantOf(part);
    if (c === undefined) return undefined;
    values.push(c.value);
  }
  if (Array.isArray(p)) return { value: values };
  return { value: Object.fromEntries(Object.keys(p).map((k, i) => [k, values[i]])) };
}

/** Converts whatever ended an activity into the value thrown to its caller. */
export function abortedError(e: unknown): TransactionAborted {
  if (e instanceof TransactionAborted) return e;
  if (e instanceof UserAbort) return new TransactionAborted(e.reason);
  if (e instanceof MnemeError) return new TransactionAborted(e.reason, e);
  return new TransactionAborted(e, e);
}
