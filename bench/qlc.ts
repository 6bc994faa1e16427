// Mneme's counterpart of ../shared/anchors/mnesia/qlc_meter.erl: the same tables (person 10,000
// with an index on grp, dept 100, pair 10,000 with an index on person_id), the same queries, each
// in asyncDirty and in an async transaction ("_tx"), the query built inside the timed call. Before
// timing, every op runs once through a counting access module and its rows and plan are checked
// (as the anchor's verification run does); the counts go into "note".
import { type AccessModule, eq, gt, Mneme, type Table } from "../src/index.js";
import { emit, log, measure, measureAsync } from "./harness.js";
import { key, N_RECORDS, PERSON_ATTRIBUTES, type Person, person } from "./person.js";

interface Dept {
  id: number;
  name: string;
}
interface Pair {
  id: number;
  person_id: number;
}
const N_DEPTS = 100;

type Tables = { person: Table<Person, "id">; dept: Table<Dept, "id">; pair: Table<Pair, "id"> };
type Ctx =
  | Parameters<Parameters<Mneme["asyncDirty"]>[0]>[0]
  | Parameters<Parameters<Mneme["transaction"]>[0]>[0];

interface Op {
  readonly op: string;
  readonly api: string;
  readonly rows: number;
  /** Runs the op in an activity; returns the answers (or a promise of them). */
  readonly run: (ctx: Ctx, i: number) => unknown[] | Promise<unknown[]>;
  /** Counted calls the plan must make (the anchor's checks). */
  readonly calls?: Readonly<Record<string, number>>;
  /** Log the plan (explain) on stderr. */
  readonly explain?: boolean;
}

function ops(t: Tables): Op[] {
  const { person: P, dept: D, pair: X } = t;
  return [
    {
      op: "qlc_filter_gt",
      api: "query(q => q.from(person, 'p').where(({p}) => gt(p.age, 90))).all()",
      rows: 1000,
      run: (ctx) => ctx.query((q) => q.from(P, "p").where(({ p }) => gt(p.age, 90))).all(),
      calls: { select: 1, read: 0, indexRead: 0 },
    },
    {
      op: "qlc_key_lookup",
      api: "query(q => q.from(person, 'p').where(({p}) => eq(p.id, K))).all(), K scattered",
      rows: 1,
      run: (ctx, i) => {
        const k = key(i);
        return ctx.query((q) => q.from(P, "p").where(({ p }) => eq(p.id, k))).all();
      },
      calls: { read: 1, select: 0, indexRead: 0 },
    },
    {
      op: "qlc_index_lookup",
      api: "query(q => q.from(person, 'p').where(({p}) => eq(p.grp, G))).all(), index on grp",
      rows: 100,
      run: (ctx, i) => {
        const g = i % 100;
        return ctx.query((q) => q.from(P, "p").where(({ p }) => eq(p.grp, g))).all();
      },
      calls: { indexRead: 1, read: 0, select: 0 },
    },
    {
      op: "qlc_join_lookup",
      api: "person p join dept d on p.grp = d.id, select [p.name, d.name]; method chosen by the planner",
      rows: N_RECORDS,
      explain: true,
      run: (ctx) =>
        ctx
          .query((q) =>
            q
              .from(P, "p")
              .join(D, "d", ({ p, d }) => eq(p.grp, d.id))
              .select(({ p, d }) => [p.name, d.name]),
          )
          .all(),
    },
    {
      op: "qlc_join_indexed_10k",
      api: "person p join pair x on x.person_id = p.id (index on pair.person_id), select [p.name, x.id]",
      rows: N_RECORDS,
      run: (ctx) =>
        ctx
          .query((q) =>
            q
              .from(P, "p")
              .join(X, "x", ({ p, x }) => eq(x.person_id, p.id))
              .select(({ p, x }) => [p.name, x.id]),
          )
          .all(),
      calls: { indexRead: N_RECORDS, read: 0 },
    },
    {
      op: "qlc_sort_unique",
      api: "query(q => q.from(person, 'p').select(({p}) => p.age).distinct().sort()).all()",
      rows: 100,
      run: (ctx) =>
        ctx
          .query((q) =>
            q
              .from(P, "p")
              .select(({ p }) => p.age)
              .distinct()
              .sort(),
          )
          .all(),
    },
    {
      op: "qlc_cursor_100",
      api: "c = query(q => q.from(person, 'p')).cursor(), c.next(100), c.close()",
      rows: 100,
      run: (ctx) => {
        const c = ctx.query((q) => q.from(P, "p")).cursor();
        const r = c.next(100);
        const done = (x: unknown[]) => {
          c.close();
          return x;
        };
        return r instanceof Promise ? r.then(done) : done(r);
      },
    },
  ];
}

