// Queries inside activities: a transaction's reads take Mnesia's locks (a traversal a table read
// lock, a key lookup a record lock, table(t, { lock }) the kind asked for), see the transaction's
// own writes, and an aborted transaction leaves nothing; dirty queries take no locks.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import {
  BadArgError,
  eq,
  gt,
  Mneme,
  NoTransactionError,
  query,
  type Table,
  TransactionAborted,
  table,
} from "../../src/index.js";

interface Person {
  id: number;
  name: string;
  grp: number;
}
interface Dept {
  id: number;
  name: string;
}

let db: Mneme;
let person: Table<Person, "id">;
let dept: Table<Dept, "id">;

before(async () => {
  db = await Mneme.open({});
  person = await db.createTable<Person, "id">("person", {
    attributes: ["id", "name", "grp"],
    index: ["grp"],
  });
  dept = await db.createTable<Dept, "id">("dept", { attributes: ["id", "name"] });
  db.transactionSync((tx) => {
    for (let i = 1; i <= 10; i++) tx.write(person, { id: i, name: `p${i}`, grp: i % 3 });
    for (let i = 0; i < 3; i++) tx.write(dept, { id: i, name: `d${i}` });
  });
});
after(async () => {
  await db.close();
});

const held = () =>
  db
    .systemInfo("held_locks")
    .map((l) => `${l.space} ${String(l.item)} ${l.mode}`)
    .sort();

describe("locks", () => {
  test("a traversal takes a table read lock, a key lookup a record read lock", async () => {
    const locks = await db.transaction(async (tx) => {
      await tx
        .query(
          query()
            .from(person, "p")
            .where(({ p }) => gt(p.id, 5)),
        )
        .all();
      await tx
        .query(
          query()
            .from(dept, "d")
            .where(({ d }) => eq(d.id, 1)),
        )
        .all();
      return held();
    });
    assert.deepEqual(locks, ["dept 1 read", "person table read"]);
    assert.deepEqual(held(), []);
  });

  test("table(t, { lock: 'write' }) takes write locks; a lookup join locks each record read", async () => {
    const locks = await db.transaction(async (tx) => {
      await tx
        .query(
          query()
            .from(table(person, { lock: "write" }), "p")
            .where(({ p }) => eq(p.id, 2)),
        )
        .all();
      await tx
        .query(
          query()
            .from(person, "p")
            .where(({ p }) => eq(p.id, 4))
            .join(dept, "d", ({ p, d }) => eq(d.id, p.grp), "lookup"),
        )
        .all();
      return held();
    });
    assert.deepEqual(locks, ["dept 1 read", "person 2 write", "person 4 read"]);
  });

  test("a dirty query takes no locks", () => {
    const locks = db.asyncDirty((ctx) => {
      ctx.query(query().from(person, "p")).all();
      return held();
    });
    assert.deepEqual(locks, []);
  });
});

describe("own writes", () => {
  test("written, changed and deleted records are seen through every access path", async () => {
    const got = await db.transaction(async (tx) => {
      await tx.write(person, { id: 11, name: "new", grp: 1 });
      await tx.write(person, { id: 1, name: "changed", grp: 2 });
      await tx.delete(person, 4);
      const byKey = await tx
        .query(
          query()
            .from(person, "p")
            .where(({ p }) => eq(p.id, 11)),
        )
        .all();
      const byIndex = await tx
        .query(
          query()
            .from(person, "p")
            .where(({ p }) => eq(p.grp, 1))
            .select(({ p }) => p.id),
        )
        .all();
      const joined = await tx
        .query(
          query()
            .from(person, "p")
            .join(dept, "d", ({ p, d }) => eq(d.id, p.grp))
            .where(({ p }) => eq(p.name, "changed"))
            .select(({ p, d }) => [p.id, d.name]),
        )
        .all();
      return { byKey, byIndex: byIndex.sort((a, b) => a - b), joined };
    });
    assert.deepEqual(got.byKey, [{ id: 11, name: "new", grp: 1 }]);
    assert.deepEqual(got.byIndex, [7, 10, 11]);
    assert.deepEqual(got.joined, [[1, "d2"]]);
    // Committed: the dirty view sees it all now.
    assert.equal((await db.query(query().from(person, "p")).all()).length, 10);
  });

  test("an aborted transaction leaves nothing, and releases its locks", async () => {
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.write(person, { id: 99, name: "ghost", grp: 0 });
        const seen = await tx
          .query(
            query()
              .from(person, "p")
              .where(({ p }) => eq(p.id, 99)),
          )
          .all();
        assert.equal(seen.length, 1);
        tx.abort("no");
      }),
      TransactionAborted,
    );
    assert.deepEqual(
      await db
        .query(
          query()
            .from(person, "p")
            .where(({ p }) => eq(p.id, 99)),
        )
        .all(),
      [],
    );
    assert.deepEqual(held(), []);
  });
});

describe("evaluation", () => {
  test("a synchronous body gets values; cursors page lazily; for await in async bodies", async () => {
    const page = db.transactionSync((tx) => {
      const c = tx
        .query(
          query()
            .from(person, "p")
            .select(({ p }) => p.id)
            .sort(),
        )
        .cursor();
      const a = c.next(4);
      const b = c.next(4);
      c.close();
      return [a, b, c.next(4)];
    });
    assert.deepEqual(page, [[1, 2, 3, 5], [6, 7, 8, 9], []]);
    const seen: number[] = [];
    await db.transaction(async (tx) => {
      for await (const id of tx.query(
        query()
          .from(person, "p")
          .select(({ p }) => p.id),
      ))
        seen.push(id);
    });
    assert.deepEqual(
      seen.sort((a, b) => a - b),
      [1, 2, 3, 5, 6, 7, 8, 9, 10, 11],
    );
    const sum = db.asyncDirty((ctx) =>
      ctx
        .query(
          query()
            .from(dept, "d")
            .select(({ d }) => d.id),
        )
        .fold((x, acc) => acc + x, 0),
    );
    assert.equal(sum, 3);
  });

  test("an async iterable source needs an async activity", async () => {
    async function* ids() {
      yield 1;
      yield 2;
    }
    assert.throws(
      () => db.transactionSync((tx) => tx.query(query().from(ids(), "n")).all()),
      (e) => {
        return e instanceof TransactionAborted && e.cause instanceof BadArgError;
      },
    );
    const joined = await db
      .query(
        query()
          .from(ids(), "n")
          .join(person, "p", ({ n, p }) => eq(p.id, n))
          .select(({ p }) => p.name),
      )
      .all();
    assert.deepEqual(joined, ["changed", "p2"]);
  });

  test("a query of an ended transaction cannot read any more", async () => {
    const run = await db.transaction(async (tx) => tx.query(query().from(person, "p")));
    await assert.rejects(run.all(), NoTransactionError);
  });
});
