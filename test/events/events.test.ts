// Events (mnesia:subscribe/1): system, activity and table events (simple and detailed), delivered
// by callback or async iteration, after the commit (FACTS Q8).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type ActivityEvent,
  type ActivityId,
  BadArgError,
  type DetailedTableEvent,
  Mneme,
  NoExistsError,
  NotRunningError,
  type SimpleTableEvent,
  SubscriptionOverflowError,
  type SystemEvent,
  SystemLimitError,
  TransactionAborted,
} from "../../src/index.js";
import { flush, throwsMneme } from "../db/helpers.js";

interface Person {
  name: string;
  age: number;
}

const DIRTY: ActivityId = { kind: "async_dirty", id: 0 };

async function setup() {
  const db = await Mneme.open();
  const person = await db.createTable<Person, "name">("person", { attributes: ["name", "age"] });
  const simple: SimpleTableEvent<Person>[] = [];
  const detailed: DetailedTableEvent<Person>[] = [];
  db.subscribe({ table: person }, (e) => simple.push(e));
  db.subscribe({ table: person, mode: "detailed" }, (e) => detailed.push(e));
  /** The events since the last call, after letting them be delivered. */
  const take = async () => {
    await flush();
    const out = { simple: [...simple], detailed: [...detailed] };
    simple.length = 0;
    detailed.length = 0;
    return out;
  };
  return { db, person, take };
}

describe("system events", () => {
  it("reportEvent: {type: 'mnesia_user', event} to every system subscriber", async () => {
    const db = await Mneme.open();
    const a: SystemEvent[] = [];
    const b: SystemEvent[] = [];
    db.subscribe("system", (e) => a.push(e));
    db.subscribe("system", (e) => b.push(e));
    db.reportEvent({ foo: 1 });
    db.reportEvent("bar");
    assert.deepEqual(a, []); // delivered after the call, never inside it
    await flush();
    const expected = [
      { type: "mnesia_user", event: { foo: 1 } },
      { type: "mnesia_user", event: "bar" },
    ];
    assert.deepEqual(a, expected);
    assert.deepEqual(b, expected);
  });

  it("close: mnesia_down with this node", async () => {
    const db = await Mneme.open({ node: "n@h" });
    const got: SystemEvent[] = [];
    db.subscribe("system", (e) => got.push(e));
    await db.close();
    await flush();
    assert.deepEqual(got, [{ type: "mnesia_down", node: "n@h" }]);
  });

  it("system subscribers get no table or activity events", async () => {
    const { db, person } = await setup();
    const got: SystemEvent[] = [];
    db.subscribe("system", (e) => got.push(e));
    db.transactionSync((tx) => tx.write(person, { name: "a", age: 1 }));
    await flush();
    assert.deepEqual(got, []);
  });
});

describe("activity events (FACTS Q8)", () => {
  it("complete only after a committing transaction that wrote something", async () => {
    const { db, person } = await setup();
    const got: ActivityEvent[] = [];
    db.subscribe("activity", (e) => got.push(e));
    const id1 = db.transactionSync((tx) => {
      tx.write(person, { name: "a", age: 1 });
      return tx.activityId;
    });
    const id2 = await db.transaction(async (tx) => {
      await tx.delete(person, "zz");
      return tx.activityId;
    });
    // no event: read-only, empty, aborted, dirty operations and dirty activities
    db.transactionSync((tx) => tx.read(person, "a"));
    await db.transaction(async () => "nothing");
    assert.throws(
      () =>
        db.transactionSync((tx) => {
          tx.write(person, { name: "b", age: 1 });
          tx.abort("no");
        }),
      TransactionAborted,
    );
    db.dirtyWrite(person, { name: "c", age: 1 });
    db.asyncDirty((ctx) => ctx.write(person, { name: "d", age: 1 }));
    db.syncDirty((ctx) => ctx.write(person, { name: "e", age: 1 }));
    db.ets((ctx) => ctx.write(person, { name: "f", age: 1 }));
    // a nested transaction: a single event, for the outer one
    const id3 = db.transactionSync((tx) => {
      tx.transaction((inner) => inner.write(person, { name: "g", age: 1 }));
      return tx.activityId;
    });
    await flush();
    assert.equal(id1.kind, "tid");
    assert.deepEqual(got, [
      { type: "complete", activityId: id1 },
      { type: "complete", activityId: id2 },
      { type: "complete", activityId: id3 },
    ]);
  });

  it("schema operations are transactions: complete after each", async () => {
    const db = await Mneme.open();
    const got: ActivityEvent[] = [];
    db.subscribe("activity", (e) => got.push(e));
    await db.createTable("t", { attributes: ["k", "v"] });
    await db.addTableIndex("t", "v");
    await db.clearTable("t");
    await db.deleteTable("t");
    await flush();
    assert.equal(got.length, 4);
    for (const e of got) {
      assert.equal(e.type, "complete");
      assert.equal(e.activityId.kind, "tid");
    }
    assert.equal(new Set(got.map((e) => e.activityId.id)).size, 4);
  });
});

