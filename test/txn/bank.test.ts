// Concurrency: accounts and money transfers run as async transactions with awaits at random points,
// mixed with synchronous transfers and audits. The total never changes, every transaction settles,
// and on small cases the outcome is that of some serial order of the committed transactions.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import {
  type AsyncActivity,
  Mneme,
  type SyncActivity,
  type Table,
  TransactionAborted,
} from "../../src/index.js";
import { settleWithin } from "./helpers.js";

interface Account {
  id: number;
  bal: number;
}

type Pause = "none" | "micro" | "immediate";

interface Job {
  readonly kind: "transfer" | "audit";
  readonly from: number;
  /** The other account: from + 1 + skip (mod n), never `from` itself. */
  readonly skip: number;
  readonly amount: number;
  /** A synchronous transaction (transactionSync) rather than an async one. */
  readonly sync: boolean;
  /** Read with a write lock at once (wread) rather than upgrading later. */
  readonly wread: boolean;
  /** Both accounts are read at once (two lock requests pending together). */
  readonly parallel: boolean;
  /** The credit runs as a nested transaction. */
  readonly nested: boolean;
  /** An audit reads the accounts one by one (record locks) or by one select (a table lock). */
  readonly byRecord: boolean;
  /** Event-loop turns before the job starts. */
  readonly delay: number;
  /** What to do at each of the body's pause points. */
  readonly pauses: readonly Pause[];
}

interface Outcome {
  readonly job: Job;
  readonly committed: boolean;
  /** What the last attempt read: [from, to] balances for a transfer, all balances for an audit. */
  readonly reads: readonly number[];
  readonly attempts: number;
}

const INITIAL = 10;
const T = "acct";

const pauseArb = fc.constantFrom<Pause>("none", "micro", "immediate");

