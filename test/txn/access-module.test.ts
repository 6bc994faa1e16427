// Access modules (mnesia_access): every operation of activity() reaches the module's callback with
// the activity id and `opaque`, the default implementation; derived operations reach the primitive
// callbacks; a module may change what operations do.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  type AccessModule,
  type Activity,
  type AnyRecord,
  BadTypeError,
  type Flavour,
  Mneme,
  type SyncActivity,
} from "../../src/index.js";
import { aborted, caught, openKV } from "./helpers.js";

type Call = [name: string, activityKind: string, ...args: unknown[]];

/** A module that records every call (without function arguments) and forwards it to `opaque`. */
function recorder(): { mod: AccessModule; calls: Call[] } {
  const calls: Call[] = [];
  const o = (x: Activity<Flavour>) => x as unknown as Record<string, (...a: unknown[]) => unknown>;
  const log = (name: string, id: { kind: string }, ...args: unknown[]) => {
    calls.push([name, id.kind, ...args]);
  };
  const mod: AccessModule = {
    lock: (id, opaque, item, kind) => {
      log("lock", id, item, kind);
      return o(opaque).lock!(item, kind);
    },
    write: (id, opaque, table, record, kind) => {
      log("write", id, table, record, kind);
      return o(opaque).write!(table, record, kind);
    },
    delete: (id, opaque, table, key, kind) => {
      log("delete", id, table, key, kind);
      return o(opaque).delete!(table, key, kind);
    },
    deleteObject: (id, opaque, table, record, kind) => {
      log("deleteObject", id, table, record, kind);
      return o(opaque).deleteObject!(table, record, kind);
    },
    read: (id, opaque, table, key, kind) => {
      log("read", id, table, key, kind);
      return o(opaque).read!(table, key, kind);
    },
    matchObject: (id, opaque, table, pattern, kind) => {
      log("matchObject", id, table, pattern, kind);
      return o(opaque).matchObject!(table, pattern, kind);
    },
    allKeys: (id, opaque, table, kind) => {
      log("allKeys", id, table, kind);
      return o(opaque).allKeys!(table, kind);
    },
    first: (id, opaque, table) => {
      log("first", id, table);
      return o(opaque).first!(table);
    },
    last: (id, opaque, table) => {
      log("last", id, table);
      return o(opaque).last!(table);
    },
    next: (id, opaque, table, key) => {
      log("next", id, table, key);
      return o(opaque).next!(table, key);
    },
    prev: (id, opaque, table, key) => {
      log("prev", id, table, key);
      return o(opaque).prev!(table, key);
    },
    indexMatchObject: (id, opaque, table, pattern, attribute, kind) => {
      log("indexMatchObject", id, table, pattern, attribute, kind);
      return o(opaque).indexMatchObject!(table, pattern, attribute, kind);
    },
    indexRead: (id, opaque, table, value, attribute, kind) => {
      log("indexRead", id, table, value, attribute, kind);
      return o(opaque).indexRead!(table, value, attribute);
    },
    select: (id, opaque, table, spec, kind) => {
      log("select", id, table, spec, kind);
      return o(opaque).select!(table, spec, kind);
    },
    foldl: (id, opaque, fn, acc, table, kind) => {
      log("foldl", id, acc, table, kind);
      return o(opaque).foldl!(table, fn, acc, kind);
    },
    foldr: (id, opaque, fn, acc, table, kind) => {
      log("foldr", id, acc, table, kind);
      return o(opaque).foldr!(table, fn, acc, kind);
    },
    tableInfo: (id, opaque, table, item) => {
      log("tableInfo", id, table, item);
      return o(opaque).tableInfo!(table, item);
    },
  };
  return { mod, calls };
}

