// Timer options: Node fires a timer longer than 2^31 - 1 ms after 1 ms (TimeoutOverflowWarning),
// so such values are refused, and Infinity means "never".
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { BadTypeError, Mneme } from "../../src/index.js";
import { rejectsMneme } from "./helpers.js";

let dir: string;
let warnings: Error[];
const onWarning = (w: Error) => warnings.push(w);

beforeEach(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-timers-"));
  await Mneme.createSchema({ dir });
  warnings = [];
  process.on("warning", onWarning);
});
afterEach(() => {
  process.off("warning", onWarning);
  fs.rmSync(dir, { recursive: true, force: true });
});

/** Lets a warning emitted by a timer (on the next tick) arrive. */
const settle = () => new Promise((r) => setTimeout(r, 20));

describe("dumpLogTimeThreshold", () => {
  for (const value of [2 ** 31, 2 ** 40, Number.MAX_SAFE_INTEGER]) {
    it(`${value} overflows a timer: bad_type, and no TimeoutOverflowWarning`, async () => {
      await rejectsMneme(
        Mneme.open({ dir, dumpLogTimeThreshold: value }),
        BadTypeError,
        "bad_type",
        {
          value,
          message:
            /option dumpLogTimeThreshold must be an integer from 1 to 2147483647, or Infinity for never/,
        },
      );
      await settle();
      assert.deepEqual(
        warnings.map((w) => w.name),
        [],
      );
    });
  }

  it("2^31 - 1 is the largest accepted, without a warning", async () => {
    const db = await Mneme.open({ dir, dumpLogTimeThreshold: 2 ** 31 - 1 });
    await settle();
    assert.equal(db.systemInfo("dump_log_time_threshold"), 2 ** 31 - 1);
    await db.close();
    assert.deepEqual(
      warnings.map((w) => w.name),
      [],
    );
  });

  it("Infinity turns timed dumps off", async () => {
    const db = await Mneme.open({
      dir,
      dumpLogTimeThreshold: Infinity,
      dumpLogWriteThreshold: 1e9,
    });
    assert.equal(db.systemInfo("dump_log_time_threshold"), Infinity);
    const t = await db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
    const before = db.systemInfo("log_dumps");
    db.transactionSync((tx) => tx.write(t, { k: 1, v: 1 }));
    // A timer that overflowed would fire every millisecond and dump.
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(db.systemInfo("log_dumps"), before);
    await db.close();
    assert.deepEqual(
      warnings.map((w) => w.name),
      [],
    );
  });
});