describe("table events", () => {
  it("write, overwrite, delete, delete of a missing key, delete_object", async () => {
    const { db, person, take } = await setup();
    const w1 = db.transactionSync((tx) => {
      tx.write(person, { name: "a", age: 1 });
      return tx.activityId;
    });
    const w2 = db.transactionSync((tx) => {
      tx.write(person, { name: "a", age: 2 });
      return tx.activityId;
    });
    const d1 = db.transactionSync((tx) => {
      tx.delete(person, "a");
      return tx.activityId;
    });
    const d2 = db.transactionSync((tx) => {
      tx.delete(person, "nobody");
      return tx.activityId;
    });
    db.dirtyWrite(person, { name: "b", age: 1 });
    const d3 = db.transactionSync((tx) => {
      tx.deleteObject(person, { name: "b", age: 1 });
      return tx.activityId;
    });
    const { simple, detailed } = await take();
    assert.deepEqual(simple, [
      { type: "write", table: "person", record: { name: "a", age: 1 }, activityId: w1 },
      { type: "write", table: "person", record: { name: "a", age: 2 }, activityId: w2 },
      { type: "delete", table: "person", key: "a", activityId: d1 },
      { type: "delete", table: "person", key: "nobody", activityId: d2 },
      { type: "write", table: "person", record: { name: "b", age: 1 }, activityId: DIRTY },
      { type: "delete_object", table: "person", record: { name: "b", age: 1 }, activityId: d3 },
    ]);
    assert.deepEqual(detailed, [
      {
        type: "write",
        table: "person",
        record: { name: "a", age: 1 },
        oldRecords: [],
        activityId: w1,
      },
      {
        type: "write",
        table: "person",
        record: { name: "a", age: 2 },
        oldRecords: [{ name: "a", age: 1 }],
        activityId: w2,
      },
      {
        type: "delete",
        table: "person",
        key: "a",
        oldRecords: [{ name: "a", age: 2 }],
        activityId: d1,
      },
      { type: "delete", table: "person", key: "nobody", oldRecords: [], activityId: d2 },
      {
        type: "write",
        table: "person",
        record: { name: "b", age: 1 },
        oldRecords: [],
        activityId: DIRTY,
      },
      // detailed mode reports a delete_object as a delete carrying the record (Mnesia: {delete, Tab, Rec, [Rec], Aid})
      {
        type: "delete",
        table: "person",
        key: "b",
        record: { name: "b", age: 1 },
        oldRecords: [{ name: "b", age: 1 }],
        activityId: d3,
      },
    ]);
  });

  it("a transaction: one event per changed key, in write order; only a key's final change", async () => {
    const { db, person, take } = await setup();
    const t1 = db.transactionSync((tx) => {
      tx.write(person, { name: "t1", age: 1 });
      tx.write(person, { name: "t2", age: 2 });
      return tx.activityId;
    });
    let r = await take();
    assert.deepEqual(r.simple, [
      { type: "write", table: "person", record: { name: "t1", age: 1 }, activityId: t1 },
      { type: "write", table: "person", record: { name: "t2", age: 2 }, activityId: t1 },
    ]);
    assert.deepEqual(
      r.detailed.map((e) => (e.type === "write" ? e.record.name : e.key)),
      ["t1", "t2"],
    );
    const t2 = await db.transaction(async (tx) => {
      await tx.write(person, { name: "t1", age: 5 });
      await tx.write(person, { name: "t1", age: 6 });
      await tx.write(person, { name: "t4", age: 1 });
      await tx.delete(person, "t4");
      return tx.activityId;
    });
    r = await take();
    assert.deepEqual(r.simple, [
      { type: "write", table: "person", record: { name: "t1", age: 6 }, activityId: t2 },
      { type: "delete", table: "person", key: "t4", activityId: t2 },
    ]);
    assert.deepEqual(r.detailed, [
      {
        type: "write",
        table: "person",
        record: { name: "t1", age: 6 },
        oldRecords: [{ name: "t1", age: 1 }],
        activityId: t2,
      },
      { type: "delete", table: "person", key: "t4", oldRecords: [], activityId: t2 },
    ]);
  });

  it("an aborted transaction, a failed operation and ets() writes: no events", async () => {
    const { db, person, take } = await setup();
    assert.throws(
      () =>
        db.transactionSync((tx) => {
          tx.write(person, { name: "x", age: 1 });
          tx.abort("no");
        }),
      TransactionAborted,
    );
    await assert.rejects(
      db.transaction(async (tx) => {
        await tx.write(person, { name: "y", age: 1 });
        throw new Error("boom");
      }),
      TransactionAborted,
    );
    assert.throws(() => db.dirtyWrite(person, { name: "z" } as Person));
    db.ets((ctx) => {
      ctx.write(person, { name: "e", age: 1 });
      ctx.delete(person, "e");
      ctx.write(person, { name: "f", age: 1 });
    });
    assert.deepEqual(db.dirtyRead(person, "f"), [{ name: "f", age: 1 }]);
    assert.deepEqual(await take(), { simple: [], detailed: [] });
  });

  it("ets() inside a transaction runs in the transaction: its writes are reported at commit", async () => {
    const { db, person, take } = await setup();
    const id = db.transactionSync((tx) => {
      tx.ets((ctx) => ctx.write(person, { name: "e", age: 1 }));
      return tx.activityId;
    });
    const { simple } = await take();
    assert.deepEqual(simple, [
      { type: "write", table: "person", record: { name: "e", age: 1 }, activityId: id },
    ]);
  });

  it("dirty operations and dirty activities carry their activity id", async () => {
    const { db, person, take } = await setup();
    db.dirtyWrite(person, { name: "a", age: 1 });
    db.dirtyDelete(person, "a");
    db.dirtyWrite(person, { name: "b", age: 1 });
    db.dirtyDeleteObject(person, { name: "b", age: 1 });
    const ad = db.asyncDirty((ctx) => {
      ctx.write(person, { name: "c", age: 1 });
      return ctx.activityId;
    });
    const sd = db.syncDirty((ctx) => {
      ctx.delete(person, "c");
      return ctx.activityId;
    });
    assert.equal(ad.kind, "async_dirty");
    assert.equal(sd.kind, "sync_dirty");
    const { simple } = await take();
    assert.deepEqual(simple, [
      { type: "write", table: "person", record: { name: "a", age: 1 }, activityId: DIRTY },
      { type: "delete", table: "person", key: "a", activityId: DIRTY },
      { type: "write", table: "person", record: { name: "b", age: 1 }, activityId: DIRTY },
      { type: "delete_object", table: "person", record: { name: "b", age: 1 }, activityId: DIRTY },
      { type: "write", table: "person", record: { name: "c", age: 1 }, activityId: ad },
      { type: "delete", table: "person", key: "c", activityId: sd },
    ]);
  });

  it("dirtyUpdateCounter: a write event, the old record in detailed mode (FACTS Q8)", async () => {
    const db = await Mneme.open();
    await db.createTable("c", { attributes: ["k", "n"] });
    const simple: SimpleTableEvent[] = [];
    const detailed: DetailedTableEvent[] = [];
    db.subscribe({ table: "c" }, (e) => simple.push(e));
    db.subscribe({ table: "c", mode: "detailed" }, (e) => detailed.push(e));
    db.dirtyUpdateCounter("c", "cnt", 1);
    db.dirtyUpdateCounter("c", "cnt", 1);
    await flush();
    assert.deepEqual(simple, [
      { type: "write", table: "c", record: { k: "cnt", n: 1 }, activityId: DIRTY },
      { type: "write", table: "c", record: { k: "cnt", n: 2 }, activityId: DIRTY },
    ]);
    assert.deepEqual(detailed, [
      { type: "write", table: "c", record: { k: "cnt", n: 1 }, oldRecords: [], activityId: DIRTY },
      {
        type: "write",
        table: "c",
        record: { k: "cnt", n: 2 },
        oldRecords: [{ k: "cnt", n: 1 }],
        activityId: DIRTY,
      },
    ]);
  });

  it("bag: detailed writes carry every record of the key (FACTS Q8)", async () => {
    const db = await Mneme.open();
    await db.createTable("pb", { attributes: ["k", "v"], type: "bag" });
    const detailed: DetailedTableEvent[] = [];
    db.subscribe({ table: "pb", mode: "detailed" }, (e) => detailed.push(e));
    db.dirtyWrite("pb", { k: 1, v: "a" });
    db.dirtyWrite("pb", { k: 1, v: "b" });
    db.dirtyWrite("pb", { k: 1, v: "a" });
    db.dirtyDeleteObject("pb", { k: 1, v: "a" });
    db.dirtyDelete("pb", 1);
    await flush();
    assert.deepEqual(detailed, [
      { type: "write", table: "pb", record: { k: 1, v: "a" }, oldRecords: [], activityId: DIRTY },
      {
        type: "write",
        table: "pb",
        record: { k: 1, v: "b" },
        oldRecords: [{ k: 1, v: "a" }],
        activityId: DIRTY,
      },
      {
        type: "write",
        table: "pb",
        record: { k: 1, v: "a" },
        oldRecords: [
          { k: 1, v: "a" },
          { k: 1, v: "b" },
        ],
        activityId: DIRTY,
      },
      {
        type: "delete",
        table: "pb",
        key: 1,
        record: { k: 1, v: "a" },
        oldRecords: [
          { k: 1, v: "a" },
          { k: 1, v: "b" },
        ],
        activityId: DIRTY,
      },
      { type: "delete", table: "pb", key: 1, oldRecords: [{ k: 1, v: "b" }], activityId: DIRTY },
    ]);
  });

  it("only the subscribed table's events arrive", async () => {
    const { db, take } = await setup();
    await db.createTable("other", { attributes: ["k", "v"] });
    db.dirtyWrite("other", { k: 1, v: 1 });
    assert.deepEqual(await take(), { simple: [], detailed: [] });
  });
});

