// Activities: results, aborts and what they leave behind, retries, isTransaction, dirty activities
// nested in transactions and transactions nested in dirty activities, operations outside activities.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type AsyncActivity,
  BadArgError,
  BadTypeError,
  type Mneme,
  NoExistsError,
  NoTransactionError,
  NotRunningError,
  type SyncActivity,
  TransactionAborted,
} from "../../src/index.js";
import {
  aborted,
  abortedBy,
  caught,
  mnemeError,
  openKV,
  outcome,
  settleWithin,
  tick,
} from "./helpers.js";

/** Everything a test could observe of the fixture tables through dirty reads. */
function snapshot(db: Mneme): unknown {
  const out: Record<string, unknown> = {};
  for (const t of ["s", "o", "b"]) {
    out[t] = {
      keys: db.dirtyAllKeys(t),
      records: db.dirtySelect(t, [["_", [], ["$_"]]]),
      size: db.tableInfo(t, "size"),
      byIndex: [1, 3, 5, 7, 9, 30, "x"].map((v) => db.dirtyIndexRead(t, v, "v")),
    };
  }
  return out;
}

/** A body that changes every fixture table in every way: new key, changed indexed value, deletions. */
function changeAll(tx: SyncActivity): void {
  for (const t of ["s", "o", "b"]) {
    tx.write(t, { k: 7, v: 7 });
    tx.write(t, { k: 1, v: 30 });
    tx.delete(t, 3);
    tx.deleteObject(t, { k: 5, v: 5 });
    tx.write(t, { k: 9, v: "x" });
  }
}

describe("activity results", () => {
  test("transactionSync returns the body's value and commits", async () => {
    const db = await openKV();
    const r = db.transactionSync((tx) => {
      tx.write("s", { k: 2, v: 2 });
      return { read: tx.read("s", 2), n: 42 };
    });
    assert.deepEqual(r, { read: [{ k: 2, v: 2 }], n: 42 });
    assert.deepEqual(db.dirtyRead("s", 2), [{ k: 2, v: 2 }]);
    assert.deepEqual(db.dirtyIndexRead("s", 2, "v"), [{ k: 2, v: 2 }]);
  });

  test("transaction and syncTransaction resolve to the body's value (async or plain) and commit", async () => {
    const db = await openKV();
    assert.equal(
      await db.transaction(async (tx) => {
        await tx.write("s", { k: 2, v: 2 });
        return "async";
      }),
      "async",
    );
    assert.equal(await db.transaction(() => "plain"), "plain");
    assert.deepEqual(
      await db.syncTransaction(async (tx) => {
        await tx.write("o", { k: 2, v: 2 });
        return tx.read("o", 2);
      }),
      [{ k: 2, v: 2 }],
    );
    assert.deepEqual(db.dirtyRead("s", 2), [{ k: 2, v: 2 }]);
    assert.deepEqual(db.dirtyRead("o", 2), [{ k: 2, v: 2 }]);
  });

  test("activity(kind, fn): transactions return promises of the value, dirty kinds the value", async () => {
    const db = await openKV();
    assert.equal(await db.activity("transaction", async () => "t"), "t");
    assert.equal(await db.activity("sync_transaction", async (tx) => tx.kind), "sync_transaction");
    assert.equal(await db.activity(["transaction", 3], async (tx) => tx.kind), "transaction");
    assert.equal(await db.activity(["sync_transaction", 0], async () => "st0"), "st0");
    assert.equal(
      db.activity("async_dirty", (c) => c.kind),
      "async_dirty",
    );
    assert.equal(
      db.activity("sync_dirty", (c) => c.kind),
      "sync_dirty",
    );
    assert.equal(
      db.activity("ets", (c) => c.kind),
      "ets",
    );
    mnemeError(await caught(() => db.activity("bogus" as never, () => 1)), BadArgError, "badarg");
  });

  test("activity ids: transactions are tid, dirty activities carry their kind", async () => {
    const db = await openKV();
    assert.equal(
      db.transactionSync((tx) => tx.activityId.kind),
      "tid",
    );
    assert.equal(await db.transaction(async (tx) => tx.activityId.kind), "tid");
    assert.equal(
      db.asyncDirty((c) => c.activityId.kind),
      "async_dirty",
    );
    assert.equal(
      db.syncDirty((c) => c.activityId.kind),
      "sync_dirty",
    );
    assert.equal(
      db.ets((c) => c.activityId.kind),
      "ets",
    );
    const a = db.transactionSync((tx) => tx.activityId.id);
    const b = db.transactionSync((tx) => tx.activityId.id);
    assert.ok(b > a);
  });

  test("dirty activities write at once: visible to dirty reads inside the body, and return the value", async () => {
    const db = await openKV();
    for (const run of [
      (f: (c: SyncActivity) => unknown) => db.asyncDirty(f),
      (f: (c: SyncActivity) => unknown) => db.syncDirty(f),
      (f: (c: SyncActivity) => unknown) => db.ets(f),
    ]) {
      const r = run((c) => {
        c.write("s", { k: 2, v: "d" });
        const seen = db.dirtyRead("s", 2);
        c.delete("s", 2);
        return [seen, db.dirtyRead("s", 2), c.isTransaction()];
      });
      assert.deepEqual(r, [[{ k: 2, v: "d" }], [], false]);
    }
  });

  test("counters: commits and failures in systemInfo", async () => {
    const db = await openKV();
    const c0 = db.systemInfo("transaction_commits");
    const f0 = db.systemInfo("transaction_failures");
    db.transactionSync(() => 1);
    await db.transaction(async () => 1);
    await caught(() => db.transactionSync((tx) => tx.abort("x")));
    await caught(() => db.transaction(async (tx) => tx.abort("y")));
    assert.equal(db.systemInfo("transaction_commits"), c0 + 2);
    assert.equal(db.systemInfo("transaction_failures"), f0 + 2);
  });
});

