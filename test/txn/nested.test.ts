// Nested transactions (FACTS Q3 a–c, in Mneme's convention: an inner transaction returns its value,
// or throws TransactionAborted; its changes join the outer one, or are undone).
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type AnyRecord,
  type AsyncActivity,
  NoExistsError,
  type SyncActivity,
  TransactionAborted,
} from "../../src/index.js";
import { aborted, abortedBy, caught, openKV, tick } from "./helpers.js";

/** Runs `f`, returning the error it throws (or "no error"). */
function attempt(f: () => unknown): unknown {
  try {
    f();
    return "no error";
  } catch (e) {
    return e;
  }
}

describe("nested transactions, synchronous bodies (FACTS Q3)", () => {
  test("(a) the inner transaction's value is returned to the outer; both commit", async () => {
    const db = await openKV();
    const r = db.transactionSync((tx) => {
      const inner = tx.transaction((t2) => {
        t2.write("s", { k: "a", v: 1 });
        return "inner_val";
      });
      return { outer: inner, seen: tx.read("s", "a"), dirty: db.dirtyRead("s", "a") };
    });
    assert.deepEqual(r, { outer: "inner_val", seen: [{ k: "a", v: 1 }], dirty: [] });
    assert.deepEqual(db.dirtyRead("s", "a"), [{ k: "a", v: 1 }]);
  });

  test("(b) the inner aborts: it throws, its write is undone, the outer's stays and commits", async () => {
    const db = await openKV();
    const r = db.transactionSync((tx) => {
      tx.write("s", { k: "outer1", v: 1 });
      const inner = attempt(() =>
        tx.transaction((t2) => {
          t2.write("s", { k: "inner1", v: 1 });
          t2.abort("foo");
        }),
      );
      return [inner, tx.read("s", "inner1"), tx.read("s", "outer1")];
    });
    aborted(r[0], "foo");
    assert.deepEqual(r.slice(1), [[], [{ k: "outer1", v: 1 }]]);
    assert.deepEqual(db.dirtyRead("s", "outer1"), [{ k: "outer1", v: 1 }]);
    assert.deepEqual(db.dirtyRead("s", "inner1"), []);
  });

  test("(b2) the inner overwrites the outer's key and deletes its record, then aborts", async () => {
    const db = await openKV();
    db.dirtyWrite("s", { k: "outer1", v: 1 });
    const r = db.transactionSync((tx) => {
      tx.write("s", { k: "k2", v: "outer" });
      const inner = attempt(() =>
        tx.transaction((t2) => {
          t2.write("s", { k: "k2", v: "inner" });
          t2.delete("s", "outer1");
          assert.deepEqual(t2.read("s", "k2"), [{ k: "k2", v: "inner" }]);
          assert.deepEqual(t2.read("s", "outer1"), []);
          t2.abort("foo");
        }),
      );
      return [inner, tx.read("s", "k2"), tx.read("s", "outer1")];
    });
    aborted(r[0], "foo");
    assert.deepEqual(r.slice(1), [[{ k: "k2", v: "outer" }], [{ k: "outer1", v: 1 }]]);
    assert.deepEqual(db.dirtyRead("s", "k2"), [{ k: "k2", v: "outer" }]);
    assert.deepEqual(db.dirtyRead("s", "outer1"), [{ k: "outer1", v: 1 }]);
  });

  test("(b3) an inner throw or error: TransactionAborted with the thrown value as reason", async () => {
    const db = await openKV();
    const err = new Error("er");
    const r = db.transactionSync((tx) => [
      attempt(() =>
        tx.transaction(() => {
          throw "th";
        }),
      ),
      attempt(() =>
        tx.transaction(() => {
          throw err;
        }),
      ),
      attempt(() => tx.transaction((t2) => t2.read("missing", 1))),
    ]);
    aborted(r[0], "th");
    assert.equal(aborted(r[1], err).cause, err);
    const e3 = abortedBy(r[2], NoExistsError, "no_exists");
    assert.equal(e3.table, "missing");
  });

  test("(c) the inner commits, the outer aborts: the inner's write is gone", async () => {
    const db = await openKV();
    const e = await caught(() =>
      db.transactionSync((tx) => {
        const inner = tx.transaction((t2) => {
          t2.write("s", { k: "inner2", v: 1 });
          return "ok";
        });
        tx.abort(["outer_abort", inner]);
      }),
    );
    aborted(e, ["outer_abort", "ok"]);
    assert.deepEqual(db.dirtyRead("s", "inner2"), []);
  });

  test("an inner abort not caught aborts the outer with the same reason", async () => {
    const db = await openKV();
    const e = await caught(() =>
      db.transactionSync((tx) => {
        tx.write("s", { k: "o", v: 1 });
        tx.transaction((t2) => t2.abort({ why: "inner" }));
        tx.write("s", { k: "never", v: 1 });
      }),
    );
    aborted(e, { why: "inner" });
    assert.deepEqual(db.dirtyRead("s", "o"), []);
    assert.deepEqual(db.dirtyRead("s", "never"), []);
  });

  test("the inner sees the outer's changes; the outer goes on after an inner abort", async () => {
    const db = await openKV();
    const r = db.transactionSync((tx) => {
      tx.delete("o", 3);
      tx.write("o", { k: 4, v: 4 });
      const inner = tx.transaction((t2) => [t2.allKeys("o"), t2.read("o", 3)]);
      attempt(() =>
        tx.transaction((t2) => {
          t2.write("o", { k: 3, v: "back" });
          t2.delete("o", 4);
          t2.abort("no");
        }),
      );
      tx.write("o", { k: 6, v: 6 });
      return [inner, tx.allKeys("o")];
    });
    assert.deepEqual(r, [
      [[1, 4, 5], []],
      [1, 4, 5, 6],
    ]);
    assert.deepEqual(db.dirtyAllKeys("o"), [1, 4, 5, 6]);
  });

  test("an inner abort restores indexes and bag records as the outer left them", async () => {
    const db = await openKV();
    const r = db.transactionSync((tx) => {
      tx.write("b", { k: 1, v: 11 });
      tx.write("s", { k: 1, v: 30 });
      attempt(() =>
        tx.transaction((t2) => {
          t2.deleteObject("b", { k: 1, v: 11 });
          t2.write("b", { k: 1, v: 12 });
          t2.delete("b", 3);
          t2.write("s", { k: 1, v: 31 });
          t2.write("s", { k: 7, v: 30 });
          t2.abort("no");
        }),
      );
      return {
        b1: tx.read("b", 1),
        b3: tx.read("b", 3),
        b12: tx.indexRead("b", 12, "v"),
        s30: tx.indexRead("s", 30, "v"),
        s31: tx.indexRead("s", 31, "v"),
      };
    });
    assert.deepEqual(r, {
      b1: [
        { k: 1, v: 1 },
        { k: 1, v: 11 },
      ],
      b3: [{ k: 3, v: 3 }],
      b12: [],
      s30: [{ k: 1, v: 30 }],
      s31: [],
    });
    assert.deepEqual(db.dirtyIndexRead("s", 30, "v"), [{ k: 1, v: 30 }]);
    assert.deepEqual(db.dirtyIndexRead("b", 12, "v"), []);
  });

  test("three levels: a middle abort undoes the innermost committed changes too", async () => {
    const db = await openKV();
    const r = db.transactionSync((tx) => {
      tx.write("s", { k: "L1", v: 1 });
      const e = attempt(() =>
        tx.transaction((t2) => {
          t2.write("s", { k: "L2", v: 2 });
          const v = t2.transaction((t3) => {
            t3.write("s", { k: "L3", v: 3 });
            return t3.read("s", "L1");
          });
          assert.deepEqual(v, [{ k: "L1", v: 1 }]);
          assert.deepEqual(t2.read("s", "L3"), [{ k: "L3", v: 3 }]);
          t2.abort("middle");
        }),
      );
      const kept = tx.transaction((t2) => {
        t2.transaction((t3) => t3.write("s", { k: "M3", v: 3 }));
        return "kept";
      });
      return [e, kept, tx.read("s", "L2"), tx.read("s", "L3")];
    });
    aborted(r[0], "middle");
    assert.deepEqual(r.slice(1), ["kept", [], []]);
    assert.deepEqual(db.dirtyRead("s", "L1"), [{ k: "L1", v: 1 }]);
    assert.deepEqual(db.dirtyRead("s", "M3"), [{ k: "M3", v: 3 }]);
    assert.deepEqual(db.dirtyRead("s", "L2"), []);
    assert.deepEqual(db.dirtyRead("s", "L3"), []);
  });

  test("an inner transaction is part of the outer: one commit, one activity id", async () => {
    const db = await openKV();
    const c0 = db.systemInfo("transaction_commits");
    const ids = db.transactionSync((tx) => [
      tx.activityId,
      tx.transaction((t2) => t2.activityId),
      tx.transaction((t2) => t2.transaction((t3) => t3.activityId)),
    ]);
    assert.deepEqual(ids[1], ids[0]);
    assert.deepEqual(ids[2], ids[0]);
    assert.equal(db.systemInfo("transaction_commits"), c0 + 1);
  });
});