/** One of every operation; returns their results. */
function everything(c: SyncActivity): unknown[] {
  const count = (_r: AnyRecord, n: number) => n + 1;
  return [
    c.read("s", 1),
    c.write("s", { k: 2, v: 2 }),
    c.delete("s", 3),
    c.deleteObject("b", { k: 1, v: 1 }),
    c.matchObject("o", { v: 3 }),
    c.select("o", [[{ k: "$1" }, [], ["$1"]]]),
    c.allKeys("o"),
    c.first("o"),
    c.last("o"),
    c.next("o", 1),
    c.prev("o", 5),
    c.indexRead("s", 5, "v"),
    c.indexMatchObject("s", { v: 2 }, "v"),
    c.foldl("o", count, 0),
    c.foldr("o", count, 100),
    c.lock({ record: "s", key: 1 }, "read"),
    c.tableInfo("o", "size"),
  ];
}

const EVERYTHING_CALLS = (kind: string): Call[] => [
  ["read", kind, "s", 1, "read"],
  ["write", kind, "s", { k: 2, v: 2 }, "write"],
  ["delete", kind, "s", 3, "write"],
  ["deleteObject", kind, "b", { k: 1, v: 1 }, "write"],
  ["matchObject", kind, "o", { v: 3 }, "read"],
  ["select", kind, "o", [[{ k: "$1" }, [], ["$1"]]], "read"],
  ["allKeys", kind, "o", "read"],
  ["first", kind, "o"],
  ["last", kind, "o"],
  ["next", kind, "o", 1],
  ["prev", kind, "o", 5],
  ["indexRead", kind, "s", 5, "v", "read"],
  ["indexMatchObject", kind, "s", { v: 2 }, "v", "read"],
  ["foldl", kind, 0, "o", "read"],
  ["foldr", kind, 100, "o", "read"],
  ["lock", kind, { record: "s", key: 1 }, "read"],
  ["tableInfo", kind, "o", "size"],
];