describe("delivery", () => {
  it("by async iteration, in order; unsubscribe ends the iteration", async () => {
    const { db, person } = await setup();
    const sub = db.subscribe({ table: person });
    db.dirtyWrite(person, { name: "a", age: 1 });
    db.dirtyWrite(person, { name: "b", age: 2 });
    const got: SimpleTableEvent<Person>[] = [];
    const done = (async () => {
      for await (const e of sub) {
        got.push(e);
        if (got.length === 3) db.unsubscribe(sub);
      }
      return "ended";
    })();
    await flush();
    db.dirtyDelete(person, "a");
    db.dirtyWrite(person, { name: "after", age: 0 });
    assert.equal(await done, "ended");
    assert.deepEqual(got, [
      { type: "write", table: "person", record: { name: "a", age: 1 }, activityId: DIRTY },
      { type: "write", table: "person", record: { name: "b", age: 2 }, activityId: DIRTY },
      { type: "delete", table: "person", key: "a", activityId: DIRTY },
    ]);
    assert.equal(sub.active, false);
    // a new iteration of an ended subscription ends at once
    for await (const _ of sub) assert.fail("no events after unsubscribe");
  });

  it("events buffer until iterated; unsubscribing drops them", async () => {
    const { db, person } = await setup();
    const sub = db.subscribe({ table: person, mode: "detailed" });
    db.dirtyWrite(person, { name: "a", age: 1 });
    await flush();
    const it1 = sub[Symbol.asyncIterator]();
    assert.deepEqual(await it1.next(), {
      value: {
        type: "write",
        table: "person",
        record: { name: "a", age: 1 },
        oldRecords: [],
        activityId: DIRTY,
      },
      done: false,
    });
    db.dirtyWrite(person, { name: "b", age: 1 });
    await flush();
    sub.unsubscribe();
    assert.deepEqual(await it1.next(), { value: undefined, done: true });
  });

  it("callback and iteration together: each gets every event, the iterator also while its loop body waits", async () => {
    const { db, person } = await setup();
    const byCallback: string[] = [];
    const sub = db.subscribe({ table: person }, (e) => {
      if (e.type === "write") byCallback.push(e.record.name);
    });
    // before iteration begins, a subscription with a callback keeps nothing for it
    db.dirtyWrite(person, { name: "early", age: 0 });
    await flush();
    const byIterator: string[] = [];
    const done = (async () => {
      for await (const e of sub) {
        if (e.type === "write") byIterator.push(e.record.name);
        await new Promise((r) => setTimeout(r, 5));
        if (byIterator.length === 3) break;
      }
    })();
    await flush();
    for (const name of ["a", "b", "c"]) db.dirtyWrite(person, { name, age: 1 });
    await done;
    assert.deepEqual(byCallback, ["early", "a", "b", "c"]);
    assert.deepEqual(byIterator, ["a", "b", "c"]);
  });

  it("leaving a for-await loop unsubscribes", async () => {
    const { db, person } = await setup();
    const sub = db.subscribe({ table: person });
    db.dirtyWrite(person, { name: "a", age: 1 });
    for await (const e of sub) {
      assert.equal(e.type, "write");
      break;
    }
    assert.equal(sub.active, false);
    assert.equal(db.tableInfo(person, "subscribers"), 2);
  });

  it("a pending iteration ends when its table is deleted, and every subscription of it closes", async () => {
    const { db, person } = await setup();
    const s1 = db.subscribe({ table: person });
    const s2 = db.subscribe({ table: "person", mode: "detailed" }, () => {});
    const sys = db.subscribe("system");
    const pending = s1[Symbol.asyncIterator]().next();
    await db.deleteTable(person);
    assert.deepEqual(await pending, { value: undefined, done: true });
    assert.equal(s1.active, false);
    assert.equal(s2.active, false);
    assert.equal(sys.active, true);
    // a new table of the same name starts without subscribers
    await db.createTable("person", { attributes: ["name", "age"] });
    assert.equal(db.tableInfo("person", "subscribers"), 0);
  });

  it("a throwing callback does not disturb the commit or the other subscribers", async () => {
    const { db, person, take } = await setup();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.message);
    // The warning is expected: collect it instead of letting Node's own listener print it.
    const printers = process.listeners("warning");
    process.removeAllListeners("warning");
    process.on("warning", onWarning);
    try {
      db.subscribe({ table: person }, () => {
        throw new Error("cb boom");
      });
      const result = db.transactionSync((tx) => {
        tx.write(person, { name: "a", age: 1 });
        return "committed";
      });
      assert.equal(result, "committed");
      const { simple } = await take();
      assert.equal(simple.length, 1);
      await new Promise((r) => setTimeout(r, 10));
    } finally {
      process.off("warning", onWarning);
      for (const p of printers) process.on("warning", p);
    }
    assert.deepEqual(db.dirtyRead(person, "a"), [{ name: "a", age: 1 }]);
    assert.deepEqual(warnings, [
      "mneme: an event callback for person simple threw: Error: cb boom",
    ]);
  });

  it("a callback never runs inside the commit", async () => {
    const { db, person } = await setup();
    let inside = false;
    let seenInside: boolean | undefined;
    db.subscribe({ table: person }, () => {
      seenInside = inside;
    });
    db.transactionSync((tx) => {
      inside = true;
      tx.write(person, { name: "a", age: 1 });
    });
    inside = false;
    assert.equal(seenInside, undefined);
    await flush();
    assert.equal(seenInside, false);
  });
});