describe("aborts", () => {
  test("abort(reason): TransactionAborted carrying the very reason, in every transaction kind", async () => {
    const db = await openKV();
    const reason = { why: "insufficient", amount: 10n };
    const kinds: (() => unknown)[] = [
      () => db.transactionSync((tx) => tx.abort(reason)),
      () => db.transaction(async (tx) => tx.abort(reason)),
      () => db.syncTransaction(async (tx) => tx.abort(reason)),
      () => db.activity("transaction", async (tx) => tx.abort(reason)),
      () => db.activity(["sync_transaction", 2], async (tx) => tx.abort(reason)),
    ];
    for (const run of kinds) {
      const e = aborted(await caught(run), reason);
      assert.equal(e.reason, reason);
      assert.equal(e.cause, undefined);
    }
  });

  test("abort in dirty activities throws TransactionAborted too; throws and errors pass unchanged", async () => {
    const db = await openKV();
    for (const run of [
      (f: (c: SyncActivity) => unknown) => db.asyncDirty(f),
      (f: (c: SyncActivity) => unknown) => db.syncDirty(f),
      (f: (c: SyncActivity) => unknown) => db.ets(f),
      (f: (c: SyncActivity) => unknown) => db.activity("async_dirty", f),
    ]) {
      aborted(await caught(() => run((c) => c.abort("x"))), "x");
      assert.equal(
        await caught(() =>
          run(() => {
            throw 7;
          }),
        ),
        7,
      );
      const boom = new RangeError("boom");
      assert.equal(
        await caught(() =>
          run(() => {
            throw boom;
          }),
        ),
        boom,
      );
      mnemeError(await caught(() => run((c) => c.read("missing", 1))), NoExistsError, "no_exists");
    }
  });

  test("a dirty activity's writes before its abort stay (nothing to roll back)", async () => {
    const db = await openKV();
    await caught(() =>
      db.asyncDirty((c) => {
        c.write("s", { k: 2, v: 2 });
        c.abort("late");
      }),
    );
    assert.deepEqual(db.dirtyRead("s", 2), [{ k: 2, v: 2 }]);
  });

  test("a thrown value is the reason (and the cause)", async () => {
    const db = await openKV();
    const e1 = aborted(
      await caught(() =>
        db.transactionSync(() => {
          throw 42;
        }),
      ),
      42,
    );
    assert.equal(e1.cause, 42);
    const err = new RangeError("r");
    const e2 = aborted(
      await caught(() =>
        db.transaction(async () => {
          await null;
          throw err;
        }),
      ),
      err,
    );
    assert.equal(e2.reason, err);
    assert.equal(e2.cause, err);
    aborted(
      await caught(() =>
        db.transaction(() => {
          throw "str";
        }),
      ),
      "str",
    );
  });

  test("a MnemeError raised by an operation: reason is its reason name, cause the error", async () => {
    const db = await openKV();
    const c1 = abortedBy(
      await caught(() => db.transactionSync((tx) => tx.read("missing", 1))),
      NoExistsError,
      "no_exists",
    );
    assert.equal(c1.table, "missing");
    abortedBy(
      await caught(() => db.transaction(async (tx) => tx.write("s", { k: 1 }))),
      BadTypeError,
      "bad_type",
    );
    abortedBy(
      await caught(() => db.transaction(async (tx) => tx.write("s", { k: 1, v: 1, w: 1 }))),
      BadTypeError,
      "bad_type",
    );
    abortedBy(
      await caught(() => db.transactionSync((tx) => tx.indexRead("s", 1, "k"))),
      NoExistsError,
      "no_exists",
    );
  });

  test("transactionSync whose body returns a promise aborts with badarg and commits nothing", async () => {
    const db = await openKV();
    const e = await caught(() =>
      db.transactionSync(((tx: SyncActivity) => {
        tx.write("s", { k: 2, v: 2 });
        return Promise.resolve(1);
      }) as never),
    );
    abortedBy(e, BadArgError, "badarg");
    assert.deepEqual(db.dirtyRead("s", 2), []);
  });

  test("nothing is left behind by an abort: stores, indexes, sizes unchanged (sync body)", async () => {
    const db = await openKV();
    const before = snapshot(db);
    for (const end of [
      (tx: SyncActivity) => tx.abort("no"),
      () => {
        throw new Error("thrown");
      },
      (tx: SyncActivity) => tx.read("missing", 1),
    ]) {
      const e = await caught(() =>
        db.transactionSync((tx) => {
          changeAll(tx);
          end(tx);
        }),
      );
      assert.ok(e instanceof TransactionAborted);
      assert.deepEqual(snapshot(db), before);
    }
    assert.deepEqual(db.systemInfo("held_locks"), []);
  });

  test("nothing is left behind by an abort: async bodies, after awaits", async () => {
    const db = await openKV();
    const before = snapshot(db);
    for (const kind of ["transaction", "sync_transaction"] as const) {
      const e = await caught(() =>
        db.activity(kind, async (tx) => {
          for (const t of ["s", "o", "b"]) {
            await tx.write(t, { k: 7, v: 7 });
            await tick();
            await tx.write(t, { k: 1, v: 30 });
            await tx.delete(t, 3);
            await tx.deleteObject(t, { k: 5, v: 5 });
          }
          await tick();
          tx.abort(kind);
        }),
      );
      aborted(e, kind);
      assert.deepEqual(snapshot(db), before);
    }
    assert.deepEqual(db.systemInfo("held_locks"), []);
    assert.deepEqual(db.systemInfo("transactions"), []);
  });

  test("the same changes committed are all there (control for the abort tests)", async () => {
    const db = await openKV();
    db.transactionSync(changeAll);
    for (const t of ["s", "o", "b"]) {
      assert.deepEqual(new Set(db.dirtyAllKeys(t)), new Set([1, 7, 9]), `keys of ${t}`);
      assert.deepEqual(db.dirtyIndexRead(t, 30, "v"), [{ k: 1, v: 30 }]);
      assert.deepEqual(db.dirtyIndexRead(t, 1, "v"), t === "b" ? [{ k: 1, v: 1 }] : []);
      assert.deepEqual(db.dirtyIndexRead(t, "x", "v"), [{ k: 9, v: "x" }]);
      assert.equal(db.tableInfo(t, "size"), t === "b" ? 4 : 3);
    }
  });
});

