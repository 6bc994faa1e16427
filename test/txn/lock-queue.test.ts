// The wait queue per lock item: a release looks at the waiters it can move, not at the whole queue.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { LockManager, TxLockState } from "../../src/txn/locks.js";

/**
 * `n` transactions holding nothing queue for one write lock; each holder releases as soon as it
 * is granted. Returns the requests the wakes looked at, and the grant order.
 */
async function drain(
  n: number,
  mode: "read" | "write",
): Promise<{ examined: number; order: number[] }> {
  const locks = new LockManager();
  const order: number[] = [];
  const txs = Array.from({ length: n }, (_, i) => new TxLockState(i + 1));
  const holder = new TxLockState(0);
  assert.equal(locks.acquire(holder, "t", 1, "write"), undefined);
  const done = txs.map(async (tx, i) => {
    const wait = locks.acquire(tx, "t", 1, mode);
    assert.ok(wait !== undefined, "the lock is held: the request queues");
    await wait;
    order.push(i);
    locks.releaseAll(tx);
  });
  assert.equal(locks.queued(), n);
  locks.releaseAll(holder);
  await Promise.all(done);
  assert.equal(locks.queued(), 0);
  return { examined: locks.examined, order };
}

describe("lock queue per item", () => {
  test("a hot record's waiters are granted in arrival order, each looked at a bounded number of times", async () => {
    const n = 3000;
    const { examined, order } = await drain(n, "write");
    assert.deepEqual(
      order,
      Array.from({ length: n }, (_, i) => i),
    );
    // One look per grant (and at most one at the waiter left blocked behind it): linear, where a
    // scan of the whole queue on every release would look n²/2 times.
    assert.ok(examined <= 2 * n, `examined ${examined} waiters for ${n} grants`);
  });

  test("readers queued behind a writer are all granted by one release", async () => {
    const { examined, order } = await drain(500, "read");
    assert.equal(order.length, 500);
    assert.ok(examined <= 2 * 500, `examined ${examined}`);
  });

  test("a release on one record leaves the queues of other records alone", async () => {
    const locks = new LockManager();
    const a = new TxLockState(1);
    const b = new TxLockState(2);
    assert.equal(locks.acquire(a, "t", "x", "write"), undefined);
    assert.equal(locks.acquire(b, "t", "y", "write"), undefined);
    const waiting = Array.from({ length: 100 }, (_, i) =>
      locks.acquire(new TxLockState(10 + i), "t", "y", "write"),
    );
    assert.ok(waiting.every((w) => w !== undefined));
    locks.releaseAll(a);
    assert.equal(locks.examined, 0);
    assert.equal(locks.queued(), 100);
    locks.abortAll(() => new Error("closing"));
    await Promise.allSettled(waiting);
  });
});
