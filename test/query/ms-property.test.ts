// Property: compiled specs agree with a plain recursive interpreter of the same semantics.

import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { compareTerms, termEquals } from "../../src/keys/index.js";
import { compileMatchSpec, NO_MATCH } from "../../src/query/index.js";

const TABLE = { name: "prop", attributes: ["k", "a", "b"] } as const;
const VARS = ["$1", "$2", "$3"] as const;

// --- reference interpreter -------------------------------------------------------------------

const FAILED = Symbol("failed");

function refFail(): never {
  throw FAILED;
}

function refBool(v: unknown): boolean {
  return typeof v === "boolean" ? v : refFail();
}

function refEval(e: unknown, env: Map<string, unknown>, record: object): unknown {
  if (typeof e === "string") {
    if (e === "$_") return record;
    if (e === "$$") {
      return [...env.keys()]
        .sort((x, y) => Number(x.slice(1)) - Number(y.slice(1)))
        .map((k) => env.get(k));
    }
    return e.startsWith("$") ? env.get(e) : e;
  }
  if (!Array.isArray(e)) return e;
  const [op, ...args] = e as [string, ...unknown[]];
  const ev = (x: unknown) => refEval(x, env, record);
  switch (op) {
    case "andalso":
      for (const a of args) if (!refBool(ev(a))) return false;
      return true;
    case "orelse":
      for (const a of args) if (refBool(ev(a))) return true;
      return false;
    case "and":
      return args.map((a) => refBool(ev(a))).every((x) => x);
    case "or":
      return args.map((a) => refBool(ev(a))).some((x) => x);
    case "xor":
      return refBool(ev(args[0])) !== refBool(ev(args[1]));
    case "not":
      return !refBool(ev(args[0]));
    case "+": {
      const [x, y] = [ev(args[0]), ev(args[1])];
      if (typeof x === "number" && typeof y === "number" && Number.isFinite(x + y)) return x + y;
      if (typeof x === "bigint" && typeof y === "bigint") return x + y;
      return refFail();
    }
    case "<":
      return compareTerms(ev(args[0]), ev(args[1])) < 0;
    case "=<":
      return compareTerms(ev(args[0]), ev(args[1])) <= 0;
    case ">":
      return compareTerms(ev(args[0]), ev(args[1])) > 0;
    case ">=":
      return compareTerms(ev(args[0]), ev(args[1])) >= 0;
    case "==":
    case "=:=":
      return termEquals(ev(args[0]), ev(args[1]));
    case "/=":
    case "=/=":
      return !termEquals(ev(args[0]), ev(args[1]));
    default:
      throw new Error(`reference interpreter: no ${op}`);
  }
}

function refMatch(
  head: Record<string, unknown>,
  record: Record<string, unknown>,
  env: Map<string, unknown>,
): boolean {
  for (const [attribute, p] of Object.entries(head)) {
    const v = record[attribute];
    if (p === "_") continue;
    if (typeof p === "string" && p.startsWith("$")) {
      if (!env.has(p)) env.set(p, v);
      else if (!termEquals(env.get(p), v)) return false;
    } else if (!termEquals(p, v)) {
      return false;
    }
  }
  return true;
}

type Clause = readonly [Record<string, unknown>, readonly unknown[], readonly unknown[]];

function refRun(spec: readonly Clause[], record: Record<string, unknown>): unknown {
  for (const [head, guards, body] of spec) {
    const env = new Map<string, unknown>();
    if (!refMatch(head, record, env)) continue;
    let ok = true;
    for (const g of guards) {
      try {
        ok = refEval(g, env, record) === true;
      } catch {
        ok = false;
      }
      if (!ok) break;
    }
    if (!ok) continue;
    try {
      let result: unknown;
      for (const b of body) result = refEval(b, env, record);
      return result;
    } catch {
      return "EXIT";
    }
  }
  return NO_MATCH;
}

// --- generators ------------------------------------------------------------------------------

const value = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.bigInt({ min: -3n, max: 3n }),
  fc.constantFrom("a", "b", 1.5, null, true, false),
);

const record = fc.record({ k: value, a: value, b: value });

const headEntry = fc.oneof(
  fc.constant(undefined),
  fc.constant("_"),
  fc.constantFrom(...VARS),
  value,
);

