// The planner: reads the query's conditions (data) and the tables' definitions, and decides for
// each generator how its rows are found (key lookup, index lookup, traversal with a match spec,
// ordered_set range) and how it is joined to the earlier ones (lookup, merge, hash, nested loop).
// The plan is plain data: explain() prints it, the evaluator follows it.
import { BadArgError } from "../errors.js";
import { compareTerms, isKey } from "../keys/index.js";
import type { LockKind, MatchExpr } from "../types.js";
import type { Generator, JoinMethod, OrderKey, QueryState, Shape } from "./builder.js";
import { type CompareOp, type Cond, Const, FieldRef, genMask, maxGen, type Term } from "./expr.js";

/** What the planner needs to know of a table. */
export interface TableMeta {
  readonly name: string;
  readonly type: "set" | "ordered_set" | "bag";
  readonly keyAttr: string;
  readonly indexes: readonly string[];
  readonly size: number;
  /** Records holding `value` in indexed attribute `attr` (for estimates). */
  indexCount(attr: string, value: unknown): number;
}

/** How a generator's rows are found. */
export type Access =
  | { readonly method: "key_lookup"; readonly values: readonly unknown[] }
  | {
      readonly method: "index_lookup";
      readonly attribute: string;
      readonly values: readonly unknown[];
    }
  | {
      readonly method: "traverse";
      readonly traverse: "select" | "first_next" | "match_spec";
      /** The match spec of the traversal: the conditions pushed down, or the user's own. */
      readonly matchSpec?: readonly unknown[];
      /** An ordered_set key range the traversal is limited to. */
      readonly range?: { readonly lower?: RangeEnd; readonly upper?: RangeEnd };
      readonly nObjects?: number;
    }
  | { readonly method: "array" | "iterable" }
  /** append(): each part's plan, read one after the other. */
  | { readonly method: "append"; readonly parts: readonly Plan[] };

export interface RangeEnd {
  readonly value: unknown;
  readonly inclusive: boolean;
}

export interface JoinPlan {
  readonly method: JoinMethod;
  /** The outer side of the equality used (a term over earlier generators), if any. */
  readonly outer?: Term;
  /** The attribute of this generator the equality is on. */
  readonly attribute?: string;
  /** For a lookup join: through the key or an index. */
  readonly via?: "key" | "index";
  /** For a merge join: whether the outer rows arrive ordered on the join value already. */
  readonly outerOrdered?: boolean;
  /** Whether the choice was forced by the query. */
  readonly forced: boolean;
}

export interface GenPlan {
  readonly alias: string;
  readonly gen: number;
  readonly source: "table" | "array" | "iterable" | "append";
  readonly table?: string;
  readonly lock: LockKind;
  readonly tableType?: TableMeta["type"];
  readonly keyAttr?: string;
  /** How the rows are found (for a lookup join: by the outer row's value, see join). */
  readonly access: Access;
  readonly join?: JoinPlan;
  /** Conditions compiled into the traversal's match spec. */
  readonly pushed: readonly Cond[];
  /** Conditions checked in JavaScript once this generator's row is bound. */
  readonly residual: readonly Cond[];
  /** The estimated number of rows bound so far (for choosing join methods). */
  readonly estimate: number;
}

export interface Plan {
  readonly gens: readonly GenPlan[];
  readonly filters: number;
  readonly orderBy: readonly OrderKey[];
  readonly shape?: Shape;
  readonly distinct: boolean;
  readonly sort?: "asc" | "desc";
  readonly limit?: number;
  /**
   * The first generator delivers the rows in the order orderBy (or sort) asks for already (an
   * ordered_set traversed ascending by key): no sort, the answers stream.
   */
  readonly orderFromSource: boolean;
}

/** Splits a condition into its top-level conjuncts. */
function conjuncts(c: Cond, out: Cond[]): void {
  if (c.op === "and") for (const x of c.args) conjuncts(x, out);
  else out.push(c);
}

function fieldOf(t: Term, gen: number): string | undefined {
  return t instanceof FieldRef && t.gen === gen ? t.attr : undefined;
}

