// The lock manager under concurrent async transactions: wait-die (an older transaction waits, a
// younger one restarts), table and record locks, shared read locks, upgrades, synchronous
// transactions wounding async ones, and locks released at the end of every transaction.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { AnyRecord, AsyncActivity, Mneme } from "../../src/index.js";
import { aborted, caught, openKV, outcome, settleWithin, tick } from "./helpers.js";

/** A promise opened from outside. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open!: () => void;
  const wait = new Promise<void>((r) => (open = r));
  return { wait, open };
}

/** Runs a transaction, counting its attempts; `settled` never rejects. */
function run<R>(db: Mneme, body: (tx: AsyncActivity, attempt: number) => Promise<R>) {
  const t = { attempts: 0, settled: undefined as unknown as ReturnType<typeof outcome<R>> };
  t.settled = outcome(
    settleWithin(
      db.transaction((tx) => body(tx, ++t.attempts)),
      3000,
    ),
  );
  return t;
}

const restarts = (db: Mneme) => db.systemInfo("transaction_restarts");

function queue(db: Mneme): unknown[] {
  return db.systemInfo("lock_queue").map((w) => [w.item, w.mode]);
}

function held(db: Mneme): unknown[] {
  return db
    .systemInfo("held_locks")
    .map((l) => [l.space, l.item, l.mode, l.ts])
    .sort((a, b) => String(a).localeCompare(String(b)));
}

/** Nothing held, nothing queued, nothing running. */
function quiet(db: Mneme): void {
  assert.deepEqual(db.systemInfo("held_locks"), []);
  assert.deepEqual(db.systemInfo("lock_queue"), []);
  assert.deepEqual(db.systemInfo("transactions"), []);
}