describe("a subscriber that does not keep up (issue #8)", () => {
  it("is dropped once maxBuffered events wait unread: buffered events, then SubscriptionOverflowError; system subscribers get subscription_dropped", async () => {
    const { db, person } = await setup();
    const system: SystemEvent[] = [];
    db.subscribe("system", (e) => system.push(e));
    const sub = db.subscribe({ table: person }, undefined, { maxBuffered: 3 });
    for (let i = 0; i < 5; i++) db.dirtyWrite(person, { name: `p${i}`, age: i });
    await flush();
    assert.equal(sub.active, false);
    assert.equal(db.systemInfo("subscribers"), 1); // only the system subscriber is left
    assert.deepEqual(system, [
      {
        type: "subscription_dropped",
        category: "person simple",
        reason: "overflow",
        maxBuffered: 3,
      },
    ]);
    const got: string[] = [];
    const e = await (async () => {
      try {
        for await (const ev of sub) got.push((ev as { record: Person }).record.name);
      } catch (err) {
        return err;
      }
      assert.fail("the iteration must end with SubscriptionOverflowError");
    })();
    assert.deepEqual(got, ["p0", "p1", "p2"]);
    assert.ok(e instanceof SubscriptionOverflowError);
    assert.ok(e instanceof SystemLimitError);
    assert.equal(e.reason, "system_limit");
    assert.deepEqual(e.value, { category: "person simple", maxBuffered: 3 });
    assert.match(
      e.message,
      /subscription to person simple was dropped: 3 events were waiting unread/,
    );
    // Later writes reach nobody; a new iteration ends at once.
    db.dirtyWrite(person, { name: "late", age: 9 });
    await flush();
    for await (const _ of sub) assert.fail("no events after the drop");
  });

  it("the default bound is 10,000; a reader that keeps up is never dropped", async () => {
    const { db, person } = await setup();
    const system: SystemEvent[] = [];
    db.subscribe("system", (e) => system.push(e));
    const idle = db.subscribe({ table: person });
    const reader = db.subscribe({ table: person }, undefined, { maxBuffered: 2 });
    const read: number[] = [];
    const done = (async () => {
      for await (const ev of reader) {
        read.push((ev as { record: Person }).record.age);
        if (read.length === 10_001) return "read all";
      }
      return "ended";
    })();
    for (let i = 0; i < 10_001; i++) {
      db.dirtyWrite(person, { name: "p", age: i });
      await flush(); // the reader takes each event before the next
    }
    assert.equal(await done, "read all");
    assert.equal(idle.active, false);
    // Only the idle one was dropped, at its 10,001st event.
    assert.deepEqual(system, [
      {
        type: "subscription_dropped",
        category: "person simple",
        reason: "overflow",
        maxBuffered: 10_000,
      },
    ]);
    assert.equal(idle.maxBuffered, 10_000);
  });

  it("a callback-only subscription buffers nothing and is never dropped", async () => {
    const { db, person } = await setup();
    let n = 0;
    const sub = db.subscribe({ table: person }, () => n++, { maxBuffered: 1 });
    for (let i = 0; i < 5; i++) db.dirtyWrite(person, { name: `p${i}`, age: i });
    await flush();
    assert.equal(n, 5);
    assert.equal(sub.active, true);
  });

  it("maxBuffered must be a positive integer or Infinity: badarg", async () => {
    const db = await Mneme.open();
    for (const maxBuffered of [0, -1, 1.5, Number.NaN, "10" as never]) {
      throwsMneme(() => db.subscribe("system", undefined, { maxBuffered }), BadArgError, "badarg", {
        value: maxBuffered,
        message: /maxBuffered must be a positive integer or Infinity/,
      });
    }
    assert.equal(db.subscribe("system", undefined, { maxBuffered: Infinity }).active, true);
  });
});

