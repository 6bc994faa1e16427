// The operators of a plan, pulled in batches of environments (one row per generator bound so
// far): a generator's source, and the joins (lookup, hash, merge, nested loop).
import type { SelectChunk } from "../../access/reads.js";
import { compareTerms, isKey, termMapKey } from "../../keys/index.js";
import type { QueryState } from "../builder.js";
import type { GenPlan } from "../plan.js";
import { conjunction, type Env, getter, type Pred } from "./compile.js";
import { loop, type MP, then } from "./maybe.js";
import type { Ops } from "./ops.js";
import { type Answers, answers } from "./pipeline.js";

export interface Stream {
  /** The next batch (never empty), or undefined at the end. */
  pull(): MP<Env[] | undefined>;
  close(): void;
}

const ALL = Object.freeze([Object.freeze(["_", Object.freeze([]), Object.freeze(["$_"])])]);
const FIRST_NEXT_BATCH = 100;
const ITERABLE_BATCH = 100;

/** The rows of a generator's source in batches (no residual conditions applied). */
function rowBatches(ops: Ops, p: GenPlan, rows: unknown): () => MP<readonly unknown[] | undefined> {
  const a = p.access;
  const t = p.table!;
  switch (a.method) {
    case "array": {
      let done = false;
      return () => {
        if (done) return undefined;
        done = true;
        return rows as readonly unknown[];
      };
    }
    case "iterable": {
      const it = (rows as AsyncIterable<unknown>)[Symbol.asyncIterator]();
      let done = false;
      return async () => {
        if (done) return undefined;
        const out: unknown[] = [];
        while (out.length < ITERABLE_BATCH) {
          const r = await it.next();
          if (r.done === true) {
            done = true;
            break;
          }
          out.push(r.value);
        }
        return out;
      };
    }
    case "append": {
      // A part's answers are read only once the parts before it are exhausted.
      const parts = rows as readonly QueryState[];
      let i = 0;
      let cur: Answers | undefined;
      const step = (): MP<readonly unknown[] | undefined> => {
        if (i >= parts.length) return undefined;
        cur ??= answers(ops, parts[i]!, a.parts[i]!);
        return then(cur.pull(), (b) => {
          if (b !== undefined) return b;
          cur = undefined;
          i++;
          return step();
        });
      };
      return step;
    }
    case "key_lookup":
    case "index_lookup": {
      let done = false;
      return () => {
        if (done) return undefined;
        done = true;
        const out: unknown[] = [];
        const values = a.method === "key_lookup" ? a.values.filter((v) => isKey(v)) : a.values;
        const r = loop(0, values.length, (i) =>
          then(
            a.method === "key_lookup"
              ? ops.read(t, values[i], p.lock)
              : ops.indexRead(t, values[i], a.attribute),
            (rs) => {
              for (const x of rs) out.push(x);
            },
          ),
        );
        return then(r, () => out);
      };
    }
    case "traverse": {
      if (a.traverse === "first_next") {
        let key: unknown;
        let started = false;
        let done = false;
        return () => {
          if (done) return undefined;
          const out: unknown[] = [];
          const step = (): MP<readonly unknown[] | undefined> => {
            if (done || out.length >= FIRST_NEXT_BATCH) return out.length > 0 ? out : undefined;
            const k = started ? ops.next(t, key) : ops.first(t);
            started = true;
            return then(k, (k2) => {
              if (k2 === undefined) {
                done = true;
                return out.length > 0 ? out : undefined;
              }
              key = k2;
              return then(ops.read(t, k2, p.lock), (rs) => {
                for (const x of rs) out.push(x);
                return step();
              });
            });
          };
          return step();
        };
      }
      const spec = (a.matchSpec ?? ALL) as readonly unknown[];
      if (a.nObjects === undefined) {
        let done = false;
        return () => {
          if (done) return undefined;
          done = true;
          return ops.select(t, spec, p.lock);
        };
      }
      let chunk: MP<SelectChunk<unknown> | undefined> | undefined;
      let done = false;
      return () => {
        if (done) return undefined;
        chunk =
          chunk === undefined
            ? ops.selectLimit(t, spec, a.nObjects!, p.lock)
            : then(chunk, (c) =>
                c === undefined ? undefined : ops.selectContinue(c.continuation),
              );
        return then(chunk, (c) => {
          if (c === undefined) {
            done = true;
            return undefined;
          }
          return c.results;
        });
      };
    }
  }
}

/** Reads batches until one is non-empty after `f` (so a filter never yields empty batches). */
function pump<X>(src: () => MP<X | undefined>, f: (x: X) => Env[]): () => MP<Env[] | undefined> {
  const go = (): MP<Env[] | undefined> =>
    then(src(), (x) => {
      if (x === undefined) return undefined;
      const out = f(x);
      return out.length > 0 ? out : go();
    });
  return go;
}

/**
 * The first generator: its rows as environments (the rows themselves when it is the only
 * generator, else one-row arrays), residual conditions checked.
 */
export function sourceStream(ops: Ops, p: GenPlan, rows: unknown, single: boolean): Stream {
  const batches = rowBatches(ops, p, rows);
  const ok = conjunction(p.residual, single);
  if (single) {
    return {
      pull: pump(batches, (rs) => (ok === undefined ? (rs as Env[]) : rs.filter(ok))),
      close() {},
    };
  }
  return {
    pull: pump(batches, (rs) => {
      const out: Env[] = [];
      for (const r of rs) {
        const e = [r];
        if (ok === undefined || ok(e)) out.push(e);
      }
      return out;
    }),
    close() {},
  };
}