const { guard } = fc.letrec((tie) => ({
  guard: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    fc.constantFrom(...VARS, true, false),
    tie("comparison"),
    fc
      .tuple(
        fc.constantFrom("andalso", "orelse", "and", "or"),
        fc.array(tie("guard"), { minLength: 1, maxLength: 3 }),
      )
      .map(([op, args]) => [op, ...args]),
    tie("guard").map((g) => ["not", g]),
    fc.tuple(tie("guard"), tie("guard")).map(([x, y]) => ["xor", x, y]),
  ),
  comparison: fc
    .tuple(
      fc.constantFrom("<", "=<", ">", ">=", "==", "=:=", "/=", "=/="),
      tie("operand"),
      tie("operand"),
    )
    .map(([op, x, y]) => [op, x, y]),
  operand: fc.oneof(
    { depthSize: "small" },
    fc.constantFrom(...VARS),
    value,
    fc.tuple(tie("operand"), tie("operand")).map(([x, y]) => ["+", x, y]),
  ),
}));

const bodyExpr = fc.oneof(
  fc.constantFrom("$_", "$$", ...VARS),
  value,
  fc.constantFrom(...VARS).map((v) => ["+", v, 1]),
);

/** Variables the head does not bind become constants, so every generated spec is valid. */
function bindOnly(e: unknown, bound: ReadonlySet<string>): unknown {
  if (typeof e === "string" && /^\$\d/.test(e)) return bound.has(e) ? e : 0;
  if (Array.isArray(e)) return e.map((x, i) => (i === 0 ? x : bindOnly(x, bound)));
  return e;
}

const clause = fc
  .tuple(
    fc.tuple(headEntry, headEntry, headEntry),
    fc.array(guard, { maxLength: 3 }),
    fc.array(bodyExpr, { minLength: 1, maxLength: 2 }),
  )
  .map(([entries, guards, body]): Clause => {
    const head: Record<string, unknown> = {};
    TABLE.attributes.forEach((attribute, i) => {
      if (entries[i] !== undefined) head[attribute] = entries[i];
    });
    const bound = new Set(
      Object.values(head).filter((v): v is string => typeof v === "string" && v.startsWith("$")),
    );
    return [head, guards.map((g) => bindOnly(g, bound)), body.map((b) => bindOnly(b, bound))];
  });

test("compiled specs agree with a reference interpreter", () => {
  fc.assert(
    fc.property(
      fc.array(clause, { minLength: 1, maxLength: 3 }),
      fc.array(record, { maxLength: 12 }),
      (spec, records) => {
        const ms = compileMatchSpec(spec, TABLE);
        for (const r of records) assert.deepEqual(ms.run(r), refRun(spec, r));
      },
    ),
    { numRuns: 400 },
  );
});

/** Clauses whose key is '$1' and whose guards mostly compare it with constants. */
const keyComparison = fc
  .tuple(fc.constantFrom("<", "=<", ">", ">=", "==", "=:=", "/="), value, fc.boolean())
  .map(([op, c, flip]) => (flip ? [op, c, "$1"] : [op, "$1", c]));
const rangeGuard = fc.oneof(
  keyComparison,
  fc.array(keyComparison, { minLength: 1, maxLength: 3 }).map((args) => ["andalso", ...args]),
  fc.array(keyComparison, { minLength: 1, maxLength: 3 }).map((args) => ["and", ...args]),
  fc.array(keyComparison, { minLength: 1, maxLength: 2 }).map((args) => ["orelse", ...args]),
  guard,
);
const rangeClause = fc
  .tuple(fc.oneof(fc.constant("$1"), value), fc.array(rangeGuard, { maxLength: 3 }))
  .map(
    ([k, guards]): Clause => [
      { k },
      guards.map((g) => bindOnly(g, new Set(k === "$1" ? ["$1"] : []))),
      ["$_"],
    ],
  );

test("keyRange and boundValue never exclude a selected record", () => {
  fc.assert(
    fc.property(
      fc.oneof(clause, rangeClause),
      fc.array(record, { maxLength: 20 }),
      (c, records) => {
        const ms = compileMatchSpec([c], TABLE);
        const range = ms.keyRange();
        for (const r of records) {
          if (ms.run(r) === NO_MATCH) continue;
          if (range?.lower !== undefined) {
            const cmp = compareTerms(r.k, range.lower.value);
            assert.ok(cmp > 0 || (cmp === 0 && range.lower.inclusive));
          }
          if (range?.upper !== undefined) {
            const cmp = compareTerms(r.k, range.upper.value);
            assert.ok(cmp < 0 || (cmp === 0 && range.upper.inclusive));
          }
          for (const attribute of TABLE.attributes) {
            const bound = ms.boundValue(attribute);
            if (bound !== undefined) assert.ok(termEquals(r[attribute], bound.value));
          }
        }
      },
    ),
    { numRuns: 600 },
  );
});