describe("retries", () => {
  test("retries: 0 — a lock conflict that would restart aborts instead", async () => {
    const db = await openKV();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const older = db.transaction(async (tx) => {
      await tx.write("s", { k: 1, v: "old" });
      await gate;
      return "older";
    });
    await tick();
    let attempts = 0;
    // The younger already holds a lock, so waiting could close a cycle: wait-die makes it die.
    const younger = db.transaction(
      async (tx) => {
        attempts++;
        await tx.write("s", { k: 2, v: "younger" });
        return tx.read("s", 1);
      },
      { retries: 0 },
    );
    const e = aborted(await caught(() => younger), [
      "retries_exhausted",
      "transaction restart: lock conflict on s record 1",
    ]);
    assert.ok(e.cause instanceof Error);
    assert.equal(attempts, 1);
    release();
    assert.equal(await older, "older");
    assert.deepEqual(db.dirtyRead("s", 1), [{ k: 1, v: "old" }]);
    assert.deepEqual(db.systemInfo("held_locks"), []);
  });

  test("retries: 0 — a transaction wounded by a synchronous one aborts", async () => {
    const db = await openKV();
    const victim = db.transaction(
      async (tx) => {
        await tx.read("s", 1);
        await tick();
        await tx.write("s", { k: 1, v: "victim" });
      },
      { retries: 0 },
    );
    await tick();
    db.transactionSync((tx) => tx.write("s", { k: 1, v: "sync" }));
    aborted(await caught(() => victim), [
      "retries_exhausted",
      "transaction restart: wounded by a synchronous transaction on s record 1",
    ]);
    assert.deepEqual(db.dirtyRead("s", 1), [{ k: 1, v: "sync" }]);
  });

  test("retries: 1 allows exactly one restart; activity([kind, n]) passes n on", async () => {
    const db = await openKV();
    const conflict = async (
      run: (body: (tx: AsyncActivity) => Promise<unknown>) => Promise<unknown>,
    ) => {
      let attempts = 0;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const older = db.transaction(async (tx) => {
        await tx.write("o", { k: 1, v: "x" });
        await gate;
      });
      await tick();
      const younger = outcome(
        run(async (tx) => {
          attempts++;
          await tx.write("o", { k: 2, v: "y" });
          return tx.read("o", 1);
        }),
      );
      await tick();
      release();
      await older;
      return { result: await younger, attempts };
    };
    assert.deepEqual(await conflict((body) => db.transaction(body, { retries: 1 })), {
      result: { ok: [{ k: 1, v: "x" }] },
      attempts: 2,
    });
    assert.deepEqual(await conflict((body) => db.activity(["transaction", 1], body)), {
      result: { ok: [{ k: 1, v: "x" }] },
      attempts: 2,
    });
    const r0 = await conflict((body) => db.activity(["sync_transaction", 0], body));
    assert.equal(r0.attempts, 1);
    assert.ok("aborted" in r0.result);
  });

  test("invalid retries abort with badarg, before the body runs", async () => {
    const db = await openKV();
    for (const retries of [-1, 1.5, Number.NaN, "3", -Infinity]) {
      let ran = false;
      const e = await caught(() =>
        db.transaction(
          () => {
            ran = true;
          },
          { retries: retries as never },
        ),
      );
      abortedBy(e, BadArgError, "badarg");
      assert.equal(ran, false);
    }
    abortedBy(
      await caught(() => db.activity(["transaction", -1], async () => 1)),
      BadArgError,
      "badarg",
    );
    assert.equal(await db.transaction(async () => "inf", { retries: Infinity }), "inf");
    assert.equal(await db.transaction(async () => "zero", { retries: 0 }), "zero");
  });
});