describe("wait-die on record locks", () => {
  test("an older transaction waits for the younger holder, then sees its write", async () => {
    const db = await openKV();
    const r0 = restarts(db);
    const goOld = gate();
    const goYoung = gate();
    const older = run(db, async (tx) => {
      await goOld.wait;
      return tx.read("s", 1);
    });
    await tick();
    const younger = run(db, async (tx) => {
      await tx.write("s", { k: 1, v: "young" });
      await goYoung.wait;
      return "young";
    });
    await tick();
    goOld.open();
    await tick();
    assert.deepEqual(queue(db), [["s record 1", "read"]]);
    assert.equal(db.systemInfo("held_locks").length, 1);
    assert.equal(db.systemInfo("transactions").length, 2);
    goYoung.open();
    assert.deepEqual(await younger.settled, { ok: "young" });
    assert.deepEqual(await older.settled, { ok: [{ k: 1, v: "young" }] });
    assert.equal(older.attempts, 1);
    assert.equal(younger.attempts, 1);
    assert.equal(restarts(db), r0);
    quiet(db);
  });

  test("a younger transaction holding no lock waits for an older holder instead of restarting", async () => {
    const db = await openKV();
    const r0 = restarts(db);
    const goOld = gate();
    const older = run(db, async (tx) => {
      await tx.write("s", { k: 1, v: "old" });
      await goOld.wait;
      return "old";
    });
    await tick();
    const younger = run(db, async (tx) => tx.read("s", 1));
    await tick();
    // Holding nothing, it cannot close a cycle: it queues, and no restart happens.
    assert.deepEqual(queue(db), [["s record 1", "read"]]);
    goOld.open();
    assert.deepEqual(await older.settled, { ok: "old" });
    assert.deepEqual(await younger.settled, { ok: [{ k: 1, v: "old" }] });
    assert.equal(younger.attempts, 1);
    assert.equal(restarts(db), r0);
    quiet(db);
  });

  test("a younger transaction that holds a lock and meets an older holder restarts, queued for that lock", async () => {
    const db = await openKV();
    const r0 = restarts(db);
    const goOld = gate();
    const older = run(db, async (tx) => {
      await tx.write("s", { k: 1, v: "old" });
      await goOld.wait;
      return "old";
    });
    await tick();
    const seen: unknown[] = [];
    const younger = run(db, async (tx, attempt) => {
      await tx.write("s", { k: 2, v: "young" });
      const r = await tx.read("s", 1);
      seen.push([attempt, r]);
      return r;
    });
    await tick();
    await tick();
    // The younger died (wait-die), gave up its lock on record 2 and queues, holding nothing, for
    // the lock it died on; its body runs again once that lock is granted.
    assert.equal(restarts(db), r0 + 1);
    assert.deepEqual(queue(db), [["s record 1", "read"]]);
    assert.deepEqual(
      db.systemInfo("held_locks").map((l) => [l.item, l.mode]),
      [[1, "write"]],
    );
    goOld.open();
    assert.deepEqual(await older.settled, { ok: "old" });
    assert.deepEqual(await younger.settled, { ok: [{ k: 1, v: "old" }] });
    assert.deepEqual(seen, [[2, [{ k: 1, v: "old" }]]]);
    assert.equal(younger.attempts, 2);
    assert.equal(restarts(db), r0 + 1);
    quiet(db);
  });

  test("a chain of waits (oldest → middle → youngest) resolves in order", async () => {
    const db = await openKV();
    const order: string[] = [];
    const go = [gate(), gate(), gate()];
    const t1 = run(db, async (tx) => {
      await go[0]!.wait;
      await tx.write("s", { k: 3, v: "t1" });
      order.push("t1");
    });
    const t2 = run(db, async (tx) => {
      await tx.write("s", { k: 3, v: "t2" });
      await go[1]!.wait;
      await tx.write("s", { k: 1, v: "t2" });
      order.push("t2");
    });
    const t3 = run(db, async (tx) => {
      await tx.write("s", { k: 1, v: "t3" });
      await go[2]!.wait;
      order.push("t3");
    });
    await tick();
    go[0]!.open();
    go[1]!.open();
    await tick();
    await tick();
    assert.deepEqual(queue(db), [
      ["s record 3", "write"],
      ["s record 1", "write"],
    ]);
    go[2]!.open();
    await Promise.all([t1.settled, t2.settled, t3.settled]);
    assert.deepEqual(order, ["t3", "t2", "t1"]);
    assert.deepEqual([t1.attempts, t2.attempts, t3.attempts], [1, 1, 1]);
    assert.deepEqual(db.dirtyRead("s", 1), [{ k: 1, v: "t2" }]);
    assert.deepEqual(db.dirtyRead("s", 3), [{ k: 3, v: "t1" }]);
    quiet(db);
  });

  test("read locks are shared; locks on different records do not conflict", async () => {
    const db = await openKV();
    const r0 = restarts(db);
    const go = gate();
    const a = run(db, async (tx) => {
      const r = await tx.read("s", 1);
      await tx.write("s", { k: 3, v: "a" });
      await go.wait;
      return r;
    });
    const b = run(db, async (tx) => {
      const r = await tx.read("s", 1);
      await tx.write("s", { k: 5, v: "b" });
      await go.wait;
      return r;
    });
    await tick();
    const ts = db.systemInfo("transactions").map((t) => t.ts);
    assert.equal(ts.length, 2);
    assert.deepEqual(held(db), [
      ["s", 1, "read", ts[0]],
      ["s", 1, "read", ts[1]],
      ["s", 3, "write", ts[0]],
      ["s", 5, "write", ts[1]],
    ]);
    assert.deepEqual(queue(db), []);
    go.open();
    assert.deepEqual(await a.settled, { ok: [{ k: 1, v: 1 }] });
    assert.deepEqual(await b.settled, { ok: [{ k: 1, v: 1 }] });
    assert.equal(restarts(db), r0);
    quiet(db);
  });

  test("upgrade read → write: alone it just upgrades; two readers upgrading: the younger restarts", async () => {
    const db = await openKV();
    assert.deepEqual(
      await db.transaction(async (tx) => {
        await tx.read("s", 1);
        await tx.write("s", { k: 1, v: "up" });
        await tx.read("s", 1);
        return db.systemInfo("held_locks").map((l) => [l.item, l.mode]);
      }),
      [[1, "write"]],
    );
    const r0 = restarts(db);
    const bothRead = gate();
    const add = (who: string) => async (tx: AsyncActivity, attempt: number) => {
      const [rec] = await tx.read("s", 1);
      if (attempt === 1) await bothRead.wait;
      await tx.write("s", { k: 1, v: `${rec!.v}+${who}` });
      return attempt;
    };
    const older = run(db, add("old"));
    const younger = run(db, add("young"));
    await tick();
    bothRead.open();
    assert.deepEqual(await older.settled, { ok: 1 });
    assert.deepEqual(await younger.settled, { ok: 2 });
    assert.equal(restarts(db), r0 + 1);
    assert.deepEqual(db.dirtyRead("s", 1), [{ k: 1, v: "up+old+young" }]);
    quiet(db);
  });
});

