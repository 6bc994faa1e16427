// match_object patterns: a match spec head on its own (see matchspec.ts for the syntax).
// Compiled like the spec [[pattern, [], [true]]], to a function that returns a boolean.

import type { RecordFilter } from "../store/store.js";
import { boundValue } from "./ms-analysis.js";
import { CompileCache, type PreparedSpec, ShapeCache } from "./ms-cache.js";
import { parsePattern, type TableShape } from "./ms-parse.js";

export interface CompiledPattern {
  /** Whether the record matches. Never throws for any record. */
  test(record: object): boolean;
  /** The constant the pattern puts at `attribute` (not '_' or a variable), else undefined. */
  boundValue(attribute: string): { value: unknown } | undefined;
  /** Whether a record can match, from the attributes the pattern reads (see attributesRead). */
  readonly filter: RecordFilter | undefined;
}

const CACHE_LIMIT = 500;
/** Specs compiled once wait here before entering the cache above (see CompileCache). */
const PROBATION_LIMIT = 32;
const cache = new CompileCache<CompiledPattern>(CACHE_LIMIT, PROBATION_LIMIT);
// Returning true from the clause and false otherwise skips the NO_MATCH comparison.
const shapes = new ShapeCache(CACHE_LIMIT, { noMatch: false });

/** Validates `pattern` (BadArgError naming the place of a problem) and compiles it, with caching. */
export function compilePattern(pattern: unknown, table: TableShape): CompiledPattern {
  return cache.lookup(pattern, table, prepare, build);
}

function prepare(pattern: unknown, table: TableShape): PreparedSpec {
  return shapes.prepare(parsePattern(pattern, table));
}

function build({ parsed, shape }: PreparedSpec, table: TableShape): CompiledPattern {
  const { constants } = parsed;
  const { attributes } = table;
  const test = shape.bind(constants) as (record: object) => boolean;
  const read = shape.attributesRead;
  return Object.freeze({
    test,
    filter: read === undefined ? undefined : Object.freeze({ attributes: read, test }),
    boundValue(attribute: string) {
      if (!attributes.includes(attribute)) return undefined;
      return boundValue(shape.boundSlots(attribute), constants);
    },
  });
}
