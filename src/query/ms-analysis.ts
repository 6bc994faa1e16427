// Static facts about a compiled spec that let callers avoid full scans. Each answer is sound:
// it never excludes a record the spec would select (the spec still runs on every candidate).
//
// The facts are worked out in two steps: a plan from the clauses that depends only on the
// shape (which literal slots matter), and its answer for one spec's constants. Specs that
// differ only in constants share the plan.

import { compareTerms, termEquals } from "../keys/index.js";
import type { Clause, Expr } from "./ms-ast.js";
import { infallible } from "./ms-codegen.js";
import { RANGE_COMPARISONS } from "./ms-functions.js";

export interface KeyBound {
  readonly value: unknown;
  readonly inclusive: boolean;
}

export interface KeyRange {
  readonly lower?: KeyBound;
  readonly upper?: KeyBound;
}

/**
 * The slots of the literals each clause's head puts at `attribute`, one per clause; undefined
 * when a clause puts something else there (or there are no clauses).
 */
export function boundSlots(
  clauses: readonly Clause[],
  attribute: string,
): readonly number[] | undefined {
  if (clauses.length === 0) return undefined;
  const slots: number[] = [];
  for (const c of clauses) {
    const node = c.head.find((f) => f.attribute === attribute)?.node;
    if (node?.kind !== "lit") return undefined;
    slots.push(node.slot);
  }
  return slots;
}

/** The constant every clause's head puts at the attribute of `slots`, if they all put the same one. */
export function boundValue(
  slots: readonly number[] | undefined,
  constants: readonly unknown[],
): { value: unknown } | undefined {
  if (slots === undefined) return undefined;
  const value = constants[slots[0]!];
  for (let i = 1; i < slots.length; i++) {
    if (!termEquals(value, constants[slots[i]!])) return undefined;
  }
  return Object.freeze({ value });
}

/** '<' on (x, c) is '>' on (c, x). */
const FLIPPED: Readonly<Record<string, string>> = { "<": ">", ">": "<", "=<": ">=", ">=": "=<" };

/**
 * How a one-clause spec bounds its key: a literal key (the slot of the point), or a key variable
 * compared with literals by top-level guards ("key <op> constant at slot", op from
 * RANGE_COMPARISONS, with the constant on the right).
 */
export type KeyPlan =
  | { readonly point: number }
  | { readonly bounds: readonly (readonly [op: string, slot: number])[] };

/**
 * The plan for the key range of a one-clause spec: a constant key, or a key variable limited by
 * top-level guards (through 'andalso' / 'and', never 'orelse') comparing it with constants.
 */
export function keyPlan(clauses: readonly Clause[], keyAttribute: string): KeyPlan | undefined {
  if (clauses.length !== 1) return undefined;
  const clause = clauses[0]!;
  const node = clause.head.find((f) => f.attribute === keyAttribute)?.node;
  if (node?.kind === "lit") return { point: node.slot };
  if (node?.kind !== "var") return undefined;
  const keyVar = node.n;
  const bounds: (readonly [string, number])[] = [];
  const visit = (e: Expr): void => {
    if (e.kind !== "call") return;
    if (e.fn === "andalso" || e.fn === "and") {
      e.args.forEach(visit);
      return;
    }
    if (!RANGE_COMPARISONS.has(e.fn)) return;
    const [a, b] = e.args;
    if (a?.kind === "var" && a.n === keyVar && b?.kind === "const") bounds.push([e.fn, b.slot]);
    else if (b?.kind === "var" && b.n === keyVar && a?.kind === "const")
      bounds.push([FLIPPED[e.fn] ?? e.fn, a.slot]);
  };
  clause.guards.forEach(visit);
  return bounds.length === 0 ? undefined : { bounds };
}

class RangeBuilder {
  lower: KeyBound | undefined;
  upper: KeyBound | undefined;

  /** Adds "key <op> value". */
  add(op: string, value: unknown): void {
    if (op === "<" || op === "=<") this.tightenUpper({ value, inclusive: op === "=<" });
    else if (op === ">" || op === ">=") this.tightenLower({ value, inclusive: op === ">=" });
    else {
      const point = { value, inclusive: true };
      this.tightenLower(point);
      this.tightenUpper(point);
    }
  }

  private tightenLower(b: KeyBound): void {
    const c = this.lower === undefined ? 1 : compareTerms(b.value, this.lower.value);
    if (c > 0) this.lower = b;
    else if (c === 0 && this.lower !== undefined && !b.inclusive) this.lower = b;
  }

  private tightenUpper(b: KeyBound): void {
    const c = this.upper === undefined ? -1 : compareTerms(b.value, this.upper.value);
    if (c < 0) this.upper = b;
    else if (c === 0 && this.upper !== undefined && !b.inclusive) this.upper = b;
  }
}

/** The key range `plan` gives for `constants`. */
export function keyRange(
  plan: KeyPlan | undefined,
  constants: readonly unknown[],
): KeyRange | undefined {
  if (plan === undefined) return undefined;
  if ("point" in plan) {
    const point = Object.freeze({ value: constants[plan.point], inclusive: true });
    return Object.freeze({ lower: point, upper: point });
  }
  const range = new RangeBuilder();
  for (const [op, slot] of plan.bounds) range.add(op, constants[slot]);
  const lower = range.lower === undefined ? undefined : Object.freeze(range.lower);
  const upper = range.upper === undefined ? undefined : Object.freeze(range.upper);
  if (lower === undefined) return Object.freeze({ upper });
  return Object.freeze(upper === undefined ? { lower } : { lower, upper });
}

/**
 * The attributes whose values decide whether a record matches: those the heads constrain and
 * those the guards read. Undefined when that takes the whole record (a guard reads '$_', a clause
 * checks the record's shape) or nothing at all (every record matches). A record matches exactly
 * when an object holding only these attributes, with the record's values, does.
 */
export function attributesRead(clauses: readonly Clause[]): readonly string[] | undefined {
  const read = new Set<string>();
  let whole = false;
  const visit = (e: Expr): void => {
    if (e.kind === "record") whole = true;
    else if (e.kind === "field") read.add(e.attribute);
    else if (e.kind === "call") e.args.forEach(visit);
    else if (e.kind === "array") e.items.forEach(visit);
    else if (e.kind === "object") for (const [, v] of e.entries) visit(v);
  };
  for (const c of clauses) {
    if (c.shape !== undefined) return undefined;
    for (const f of c.head) read.add(f.attribute);
    c.guards.forEach(visit);
  }
  return whole || read.size === 0 ? undefined : [...read];
}

/** Every clause returns the record itself ('$_' last, nothing before it that can fail). */
export function returnsRecordsOf(clauses: readonly Clause[]): boolean {
  return clauses.every(
    (c) => c.body[c.body.length - 1]?.kind === "record" && c.body.every(infallible),
  );
}
