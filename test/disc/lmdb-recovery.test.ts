// Start-up on a damaged LMDB file, in process (the damage here is found before LMDB maps the file;
// every kind of damage, in child processes, is in test/crash/lmdb-damage.test.ts): what the
// repair did is reported as system events, as the log's repairs are.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { Mneme, type SystemEvent } from "../../src/index.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-lmdb-recovery-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("LMDB recovery", () => {
  it("the newest meta page zeroed: rewritten from the other, the lost writes replayed, both reported", async () => {
    await Mneme.createSchema({ dir });
    const db = await Mneme.open({ dir });
    await db.createTable("t", { attributes: ["k", "v"], discOnlyCopies: [db.node] });
    for (let i = 1; i <= 10; i++) await db.transaction(async (tx) => tx.write("t", { k: i, v: i }));
    await db.dumpLog();
    await db.close();
    const data = path.join(dir, "lmdb", "data.mdb");
    const fd = fs.openSync(data, "r+");
    const head = Buffer.alloc(8192);
    fs.readSync(fd, head, 0, 8192, 0);
    const newest = head.readBigUInt64LE(24 + 128) >= head.readBigUInt64LE(4096 + 24 + 128) ? 0 : 1;
    fs.writeSync(fd, Buffer.alloc(4096), 0, 4096, newest * 4096);
    fs.closeSync(fd);

    const again = await Mneme.open({ dir });
    const events: SystemEvent[] = [];
    again.subscribe("system", (e) => events.push(e));
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(again.tableInfo("t", "size"), 10);
    assert.deepEqual(again.dirtyRead("t", 10), [{ k: 10, v: 10 }]);
    const messages = events.map((e) => ("message" in e ? e.message : ""));
    assert.equal(messages.length, 2, messages.join("\n"));
    assert.ok(
      messages[0]!.startsWith(
        `the LMDB file was damaged: ${data} at offset ${newest * 4096}: meta page ${newest} was invalid (`,
      ),
      messages[0],
    );
    assert.ok(messages[0]!.endsWith(") and was rewritten from the other"), messages[0]);
    assert.match(
      messages[1]!,
      /^the LMDB file was damaged: .*data\.mdb at offset 0: it reflected the log up to position 10, not 11 as when the checkpoint was written; the writes in between are replayed from the log$/,
    );
    await again.close();
  });
});
