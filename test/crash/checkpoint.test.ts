// SIGKILL while checkpoints are written (dumpLog, dumpTables, the automatic dump), with a
// disc_copies and a disc_only_copies table under concurrent transactions. After each kill the
// database opens, and every acknowledged commit is there in both tables; the next child recovers
// that directory and goes on, so later kills also hit a database that has recovered before.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { Mneme } from "../../src/index.js";
import { runChild } from "./child.js";

const CHILD = "test/crash/fixtures/checkpoint-child.ts";

/** The highest acknowledged sequence number of each writer. */
function acked(lines: readonly string[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of lines) {
    const m = /^ACK (\d+) (\d+)$/.exec(line);
    if (m) out.set(Number(m[1]), Math.max(out.get(Number(m[1])) ?? 0, Number(m[2])));
  }
  return out;
}

async function checkAfterKill(dir: string, acks: Map<number, number>, round: string) {
  const db = await Mneme.open({ dir });
  try {
    for (const [w, last] of acks) {
      for (const table of ["d", "o"]) {
        const count = db.dirtyRead(table, ["count", w])[0] as { v: number } | undefined;
        assert.ok(
          count !== undefined && count.v >= last,
          `${round}: writer ${w} acknowledged ${last}, ${table} holds ${count?.v}`,
        );
        // Every commit up to the counter is there (one transaction wrote both).
        for (let s = 1; s <= count.v; s++) {
          assert.equal(
            db.dirtyRead(table, [w, s]).length,
            1,
            `${round}: ${table} lacks [${w}, ${s}]`,
          );
        }
      }
    }
    assert.equal((db.tableInfo("d", "size") as number) >= 5000, true);
  } finally {
    await db.close();
  }
}

async function rounds(mode: string, kills: readonly { line: RegExp; delayMs: number }[]) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `mneme-ckpt-${mode}-`));
  await Mneme.createSchema({ dir });
  const total = new Map<number, number>();
  try {
    for (const [i, kill] of kills.entries()) {
      const r = await runChild(CHILD, [dir, mode], {
        killOnLine: (l) => kill.line.test(l),
        delayMs: kill.delayMs,
      });
      assert.equal(r.killed, true, `${mode} round ${i}: not killed: ${r.stderr}`);
      assert.equal(r.stderr.includes("Error"), false, r.stderr);
      const acks = acked(r.lines);
      assert.ok(acks.size > 0, `${mode} round ${i}: nothing was acknowledged`);
      for (const [w, s] of acks) total.set(w, Math.max(total.get(w) ?? 0, s));
      await checkAfterKill(dir, total, `${mode} round ${i}`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe("SIGKILL during checkpoints under concurrent writes", () => {
  it("dumpLog: killed as dumps start and while they are written", async () => {
    await rounds("dumpLog", [
      { line: /^DUMP 3$/, delayMs: 0 },
      { line: /^DUMP 2$/, delayMs: 5 },
      { line: /^DUMP 1$/, delayMs: 30 },
    ]);
  });

  it("dumpTables: killed as dumps start and while they are written", async () => {
    await rounds("dumpTables", [
      { line: /^DUMP 2$/, delayMs: 0 },
      { line: /^DUMP 3$/, delayMs: 8 },
      { line: /^DUMP 1$/, delayMs: 20 },
    ]);
  });

  it("the automatic dump (every 50 logged writes, every 20 ms)", async () => {
    await rounds("auto", [
      { line: /^ACK 0 40$/, delayMs: 0 },
      { line: /^ACK 1 \d*7$/, delayMs: 3 },
      { line: /^ACK 2 \d*3$/, delayMs: 11 },
      { line: /^ACK 3 \d*9$/, delayMs: 25 },
    ]);
  });
});
