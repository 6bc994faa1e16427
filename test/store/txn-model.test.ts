// Model-based property tests of transactions: random commands inside one transactionSync or one
// async transaction, where every read must see the transaction's own writes (the model is
// updated as the commands run) and dirty reads and the size still the committed state; then
// commit (the committed state becomes the model) or abort (the committed state is unchanged).
// A nested transaction in the middle commits into the outer one or aborts back to its start.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { MnemeError, TransactionAborted } from "../../src/index.js";
import type { Activity, Flavour } from "../../src/txn/activity.js";
import type { TableType } from "../../src/types.js";
import {
  activityApi,
  type Cmd,
  checkCommitted,
  cmdArb,
  dirtyApi,
  driveAsync,
  driveSync,
  openWorld,
  prefill,
  runCmds,
  type World,
} from "./harness.js";
import { assertAsyncProperty, type Rec, recArb, TYPES } from "./model.js";

const ABORT = "model-test-abort";
const NESTED_ABORT = "model-test-nested-abort";

interface TxPlan {
  readonly before: readonly Cmd[];
  readonly nested: readonly Cmd[];
  readonly nestedAbort: boolean;
  readonly after: readonly Cmd[];
  readonly abort: boolean;
  /** Dirty commands run after the transaction. */
  readonly dirty: readonly Cmd[];
}

const cmds = (max: number) => fc.array(cmdArb, { maxLength: max, size: "max" });
const planArb: fc.Arbitrary<TxPlan> = fc.record({
  before: cmds(25),
  nested: cmds(8),
  nestedAbort: fc.boolean(),
  after: cmds(12),
  abort: fc.boolean(),
  dirty: cmds(4),
});
const scenarioArb = fc.record({
  initial: fc.array(recArb, { maxLength: 12 }),
  plans: fc.array(planArb, { minLength: 1, maxLength: 3 }),
});

/** The failure inside a transaction body that is not one of the test's aborts (an assertion). */
function unexpected(e: unknown, expectedReason: string | undefined): unknown {
  if (e instanceof TransactionAborted && e.reason === expectedReason) return undefined;
  if (e instanceof TransactionAborted && !(e.reason instanceof MnemeError)) {
    if (e.reason instanceof Error) return e.reason;
  }
  return e;
}

function startTx(w: World): void {
  assert.equal(w.model, w.committed);
  w.keyForm = "exact";
  w.model = w.committed.clone();
}

function endTx(w: World, committed: boolean): void {
  w.keyForm = "exact";
  if (committed) w.committed = w.model;
  else w.model = w.committed;
}

function runSyncPlan(db: Parameters<typeof activityApi>[0], w: World, plan: TxPlan): void {
  startTx(w);
  let committed = false;
  try {
    db.transactionSync((tx) => {
      assert.equal(tx.isTransaction(), true);
      assert.equal(db.isTransaction(), true);
      // A sync body runs once; the model copy is taken just before it.
      driveSync(runCmds(w, plan.before), activityApi(db, tx));
      const savepoint = w.model.clone();
      try {
        tx.transaction((inner) => {
          driveSync(runCmds(w, plan.nested), activityApi(db, inner as Activity<"sync">));
          if (plan.nestedAbort) inner.abort(NESTED_ABORT);
        });
        assert.equal(plan.nestedAbort, false, "the nested transaction committed");
      } catch (e) {
        const bad = unexpected(e, plan.nestedAbort ? NESTED_ABORT : undefined);
        if (bad !== undefined) throw bad;
        w.model = savepoint;
      }
      driveSync(runCmds(w, plan.after), activityApi(db, tx));
      if (plan.abort) tx.abort(ABORT);
    });
    committed = true;
  } catch (e) {
    const bad = unexpected(e, plan.abort ? ABORT : undefined);
    if (bad !== undefined) throw bad;
  }
  assert.equal(committed, !plan.abort);
  endTx(w, committed);
}

async function runAsyncPlan(
  db: Parameters<typeof activityApi>[0],
  w: World,
  plan: TxPlan,
): Promise<void> {
  startTx(w);
  const start = w.model;
  let attempts = 0;
  let committed = false;
  try {
    await db.transaction(async (tx) => {
      // Nothing else runs, so there is no restart; count attempts to be sure.
      attempts++;
      w.model = start.clone();
      assert.equal(tx.isTransaction(), true);
      await driveAsync(runCmds(w, plan.before), activityApi(db, tx));
      const savepoint = w.model.clone();
      try {
        await tx.transaction(async (inner) => {
          await driveAsync(runCmds(w, plan.nested), activityApi(db, inner as Activity<Flavour>));
          if (plan.nestedAbort) inner.abort(NESTED_ABORT);
        });
        assert.equal(plan.nestedAbort, false, "the nested transaction committed");
      } catch (e) {
        const bad = unexpected(e, plan.nestedAbort ? NESTED_ABORT : undefined);
        if (bad !== undefined) throw bad;
        w.model = savepoint;
      }
      await driveAsync(runCmds(w, plan.after), activityApi(db, tx));
      if (plan.abort) tx.abort(ABORT);
    });
    committed = true;
  } catch (e) {
    const bad = unexpected(e, plan.abort ? ABORT : undefined);
    if (bad !== undefined) throw bad;
  }
  assert.equal(attempts, 1);
  assert.equal(committed, !plan.abort);
  endTx(w, committed);
}

function property(type: TableType, flavour: "sync" | "async", numRuns: number): void {
  test(`property: ${type} in ${flavour} transactions agrees with the model`, async () => {
    await assertAsyncProperty(
      fc.asyncProperty(scenarioArb, async ({ initial, plans }) => {
        const { db, world } = await openWorld(type);
        prefill(db, world, initial as Rec[]);
        for (const plan of plans) {
          if (flavour === "sync") runSyncPlan(db, world, plan);
          else await runAsyncPlan(db, world, plan);
          checkCommitted(db, world);
          driveSync(runCmds(world, plan.dirty), dirtyApi(db));
        }
        checkCommitted(db, world);
        await db.close();
      }),
      { numRuns },
    );
  });
}

for (const type of TYPES) {
  property(type, "sync", 120);
  property(type, "async", 90);
}