/** `field(gen) = constant` (either way round): the attribute and the constant. */
function eqConst(c: Cond, gen: number): { attr: string; values: unknown[] } | undefined {
  if (c.op === "in") {
    const a = fieldOf(c.a, gen);
    return a === undefined ? undefined : { attr: a, values: [...c.values] };
  }
  if (c.op !== "eq") return undefined;
  const [x, y] = [c.a, c.b];
  if (x instanceof Const && fieldOf(y, gen) !== undefined)
    return { attr: fieldOf(y, gen)!, values: [x.value] };
  if (y instanceof Const && fieldOf(x, gen) !== undefined)
    return { attr: fieldOf(x, gen)!, values: [y.value] };
  return undefined;
}

/** `field(gen) = term over earlier generators`: the attribute and the outer term. */
function eqOuter(c: Cond, gen: number): { attr: string; outer: Term } | undefined {
  if (c.op !== "eq") return undefined;
  const earlier = (t: Term) => !(t instanceof Const) && maxGen(genMask(t)) < gen;
  if (fieldOf(c.a, gen) !== undefined && earlier(c.b))
    return { attr: fieldOf(c.a, gen)!, outer: c.b };
  if (fieldOf(c.b, gen) !== undefined && earlier(c.a))
    return { attr: fieldOf(c.b, gen)!, outer: c.a };
  return undefined;
}

const MS_OP: Record<CompareOp, string> = {
  eq: "=:=",
  ne: "=/=",
  lt: "<",
  le: "=<",
  gt: ">",
  ge: ">=",
};

/** A match spec guard for a condition on one generator, or undefined if it cannot be one. */
function guardOf(c: Cond, vars: Map<string, string>): MatchExpr | undefined {
  const term = (t: Term): MatchExpr | undefined => {
    if (t instanceof Const) return { const: t.value as never };
    if (t instanceof FieldRef) {
      let v = vars.get(t.attr);
      if (v === undefined) {
        v = `$${vars.size + 1}`;
        vars.set(t.attr, v);
      }
      return v;
    }
    return undefined; // a whole row: checked in JavaScript
  };
  switch (c.op) {
    case "and":
    case "or": {
      if (c.args.length === 0) return c.op === "and";
      const parts = c.args.map((x) => guardOf(x, vars));
      if (parts.some((p) => p === undefined)) return undefined;
      return parts.length === 1
        ? parts[0]
        : [c.op === "and" ? "andalso" : "orelse", ...(parts as MatchExpr[])];
    }
    case "not": {
      const g = guardOf(c.arg, vars);
      return g === undefined ? undefined : ["not", g];
    }
    case "in": {
      const a = term(c.a);
      if (a === undefined) return undefined;
      if (c.values.length === 0) return false;
      const eqs = c.values.map((v): MatchExpr => ["=:=", a, { const: v as never }]);
      return eqs.length === 1 ? eqs[0]! : ["orelse", ...eqs];
    }
    default: {
      const a = term(c.a);
      const b = term(c.b);
      return a === undefined || b === undefined ? undefined : [MS_OP[c.op], a, b];
    }
  }
}

/** The match spec of a traversal with `conds` pushed down, and the conditions left over. */
function pushDown(conds: readonly Cond[]): { spec?: unknown[]; pushed: Cond[]; rest: Cond[] } {
  const vars = new Map<string, string>();
  const guards: MatchExpr[] = [];
  const pushed: Cond[] = [];
  const rest: Cond[] = [];
  for (const c of conds) {
    const g = guardOf(c, vars);
    if (g === undefined) rest.push(c);
    else {
      guards.push(g);
      pushed.push(c);
    }
  }
  if (pushed.length === 0) return { pushed, rest };
  const head = Object.fromEntries(vars);
  return { spec: [[head, guards, ["$_"]]], pushed, rest };
}

/** The ordered_set key range the conjuncts imply (for explain; the traversal finds it too). */
function keyRange(conds: readonly Cond[], gen: number, key: string): GenPlanRange | undefined {
  let lower: RangeEnd | undefined;
  let upper: RangeEnd | undefined;
  const tighten = (op: CompareOp, value: unknown) => {
    const lo = op === "gt" || op === "ge" || op === "eq";
    const hi = op === "lt" || op === "le" || op === "eq";
    const inclusive = op !== "gt" && op !== "lt";
    if (lo && (lower === undefined || compareTerms(value, lower.value) > 0))
      lower = { value, inclusive };
    if (hi && (upper === undefined || compareTerms(value, upper.value) < 0))
      upper = { value, inclusive };
  };
  const flip: Partial<Record<CompareOp, CompareOp>> = {
    lt: "gt",
    le: "ge",
    gt: "lt",
    ge: "le",
    eq: "eq",
  };
  for (const c of conds) {
    if (c.op === "and" || c.op === "or" || c.op === "not" || c.op === "in" || c.op === "ne")
      continue;
    if (fieldOf(c.a, gen) === key && c.b instanceof Const) tighten(c.op, c.b.value);
    else if (fieldOf(c.b, gen) === key && c.a instanceof Const) tighten(flip[c.op]!, c.a.value);
  }
  return lower === undefined && upper === undefined ? undefined : { lower, upper };
}
type GenPlanRange = { lower?: RangeEnd; upper?: RangeEnd };

