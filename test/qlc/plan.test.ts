// Plan tests: the access path and join method the planner picks, asserted on explain() and on
// the activity operations the query makes (counted by an access module, as the anchor's
// verification run counts mnesia:read/select/index_read).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  type AccessModule,
  BadArgError,
  eq,
  ge,
  gt,
  lt,
  Mneme,
  oneOf,
  type Query,
  query,
  type Table,
  table,
} from "../../src/index.js";

interface Person {
  id: number;
  name: string;
  age: number;
  grp: number;
}
interface Dept {
  id: number;
  name: string;
}
interface Pair {
  id: number;
  person_id: number;
}

let db: Mneme;
let person: Table<Person, "id">;
let dept: Table<Dept, "id">;
let pair: Table<Pair, "id">;
let ordered: Table<Person, "id">;
let ordered2: Table<Dept, "id">;

before(async () => {
  db = await Mneme.open({});
  person = await db.createTable<Person, "id">("person", {
    attributes: ["id", "name", "age", "grp"],
    index: ["grp"],
  });
  dept = await db.createTable<Dept, "id">("dept", { attributes: ["id", "name"] });
  pair = await db.createTable<Pair, "id">("pair", {
    attributes: ["id", "person_id"],
    index: ["person_id"],
  });
  ordered = await db.createTable<Person, "id">("ordered", {
    attributes: ["id", "name", "age", "grp"],
    type: "ordered_set",
  });
  ordered2 = await db.createTable<Dept, "id">("ordered2", {
    attributes: ["id", "name"],
    type: "ordered_set",
  });
  db.transactionSync((tx) => {
    for (let i = 1; i <= 200; i++) {
      const p = { id: i, name: `p${i}`, age: (i * 37) % 100, grp: i % 10 };
      tx.write(person, p);
      tx.write(ordered, p);
      tx.write(pair, { id: 1000 + i, person_id: ((i * 7) % 200) + 1 });
    }
    for (let i = 0; i < 10; i++) tx.write(dept, { id: i, name: `d${i}` });
    for (let i = 0; i < 300; i += 3) tx.write(ordered2, { id: i, name: `o${i}` });
  });
});
after(async () => {
  await db.close();
});

/** Runs the query in async_dirty through a counting access module. */
function counted<B, R>(q: Query<B, R>): { rows: R[]; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const n = (k: string) => {
    calls[k] = (calls[k] ?? 0) + 1;
  };
  const mod: AccessModule = {
    select: (_i, o, t, s, k) => {
      n("select");
      return o.select(t, s, k);
    },
    read: (_i, o, t, key, k) => {
      n("read");
      return o.read(t, key, k);
    },
    indexRead: (_i, o, t, v, a) => {
      n("indexRead");
      return o.indexRead(t, v as never, a);
    },
    first: (_i, o, t) => {
      n("first");
      return o.first(t);
    },
    next: (_i, o, t, key) => {
      n("next");
      return o.next(t, key);
    },
  };
  const rows = db.activity("async_dirty", (ctx) => ctx.query(q).all(), mod);
  return { rows, calls };
}

