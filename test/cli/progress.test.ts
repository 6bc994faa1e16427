// withProgress: the CLI's wrapper of a backup module counts what goes through it, and keeps the
// module's optional writeEncoded (without it, a backup would decode every snapshot block).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { withProgress } from "../../src/cli/progress.js";
import { fileBackupModule, MemoryBackupModule, Mneme } from "../../src/index.js";

describe("withProgress", () => {
  it("keeps writeEncoded when the module has it, and counts every record", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-progress-"));
    try {
      await Mneme.createSchema({ dir: path.join(dir, "db") });
      const db = await Mneme.open({ dir: path.join(dir, "db") });
      await db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
      for (let k = 0; k < 2500; k++) db.dirtyWrite("t", { k, v: k });
      await db.dumpLog();
      let ticks = 0;
      const progress = { tick: (n: number) => (ticks += n), stop: () => undefined };
      const wrapped = withProgress(fileBackupModule, progress);
      assert.equal(typeof wrapped.writeEncoded, "function");
      let encoded = 0;
      const spying = {
        ...wrapped,
        writeEncoded: (h: unknown, r: { count: number }) => {
          encoded += r.count;
          return wrapped.writeEncoded!(h as never, r as never);
        },
      };
      await db.backup(path.join(dir, "b.BUP"), spying);
      assert.equal(encoded, 2500);
      assert.equal(ticks, 1 + 2500); // the schema item, then the records
      assert.equal(withProgress(new MemoryBackupModule(), progress).writeEncoded, undefined);
      await db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