/** Plans a query; `meta` gives the definition of a table (no_exists if there is none). */
/**
 * Plans a query; `meta` gives the definition of a table (no_exists if there is none). `lazy`: the
 * answers are read through a cursor, so a whole-table scan of the first generator walks the table
 * key by key (first/next) and reads only as far as the cursor is asked, instead of one select.
 */
export function plan(q: QueryState, meta: (table: string) => TableMeta, lazy = false): Plan {
  if (q.gens.length > 30) {
    throw new BadArgError(`a query has at most 30 generators, this one ${q.gens.length}`, {});
  }
  if (q.gens.length === 0) {
    throw new BadArgError("a query needs at least one generator: from(source, alias)", {});
  }
  const all: Cond[] = [];
  for (const c of q.conds) conjuncts(c, all);
  const byGen: Cond[][] = q.gens.map(() => []);
  for (const c of all) byGen[Math.max(0, maxGen(genMask(c)))]!.push(c);
  const gens: GenPlan[] = [];
  let estimate = 1;
  q.gens.forEach((g, i) => {
    const p = planGen(g, i, byGen[i]!, meta, estimate, gens[0], lazy);
    estimate = p.estimate;
    gens.push(p);
  });
  return {
    gens,
    filters: q.filters.length,
    orderBy: q.orderBy,
    shape: q.shape,
    distinct: q.distinct,
    sort: q.sort,
    limit: q.limit,
    orderFromSource: orderedBySource(q, gens),
  };
}

/**
 * Whether orderBy/sort ask for the order an ordered_set traversal delivers: ascending by the first
 * generator's key, with every join keeping the outer rows' order (lookup, hash, nested loop and a
 * merge whose outer side is ordered already all emit per outer batch, in order).
 */
function orderedBySource(q: QueryState, gens: readonly GenPlan[]): boolean {
  const g0 = gens[0]!;
  if (g0.tableType !== "ordered_set" || g0.access.method !== "traverse") return false;
  if (gens.some((g) => g.join?.method === "merge" && g.join.outerOrdered !== true)) return false;
  const isKey0 = (t: Term | undefined) =>
    t instanceof FieldRef && t.gen === 0 && t.attr === g0.keyAttr;
  if (q.orderBy.length > 0) {
    // Further keys cannot reorder rows of one key when there is one generator (keys are unique).
    const k = q.orderBy[0]!;
    if (k.desc || !isKey0(k.term) || (gens.length > 1 && q.orderBy.length > 1)) return false;
    if (q.sort === undefined) return true;
  } else if (q.sort === undefined) return false;
  // sort() orders the answers themselves: in source order only when each answer is the key.
  return q.sort === "asc" && gens.length === 1 && q.shape?.kind === "term" && isKey0(q.shape.term);
}

interface GenBase {
  readonly alias: string;
  readonly gen: number;
  readonly source: GenPlan["source"];
  readonly table?: string;
  readonly lock: LockKind;
  readonly tableType?: TableMeta["type"];
  readonly keyAttr?: string;
}

/** A GenPlan built field by field (object spread is slow on this hot path). */
function mk(
  b: GenBase,
  r: {
    access: Access;
    join?: JoinPlan;
    pushed: readonly Cond[];
    residual: readonly Cond[];
    estimate: number;
  },
): GenPlan {
  return {
    alias: b.alias,
    gen: b.gen,
    source: b.source,
    table: b.table,
    lock: b.lock,
    tableType: b.tableType,
    keyAttr: b.keyAttr,
    access: r.access,
    join: r.join,
    pushed: r.pushed,
    residual: r.residual,
    estimate: r.estimate,
  };
}

