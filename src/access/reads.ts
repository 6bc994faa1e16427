// The read algorithms, written once over a TableView so that dirty reads and transactional reads
// (committed data plus the transaction's own changes) share them. Each picks the cheapest access
// path: a bound key is a lookup, a bound indexed attribute an index lookup, a key range on an
// ordered table a range scan; only then a full scan.
import { BadArgError, BadTypeError, NoExistsError, WrongTransactionError } from "../errors.js";
import {
  compareKeys,
  formatKey,
  type Key,
  mapKey,
  termEquals,
  valueProblem,
} from "../keys/index.js";
import { compileMatchSpec, NO_MATCH } from "../query/matchspec.js";
import { compilePattern } from "../query/pattern.js";
import type { Rec } from "../store/store.js";
import type { TableView } from "./view.js";

type Bound = { value: unknown } | undefined;

/** Records under a bound key, or the candidates of a bound indexed attribute, or undefined (scan). */
function narrow(view: TableView, bound: (attribute: string) => Bound): Iterable<Rec> | undefined {
  const t = view.table;
  const k = bound(t.keyAttr);
  if (k !== undefined) return view.lookup(k.value as Key);
  let best: { attr: string; value: unknown; count: number } | undefined;
  for (const [attr, idx] of t.indexes) {
    const b = bound(attr);
    if (b === undefined) continue;
    const count = idx.countFor(b.value);
    if (best === undefined || count < best.count) best = { attr, value: b.value, count };
  }
  if (best === undefined) return undefined;
  return recordsByIndex(view, best.attr, best.value);
}

/** Records whose `attribute` equals `value`, through the index (deduplicated, filtered). */
function recordsByIndex(view: TableView, attribute: string, value: unknown): Rec[] {
  const out: Rec[] = [];
  const t = view.table;
  if (view === t.view && t.spec.type !== "bag") {
    // Committed set table: index buckets hold each key once, and the record under it has the value.
    for (const key of t.indexes.get(attribute)?.keysFor(value) ?? []) {
      const r = t.store.get(key);
      if (r !== undefined) out.push(r);
    }
    return inTableOrder(view, out);
  }
  const seen = new Set<ReturnType<typeof mapKey>>();
  for (const key of view.indexCandidates(attribute, value) ?? []) {
    const id = mapKey(key);
    if (seen.has(id)) continue;
    seen.add(id);
    for (const r of view.lookup(key)) if (termEquals(r[attribute], value)) out.push(r);
  }
  return inTableOrder(view, out);
}

/** An ordered table lists its records in key order, whichever access path found them. */
function inTableOrder(view: TableView, records: Rec[]): Rec[] {
  const t = view.table;
  if (t.store.ordered && records.length > 1) {
    records.sort((a, b) => compareKeys(t.keyOf(a), t.keyOf(b)));
  }
  return records;
}

export function selectAll(view: TableView, spec: unknown): unknown[] {
  const t = view.table;
  const ms = compileMatchSpec(spec, t.spec);
  let source = narrow(view, (a) => ms.boundValue(a));
  if (source === undefined) {
    const range = t.store.ordered ? ms.keyRange() : undefined;
    source =
      range === undefined
        ? view.records(ms.filter)
        : view.range(range.lower as never, range.upper as never);
  }
  const out: unknown[] = [];
  for (const r of source) {
    const v = ms.run(r);
    if (v !== NO_MATCH) out.push(v);
  }
  return out;
}

export function matchObject(view: TableView, pattern: unknown): Rec[] {
  const t = view.table;
  if (
    pattern === "_" ||
    pattern === null ||
    typeof pattern !== "object" ||
    Array.isArray(pattern)
  ) {
    throw new BadTypeError(`match pattern of ${t.name} must be an object over its attributes`, {
      table: t.name,
      value: pattern,
    });
  }
  const p = compilePattern(pattern, t.spec);
  const source = narrow(view, (a) => p.boundValue(a)) ?? view.records(p.filter);
  const out: Rec[] = [];
  for (const r of source) if (p.test(r)) out.push(r);
  return out;
}

/** Resolves an attribute given by name or Mnesia position; bad_type for an unknown one. */
export function attributeOf(view: TableView, attribute: unknown): string {
  const t = view.table;
  const names = t.spec.attributes;
  const attr = typeof attribute === "number" ? names[attribute - 2] : (attribute as string);
  if (typeof attr !== "string" || !names.includes(attr)) {
    throw new BadTypeError(`${String(attribute)} is not an attribute of ${t.name}`, {
      table: t.name,
      value: attribute,
    });
  }
  return attr;
}

/**
 * index_read. Without an index on the attribute, a dirty read is badarg and a transactional one
 * no_exists, as in Mnesia.
 */
