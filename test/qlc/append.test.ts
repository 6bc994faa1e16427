// append() (qlc:append/1,2): answers of several queries and sources in order, read lazily (a part
// is not read before the parts ahead of it are exhausted), as a query and as a source.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  type AccessModule,
  append,
  BadArgError,
  eq,
  from,
  gt,
  Mneme,
  query,
  type Table,
} from "../../src/index.js";

interface Item {
  id: number;
  name: string;
}

let db: Mneme;
let a: Table<Item, "id">;
let b: Table<Item, "id">;

before(async () => {
  db = await Mneme.open({});
  a = await db.createTable<Item, "id">("a", { attributes: ["id", "name"], type: "ordered_set" });
  b = await db.createTable<Item, "id">("b", { attributes: ["id", "name"], type: "ordered_set" });
  db.transactionSync((tx) => {
    for (let i = 1; i <= 150; i++) tx.write(a, { id: i, name: `a${i}` });
    for (let i = 1; i <= 3; i++) tx.write(b, { id: i, name: `b${i}` });
  });
});
after(async () => {
  await db.close();
});

/** Counts the operations on each table. */
function counting(calls: Record<string, number>): AccessModule {
  const n = (t: string, op: string) => {
    calls[`${t}.${op}`] = (calls[`${t}.${op}`] ?? 0) + 1;
  };
  return {
    select: (_i, o, t, s, k) => {
      n(t, "select");
      return o.select(t, s, k);
    },
    read: (_i, o, t, key, k) => {
      n(t, "read");
      return o.read(t, key, k);
    },
    first: (_i, o, t) => {
      n(t, "first");
      return o.first(t);
    },
    next: (_i, o, t, key) => {
      n(t, "next");
      return o.next(t, key);
    },
  };
}

test("append concatenates queries and sources in order, in every activity", async () => {
  const q = append(
    from(b, "x").select(({ x }) => x.name),
    [10, 20],
    from(a, "y")
      .where(({ y }) => gt(y.id, 148))
      .select(({ y }) => y.id),
  );
  const want = ["b1", "b2", "b3", 10, 20, 149, 150];
  assert.deepEqual(await db.query(q).all(), want);
  assert.deepEqual(
    db.transactionSync((tx) => tx.query(q).all()),
    want,
  );
  assert.deepEqual(await db.transaction(async (tx) => tx.query(q).all()), want);
  const seen: unknown[] = [];
  for await (const x of db.query(q)) seen.push(x);
  assert.deepEqual(seen, want);
  // Nested appends flatten; an empty append has no answers.
  assert.deepEqual(await db.query(append(append([1]), append(), [2])).all(), [1, 2]);
});

test("explain shows each part's plan, in order", () => {
  const q = append(
    from(b, "x").where(({ x }) => eq(x.id, 2)),
    from(a, "y"),
  );
  assert.equal(
    db.query(q).explain().text,
    [
      "1. _ <- append: the answers of 2 parts, in order",
      "   part 1:",
      "      1. x <- table b (lock read): key lookup 2",
      "   part 2:",
      "      1. y <- table a (lock read): traverse (select)",
    ].join("\n"),
  );
  assert.deepEqual(
    db
      .query(q)
      .explain()
      .generators[0]!.parts!.map((p) => p.generators[0]!.access),
    ["key_lookup", "traverse"],
  );
});

test("a later part is not read before the earlier ones are exhausted", () => {
  const q = append(from(a, "y"), from(b, "x"));
  const calls: Record<string, number> = {};
  const page = db.activity(
    "async_dirty",
    (ctx) => {
      const c = ctx.query(q).cursor();
      const first = c.next(10);
      c.close();
      return first;
    },
    counting(calls),
  );
  assert.deepEqual(
    page.map((r) => r.name),
    ["a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9", "a10"],
  );
  // One chunk of a's key-by-key walk; nothing of b.
  assert.deepEqual(calls, { "a.first": 1, "a.next": 99, "a.read": 100 });
  const all: Record<string, number> = {};
  const rows = db.activity("async_dirty", (ctx) => ctx.query(q).all(), counting(all));
  assert.equal(rows.length, 153);
  assert.deepEqual(all, { "a.select": 1, "b.select": 1 });
});

test("an append is a source of another query (filtered, joined)", async () => {
  const ids = append(
    from(b, "x").select(({ x }) => x.id),
    [149, 500],
  );
  const q = query()
    .from(ids, "i")
    .join(a, "y", ({ i, y }) => eq(y.id, i))
    .select(({ i, y }) => [i, y.name]);
  assert.deepEqual(await db.query(q).all(), [
    [1, "a1"],
    [2, "a2"],
    [3, "a3"],
    [149, "a149"],
  ]);
  assert.match(db.query(q).explain().text, /^1\. i <- append: the answers of 2 parts, in order/);
});

test("a part that is neither a query nor a source is refused with badarg", () => {
  assert.throws(
    () => append(from(b, "x"), 42 as never),
    (e) => e instanceof BadArgError && /append\(\)|query source/.test(e.message),
  );
  assert.throws(() => append(null as never), BadArgError);
});
