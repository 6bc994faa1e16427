import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { encodeFrame } from "../../src/disc/frame.js";
import { CorruptFileError } from "../../src/errors.js";
import { recordBytes } from "../../src/wal/batch.js";
import { type RepairReport, segmentFileName, Wal } from "../../src/wal/index.js";
import {
  dirContents,
  encodeRecord,
  entryFor,
  plain,
  segmentNames,
  withDir,
  writeWal,
} from "./helpers.js";

const FIVE = [1, 2, 3, 4, 5];
const firstOf = (path: string) => Number(path.slice(-20, -4));
const SEG1 = segmentFileName(1);

/** Start offsets of the records of `positions` in one segment, plus the end. */
function offsets(positions: readonly number[]): number[] {
  const out = [0];
  for (const p of positions) out.push(out.at(-1)! + recordBytes(entryFor(p).length));
  return out;
}

interface Expected {
  readonly file: string;
  readonly offset: number;
  readonly reason?: RepairReport["reason"];
  /** Positions that survive. */
  readonly entries: readonly number[];
  readonly droppedBytes: number;
  readonly deletedFiles?: readonly string[];
}

/**
 * Checks a damaged WAL in `dir`: autoRepair false throws the right error and changes nothing;
 * autoRepair true gives the intact prefix, reports the damage, and the WAL is then usable.
 */
async function checkDamage(dir: string, x: Expected): Promise<void> {
  const file = join(dir, x.file);
  const before = dirContents(dir);
  assert.throws(
    () => Wal.open(dir, { autoRepair: false }),
    (e: unknown) => {
      assert.ok(e instanceof CorruptFileError);
      assert.equal(e.file, file);
      assert.equal(e.offset, x.offset);
      if (x.reason !== undefined) assert.equal(e.reason, x.reason);
      return true;
    },
  );
  assert.deepEqual(dirContents(dir), before);

  const reports: RepairReport[] = [];
  const { wal, entries } = Wal.open(dir, { autoRepair: true, onRepair: (r) => reports.push(r) });
  assert.deepEqual(
    plain(entries),
    plain(x.entries.map((p) => ({ position: p, bytes: entryFor(p) }))),
  );
  assert.equal(reports.length, 1);
  const r = reports[0]!;
  assert.equal(r.file, file);
  assert.equal(r.offset, x.offset);
  assert.equal(r.droppedBytes, x.droppedBytes);
  if (x.reason !== undefined) assert.equal(r.reason, x.reason);
  if (x.deletedFiles !== undefined) {
    assert.deepEqual(
      r.deletedFiles,
      x.deletedFiles.map((n) => join(dir, n)),
    );
  }
  const next = (x.entries.at(-1) ?? 0) + 100;
  wal.append(next, entryFor(next));
  await wal.close();

  const again = Wal.open(dir, { autoRepair: false });
  assert.deepEqual(
    again.entries.map((e) => e.position),
    [...x.entries, next],
  );
  again.wal.closeSync();
}

/** The segment bytes of a WAL holding FIVE, written once by the WAL itself. */
let template: Buffer;

/** Writes `bytes` as the only segment of `dir` (no fsync: the tests are about parsing). */
function writeSegment(dir: string, bytes: Uint8Array): string {
  const path = join(dir, SEG1);
  fs.writeFileSync(path, bytes);
  return path;
}