describe("isTransaction (FACTS Q3f)", () => {
  test("outside, in each activity kind, and nested", async () => {
    const db = await openKV();
    assert.equal(db.isTransaction(), false);
    assert.deepEqual(
      db.transactionSync((tx) => [tx.isTransaction(), db.isTransaction()]),
      [true, true],
    );
    // An async body's async context is its transaction's, also after an await.
    assert.deepEqual(
      await db.transaction(async (tx) => {
        await tx.read("s", 1);
        return [tx.isTransaction(), db.isTransaction()];
      }),
      [true, true],
    );
    // Code outside the body, while it is suspended, is not in the transaction.
    let release!: () => void;
    const running = db.transaction(() => new Promise<void>((r) => (release = r)));
    assert.equal(db.isTransaction(), false);
    release();
    await running;
    assert.equal(await db.syncTransaction(async (tx) => tx.isTransaction()), true);
    assert.equal(await db.activity("sync_transaction", async (tx) => tx.isTransaction()), true);
    assert.equal(
      db.transactionSync((tx) => tx.transaction((t2) => t2.isTransaction())),
      true,
    );
    assert.equal(
      await db.transaction(async (tx) => tx.transaction(async (t2) => t2.isTransaction())),
      true,
    );
    for (const run of [
      (f: (c: SyncActivity) => unknown) => db.asyncDirty(f),
      (f: (c: SyncActivity) => unknown) => db.syncDirty(f),
      (f: (c: SyncActivity) => unknown) => db.ets(f),
    ]) {
      assert.deepEqual(
        run((c) => [c.isTransaction(), db.isTransaction()]),
        [false, false],
      );
    }
    // Dirty activities nested in a transaction run in it.
    assert.deepEqual(
      db.transactionSync((tx) => [
        tx.asyncDirty((c) => c.isTransaction()),
        tx.syncDirty((c) => c.isTransaction()),
        tx.ets((c) => c.isTransaction()),
      ]),
      [true, true, true],
    );
    assert.equal(await db.transaction(async (tx) => tx.ets((c) => c.isTransaction())), true);
    assert.equal(
      db.transactionSync((tx) => tx.ets((c) => c.transaction((t3) => t3.isTransaction()))),
      true,
    );
    // Dirty in dirty stays dirty; a transaction in a dirty activity is a transaction.
    assert.equal(
      db.asyncDirty((c) => c.syncDirty((c2) => c2.isTransaction())),
      false,
    );
    assert.deepEqual(
      db.asyncDirty((c) => [
        c.transaction((t) => [t.isTransaction(), db.isTransaction()]),
        c.isTransaction(),
      ]),
      [[true, true], false],
    );
    assert.equal(db.isTransaction(), false);
  });
});

