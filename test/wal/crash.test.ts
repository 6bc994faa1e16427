import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { Wal } from "../../src/wal/index.js";
import { bigEntryFor, plain, withDir } from "./helpers.js";

const CHILD = fileURLToPath(new URL("./child-writer.ts", import.meta.url));

/** Runs the child writer on `dir`, kills it `delayMs` after it is ready; returns what it acked. */
function runAndKill(dir: string, delayMs: number): Promise<{ start: number; acked: number[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", CHILD, dir], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    let killTimer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => child.kill("SIGKILL"), 30_000);
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (chunk: string) => {
      out += chunk;
      if (killTimer === undefined && out.includes("\n")) {
        killTimer = setTimeout(() => child.kill("SIGKILL"), delayMs);
      }
    });
    child.on("error", reject);
    child.on("close", (_code, signal) => {
      clearTimeout(guard);
      clearTimeout(killTimer);
      const lines = out.split("\n").filter((l) => l !== "");
      const ready = /^ready (\d+)$/.exec(lines[0] ?? "");
      if (ready === null || signal !== "SIGKILL") {
        reject(new Error(`child did not start or was not killed: ${signal} ${lines[0]}`));
        return;
      }
      // A line cut by the kill is not an acknowledgement.
      const acked = lines
        .slice(1)
        .filter((l) => /^\d+$/.test(l))
        .map(Number);
      if (!out.endsWith("\n")) acked.pop();
      resolve({ start: Number(ready[1]), acked });
    });
  });
}

/** `runs` times: run the child on `dir`, kill it, check the log; returns the records acknowledged. */
async function crashLoop(dir: string, runs: number): Promise<number> {
  let last = 0;
  let totalAcked = 0;
  for (let run = 0; run < runs; run++) {
    const { start, acked } = await runAndKill(dir, 5 + Math.floor(Math.random() * 60));
    // The child starts where the last recovery left the log.
    assert.equal(start, last);
    totalAcked += acked.length;
    const reports: unknown[] = [];
    const { wal, entries } = Wal.open(dir, { autoRepair: true, onRepair: (r) => reports.push(r) });
    last = wal.lastPosition;
    // The log is exactly 1..last with the right bytes, and holds every acknowledged record.
    const expected = Array.from({ length: last }, (_, i) => ({
      position: i + 1,
      bytes: bigEntryFor(i + 1),
    }));
    assert.deepEqual(plain(entries), plain(expected));
    for (const p of acked) assert.ok(p <= last, `acked ${p} lost (log ends at ${last})`);
    assert.ok(reports.length <= 1);
    wal.closeSync();
  }
  return totalAcked;
}

describe("WAL crash safety", () => {
  it("every record acknowledged as fsynced survives a SIGKILL, run after run", async () => {
    // Two directories at once, five kills each: the child's start-up (tsx) dominates the time.
    const acked = await Promise.all([
      withDir((dir) => crashLoop(dir, 5)),
      withDir((dir) => crashLoop(dir, 5)),
    ]);
    for (const n of acked) assert.ok(n > 0, "the child never acknowledged anything");
  });
});