function planGen(
  g: Generator,
  i: number,
  conds: Cond[],
  meta: (table: string) => TableMeta,
  outerEstimate: number,
  first: GenPlan | undefined,
  lazy: boolean,
): GenPlan {
  const own: Cond[] = [];
  const joinConds: Cond[] = [];
  for (const c of conds) {
    const m = genMask(c);
    (m === 0 || m === 1 << i ? own : joinConds).push(c);
  }

  if (g.source.kind !== "table") {
    const source = g.source.kind;
    const join = i === 0 ? undefined : chooseNonTableJoin(g, i, joinConds);
    const residual = join?.outer === undefined ? conds : conds.filter((c) => c !== join.cond);
    return mk(
      { alias: g.alias, gen: i, source, lock: "read" },
      {
        access:
          g.source.kind === "append"
            ? { method: "append", parts: g.source.rows.map((part) => plan(part, meta, lazy)) }
            : { method: g.source.kind },
        join: join?.plan,
        pushed: [],
        residual,
        estimate:
          outerEstimate *
          (source === "array" ? Math.max(1, (g.source.rows as unknown[]).length) : 1000),
      },
    );
  }
  const m = meta(g.source.table);
  const opts = g.source.options;
  const lock = opts.lock ?? "read";
  const tbase: GenBase = {
    alias: g.alias,
    gen: i,
    source: "table",
    table: m.name,
    lock,
    tableType: m.type,
    keyAttr: m.keyAttr,
  };
  const traverse = opts.traverse ?? "select";
  // A join by lookup into this table: for each outer row, read by key or index.
  if (i > 0) {
    const cands: { attr: string; outer: Term; cond: Cond }[] = [];
    for (const c of joinConds) {
      const e = eqOuter(c, i);
      if (e !== undefined) cands.push({ attr: e.attr, outer: e.outer, cond: c });
    }
    const byKey = cands.find((c) => c.attr === m.keyAttr);
    const byIndex = cands.find((c) => m.indexes.includes(c.attr));
    const lookup = byKey ?? byIndex;
    const forced = g.method;
    if (forced === "lookup" && lookup === undefined) {
      throw new BadArgError(
        `join ${g.alias}: a lookup join needs an equality on ${m.name}'s key (${m.keyAttr}) or an indexed attribute (${m.indexes.join(", ") || "none"})`,
        { table: m.name },
      );
    }
    const eqc = lookup ?? cands[0];
    if ((forced === "merge" || forced === "hash") && eqc === undefined) {
      throw new BadArgError(
        `join ${g.alias}: a ${forced} join needs an equality with an earlier generator`,
        {
          table: m.name,
        },
      );
    }
    // Lookups cost one read per outer row; a hash join one traversal of this table.
    // Two ordered_sets joined key to key merge in one pass over each, with no lookups.
    const merge = cands.find((c) => mergeable(first, c.outer, m, c.attr, i));
    const method: JoinMethod =
      forced ??
      (merge !== undefined
        ? "merge"
        : lookup !== undefined && m.size * 4 > outerEstimate
          ? "lookup"
          : eqc === undefined
            ? "nested_loop"
            : "hash");
    if (method === "lookup") {
      const via = lookup === byKey ? "key" : "index";
      return mk(tbase, {
        access:
          via === "key"
            ? { method: "key_lookup", values: [] }
            : { method: "index_lookup", attribute: lookup!.attr, values: [] },
        join: {
          method,
          outer: lookup!.outer,
          attribute: lookup!.attr,
          via,
          forced: forced !== undefined,
        },
        pushed: [],
        residual: conds.filter((c) => c !== lookup!.cond),
        estimate: via === "key" ? outerEstimate : outerEstimate * Math.max(1, m.size / 100),
      });
    }
    const scan = traversal(m, own, i, opts, traverse);
    const used = method === "nested_loop" ? undefined : method === "merge" ? (merge ?? eqc) : eqc;
    return mk(tbase, {
      access: scan.access,
      join: {
        method,
        outer: used?.outer,
        attribute: used?.attr,
        outerOrdered:
          method === "merge" ? mergeable(first, used!.outer, m, used!.attr, i) : undefined,
        forced: forced !== undefined,
      },
      pushed: scan.pushed,
      residual: [...scan.rest, ...joinConds.filter((c) => c !== used?.cond)],
      estimate: outerEstimate * Math.max(1, method === "nested_loop" ? m.size : m.size / 100),
    });
  }
  // The first generator: a key lookup, an index lookup, or a traversal.
  if (traverse === "select") {
    const eqs: { attr: string; values: unknown[]; cond: Cond }[] = [];
    for (const c of own) {
      const e = eqConst(c, i);
      if (e !== undefined) eqs.push({ attr: e.attr, values: e.values, cond: c });
    }
    const key = eqs.find((e) => e.attr === m.keyAttr);
    if (key !== undefined) {
      return mk(tbase, {
        access: { method: "key_lookup", values: key.values },
        pushed: [],
        residual: own.filter((c) => c !== key.cond),
        estimate: key.values.length,
      });
    }
    const idx = eqs
      .filter((e) => m.indexes.includes(e.attr))
      .map((e) => ({
        attr: e.attr,
        values: e.values,
        cond: e.cond,
        count: e.values.reduce((n: number, v) => n + m.indexCount(e.attr, v), 0),
      }))
      .sort((a, b) => a.count - b.count)[0];
    if (idx !== undefined) {
      return mk(tbase, {
        access: { method: "index_lookup", attribute: idx.attr, values: idx.values },
        pushed: [],
        residual: own.filter((c) => c !== idx.cond),
        estimate: Math.max(1, idx.count),
      });
    }
  }
  const plain = traverse === "select" && opts.nObjects === undefined && own.length === 0;
  const scan = traversal(m, own, i, opts, lazy && plain ? "first_next" : traverse);
  return mk(tbase, {
    access: scan.access,
    pushed: scan.pushed,
    residual: scan.rest,
    estimate: Math.max(1, m.size),
  });
}

