// The WAL payload of a log entry: what DurableLog writes and recovery reads back. Runs of writes are
// written compactly, large entries in pieces, and a load_table op by the name of its file.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { encodeBlockBytes } from "../../src/codec/block-codec.js";
import { decodeWalPayload, encodeWalPayload, type ReadOp } from "../../src/disc/wal-payload.js";
import type { LogOp } from "../../src/log/entry.js";
import type { Rec } from "../../src/store/store.js";

const rec = (k: number, v: string): Rec => ({ k, v }) as Rec;

/** What decoding must give back for `ops`: the same ops, a load_table as the file it names. */
function expected(ops: readonly LogOp[]): ReadOp[] {
  return ops.map((op) =>
    op.op === "load_table" ? { op: "load_file", table: op.table, file: op.file! } : op,
  );
}

const roundTrip = (ops: readonly LogOp[]) => {
  const parts = encodeWalPayload({ kind: "tid", id: 7, ops });
  return { parts, payload: decodeWalPayload(Buffer.concat(parts)) };
};

const opArb: fc.Arbitrary<LogOp> = fc.oneof(
  fc
    .record({
      table: fc.constantFrom("a", "b"),
      k: fc.integer({ min: 0, max: 50 }),
      v: fc.string(),
    })
    .map(({ table, k, v }) => ({ op: "write", table, key: k, record: rec(k, v) }) as LogOp),
  fc
    .record({ table: fc.constantFrom("a", "b"), k: fc.integer({ min: 0, max: 50 }) })
    .map(({ table, k }) => ({ op: "delete", table, key: k }) as LogOp),
  fc.constantFrom<LogOp>({ op: "clear_table", table: "a" }),
  fc.constantFrom<LogOp>({ op: "load_table", table: "b", records: [rec(1, "x")], file: "b.DCD" }),
);

describe("WAL payloads", () => {
  it("any ops come back in order, small and large entries alike", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.nat({ max: 2500 }), (ops, bulk) => {
        // Many writes after the random ops make some entries large (written in pieces).
        const all: LogOp[] = [...ops];
        for (let i = 0; i < bulk; i++) {
          all.push({ op: "write", table: i % 700 === 0 ? "b" : "a", key: i, record: rec(i, "w") });
        }
        const { payload } = roundTrip(all);
        assert.equal(payload.kind, "tid");
        assert.equal(payload.id, 7);
        assert.deepEqual(payload.ops, expected(all));
      }),
      { numRuns: 60 },
    );
  });

  it("an entry of more than 1,000 records is written in pieces of at most 1,000", () => {
    const ops: LogOp[] = Array.from({ length: 2500 }, (_, i) => ({
      op: "write",
      table: "a",
      key: i,
      record: rec(i, "w"),
    }));
    const { parts, payload } = roundTrip(ops);
    assert.equal(parts[0]![0], 4, "kind 4: pieces");
    // kind byte, then (length, block) for the header and for 3 blocks of ops.
    assert.equal(parts.length, 1 + 2 * (1 + 3));
    assert.equal(payload.ops.length, 2500);
    assert.deepEqual(payload.ops, ops);
  });

  it("a small entry is one block, and a run of writes is written once per table", () => {
    const ops: LogOp[] = Array.from({ length: 100 }, (_, i) => ({
      op: "write",
      table: "a_rather_long_table_name",
      key: i,
      record: rec(i, "w"),
    }));
    const { parts } = roundTrip(ops);
    assert.equal(parts.length, 1);
    const plain = encodeBlockBytes([{ kind: "tid", id: 7, ops }]);
    assert.ok(parts[0]!.length < plain.length - 99 * "a_rather_long_table_name".length);
  });

  it("reads the payloads written before runs and pieces existed", () => {
    const ops: LogOp[] = [
      { op: "write", table: "a", key: 1, record: rec(1, "x") },
      { op: "delete", table: "a", key: 2 },
    ];
    const old = encodeBlockBytes([{ kind: "async_dirty", id: 3, ops }]);
    assert.deepEqual(decodeWalPayload(old), { kind: "async_dirty", id: 3, ops });
  });

  it("a load_table op without a file cannot be logged", () => {
    assert.throws(() =>
      encodeWalPayload({
        kind: "tid",
        id: 1,
        ops: [{ op: "load_table", table: "t", records: [], file: undefined }],
      }),
    );
  });
});
