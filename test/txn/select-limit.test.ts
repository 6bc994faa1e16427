// select with a limit (mnesia:select/4 and select/1; FACTS Q6): chunks, continuations, the end,
// bad limits, and what a continuation sees.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  type AnyRecord,
  BadArgError,
  BadTypeError,
  type Mneme,
  type SelectChunk,
  type SyncActivity,
  WrongTransactionError,
} from "../../src/index.js";
import { abortedBy, caught, mnemeError } from "./helpers.js";

const ALL = [["_", [], ["$_"]]] as const;

/** Tables s (set), o (ordered_set), e (empty ordered_set); s and o hold {k: 1..5, v: 10k}, written 4,3,1,2,5. */
async function openQ6(): Promise<Mneme> {
  const { Mneme } = await import("../../src/index.js");
  const db = await Mneme.open();
  await db.createTable("s", { attributes: ["k", "v"] });
  await db.createTable("o", { attributes: ["k", "v"], type: "ordered_set" });
  await db.createTable("e", { attributes: ["k", "v"], type: "ordered_set" });
  for (const t of ["s", "o"]) for (const k of [4, 3, 1, 2, 5]) db.dirtyWrite(t, { k, v: k * 10 });
  return db;
}

/** All chunks of a select with a limit, following continuations until the end. */
function chunks(c: SyncActivity, t: string, spec: unknown, limit: number): unknown[][] {
  const out: unknown[][] = [];
  let chunk: SelectChunk<unknown> | undefined = c.selectLimit(t, spec as never, limit);
  while (chunk !== undefined) {
    out.push(chunk.results);
    chunk = c.selectContinue(chunk.continuation);
  }
  return out;
}

const rec = (k: number) => ({ k, v: k * 10 });
const byK = (a: unknown, b: unknown) =>
  ((a as AnyRecord).k as number) - ((b as AnyRecord).k as number);