describe("access paths", () => {
  test("an equality on the key is one read, no traversal", async () => {
    const q = query()
      .from(person, "p")
      .where(({ p }) => eq(p.id, 7));
    const e = db.query(q).explain();
    assert.equal(e.generators[0]!.access, "key_lookup");
    assert.deepEqual(e.generators[0]!.values, ["7"]);
    assert.equal(e.text, "1. p <- table person (lock read): key lookup 7");
    const { rows, calls } = counted(q);
    assert.deepEqual(
      rows.map((r) => (r as Person).id),
      [7],
    );
    assert.deepEqual(calls, { read: 1 });
  });

  test("oneOf on the key is one read per value; a value that is no key reads nothing", () => {
    const q = query()
      .from(person, "p")
      .where(({ p }) => oneOf(p.id, [3, 5, 9999]));
    const { rows, calls } = counted(q);
    assert.deepEqual(
      rows.map((r) => (r as Person).id),
      [3, 5],
    );
    assert.deepEqual(calls, { read: 3 });
  });

  test("an equality on an indexed attribute is one index read; other conditions checked", () => {
    const q = query()
      .from(person, "p")
      .where(({ p }) => eq(p.grp, 3))
      .where(({ p }) => gt(p.age, 50));
    const e = db.query(q).explain();
    assert.equal(e.generators[0]!.access, "index_lookup");
    assert.equal(e.generators[0]!.indexAttribute, "grp");
    assert.deepEqual(e.generators[0]!.checked, ["p.age > 50"]);
    const { rows, calls } = counted(q);
    assert.deepEqual(calls, { indexRead: 1 });
    const want = [];
    for (let i = 1; i <= 200; i++) if (i % 10 === 3 && (i * 37) % 100 > 50) want.push(i);
    assert.deepEqual(
      rows.map((r) => (r as Person).id).sort((a, b) => a - b),
      want,
    );
  });

  test("other filters are pushed into the traversal's match spec", () => {
    const q = query()
      .from(person, "p")
      .where(({ p }) => gt(p.age, 90));
    const g = db.query(q).explain().generators[0]!;
    assert.equal(g.access, "traverse");
    assert.equal(g.matchSpec, '[[{"age":"$1"},[[">","$1",{"const":90}]],["$_"]]]');
    assert.deepEqual(g.pushed, ["p.age > 90"]);
    assert.deepEqual(g.checked, []);
    const { rows, calls } = counted(q);
    assert.deepEqual(calls, { select: 1 });
    assert.ok(rows.length > 0 && rows.every((r) => (r as Person).age > 90));
  });

  test("a key range on an ordered_set is a range scan, in key order", () => {
    const q = query()
      .from(ordered, "o")
      .where(({ o }) => ge(o.id, 10))
      .where(({ o }) => lt(o.id, 15));
    const g = db.query(q).explain().generators[0]!;
    assert.equal(g.range, "[10..15)");
    assert.match(db.query(q).explain().text, /key range \[10\.\.15\)/);
    const { rows, calls } = counted(q);
    assert.deepEqual(
      rows.map((r) => (r as Person).id),
      [10, 11, 12, 13, 14],
    );
    assert.deepEqual(calls, { select: 1 });
  });

  test("traverse first_next reads key by key; nObjects traverses in chunks", async () => {
    const q = query()
      .from(table(dept, { traverse: "first_next" }), "d")
      .where(({ d }) => lt(d.id, 3));
    assert.deepEqual(db.query(q).explain().generators[0]!.checked, ["d.id < 3"]);
    const { rows, calls } = counted(q);
    assert.equal(rows.length, 3);
    assert.deepEqual(calls, { first: 1, next: 10, read: 10 });
    const chunked = query().from(table(person, { nObjects: 50 }), "p");
    assert.match(db.query(chunked).explain().text, /in chunks of 50/);
    assert.equal((await db.query(chunked).all()).length, 200);
  });
});

test("a cursor over a whole table walks it key by key, reading only a chunk per request", () => {
  const q = query().from(person, "p");
  assert.match(db.query(q).explain(true).text, /traverse \(first_next\)/);
  assert.match(db.query(q).explain().text, /traverse \(select\)/);
  const calls: Record<string, number> = {};
  const n = (k: string) => {
    calls[k] = (calls[k] ?? 0) + 1;
  };
  const mod: AccessModule = {
    select: (_i, o, t, s, k) => {
      n("select");
      return o.select(t, s, k);
    },
    read: (_i, o, t, key, k) => {
      n("read");
      return o.read(t, key, k);
    },
    first: (_i, o, t) => {
      n("first");
      return o.first(t);
    },
    next: (_i, o, t, key) => {
      n("next");
      return o.next(t, key);
    },
  };
  const got = db.activity(
    "async_dirty",
    (ctx) => {
      const c = ctx.query(q).cursor();
      const page = c.next(5);
      c.close();
      return page;
    },
    mod,
  );
  assert.equal(got.length, 5);
  assert.deepEqual(calls, { first: 1, next: 99, read: 100 });
});

