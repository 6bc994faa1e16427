// Model-based property tests of the three table types through the public API outside
// transactions: random command sequences of dirty operations, each result compared with the model.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  activityApi,
  checkCommitted,
  cmdArb,
  dirtyApi,
  driveSync,
  openWorld,
  runCmds,
} from "./harness.js";
import { assertAsyncProperty, TYPES } from "./model.js";

const cmdsArb = fc.array(cmdArb, { minLength: 1, maxLength: 50, size: "max" });

for (const type of TYPES) {
  test(`property: ${type} through the db.dirty* functions agrees with the model`, async () => {
    await assertAsyncProperty(
      fc.asyncProperty(cmdsArb, async (cmds) => {
        const { db, world } = await openWorld(type);
        driveSync(runCmds(world, cmds), dirtyApi(db));
        checkCommitted(db, world);
        await db.close();
      }),
      { numRuns: 400 },
    );
  });

  for (const kind of ["asyncDirty", "syncDirty", "ets"] as const) {
    test(`property: ${type} in ${kind} agrees with the model`, async () => {
      await assertAsyncProperty(
        fc.asyncProperty(cmdsArb, async (cmds) => {
          const { db, world } = await openWorld(type);
          db[kind]((ctx) => {
            assert.equal(ctx.isTransaction(), false);
            driveSync(runCmds(world, cmds), activityApi(db, ctx));
          });
          checkCommitted(db, world);
          await db.close();
        }),
        { numRuns: 100 },
      );
    });
  }
}

test("read results are the caller's: changing them does not change the table", async () => {
  for (const type of TYPES) {
    const { db, world } = await openWorld(type);
    const t = world.table;
    db.dirtyWrite(t, { k: 1, v: "a", w: "p" });
    if (type === "bag") db.dirtyWrite(t, { k: 1, v: "b", w: "p" });
    const expected = db.dirtyRead(t, 1).slice();
    const reads = [
      db.dirtyRead(t, 1),
      db.asyncDirty((ctx) => ctx.read(t, 1)),
      db.transactionSync((tx) => tx.read(t, 1)),
      db.dirtyIndexRead(t, "a", "v"),
      db.dirtyMatchObject(t, { k: 1 }),
    ];
    for (const got of reads) {
      got.reverse();
      (got as object[]).push({ k: 1, v: "zz", w: "q" });
    }
    db.dirtyRead(t, 2).push({ k: 2, v: "zz", w: "q" });
    assert.deepEqual(db.dirtyRead(t, 1), expected);
    assert.deepEqual(db.dirtyRead(t, 2), []);
    assert.equal(db.tableInfo(t, "size"), expected.length);
    await db.close();
  }
});