describe("subscribe errors", () => {
  it("a bad category or mode: badarg; a missing table: no_exists; a closed database: node_not_running", async () => {
    const db = await Mneme.open();
    await db.createTable("person", { attributes: ["name", "age"] });
    for (const category of ["foo", null, 3, {}, { tabel: "person" }]) {
      throwsMneme(() => db.subscribe(category as never), BadArgError, "badarg", {
        value: category,
      });
    }
    throwsMneme(
      () => db.subscribe({ table: "person", mode: "foo" as never }),
      BadArgError,
      "badarg",
      {
        value: { table: "person", mode: "foo" },
        message: /table event mode must be simple or detailed, got foo/,
      },
    );
    throwsMneme(() => db.subscribe({ table: "missing" }), NoExistsError, "no_exists", {
      table: "missing",
    });
    assert.equal(db.systemInfo("subscribers"), 0);
    await db.close();
    for (const category of ["system", "activity", { table: "person" }] as const) {
      throwsMneme(() => db.subscribe(category), NotRunningError, "node_not_running");
    }
  });

  it("unsubscribing twice is fine", async () => {
    const db = await Mneme.open();
    const sub = db.subscribe("activity");
    db.unsubscribe(sub);
    db.unsubscribe(sub);
    assert.equal(sub.active, false);
  });
});