describe("a module that records every call and forwards it to opaque", () => {
  test("dirty activities: every operation reaches its callback; results are unchanged", async () => {
    const plain = await openKV();
    const expected = plain.asyncDirty(everything);
    for (const kind of ["async_dirty", "sync_dirty", "ets"] as const) {
      const db = await openKV();
      const { mod, calls } = recorder();
      assert.deepEqual(db.activity(kind, everything, mod), expected);
      assert.deepEqual(calls, EVERYTHING_CALLS(kind));
    }
  });

  test("transactions: every operation reaches its callback with the tid; results are unchanged", async () => {
    const plain = await openKV();
    const expected = plain.transactionSync(everything);
    for (const kind of ["transaction", "sync_transaction"] as const) {
      const db = await openKV();
      const { mod, calls } = recorder();
      const r = await db.activity(
        kind,
        async (tx) => {
          const out: unknown[] = [];
          // The async flavour: every operation is awaited in turn.
          const count = (_r: AnyRecord, n: number) => n + 1;
          out.push(await tx.read("s", 1));
          out.push(await tx.write("s", { k: 2, v: 2 }));
          out.push(await tx.delete("s", 3));
          out.push(await tx.deleteObject("b", { k: 1, v: 1 }));
          out.push(await tx.matchObject("o", { v: 3 }));
          out.push(await tx.select("o", [[{ k: "$1" }, [], ["$1"]]]));
          out.push(await tx.allKeys("o"));
          out.push(await tx.first("o"));
          out.push(await tx.last("o"));
          out.push(await tx.next("o", 1));
          out.push(await tx.prev("o", 5));
          out.push(await tx.indexRead("s", 5, "v"));
          out.push(await tx.indexMatchObject("s", { v: 2 }, "v"));
          out.push(await tx.foldl("o", count, 0));
          out.push(await tx.foldr("o", count, 100));
          out.push(await tx.lock({ record: "s", key: 1 }, "read"));
          out.push(tx.tableInfo("o", "size"));
          return out;
        },
        mod,
      );
      assert.deepEqual(r, expected);
      assert.deepEqual(calls, EVERYTHING_CALLS("tid"));
      assert.deepEqual(db.dirtyRead("s", 2), [{ k: 2, v: 2 }]);
    }
  });

  test("derived operations reach the primitive callbacks (wread, sWrite, sDelete, sDeleteObject, lock tables)", async () => {
    const db = await openKV();
    const { mod, calls } = recorder();
    const r = await db.activity(
      "transaction",
      async (tx) => [
        await tx.wread("s", 1),
        await tx.sWrite("s", { k: 7, v: 7 }),
        await tx.sDelete("s", 7),
        await tx.sDeleteObject("s", { k: 5, v: 5 }),
        await tx.readLockTable("o"),
        await tx.writeLockTable("b"),
      ],
      mod,
    );
    assert.deepEqual(r, [[{ k: 1, v: 1 }], undefined, undefined, undefined, "ok", "ok"]);
    assert.deepEqual(calls, [
      ["read", "tid", "s", 1, "write"],
      ["write", "tid", "s", { k: 7, v: 7 }, "sticky_write"],
      ["delete", "tid", "s", 7, "sticky_write"],
      ["deleteObject", "tid", "s", { k: 5, v: 5 }, "sticky_write"],
      ["lock", "tid", { table: "o" }, "read"],
      ["lock", "tid", { table: "b" }, "write"],
    ]);
    assert.deepEqual(db.dirtyAllKeys("s").sort(), [1, 3]);
    calls.length = 0;
    assert.deepEqual(
      db.activity(
        "async_dirty",
        (c) => [c.wread("s", 1), c.readLockTable("o"), c.sWrite("s", { k: 8, v: 8 })],
        mod,
      ),
      [[{ k: 1, v: 1 }], "ok", undefined],
    );
    assert.deepEqual(calls, [
      ["read", "async_dirty", "s", 1, "write"],
      ["lock", "async_dirty", { table: "o" }, "read"],
      ["write", "async_dirty", "s", { k: 8, v: 8 }, "sticky_write"],
    ]);
  });

  test("opaque does not call the module again; nested activities keep the module", async () => {
    const db = await openKV();
    const { mod, calls } = recorder();
    const seen: unknown[] = [];
    const outer: AccessModule = {
      ...mod,
      read: (id, opaque, table, key, kind) => {
        seen.push((opaque as unknown as SyncActivity).read(table, key, kind));
        return mod.read!(id, opaque, table, key, kind);
      },
    };
    await db.activity(
      "transaction",
      async (tx) => {
        await tx.read("s", 1);
        await tx.transaction(async (t2) => t2.read("s", 3));
        await tx.asyncDirty((c) => c.read("s", 5));
      },
      outer,
    );
    assert.deepEqual(calls, [
      ["read", "tid", "s", 1, "read"],
      ["read", "tid", "s", 3, "read"],
      ["read", "tid", "s", 5, "read"],
    ]);
    assert.equal(seen.length, 3);
  });

  test("callbacks left out go to the default; the configured module is activity()'s default", async () => {
    const { mod, calls } = recorder();
    const onlyRead: AccessModule = { read: mod.read! };
    const db = await Mneme.open({ accessModule: onlyRead });
    await db.createTable("s", { attributes: ["k", "v"] });
    db.activity("async_dirty", (c) => {
      c.write("s", { k: 1, v: 1 });
      c.read("s", 1);
      c.allKeys("s");
    });
    assert.deepEqual(calls, [["read", "async_dirty", "s", 1, "read"]]);
    assert.equal(db.systemInfo("access_module"), "custom");
    // transaction() and the other entry points do not use the access module (as in Mnesia).
    db.transactionSync((tx) => tx.read("s", 1));
    await db.transaction(async (tx) => tx.read("s", 1));
    db.asyncDirty((c) => c.read("s", 1));
    assert.equal(calls.length, 1);
    await db.activity("transaction", async (tx) => tx.read("s", 1));
    assert.equal(calls.length, 2);
    // An explicit module replaces the default.
    const other = recorder();
    db.activity("ets", (c) => c.read("s", 1), other.mod);
    assert.equal(calls.length, 2);
    assert.deepEqual(other.calls, [["read", "ets", "s", 1, "read"]]);
  });
});

