import assert from "node:assert/strict";
import * as fs from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { recordBytes } from "../../src/wal/batch.js";
import { scanWal, segmentFileName, Wal } from "../../src/wal/index.js";
import { entryFor, plain, segmentNames, withDir, writeWal } from "./helpers.js";

const SEGMENT_BYTES = 100;
const positions = Array.from({ length: 30 }, (_, i) => i + 1);

/** First positions of the segments a greedy packing into SEGMENT_BYTES gives. */
function expectedFirsts(): number[] {
  const firsts: number[] = [];
  let fill = 0;
  for (const p of positions) {
    const size = recordBytes(entryFor(p).length);
    if (firsts.length === 0 || (fill > 0 && fill + size > SEGMENT_BYTES)) {
      firsts.push(p);
      fill = 0;
    }
    fill += size;
  }
  return firsts;
}

describe("WAL segments", () => {
  it("rotates when a segment would exceed segmentBytes, naming each by its first position", async () => {
    await withDir(async (dir) => {
      await writeWal(dir, positions, { segmentBytes: SEGMENT_BYTES });
      const firsts = expectedFirsts();
      assert.ok(firsts.length > 5);
      assert.deepEqual(segmentNames(dir), firsts.map(segmentFileName));
      for (const name of segmentNames(dir)) {
        assert.ok(fs.statSync(join(dir, name)).size <= SEGMENT_BYTES);
      }
      const scan = scanWal(dir);
      assert.equal(scan.damage, undefined);
      assert.deepEqual(
        scan.entries.map((e) => e.position),
        positions,
      );
    });
  });

  it("a record larger than a segment gets a segment of its own", async () => {
    await withDir(async (dir) => {
      const { wal } = Wal.open(dir, { autoRepair: false, segmentBytes: 40 });
      wal.append(1, Buffer.alloc(10));
      wal.append(2, Buffer.alloc(100));
      wal.append(3, Buffer.alloc(10));
      await wal.close();
      assert.deepEqual(segmentNames(dir), [1, 2, 3].map(segmentFileName));
      assert.equal(fs.statSync(join(dir, segmentFileName(2))).size, 116);
    });
  });

  it("truncateBefore deletes only segments entirely below the position, never the last", async () => {
    await withDir(async (dir) => {
      await writeWal(dir, positions, { segmentBytes: SEGMENT_BYTES });
      const firsts = expectedFirsts();
      const { wal } = Wal.open(dir, { autoRepair: false, segmentBytes: SEGMENT_BYTES });
      assert.equal(wal.stats.segments, firsts.length);

      // Segment 2 holds firsts[2]..firsts[3]-1, so it must stay for position firsts[3]-1.
      assert.equal(wal.truncateBefore(firsts[3]! - 1), 2);
      assert.deepEqual(segmentNames(dir), firsts.slice(2).map(segmentFileName));
      assert.equal(wal.truncateBefore(firsts[3]!), 1);
      assert.deepEqual(segmentNames(dir), firsts.slice(3).map(segmentFileName));
      assert.equal(wal.truncateBefore(firsts[3]!), 0);
      assert.equal(wal.stats.segments, firsts.length - 3);

      // The WAL goes on being written after truncation.
      wal.append(31, entryFor(31));
      await wal.whenDurable(31, "fsync");
      const before = segmentNames(dir).length;
      assert.equal(wal.truncateBefore(1e12), before - 1);
      assert.equal(segmentNames(dir).length, 1);
      assert.equal(wal.stats.segments, 1);
      await wal.close();

      const again = Wal.open(dir, { autoRepair: false, segmentBytes: SEGMENT_BYTES });
      const lastFirst = Number(segmentNames(dir)[0]!.slice(4, 20));
      const expected = [...positions, 31].filter((p) => p >= lastFirst);
      assert.deepEqual(
        plain(again.entries),
        plain(expected.map((p) => ({ position: p, bytes: entryFor(p) }))),
      );
      again.wal.closeSync();
    });
  });

  it("reopened with a smaller segmentBytes, the next append starts a new segment", async () => {
    await withDir(async (dir) => {
      await writeWal(dir, [1, 2, 3]);
      const { wal } = Wal.open(dir, { autoRepair: false, segmentBytes: 20 });
      wal.append(4, entryFor(4));
      await wal.close();
      assert.deepEqual(segmentNames(dir), [1, 4].map(segmentFileName));
      const again = Wal.open(dir, { autoRepair: false });
      assert.deepEqual(
        again.entries.map((e) => e.position),
        [1, 2, 3, 4],
      );
      again.wal.closeSync();
    });
  });
});