/** A merge join needs no sort of the outer side when both are ordered_sets joined key to key. */
function mergeable(
  first: GenPlan | undefined,
  outer: Term,
  m: TableMeta,
  attr: string,
  i: number,
): boolean {
  return (
    i === 1 &&
    first !== undefined &&
    first.tableType === "ordered_set" &&
    first.access.method === "traverse" &&
    outer instanceof FieldRef &&
    outer.gen === 0 &&
    m.type === "ordered_set" &&
    attr === m.keyAttr &&
    first.join === undefined &&
    outer.attr === first.keyAttr
  );
}

function traversal(
  m: TableMeta,
  own: readonly Cond[],
  i: number,
  opts: { readonly nObjects?: number; readonly traverse?: unknown },
  traverse: "select" | "first_next" | { readonly select: unknown },
): { access: Access; pushed: Cond[]; rest: Cond[] } {
  if (traverse === "first_next") {
    return { access: { method: "traverse", traverse: "first_next" }, pushed: [], rest: [...own] };
  }
  if (typeof traverse === "object") {
    return {
      access: {
        method: "traverse",
        traverse: "match_spec",
        matchSpec: traverse.select as unknown[],
        nObjects: opts.nObjects,
      },
      pushed: [],
      rest: [...own],
    };
  }
  const { spec, pushed, rest } = pushDown(own);
  const range = m.type === "ordered_set" ? keyRange(pushed, i, m.keyAttr) : undefined;
  return {
    access: {
      method: "traverse",
      traverse: "select",
      matchSpec: spec,
      range,
      nObjects: opts.nObjects,
    },
    pushed,
    rest,
  };
}

function chooseNonTableJoin(
  g: Generator,
  i: number,
  joinConds: readonly Cond[],
): { plan: JoinPlan; outer?: Term; cond?: Cond } {
  const e = joinConds.map((c) => ({ c, e: eqOuter(c, i) })).find((x) => x.e !== undefined);
  const forced = g.method;
  if (forced === "lookup") {
    throw new BadArgError(`join ${g.alias}: a lookup join needs a table to look up in`, {});
  }
  if ((forced === "merge" || forced === "hash") && e === undefined) {
    throw new BadArgError(
      `join ${g.alias}: a ${forced} join needs an equality with an earlier generator`,
      {},
    );
  }
  const method: JoinMethod = forced ?? (e === undefined ? "nested_loop" : "hash");
  if (method === "nested_loop" || e === undefined)
    return { plan: { method, forced: forced !== undefined } };
  return {
    plan: {
      method,
      outer: e.e!.outer,
      attribute: e.e!.attr,
      outerOrdered: false,
      forced: forced !== undefined,
    },
    outer: e.e!.outer,
    cond: e.c,
  };
}

/** A constant that cannot be a key finds nothing by key (rather than failing with bad_type). */
export function lookupKeys(values: readonly unknown[]): unknown[] {
  return values.filter((v) => isKey(v));
}
