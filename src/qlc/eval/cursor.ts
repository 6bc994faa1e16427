// A query bound to an activity: all(), fold(), a cursor with next(n)/close(), for await, and
// explain(). Results come in the activity's flavour: values in a synchronous body, promises in an
// async transaction (and from db.query).
import { BadArgError } from "../../errors.js";
import type { Flavour, Ret } from "../../txn/activity.js";
import type { QueryState } from "../builder.js";
import { type Explain, explain } from "../explain.js";
import type { Plan } from "../plan.js";
import { type MP, then } from "./maybe.js";
import type { Ops } from "./ops.js";
import { type Answers, answers } from "./pipeline.js";

function settle<X, F extends Flavour>(flavour: F, f: () => MP<X>): Ret<F, X> {
  if (flavour === "async") {
    try {
      const x = f();
      return (x instanceof Promise ? x : Promise.resolve(x)) as Ret<F, X>;
    } catch (e) {
      return Promise.reject(e) as Ret<F, X>;
    }
  }
  const x = f();
  if (x instanceof Promise) {
    x.catch(() => {});
    throw new BadArgError(
      "this query reads an async iterable: run it in an async transaction or with db.query",
      {},
    );
  }
  return x as Ret<F, X>;
}

/** qlc:cursor/1: answers on demand. */
export class Cursor<R, F extends Flavour = Flavour> {
  private buffer: R[] = [];
  private done = false;
  /** @internal */
  constructor(
    private readonly flavour: F,
    private readonly source: Answers,
  ) {}

  /** qlc:next_answers/2: up to n answers (fewer only at the end); [] once exhausted. */
  next(n = 10): Ret<F, R[]> {
    if (!Number.isInteger(n) || n <= 0) {
      throw new BadArgError(`cursor next: n must be a positive integer, got ${String(n)}`, {
        value: n,
      });
    }
    const fill = (): MP<R[]> => {
      if (this.buffer.length >= n || this.done) {
        const out = this.buffer.length <= n ? this.buffer : this.buffer.slice(0, n);
        this.buffer = this.buffer.length <= n ? [] : this.buffer.slice(n);
        return out;
      }
      return then(this.source.pull(), (b) => {
        if (b === undefined) this.done = true;
        // Batches may be arrays the evaluator does not own (a select's result): never pushed into.
        else this.buffer = this.buffer.length === 0 ? (b as R[]) : this.buffer.concat(b as R[]);
        return fill();
      });
    };
    return settle(this.flavour, fill);
  }

  /** qlc:delete_cursor/1: stops reading; later next() calls return []. */
  close(): void {
    this.done = true;
    this.buffer = [];
    this.source.close();
  }
}

/** A query bound to an activity (what tx.query and db.query return). */
export class QueryRun<R, F extends Flavour = Flavour> implements AsyncIterable<R> {
  private planned?: Plan;
  /** @internal */
  constructor(
    private readonly flavour: F,
    private readonly ops: Ops,
    /** @internal */ readonly state: QueryState,
    private readonly planner: (q: QueryState, lazy: boolean) => Plan,
    /** Whether the activity's operations return values (not promises): cursors walk lazily then. */
    private readonly syncOps: boolean,
  ) {}

  /** @internal */
  plan(): Plan {
    this.planned ??= this.planner(this.state, false);
    return this.planned;
  }

  private answers(): Answers {
    // Planned on first use: planning reads the tables' definitions.
    return answers(this.ops, this.state, this.plan());
  }

  /** qlc:e/1: every answer. */
  all(): Ret<F, R[]> {
    const out: R[] = [];
    let a: Answers | undefined;
    const go = (): MP<R[]> =>
      then((a ??= this.answers()).pull(), (b) => {
        if (b === undefined) return out;
        for (const x of b) out.push(x as R);
        return go();
      });
    return settle(this.flavour, go);
  }

  /** qlc:fold/3. */
  fold<A>(fn: (answer: R, acc: A) => A, acc: A): Ret<F, A> {
    let a: Answers | undefined;
    const go = (): MP<A> =>
      then((a ??= this.answers()).pull(), (b) => {
        if (b === undefined) return acc;
        for (const x of b) acc = fn(x as R, acc);
        return go();
      });
    return settle(this.flavour, go);
  }

  /**
   * qlc:cursor/1. In an activity whose operations return values (all but async transactions),
   * a cursor over a whole table walks it key by key (first/next and a read per key), so it reads
   * only as far as it is asked; explain(true) shows that plan. In an async transaction, where
   * each operation is awaited, it reads the table with one select.
   */
  cursor(): Cursor<R, F> {
    return new Cursor<R, F>(
      this.flavour,
      answers(this.ops, this.state, this.planner(this.state, this.syncOps)),
    );
  }

  /** qlc:info/1: the plan as data, and as lines in .text; `cursor`: the plan of cursor(). */
  explain(cursor = false): Explain {
    return explain(cursor ? this.planner(this.state, true) : this.plan());
  }

  async *[Symbol.asyncIterator](): AsyncIterator<R> {
    const a = this.answers();
    try {
      for (;;) {
        const b = await a.pull();
        if (b === undefined) return;
        for (const x of b) yield x as R;
      }
    } finally {
      a.close();
    }
  }
}