describe("nested transactions, async bodies", () => {
  test("(a)/(b)/(c) with awaits", async () => {
    const db = await openKV();
    const r = await db.transaction(async (tx: AsyncActivity) => {
      await tx.write("s", { k: "outer1", v: 1 });
      const a = await tx.transaction(async (t2) => {
        await tick();
        await t2.write("s", { k: "a", v: 1 });
        return "inner_val";
      });
      let b: unknown;
      try {
        await tx.transaction(async (t2) => {
          await t2.write("s", { k: "inner1", v: 1 });
          await t2.delete("s", "outer1");
          await tick();
          t2.abort("foo");
        });
      } catch (e) {
        b = e;
      }
      return { a, b, inner1: await tx.read("s", "inner1"), outer1: await tx.read("s", "outer1") };
    });
    assert.equal(r.a, "inner_val");
    aborted(r.b, "foo");
    assert.deepEqual(r.inner1, []);
    assert.deepEqual(r.outer1, [{ k: "outer1", v: 1 }]);
    assert.deepEqual(db.dirtyRead("s", "a"), [{ k: "a", v: 1 }]);
    assert.deepEqual(db.dirtyRead("s", "inner1"), []);
    const e = await caught(() =>
      db.transaction(async (tx) => {
        const inner = await tx.transaction(async (t2) => {
          await t2.write("s", { k: "inner2", v: 1 });
          return "ok";
        });
        tx.abort(["outer_abort", inner]);
      }),
    );
    aborted(e, ["outer_abort", "ok"]);
    assert.deepEqual(db.dirtyRead("s", "inner2"), []);
  });

  test("an aborted inner transaction keeps its locks until the outer ends (as Mnesia does)", async () => {
    const db = await openKV();
    const r = await db.transaction(async (tx) => {
      try {
        await tx.transaction(async (t2) => {
          await t2.write("o", { k: 1, v: "x" });
          t2.abort("no");
        });
      } catch (e) {
        assert.ok(e instanceof TransactionAborted);
      }
      return db.systemInfo("held_locks").map((l) => [l.space, l.item, l.mode]);
    });
    assert.deepEqual(r, [["o", 1, "write"]]);
    assert.deepEqual(db.systemInfo("held_locks"), []);
    assert.deepEqual(db.dirtyRead("o", 1), [{ k: 1, v: 1 }]);
  });

  test("nested transactions inside nested dirty activities inherit the transaction", async () => {
    const db = await openKV();
    const r = db.transactionSync((tx: SyncActivity) => {
      tx.write("s", { k: "t", v: 0 });
      return tx.asyncDirty((c) => {
        const seen = c.transaction((t2) => t2.read("s", "t"));
        attempt(() =>
          c.transaction((t2) => {
            t2.write("s", { k: "t", v: "inner" });
            t2.abort("no");
          }),
        );
        return [seen, c.read("s", "t"), db.dirtyRead("s", "t")];
      });
    });
    assert.deepEqual(r, [[{ k: "t", v: 0 }], [{ k: "t", v: 0 }], []]);
    assert.deepEqual(db.dirtyRead("s", "t"), [{ k: "t", v: 0 }]);
  });

  test("a nested transaction's records are frozen copies, unaffected by later changes of the argument", async () => {
    const db = await openKV();
    const rec = { k: "m", v: [1, 2] } as AnyRecord & { v: number[] };
    db.transactionSync((tx) => {
      tx.transaction((t2) => t2.write("s", rec));
      rec.v.push(3);
    });
    assert.deepEqual(db.dirtyRead("s", "m"), [{ k: "m", v: [1, 2] }]);
  });
});