describe("a module that changes behaviour", () => {
  test("read returns []: read and wread see nothing; other operations are untouched", async () => {
    const db = await openKV();
    const blind: AccessModule = { read: () => [] };
    const r = await db.activity(
      "transaction",
      async (tx) => [
        await tx.read("s", 1),
        await tx.wread("s", 1),
        await tx.matchObject("s", { k: 1 }),
      ],
      blind,
    );
    assert.deepEqual(r, [[], [], [{ k: 1, v: 1 }]]);
    assert.deepEqual(
      db.activity("async_dirty", (c) => [c.read("s", 1), c.indexRead("s", 1, "v")], blind),
      [[], [{ k: 1, v: 1 }]],
    );
  });

  test("a lock callback returning a plain value: lock returns it, the table lock functions return ok", async () => {
    const db = await openKV();
    const mod: AccessModule = { lock: () => "granted by module" };
    const r = await db.activity(
      "transaction",
      async (tx) => [
        await tx.lock({ table: "s" }, "write"),
        await tx.readLockTable("s"),
        await tx.writeLockTable("s"),
        db.systemInfo("held_locks").length,
      ],
      mod,
    );
    assert.deepEqual(r, ["granted by module", "ok", "ok", 0]);
    assert.deepEqual(
      db.activity("sync_dirty", (c) => [c.lock({ table: "s" }, "read"), c.readLockTable("s")], mod),
      ["granted by module", "ok"],
    );
  });

  test("a write callback that rewrites records, and one that refuses", async () => {
    const db = await openKV();
    const upper: AccessModule = {
      write: (_id, opaque, table, record, kind) =>
        (opaque as unknown as SyncActivity).write(
          table,
          { ...record, v: String(record.v).toUpperCase() },
          kind,
        ),
    };
    await db.activity("transaction", async (tx) => tx.write("s", { k: 9, v: "abc" }), upper);
    assert.deepEqual(db.dirtyRead("s", 9), [{ k: 9, v: "ABC" }]);
    const refuse: AccessModule = {
      write: (_id, _opaque, table) => {
        throw { refused: table };
      },
    };
    aborted(
      await caught(() =>
        db.activity(
          "transaction",
          async (tx) => {
            await tx.delete("s", 9);
            await tx.write("s", { k: 10, v: 1 });
          },
          refuse,
        ),
      ),
      { refused: "s" },
    );
    assert.deepEqual(db.dirtyRead("s", 9), [{ k: 9, v: "ABC" }]);
    assert.deepEqual(db.dirtyRead("s", 10), []);
  });

  test("a module sees an abort through opaque like any other", async () => {
    const db = await openKV();
    const { mod, calls } = recorder();
    aborted(
      await caught(() =>
        db.activity(
          "transaction",
          async (tx) => {
            await tx.write("s", { k: 2, v: 2 });
            tx.abort("stop");
          },
          mod,
        ),
      ),
      "stop",
    );
    assert.deepEqual(calls, [["write", "tid", "s", { k: 2, v: 2 }, "write"]]);
    assert.deepEqual(db.dirtyRead("s", 2), []);
  });
});

describe("activity: the access module argument is checked", () => {
  test("a module whose callback is not a function: bad_type, and the body does not run", async () => {
    const db = await Mneme.open();
    let ran = false;
    assert.throws(
      () =>
        db.activity(
          "async_dirty",
          () => {
            ran = true;
          },
          { read: 42 } as never,
        ),
      (e: unknown) =>
        e instanceof BadTypeError && /accessModule\.read must be a function/.test(e.message),
    );
    assert.equal(ran, false);
  });
});
