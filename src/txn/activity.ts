// The operations available inside an activity. One interface, two flavours:
//  - "sync": a synchronous body (transactionSync, asyncDirty, syncDirty, ets) — operations return values;
//  - "async": an async transaction body — operations return promises (a lock may have to be waited for).
// Keeping the flavours as distinct types means an await can never be forgotten.

import type { SelectChunk, SelectContinuation } from "../access/reads.js";
import type { TableInfoItem, TableInfoResult } from "../db/info.js";
import type { Key } from "../keys/index.js";
import type { QueryRun } from "../qlc/eval/cursor.js";
import type { QueryArg } from "../qlc/run.js";
import type {
  ActivityId,
  ActivityKind,
  AnyRecord,
  AttrName,
  IndexValue,
  LockItem,
  LockKind,
  MatchPattern,
  MatchSpec,
  RecordArg,
  SelectResult,
  Table,
  WriteLockKind,
} from "../types.js";

export type Flavour = "sync" | "async";
export type Ret<F extends Flavour, X> = F extends "async" ? Promise<X> : X;

/** A table given by handle (typed) or by name (records typed as AnyRecord). */
export type TableRef<T extends object, K extends AttrName<T>> = Table<T, K> | string;
/** The key argument for a table: the key attribute's type. */
export type KeyArg<T extends object, K extends AttrName<T>> = T[K] & Key;

/**
 * What mnesia:lock/2 returns: the locked nodes, the records for a record read lock, "ok",
 * "granted" (sticky_write on a stuck table) or false (a table write lock held already); see
 * src/txn/lock-result.ts for which when.
 */
export type LockResult = readonly string[] | readonly AnyRecord[] | "ok" | "granted" | false;

export interface Activity<F extends Flavour> {
  /** The identity of this activity (Mnesia's ActivityId; `tid` for a transaction). */
  readonly activityId: ActivityId;
  readonly kind: ActivityKind;
  /** mnesia:is_transaction/0. */
  isTransaction(): boolean;
  /** mnesia:abort/1: ends the activity with {aborted, reason}. */
  abort(reason: unknown): never;

  read<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    key: KeyArg<T, K>,
    lock?: LockKind,
  ): Ret<F, Readonly<T>[]>;
  wread<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    key: KeyArg<T, K>,
  ): Ret<F, Readonly<T>[]>;
  write<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    record: NoInfer<RecordArg<T>>,
    lock?: WriteLockKind,
  ): Ret<F, void>;
  sWrite<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    record: NoInfer<RecordArg<T>>,
  ): Ret<F, void>;
  delete<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    key: KeyArg<T, K>,
    lock?: WriteLockKind,
  ): Ret<F, void>;
  sDelete<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    key: KeyArg<T, K>,
  ): Ret<F, void>;
  deleteObject<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    record: NoInfer<RecordArg<T>>,
    lock?: WriteLockKind,
  ): Ret<F, void>;
  sDeleteObject<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    record: NoInfer<RecordArg<T>>,
  ): Ret<F, void>;

  matchObject<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    pattern: MatchPattern<T>,
    lock?: LockKind,
  ): Ret<F, Readonly<T>[]>;
  /**
   * mnesia:select/2,3. The result type follows the spec's body (SelectResult): '$_' gives the
   * record, a variable bound to an attribute that attribute's type, else unknown.
   */
  select<
    T extends object = AnyRecord,
    K extends AttrName<T> = AttrName<T>,
    const S extends MatchSpec<T> = MatchSpec<T>,
  >(table: TableRef<T, K>, spec: S, lock?: LockKind): Ret<F, NoInfer<SelectResult<S, T>>[]>;
  /** mnesia:select/4: a first chunk of about `limit` results and a continuation, or undefined if nothing matches. */
  selectLimit<
    T extends object = AnyRecord,
    K extends AttrName<T> = AttrName<T>,
    const S extends MatchSpec<T> = MatchSpec<T>,
  >(
    table: TableRef<T, K>,
    spec: S,
    limit: number,
    lock?: LockKind,
  ): Ret<F, SelectChunk<NoInfer<SelectResult<S, T>>> | undefined>;
  /** mnesia:select/1: the next chunk, or undefined at the end. */
  selectContinue<R>(continuation: SelectContinuation<R>): Ret<F, SelectChunk<R> | undefined>;
  allKeys<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
  ): Ret<F, KeyArg<T, K>[]>;
  /** First key in table order, or undefined ('$end_of_table'). */
  first<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
  ): Ret<F, KeyArg<T, K> | undefined>;
  last<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
  ): Ret<F, KeyArg<T, K> | undefined>;
  next<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    key: KeyArg<T, K>,
  ): Ret<F, KeyArg<T, K> | undefined>;
  prev<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    key: KeyArg<T, K>,
  ): Ret<F, KeyArg<T, K> | undefined>;
  foldl<A, T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    fn: (record: Readonly<T>, acc: A) => A,
    acc: A,
    lock?: LockKind,
  ): Ret<F, A>;
  foldr<A, T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    fn: (record: Readonly<T>, acc: A) => A,
    acc: A,
    lock?: LockKind,
  ): Ret<F, A>;
  /** Records whose `attribute` (name or Mnesia position) equals `value`, through its index. */
  indexRead<
    T extends object = AnyRecord,
    K extends AttrName<T> = AttrName<T>,
    A extends AttrName<T> | number = AttrName<T> | number,
  >(table: TableRef<T, K>, value: NoInfer<IndexValue<T, A>>, attribute: A): Ret<F, Readonly<T>[]>;
  indexMatchObject<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
    table: TableRef<T, K>,
    pattern: MatchPattern<T>,
    attribute: AttrName<T> | number,
    lock?: LockKind,
  ): Ret<F, Readonly<T>[]>;
  /**
   * mnesia:table_info/2 inside the activity: as db.tableInfo (it takes no lock), but through the
   * activity's access module when it has a tableInfo callback.
   */
  tableInfo<I extends TableInfoItem>(
    table: TableRef<object, never> | string,
    item: I,
  ): TableInfoResult<I>;
  /** mnesia:lock/2. Ignored (returns []) outside transactions, as in Mnesia. */
  lock(item: LockItem, kind: LockKind): Ret<F, LockResult>;
  readLockTable(table: TableRef<object, never> | string): Ret<F, "ok">;
  writeLockTable(table: TableRef<object, never> | string): Ret<F, "ok">;

  /**
   * A query (QLC) in this activity: its reads are this activity's operations, so in a transaction
   * they take its locks and see its own writes. Results in the activity's flavour.
   */
  query<B, R>(q: QueryArg<B, R>): QueryRun<R, F>;

  /** A nested transaction: its changes join this one on success and are undone if it aborts (it then throws TransactionAborted). */
  transaction<R>(fn: (tx: Activity<F>) => Ret<F, R>): Ret<F, R>;
  /** Inside a transaction these run in the transaction (Mnesia: nested dirty activities inherit it). */
  asyncDirty<R>(fn: (ctx: Activity<F>) => R): R;
  syncDirty<R>(fn: (ctx: Activity<F>) => R): R;
  ets<R>(fn: (ctx: Activity<F>) => R): R;
}

