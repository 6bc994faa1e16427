// Shared fixtures for the query tests.

import { compileMatchSpec, NO_MATCH, type TableShape } from "../../src/query/index.js";

/** The table of the Mnesia manual's examples. */
export const PERSON = { name: "person", attributes: ["name", "sex", "age", "salary"] } as const;

export const people = [
  { name: "ann", sex: "female", age: 31, salary: 10 },
  { name: "bob", sex: "male", age: 42, salary: 20 },
  { name: "cid", sex: "male", age: 30, salary: 30 },
  { name: "dan", sex: "male", age: 35, salary: 40 },
] as const;

/** The results of running `spec` over `records`, unmatched records left out, as select does. */
export function select(
  spec: unknown,
  records: readonly object[],
  table: TableShape = PERSON,
): unknown[] {
  const ms = compileMatchSpec(spec, table);
  return records.map((r) => ms.run(r)).filter((x) => x !== NO_MATCH);
}

/** A table whose records carry two values to test functions on: {k, v, w}. */
export const VW = { name: "vw", attributes: ["k", "v", "w"] } as const;

/** The value of body expression `expr` for the record {k: 0, v, w} ('$1' = v, '$2' = w). */
export function evalBody(expr: unknown, v?: unknown, w?: unknown): unknown {
  const ms = compileMatchSpec([[{ v: "$1", w: "$2" }, [], [expr]]], VW);
  return ms.run({ k: 0, v, w });
}

/** Whether guard `guard` holds for {k: 0, v, w} (a failing guard does not). */
export function holds(guard: unknown, v?: unknown, w?: unknown): boolean {
  const ms = compileMatchSpec([[{ v: "$1", w: "$2" }, [guard], [true]]], VW);
  return ms.run({ k: 0, v, w }) !== NO_MATCH;
}
