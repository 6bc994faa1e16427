// closeOnSignals with a real process: SIGTERM in the middle of a workload lets the running
// transactions commit, refuses new ones, closes the database and exits with 143 (128 + 15).
// Every acknowledged commit is there when the directory is opened again.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { Mneme } from "../../src/index.js";
import { runChild } from "./child.js";

const CHILD = "test/crash/fixtures/shutdown-child.ts";
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe("closeOnSignals", () => {
  for (const signal of ["SIGTERM", "SIGINT"] as const) {
    it(`${signal} mid-workload: running transactions finish, exit code ${128 + os.constants.signals[signal]}`, async () => {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-shutdown-"));
      dirs.push(root);
      const dir = path.join(root, "data");
      for (let round = 0; round < 2; round++) {
        const r = await runChild(CHILD, [dir], {
          killOnLine: (l) => /^ACK \d+ 40$/.test(l),
          delayMs: 20,
          signal,
        });
        assert.equal(r.signal, null, r.stderr);
        assert.equal(r.code, 128 + os.constants.signals[signal], r.stderr);
        assert.deepEqual(
          r.lines.filter((l) => l.startsWith("FAILED")),
          [],
        );
        const closing = r.lines.indexOf(`LOG ${signal}: closing the database`);
        assert.ok(closing > 0, r.lines.join("\n"));
        // Each writer's transaction running at the signal committed; its next one was refused.
        const afterSignal = r.lines.slice(closing + 1);
        for (let w = 0; w < 4; w++) {
          assert.ok(afterSignal.includes(`REFUSED ${w}`), afterSignal.join("\n"));
        }
        assert.ok(
          afterSignal.some((l) => l.startsWith("ACK")),
          `no transaction was running at the signal:\n${afterSignal.join("\n")}`,
        );
        const acked = r.lines.filter((l) => l.startsWith("ACK")).map((l) => l.split(" "));
        const db = await Mneme.open({ dir, schemaLocation: "disc" });
        try {
          for (const [, w, s] of acked) {
            const k = [Number(w), Number(s)];
            assert.equal(db.dirtyRead("d", k).length, 1, `d ${k} acknowledged but lost`);
            assert.equal(db.dirtyRead("o", k).length, 1, `o ${k} acknowledged but lost`);
          }
        } finally {
          await db.close();
        }
      }
    });
  }
});