describe("dirty activities nested in a transaction inherit it (FACTS Q3e)", () => {
  test("their reads see the transaction's writes; explicit dirty reads do not", async () => {
    const db = await openKV();
    db.dirtyWrite("s", { k: "w", v: "old" });
    const r = db.transactionSync((tx) => {
      tx.write("s", { k: "w", v: "new" });
      return [
        tx.ets((c) => c.read("s", "w")),
        tx.asyncDirty((c) => c.read("s", "w")),
        tx.syncDirty((c) => c.read("s", "w")),
        db.dirtyRead("s", "w"),
        tx.read("s", "w"),
      ];
    });
    const nw = [{ k: "w", v: "new" }];
    assert.deepEqual(r, [nw, nw, nw, [{ k: "w", v: "old" }], nw]);
  });

  test("their writes join the transaction: seen by it, not by dirty reads, committed with it", async () => {
    const db = await openKV();
    db.dirtyWrite("s", { k: "w", v: "old" });
    const r = db.transactionSync((tx) => {
      tx.write("s", { k: "w", v: "new2" });
      tx.asyncDirty((c) => c.write("s", { k: "w", v: "dirty_inner" }));
      return [tx.read("s", "w"), db.dirtyRead("s", "w")];
    });
    assert.deepEqual(r, [[{ k: "w", v: "dirty_inner" }], [{ k: "w", v: "old" }]]);
    assert.deepEqual(db.dirtyRead("s", "w"), [{ k: "w", v: "dirty_inner" }]);
  });

  test("their writes are rolled back when the transaction aborts (sync and async bodies)", async () => {
    const db = await openKV();
    aborted(
      await caught(() =>
        db.transactionSync((tx) => {
          tx.asyncDirty((c) => c.write("s", { k: "w2", v: 1 }));
          tx.syncDirty((c) => c.delete("s", 1));
          tx.ets((c) => c.write("o", { k: "w2", v: 1 }));
          tx.abort("x");
        }),
      ),
      "x",
    );
    aborted(
      await caught(() =>
        db.transaction(async (tx) => {
          await tx.asyncDirty((c) => c.write("s", { k: "w3", v: 1 }));
          await tx.ets(async (c) => {
            await tick();
            await c.delete("b", 1);
          });
          assert.deepEqual(await tx.read("b", 1), []);
          tx.abort("y");
        }),
      ),
      "y",
    );
    assert.deepEqual(db.dirtyRead("s", "w2"), []);
    assert.deepEqual(db.dirtyRead("s", "w3"), []);
    assert.deepEqual(db.dirtyRead("o", "w2"), []);
    assert.deepEqual(db.dirtyRead("s", 1), [{ k: 1, v: 1 }]);
    assert.deepEqual(db.dirtyRead("b", 1), [{ k: 1, v: 1 }]);
  });

  test("their operations take the transaction's locks", async () => {
    const db = await openKV();
    const seen = await db.transaction(async (tx) => {
      await tx.asyncDirty((c) => c.write("s", { k: 1, v: "x" }));
      await tx.ets((c) => c.read("o", 3));
      return db.systemInfo("held_locks").map((l) => [l.space, l.item, l.mode]);
    });
    assert.deepEqual(seen, [
      ["s", 1, "write"],
      ["o", 3, "read"],
    ]);
    assert.deepEqual(db.systemInfo("held_locks"), []);
  });
});

