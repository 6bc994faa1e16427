// Thousands of async transactions with random awaits on a few hot keys: increments, transfers
// taken in random order (wait-die restarts), lock upgrades and table-lock audits all run at once.
// Every increment must be counted once, every audit must see the invariant total, and every
// transaction must finish.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Mneme } from "../../src/index.js";

interface Counter {
  k: number;
  n: number;
}
interface Account {
  k: number;
  balance: number;
}

const KEYS = 4;
const START = 100;

/** A small deterministic generator. */
function rng(seed: number): (n: number) => number {
  let s = seed >>> 0;
  return (n) => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return Math.floor((s / 4294967296) * n);
  };
}

/** One of several ways to give other transactions a turn. */
function pause(r: (n: number) => number): Promise<unknown> {
  switch (r(4)) {
    case 0:
      return Promise.resolve();
    case 1:
      return new Promise((resolve) => setImmediate(resolve));
    case 2:
      return new Promise((resolve) => queueMicrotask(() => resolve(undefined)));
    default:
      return r(8) === 0 ? new Promise((resolve) => setTimeout(resolve, 0)) : Promise.resolve();
  }
}

async function run(seed: number, count: number): Promise<void> {
  const db = await Mneme.open();
  const counter = await db.createTable<Counter, "k">("counter", { attributes: ["k", "n"] });
  const bank = await db.createTable<Account, "k">("bank", { attributes: ["k", "balance"] });
  db.transactionSync((tx) => {
    for (let k = 0; k < KEYS; k++) {
      tx.write(counter, { k, n: 0 });
      tx.write(bank, { k, balance: START });
    }
  });
  const r = rng(seed);
  const expected = new Array<number>(KEYS).fill(0);
  const audits: number[] = [];
  const txns: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const kind = r(10);
    const pr = rng(seed * 7919 + i);
    if (kind < 6) {
      // Increment 1 to 3 hot counters, in a random order, some read first and upgraded.
      const keys = [...new Set(Array.from({ length: 1 + r(3) }, () => r(KEYS)))];
      const upgrade = r(3) === 0;
      txns.push(
        db
          .transaction(async (tx) => {
            for (const k of keys) {
              await pause(pr);
              const [c] = await tx.read(counter, k, upgrade ? "read" : "write");
              await pause(pr);
              await tx.write(counter, { k, n: c!.n + 1 });
            }
          })
          .then(() => {
            for (const k of keys) expected[k]!++;
          }),
      );
    } else if (kind < 9) {
      // Move an amount between two accounts, taken in a random order.
      const a = r(KEYS);
      const b = (a + 1 + r(KEYS - 1)) % KEYS;
      const amount = 1 + r(5);
      txns.push(
        db.transaction(async (tx) => {
          const [from] = await tx.wread(bank, a);
          await pause(pr);
          const [to] = await tx.wread(bank, b);
          await pause(pr);
          await tx.write(bank, { k: a, balance: from!.balance - amount });
          await tx.write(bank, { k: b, balance: to!.balance + amount });
        }),
      );
    } else {
      // Audit under a table read lock: the total never changes.
      txns.push(
        db
          .transaction(async (tx) => {
            await pause(pr);
            return tx.foldl(bank, (rec, acc: number) => acc + rec.balance, 0);
          })
          .then((total) => {
            audits.push(total);
          }),
      );
    }
  }
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const queue = db.systemInfo("lock_queue");
      reject(new Error(`transactions hang: ${queue.length} lock requests still queued`));
    }, 30_000);
  });
  try {
    await Promise.race([Promise.all(txns), hang]);
  } finally {
    clearTimeout(timer);
  }
  const counts = Array.from({ length: KEYS }, (_, k) => db.dirtyRead(counter, k)[0]!.n);
  assert.deepEqual(counts, expected);
  const total = db.dirtyFoldl(bank, (rec, acc: number) => acc + rec.balance, 0);
  assert.equal(total, KEYS * START);
  assert.ok(audits.length > 0);
  assert.deepEqual(
    audits.filter((t) => t !== KEYS * START),
    [],
  );
  assert.deepEqual(db.systemInfo("held_locks"), []);
  assert.deepEqual(db.systemInfo("lock_queue"), []);
  // Transfers in opposite orders conflict: wait-die restarted some, and they still finished.
  assert.ok(db.systemInfo("transaction_restarts") > 0);
  await db.close();
}

describe("async transactions on hot keys", () => {
  for (const seed of [1, 2]) {
    test(`2,500 transactions with random awaits (seed ${seed}): totals add up, none hangs`, async () => {
      await run(seed, 2500);
    });
  }
});
