// The cluster validator against a naive model that keeps the whole history: for random logs of
// entries (record and table reads at random past positions or of pending entries, record writes,
// whole-table writes, schema changes, dependencies, repeated ids), every decision is the model's.
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import {
  type Decision,
  type ReadItem,
  type ValidatedEntry,
  Validator,
} from "../../src/cluster/validator.js";

interface Logged {
  readonly entry: ValidatedEntry;
  readonly position: number;
  readonly decision: Decision;
}

/** The rule written plainly over the full history (no window bookkeeping). */
function modelDecide(
  history: readonly Logged[],
  entry: ValidatedEntry,
  position: number,
  window: number,
): Decision {
  const committed = (id: string) =>
    history.find(
      (h) =>
        h.entry.id === id && h.decision.outcome === "commit" && h.position >= position - window,
    );
  // Only the first occurrence counts, while it is inside the window (a republish must come sooner).
  const earlier = history.find(
    (h) =>
      h.entry.id === entry.id &&
      h.decision.outcome !== "duplicate" &&
      h.position >= position - window,
  );
  if (earlier !== undefined) return { outcome: "duplicate", of: earlier.decision };
  for (const dependency of entry.dependsOn) {
    if (!committed(dependency))
      return { outcome: "abort", position, reason: "dependency_aborted", dependency };
  }
  for (const read of entry.reads) {
    const where =
      read.kind === "record" ? { table: read.table, key: read.key } : { table: read.table };
    const at = typeof read.at === "number" ? read.at : committed(read.at.after)?.position;
    if (at === undefined) {
      const dependency = typeof read.at === "object" ? read.at.after : undefined;
      return { outcome: "abort", position, reason: "dependency_aborted", ...where, dependency };
    }
    if (at < position - window) return { outcome: "abort", position, reason: "too_old", ...where };
    const stale = history.some(
      (h) =>
        h.decision.outcome === "commit" &&
        h.position > at &&
        (h.entry.tablesWritten.includes(read.table) ||
          h.entry.schemaTables.includes(read.table) ||
          h.entry.writes.some(
            (w) => w.table === read.table && (read.kind === "table" || w.key === read.key),
          )),
    );
    if (stale) return { outcome: "abort", position, reason: "conflict", ...where };
  }
  return { outcome: "commit", position };
}

const tables = ["t1", "t2"];
const keys = [1, 2, 3, "a"];

/** Entries whose reads point at positions or ids drawn relative to what came before. */
const entryArb = fc.record({
  idChoice: fc.nat(40),
  reads: fc.array(
    fc.record({
      kind: fc.constantFrom("record", "table"),
      table: fc.constantFrom(...tables),
      key: fc.constantFrom(...keys),
      back: fc.nat(12),
      pending: fc.option(fc.nat(40), { freq: 4 }),
    }),
    { maxLength: 4 },
  ),
  writes: fc.array(
    fc.record({ table: fc.constantFrom(...tables), key: fc.constantFrom(...keys) }),
    { maxLength: 3 },
  ),
  whole: fc.option(fc.constantFrom(...tables), { freq: 8 }),
  schema: fc.option(fc.constantFrom(...tables), { freq: 10 }),
  deps: fc.array(fc.nat(40), { maxLength: 2 }),
  gap: fc.integer({ min: 1, max: 3 }),
});

test("every decision equals the naive model's, over random logs and windows", () => {
  fc.assert(
    fc.property(
      fc.array(entryArb, { minLength: 1, maxLength: 80 }),
      fc.integer({ min: 1, max: 10 }),
      (raw, window) => {
        const v = new Validator(window);
        const history: Logged[] = [];
        let position = 0;
        for (const r of raw) {
          position += r.gap;
          const reads: ReadItem[] = r.reads.map((x) => {
            const at =
              x.pending !== null ? { after: `tx${x.pending}` } : Math.max(0, position - 1 - x.back);
            return x.kind === "record"
              ? { kind: "record", table: x.table, key: x.key, at }
              : { kind: "table", table: x.table, at };
          });
          const entry: ValidatedEntry = {
            id: `tx${r.idChoice}`,
            reads,
            writes: r.writes,
            tablesWritten: r.whole === null ? [] : [r.whole],
            schemaTables: r.schema === null ? [] : [r.schema],
            dependsOn: r.deps.map((d) => `tx${d}`),
          };
          const expected = modelDecide(history, entry, position, window);
          const actual = v.decide(entry, position);
          assert.deepEqual(actual, expected, `entry ${entry.id} at ${position}`);
          history.push({ entry, position, decision: actual });
        }
      },
    ),
    { numRuns: 400 },
  );
});

test("positions must increase, and the window must be a positive integer", () => {
  const v = new Validator(5);
  const e: ValidatedEntry = {
    id: "a",
    reads: [],
    writes: [],
    tablesWritten: [],
    schemaTables: [],
    dependsOn: [],
  };
  assert.deepEqual(v.decide(e, 3), { outcome: "commit", position: 3 });
  assert.throws(() => v.decide({ ...e, id: "b" }, 3), /log position 3 does not follow 3/);
  assert.throws(() => new Validator(0), /positive integer/);
});

test("a long log keeps only the window's worth of marks", () => {
  const v = new Validator(100);
  for (let p = 1; p <= 50_000; p++) {
    const d = v.decide(
      {
        id: `tx${p}`,
        reads: [{ kind: "record", table: "t", key: p - 1, at: p - 1 }],
        writes: [{ table: "t", key: p }],
        tablesWritten: [],
        schemaTables: [],
        dependsOn: [],
      },
      p,
    );
    assert.equal(d.outcome, "commit");
  }
  const inner = v as unknown as {
    tables: Map<string, { keys: Map<string, number> }>;
    decided: Map<string, unknown>;
  };
  assert.ok((inner.tables.get("t")?.keys.size ?? 0) <= 101);
  assert.ok(inner.decided.size <= 101);
});
