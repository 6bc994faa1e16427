// Where a generator's rows come from: a table (mnesia:table/1,2), an array, or an async iterable.
import { BadArgError } from "../errors.js";
import type { AnyRecord, AttrName, LockKind, MatchSpec, Table } from "../types.js";
import type { QueryState } from "./builder.js";

/** mnesia:table/2's options. */
export interface TableSourceOptions<T> {
  /** The lock a traversal or lookup takes in a transaction (default "read"). */
  readonly lock?: LockKind;
  /** Traverse in chunks of this many records (select/4 then select/1), as QLC's n_objects. */
  readonly nObjects?: number;
  /**
   * How the table is traversed: "select" (default; filters pushed into a match spec),
   * "first_next" (first/next and a read per key, nothing pushed down), or { select: spec }
   * with a match spec of your own whose body returns the record ('$_').
   */
  readonly traverse?: "select" | "first_next" | { readonly select: MatchSpec<T> };
}

/** A table as a query source: what mnesia:table/1,2 returns. */
export class TableSource<T = AnyRecord> {
  declare readonly __row?: T;
  constructor(
    readonly table: string,
    readonly options: TableSourceOptions<T>,
  ) {}
}

const LOCKS = new Set<unknown>(["read", "write", "sticky_write"]);

/**
 * mnesia:table/1,2: a table as a source of a query, with its lock, chunk size and traversal.
 * A table handle or name can be given to `from`/`join` directly when the defaults suit.
 */
export function table<T extends object = AnyRecord, K extends AttrName<T> = AttrName<T>>(
  t: Table<T, K> | string,
  options: TableSourceOptions<T> = {},
): TableSource<T> {
  const name = typeof t === "string" ? t : t?.name;
  if (typeof name !== "string") {
    throw new BadArgError("table(): a table handle or name expected", { value: t });
  }
  const { lock, nObjects, traverse } = options;
  if (lock !== undefined && !LOCKS.has(lock)) {
    throw new BadArgError(`table(${name}): lock must be read, write or sticky_write`, {
      table: name,
      value: lock,
    });
  }
  if (nObjects !== undefined && (!Number.isInteger(nObjects) || nObjects <= 0)) {
    throw new BadArgError(`table(${name}): nObjects must be a positive integer`, {
      table: name,
      value: nObjects,
    });
  }
  if (
    traverse !== undefined &&
    traverse !== "select" &&
    traverse !== "first_next" &&
    !(typeof traverse === "object" && traverse !== null && Array.isArray(traverse.select))
  ) {
    throw new BadArgError(
      `table(${name}): traverse must be "select", "first_next" or { select: matchSpec }`,
      { table: name, value: traverse },
    );
  }
  return new TableSource<T>(name, options);
}

/**
 * qlc:append/1,2: the answers of several queries (or sources) one after the other, built by
 * append(). Run it like a query, or draw from it as a source. R is the union of the answer types.
 */
export class Append<R = unknown> {
  declare readonly __answer?: R;
  /** @internal Each part as a query (a source part is `from(source)`), in order. */
  constructor(readonly parts: readonly QueryState[]) {}
}

/** Anything a generator can draw from. */
export type Source<T> =
  | Table<T & object, AttrName<T & object>>
  | TableSource<T>
  | Append<T>
  | readonly T[]
  | AsyncIterable<T>;

/** What `from` and `join` accept (the row type is worked out by RowOf). */
export type AnySource =
  | string
  | { readonly name: string }
  | TableSource<unknown>
  | Append<unknown>
  | readonly unknown[]
  | AsyncIterable<unknown>;

/** The row type of a source. */
export type RowOf<S> = S extends string
  ? AnyRecord
  : S extends Table<infer T, infer _K>
    ? T
    : S extends TableSource<infer T>
      ? T
      : S extends Append<infer T>
        ? T
        : S extends readonly (infer T)[]
          ? T
          : S extends AsyncIterable<infer T>
            ? T
            : never;

/** A source as the planner sees it. */
export type SourceDesc =
  | {
      readonly kind: "table";
      readonly table: string;
      readonly options: TableSourceOptions<unknown>;
    }
  | { readonly kind: "array"; readonly rows: readonly unknown[] }
  | { readonly kind: "iterable"; readonly rows: AsyncIterable<unknown> }
  | { readonly kind: "append"; readonly rows: readonly QueryState[] };

export function describeSource(s: unknown): SourceDesc {
  if (s instanceof TableSource) return { kind: "table", table: s.table, options: s.options };
  if (s instanceof Append) return { kind: "append", rows: s.parts };
  if (Array.isArray(s)) return { kind: "array", rows: s };
  if (typeof s === "string") return { kind: "table", table: s, options: {} };
  if (typeof s === "object" && s !== null) {
    if (typeof (s as AsyncIterable<unknown>)[Symbol.asyncIterator] === "function") {
      return { kind: "iterable", rows: s as AsyncIterable<unknown> };
    }
    const name = (s as { name?: unknown }).name;
    if (typeof name === "string") return { kind: "table", table: name, options: {} };
  }
  throw new BadArgError(
    "a query source must be a table (handle, name or table(t, options)), an array, an async iterable or append(...)",
    { value: s },
  );
}
