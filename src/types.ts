// Public types shared by every layer. Kept free of implementation so that the layers can depend on it.
import type { Key, Value } from "./keys/index.js";
import type { Literal } from "./query/literal.js";

export type { Key, Value };

export type TableType = "set" | "ordered_set" | "bag";
export type StorageType = "ram_copies" | "disc_copies" | "disc_only_copies";
export type AccessMode = "read_write" | "read_only";
/** Lock kinds of mnesia:lock/2 and the operations' LockKind argument. sticky_write is a write lock on a single node. */
export type LockKind = "read" | "write" | "sticky_write";
export type WriteLockKind = "write" | "sticky_write";

/** Attribute names of a record type. */
export type AttrName<T> = keyof T & string;

/** SNMP key types (mnesia:snmp_open_table/2): one type, or a tuple of types for a multi-column key. */
export type SnmpKeyType = "integer" | "string" | "fix_string";
export interface SnmpStruct {
  readonly key: SnmpKeyType | readonly SnmpKeyType[];
}

/** A user property: an Erlang tuple whose first element is the property's key. */
export type UserProperty = readonly [Key, ...Value[]];

/** Options of createTable, with Mnesia's names in camelCase. */
export interface TableDef<T> {
  /** Attribute names; the first is the key. At least two. */
  readonly attributes: readonly AttrName<T>[];
  readonly type?: TableType;
  /** Nodes with a RAM copy. Default: this node. */
  readonly ramCopies?: readonly string[];
  /** Nodes with a disc copy (planned: durability issue). */
  readonly discCopies?: readonly string[];
  /** Nodes with a disc-only copy (planned: durability issue). */
  readonly discOnlyCopies?: readonly string[];
  /** Attributes with a secondary index: names, or Mnesia tuple positions (key = 2, next attribute = 3, ...). */
  readonly index?: readonly (AttrName<T> | number)[];
  readonly recordName?: string;
  readonly accessMode?: AccessMode;
  readonly loadOrder?: number;
  readonly majority?: boolean;
  readonly localContent?: boolean;
  readonly userProperties?: readonly UserProperty[];
  /** Forwarded to the storage back end: `{ets: [...], dets: [...], lmdb: {...}}`. Stored and reported. */
  readonly storageProperties?: StorageProperties;
  readonly snmp?: SnmpStruct;
}

export interface StorageProperties {
  readonly ets?: readonly Value[];
  readonly dets?: readonly Value[];
  readonly lmdb?: { readonly [option: string]: Value };
}

/**
 * A typed reference to a table. `T` is the record type, `K` the attribute that is the key
 * (by default any attribute, so keys are typed as the union of attribute types; pass the key
 * attribute's name as the second type argument for a precise key type).
 */
export interface Table<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>> {
  readonly name: string;
  /** Phantom member carrying the record type; never set at runtime. */
  readonly __record?: T;
  readonly __key?: K;
}

/** A record of a table whose type is not known statically. */
export type AnyRecord = { readonly [attribute: string]: Value };

export type RecordOf<Tb> = Tb extends Table<infer T, infer _K> ? T : never;
export type KeyOf<Tb> = Tb extends Table<infer T, infer K> ? T[K] & Key : never;

/** Wildcards and variables of match patterns: `'_'` matches anything, `'$1'`, `'$2'`, ... bind. */
export type Wild = "_" | `$${number}`;
/**
 * A pattern over nested values: each position is a value, a wildcard or a variable, or
 * `literal(value)` for a value taken as it is (a user's string "_" or "$1" included).
 */
export type PatternValue<V> =
  | V
  | Literal<V>
  | Wild
  | (V extends readonly (infer E)[] ? readonly PatternValue<E>[] : never);
/** A match_object pattern: attributes left out count as `'_'`. */
export type MatchPattern<T> = { readonly [A in keyof T]?: PatternValue<T[A]> } | "_";

/** A guard or body expression of a match specification (see docs/mnesia-mapping.md, "Match specs"). */
export type MatchExpr =
  | Value
  | { readonly const: Value }
  | Literal
  | readonly MatchExpr[]
  | { readonly [k: string]: MatchExpr };
/** One clause of a match specification: [head, guards, body]. */
export type MatchClause<T> = readonly [
  head: MatchPattern<T>,
  guards: readonly MatchExpr[],
  body: readonly MatchExpr[],
];
export type MatchSpec<T> = readonly MatchClause<T>[];

/** A lock item of mnesia:lock/2. */
export type LockItem =
  | { readonly record: TableName; readonly key: Key }
  | { readonly table: TableName }
  | { readonly global: Key; readonly nodes?: readonly string[] };

export type ActivityKind =
  | "transaction"
  | "sync_transaction"
  | "async_dirty"
  | "sync_dirty"
  | "ets";

/** Identity of an activity, as in Mnesia: a transaction is `tid`. */
export interface ActivityId {
  readonly kind: "tid" | "async_dirty" | "sync_dirty" | "ets";
  readonly id: number;
}

/** Any table reference: a name, or any table handle. */
export type TableName = string | { readonly name: string };