export function indexRead(
  view: TableView,
  value: unknown,
  attribute: unknown,
  inTransaction: boolean,
): Rec[] {
  const t = view.table;
  const attr = attributeOf(view, attribute);
  if (!t.indexes.has(attr)) {
    const msg = `${t.name} has no index on '${attr}'`;
    throw inTransaction
      ? new NoExistsError(msg, { table: t.name, value: attr })
      : new BadArgError(msg, { table: t.name, value: attr });
  }
  // Any storable value may be looked up; one nested too deeply would overflow the index hashing.
  if (typeof value === "object" && value !== null) {
    const problem = valueProblem(value);
    if (problem !== undefined) {
      throw new BadTypeError(`index_read on ${t.name} by '${attr}': ${problem}`, {
        table: t.name,
        value: attr,
      });
    }
  }
  return recordsByIndex(view, attr, value);
}

/** index_match_object. Without an index on the attribute: badarg, dirty or not, as in Mnesia. */
export function indexMatchObject(view: TableView, pattern: unknown, attribute: unknown): Rec[] {
  const t = view.table;
  if (pattern === null || typeof pattern !== "object" || Array.isArray(pattern)) {
    throw new BadTypeError(`match pattern of ${t.name} must be an object over its attributes`, {
      table: t.name,
      value: pattern,
    });
  }
  const attr = attributeOf(view, attribute);
  const p = compilePattern(pattern, t.spec);
  const b = p.boundValue(attr);
  if (b === undefined) {
    throw new BadTypeError(
      `index_match_object on ${t.name}: attribute '${attr}' must be bound in the pattern`,
      {
        table: t.name,
        value: pattern,
      },
    );
  }
  if (!t.indexes.has(attr)) {
    throw new BadArgError(`${t.name} has no index on '${attr}'`, { table: t.name, value: attr });
  }
  const out: Rec[] = [];
  for (const r of recordsByIndex(view, attr, b.value)) if (p.test(r)) out.push(r);
  return out;
}

export function allKeys(view: TableView): Key[] {
  return [...view.keys()];
}

export function fold<A>(
  view: TableView,
  fn: (record: Rec, acc: A) => A,
  acc: A,
  reverse: boolean,
): A {
  // Materialised first: records written by fn during the fold are not visited (as in Mnesia).
  const records = [...(reverse ? view.recordsReverse() : view.records())];
  for (const r of records) acc = fn(r, acc);
  return acc;
}

/** next/prev of a key. On unordered tables the key must exist (badarg otherwise, as in Mnesia). */
export function step(view: TableView, key: unknown, dir: "next" | "prev"): Key | undefined {
  const t = view.table;
  if (!t.store.ordered && view.lookup(key as Key).length === 0) {
    throw new BadArgError(`${dir} on ${t.name}: key ${formatKey(key)} is not in the table`, {
      table: t.name,
      key,
    });
  }
  return dir === "next" ? view.next(key as Key) : view.prev(key as Key);
}

/** A continuation of select with a limit (mnesia:select/4 and select/1). Opaque to users. */
export class SelectContinuation<R = unknown> {
  /** @internal */
  constructor(
    /** @internal */ readonly rest: readonly R[],
    /** @internal */ readonly limit: number,
    /** @internal The transaction attempt that made it; undefined when made in a dirty activity. */
    readonly owner: object | undefined,
    /** @internal The table selected from (for messages). */
    readonly table: string,
  ) {}
}

export interface SelectChunk<R> {
  readonly results: R[];
  readonly continuation: SelectContinuation<R>;
}

export function checkLimit(table: string, limit: unknown): number {
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit <= 0) {
    throw new BadArgError(
      `select on ${table}: the limit must be a positive integer, got ${String(limit)}`,
      {
        table,
        value: limit,
      },
    );
  }
  return limit;
}

/**
 * Mnesia's select/4: the first chunk and a continuation, or undefined ('$end_of_table') when nothing
 * matches. The matches are taken at this moment: later changes are not seen by the continuation.
 * `owner` is the transaction attempt (undefined in a dirty activity) the continuation belongs to.
 */
export function firstChunk<R>(
  all: readonly R[],
  limit: number,
  owner: object | undefined,
  table: string,
): SelectChunk<R> | undefined {
  if (all.length === 0) return undefined;
  return {
    results: all.slice(0, limit),
    continuation: new SelectContinuation(all.slice(limit), limit, owner, table),
  };
}

/**
 * Mnesia's select/1: the next chunk, or undefined when the results are exhausted. In a transaction
 * (`owner` defined) only a continuation of that same transaction may go on: any other holds
 * another snapshot, so Mnesia aborts with wrong_transaction. A dirty activity takes any.
 */
export function nextChunk<R>(cont: unknown, owner: object | undefined): SelectChunk<R> | undefined {
  if (!(cont instanceof SelectContinuation)) {
    throw new BadArgError("select continuation expected", { value: cont });
  }
  const c = cont as SelectContinuation<R>;
  if (owner !== undefined && c.owner !== owner) {
    throw new WrongTransactionError(
      `this select continuation on ${c.table} was made ${c.owner === undefined ? "in a dirty activity" : "by another transaction"}; continue a selectLimit only in the transaction that started it`,
      { table: c.table },
    );
  }
  return firstChunk(c.rest, c.limit, c.owner, c.table);
}
