// The guard and body functions a match spec may call: their arities, and the JavaScript each
// call compiles to. Arguments arrive as already generated JavaScript expressions; the emitted
// code references only the RUNTIME names (see ms-runtime.ts), never user text.

import type { RuntimeName } from "./ms-runtime.js";

/** A generated argument; `boolean` when it is known to evaluate to a boolean. */
export interface Arg {
  readonly code: string;
  readonly boolean: boolean;
}

export interface FunctionDef {
  readonly minArity: number;
  readonly maxArity: number;
  /** Arguments must be booleans (so a constructed array or object there is a spec error). */
  readonly booleanArgs: boolean;
  /** The result is always a boolean (so callers can skip the check). */
  readonly returnsBoolean: boolean;
  readonly emit: (args: readonly Arg[]) => string;
}

const VARIADIC = Number.POSITIVE_INFINITY;

const call =
  (name: RuntimeName) =>
  (args: readonly Arg[]): string =>
    `${name}(${args.map((a) => a.code).join(", ")})`;

/** The argument as a checked boolean. */
const checked = (a: Arg): string => (a.boolean ? a.code : `bool(${a.code})`);

/** Folds `f(f(a, b), c)`: every argument is evaluated, as Erlang's 'and' / 'or' do. */
const fold =
  (name: RuntimeName) =>
  (args: readonly Arg[]): string =>
    args.length === 1
      ? checked(args[0]!)
      : args.slice(1).reduce((acc, a) => `${name}(${acc}, ${a.code})`, args[0]!.code);

/** Short-circuit chain over booleans: `andalso` / `orelse`. */
const chain =
  (op: "&&" | "||") =>
  (args: readonly Arg[]): string =>
    `(${args.map(checked).join(` ${op} `)})`;

const compare =
  (op: "<" | ">" | "<=" | ">=") =>
  (args: readonly Arg[]): string =>
    `(cmp(${args[0]!.code}, ${args[1]!.code}) ${op} 0)`;

const equal = (args: readonly Arg[]): string => `eq(${args[0]!.code}, ${args[1]!.code})`;
const notEqual = (args: readonly Arg[]): string => `!eq(${args[0]!.code}, ${args[1]!.code})`;

type Kind = "value" | "test" | "logic";

/** `test`: returns a boolean; `logic`: also takes booleans. */
function def(
  minArity: number,
  maxArity: number,
  emit: (args: readonly Arg[]) => string,
  kind: Kind = "value",
): FunctionDef {
  return {
    minArity,
    maxArity,
    emit,
    booleanArgs: kind === "logic",
    returnsBoolean: kind !== "value",
  };
}

const unary = (name: RuntimeName, kind: Kind = "value") => def(1, 1, call(name), kind);
const binary = (name: RuntimeName, kind: Kind = "value") => def(2, 2, call(name), kind);
const typeTest = (name: RuntimeName) => unary(name, "test");

export const FUNCTIONS: ReadonlyMap<string, FunctionDef> = new Map<string, FunctionDef>([
  ["<", def(2, 2, compare("<"), "test")],
  [">", def(2, 2, compare(">"), "test")],
  ["=<", def(2, 2, compare("<="), "test")],
  [">=", def(2, 2, compare(">="), "test")],
  ["==", def(2, 2, equal, "test")],
  ["=:=", def(2, 2, equal, "test")],
  ["/=", def(2, 2, notEqual, "test")],
  ["=/=", def(2, 2, notEqual, "test")],

  ["andalso", def(1, VARIADIC, chain("&&"), "logic")],
  ["orelse", def(1, VARIADIC, chain("||"), "logic")],
  ["and", def(1, VARIADIC, fold("and2"), "logic")],
  ["or", def(1, VARIADIC, fold("or2"), "logic")],
  ["xor", def(2, 2, call("xor"), "logic")],
  ["not", def(1, 1, (args) => `!${checked(args[0]!)}`, "logic")],

  ["+", binary("add")],
  ["-", def(1, 2, (args) => (args.length === 1 ? call("neg")(args) : call("sub")(args)))],
  ["*", binary("mul")],
  ["/", binary("fdiv")],
  ["div", binary("idiv")],
  ["rem", binary("rem")],
  ["abs", unary("abs")],
  ["round", unary("round")],
  ["trunc", unary("trunc")],
  ["float", unary("float")],
  ["min", binary("min")],
  ["max", binary("max")],

  ["band", binary("band")],
  ["bor", binary("bor")],
  ["bxor", binary("bxor")],
  ["bnot", unary("bnot")],
  ["bsl", binary("bsl")],
  ["bsr", binary("bsr")],

  ["is_integer", typeTest("is_integer")],
  ["is_float", typeTest("is_float")],
  ["is_number", typeTest("is_number")],
  ["is_atom", typeTest("is_atom")],
  ["is_boolean", typeTest("is_boolean")],
  ["is_list", typeTest("is_list")],
  ["is_tuple", typeTest("is_list")],
  ["is_map", typeTest("is_map")],
  ["is_binary", typeTest("is_binary")],
  ["is_string", typeTest("is_string")],
  ["is_null", typeTest("is_null")],

  ["element", binary("element")],
  ["hd", unary("hd")],
  ["tl", unary("tl")],
  ["length", unary("length")],
  ["size", unary("size")],
  ["map_get", binary("map_get")],
  ["is_map_key", binary("is_map_key", "test")],
  ["map_size", unary("map_size")],
  ["byte_size", unary("byte_size")],
]);

/** The comparisons keyRange turns into bounds on the key. */
export const RANGE_COMPARISONS: ReadonlySet<string> = new Set(["<", "=<", ">", ">=", "==", "=:="]);

/** Describes the accepted arities, for error messages. */
export function arityText(f: FunctionDef): string {
  if (f.maxArity === VARIADIC)
    return `at least ${f.minArity} argument${f.minArity === 1 ? "" : "s"}`;
  if (f.minArity === f.maxArity) return `${f.minArity} argument${f.minArity === 1 ? "" : "s"}`;
  return `${f.minArity} or ${f.maxArity} arguments`;
}
