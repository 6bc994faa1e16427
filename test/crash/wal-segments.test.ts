// Kills with transactions that write a disc_copies and a disc_only_copies table together, then
// damage of the log beyond a torn tail: a bit flipped in an OLD segment, the last segment cut
// inside a record or inside its last record, the newest segment deleted. Each damage is made on a copy of the killed
// directory. Whatever was damaged, opening it (autoRepair true) either refuses with
// CorruptFileError naming a WAL file and changes nothing, or gives a database in which no
// transaction is half there and every acknowledged one is, unless its record was damaged or
// dropped. Damage in a segment the checkpoint already holds must cost nothing, even with
// autoRepair false.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { readCheckpoint } from "../../src/disc/checkpoint.js";
import { DirLayout } from "../../src/disc/layout.js";
import { CorruptFileError, Mneme } from "../../src/index.js";
import { POSITION_BYTES } from "../../src/wal/record.js";
import { listSegments } from "../../src/wal/segment-names.js";
import { runChild } from "./child.js";
import { between, prng } from "./model.js";
import { readWalRecords } from "./wal-tail.js";

const CHILD = "test/crash/fixtures/wal-segments-child.ts";
const CYCLES = 4;

interface WrittenOp {
  readonly op?: string;
  readonly table?: string;
  readonly record?: { readonly k?: unknown };
}

/** The intact records of every segment, with the keys each writes to `a`. */
function readRecords(walDir: string) {
  return readWalRecords(walDir, (ops: readonly WrittenOp[]) => {
    const keys: string[] = [];
    for (const op of ops) {
      if (op.op === "write" && op.table === "a" && typeof op.record?.k === "string")
        keys.push(op.record.k);
    }
    return { keys };
  });
}

/** old: a bit flipped in a segment before the last; tail: the last segment cut inside one of
 * its records; last: cut inside the last record; newest: the last segment deleted. */
type Kind = "old" | "tail" | "last" | "newest";

interface Made {
  readonly file: string;
  /** Keys of the records from the damage on: a repair may drop them. */
  readonly dropped: ReadonlySet<string>;
  /** The damaged segment holds only records the checkpoint holds. */
  readonly obsolete: boolean;
}

/** Damages the log of `dir` as `kind` says; undefined when there is nothing of that kind. */
function damage(dir: string, kind: Kind, rand: () => number): Made | undefined {
  const layout = new DirLayout(dir);
  const segs = listSegments(layout.wal);
  const records = readRecords(layout.wal);
  const from = (i: number) => new Set(records.slice(i).flatMap((r) => r.keys));
  if (kind === "newest") {
    if (segs.length < 2) return undefined;
    const file = segs.at(-1)!.path;
    const i = records.findIndex((r) => r.file === file);
    fs.rmSync(file);
    return { file, dropped: from(i < 0 ? records.length : i), obsolete: false };
  }
  if (kind === "last") {
    const r = records.at(-1);
    if (r === undefined) return undefined;
    fs.truncateSync(r.file, between(rand, r.offset + 1, r.end - 1));
    return { file: r.file, dropped: from(records.length - 1), obsolete: false };
  }
  const candidates = segs.slice(kind === "old" ? 0 : -1, kind === "old" ? -1 : undefined);
  if (candidates.length === 0) return undefined;
  const s = between(rand, 0, candidates.length - 1);
  const seg = candidates[s]!;
  const inSeg = records.flatMap((r, i) => (r.file === seg.path ? [i] : []));
  if (inSeg.length === 0) return undefined;
  const i = inSeg[between(rand, 0, inSeg.length - 1)]!;
  const r = records[i]!;
  if (kind === "tail") {
    fs.truncateSync(seg.path, between(rand, r.offset + 1, r.end - 1));
    return { file: seg.path, dropped: from(i), obsolete: false };
  }
  // Records at or below the oldest snapshot are in every snapshot; a segment whose successor
  // starts right after that holds only such records.
  const checkpoint = readCheckpoint(layout)!;
  let oldest = checkpoint.position;
  for (const ref of checkpoint.files.values()) oldest = Math.min(oldest, ref.position);
  const next = segs[segs.indexOf(seg) + 1]!;
  const buf = fs.readFileSync(seg.path);
  buf[between(rand, r.offset + 8 + POSITION_BYTES, r.end - 1)]! ^= 1 << between(rand, 0, 7);
  fs.writeFileSync(seg.path, buf);
  return { file: seg.path, dropped: from(i), obsolete: next.first <= oldest + 1 };
}

