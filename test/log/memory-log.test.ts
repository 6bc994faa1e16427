// MemoryLog: positions, delivery order, subscription and unsubscription.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { LogEntry, LogOp } from "../../src/log/entry.js";
import { MemoryLog } from "../../src/log/memory-log.js";
import type { ActivityId } from "../../src/types.js";
import { assertProperty } from "../store/model.js";

const A: ActivityId = Object.freeze({ kind: "async_dirty", id: 0 });
const T: ActivityId = Object.freeze({ kind: "tid", id: 7 });
const op = (key: number): LogOp => ({ op: "delete", table: "t", key });

test("an empty log is at position 0", () => {
  assert.equal(new MemoryLog().position, 0);
});

test("append assigns strictly increasing positions from 1 and returns the entry", () => {
  const log = new MemoryLog();
  const ops = [op(1), op(2)];
  const e1 = log.append(A, ops);
  assert.deepEqual(e1, { position: 1, activity: A, ops });
  assert.equal(e1.activity, A);
  assert.equal(e1.ops, ops);
  assert.equal(log.position, 1);
  const e2 = log.append(T, []);
  assert.deepEqual(e2, { position: 2, activity: T, ops: [] });
  assert.equal(log.position, 2);
});

test("consumers see each entry synchronously, in subscription order, before append returns", () => {
  const log = new MemoryLog();
  const seen: string[] = [];
  log.subscribe((e) => seen.push(`a${e.position}`));
  log.subscribe((e) => seen.push(`b${e.position}`));
  log.subscribe((e) => seen.push(`c${e.position}`));
  log.append(A, [op(1)]);
  assert.deepEqual(seen, ["a1", "b1", "c1"]);
  log.append(A, [op(2)]);
  assert.deepEqual(seen, ["a1", "b1", "c1", "a2", "b2", "c2"]);
});

test("every consumer receives the very entry object append returns", () => {
  const log = new MemoryLog();
  const got: LogEntry[] = [];
  log.subscribe((e) => got.push(e));
  log.subscribe((e) => got.push(e));
  const e = log.append(T, [op(1)]);
  assert.equal(got[0], e);
  assert.equal(got[1], e);
});

test("a consumer sees only entries appended after it subscribed", () => {
  const log = new MemoryLog();
  log.append(A, [op(1)]);
  const seen: number[] = [];
  log.subscribe((e) => seen.push(e.position));
  log.append(A, [op(2)]);
  assert.deepEqual(seen, [2]);
});

test("unsubscribe stops delivery to that consumer only, and may be called twice", () => {
  const log = new MemoryLog();
  const seen: string[] = [];
  const offA = log.subscribe((e) => seen.push(`a${e.position}`));
  log.subscribe((e) => seen.push(`b${e.position}`));
  log.append(A, []);
  offA();
  log.append(A, []);
  offA();
  log.append(A, []);
  assert.deepEqual(seen, ["a1", "b1", "b2", "b3"]);
});

test("the same function subscribed twice is two subscriptions: each unsubscribe ends one", () => {
  const log = new MemoryLog();
  const seen: number[] = [];
  const f = (e: LogEntry): void => {
    seen.push(e.position);
  };
  const off1 = log.subscribe(f);
  const off2 = log.subscribe(f);
  log.append(A, []);
  assert.deepEqual(seen, [1, 1]);
  off1();
  log.append(A, []);
  assert.deepEqual(seen, [1, 1, 2]);
  off1();
  log.append(A, []);
  assert.deepEqual(seen, [1, 1, 2, 3]);
  off2();
  log.append(A, []);
  assert.deepEqual(seen, [1, 1, 2, 3]);
});

test("a consumer subscribed while an entry is delivered does not get that entry", () => {
  const log = new MemoryLog();
  const seen: string[] = [];
  let added = false;
  log.subscribe((e) => {
    seen.push(`a${e.position}`);
    if (!added) {
      added = true;
      log.subscribe((x) => seen.push(`late${x.position}`));
    }
  });
  log.append(A, []);
  assert.deepEqual(seen, ["a1"]);
  log.append(A, []);
  assert.deepEqual(seen, ["a1", "a2", "late2"]);
});

test("a consumer unsubscribed while an entry is delivered is not called any more", () => {
  const log = new MemoryLog();
  const seen: string[] = [];
  let offB: () => void = () => {};
  log.subscribe((e) => {
    seen.push(`a${e.position}`);
    offB();
  });
  offB = log.subscribe((e) => seen.push(`b${e.position}`));
  log.subscribe((e) => seen.push(`c${e.position}`));
  log.append(A, []);
  log.append(A, []);
  assert.deepEqual(seen, ["a1", "c1", "a2", "c2"]);
});

test("a consumer may unsubscribe itself during delivery", () => {
  const log = new MemoryLog();
  const seen: string[] = [];
  const off = log.subscribe((e) => {
    seen.push(`a${e.position}`);
    off();
  });
  log.subscribe((e) => seen.push(`b${e.position}`));
  log.append(A, []);
  log.append(A, []);
  assert.deepEqual(seen, ["a1", "b1", "b2"]);
});

test("an exception in a consumer propagates out of append (the position is still used)", () => {
  const log = new MemoryLog();
  log.subscribe(() => {
    throw new Error("boom");
  });
  assert.throws(() => log.append(A, []), /boom/);
  assert.equal(log.position, 1);
});

// ---- property: random subscribe / unsubscribe / append ----------------------------------------

type LogCmd =
  | { readonly c: "sub" }
  | { readonly c: "unsub"; readonly which: number }
  | { readonly c: "append"; readonly n: number };

test("property: every live consumer sees every entry after its subscription, in order", () => {
  const cmdArb: fc.Arbitrary<LogCmd> = fc.oneof(
    fc.constant({ c: "sub" } as const),
    fc.record({ c: fc.constant("unsub"), which: fc.nat() }),
    fc.record({ c: fc.constant("append"), n: fc.nat({ max: 3 }) }),
  );
  assertProperty(
    fc.property(fc.array(cmdArb, { maxLength: 60, size: "max" }), (cmds) => {
      const log = new MemoryLog();
      const subs: { seen: number[]; expected: number[]; live: boolean; off: () => void }[] = [];
      const order: number[] = [];
      let last = 0;
      for (const cmd of cmds) {
        if (cmd.c === "sub") {
          const i = subs.length;
          const s = { seen: [] as number[], expected: [] as number[], live: true, off: () => {} };
          s.off = log.subscribe((e) => {
            s.seen.push(e.position);
            order.push(i);
          });
          subs.push(s);
        } else if (cmd.c === "unsub") {
          if (subs.length === 0) continue;
          const s = subs[cmd.which % subs.length]!;
          s.off();
          s.live = false;
        } else {
          order.length = 0;
          const e = log.append(
            A,
            Array.from({ length: cmd.n }, (_, i) => op(i)),
          );
          assert.equal(e.position, last + 1);
          assert.equal(log.position, e.position);
          last = e.position;
          const live = subs.flatMap((s, i) => (s.live ? [i] : []));
          for (const i of live) subs[i]!.expected.push(e.position);
          assert.deepEqual(order, live, "delivered once to each live consumer, in order");
        }
      }
      for (const s of subs) assert.deepEqual(s.seen, s.expected);
    }),
    { numRuns: 300 },
  );
});