export type SyncActivity = Activity<"sync">;
export type AsyncActivity = Activity<"async">;

/**
 * An access module (Mnesia's mnesia_access behaviour): receives the activity's operations. Each
 * callback gets the activity id and `opaque`, the default implementation, through which it can
 * carry the operation out. Callbacks left out go straight to the default.
 */
export interface AccessModule {
  lock?(activityId: ActivityId, opaque: Activity<Flavour>, item: LockItem, kind: LockKind): unknown;
  write?(
    activityId: ActivityId,
    opaque: Activity<Flavour>,
    table: string,
    record: AnyRecord,
    kind: WriteLockKind,
  ): unknown;
  delete?(
    activityId: ActivityId,
    opaque: Activity<Flavour>,
    table: string,
    key: Key,
    kind: WriteLockKind,
  ): unknown;
  deleteObject?(
    activityId: ActivityId,
    opaque: Activity<Flavour>,
    table: string,
    record: AnyRecord,
    kind: WriteLockKind,
  ): unknown;
  read?(
    activityId: ActivityId,
    opaque: Activity<Flavour>,
    table: string,
    key: Key,
    kind: LockKind,
  ): unknown;
  matchObject?(
    activityId: ActivityId,
    opaque: Activity<Flavour>,
    table: string,
    pattern: MatchPattern<AnyRecord>,
    kind: LockKind,
  ): unknown;
  allKeys?(
    activityId: ActivityId,
    opaque: Activity<Flavour>,
    table: string,
    kind: LockKind,
  ): unknown;
  first?(activityId: ActivityId, opaque: Activity<Flavour>, table: string): unknown;
  last?(activityId: ActivityId, opaque: Activity<Flavour>, table: string): unknown;
  next?(activityId: ActivityId, opaque: Activity<Flavour>, table: string, key: Key): unknown;
  prev?(activityId: ActivityId, opaque: Activity<Flavour>, table: string, key: Key): unknown;
  indexMatchObject?(
    activityId: ActivityId,
    opaque: Activity<Flavour>,
    table: string,
    pattern: MatchPattern<AnyRecord>,
    attribute: string | number,
    kind: LockKind,
  ): unknown;
  indexRead?(
    activityId: ActivityId,
    opaque: Activity<Flavour>,
    table: string,
    value: unknown,
    attribute: string | number,
    kind: LockKind,
  ): unknown;
  select?(
    activityId: ActivityId,
    opaque: Activity<Flavour>,
    table: string,
    spec: MatchSpec<AnyRecord>,
    kind: LockKind,
  ): unknown;
  foldl?(
    activityId: ActivityId,
    opaque: Activity<Flavour>,
    fn: (r: AnyRecord, acc: unknown) => unknown,
    acc: unknown,
    table: string,
    kind: LockKind,
  ): unknown;
  foldr?(
    activityId: ActivityId,
    opaque: Activity<Flavour>,
    fn: (r: AnyRecord, acc: unknown) => unknown,
    acc: unknown,
    table: string,
    kind: LockKind,
  ): unknown;
  tableInfo?(
    activityId: ActivityId,
    opaque: Activity<Flavour>,
    table: string,
    item: string,
  ): unknown;
}
