// Lock kinds of the operations and the results of lock/2 (FACTS Q10/Q11), in transactions and in
// dirty activities.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type AsyncActivity,
  BadTypeError,
  type LockItem,
  type LockKind,
  Mneme,
  NoExistsError,
  type SyncActivity,
} from "../../src/index.js";
import { abortedBy, caught, openKV } from "./helpers.js";

/** The locks held now, as [table, item, mode]. */
function held(db: Awaited<ReturnType<typeof openKV>>): unknown[] {
  return db
    .systemInfo("held_locks")
    .map((l) => [l.space, l.item, l.mode])
    .sort((a, b) => String(a).localeCompare(String(b)));
}

describe("lock kinds of the operations", () => {
  test("read with a bad kind is bad_type; read with write or sticky_write takes a write lock", async () => {
    const db = await openKV();
    abortedBy(
      await caught(() => db.transactionSync((tx) => tx.read("s", 1, "bad" as never))),
      BadTypeError,
      "bad_type",
    );
    const cause = abortedBy(
      await caught(() => db.transaction(async (tx) => tx.read("s", 1, "bad" as never))),
      BadTypeError,
      "bad_type",
    );
    assert.equal(cause.table, "s");
    assert.equal(cause.value, "bad");
    const r = await db.transaction(async (tx) => [
      await tx.read("s", 1, "write"),
      await tx.read("s", 3, "sticky_write"),
      await tx.wread("s", 5),
      await tx.read("o", 1),
      held(db),
    ]);
    assert.deepEqual(r, [
      [{ k: 1, v: 1 }],
      [{ k: 3, v: 3 }],
      [{ k: 5, v: 5 }],
      [{ k: 1, v: 1 }],
      [
        ["o", 1, "read"],
        ["s", 1, "write"],
        ["s", 3, "write"],
        ["s", 5, "write"],
      ],
    ]);
  });

  test("write, delete and deleteObject with a read lock are bad_type (FACTS Q11), sticky_write is fine", async () => {
    const db = await openKV();
    const bodies: ((tx: SyncActivity) => unknown)[] = [
      (tx) => tx.write("s", { k: 2, v: 2 }, "read" as never),
      (tx) => tx.delete("s", 1, "read" as never),
      (tx) => tx.deleteObject("s", { k: 1, v: 1 }, "read" as never),
      (tx) => tx.write("s", { k: 2, v: 2 }, "bad" as never),
      (tx) => tx.delete("s", 1, "bad" as never),
    ];
    for (const body of bodies) {
      const cause = abortedBy(
        await caught(() => db.transactionSync(body)),
        BadTypeError,
        "bad_type",
      );
      assert.equal(cause.table, "s");
      abortedBy(await caught(() => db.transaction(body as never)), BadTypeError, "bad_type");
    }
    assert.deepEqual(db.dirtyRead("s", 1), [{ k: 1, v: 1 }]);
    assert.deepEqual(db.dirtyRead("s", 2), []);
    db.transactionSync((tx) => {
      tx.write("s", { k: 2, v: 2 }, "sticky_write");
      tx.delete("s", 3, "sticky_write");
      tx.deleteObject("s", { k: 5, v: 5 }, "write");
    });
    assert.deepEqual(db.dirtyAllKeys("s").sort(), [1, 2]);
  });

  test("table reads with a bad kind are bad_type", async () => {
    const db = await openKV();
    const bad = "bad" as never;
    const bodies: ((tx: SyncActivity) => unknown)[] = [
      (tx) => tx.matchObject("s", {}, bad),
      (tx) => tx.select("s", [["_", [], ["$_"]]], bad),
      (tx) => tx.selectLimit("s", [["_", [], ["$_"]]], 2, bad),
      (tx) => tx.foldl("s", (_r, a) => a, 0, bad),
      (tx) => tx.foldr("s", (_r, a) => a, 0, bad),
      (tx) => tx.indexMatchObject("s", { v: 1 }, "v", bad),
    ];
    for (const body of bodies) {
      abortedBy(await caught(() => db.transactionSync(body)), BadTypeError, "bad_type");
    }
  });

  test("in dirty activities lock kinds are ignored (FACTS Q10)", async () => {
    const db = await openKV();
    const r = db.asyncDirty((c) => {
      c.write("s", { k: 3, v: "k3" }, "read" as never);
      return [
        c.read("s", 1, "bad" as never),
        c.read("s", 3),
        c.matchObject("s", { k: 1 }, "x" as never),
      ];
    });
    assert.deepEqual(r, [[{ k: 1, v: 1 }], [{ k: 3, v: "k3" }], [{ k: 1, v: 1 }]]);
  });

  test("matchObject with a bound key locks the record, otherwise the table; index reads lock the table", async () => {
    const db = await openKV();
    const r = await db.transaction(async (tx) => {
      await tx.matchObject("s", { k: 1 });
      await tx.matchObject("o", { v: 3 });
      await tx.indexRead("b", 1, "v");
      await tx.select("s", [[{ k: 5 }, [], ["$_"]]], "write");
      return held(db);
    });
    assert.deepEqual(r, [
      ["b", "table", "read"],
      ["o", "table", "read"],
      ["s", 1, "read"],
      ["s", "table", "write"],
    ]);
  });
});

