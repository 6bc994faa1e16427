// Static facts about a compiled spec that let callers avoid full scans. Each answer is sound:
// it never excludes a record the spec would select (the spec still runs on every candidate).

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

/** The constant every clause's head puts at `attribute`, if they all put the same one. */
export function boundValueOf(
  clauses: readonly Clause[],
  attribute: string,
): { value: unknown } | undefined {
  let found: { value: unknown } | undefined;
  for (const c of clauses) {
    const node = c.head.find((f) => f.attribute === attribute)?.node;
    if (node?.kind !== "lit") return undefined;
    if (found === undefined) found = Object.freeze({ value: node.value });
    else if (!termEquals(found.value, node.value)) return undefined;
  }
  return found;
}

/** '<' on (x, c) is '>' on (c, x). */
const FLIPPED: Readonly<Record<string, string>> = { "<": ">", ">": "<", "=<": ">=", ">=": "=<" };

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

/**
 * The range of the key implied by a one-clause spec: a constant key, or a key variable limited
 * by top-level guards (through 'andalso' / 'and', never 'orelse') comparing it with constants.
 */
export function keyRangeOf(clauses: readonly Clause[], keyAttribute: string): KeyRange | undefined {
  if (clauses.length !== 1) return undefined;
  const clause = clauses[0]!;
  const node = clause.head.find((f) => f.attribute === keyAttribute)?.node;
  if (node?.kind === "lit") {
    const point = Object.freeze({ value: node.value, inclusive: true });
    return Object.freeze({ lower: point, upper: point });
  }
  if (node?.kind !== "var") return undefined;
  const keyVar = node.n;
  const range = new RangeBuilder();
  const visit = (e: Expr): void => {
    if (e.kind !== "call") return;
    if (e.fn === "andalso" || e.fn === "and") {
      e.args.forEach(visit);
      return;
    }
    if (!RANGE_COMPARISONS.has(e.fn)) return;
    const [a, b] = e.args;
    if (a?.kind === "var" && a.n === keyVar && b?.kind === "const") range.add(e.fn, b.value);
    else if (b?.kind === "var" && b.n === keyVar && a?.kind === "const")
      range.add(FLIPPED[e.fn] ?? e.fn, a.value);
  };
  clause.guards.forEach(visit);
  const { lower, upper } = range;
  if (lower === undefined && upper === undefined) return undefined;
  return Object.freeze({
    ...(lower !== undefined && { lower: Object.freeze(lower) }),
    ...(upper !== undefined && { upper: Object.freeze(upper) }),
  });
}

/** Every clause returns the record itself ('$_' last, nothing before it that can fail). */
export function returnsRecordsOf(clauses: readonly Clause[]): boolean {
  return clauses.every(
    (c) => c.body[c.body.length - 1]?.kind === "record" && c.body.every(infallible),
  );
}
