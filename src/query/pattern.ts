// match_object patterns: a match spec head on its own (see matchspec.ts for the syntax).
// Compiled like the spec [[pattern, [], ['$_']]], but to a function that returns a boolean.

import { boundValueOf } from "./ms-analysis.js";
import type { Clause } from "./ms-ast.js";
import { CompileCache } from "./ms-cache.js";
import { generateRun } from "./ms-codegen.js";
import { parsePattern, type TableShape } from "./ms-parse.js";

export interface CompiledPattern {
  /** Whether the record matches. Never throws for any record. */
  test(record: object): boolean;
  /** The constant the pattern puts at `attribute` (not '_' or a variable), else undefined. */
  boundValue(attribute: string): { value: unknown } | undefined;
}

const CACHE_LIMIT = 500;
const cache = new CompileCache<CompiledPattern>(CACHE_LIMIT);

/** Validates `pattern` (BadArgError naming the place of a problem) and compiles it, with caching. */
export function compilePattern(pattern: unknown, table: TableShape): CompiledPattern {
  return cache.get(pattern, table, () => build(pattern, table));
}

function build(pattern: unknown, table: TableShape): CompiledPattern {
  const parsed = parsePattern(pattern, table);
  // Returning true from the clause and false otherwise skips the NO_MATCH comparison.
  const clause: Clause = { ...parsed, body: [{ kind: "const", value: true }] };
  const test = generateRun([clause], { noMatch: false }) as (record: object) => boolean;
  return Object.freeze({
    test,
    boundValue: (attribute: string) => boundValueOf([clause], attribute),
  });
}
