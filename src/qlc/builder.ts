// The typed query builder. Each call returns a new immutable Query whose type parameters track the
// generators (alias -> row type) and the answer type, so that results are inferred from the
// tables' record types. Conditions are data (expr.ts); `filter` is the opaque JS escape hatch.
import { BadArgError } from "../errors.js";
import {
  type Cond,
  FieldRef,
  isCond,
  type RowProxy,
  RowRef,
  rowProxy,
  type Term,
  toTerm,
} from "./expr.js";
import { type AnySource, describeSource, type RowOf, type SourceDesc } from "./source.js";

/** How a join is carried out; QLC's `join` option forces one. */
export type JoinMethod = "lookup" | "merge" | "hash" | "nested_loop";

/** The row references a callback receives: one per alias. */
export type Refs<B> = { readonly [A in keyof B]: RowProxy<B[A]> };
/** The rows an opaque filter receives: one record per alias. */
export type Rows<B> = { readonly [A in keyof B]: Readonly<B[A]> };

/** The answer type of a projection: fields and rows by their record types, tuples and objects by part. */
export type Out<S> =
  S extends RowRef<infer T>
    ? Readonly<T>
    : S extends FieldRef<infer V>
      ? V
      : S extends readonly unknown[]
        ? { -readonly [I in keyof S]: Out<S[I]> }
        : S extends Cond
          ? S
          : S extends object
            ? { -readonly [K in keyof S]: Out<S[K]> }
            : S;

/** A projection as data: a term, or a tuple or object of projections. */
export type Shape =
  | { readonly kind: "term"; readonly term: Term }
  | { readonly kind: "tuple"; readonly items: readonly Shape[] }
  | { readonly kind: "object"; readonly keys: readonly string[]; readonly items: readonly Shape[] };

export interface Generator {
  readonly alias: string;
  readonly source: SourceDesc;
  /** The join method asked for this generator (QLC's join option), if any. */
  readonly method?: JoinMethod;
}

export interface OrderKey {
  readonly term: Term;
  readonly desc: boolean;
}

/** @internal The description of a query, read by the planner. */
export interface QueryState {
  readonly gens: readonly Generator[];
  readonly refs: Readonly<Record<string, RowProxy<unknown>>>;
  readonly conds: readonly Cond[];
  readonly filters: readonly ((rows: Record<string, unknown>) => boolean)[];
  readonly orderBy: readonly OrderKey[];
  readonly shape?: Shape;
  readonly distinct: boolean;
  readonly sort?: "asc" | "desc";
  readonly limit?: number;
}

const EMPTY: QueryState = Object.freeze({
  gens: [],
  refs: {},
  conds: [],
  filters: [],
  orderBy: [],
  distinct: false,
});

type Added<B, A extends string, T> = B & { [K in A]: T };
type FirstOrRows<B, A extends string, T> = [keyof B] extends [never]
  ? Readonly<T>
  : Rows<Added<B, A, T>>;

function withRef(
  refs: Readonly<Record<string, RowProxy<unknown>>>,
  alias: string,
  ref: RowProxy<unknown>,
): Record<string, RowProxy<unknown>> {
  const out: Record<string, RowProxy<unknown>> = {};
  for (const k in refs) out[k] = refs[k]!;
  out[alias] = ref;
  return out;
}

function shapeOf(x: unknown): Shape {
  if (x instanceof RowRef || x instanceof FieldRef) return { kind: "term", term: toTerm(x) };
  if (Array.isArray(x)) return { kind: "tuple", items: x.map(shapeOf) };
  if (typeof x === "object" && x !== null && Object.getPrototypeOf(x) === Object.prototype) {
    const keys = Object.keys(x);
    return {
      kind: "object",
      keys,
      items: keys.map((k) => shapeOf((x as Record<string, unknown>)[k])),
    };
  }
  return { kind: "term", term: toTerm(x) };
}

/**
 * A query: generators (`from`, `join`), conditions (`where`, join conditions), an opaque `filter`,
 * a projection (`select`), ordering (`orderBy`, `sort`), `distinct` and `limit`. Run it with
 * `db.query(q)` or `tx.query(q)`. B maps aliases to row types, R is the answer type.
 */
export class Query<B = {}, R = never> {
  /** @internal */
  constructor(readonly state: QueryState = EMPTY) {}

  private with(patch: Partial<QueryState>): Query<B, R> {
    const s = this.state;
    // Field by field: object spread is slow on this path (a query is built on every call).
    return new Query({
      gens: patch.gens ?? s.gens,
      refs: patch.refs ?? s.refs,
      conds: patch.conds ?? s.conds,
      filters: patch.filters ?? s.filters,
      orderBy: patch.orderBy ?? s.orderBy,
      shape: patch.shape ?? s.shape,
      distinct: patch.distinct ?? s.distinct,
      sort: patch.sort ?? s.sort,
      limit: patch.limit ?? s.limit,
    });
  }

