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

/** The optional properties of T (none for a type with an index signature). */
type OptionalKeys<T> = string extends keyof T
  ? never
  : { [P in keyof T]-?: {} extends Pick<T, P> ? P : never }[keyof T];

/**
 * What createTable asks of a record type with optional properties: a property no def has, whose
 * name is the error message. A record always has every attribute; make the property required
 * and use `| null` for "no value".
 */
export type NoOptionalProperties<T> = [OptionalKeys<T>] extends [never]
  ? unknown
  : {
      readonly "Mneme records have no optional properties: make these required (use | null for no value)": OptionalKeys<T>;
    };

type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (
  x: infer I,
) => void
  ? I
  : never;
type LastOf<U> =
  UnionToIntersection<U extends unknown ? () => U : never> extends () => infer L ? L : never;
/** The number of members of U, counted up to 8 (8 means 8 or more). */
type CountUpTo8<U, N extends unknown[] = []> = [U] extends [never]
  ? N["length"]
  : N["length"] extends 8
    ? 8
    : CountUpTo8<Exclude<U, LastOf<U>>, [...N, 0]>;
/** Every order of the names in U, each name once. */
type Orders<U extends string, All extends string = U> = [U] extends [never]
  ? readonly []
  : U extends unknown
    ? readonly [U, ...Orders<Exclude<All, U>>]
    : never;

/**
 * Whether all orders of T's attributes are few enough to list (at most 720: up to 7 attributes
 * with the key given, 6 without).
 */
type FewOrders<T, K extends AttrName<T>> =
  CountUpTo8<K> extends 1
    ? CountUpTo8<AttrName<T>> extends 8
      ? false
      : true
    : CountUpTo8<AttrName<T>> extends 7 | 8
      ? false
      : true;

/**
 * The `attributes` of a table of T with key K: every attribute of T exactly once, K first. For
 * records with more attributes (too many orders to list: 8 with the key given, 7 without),
 * names of T with K first; for an untyped record (AnyRecord), any names.
 */
export type AttributeList<T, K extends AttrName<T> = AttrName<T>> =
  string extends AttrName<T>
    ? readonly string[]
    : [AttrName<T>] extends [never]
      ? readonly string[]
      : FewOrders<T, K> extends false
        ? readonly [K, ...AttrName<T>[]]
        : K extends unknown
          ? readonly [K, ...Orders<Exclude<AttrName<T>, K>>]
          : never;

/** Options of createTable, with Mnesia's names in camelCase. */
export interface TableDef<T, K extends AttrName<T> = AttrName<T>> {
  /**
   * Attribute names; the first is the key. At least two. Typed: every attribute of the record
   * type once, the key (the handle's K) first.
   */
  readonly attributes: AttributeList<T, K>;
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

/** The type of variable V bound by head H (an attribute's whole value), else unknown. */
type VarType<V, H, T> = {
  [A in keyof H]-?: H[A] extends V ? (A extends keyof T ? T[A] : unknown) : never;
}[keyof H] extends infer R
  ? [R] extends [never]
    ? unknown
    : R
  : unknown;

/** The value of body expression E under head H: '$_', a head variable, a literal, a tuple of them. */
type ExprType<E, H, T> = E extends "$_"
  ? Readonly<T>
  : E extends `$${string}`
    ? E extends "$$"
      ? unknown[]
      : VarType<E, H, T>
    : E extends Literal<infer V>
      ? V
      : E extends { readonly const: infer V }
        ? V
        : E extends string | number | bigint | boolean | null
          ? E
          : E extends readonly unknown[]
            ? E extends readonly [infer F, ...unknown[]]
              ? F extends `$${string}` | Literal | { readonly const: unknown }
                ? { -readonly [I in keyof E]: ExprType<E[I], H, T> }
                : F extends string
                  ? unknown // a call, or a tuple led by a string: not worked out
                  : { -readonly [I in keyof E]: ExprType<E[I], H, T> }
              : { -readonly [I in keyof E]: ExprType<E[I], H, T> }
            : unknown;

/**
 * What a match spec returns for each selected record: the value of each clause's last body
 * expression, worked out for '$_' (the record), variables bound to a whole attribute, literals
 * and tuples of those; unknown otherwise.
 */
export type SelectResult<S, T> = S extends readonly (infer C)[]
  ? C extends readonly [infer H, unknown, infer B]
    ? B extends readonly [...unknown[], infer Last]
      ? ExprType<Last, H, T>
      : unknown
    : unknown
  : unknown;

/** The counter of a {key, counter} table: the type of its other attribute. */
export type CounterOf<T, K extends AttrName<T>> = [
  Extract<T[Exclude<AttrName<T>, K>], number | bigint>,
] extends [never]
  ? number | bigint
  : Extract<T[Exclude<AttrName<T>, K>], number | bigint>;

/**
 * The value an index read looks up: the type of attribute A of a typed table; anything (checked
 * when read) for an attribute given by position or a table given by name.
 */
export type IndexValue<T, A> =
  string extends AttrName<T> ? unknown : A extends AttrName<T> ? T[A] : unknown;

/**
 * The record argument of a write to a table of T: T itself for a typed handle; any object
 * (checked when written) for a table given by name.
 */
export type RecordArg<T> = AnyRecord extends T ? object : T;

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