describe("a transaction inside a dirty activity is a real transaction (FACTS Q3d)", () => {
  test("it commits on its own, and its abort throws and undoes only its changes", async () => {
    const db = await openKV();
    const r = db.asyncDirty((c) => {
      c.write("s", { k: "d1", v: 1 });
      const inner = c.transaction((tx) => {
        tx.write("s", { k: "e1", v: 1 });
        // Not yet visible to dirty reads: a transaction's writes wait for its commit.
        return db.dirtyRead("s", "e1");
      });
      const e = (() => {
        try {
          c.transaction((tx) => {
            tx.write("s", { k: "e2", v: 1 });
            tx.abort("inner");
          });
        } catch (err) {
          return err;
        }
      })();
      return { inner, after: db.dirtyRead("s", "e1"), e };
    });
    assert.deepEqual(r.inner, []);
    assert.deepEqual(r.after, [{ k: "e1", v: 1 }]);
    aborted(r.e, "inner");
    assert.deepEqual(db.dirtyRead("s", "d1"), [{ k: "d1", v: 1 }]);
    assert.deepEqual(db.dirtyRead("s", "e2"), []);
    for (const run of [
      (f: (c: SyncActivity) => unknown) => db.syncDirty(f),
      (f: (c: SyncActivity) => unknown) => db.ets(f),
    ]) {
      assert.equal(
        run((c) =>
          c.transaction((tx) => {
            tx.write("s", { k: "e3", v: 3 });
            return "ok";
          }),
        ),
        "ok",
      );
    }
    assert.deepEqual(db.dirtyRead("s", "e3"), [{ k: "e3", v: 3 }]);
  });

  test("it takes locks: an async transaction holding the record is wounded", async () => {
    const db = await openKV();
    let attempts = 0;
    const victim = db.transaction(async (tx) => {
      attempts++;
      const [r] = await tx.read("s", 1);
      await tick();
      await tx.write("s", { k: 1, v: `${r!.v}+victim` });
    });
    await tick();
    db.asyncDirty((c) => c.transaction((tx) => tx.write("s", { k: 1, v: "in-dirty" })));
    await settleWithin(victim, 2000);
    assert.equal(attempts, 2);
    assert.deepEqual(db.dirtyRead("s", 1), [{ k: 1, v: "in-dirty+victim" }]);
  });
});

