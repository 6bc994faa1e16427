import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { BadArgError } from "../../src/errors.js";
import { Wal } from "../../src/wal/index.js";
import { entryFor, plain, segmentNames, withDir } from "./helpers.js";

const range = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe("WAL round trip", () => {
  for (const mode of ["fsync", "os"] as const) {
    it(`returns exactly the appended entries after whenDurable(${mode})`, async () => {
      await withDir(async (dir) => {
        const { wal, entries } = Wal.open(dir, { autoRepair: false });
        assert.deepEqual(entries, []);
        assert.equal(wal.lastPosition, 0);
        const positions = range(1, 200);
        for (const p of positions) wal.append(p, entryFor(p));
        assert.equal(wal.lastPosition, 200);
        await wal.whenDurable(200, mode);
        if (mode === "fsync") assert.equal(wal.durablePosition, 200);
        wal.closeSync();
        const again = Wal.open(dir, { autoRepair: false });
        assert.deepEqual(
          plain(again.entries),
          plain(positions.map((p) => ({ position: p, bytes: entryFor(p) }))),
        );
        assert.equal(again.wal.lastPosition, 200);
        await again.wal.close();
      });
    });
  }

  it("property: entries with gaps in positions, any segment size, come back in order", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 1000 }), fc.uint8Array({ maxLength: 60 })), {
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 300 }),
        fc.boolean(),
        async (steps, segmentBytes, reopenMidway) => {
          await withDir(async (dir) => {
            let { wal } = Wal.open(dir, { autoRepair: false, segmentBytes });
            const expected: (readonly [number, number[]])[] = [];
            let position = 0;
            for (const [i, [gap, bytes]] of steps.entries()) {
              position += gap;
              wal.append(position, bytes);
              expected.push([position, [...bytes]]);
              if (reopenMidway && i === steps.length >> 1) {
                await wal.close();
                wal = Wal.open(dir, { autoRepair: false, segmentBytes }).wal;
              }
            }
            await wal.close();
            const again = Wal.open(dir, { autoRepair: false, segmentBytes });
            assert.deepEqual(plain(again.entries), expected);
            assert.equal(again.wal.lastPosition, position);
            assert.equal(again.wal.stats.segments, segmentNames(dir).length);
            again.wal.closeSync();
          });
        },
      ),
      { numRuns: 40 },
    );
  });

  it("continues after the last position when reopened", async () => {
    await withDir(async (dir) => {
      const a = Wal.open(dir, { autoRepair: false }).wal;
      a.append(5, entryFor(5));
      a.append(9, entryFor(9));
      await a.close();
      const b = Wal.open(dir, { autoRepair: false }).wal;
      assert.equal(b.lastPosition, 9);
      assert.throws(() => b.append(9, entryFor(9)), BadArgError);
      b.append(10, entryFor(10));
      await b.close();
      const c = Wal.open(dir, { autoRepair: false });
      assert.deepEqual(
        c.entries.map((e) => e.position),
        [5, 9, 10],
      );
      c.wal.closeSync();
    });
  });

  it("an unused WAL leaves no segment file", async () => {
    await withDir(async (dir) => {
      const { wal } = Wal.open(`${dir}/sub/wal`, { autoRepair: false });
      await wal.close();
      assert.deepEqual(segmentNames(`${dir}/sub/wal`), []);
    });
  });

  it("rejects bad positions, entries and options", async () => {
    await withDir(async (dir) => {
      assert.throws(() => Wal.open(dir, { autoRepair: false, segmentBytes: 0 }), BadArgError);
      const { wal } = Wal.open(dir, { autoRepair: false });
      assert.throws(() => wal.append(0, entryFor(1)), BadArgError);
      assert.throws(() => wal.append(1.5, entryFor(1)), BadArgError);
      assert.throws(() => wal.append(2 ** 53, entryFor(1)), BadArgError);
      assert.throws(() => wal.append(1, "x" as unknown as Uint8Array), BadArgError);
      wal.append(Number.MAX_SAFE_INTEGER, entryFor(1));
      await assert.rejects(wal.whenDurable(1, "never" as "os"), BadArgError);
      await wal.close();
      const { entries, wal: again } = Wal.open(dir, { autoRepair: false });
      assert.deepEqual(
        entries.map((e) => e.position),
        [Number.MAX_SAFE_INTEGER],
      );
      again.closeSync();
    });
  });

  it("whenDurable: none resolves at once, a position past the end waits for the last one", async () => {
    await withDir(async (dir) => {
      const { wal } = Wal.open(dir, { autoRepair: false });
      wal.append(3, entryFor(3));
      await wal.whenDurable(3, "none");
      assert.equal(wal.stats.writes, 1);
      await wal.whenDurable(100, "fsync");
      assert.equal(wal.durablePosition, 3);
      assert.equal(wal.stats.writes, 1);
      assert.equal(wal.stats.fsyncs, 1);
      await wal.whenDurable(2, "fsync");
      assert.equal(wal.stats.fsyncs, 1);
      await wal.close();
    });
  });

  it("a closed WAL refuses appends", async () => {
    await withDir(async (dir) => {
      const { wal } = Wal.open(dir, { autoRepair: false });
      wal.append(1, entryFor(1));
      const durable = wal.whenDurable(1, "fsync");
      await wal.close();
      await durable;
      assert.throws(() => wal.append(2, entryFor(2)), /node_not_running/);
      await wal.whenDurable(1, "fsync");
      await wal.close();
      wal.closeSync();
    });
  });
});
