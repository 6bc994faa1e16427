// Binding a query to an activity: the planner reads the tables' definitions from the running
// database, the evaluator calls the activity's operations.
import type { DbCore } from "../db/core.js";
import { BadArgError } from "../errors.js";
import type { Activity, Flavour } from "../txn/activity.js";
import { Query } from "./builder.js";
import { QueryRun } from "./eval/cursor.js";
import { opsOf } from "./eval/ops.js";
import { plan, type TableMeta } from "./plan.js";
import { Append } from "./source.js";

/** A query, a function building one from an empty query (`q => q.from(...)`), or an append. */
export type QueryArg<B, R> = Query<B, R> | ((q: Query) => Query<B, R>) | Append<R>;

function metaOf(core: DbCore, name: string): TableMeta {
  const t = core.table(name);
  return {
    name: t.name,
    type: t.spec.type,
    keyAttr: t.keyAttr,
    indexes: [...t.indexes.keys()],
    size: t.store.size(),
    indexCount: (attr, value) => t.indexes.get(attr)?.countFor(value) ?? 0,
  };
}

/** @internal What ActivityContext.query and db.query call. */
export function bindQuery<B, R, F extends Flavour>(
  ctx: Activity<Flavour>,
  core: DbCore,
  flavour: F,
  q: QueryArg<B, R>,
): QueryRun<R, F> {
  // An append runs as the query drawing every answer from it.
  const built =
    typeof q === "function" ? q(new Query()) : q instanceof Append ? new Query().from(q, "_") : q;
  if (!(built instanceof Query)) {
    throw new BadArgError("query(): a query built with from(...) expected", { value: built });
  }
  return new QueryRun<R, F>(
    flavour,
    opsOf(ctx),
    built.state,
    (s, lazy) => plan(s, (n) => metaOf(core, n), lazy),
    (ctx as unknown as { flavour: Flavour }).flavour === "sync",
  );
}