describe("select with a limit (FACTS Q6)", () => {
  test("ordered_set: chunks in key order, the last followed by the end", async () => {
    const db = await openQ6();
    assert.deepEqual(
      db.transactionSync((tx) => chunks(tx, "o", ALL, 2)),
      [[rec(1), rec(2)], [rec(3), rec(4)], [rec(5)]],
    );
  });

  test("set: chunks of 2, 2, 1 holding every record once", async () => {
    const db = await openQ6();
    const cs = db.transactionSync((tx) => chunks(tx, "s", ALL, 2));
    assert.deepEqual(
      cs.map((c) => c.length),
      [2, 2, 1],
    );
    assert.deepEqual(cs.flat().sort(byK), [1, 2, 3, 4, 5].map(rec));
    assert.deepEqual(cs.flat(), db.dirtySelect("s", ALL as never));
  });

  test("the first return: results and a continuation; the last non-empty chunk still has one", async () => {
    const db = await openQ6();
    db.transactionSync((tx) => {
      const first = tx.selectLimit("o", ALL as never, 3);
      assert.ok(first !== undefined);
      assert.deepEqual(first.results, [rec(1), rec(2), rec(3)]);
      const second = tx.selectContinue(first.continuation);
      assert.ok(second !== undefined);
      assert.deepEqual(second.results, [rec(4), rec(5)]);
      assert.equal(tx.selectContinue(second.continuation), undefined);
    });
  });

  test("exactly `limit` matches: one chunk, then the end", async () => {
    const db = await openQ6();
    const spec = [[{ k: "$1" }, [["=<", "$1", 2]], ["$_"]]];
    for (const t of ["s", "o"]) {
      const cs = db.transactionSync((tx) => chunks(tx, t, spec, 2));
      assert.equal(cs.length, 1);
      assert.deepEqual(cs[0]!.sort(byK), [rec(1), rec(2)]);
    }
  });

  test("nothing matching, or an empty table: undefined at once ('$end_of_table')", async () => {
    const db = await openQ6();
    db.transactionSync((tx) => {
      assert.equal(tx.selectLimit("s", [[{ v: 999 }, [], ["$_"]]], 2), undefined);
      assert.equal(tx.selectLimit("o", [[{ v: 999 }, [], ["$_"]]], 2), undefined);
      assert.equal(tx.selectLimit("e", ALL as never, 2), undefined);
    });
    assert.equal(
      db.asyncDirty((c) => c.selectLimit("s", [[{ v: 999 }, [], ["$_"]]], 2)),
      undefined,
    );
  });

  test("guards drop records: chunks hold matches only, `limit` of them", async () => {
    const db = await openQ6();
    const spec = [[{ k: "$1" }, [[">", "$1", 3]], ["$1"]]];
    assert.deepEqual(
      db.transactionSync((tx) => chunks(tx, "o", spec, 2)),
      [[4, 5]],
    );
    assert.deepEqual(
      db.transactionSync((tx) => chunks(tx, "s", spec, 2)).map((c) => c.sort()),
      [[4, 5]],
    );
    assert.deepEqual(
      db.transactionSync((tx) => chunks(tx, "o", [[{ k: "$1" }, [[">", "$1", 1]], ["$1"]]], 3)),
      [[2, 3, 4], [5]],
    );
  });

  test("limit 1, and a limit larger than the table", async () => {
    const db = await openQ6();
    assert.deepEqual(
      db.transactionSync((tx) => chunks(tx, "o", ALL, 1)),
      [[rec(1)], [rec(2)], [rec(3)], [rec(4)], [rec(5)]],
    );
    assert.deepEqual(
      db.transactionSync((tx) => chunks(tx, "o", ALL, 1000)),
      [[rec(1), rec(2), rec(3), rec(4), rec(5)]],
    );
  });

  test("dirty activities: the same chunks", async () => {
    const db = await openQ6();
    const expected = [[rec(1), rec(2)], [rec(3), rec(4)], [rec(5)]];
    assert.deepEqual(
      db.asyncDirty((c) => chunks(c, "o", ALL, 2)),
      expected,
    );
    assert.deepEqual(
      db.syncDirty((c) => chunks(c, "o", ALL, 2)),
      expected,
    );
    assert.deepEqual(
      db.ets((c) => chunks(c, "o", ALL, 2)),
      expected,
    );
    assert.deepEqual(
      db.activity("async_dirty", (c) => chunks(c, "s", ALL, 2)).map((c) => c.length),
      [2, 2, 1],
    );
  });

  test("async transactions: promises of the same chunks", async () => {
    const db = await openQ6();
    const cs = await db.transaction(async (tx) => {
      const out: unknown[][] = [];
      let c = await tx.selectLimit("o", ALL as never, 2);
      while (c !== undefined) {
        out.push(c.results);
        c = await tx.selectContinue(c.continuation);
      }
      return out;
    });
    assert.deepEqual(cs, [[rec(1), rec(2)], [rec(3), rec(4)], [rec(5)]]);
  });

  test("a limit of 0, negative, fractional or not a number is badarg", async () => {
    const db = await openQ6();
    for (const limit of [0, -1, 1.5, Number.NaN, Infinity, "2", undefined]) {
      const cause = abortedBy(
        await caught(() =>
          db.transactionSync((tx) => tx.selectLimit("s", ALL as never, limit as never)),
        ),
        BadArgError,
        "badarg",
      );
      assert.equal(cause.table, "s");
      abortedBy(
        await caught(() =>
          db.transaction(async (tx) => tx.selectLimit("o", ALL as never, limit as never)),
        ),
        BadArgError,
        "badarg",
      );
      mnemeError(
        await caught(() => db.asyncDirty((c) => c.selectLimit("s", ALL as never, limit as never))),
        BadArgError,
        "badarg",
      );
    }
  });

  test("a bad lock kind is bad_type; a bad continuation is badarg", async () => {
    const db = await openQ6();
    abortedBy(
      await caught(() =>
        db.transactionSync((tx) => tx.selectLimit("s", ALL as never, 2, "bad" as never)),
      ),
      BadTypeError,
      "bad_type",
    );
    for (const bad of [{}, undefined, "x", { rest: [], limit: 2 }]) {
      abortedBy(
        await caught(() => db.transactionSync((tx) => tx.selectContinue(bad as never))),
        BadArgError,
        "badarg",
      );
    }
  });

  test("a read lock on the table, or a write lock with 'write'", async () => {
    const db = await openQ6();
    const locks = await db.transaction(async (tx) => {
      await tx.selectLimit("o", ALL as never, 2);
      await tx.selectLimit("s", ALL as never, 2, "write");
      return db.systemInfo("held_locks").map((l) => [l.space, l.item, l.mode]);
    });
    assert.deepEqual(locks, [
      ["o", "table", "read"],
      ["s", "table", "write"],
    ]);
  });

  test("own writes before the select are in the chunks, regular in size (Mnesia's are irregular)", async () => {
    const db = await openQ6();
    assert.deepEqual(
      db.transactionSync((tx) => {
        tx.write("o", rec(6));
        tx.delete("o", 1);
        return chunks(tx, "o", ALL, 2);
      }),
      [[rec(2), rec(3)], [rec(4), rec(5)], [rec(6)]],
    );
    assert.deepEqual(
      db.transactionSync((tx) => {
        tx.write("o", { k: 0, v: 0 });
        tx.write("o", { k: 3, v: 33 });
        return chunks(tx, "o", ALL, 2);
      }),
      // (1 was deleted and 6 written by the previous, committed, transaction.)
      [
        [{ k: 0, v: 0 }, rec(2)],
        [{ k: 3, v: 33 }, rec(4)],
        [rec(5), rec(6)],
      ],
    );
    const cs = db.transactionSync((tx) => {
      tx.write("s", rec(6));
      tx.delete("s", 1);
      return chunks(tx, "s", ALL, 2);
    });
    assert.deepEqual(
      cs.map((c) => c.length),
      [2, 2, 1],
    );
    assert.deepEqual(cs.flat().sort(byK), [2, 3, 4, 5, 6].map(rec));
  });

  test("changes after the first chunk are not seen through the continuation", async () => {
    const db = await openQ6();
    const r = db.transactionSync((tx) => {
      const first = tx.selectLimit("o", ALL as never, 2)!;
      tx.write("o", { k: 0, v: 0 });
      tx.write("o", { k: 9, v: 90 });
      tx.delete("o", 4);
      tx.write("o", { k: 5, v: 55 });
      const rest: unknown[][] = [];
      for (let c = tx.selectContinue(first.continuation); c !== undefined; ) {
        rest.push(c.results);
        c = tx.selectContinue(c.continuation);
      }
      return [first.results, ...rest];
    });
    assert.deepEqual(r, [[rec(1), rec(2)], [rec(3), rec(4)], [rec(5)]]);
    // Dirty: a write by someone else between chunks is not seen either.
    const d = db.asyncDirty((c) => {
      const first = c.selectLimit("o", ALL as never, 3)!;
      db.dirtyWrite("o", { k: 100, v: 0 });
      db.dirtyDelete("o", 9);
      return [first.results, c.selectContinue(first.continuation)?.results];
    });
    assert.deepEqual(d, [
      [{ k: 0, v: 0 }, rec(1), rec(2)],
      [rec(3), { k: 5, v: 55 }, { k: 9, v: 90 }],
    ]);
  });

  test("property: the chunks are select's results cut into pieces of `limit`", async () => {
    const { Mneme } = await import("../../src/index.js");
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom("set", "ordered_set", "bag"),
        fc.array(fc.tuple(fc.nat(20), fc.nat(4)), { maxLength: 30 }),
        fc.integer({ min: 1, max: 7 }),
        fc.nat(4),
        async (type, records, limit, above) => {
          const db = await Mneme.open();
          await db.createTable("t", { attributes: ["k", "v"], type });
          for (const [k, v] of records) db.dirtyWrite("t", { k, v });
          const spec = [[{ v: "$1" }, [[">=", "$1", above]], ["$_"]]];
          const all = db.dirtySelect("t", spec as never);
          const cs = db.transactionSync((tx) => chunks(tx, "t", spec, limit));
          assert.deepEqual(cs.flat(), all);
          assert.equal(cs.length, Math.ceil(all.length / limit));
          for (const [i, c] of cs.entries()) {
            assert.equal(c.length, i < cs.length - 1 ? limit : all.length - limit * i);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("a continuation belongs to its activity (issue #8; erl: {aborted, wrong_transaction})", () => {
  const first = (c: SyncActivity) => c.selectLimit("s", ALL, 2) as SelectChunk<AnyRecord>;

  test("made in one transaction, continued in another: wrong_transaction (sync and async)", async () => {
    const db = await openQ6();
    const cont = db.transactionSync((tx) => first(tx).continuation);
    const later = db.transactionSync((tx) => tx.selectContinue(first(tx).continuation));
    const check = (e: unknown) => {
      const cause = abortedBy(e, WrongTransactionError, "wrong_transaction");
      assert.match(
        cause.message,
        /^wrong_transaction: this select continuation on s was made by another transaction; continue a selectLimit only in the transaction that started it$/,
      );
      assert.equal(cause.table, "s");
    };
    check(await caught(() => db.transactionSync((tx) => tx.selectContinue(cont))));
    check(await caught(() => db.transaction(async (tx) => tx.selectContinue(cont))));
    // A continuation of a continuation is still the old transaction's.
    assert.ok(later !== undefined);
    check(await caught(() => db.transactionSync((tx) => tx.selectContinue(later.continuation))));
  });

  test("made in a dirty activity, continued in a transaction: wrong_transaction", async () => {
    const db = await openQ6();
    const cont = db.asyncDirty((c) => first(c).continuation);
    const cause = abortedBy(
      await caught(() => db.transactionSync((tx) => tx.selectContinue(cont))),
      WrongTransactionError,
      "wrong_transaction",
    );
    assert.match(cause.message, /continuation on s was made in a dirty activity/);
  });

  test("a dirty activity continues any continuation, as Mnesia does", async () => {
    const db = await openQ6();
    const fromTx = db.transactionSync((tx) => first(tx));
    const fromDirty = db.asyncDirty((c) => first(c));
    const rest = (c: SyncActivity, cont: SelectChunk<AnyRecord>["continuation"]) =>
      (c.selectContinue(cont) as SelectChunk<AnyRecord>).results.length;
    assert.equal(
      db.syncDirty((c) => rest(c, fromTx.continuation)),
      2,
    );
    assert.equal(
      db.ets((c) => rest(c, fromDirty.continuation)),
      2,
    );
  });

  test("nested transactions share the outer transaction's continuations, both ways", async () => {
    const db = await openQ6();
    const [a, b] = db.transactionSync((tx) => {
      const outer = first(tx);
      const inner = tx.transaction((t2) => first(t2));
      return [
        (tx.transaction((t2) => t2.selectContinue(outer.continuation)) as SelectChunk<AnyRecord>)
          .results.length,
        (tx.selectContinue(inner.continuation) as SelectChunk<AnyRecord>).results.length,
      ];
    });
    assert.deepEqual([a, b], [2, 2]);
  });
});