describe("table locks against record locks", () => {
  test("a younger table read meets an older record write lock: restart", async () => {
    const db = await openKV();
    const r0 = restarts(db);
    const go = gate();
    const older = run(db, async (tx) => {
      await tx.write("s", { k: 1, v: "old" });
      await go.wait;
    });
    await tick();
    const younger = run(db, async (tx) => {
      await tx.write("o", { k: 50, v: 50 });
      return tx.select("s", [[{ v: "old" }, [], ["$_"]]]);
    });
    await tick();
    assert.equal(restarts(db), r0 + 1);
    go.open();
    await older.settled;
    assert.deepEqual(await younger.settled, { ok: [{ k: 1, v: "old" }] });
    quiet(db);
  });

  test("a younger record write meets an older table read lock: restart", async () => {
    const db = await openKV();
    const r0 = restarts(db);
    const go = gate();
    const older = run(db, async (tx) => {
      const n = await tx.foldl("o", (_r, n: number) => n + 1, 0);
      await go.wait;
      return n;
    });
    await tick();
    const younger = run(db, async (tx) => {
      await tx.write("s", { k: 50, v: 50 });
      await tx.write("o", { k: 9, v: 9 });
    });
    await tick();
    assert.equal(restarts(db), r0 + 1);
    go.open();
    assert.deepEqual(await older.settled, { ok: 3 });
    await younger.settled;
    assert.equal(younger.attempts, 2);
    assert.deepEqual(db.dirtyRead("o", 9), [{ k: 9, v: 9 }]);
    quiet(db);
  });

  test("an older table write lock waits for younger record readers", async () => {
    const db = await openKV();
    const r0 = restarts(db);
    const goOld = gate();
    const goYoung = gate();
    const older = run(db, async (tx) => {
      await goOld.wait;
      await tx.writeLockTable("b");
      await tx.delete("b", 1);
      return tx.allKeys("b");
    });
    await tick();
    const younger = run(db, async (tx) => {
      const r = await tx.read("b", 1);
      await goYoung.wait;
      return r;
    });
    await tick();
    goOld.open();
    await tick();
    assert.deepEqual(queue(db), [["table b", "write"]]);
    goYoung.open();
    assert.deepEqual(await younger.settled, { ok: [{ k: 1, v: 1 }] });
    const keys = await older.settled;
    assert.ok("ok" in keys);
    assert.deepEqual(new Set(keys.ok), new Set([3, 5]));
    assert.equal(restarts(db), r0);
    quiet(db);
  });

  test("table and record read locks are compatible", async () => {
    const db = await openKV();
    const r0 = restarts(db);
    const go = gate();
    const a = run(db, async (tx) => {
      await tx.readLockTable("s");
      await go.wait;
    });
    const b = run(db, async (tx) => {
      const r = await tx.read("s", 1);
      await tx.select("s", [["_", [], ["$_"]]]);
      await go.wait;
      return r;
    });
    await tick();
    assert.deepEqual(queue(db), []);
    go.open();
    await a.settled;
    assert.deepEqual(await b.settled, { ok: [{ k: 1, v: 1 }] });
    assert.equal(restarts(db), r0);
    quiet(db);
  });

  test("global locks follow the same rules", async () => {
    const db = await openKV();
    const r0 = restarts(db);
    const go = gate();
    const older = run(db, async (tx) => {
      await tx.lock({ global: "resource" }, "write");
      await go.wait;
    });
    await tick();
    const younger = run(db, async (tx) => {
      await tx.write("s", { k: 50, v: 50 });
      return tx.lock({ global: "resource" }, "read");
    });
    await tick();
    assert.equal(restarts(db), r0 + 1);
    go.open();
    await older.settled;
    assert.deepEqual(await younger.settled, { ok: ["nonode@nohost"] });
    quiet(db);
  });
});