/** Every row of a join's inner side (its own conditions applied where the plan pushed them). */
function drain(ops: Ops, p: GenPlan, rows: unknown): MP<unknown[]> {
  const batches = rowBatches(ops, p, rows);
  const out: unknown[] = [];
  const go = (): MP<unknown[]> =>
    then(batches(), (b) => {
      if (b === undefined) return out;
      for (const r of b) out.push(r);
      return go();
    });
  return go();
}

function extend(env: Env, r: unknown): Env {
  const e = (env as unknown[]).slice();
  e.push(r);
  return e;
}

/** Joins the rows of generator `p` to each environment of `outer`. */
export function joinStream(ops: Ops, outer: Stream, p: GenPlan, rows: unknown): Stream {
  const j = p.join!;
  const ok: Pred | undefined = conjunction(p.residual, false);
  const outerValue = j.outer === undefined ? undefined : getter(j.outer, false);
  const attr = j.attribute;
  const emit = (out: Env[], env: Env, r: unknown) => {
    const e = extend(env, r);
    if (ok === undefined || ok(e)) out.push(e);
  };
  const joinValue = (r: unknown) =>
    typeof r === "object" && r !== null ? (r as Record<string, unknown>)[attr!] : undefined;
  const close = () => outer.close();

  // Each outer batch becomes one output batch; empty ones are skipped.
  const stream = (batch: (envs: Env[]) => MP<Env[]>): Stream => {
    const go = (): MP<Env[] | undefined> =>
      then(outer.pull(), (envs) => {
        if (envs === undefined) return undefined;
        return then(batch(envs), (out) => (out.length > 0 ? out : go()));
      });
    return { pull: go, close };
  };

  if (j.method === "lookup") {
    const t = p.table!;
    const byKey = j.via === "key";
    const lookup = (env: Env): MP<readonly unknown[]> | undefined => {
      const v = outerValue!(env);
      if (byKey && !isKey(v)) return undefined;
      return byKey ? ops.read(t, v, p.lock) : ops.indexRead(t, v, attr!);
    };
    // Once an operation returns a promise (an async transaction), the rest of the batch runs in
    // one async frame that awaits each result directly.
    const rest = async (envs: Env[], from: number, out: Env[]): Promise<Env[]> => {
      for (let i = from; i < envs.length; i++) {
        const rs = await lookup(envs[i]!);
        if (rs !== undefined) for (const x of rs) emit(out, envs[i]!, x);
      }
      return out;
    };
    return stream((envs) => {
      const out: Env[] = [];
      for (let i = 0; i < envs.length; i++) {
        const rs = lookup(envs[i]!);
        if (rs instanceof Promise) {
          return rs.then((first) => {
            for (const x of first) emit(out, envs[i]!, x);
            return rest(envs, i + 1, out);
          });
        }
        if (rs !== undefined) for (const x of rs) emit(out, envs[i]!, x);
      }
      return out;
    });
  }

  // The other methods read the inner side once, at the first outer batch.
  let inner: MP<unknown[]> | undefined;
  const innerRows = () => (inner ??= drain(ops, p, rows));

  if (j.method === "hash") {
    let table: Map<unknown, unknown[]> | undefined;
    const build = (rs: unknown[]) => {
      const m = new Map<unknown, unknown[]>();
      for (const r of rs) {
        const v = joinValue(r);
        if (v === undefined) continue;
        const k = termMapKey(v);
        const bucket = m.get(k);
        if (bucket === undefined) m.set(k, [r]);
        else bucket.push(r);
      }
      return m;
    };
    return stream((envs) =>
      then(innerRows(), (rs) => {
        table ??= build(rs);
        const out: Env[] = [];
        for (const env of envs) {
          const v = outerValue!(env);
          if (v === undefined) continue;
          const bucket = table.get(termMapKey(v));
          if (bucket !== undefined) for (const r of bucket) emit(out, env, r);
        }
        return out;
      }),
    );
  }

  if (j.method === "nested_loop") {
    return stream((envs) =>
      then(innerRows(), (rs) => {
        const out: Env[] = [];
        for (const env of envs) for (const r of rs) emit(out, env, r);
        return out;
      }),
    );
  }

  // Merge: the inner rows in order of the join value, walked forward as the outer values rise.
  let sorted: unknown[] | undefined;
  let pos = 0;
  const merge = (envs: Env[], rs: unknown[]) => {
    sorted ??= rs.slice().sort((a, b) => compareTerms(joinValue(a), joinValue(b)));
    const out: Env[] = [];
    for (const env of envs) {
      const v = outerValue!(env);
      while (pos < sorted.length && compareTerms(joinValue(sorted[pos]), v) < 0) pos++;
      for (let q = pos; q < sorted.length && compareTerms(joinValue(sorted[q]), v) === 0; q++) {
        emit(out, env, sorted[q]);
      }
    }
    return out;
  };
  if (j.outerOrdered === true) return stream((envs) => then(innerRows(), (rs) => merge(envs, rs)));
  // An outer side in another order is read whole and sorted on the join value first.
  let done = false;
  return {
    pull() {
      if (done) return undefined;
      done = true;
      const all: Env[] = [];
      const go = (): MP<Env[] | undefined> =>
        then(outer.pull(), (envs) => {
          if (envs !== undefined) {
            for (const e of envs) all.push(e);
            return go();
          }
          all.sort((a, b) => compareTerms(outerValue!(a), outerValue!(b)));
          return then(innerRows(), (rs) => {
            const out = merge(all, rs);
            return out.length > 0 ? out : undefined;
          });
        });
      return go();
    },
    close,
  };
}
