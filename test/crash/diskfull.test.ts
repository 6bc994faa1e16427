// disc_only_copies on a full disc, in a child process because a write through LMDB's write-map
// into space the disc cannot back kills the process with SIGBUS: it must be an error instead, and
// the transaction must leave nothing behind (neither its LMDB nor its RAM half, nor a WAL record).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { withTmpfs } from "../disc/tmpfs.js";
import { runChild } from "./child.js";

describe("disc_only_copies on a full disc", () => {
  it("commits fail with DiskFullError, nothing stays, and the database carries on", async () => {
    await withTmpfs("16m", async (dir) => {
      // LMDB gets a small file system of its own, so that it is LMDB that runs out of space.
      const lmdb = path.join(dir, "lmdb");
      fs.mkdirSync(lmdb);
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=1m", "tmpfs", lmdb]);
      try {
        const r = await runChild("test/crash/fixtures/diskfull-child.ts", [dir], {
          timeoutMs: 50_000,
        });
        assert.equal(r.signal, null, `child died: ${r.signal} ${r.stderr}`);
        assert.equal(r.code, 0, r.stderr);
        const result = JSON.parse(r.lines.at(-1)!) as Record<string, unknown>;
        assert.ok((result.failed as number) >= 50, `failed ${String(result.failed)}`);
        const failed = result.failed as number;
        const redone = result.redone as number;
        assert.deepEqual(result, {
          failed,
          redone,
          errors: ["DiskFullError ENOSPC"],
          visible: 0,
          lmSize: 100 - (failed - redone),
          dcSize: 100 - (failed - redone),
          lmAgain: redone,
          dcAgain: redone,
          lmGonePresent: 0,
          dcGonePresent: 0,
        });
      } finally {
        execFileSync("umount", ["-l", lmdb]);
      }
    });
  });
});
