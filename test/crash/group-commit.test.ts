// Group commit with early lock release under SIGKILL: a child runs fsync-mode transactions on a
// few hot counters (each drivers' transactions queue on the same records, release their locks
// before their fsync and share it) and is killed in the middle of the load, twice. After each
// kill the reopened database holds every acknowledged commit, and every commit whole: each
// counter equals the sum of the ledger deltas moved onto it, and each driver's ledger is a
// gap-free run of its transactions reaching at least its last acknowledged one.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { Mneme } from "../../src/index.js";
import { runChild } from "./child.js";

const CHILD = "test/crash/fixtures/group-commit-child.ts";
const DRIVERS = 32;
const HOT = 3;
const dirs: string[] = [];
after(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

interface Ledger {
  id: [number, number, number];
  k: number;
  delta: number;
}

describe("group commit under SIGKILL (fsync mode, hot keys)", () => {
  it("every acknowledged commit survives, whole, and the totals hold", async () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-groupcommit-"));
    dirs.push(root);
    const dir = path.join(root, "data");
    for (let round = 0; round < 2; round++) {
      let acks = 0;
      const r = await runChild(CHILD, [dir, String(round)], {
        killOnLine: (l) => l.startsWith("ACK") && ++acks === 400 + 300 * round,
        delayMs: 15 + 20 * round,
      });
      assert.equal(r.signal, "SIGKILL", r.stderr);
      assert.deepEqual(
        r.lines.filter((l) => l.startsWith("FAILED")),
        [],
      );
      const lastAcked = new Map<number, number>();
      for (const l of r.lines) {
        if (!l.startsWith("ACK")) continue;
        const [, d, seq] = l.split(" ").map(Number) as [number, number, number];
        assert.ok(seq > (lastAcked.get(d) ?? 0));
        lastAcked.set(d, seq);
      }
      assert.ok(lastAcked.size > DRIVERS / 2, `only ${lastAcked.size} drivers acknowledged`);

      const db = await Mneme.open({ dir });
      try {
        const rows = db.dirtyMatchObject<Ledger>("ledger", { id: "_", k: "_", delta: "_" });
        const sums = new Array<number>(HOT).fill(0);
        for (const row of rows) sums[row.k]! += row.delta;
        for (let k = 0; k < HOT; k++) {
          assert.deepEqual(db.dirtyRead("counter", k), [{ k, v: sums[k] }], `counter ${k}`);
        }
        for (let d = 0; d < DRIVERS; d++) {
          const seqs = rows
            .filter((row) => row.id[0] === round && row.id[1] === d)
            .map((row) => row.id[2])
            .sort((a, b) => a - b);
          const acked = lastAcked.get(d) ?? 0;
          // Gap-free: a driver's next transaction starts once the previous one is acknowledged,
          // so at most the one running at the kill is there unacknowledged.
          assert.deepEqual(
            seqs,
            Array.from({ length: seqs.length }, (_, i) => i + 1),
            `driver ${d}`,
          );
          assert.ok(
            seqs.length >= acked && seqs.length <= acked + 1,
            `driver ${d}: ${seqs.length} in the ledger, ${acked} acknowledged`,
          );
        }
      } finally {
        await db.close();
      }
    }
  });
});