  /** A generator: every row of `source` bound to `alias` (QLC's `P <- mnesia:table(person)`). */
  from<S extends AnySource, A extends string>(
    source: S,
    alias: A,
  ): Query<Added<B, A, RowOf<S>>, FirstOrRows<B, A, RowOf<S>>> {
    return this.addGen(source, alias, undefined) as never;
  }

  /**
   * A further generator joined on `on` (any condition over it and the earlier ones). The planner
   * picks the method (lookup by key or index, merge, hash, nested loop); `method` forces one.
   */
  join<S extends AnySource, A extends string>(
    source: S,
    alias: A,
    on: (refs: Refs<Added<B, A, RowOf<S>>>) => Cond,
    method?: JoinMethod,
  ): Query<Added<B, A, RowOf<S>>, FirstOrRows<B, A, RowOf<S>>> {
    const q = this.addGen(source, alias, method);
    return q.where(on as never) as never;
  }

  private addGen(source: unknown, alias: unknown, method: JoinMethod | undefined): Query<B, R> {
    const s = this.state;
    if (typeof alias !== "string" || alias === "") {
      throw new BadArgError("a generator needs an alias (a non-empty string)", { value: alias });
    }
    if (Object.hasOwn(s.refs, alias)) {
      throw new BadArgError(`alias ${alias} is used twice in one query`, { value: alias });
    }
    if (s.shape !== undefined || s.orderBy.length > 0) {
      throw new BadArgError(`from/join ${alias}: add generators before select and orderBy`, {
        value: alias,
      });
    }
    if (method !== undefined && !["lookup", "merge", "hash", "nested_loop"].includes(method)) {
      throw new BadArgError(`join ${alias}: method must be lookup, merge, hash or nested_loop`, {
        value: method,
      });
    }
    const gen: Generator = { alias, source: describeSource(source), method };
    return this.with({
      gens: [...s.gens, gen],
      refs: withRef(s.refs, alias, rowProxy(s.gens.length, alias)),
    });
  }

  /** A condition over the generators, as data: eq, gt, and, or, ... (see expr.ts). */
  where(fn: (refs: Refs<B>) => Cond): Query<B, R> {
    const c = fn(this.state.refs as Refs<B>);
    if (!isCond(c)) {
      throw new BadArgError(
        "where() must return a condition built with eq, ne, lt, le, gt, ge, oneOf, and, or, not; use filter() for a JavaScript predicate",
        { value: c },
      );
    }
    return this.with({ conds: [...this.state.conds, c] });
  }

  /** An opaque JavaScript predicate over the rows: never pushed down, applied after the joins. */
  filter(fn: (rows: Rows<B>) => boolean): Query<B, R> {
    if (typeof fn !== "function") throw new BadArgError("filter() takes a function", { value: fn });
    return this.with({ filters: [...this.state.filters, fn as never] });
  }

  /** The answers: a field, a row, or a tuple or object of them (its type is inferred). */
  select<S>(fn: (refs: Refs<B>) => S): Query<B, Out<S>> {
    return this.with({ shape: shapeOf(fn(this.state.refs as Refs<B>)) }) as never;
  }

  /** Orders the answers by a field or row of the generators (several calls: further keys). */
  orderBy(fn: (refs: Refs<B>) => unknown, direction: "asc" | "desc" = "asc"): Query<B, R> {
    const term = toTerm(fn(this.state.refs as Refs<B>));
    return this.with({ orderBy: [...this.state.orderBy, { term, desc: direction === "desc" }] });
  }

  /** qlc:sort/1: sorts the answers themselves in Mneme's order of values. */
  sort(direction: "asc" | "desc" = "asc"): Query<B, R> {
    return this.with({ sort: direction });
  }

  /** QLC's {unique, true}: each answer once (the first occurrence). */
  distinct(): Query<B, R> {
    return this.with({ distinct: true });
  }

  /** At most n answers; evaluation stops pulling rows once it has them. */
  limit(n: number): Query<B, R> {
    if (!Number.isInteger(n) || n < 0) {
      throw new BadArgError(`limit must be a non-negative integer, got ${String(n)}`, { value: n });
    }
    return this.with({ limit: n });
  }
}

/** An empty query, to start a builder chain: `query().from(person, "p")`. */
export function query(): Query {
  return new Query();
}

/** Shorthand for `query().from(source, alias)`. */
export function from<S extends AnySource, A extends string>(
  source: S,
  alias: A,
): Query<{ [K in A]: RowOf<S> }, Readonly<RowOf<S>>> {
  return new Query().from(source, alias) as never;
}