function walDigest(dir: string): string {
  const h = createHash("sha1");
  for (const seg of listSegments(new DirLayout(dir).wal)) {
    h.update(seg.path);
    h.update(fs.readFileSync(seg.path));
  }
  return h.digest("hex");
}

function keys(db: Mneme, table: string): Set<string> {
  return new Set(db.dirtyAllKeys<{ k: string }, "k">(table) as string[]);
}

/** Opens `dir`: no transaction half there, every acknowledged one there unless `mayLose`. */
async function checkWhole(
  dir: string,
  acked: ReadonlySet<string>,
  mayLose: ReadonlySet<string>,
  autoRepair = true,
): Promise<void> {
  const db = await Mneme.open({ dir, schemaLocation: "disc", autoRepair });
  try {
    const a = keys(db, "a");
    const b = keys(db, "b");
    const c = keys(db, "c");
    const half: string[] = [];
    for (const k of a) {
      if (k.startsWith("x")) continue; // written to `a` alone
      const tenth = Number(k.slice(k.indexOf("-") + 1)) % 10 === 0;
      if (!b.has(k) || tenth !== c.has(k)) half.push(k);
    }
    for (const k of b) if (!a.has(k)) half.push(k);
    for (const k of c) if (!a.has(k)) half.push(k);
    assert.deepEqual(half, [], `${dir}: ${half.length} transactions are half there`);
    const missing = [...acked].filter((k) => !a.has(k) && !mayLose.has(k));
    assert.deepEqual(missing, [], `${dir}: acknowledged transactions lost`);
  } finally {
    await db.close();
  }
}

describe("WAL segments under kills", () => {
  it("mixed disc_copies + disc_only transactions stay whole through kills and damaged old segments, tails and deleted segments", async (t) => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-wal-segments-"));
    const dir = path.join(root, "db");
    const rand = prng(20261207);
    const acked = new Set<string>();
    const seen: Record<string, number> = {};
    const count = (what: string) => {
      seen[what] = (seen[what] ?? 0) + 1;
    };
    try {
      for (let cycle = 0; cycle < CYCLES; cycle++) {
        const run = await runChild(CHILD, [dir, `r${cycle}`], {
          killOnLine: (l) => l === "READY",
          delayMs: between(rand, 400, 1200),
        });
        assert.equal(run.signal, "SIGKILL", run.stderr);
        for (const l of run.lines) if (l.startsWith("ACK ")) acked.add(l.slice(4));
        for (const kind of ["old", "tail", "last", "newest"] as const) {
          const copy = path.join(root, `${kind}-${cycle}`);
          // A killed service leaves its control socket, which no copy can take (nor needs).
          fs.cpSync(dir, copy, { recursive: true, filter: (src) => !src.endsWith("control.sock") });
          const made = damage(copy, kind, rand);
          if (made === undefined) {
            count(`${kind}: nothing to damage`);
            continue;
          }
          if (made.obsolete) {
            // Costs nothing, whatever autoRepair says.
            await checkWhole(copy, acked, new Set(), false);
            count(`${kind}: obsolete segment ignored`);
            continue;
          }
          const before = walDigest(copy);
          try {
            await checkWhole(copy, acked, made.dropped);
            count(`${kind}: repaired whole`);
          } catch (e) {
            if (!(e instanceof CorruptFileError)) throw e;
            assert.ok(e.file.startsWith(new DirLayout(copy).wal), e.message);
            assert.equal(walDigest(copy), before, "a refused repair changed the log");
            count(`${kind}: refused`);
          }
          fs.rmSync(copy, { recursive: true, force: true });
        }
        // The killed directory itself loses nothing acknowledged.
        await checkWhole(dir, acked, new Set());
      }
      t.diagnostic(JSON.stringify({ acked: acked.size, ...seen }));
      // Every tail cut and deleted segment here loses records LMDB applied: refused.
      assert.ok((seen["tail: refused"] ?? 0) > 0 && (seen["newest: refused"] ?? 0) > 0);
    } finally {
      fs.rmSync(root, { recursive: true, force: true });
    }
  });
});