describe("synchronous transactions wound conflicting async ones", () => {
  test("a suspended reader is restarted and then sees the synchronous write", async () => {
    const db = await openKV();
    const r0 = restarts(db);
    const seen: unknown[] = [];
    const victim = run(db, async (tx, attempt) => {
      const [r] = await tx.read("s", 1);
      seen.push([attempt, r!.v]);
      await tick();
      await tx.write("s", { k: 1, v: `${r!.v}+async` });
    });
    await tick();
    db.transactionSync((tx) => tx.write("s", { k: 1, v: "sync" }));
    assert.deepEqual(db.systemInfo("held_locks"), []);
    await victim.settled;
    assert.deepEqual(seen, [
      [1, 1],
      [2, "sync"],
    ]);
    assert.equal(restarts(db), r0 + 1);
    assert.deepEqual(db.dirtyRead("s", 1), [{ k: 1, v: "sync+async" }]);
    quiet(db);
  });

  test("a table reader is wounded by a write to any record; writers by a read of their record", async () => {
    const db = await openKV();
    const reader = run(db, async (tx, attempt) => {
      const n = await tx.foldl("o", (_r, n: number) => n + 1, 0);
      await tick();
      return [attempt, n];
    });
    const writer = run(db, async (tx, attempt) => {
      await tx.write("b", { k: 9, v: attempt });
      await tick();
      return attempt;
    });
    await tick();
    assert.equal(
      db.transactionSync((tx) => {
        tx.write("o", { k: 7, v: 7 });
        return tx.read("b", 9);
      }).length,
      0,
    );
    assert.deepEqual(await reader.settled, { ok: [2, 4] });
    assert.deepEqual(await writer.settled, { ok: 2 });
    assert.deepEqual(db.dirtyRead("b", 9), [{ k: 9, v: 2 }]);
    quiet(db);
  });

  test("no conflict, no wound: other records, and shared reads", async () => {
    const db = await openKV();
    const r0 = restarts(db);
    const t = run(db, async (tx) => {
      await tx.read("s", 1);
      await tx.write("s", { k: 3, v: "a" });
      await tick();
      return "done";
    });
    await tick();
    db.transactionSync((tx) => {
      tx.read("s", 1);
      tx.write("s", { k: 5, v: "sync" });
      tx.read("o", 3);
    });
    assert.deepEqual(await t.settled, { ok: "done" });
    assert.equal(t.attempts, 1);
    assert.equal(restarts(db), r0);
    quiet(db);
  });

  test("a waiting transaction is wounded too, and its wait ends", async () => {
    const db = await openKV();
    const goYoung = gate();
    const goOld = gate();
    const older = run(db, async (tx, attempt) => {
      await tx.read("s", 5);
      if (attempt === 1) await goOld.wait;
      return [attempt, await tx.read("s", 1)];
    });
    await tick();
    const younger = run(db, async (tx) => {
      await tx.write("s", { k: 1, v: "young" });
      await goYoung.wait;
    });
    await tick();
    goOld.open();
    await tick();
    assert.deepEqual(queue(db), [["s record 1", "read"]]);
    db.transactionSync((tx) => tx.write("s", { k: 5, v: "sync" }));
    assert.deepEqual(queue(db), []);
    goYoung.open();
    assert.deepEqual(await older.settled, { ok: [2, [{ k: 1, v: "young" }]] });
    await younger.settled;
    quiet(db);
  });
});

