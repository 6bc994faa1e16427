// Match specifications (ets:select/2, mnesia:select/2) in JavaScript.
//
// A spec is an array of clauses, each `[head, guards, body]`:
//
//   [[{name: "$1", sex: "male", age: "$2"}, [[">", "$2", 30]], ["$1"]]]
//   ~ Erlang [{#person{name = '$1', sex = male, age = '$2', _ = '_'}, [{'>', '$2', 30}], ['$1']}]
//
// Head (also a match_object pattern): '_' (any record) or a plain object over the table's
// attributes; an attribute left out is '_'; an attribute not in the table is badarg. Values:
//   '_'            wildcard
//   '$N'           variable, N = 0..100000000 without leading zeros; the first occurrence binds,
//                  later ones must be termEquals
//   [a, b, ...]    an array of the same length, matched elementwise
//   {k: p, ...}    a plain object holding every key k, each matching p (other keys are fine:
//                  Erlang map patterns)
//   anything else  a literal, compared with termEquals
// Other strings beginning with '$' are badarg ('$_' and '$$' included); to match such a string,
// test it in a guard: ['=:=', '$1', {const: '$x'}]. Heads have no {const: X} form: there it is
// a map pattern on the key "const".
//
// Guards (all must be true) and body expressions (the result is the last one's value):
//   '$N'           a variable the head binds (an unbound one is badarg)
//   '$_'           the whole record
//   '$$'           the values of the head's variables in increasing number order
//   number, bigint, boolean, null, Uint8Array, string not beginning with '$': itself
//   {const: X}     X, not evaluated
//   [f, ...args]   a call when f is a function name below (arity checked at compile time)
//   [e, ...]       otherwise a constructed array of evaluated elements; an array meant as data
//                  whose first element is a function name is written [{const: 'abs'}, ...]
//   {k: e, ...}    a constructed object with evaluated values (any form but {const: X})
// A guard, and an argument of a boolean function, must be a boolean: there an array is always a
// call ("unknown function 'foo/2'") and a constructed object is badarg.
//
// Functions (Erlang semantics; number and bigint both stand for Erlang numbers):
//   comparison  < > =< >= (compareTerms)  == =:= (termEquals)  /= =/= (negated)
//   boolean     andalso orelse (short-circuit) and or (evaluate all; these four take one or
//               more arguments, as in ERTS) xor not; every argument must be a boolean
//   arithmetic  + - (unary and binary) * / div rem abs round trunc float: numbers with numbers
//               or bigints with bigints, never mixed; '/' always gives a number (a float);
//               div/rem truncate toward zero and need integers; round is half away from zero;
//               a NaN or infinite result fails (Erlang floats are finite)
//               min max: any two terms by compareTerms (the first when equal), as erlang:min/2
//   bitwise     band bor bxor bnot bsl bsr: bigints, or numbers that are safe integers (and
//               stay safe); the shift count may be either kind, at most 2^20
//   type tests  is_integer (bigint, or an integral number) is_float (a number that is not
//               integral) is_number is_atom (boolean or null) is_boolean is_list is_tuple
//               (both Array.isArray) is_map (plain object) is_binary (Uint8Array) is_string
//               is_null
//   terms       element(N, Array) (1-based) hd tl length size (array or Uint8Array)
//               map_get(Key, Map) is_map_key(Key, Map) map_size byte_size
// A failing guard (bad type, bad arithmetic, out of range, ...) makes its clause not match; a
// failing body makes the clause's result the string "EXIT" (ets gives the atom 'EXIT').
// The first clause whose head and guards match gives the result; if none does, the record is
// not selected (run returns NO_MATCH).
//
// Compilation copies every literal; constant parts of results (a {const: X}, or a constructed
// array or object without variables) are frozen and shared between results. A compiled spec is
// cached by the spec object's identity, so do not mutate a spec after compiling it; and by its
// value, so an equal spec built afresh is not recompiled either. The generated code is cached by
// the spec's shape (its text with literals replaced by their types): specs that differ only in
// constants share it, each bound to its own constants (see ms-parse.ts and ms-cache.ts).

import type { RecordFilter } from "../store/store.js";
import { boundValue, type KeyRange, keyRange } from "./ms-analysis.js";
import { CompileCache, type PreparedSpec, ShapeCache } from "./ms-cache.js";
import { parseMatchSpec, type TableShape } from "./ms-parse.js";

export type { KeyBound, KeyRange } from "./ms-analysis.js";
export type { TableShape } from "./ms-parse.js";

/** What run returns for a record that no clause selects. */
export const NO_MATCH: unique symbol = Symbol("NO_MATCH");

export interface CompiledMatchSpec {
  /** The selected value for this record, or NO_MATCH. Never throws for any record. */
  run(record: object): unknown;
  /**
   * If every clause binds the attribute to the same constant (not '_' or a variable), that
   * constant wrapped as {value}; else undefined. Used to turn a scan into a key or index lookup.
   */
  boundValue(attribute: string): { value: unknown } | undefined;
  /**
   * For a one-clause spec whose key attribute is a constant or a variable: the key's range
   * implied by that constant, or by top-level guards (and nested 'andalso' / 'and') comparing
   * the variable with constants. Undefined when nothing bounds the key. Sound, not exact.
   */
  keyRange(): KeyRange | undefined;
  /** True iff the result of every clause is exactly '$_' (callers may return stored records). */
  readonly returnsRecords: boolean;
  /** Whether a record can match, from the attributes the spec reads (see attributesRead). */
  readonly filter: RecordFilter | undefined;
}

/** Compiled specs kept by key; enough for the distinct queries of an application. */
const CACHE_LIMIT = 500;
/** Specs compiled once wait here before entering the cache above (see CompileCache). */
const PROBATION_LIMIT = 32;
const cache = new CompileCache<CompiledMatchSpec>(CACHE_LIMIT, PROBATION_LIMIT);
/** Generated code kept by shape. */
const SHAPE_LIMIT = 500;
const shapes = new ShapeCache(SHAPE_LIMIT, { noMatch: NO_MATCH });

/**
 * Validates `spec` against the table's attributes (BadArgError with the place of the problem)
 * and compiles it. Compiling an identical spec again is a cache lookup; compiling one that
 * differs only in constants reuses the generated code.
 */
export function compileMatchSpec(spec: unknown, table: TableShape): CompiledMatchSpec {
  return cache.lookup(spec, table, prepare, build);
}

function prepare(spec: unknown, table: TableShape): PreparedSpec {
  return shapes.prepare(parseMatchSpec(spec, table));
}

function build({ parsed, shape }: PreparedSpec, table: TableShape): CompiledMatchSpec {
  const { constants } = parsed;
  const { attributes } = table;
  let bound: Map<string, { value: unknown } | undefined> | undefined;
  let range: KeyRange | undefined | null = null;
  const run = shape.bind(constants);
  const read = shape.attributesRead;
  return Object.freeze({
    run,
    boundValue(attribute: string) {
      bound ??= new Map();
      if (!bound.has(attribute) && attributes.includes(attribute)) {
        bound.set(attribute, boundValue(shape.boundSlots(attribute), constants));
      }
      return bound.get(attribute);
    },
    keyRange() {
      if (range === null) range = keyRange(shape.keyPlan(attributes[0] ?? ""), constants);
      return range;
    },
    returnsRecords: shape.returnsRecords,
    filter:
      read === undefined
        ? undefined
        : Object.freeze({ attributes: read, test: (r: object) => run(r) !== NO_MATCH }),
  });
}
