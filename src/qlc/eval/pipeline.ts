// From a plan to a stream of answers: the generators' streams joined in order, then the opaque
// filters, orderBy, the projection, distinct, sort and limit. Sorting reads everything first
// (unless the source delivers that order already); all other stages pass batches along as they
// come, so a limit stops the reading early.
import { compareTerms, termMapKey } from "../../keys/index.js";
import type { QueryState } from "../builder.js";
import type { Plan } from "../plan.js";
import { type Env, envOrder, projection } from "./compile.js";
import { type MP, then } from "./maybe.js";
import type { Ops } from "./ops.js";
import { joinStream, type Stream, sourceStream } from "./streams.js";

export interface Answers {
  pull(): MP<unknown[] | undefined>;
  close(): void;
}

function readAll<X>(pull: () => MP<X[] | undefined>): MP<X[]> {
  const all: X[] = [];
  const go = (): MP<X[]> =>
    then(pull(), (b) => {
      if (b === undefined) return all;
      for (const x of b) all.push(x);
      return go();
    });
  return go();
}

/** Pulls until a batch survives `f` non-empty. */
function mapBatches<X, Y>(
  pull: () => MP<X[] | undefined>,
  f: (b: X[]) => Y[],
): () => MP<Y[] | undefined> {
  const go = (): MP<Y[] | undefined> =>
    then(pull(), (b) => {
      if (b === undefined) return undefined;
      const out = f(b);
      return out.length > 0 ? out : go();
    });
  return go;
}

/** Sorts everything `pull` gives, once, and hands it out as one batch. */
function sorted<X>(
  pull: () => MP<X[] | undefined>,
  cmp: (a: X, b: X) => number,
): () => MP<X[] | undefined> {
  let done = false;
  return () => {
    if (done) return undefined;
    done = true;
    return then(readAll(pull), (all) => (all.length > 0 ? all.sort(cmp) : undefined));
  };
}

export function answers(ops: Ops, q: QueryState, plan: Plan): Answers {
  const g0 = plan.gens[0]!;
  const single = plan.gens.length === 1;
  let envs: Stream = sourceStream(ops, g0, rowsOf(q, 0), single);
  for (let i = 1; i < plan.gens.length; i++)
    envs = joinStream(ops, envs, plan.gens[i]!, rowsOf(q, i));
  const upstream = envs;
  let pullEnvs: () => MP<Env[] | undefined> = () => upstream.pull();
  const aliases = q.gens.map((g) => g.alias);
  if (q.filters.length > 0) {
    const fs = q.filters;
    pullEnvs = mapBatches(pullEnvs, (b) =>
      b.filter((env) => {
        const rows: Record<string, unknown> = {};
        if (single) rows[aliases[0]!] = env;
        else
          aliases.forEach((a, i) => {
            rows[a] = (env as unknown[])[i];
          });
        return fs.every((f) => f(rows) === true);
      }),
    );
  }
  // An ordered source delivers the order asked for already: the answers stream, unsorted.
  const sortNeeded = !plan.orderFromSource;
  if (q.orderBy.length > 0 && sortNeeded) pullEnvs = sorted(pullEnvs, envOrder(q.orderBy, single));
  const project = projection(q.shape, aliases);
  let pull: () => MP<unknown[] | undefined> =
    q.shape === undefined && single ? pullEnvs : mapBatches(pullEnvs, (b) => b.map(project));
  if (q.distinct) {
    const seen = new Set<unknown>();
    pull = mapBatches(pull, (b) =>
      b.filter((x) => {
        const k = termMapKey(x);
        if (seen.has(k)) return false;
        seen.add(k);
        return true;
      }),
    );
  }
  if (q.sort !== undefined && sortNeeded) {
    const sign = q.sort === "desc" ? -1 : 1;
    pull = sorted(pull, (a, b) => sign * compareTerms(a, b));
  }
  let closed = false;
  const close = () => {
    closed = true;
    upstream.close();
  };
  if (q.limit !== undefined) {
    let left = q.limit;
    const inner = pull;
    pull = () => {
      if (left <= 0) {
        close();
        return undefined;
      }
      return then(inner(), (b) => {
        if (b === undefined) return undefined;
        const out = b.length > left ? b.slice(0, left) : b;
        left -= out.length;
        return out;
      });
    };
  }
  return {
    pull: () => (closed ? undefined : pull()),
    close,
  };
}

function rowsOf(q: QueryState, i: number): unknown {
  const s = q.gens[i]!.source;
  return s.kind === "table" ? undefined : s.rows;
}