describe("regressions: locks never outlive their transaction", () => {
  test("a wounded transaction waiting on two locks at once leaves no lock behind", async () => {
    // The body awaits two reads together; both wait. Wounded, the transaction restarts; its
    // first attempt's queued requests must not be granted later to the dead attempt.
    const db = await openKV();
    const goYoung = gate();
    const t1 = run(db, async (tx) => {
      await tx.read("s", 5);
      await tick();
      return Promise.all([tx.read("s", 1), tx.read("s", 3)]);
    });
    const t2 = run(db, async (tx) => {
      await tx.write("s", { k: 1, v: "t2" });
      await tx.write("s", { k: 3, v: "t2" });
      await goYoung.wait;
    });
    await tick();
    await tick();
    await tick();
    assert.deepEqual(queue(db), [
      ["s record 1", "read"],
      ["s record 3", "read"],
    ]);
    db.transactionSync((tx) => tx.write("s", { k: 5, v: "sync" }));
    await tick();
    goYoung.open();
    assert.deepEqual(await t1.settled, {
      ok: [[{ k: 1, v: "t2" }], [{ k: 3, v: "t2" }]],
    });
    await t2.settled;
    quiet(db);
    // A later writer of those records is not blocked by anything.
    const t3 = run(db, async (tx) => tx.write("s", { k: 1, v: "t3" }));
    assert.deepEqual(await t3.settled, { ok: undefined });
    assert.equal(t3.attempts, 1);
  });

  test("a restart caught by the body (around a nested transaction) still restarts", async () => {
    const db = await openKV();
    const go = gate();
    const older = run(db, async (tx) => {
      await tx.write("s", { k: "x", v: "old" });
      await go.wait;
    });
    await tick();
    const younger = run(db, async (tx, attempt) => {
      await tx.write("s", { k: "a", v: attempt });
      let inner = "ok";
      try {
        await tx.transaction(async (t2) => {
          await t2.write("s", { k: "b", v: attempt });
          await t2.read("s", "x");
        });
      } catch {
        inner = "caught";
      }
      return [attempt, inner];
    });
    await tick();
    go.open();
    await older.settled;
    // The first attempt swallowed its restart; it was not committed: the second attempt was.
    assert.deepEqual(await younger.settled, { ok: [2, "ok"] });
    assert.deepEqual(db.dirtyRead("s", "a"), [{ k: "a", v: 2 }]);
    assert.deepEqual(db.dirtyRead("s", "b"), [{ k: "b", v: 2 }]);
    quiet(db);
  });

  test("a body that swallows a wound and goes on cannot commit that attempt", async () => {
    const db = await openKV();
    const victim = run(db, async (tx, attempt) => {
      await tx.read("s", 1);
      await tick();
      let later: unknown = "none";
      try {
        await tx.write("s", { k: 2, v: attempt });
      } catch (e) {
        later = (e as Error).name;
      }
      return [attempt, later];
    });
    await tick();
    db.transactionSync((tx) => tx.write("s", { k: 1, v: "sync" }));
    assert.deepEqual(await victim.settled, { ok: [2, "none"] });
    assert.deepEqual(db.dirtyRead("s", 2), [{ k: 2, v: 2 }]);
    quiet(db);
  });

  test("locks are released on commit, on abort, on a thrown error and after retries run out", async () => {
    const db = await openKV();
    await db.transaction(async (tx) => {
      await tx.write("s", { k: 1, v: "c" });
      await tx.readLockTable("o");
    });
    quiet(db);
    await caught(() =>
      db.transaction(async (tx) => {
        await tx.write("s", { k: 1, v: "a" });
        await tx.lock({ global: "g" }, "write");
        tx.abort("x");
      }),
    );
    quiet(db);
    await caught(() =>
      db.transaction(async (tx) => {
        await tx.wread("b", 1);
        throw new Error("boom");
      }),
    );
    quiet(db);
    const go = gate();
    const older = run(db, async (tx) => {
      await tx.write("s", { k: 1, v: "old" });
      await go.wait;
    });
    await tick();
    const e = await caught(() =>
      db.transaction(
        async (tx) => {
          await tx.write("s", { k: 3, v: "young" });
          await tx.read("s", 1);
        },
        { retries: 0 },
      ),
    );
    aborted(e, ["retries_exhausted", "transaction restart: lock conflict on s record 1"]);
    assert.deepEqual(
      db.systemInfo("held_locks").map((l) => l.item),
      [1],
    );
    go.open();
    await older.settled;
    quiet(db);
  });

  test("deleting a table under running transactions: they end, no lock remains", async () => {
    const db = await openKV();
    const goYoung = gate();
    const goOld = gate();
    const older = run(db, async (tx) => {
      await goOld.wait;
      return tx.read("s", 1);
    });
    await tick();
    const younger = run(db, async (tx) => {
      await tx.write("s", { k: 1, v: "y" });
      await goYoung.wait;
      return tx.read("s", 1);
    });
    await tick();
    goOld.open();
    await tick();
    await db.deleteTable("s");
    goYoung.open();
    const [o, y] = await Promise.all([older.settled, younger.settled]);
    assert.deepEqual(o, { aborted: "no_exists" });
    assert.deepEqual(y, { aborted: "no_exists" });
    quiet(db);
  });
});

describe("no transaction hangs", () => {
  test("many transactions on one record, with yields: all settle, each increment counted once", async () => {
    const db = await openKV();
    db.dirtyWrite("s", { k: "n", v: 0 });
    const ts = Array.from({ length: 30 }, (_, i) =>
      run(db, async (tx) => {
        if (i % 3 === 0) await tick();
        const [r] = await tx.read("s", "n");
        if (i % 2 === 0) await null;
        else await tick();
        await tx.write("s", { k: "n", v: ((r as AnyRecord).v as number) + 1 });
        return i;
      }),
    );
    const results = await Promise.all(ts.map((t) => t.settled));
    assert.deepEqual(
      results,
      ts.map((_, i) => ({ ok: i })),
    );
    assert.deepEqual(db.dirtyRead("s", "n"), [{ k: "n", v: 30 }]);
    quiet(db);
  });
});