describe("a closed database (FACTS: {aborted, {node_not_running, Node}})", () => {
  test("running, waiting and new transactions abort with node_not_running; nothing commits", async () => {
    const db = await openKV();
    const running = outcome(
      db.transaction(async (tx) => {
        await tx.write("s", { k: 1, v: "running" });
        await tick();
        await tick();
        return tx.read("s", 1);
      }),
    );
    const waiting = outcome(
      db.transaction(async (tx) => {
        await tick();
        await tx.write("s", { k: 1, v: "waiting" });
      }),
    );
    const finishing = outcome(
      db.transaction(async (tx) => {
        await tx.write("s", { k: 2, v: "finishing" });
        await tick();
        return "body done";
      }),
    );
    await tick();
    await db.close();
    const notRunning = { aborted: "node_not_running" };
    assert.deepEqual(await running, notRunning);
    assert.deepEqual(await waiting, notRunning);
    assert.deepEqual(await finishing, notRunning);
    for (const start of [
      () => db.transaction(async () => 1),
      () => db.transactionSync(() => 1),
      () => db.syncTransaction(async () => 1),
      () => db.activity("transaction", async () => 1),
    ]) {
      const e = await caught(start);
      abortedBy(e, NotRunningError, "node_not_running");
    }
    // Dirty activities are not transactions: the error itself.
    mnemeError(await caught(() => db.asyncDirty(() => 1)), NotRunningError, "node_not_running");
    assert.deepEqual(db.systemInfo("held_locks"), []);
  });
});

describe("close while a holder never finishes (issue #8)", () => {
  test("a waiter aborts with node_not_running at close; locks are released; the holder aborts later", async () => {
    const db = await openKV();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const holder = outcome(
      db.transaction(async (tx) => {
        await tx.write("s", { k: 1, v: "holder" });
        await gate; // never released before close
        await tx.write("s", { k: 2, v: "holder" });
        return "committed";
      }),
    );
    await tick();
    const waiter = outcome(db.transaction(async (tx) => tx.read("s", 1, "write")));
    await tick();
    assert.deepEqual(
      db.systemInfo("lock_queue").map((q) => q.item),
      ["s record 1"],
    );
    await db.close();
    const e = await settleWithin(waiter, 1000, "waiter");
    assert.deepEqual(e, { aborted: "node_not_running" });
    assert.deepEqual(db.systemInfo("held_locks"), []);
    assert.deepEqual(db.systemInfo("lock_queue"), []);
    release();
    assert.deepEqual(await settleWithin(holder, 1000, "holder"), { aborted: "node_not_running" });
  });

  test("a transaction queued for its restart lock aborts with node_not_running at close", async () => {
    const db = await openKV();
    let release!: () => void;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    // The older transaction holds record 1 and never finishes.
    const older = outcome(
      db.transaction(async (tx) => {
        await tx.write("s", { k: 1, v: "older" });
        await gate;
      }),
    );
    await tick();
    let attempts = 0;
    const younger = outcome(
      db.transaction(async (tx) => {
        attempts++;
        await tx.write("s", { k: 3, v: "younger" });
        await tx.write("s", { k: 1, v: "younger" }); // dies (wait-die), then queues holding nothing
      }),
    );
    await tick();
    await tick();
    assert.equal(attempts, 1);
    await db.close();
    const e = await settleWithin(younger, 1000, "restarted transaction");
    assert.deepEqual(e, { aborted: "node_not_running" });
    assert.equal(attempts, 1);
    release();
    assert.deepEqual(await settleWithin(older, 1000, "holder"), { aborted: "node_not_running" });
    assert.deepEqual(db.systemInfo("held_locks"), []);
  });
});