test("orderBy an ordered_set's key streams in source order: a cursor reads only a chunk", () => {
  const q = query()
    .from(ordered, "p")
    .orderBy(({ p }) => p.id);
  assert.match(db.query(q).explain(true).text, /order by p\.id \(order from source, no sort\)/);
  assert.equal(db.query(q).explain().orderFromSource, true);
  // Another order, or a set, still sorts.
  const desc = query()
    .from(ordered, "p")
    .orderBy(({ p }) => p.id, "desc");
  assert.equal(db.query(desc).explain().orderFromSource, false);
  const bySet = query()
    .from(person, "p")
    .orderBy(({ p }) => p.id);
  assert.equal(db.query(bySet).explain().orderFromSource, false);
  const byAge = query()
    .from(ordered, "p")
    .orderBy(({ p }) => p.age);
  assert.equal(db.query(byAge).explain().orderFromSource, false);
  const keys = query()
    .from(ordered, "p")
    .where(({ p }) => ge(p.id, 150))
    .select(({ p }) => p.id)
    .sort();
  assert.match(db.query(keys).explain().text, /sort asc \(order from source, no sort\)/);
  assert.deepEqual(
    counted(keys).rows,
    Array.from({ length: 51 }, (_, i) => 150 + i),
  );
  const calls: Record<string, number> = {};
  const n = (k: string) => {
    calls[k] = (calls[k] ?? 0) + 1;
  };
  const mod: AccessModule = {
    select: (_i, o, t, s, k) => {
      n("select");
      return o.select(t, s, k);
    },
    read: (_i, o, t, key, k) => {
      n("read");
      return o.read(t, key, k);
    },
    first: (_i, o, t) => {
      n("first");
      return o.first(t);
    },
    next: (_i, o, t, key) => {
      n("next");
      return o.next(t, key);
    },
  };
  const got = db.activity(
    "async_dirty",
    (ctx) => {
      const c = ctx.query(q).cursor();
      const page = c.next(10);
      c.close();
      return page;
    },
    mod,
  );
  assert.deepEqual(
    got.map((p) => p.id),
    [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
  );
  // One chunk of the walk (100 of the 200 records), not the whole table.
  assert.deepEqual(calls, { first: 1, next: 99, read: 100 });
});

describe("joins", () => {
  test("a small inner table is hashed once rather than looked up per row", () => {
    const q = query()
      .from(person, "p")
      .join(dept, "d", ({ p, d }) => eq(p.grp, d.id))
      .select(({ p, d }) => [p.name, d.name]);
    const e = db.query(q).explain();
    assert.equal(e.generators[1]!.join?.method, "hash");
    assert.equal(e.generators[1]!.join?.on, "d.id = p.grp");
    const { rows, calls } = counted(q);
    assert.equal(rows.length, 200);
    assert.deepEqual(calls, { select: 2 });
  });

  test("a lookup join reads the inner side through its index, one read per outer row", () => {
    const q = query()
      .from(person, "p")
      .join(pair, "x", ({ p, x }) => eq(x.person_id, p.id))
      .select(({ p, x }) => [p.id, x.id]);
    const g = db.query(q).explain().generators[1]!;
    assert.deepEqual(g.join, {
      method: "lookup",
      on: "x.person_id = p.id",
      via: "index",
      forced: false,
    });
    assert.match(
      db.query(q).explain().text,
      /2\. x <- table pair \(lock read\): lookup join on x\.person_id = p\.id, index read on person_id/,
    );
    const { rows, calls } = counted(q);
    assert.equal(rows.length, 200);
    assert.deepEqual(calls, { select: 1, indexRead: 200 });
  });

  test("a lookup join by key; forcing lookup on dept reads it per row", () => {
    const q = query()
      .from(pair, "x")
      .join(person, "p", ({ p, x }) => eq(p.id, x.person_id));
    assert.equal(db.query(q).explain().generators[1]!.join?.via, "key");
    assert.deepEqual(counted(q).calls, { select: 1, read: 200 });
    const forced = query()
      .from(person, "p")
      .join(dept, "d", ({ p, d }) => eq(p.grp, d.id), "lookup");
    assert.equal(db.query(forced).explain().generators[1]!.join?.forced, true);
    assert.deepEqual(counted(forced).calls, { select: 1, read: 200 });
  });

  test("two ordered_sets joined key to key merge; a non-equality joins by nested loop", () => {
    const q = query()
      .from(ordered, "o")
      .join(ordered2, "t", ({ o, t }) => eq(t.id, o.id))
      .select(({ o, t }) => [o.id, t.name]);
    assert.equal(db.query(q).explain().generators[1]!.join?.method, "merge");
    const { rows, calls } = counted(q);
    assert.deepEqual(rows.slice(0, 3), [
      [3, "o3"],
      [6, "o6"],
      [9, "o9"],
    ]);
    assert.equal(rows.length, 66);
    assert.deepEqual(calls, { select: 2 });
    const nl = query()
      .from(dept, "a")
      .join(dept, "b", ({ a, b }) => lt(a.id, b.id));
    assert.equal(db.query(nl).explain().generators[1]!.join?.method, "nested_loop");
    assert.equal(counted(nl).rows.length, 45);
  });

  test("a forced lookup without a key or index equality is badarg", () => {
    const q = query()
      .from(person, "p")
      .join(dept, "d", ({ p, d }) => eq(p.name, d.name), "lookup");
    assert.throws(() => db.query(q).explain(), BadArgError);
  });
});