describe("WAL recovery", () => {
  before(async () => {
    template = await withDir(async (dir) => {
      await writeWal(dir, FIVE);
      assert.deepEqual(segmentNames(dir), [SEG1]);
      return fs.readFileSync(join(dir, SEG1));
    });
  });

  it("a torn last record, cut at any offset inside it, is dropped", async () => {
    const o = offsets(FIVE);
    const start = o[4]!;
    const end = o[5]!;
    for (let cut = start; cut < end; cut++) {
      await withDir(async (dir) => {
        writeSegment(dir, template.subarray(0, cut));
        if (cut === start) {
          const { wal, entries } = Wal.open(dir, { autoRepair: false });
          assert.deepEqual(
            entries.map((e) => e.position),
            [1, 2, 3, 4],
          );
          wal.closeSync();
          return;
        }
        await checkDamage(dir, {
          file: SEG1,
          offset: start,
          reason: "truncated_binary_file",
          entries: [1, 2, 3, 4],
          droppedBytes: cut - start,
          deletedFiles: [],
        });
      });
    }
  });

  it("property: a flipped bit in a record drops it and everything after", async () => {
    const o = offsets(FIVE);
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 4 }), fc.nat(), async (victim, bitSeed) => {
        await withDir(async (dir) => {
          const buf = Buffer.from(template);
          const bits = (o[victim + 1]! - o[victim]!) * 8;
          const bit = bitSeed % bits;
          buf[o[victim]! + (bit >> 3)]! ^= 1 << (bit & 7);
          writeSegment(dir, buf);
          await checkDamage(dir, {
            file: SEG1,
            offset: o[victim]!,
            // Past the length field, only the checksum can notice.
            ...(bit >= 32 ? { reason: "bad_checksum" as const } : {}),
            entries: FIVE.slice(0, victim),
            droppedBytes: buf.length - o[victim]!,
          });
        });
      }),
      { numRuns: 40 },
    );
  });

  it("property: garbage appended after the last record is dropped", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ minLength: 1, maxLength: 100 }), async (garbage) => {
        await withDir(async (dir) => {
          writeSegment(dir, Buffer.concat([template, garbage]));
          await checkDamage(dir, {
            file: SEG1,
            offset: template.length,
            entries: FIVE,
            droppedBytes: garbage.length,
          });
        });
      }),
      { numRuns: 40 },
    );
  });

  it("a zero-filled tail (empty frames with a valid CRC) is damage, not records", async () => {
    for (let zeros = 1; zeros <= 24; zeros++) {
      await withDir(async (dir) => {
        writeSegment(dir, Buffer.concat([template, Buffer.alloc(zeros)]));
        await checkDamage(dir, {
          file: SEG1,
          offset: template.length,
          reason: zeros < 8 ? "truncated_binary_file" : "bad_checksum",
          entries: FIVE,
          droppedBytes: zeros,
        });
      });
    }
  });

  it("a position not above the previous one is damage", async () => {
    await withDir(async (dir) => {
      const frames = [1, 2, 2, 3].map((p) => encodeFrame(encodeRecord(p, entryFor(p))));
      fs.writeFileSync(join(dir, SEG1), Buffer.concat(frames));
      await checkDamage(dir, {
        file: SEG1,
        offset: frames[0]!.length + frames[1]!.length,
        reason: "bad_checksum",
        entries: [1, 2],
        droppedBytes: frames[2]!.length + frames[3]!.length,
      });
    });
  });

  it("a frame too short to hold a position is damage", async () => {
    await withDir(async (dir) => {
      await writeWal(dir, [1, 2]);
      const path = join(dir, SEG1);
      const size = fs.statSync(path).size;
      fs.appendFileSync(path, encodeFrame(Buffer.from([3, 0, 0, 0, 0, 0, 0])));
      await checkDamage(dir, {
        file: SEG1,
        offset: size,
        reason: "bad_checksum",
        entries: [1, 2],
        droppedBytes: 15,
      });
    });
  });

  it("a segment whose first record is not the one its name says is damage; it is deleted", async () => {
    await withDir(async (dir) => {
      await writeWal(dir, [1, 2]);
      const name = segmentFileName(3);
      const frame = encodeFrame(encodeRecord(4, entryFor(4)));
      fs.writeFileSync(join(dir, name), frame);
      await checkDamage(dir, {
        file: name,
        offset: 0,
        reason: "bad_checksum",
        entries: [1, 2],
        droppedBytes: frame.length,
        deletedFiles: [name],
      });
    });
  });

  it("an empty or partly written new segment is damage at offset 0; the file is deleted", async () => {
    for (const partial of [0, 5, 12]) {
      await withDir(async (dir) => {
        writeSegment(dir, template);
        const name = segmentFileName(6);
        fs.writeFileSync(
          join(dir, name),
          encodeFrame(encodeRecord(6, entryFor(6))).subarray(0, partial),
        );
        await checkDamage(dir, {
          file: name,
          offset: 0,
          reason: "truncated_binary_file",
          entries: FIVE,
          droppedBytes: partial,
          deletedFiles: [name],
        });
        // The next record went into the last intact segment.
        assert.deepEqual(segmentNames(dir), [SEG1]);
      });
    }
  });

  it("damage in an earlier segment drops the later segments too", async () => {
    await withDir(async (dir) => {
      const positions = Array.from({ length: 20 }, (_, i) => i + 1);
      await writeWal(dir, positions, { segmentBytes: 100 });
      const names = segmentNames(dir);
      assert.ok(names.length >= 5);
      // Flip a bit in the last record of the second segment.
      const victim = names[1]!;
      const first = Number(victim.slice(4, 20));
      const inVictim = positions.filter((p) => p >= first && p < Number(names[2]!.slice(4, 20)));
      const o = offsets(inVictim);
      const path = join(dir, victim);
      const buf = fs.readFileSync(path);
      const start = o.at(-2)!;
      buf[start + 12]! ^= 0x10;
      fs.writeFileSync(path, buf);
      const laterBytes = names.slice(2).reduce((n, f) => n + fs.statSync(join(dir, f)).size, 0);
      await checkDamage(dir, {
        file: victim,
        offset: start,
        reason: "bad_checksum",
        entries: positions.filter((p) => p < inVictim.at(-1)!),
        droppedBytes: buf.length - start + laterBytes,
        deletedFiles: names.slice(2),
      });
      assert.deepEqual(segmentNames(dir), names.slice(0, 2));
    });
  });

  /** 20 records in segments of about 100 bytes, a bit flipped in the second segment. */
  async function damagedSecondSegment(dir: string) {
    const positions = Array.from({ length: 20 }, (_, i) => i + 1);
    await writeWal(dir, positions, { segmentBytes: 100 });
    const names = segmentNames(dir);
    const victim = join(dir, names[1]!);
    const buf = fs.readFileSync(victim);
    buf[12]! ^= 0x10;
    fs.writeFileSync(victim, buf);
    return { positions, victim, nextFirst: firstOf(names[2]!) };
  }

  it("damage in a segment whose records are all obsolete is reported, not cut", async () => {
    await withDir(async (dir) => {
      const { positions, victim, nextFirst } = await damagedSecondSegment(dir);
      const before = dirContents(dir);
      for (const autoRepair of [false, true]) {
        const reports: RepairReport[] = [];
        const { wal, entries } = Wal.open(dir, {
          autoRepair,
          onRepair: (r) => reports.push(r),
          bounds: { obsoleteThrough: nextFirst - 1 },
        });
        wal.closeSync();
        // Every record of the other segments is read; nothing is changed.
        assert.deepEqual(
          entries.map((e) => e.position),
          positions.filter((p) => p < firstOf(victim) || p >= nextFirst),
        );
        assert.deepEqual(
          reports.map((r) => [r.file, r.offset, r.obsolete, r.droppedBytes, r.deletedFiles]),
          [[victim, 0, true, 0, []]],
        );
        assert.deepEqual(dirContents(dir), before);
      }
      // One position short of the next segment: the damaged one may hold a needed record.
      const reports: RepairReport[] = [];
      const { wal, entries } = Wal.open(dir, {
        autoRepair: true,
        onRepair: (r) => reports.push(r),
        bounds: { obsoleteThrough: nextFirst - 2 },
      });
      wal.closeSync();
      assert.deepEqual(
        entries.map((e) => e.position),
        positions.filter((p) => p < firstOf(victim)),
      );
      assert.equal(reports[0]?.obsolete, false);
    });
  });

  it("a log that would end before a required position is refused, unchanged, repair or not", async () => {
    await withDir(async (dir) => {
      const { victim, nextFirst } = await damagedSecondSegment(dir);
      const before = dirContents(dir);
      for (const autoRepair of [false, true]) {
        assert.throws(
          () =>
            Wal.open(dir, {
              autoRepair,
              bounds: { required: { position: nextFirst, holder: "the other store" } },
            }),
          (e: unknown) => {
            assert.ok(e instanceof CorruptFileError);
            assert.equal(e.file, victim);
            assert.equal(e.offset, 0);
            assert.match(e.message, /the other store already holds log position \d+/);
            return true;
          },
        );
        assert.deepEqual(dirContents(dir), before);
      }
    });
    await withDir(async (dir) => {
      await writeWal(dir, [1, 2, 3]);
      const last = join(dir, SEG1);
      const size = fs.statSync(last).size;
      for (const autoRepair of [false, true]) {
        assert.throws(
          () => Wal.open(dir, { autoRepair, bounds: { required: { position: 4, holder: "X" } } }),
          (e: unknown) => {
            assert.ok(e instanceof CorruptFileError);
            assert.equal(e.reason, "truncated_binary_file");
            assert.equal(e.file, last);
            assert.equal(e.offset, size);
            assert.ok(e.message.includes(`WAL records are missing in ${dir}`), e.message);
            return true;
          },
        );
      }
      // At the required position: fine.
      const { wal } = Wal.open(dir, {
        autoRepair: false,
        bounds: { required: { position: 3, holder: "X" } },
      });
      wal.closeSync();
    });
  });

  it("files that are not segments are left alone", async () => {
    await withDir(async (dir) => {
      await writeWal(dir, [1, 2]);
      fs.writeFileSync(join(dir, "wal-1.log"), "junk");
      fs.writeFileSync(join(dir, "notes.txt"), "junk");
      fs.mkdirSync(join(dir, `${segmentFileName(9)}`));
      const { wal, entries } = Wal.open(dir, { autoRepair: false });
      assert.deepEqual(
        entries.map((e) => e.position),
        [1, 2],
      );
      wal.closeSync();
    });
  });
});