/** An access module counting the calls a query makes (the anchor's call_count tracing). */
function counter(): { mod: AccessModule; calls: Record<string, number> } {
  const calls: Record<string, number> = { select: 0, read: 0, indexRead: 0, first: 0, next: 0 };
  const mod: AccessModule = {
    select: (_id, o, t, spec, kind) => {
      calls.select!++;
      return o.select(t, spec, kind);
    },
    read: (_id, o, t, k, kind) => {
      calls.read!++;
      return o.read(t, k, kind);
    },
    indexRead: (_id, o, t, v, a) => {
      calls.indexRead!++;
      return o.indexRead(t, v as never, a);
    },
    first: (_id, o, t) => {
      calls.first!++;
      return o.first(t);
    },
    next: (_id, o, t, k) => {
      calls.next!++;
      return o.next(t, k);
    },
  };
  return { mod, calls };
}

async function verify(db: Mneme, o: Op): Promise<string> {
  const { mod, calls } = counter();
  const res = db.activity("async_dirty", (ctx) => o.run(ctx, 0), mod);
  const rows = (await res).length;
  if (rows !== o.rows) throw new Error(`${o.op}: returned ${rows} rows, expected ${o.rows}`);
  for (const [k, n] of Object.entries(o.calls ?? {})) {
    if (calls[k] !== n) throw new Error(`${o.op}: ${k} called ${calls[k]} times, expected ${n}`);
  }
  if (o.op === "qlc_sort_unique") {
    const r = (await res) as number[];
    if (r.some((x, i) => x !== i + 1)) throw new Error(`${o.op}: wrong answers`);
  }
  const counted = Object.entries(calls)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} x${n}`);
  return `calls per op: ${counted.length > 0 ? counted.join(", ") : "none counted"}`;
}

export async function runQlc(): Promise<void> {
  const S = "mneme";
  const ST = "ram_copies";
  log("qlc: mneme ram_copies");
  const db = await Mneme.open({});
  const t: Tables = {
    person: await db.createTable<Person, "id">("person", {
      attributes: PERSON_ATTRIBUTES,
      index: ["grp"],
    }),
    dept: await db.createTable<Dept, "id">("dept", { attributes: ["id", "name"] }),
    pair: await db.createTable<Pair, "id">("pair", {
      attributes: ["id", "person_id"],
      index: ["person_id"],
    }),
  };
  for (let from = 1; from <= N_RECORDS; from += 1000) {
    db.transactionSync((tx) => {
      for (let i = from; i < from + 1000; i++) {
        tx.write(t.person, person(i));
        tx.write(t.pair, { id: i, person_id: key(i) });
      }
    });
  }
  db.transactionSync((tx) => {
    for (let i = 0; i < N_DEPTS; i++) tx.write(t.dept, { id: i, name: `dept-${i}` });
  });
  const list = ops(t);
  const notes = new Map<string, string>();
  for (const o of list) {
    notes.set(o.op, await verify(db, o));
    log(`qlc: ${o.op}: ${notes.get(o.op)}`);
  }
  emit(
    S,
    "none",
    "empty_loop",
    measure(() => undefined),
    { api: "timing loop overhead" },
  );
  for (const o of list) {
    const extra = { rows: o.rows, note: notes.get(o.op) };
    emit(
      S,
      ST,
      o.op,
      measure((i) => {
        const r = db.asyncDirty((ctx) => o.run(ctx, i)) as unknown[];
        if (r.length !== o.rows) throw new Error(`${o.op}: ${r.length} rows`);
      }),
      { api: `asyncDirty, ${o.api}`, ...extra },
    );
    emit(
      S,
      ST,
      `${o.op}_tx`,
      await measureAsync(async (i) => {
        const r = await db.transaction(async (tx) => o.run(tx, i));
        if (r.length !== o.rows) throw new Error(`${o.op}_tx: ${r.length} rows`);
      }),
      { api: `await transaction(async), ${o.api}`, ...extra },
    );
    emit(
      S,
      ST,
      `${o.op}_txsync`,
      measure((i) => {
        const r = db.transactionSync((tx) => o.run(tx, i)) as unknown[];
        if (r.length !== o.rows) throw new Error(`${o.op}_txsync: ${r.length} rows`);
      }),
      { api: `transactionSync, ${o.api}`, ...extra },
    );
  }
  await db.close();
}
