// The guard and body functions a match spec may call: their arities, and the JavaScript each
// call compiles to. Arguments arrive as already generated JavaScript expressions; the emitted
// code references only the RUNTIME names (see ms-runtime.ts), temporaries the context gives,
// and the names of constants, never user text.

import type { ConstType } from "./ms-ast.js";
import type { RuntimeName } from "./ms-runtime.js";

/** A generated argument. */
export interface Arg {
  readonly code: string;
  /** Known to evaluate to a boolean. */
  readonly boolean: boolean;
  /** The code is a name, so it can be repeated without evaluating anything twice. */
  readonly simple: boolean;
  /** For a constant (whose code is its name): its type. */
  readonly constType: ConstType | undefined;
}

export interface EmitContext {
  /** A fresh temporary variable of the run function. */
  temp(): string;
}

export interface FunctionDef {
  readonly minArity: number;
  readonly maxArity: number;
  /** Arguments must be booleans (so a constructed array or object there is a spec error). */
  readonly booleanArgs: boolean;
  /** The result is always a boolean (so callers can skip the check). */
  readonly returnsBoolean: boolean;
  readonly emit: (args: readonly Arg[], context: EmitContext) => string;
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

// --- comparisons, specialised for a constant operand ------------------------------------------
//
// compareTerms and termEquals decide every case; against a constant of a known type the common
// case is decided inline: numbers with numbers, bigints with bigints and strings with strings
// are ordered by JavaScript's operators exactly as by compareTerms, except that NaN is the
// lowest number (so `v < k` is written `!(v >= k)`), and strings only when the constant has no
// code unit >= 0xD800 (type "s"; JavaScript compares UTF-16 units, terms code points).

type Op = "<" | ">" | "<=" | ">=";

const FLIPPED: Readonly<Record<Op, Op>> = { "<": ">", ">": "<", "<=": ">=", ">=": "<=" };

const FAST_TYPE: Partial<Readonly<Record<ConstType, string>>> = {
  n: "number",
  i: "bigint",
  s: "string",
};

/** A name for the value of `x`: itself if simple, else a temporary assigned by `assign`. */
function operand(x: Arg, context: EmitContext): { assign: string; name: string } {
  if (x.simple) return { assign: "", name: x.code };
  const name = context.temp();
  return { assign: `${name} = ${x.code}, `, name };
}

/** `compareTerms(x, k) op 0` for the constant named `k`. */
function compareWithConstant(
  op: Op,
  x: Arg,
  k: string,
  type: ConstType,
  context: EmitContext,
): string {
  const fastType = FAST_TYPE[type];
  if (fastType === undefined) return `(cmp(${x.code}, ${k}) ${op} 0)`;
  const { assign, name: v } = operand(x, context);
  const fast =
    type === "n" && (op === "<" || op === "<=")
      ? `!(${v} ${op === "<" ? ">=" : ">"} ${k})`
      : `${v} ${op} ${k}`;
  return `(${assign}typeof ${v} === "${fastType}" ? ${fast} : cmp(${v}, ${k}) ${op} 0)`;
}

/** `termEquals(x, k)` for the constant named `k`. */
export function equalsConstant(x: Arg, k: string, type: ConstType, context: EmitContext): string {
  switch (type) {
    case "s":
    case "S":
    case "b":
    case "z":
      // A string, boolean or null term equals only itself.
      return `(${x.code} === ${k})`;
    case "n":
    case "i": {
      // A number (not NaN) equals itself (-0 and 0 included) and the bigint of its value.
      const { assign, name: v } = operand(x, context);
      const other = type === "n" ? "bigint" : "number";
      return `(${assign}${v} === ${k} || (typeof ${v} === "${other}" && eq(${v}, ${k})))`;
    }
    default:
      return `eq(${x.code}, ${k})`;
  }
}

const compare =
  (op: Op) =>
  (args: readonly Arg[], context: EmitContext): string => {
    const [a, b] = args as [Arg, Arg];
    if (b.constType !== undefined && a.constType === undefined) {
      return compareWithConstant(op, a, b.code, b.constType, context);
    }
    if (a.constType !== undefined && b.constType === undefined) {
      // compareTerms is antisymmetric: k op x is x flipped(op) k.
      return compareWithConstant(FLIPPED[op], b, a.code, a.constType, context);
    }
    return `(cmp(${a.code}, ${b.code}) ${op} 0)`;
  };

function equal(args: readonly Arg[], context: EmitContext): string {
  const [a, b] = args as [Arg, Arg];
  if (b.constType !== undefined && a.constType === undefined) {
    return equalsConstant(a, b.code, b.constType, context);
  }
  if (a.constType !== undefined && b.constType === undefined) {
    return equalsConstant(b, a.code, a.constType, context);
  }
  return `eq(${a.code}, ${b.code})`;
}

const notEqual = (args: readonly Arg[], context: EmitContext): string => `!${equal(args, context)}`;

type Kind = "value" | "test" | "logic";

/** `test`: returns a boolean; `logic`: also takes booleans. */
function def(
  minArity: number,
  maxArity: number,
  emit: (args: readonly Arg[], context: EmitContext) => string,
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
