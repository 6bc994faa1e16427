// Property: full scans of disc_only_copies tables (which test a spec's attributes on the encoded
// LMDB record and decode only the records that pass) give what the same scans give on a
// ram_copies table holding the same records: select, match_object and foldl, dirty and in
// transactions, for random records and random specs.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, test } from "node:test";
import fc from "fast-check";
import { Mneme } from "../../src/index.js";
import { compareTerms } from "../../src/keys/index.js";

type Rec = Record<string, unknown>;
const ATTRS = ["k", "a", "b", "c"] as const;
const TYPES = ["set", "ordered_set", "bag"] as const;

let dir: string;
let db: Mneme;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-scan-prop-"));
  await Mneme.createSchema({ dir });
  db = await Mneme.open({ dir, durability: "none" });
  for (const type of TYPES) {
    await db.createTable(`ram_${type}`, { attributes: [...ATTRS], type });
    await db.createTable(`lmdb_${type}`, {
      attributes: [...ATTRS],
      type,
      discOnlyCopies: [db.node],
    });
  }
});
after(async () => {
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

// Values of every encoding the field reader meets: small and large integers of both signs (fixint,
// int8..int32, uint8..uint32, beyond), floats, bigints, short and long, ASCII and other strings
// (a lone surrogate too), binaries, nested arrays and objects ("__proto__" keys too), atoms.
const scalar = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.constantFrom(-33, -200, 127, 128, 255, 256, -40000, 70000, 2 ** 31, -(2 ** 31), 2 ** 40, 0.5),
  // (-0 is stored as 0 on disc, whatever the scan.)
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (x === 0 ? 0 : x)),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }),
  fc.constantFrom("a", "b", "é", "x".repeat(40), "\ud800", "", null, true, false),
  // ("$..." strings are variables or badarg in a spec.)
  fc.string({ maxLength: 6 }).filter((x) => !x.startsWith("$")),
  fc.uint8Array({ maxLength: 4 }),
);
const value = fc.oneof(
  { weight: 5, arbitrary: scalar },
  { weight: 1, arbitrary: fc.array(scalar, { maxLength: 3 }) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom("x", "__proto__", "y"), scalar)
      .map(([k, v]) => JSON.parse(`{${JSON.stringify(k)}: 0}`, (_n, w) => (w === 0 ? v : w))),
  },
);
const key = fc.oneof(fc.integer({ min: 0, max: 30 }), fc.constantFrom("k1", "k2", 2n ** 64n, -0.5));
const record = fc.record({ k: key, a: value, b: value, c: value });

const VARS = ["$1", "$2", "$3"];
const headEntry = fc.oneof(
  fc.constant(undefined),
  fc.constant("_"),
  fc.constantFrom(...VARS),
  value,
);
const operand = fc.oneof(fc.constantFrom(...VARS), scalar);
const comparison = fc
  .tuple(fc.constantFrom("<", "=<", ">", ">=", "==", "=:=", "/=", "=/="), operand, operand)
  .map(([op, x, y]) => [op, x, y]);
const guard = fc.oneof(
  comparison,
  fc.array(comparison, { minLength: 1, maxLength: 2 }).map((gs) => ["andalso", ...gs]),
  fc.array(comparison, { minLength: 1, maxLength: 2 }).map((gs) => ["orelse", ...gs]),
  fc.constantFrom(...VARS).map((v) => ["is_integer", v]),
  fc.constantFrom(...VARS).map((v) => ["is_binary", v]),
  fc.constantFrom(...VARS).map((v) => [">", ["size", v], 1]),
);
const body = fc.constantFrom("$_", "$$", "$1", "$2");

function bindOnly(e: unknown, bound: ReadonlySet<string>): unknown {
  if (typeof e === "string" && /^\$\d/.test(e)) return bound.has(e) ? e : 0;
  if (Array.isArray(e)) return e.map((x, i) => (i === 0 ? x : bindOnly(x, bound)));
  return e;
}

const clause = fc
  .tuple(
    fc.tuple(headEntry, headEntry, headEntry, headEntry),
    fc.array(guard, { maxLength: 2 }),
    body,
  )
  .map(([entries, guards, b]) => {
    const head: Rec = {};
    ATTRS.forEach((a, i) => {
      if (entries[i] !== undefined) head[a] = entries[i];
    });
    const bound = new Set(
      Object.values(head).filter((v): v is string => typeof v === "string" && v.startsWith("$")),
    );
    return [head, guards.map((g) => bindOnly(g, bound)), [bindOnly(b, bound)]];
  });
const spec = fc.array(clause, { minLength: 1, maxLength: 2 });
const pattern = fc
  .tuple(headEntry, headEntry, headEntry, headEntry)
  .map((entries) =>
    Object.fromEntries(
      ATTRS.flatMap((a, i) => (entries[i] === undefined ? [] : [[a, entries[i]]])),
    ),
  );

/** Results in one order: set tables list records in different orders in RAM and in LMDB. */
const sorted = (xs: readonly unknown[]) => [...xs].sort(compareTerms);

test("disc_only select, match_object and foldl equal ram_copies ones", async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.constantFrom(...TYPES),
      fc.array(record, { maxLength: 40 }),
      spec,
      pattern,
      async (type, records, ms, p) => {
        const ram = `ram_${type}`;
        const lmdb = `lmdb_${type}`;
        await db.clearTable(ram);
        await db.clearTable(lmdb);
        for (const r of records) {
          db.dirtyWrite(ram, r);
          db.dirtyWrite(lmdb, r);
        }
        /** The result, or the error (both tables must fail alike). */
        const outcome = (f: () => unknown[], ordered: boolean): unknown => {
          try {
            const xs = f();
            return ordered ? xs : sorted(xs);
          } catch (e) {
            return { error: (e as Error).constructor.name, message: (e as Error).message };
          }
        };
        const same = (f: (t: string) => unknown[]) => {
          const ordered = type === "ordered_set";
          assert.deepEqual(
            outcome(() => f(lmdb), ordered),
            outcome(() => f(ram), ordered),
          );
        };
        same((t) => db.dirtySelect(t, ms as never) as unknown[]);
        same((t) => db.dirtyMatchObject(t, p as never) as unknown[]);
        same((t) => db.transactionSync((tx) => tx.select(t, ms as never) as unknown[]));
        same((t) => db.transactionSync((tx) => tx.matchObject(t, p as never) as unknown[]));
        same((t) => db.syncDirty((ctx) => ctx.foldl(t, (r, acc: unknown[]) => [...acc, r], [])));
      },
    ),
    { numRuns: 150 },
  );
});