describe("lock() results (FACTS Q10)", () => {
  const cases: readonly (readonly [string, LockItem, LockKind, unknown])[] = [
    ["record write", { record: "s", key: 1 }, "write", ["nonode@nohost"]],
    ["record write, missing key", { record: "s", key: 99 }, "write", ["nonode@nohost"]],
    ["record read", { record: "s", key: 1 }, "read", [{ k: 1, v: 1 }]],
    ["record read, missing key", { record: "s", key: 99 }, "read", []],
    ["record read, bag", { record: "b", key: 1 }, "read", [{ k: 1, v: 1 }]],
    ["table read", { table: "s" }, "read", "ok"],
    ["table write", { table: "s" }, "write", ["nonode@nohost"]],
    ["table by handle", { table: { name: "o" } }, "write", ["nonode@nohost"]],
    ["global write", { global: "foo" }, "write", ["nonode@nohost"]],
    ["global read", { global: "foo" }, "read", ["nonode@nohost"]],
    [
      "global on this node",
      { global: ["a", 1], nodes: ["nonode@nohost"] },
      "write",
      ["nonode@nohost"],
    ],
    ["global on no node", { global: "foo", nodes: [] }, "write", []],
  ];
  for (const [name, item, kind, expected] of cases) {
    test(`${name} → ${JSON.stringify(expected)}`, async () => {
      const db = await openKV();
      assert.equal(db.node, "nonode@nohost");
      assert.deepEqual(
        db.transactionSync((tx) => tx.lock(item, kind)),
        expected,
      );
      assert.deepEqual(await db.transaction(async (tx) => tx.lock(item, kind)), expected);
      // Dirty activities do not lock: [] (FACTS Q10).
      assert.deepEqual(
        db.asyncDirty((c) => c.lock(item, kind)),
        [],
      );
      assert.deepEqual(
        db.ets((c) => c.lock(item, kind)),
        [],
      );
      assert.deepEqual(
        db.syncDirty((c) => c.lock(item, kind)),
        [],
      );
    });
  }

  // Every pair of lock() calls in one transaction, each on a fresh table holding {k: 1, v: "one"},
  // as erl answers it (issue #8): [item, kind, item, kind, first result, second result].
  const N = ["nonode@nohost"];
  const R1 = [{ k: 1, v: "one" }];
  const PAIRS: readonly (readonly [string, string, string, string, unknown, unknown])[] = [
    ["tab", "read", "tab", "read", "ok", N],
    ["tab", "read", "tab", "write", "ok", N],
    ["tab", "read", "tab", "sticky_write", "ok", N],
    ["tab", "read", "rec1", "read", "ok", R1],
    ["tab", "read", "rec1", "write", "ok", N],
    ["tab", "read", "rec1", "sticky_write", "ok", "ok"],
    ["tab", "read", "rec2", "read", "ok", []],
    ["tab", "read", "rec2", "write", "ok", N],
    ["tab", "read", "rec2", "sticky_write", "ok", "ok"],
    ["tab", "write", "tab", "read", N, N],
    ["tab", "write", "tab", "write", N, false],
    ["tab", "write", "tab", "sticky_write", N, N],
    ["tab", "write", "rec1", "read", N, R1],
    ["tab", "write", "rec1", "write", N, []],
    ["tab", "write", "rec1", "sticky_write", N, "ok"],
    ["tab", "write", "rec2", "read", N, []],
    ["tab", "write", "rec2", "write", N, []],
    ["tab", "write", "rec2", "sticky_write", N, "ok"],
    ["tab", "sticky_write", "tab", "read", N, N],
    ["tab", "sticky_write", "tab", "write", N, false],
    ["tab", "sticky_write", "tab", "sticky_write", N, N],
    ["tab", "sticky_write", "rec1", "read", N, R1],
    ["tab", "sticky_write", "rec1", "write", N, []],
    ["tab", "sticky_write", "rec1", "sticky_write", N, "ok"],
    ["tab", "sticky_write", "rec2", "read", N, []],
    ["tab", "sticky_write", "rec2", "write", N, []],
    ["tab", "sticky_write", "rec2", "sticky_write", N, "ok"],
    ["rec1", "read", "tab", "read", R1, "ok"],
    ["rec1", "read", "tab", "write", R1, N],
    ["rec1", "read", "tab", "sticky_write", R1, N],
    ["rec1", "read", "rec1", "read", R1, R1],
    ["rec1", "read", "rec1", "write", R1, N],
    ["rec1", "read", "rec1", "sticky_write", R1, "ok"],
    ["rec1", "read", "rec2", "read", R1, []],
    ["rec1", "read", "rec2", "write", R1, N],
    ["rec1", "read", "rec2", "sticky_write", R1, "ok"],
    ["rec1", "write", "tab", "read", N, "ok"],
    ["rec1", "write", "tab", "write", N, N],
    ["rec1", "write", "tab", "sticky_write", N, N],
    ["rec1", "write", "rec1", "read", N, R1],
    ["rec1", "write", "rec1", "write", N, []],
    ["rec1", "write", "rec1", "sticky_write", N, "ok"],
    ["rec1", "write", "rec2", "read", N, []],
    ["rec1", "write", "rec2", "write", N, N],
    ["rec1", "write", "rec2", "sticky_write", N, "ok"],
    ["rec1", "sticky_write", "tab", "read", "ok", N],
    ["rec1", "sticky_write", "tab", "write", "ok", N],
    ["rec1", "sticky_write", "tab", "sticky_write", "ok", "granted"],
    ["rec1", "sticky_write", "rec1", "read", "ok", R1],
    ["rec1", "sticky_write", "rec1", "write", "ok", []],
    ["rec1", "sticky_write", "rec1", "sticky_write", "ok", "ok"],
    ["rec1", "sticky_write", "rec2", "read", "ok", []],
    ["rec1", "sticky_write", "rec2", "write", "ok", N],
    ["rec1", "sticky_write", "rec2", "sticky_write", "ok", "granted"],
  ];
  const itemOf = (name: string, table: string): LockItem =>
    name === "tab" ? { table } : { record: table, key: name === "rec1" ? 1 : 2 };
  for (const flavour of ["sync", "async"] as const) {
    test(`every pair of lock kinds and items in one transaction, as Mnesia (${flavour})`, async () => {
      const db = await Mneme.open();
      const got: unknown[] = [];
      for (const [i, [a, ka, b, kb]] of PAIRS.entries()) {
        const t = `t${i}`;
        await db.createTable(t, { attributes: ["k", "v"] });
        db.dirtyWrite(t, { k: 1, v: "one" });
        const [x, y] = [itemOf(a, t), itemOf(b, t)];
        const r =
          flavour === "sync"
            ? db.transactionSync((tx) => [tx.lock(x, ka as LockKind), tx.lock(y, kb as LockKind)])
            : await db.transaction(async (tx) => [
                await tx.lock(x, ka as LockKind),
                await tx.lock(y, kb as LockKind),
              ]);
        got.push([a, ka, b, kb, ...r]);
      }
      assert.deepEqual(got, PAIRS);
    });
  }

  test("sticky_write sticks the table for good: later sticky locks are granted (erl)", async () => {
    const db = await openKV();
    const lock = (item: LockItem, kind: LockKind) =>
      db.transactionSync((tx) => tx.lock(item, kind));
    assert.deepEqual(lock({ table: "s" }, "sticky_write"), N);
    assert.equal(lock({ table: "s" }, "sticky_write"), "granted");
    assert.deepEqual(lock({ table: "s" }, "write"), N);
    assert.equal(
      await db.transaction(async (tx) => tx.lock({ record: "s", key: 1 }, "sticky_write")),
      "granted",
    );
    assert.equal(lock({ table: "s" }, "read"), "ok");
    // A record sticky lock sticks the table too; an aborted transaction's stick stays.
    assert.equal(lock({ record: "o", key: 1 }, "sticky_write"), "ok");
    assert.equal(lock({ record: "o", key: 2 }, "sticky_write"), "granted");
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.lock({ table: "b" }, "sticky_write");
        tx.abort("x");
      }),
    );
    assert.equal(lock({ table: "b" }, "sticky_write"), "granted");
    // Deleting and recreating the table does not unstick it.
    await db.deleteTable("b");
    await db.createTable("b", { attributes: ["k", "v"], type: "bag" });
    assert.equal(lock({ table: "b" }, "sticky_write"), "granted");
  });

  test("sWrite, sDelete and reads/writes with sticky_write stick the table; not when the write lock is held", async () => {
    const db = await Mneme.open();
    for (const t of ["a", "b", "c", "d", "e"]) await db.createTable(t, { attributes: ["k", "v"] });
    const stickyAfter = (t: string) =>
      db.transactionSync((tx) => tx.lock({ table: t }, "sticky_write"));
    db.transactionSync((tx) => tx.sWrite("a", { k: 5, v: 1 }));
    await db.transaction(async (tx) => tx.read("b", 1, "sticky_write"));
    db.transactionSync((tx) => tx.sDelete("c", 1));
    db.transactionSync((tx) => {
      tx.write("d", { k: 1, v: 1 });
      tx.lock({ record: "d", key: 1 }, "sticky_write"); // the write lock is held: no stick
    });
    assert.deepEqual(["a", "b", "c", "d"].map(stickyAfter), ["granted", "granted", "granted", N]);
    // A dirty activity takes no lock and sticks nothing.
    db.asyncDirty((c) => c.lock({ table: "e" }, "sticky_write"));
    assert.deepEqual(stickyAfter("e"), N);
  });

  test("a nested transaction sees the outer one's locks: a second table write lock is false", async () => {
    const db = await openKV();
    const r = db.transactionSync((tx) => {
      tx.lock({ table: "s" }, "write");
      return tx.transaction((t2) => t2.lock({ table: "s" }, "write"));
    });
    assert.equal(r, false);
    // Locks taken by reads count: all_keys then a table read lock gives [node].
    assert.deepEqual(
      await db.transaction(async (tx) => {
        await tx.allKeys("s");
        return tx.lock({ table: "s" }, "read");
      }),
      N,
    );
  });

  test("a record read lock returns the records as the transaction sees them", async () => {
    // Mnesia returns the committed records here (its lock manager reads the table); Mneme
    // returns what a read in the transaction returns.
    const db = await openKV();
    assert.deepEqual(
      db.transactionSync((tx) => {
        tx.write("s", { k: 1, v: "new" });
        tx.write("s", { k: 2, v: 2 });
        return [tx.lock({ record: "s", key: 1 }, "read"), tx.lock({ record: "s", key: 2 }, "read")];
      }),
      [[{ k: 1, v: "new" }], [{ k: 2, v: 2 }]],
    );
  });

  test("locks are taken: held_locks shows them until the end", async () => {
    const db = await openKV();
    const r = await db.transaction(async (tx) => {
      await tx.lock({ record: "s", key: 1 }, "read");
      await tx.lock({ record: "s", key: 1 }, "write");
      await tx.lock({ table: "o" }, "read");
      await tx.lock({ table: "b" }, "sticky_write");
      await tx.lock({ global: "g" }, "read");
      return db
        .systemInfo("held_locks")
        .map((l) => [
          l.space === "s" || l.space === "o" || l.space === "b" ? l.space : "global",
          l.item,
          l.mode,
        ]);
    });
    assert.deepEqual(r, [
      ["s", 1, "write"],
      ["o", "table", "read"],
      ["b", "table", "write"],
      ["global", "g", "read"],
    ]);
    assert.deepEqual(db.systemInfo("held_locks"), []);
  });

  test("bad kinds, bad items and missing tables", async () => {
    const db = await openKV();
    const bad: readonly (readonly [LockItem, string, new (...a: never[]) => Error, string])[] = [
      [{ table: "s" }, "bad", BadTypeError, "bad_type"],
      [{ record: "s", key: 1 }, "bad", BadTypeError, "bad_type"],
      [{ record: "s", key: 1 }, "load", BadTypeError, "bad_type"],
      [{ foo: "s" } as never, "read", BadTypeError, "bad_type"],
      [null as never, "read", BadTypeError, "bad_type"],
      ["bad" as never, "read", BadTypeError, "bad_type"],
      [{ global: "g" }, "bad", BadTypeError, "bad_type"],
      // Global locks are read or write only (Mnesia: {aborted,{bad_type,sticky_write}}).
      [{ global: "g" }, "sticky_write", BadTypeError, "bad_type"],
      [{ table: "missing" }, "read", NoExistsError, "no_exists"],
      [{ record: "missing", key: 1 }, "write", NoExistsError, "no_exists"],
    ];
    for (const [item, kind, cls, reason] of bad) {
      abortedBy(
        await caught(() => db.transactionSync((tx) => tx.lock(item, kind as never))),
        cls as never,
        reason,
      );
      abortedBy(
        await caught(() => db.transaction(async (tx) => tx.lock(item, kind as never))),
        cls as never,
        reason,
      );
      // Dirty: no lock, no check.
      assert.deepEqual(
        db.asyncDirty((c) => c.lock(item, kind as never)),
        [],
      );
    }
    assert.deepEqual(db.systemInfo("held_locks"), []);
  });

  test("readLockTable and writeLockTable return ok, in dirty activities too (FACTS Q10)", async () => {
    const db = await openKV();
    assert.deepEqual(
      db.transactionSync((tx) => [tx.readLockTable("s"), tx.writeLockTable("o")]),
      ["ok", "ok"],
    );
    assert.deepEqual(
      await db.transaction(async (tx) => {
        const r = [await tx.readLockTable("s"), await tx.writeLockTable({ name: "o" })];
        return [...r, held(db)];
      }),
      [
        "ok",
        "ok",
        [
          ["o", "table", "write"],
          ["s", "table", "read"],
        ],
      ],
    );
    for (const run of [
      (f: (c: SyncActivity) => unknown) => db.asyncDirty(f),
      (f: (c: SyncActivity) => unknown) => db.syncDirty(f),
      (f: (c: SyncActivity) => unknown) => db.ets(f),
    ]) {
      assert.deepEqual(
        run((c) => [c.readLockTable("s"), c.writeLockTable("s")]),
        ["ok", "ok"],
      );
    }
    abortedBy(
      await caught(() => db.transactionSync((tx) => tx.readLockTable("missing"))),
      NoExistsError,
      "no_exists",
    );
  });

  test("async operations return promises, sync ones values", async () => {
    const db = await openKV();
    await db.transaction(async (tx: AsyncActivity) => {
      const p = tx.lock({ table: "s" }, "read");
      assert.ok(p instanceof Promise);
      assert.equal(await p, "ok");
      const q = tx.readLockTable("s");
      assert.ok(q instanceof Promise);
      assert.equal(await q, "ok");
    });
    db.transactionSync((tx) => {
      assert.equal(tx.lock({ table: "s" }, "read"), "ok");
    });
  });
});