function jobArb(accounts: number): fc.Arbitrary<Job> {
  return fc.record({
    kind: fc.constantFrom<Job["kind"]>("transfer", "transfer", "transfer", "audit"),
    from: fc.nat(accounts - 1),
    skip: fc.nat(accounts - 2),
    amount: fc.integer({ min: 1, max: 2 * INITIAL }),
    sync: fc.oneof(
      { weight: 4, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    wread: fc.boolean(),
    parallel: fc.boolean(),
    nested: fc.boolean(),
    byRecord: fc.boolean(),
    delay: fc.nat(3),
    pauses: fc.array(pauseArb, { minLength: 6, maxLength: 6 }),
  });
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

async function pause(p: Pause | undefined): Promise<void> {
  if (p === "micro") await null;
  else if (p === "immediate") await tick();
}

/** The body of a job, written once over both flavours: `step` awaits (async) or not (sync). */
function makeBody(job: Job, accounts: number, reads: number[]) {
  const to = (job.from + 1 + job.skip) % accounts;
  const bal = (rs: readonly Account[]) => rs[0]!.bal;
  return {
    async run(tx: AsyncActivity): Promise<void> {
      reads.length = 0;
      const p = job.pauses;
      if (job.kind === "audit") {
        if (job.byRecord) {
          for (let id = 0; id < accounts; id++) {
            await pause(p[id % p.length]);
            reads.push(bal(await tx.read<Account>(T, id)));
          }
        } else {
          const all = await tx.select({ name: T } as Table<Account>, [
            [{ id: "$1", bal: "$2" }, [], [["$1", "$2"]]],
          ]);
          await pause(p[0]);
          for (const [, b] of all.sort((x, y) => x[0] - y[0])) reads.push(b);
        }
        return;
      }
      const get = async (id: number, at: Pause | undefined) => {
        await pause(at);
        return bal(job.wread ? await tx.wread<Account>(T, id) : await tx.read<Account>(T, id));
      };
      const [a, b] = job.parallel
        ? await Promise.all([get(job.from, p[0]), get(to, p[1])])
        : [await get(job.from, p[0]), await get(to, p[1])];
      reads.push(a, b);
      await pause(p[2]);
      if (a < job.amount) tx.abort("insufficient");
      await tx.write<Account>(T, { id: job.from, bal: a - job.amount });
      await pause(p[3]);
      const credit = async (t: AsyncActivity) => {
        await pause(p[4]);
        await t.write<Account>(T, { id: to, bal: b + job.amount });
      };
      if (job.nested) await tx.transaction(credit);
      else await credit(tx);
      await pause(p[5]);
    },
    runSync(tx: SyncActivity): void {
      reads.length = 0;
      if (job.kind === "audit") {
        const all = job.byRecord
          ? Array.from({ length: accounts }, (_, id) => bal(tx.read<Account>(T, id)))
          : tx.foldl<number[], Account>(
              T,
              (r, acc) => {
                acc[r.id] = r.bal;
                return acc;
              },
              [],
            );
        reads.push(...all);
        return;
      }
      const a = bal(tx.read<Account>(T, job.from, job.wread ? "write" : "read"));
      const b = bal(tx.read<Account>(T, to, job.wread ? "write" : "read"));
      reads.push(a, b);
      if (a < job.amount) tx.abort("insufficient");
      tx.write<Account>(T, { id: job.from, bal: a - job.amount });
      const credit = (t: SyncActivity) => t.write<Account>(T, { id: to, bal: b + job.amount });
      if (job.nested) tx.transaction(credit);
      else credit(tx);
    },
  };
}

/** Runs the jobs concurrently; resolves when all have settled. */
async function runBank(accounts: number, jobs: readonly Job[]) {
  const db = await Mneme.open();
  await db.createTable<Account>(T, { attributes: ["id", "bal"] });
  for (let id = 0; id < accounts; id++) db.dirtyWrite<Account>(T, { id, bal: INITIAL });
  const restarts0 = db.systemInfo("transaction_restarts");
  const runs = jobs.map(async (job): Promise<Outcome> => {
    const reads: number[] = [];
    const body = makeBody(job, accounts, reads);
    let attempts = 0;
    for (let i = 0; i < job.delay; i++) await tick();
    try {
      if (job.sync) {
        attempts = 1;
        db.transactionSync((tx) => body.runSync(tx));
      } else {
        await db.transaction((tx) => {
          attempts++;
          return body.run(tx);
        });
      }
      return { job, committed: true, reads, attempts };
    } catch (e) {
      assert.ok(e instanceof TransactionAborted, `unexpected ${String(e)}`);
      assert.equal(e.reason, "insufficient");
      return { job, committed: false, reads, attempts };
    }
  });
  const outcomes = await settleWithin(Promise.all(runs), 5000, "the transactions");
  const final = (db.dirtySelect(T, [[{ id: "$1", bal: "$2" }, [], [["$1", "$2"]]]]) as number[][])
    .sort((x, y) => x[0]! - y[0]!)
    .map(([, b]) => b!);
  const total = accounts * INITIAL;
  assert.equal(
    final.reduce((s, b) => s + b, 0),
    total,
    "the total is unchanged",
  );
  assert.ok(
    final.every((b) => b >= 0),
    "no account is overdrawn",
  );
  for (const o of outcomes) {
    if (o.committed && o.job.kind === "audit") {
      assert.equal(o.reads.length, accounts);
      assert.equal(
        o.reads.reduce((s, b) => s + b, 0),
        total,
        "an audit sees a consistent total",
      );
    }
  }
  assert.deepEqual(db.systemInfo("held_locks"), []);
  assert.deepEqual(db.systemInfo("lock_queue"), []);
  assert.deepEqual(db.systemInfo("transactions"), []);
  const restarts = db.systemInfo("transaction_restarts") - restarts0;
  assert.equal(
    restarts,
    outcomes.reduce((s, o) => s + Math.max(0, o.attempts - 1), 0),
    "restarts counted once per extra attempt",
  );
  return { outcomes, final };
}

function* permutations<X>(xs: readonly X[]): Generator<X[]> {
  if (xs.length <= 1) {
    yield [...xs];
    return;
  }
  for (let i = 0; i < xs.length; i++) {
    const rest = [...xs.slice(0, i), ...xs.slice(i + 1)];
    for (const p of permutations(rest)) yield [xs[i]!, ...p];
  }
}

const same = (a: readonly number[], b: readonly number[]) =>
  a.length === b.length && a.every((x, i) => x === b[i]);

/** A serial order of the committed jobs giving the same reads to each and the same final state. */
function serialOrder(accounts: number, outcomes: readonly Outcome[], final: readonly number[]) {
  const committed = outcomes.filter((o) => o.committed);
  for (const order of permutations(committed)) {
    const state = Array.from({ length: accounts }, () => INITIAL);
    let ok = true;
    for (const o of order) {
      const { job } = o;
      const to = (job.from + 1 + job.skip) % accounts;
      const reads = job.kind === "audit" ? [...state] : [state[job.from]!, state[to]!];
      if (!same(reads, o.reads)) {
        ok = false;
        break;
      }
      if (job.kind === "transfer") {
        state[job.from]! -= job.amount;
        state[to]! += job.amount;
      }
    }
    if (ok && same(state, final)) return order;
  }
  return undefined;
}

describe("bank: concurrent transfers", () => {
  test("3 accounts, up to 6 jobs: the result is that of a serial order of the committed jobs", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(jobArb(3), { minLength: 1, maxLength: 6 }), async (jobs) => {
        const { outcomes, final } = await runBank(3, jobs);
        const order = serialOrder(3, outcomes, final);
        assert.ok(
          order !== undefined,
          `no serial order explains ${JSON.stringify({ outcomes, final })}`,
        );
      }),
      { numRuns: 400 },
    );
  });

  test("8 accounts, up to 40 jobs: total kept, all settle, audits consistent", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(jobArb(8), { minLength: 10, maxLength: 40 }), async (jobs) => {
        const { outcomes } = await runBank(8, jobs);
        assert.equal(outcomes.length, jobs.length);
      }),
      { numRuns: 100 },
    );
  });

  test("a known hot spot: everyone moves money out of account 0 at once", async () => {
    const jobs: Job[] = Array.from({ length: 12 }, (_, i) => ({
      kind: "transfer",
      from: 0,
      skip: i % 2,
      amount: 3,
      sync: i % 5 === 4,
      wread: i % 3 === 0,
      parallel: i % 4 < 2,
      nested: i % 2 === 1,
      byRecord: true,
      delay: i % 2,
      pauses: ["immediate", "micro", "immediate", "none", "immediate", "micro"],
    }));
    const { outcomes, final } = await runBank(3, jobs);
    // 10 in account 0 pays for exactly three transfers of 3.
    assert.equal(outcomes.filter((o) => o.committed).length, 3);
    assert.equal(final[0], 1);
    assert.equal(final[1]! + final[2]!, 29);
  });
});