describe("operations outside an activity", () => {
  test("the database object offers no transactional operation, only dirty ones", async () => {
    const db = await openKV();
    const api = db as unknown as Record<string, unknown>;
    for (const op of [
      "read",
      "wread",
      "write",
      "delete",
      "deleteObject",
      "select",
      "selectLimit",
      "matchObject",
      "first",
      "last",
      "next",
      "prev",
      "allKeys",
      "foldl",
      "foldr",
      "indexRead",
      "indexMatchObject",
      "lock",
      "readLockTable",
      "writeLockTable",
    ]) {
      assert.equal(api[op], undefined, op);
    }
    for (const op of [
      "dirtyRead",
      "dirtyWrite",
      "dirtyDelete",
      "dirtyDeleteObject",
      "dirtySelect",
      "dirtyMatchObject",
      "dirtyAllKeys",
      "dirtyFirst",
      "dirtyNext",
      "dirtyIndexRead",
    ]) {
      assert.equal(typeof api[op], "function", op);
    }
  });

  test("db.abort(x) throws TransactionAborted(x)", async () => {
    const db = await openKV();
    const reason = ["any", { thing: 1 }];
    const e = aborted(await caught(() => db.abort(reason)), reason);
    assert.equal(e.reason, reason);
    assert.equal(db.isTransaction(), false);
  });

  test("an activity object kept after its transaction ended: no_transaction, no lock taken", async () => {
    const db = await openKV();
    let sync!: SyncActivity;
    db.transactionSync((tx) => {
      sync = tx;
    });
    let asyncTx!: Parameters<Parameters<Mneme["transaction"]>[0]>[0];
    await db.transaction(async (tx) => {
      asyncTx = tx;
    });
    let failedAttempt!: typeof asyncTx;
    await caught(() =>
      db.transaction(async (tx) => {
        failedAttempt = tx;
        tx.abort("x");
      }),
    );
    mnemeError(
      await caught(() => sync.write("s", { k: 2, v: 2 })),
      NoTransactionError,
      "no_transaction",
    );
    mnemeError(await caught(() => sync.read("s", 1)), NoTransactionError, "no_transaction");
    for (const tx of [asyncTx, failedAttempt]) {
      mnemeError(
        await caught(() => tx.write("s", { k: 2, v: 2 })),
        NoTransactionError,
        "no_transaction",
      );
      mnemeError(await caught(() => tx.read("s", 1)), NoTransactionError, "no_transaction");
      mnemeError(
        await caught(() => tx.lock({ table: "s" }, "write")),
        NoTransactionError,
        "no_transaction",
      );
    }
    assert.deepEqual(db.systemInfo("held_locks"), []);
    assert.deepEqual(db.dirtyRead("s", 2), []);
    // And nothing keeps later transactions from the records.
    await settleWithin(
      db.transaction(async (tx) => tx.write("s", { k: 2, v: "later" })),
      1000,
    );
    assert.deepEqual(db.dirtyRead("s", 2), [{ k: 2, v: "later" }]);
  });

  test("dirty operations work outside activities", async () => {
    const db = await openKV();
    db.dirtyWrite("o", { k: 4, v: 4 });
    db.dirtyDelete("o", 1);
    db.dirtyDeleteObject("b", { k: 3, v: 3 });
    assert.deepEqual(db.dirtyAllKeys("o"), [3, 4, 5]);
    assert.equal(db.dirtyFirst("o"), 3);
    assert.equal(db.dirtyNext("o", 4), 5);
    assert.equal(db.dirtyNext("o", 5), undefined);
    assert.deepEqual(db.dirtyRead("b", 3), []);
    assert.deepEqual(db.dirtyIndexRead("o", 4, "v"), [{ k: 4, v: 4 }]);
  });
});
