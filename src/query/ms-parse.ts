// Validation of match specs and patterns into the AST of ms-ast.ts. Every malformed input is a
// BadArgError whose message names the place (clause, guard or body index, path inside it).
//
// One walk validates the input, builds the AST, copies every literal into a constants array
// (each literal node names its slot) and writes the input's shape: a text of the input with
// every literal replaced by its ConstType. Inputs of equal shape compile to the same code, run
// with their own constants, so the shape names everything the generated code depends on:
// structure, attribute names, map keys, function names, variable numbers and constant types.

import { BadArgError } from "../errors.js";
import { MAX_NESTING } from "../keys/index.js";
import { Literal } from "./literal.js";
import type { Clause, ConstType, Expr, HeadField, PatternNode } from "./ms-ast.js";
import { arityText, FUNCTIONS } from "./ms-functions.js";
import { copyTerm, describe, isPlainObject, notATerm } from "./terms.js";

export interface TableShape {
  readonly name: string;
  readonly attributes: readonly string[];
  /** Element 1 of '$_' seen as a tuple (Mnesia's record name); the table name if absent. */
  readonly recordName?: string;
  /** The table may hold records of older attributes (transformTable "ignore"). */
  readonly mixedShapes?: boolean;
}

/**
 * The functions that see '$_' as Mnesia's record tuple, {RecordName, Attr1, Attr2, ...}, with the
 * position of that argument: element(N, '$_') is the record name for N = 1, then the attributes.
 */
const TUPLE_ARGUMENT: ReadonlyMap<string, number> = new Map([
  ["element", 2],
  ["size", 1],
  ["is_tuple", 1],
]);

/** A validated match spec or pattern. */
export interface ParsedSpec {
  readonly clauses: readonly Clause[];
  /** Frozen copies of the literals, by slot. */
  readonly constants: readonly unknown[];
  /** Equal for inputs that differ at most in the values of literals of the same ConstType. */
  readonly shape: string;
}

type Path = readonly (string | number)[];

const MAX_VAR = 100_000_000;

/**
 * The number of a match variable, or undefined if `s` is not one: '$0' .. '$100000000',
 * digits only, no leading zero (as ERTS's db_is_variable).
 */
export function varNumber(s: string): number | undefined {
  const length = s.length;
  if (length < 2 || length > 10 || s.charCodeAt(0) !== 0x24) return undefined;
  if (length > 2 && s.charCodeAt(1) === 0x30) return undefined;
  let n = 0;
  for (let i = 1; i < length; i++) {
    const d = s.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    n = n * 10 + d;
  }
  return n <= MAX_VAR ? n : undefined;
}

/** True if JavaScript's `<` on strings agrees with the term order against `s` (no unit >= 0xD800). */
function ordersAsJavaScript(s: string): boolean {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) >= 0xd800) return false;
  return true;
}

function constType(v: unknown): ConstType {
  switch (typeof v) {
    case "number":
      return Number.isNaN(v) ? "N" : "n";
    case "bigint":
      return "i";
    case "string":
      return ordersAsJavaScript(v) ? "s" : "S";
    case "boolean":
      return "b";
    default:
      if (v === null) return "z";
      if (v instanceof Uint8Array) return "y";
      return Array.isArray(v) ? "A" : "O";
  }
}

/** The shape token of a literal; every token of the shape ends in "," or a closing bracket. */
const CONST_TOKEN: Readonly<Record<ConstType, string>> = {
  n: "'n,",
  N: "'N,",
  i: "'i,",
  s: "'s,",
  S: "'S,",
  b: "'b,",
  z: "'z,",
  y: "'y,",
  A: "'A,",
  O: "'O,",
};

const ANY: PatternNode = Object.freeze({ kind: "any" });
const RECORD: Expr = Object.freeze({ kind: "record" });
const ALL: Expr = Object.freeze({ kind: "all" });

/** JSON texts of attribute names (shape tokens), per attribute list. */
const quotedNames = new WeakMap<readonly string[], readonly string[]>();

function quoted(attributes: readonly string[]): readonly string[] {
  let q = quotedNames.get(attributes);
  if (q === undefined) {
    q = attributes.map((a) => `${JSON.stringify(a)}:`);
    quotedNames.set(attributes, q);
  }
  return q;
}

function pathText(path: Path): string {
  let out = "";
  for (const p of path) {
    out +=
      typeof p === "number"
        ? `[${p}]`
        : /^[A-Za-z_$][\w$]*$/.test(p)
          ? `.${p}`
          : `[${JSON.stringify(p)}]`;
  }
  return out;
}

/** `hint` says how to get the string itself where '$' strings are reserved. */
function badDollar(s: string, hint: string): string {
  return `bad variable name '${s}' (variables are '$0' to '$${MAX_VAR}'; ${hint})`;
}

type Part = "" | "head" | "guard" | "body";

/** Working storage of a parse, reused by the next one (arrays keep their capacity). */
interface Scratch {
  /** The path to the current value: path[0 .. depth). */
  readonly path: (string | number)[];
  /** The arrays and objects being parsed around the current value (to report cycles). */
  readonly ancestors: Set<object>;
  /** The variables the current clause's head binds, in order of first occurrence: [0 .. n). */
  readonly bound: number[];
}

/** Free working storage; taken by a parse (a getter in a spec may start another one). */
let spare: Scratch | undefined;

class Parser {
  readonly constants: unknown[] = [];
  shape: string;
  /** Where we are, for error messages: clause (-1: none), part, index of the guard or body. */
  clause = -1;
  part: Part = "";
  index = 0;
  private readonly scratch: Scratch;
  private readonly path: (string | number)[];
  private depth = 0;
  private readonly ancestors: Set<object>;
  private readonly bound: number[];
  private boundCount = 0;

  constructor(
    private readonly table: TableShape,
    private readonly root: "match spec" | "pattern",
  ) {
    this.shape = root === "pattern" ? "P" : "M";
    const scratch = spare ?? { path: [], ancestors: new Set(), bound: [] };
    spare = undefined;
    this.scratch = scratch;
    this.path = scratch.path;
    this.ancestors = scratch.ancestors;
    this.bound = scratch.bound;
  }

  /** Gives back the working storage after a successful parse (which leaves no ancestors). */
  release(): void {
    spare = this.scratch;
  }

  private push(step: string | number): void {
    this.path[this.depth++] = step;
  }

  private pop(): void {
    this.depth--;
  }

  private label(): string {
    if (this.clause < 0) return this.root;
    const c = `${this.root} clause ${this.clause}`;
    if (this.part === "") return c;
    return this.part === "head" ? `${c}, head` : `${c}, ${this.part} ${this.index}`;
  }

  fail(message: string, value: unknown): never {
    const label = this.label();
    const path = this.path.slice(0, this.depth);
    const where = path.length === 0 ? label : `${label} at ${pathText(path)}`;
    throw new BadArgError(`${where}: ${message}`, { table: this.table.name, value });
  }

  tooDeep(): never {
    this.clause = -1;
    this.depth = 0;
    return this.fail(
      `nested too deeply for table ${this.table.name} (keys and values nest at most ${MAX_NESTING} levels)`,
      undefined,
    );
  }

  /** A frozen copy of literal `v`. */
  private copy(v: unknown): unknown {
    switch (typeof v) {
      case "number":
      case "string":
      case "bigint":
      case "boolean":
        return v;
    }
    if (v === null) return null;
    const copy = copyTerm(v);
    return copy.ok ? copy.value : this.fail(copy.error, v);
  }

  /** A frozen copy of the value of literal(value), whatever strings it holds. */
  private literalValue(l: Literal): unknown {
    this.push("literal");
    const value = this.copy(l.value);
    this.pop();
    return value;
  }

  /** Gives the (copied) literal `value` the next slot. */
  private slot(value: unknown): { slot: number; type: ConstType } {
    const type = constType(value);
    this.shape += CONST_TOKEN[type];
    return { slot: this.constants.push(value) - 1, type };
  }

  private lit(value: unknown): PatternNode {
    const { slot, type } = this.slot(value);
    return { kind: "lit", value, slot, type };
  }

  constant(value: unknown): Expr {
    const { slot, type } = this.slot(value);
    return { kind: "const", value, slot, type };
  }

  /** Forgets the literals and shape written since `slots` / `mark` (to replace them by one). */
  private rewind(slots: number, mark: number): void {
    this.constants.length = slots;
    this.shape = this.shape.slice(0, mark);
  }

  private enter(v: object, cycle: string): void {
    if (this.ancestors.has(v)) this.fail(cycle, v);
    this.ancestors.add(v);
  }

  // --- heads -------------------------------------------------------------------------------------

  /**
   * The attributes a record must have exactly for the last head to match it, when the table may
   * hold records of older shapes: a head over the attributes is Mnesia's tuple pattern of the
   * table's arity, which matches no record of another arity; '_' matches them all.
   */
  headShape: readonly string[] | undefined;

  head(head: unknown): HeadField[] {
    this.boundCount = 0;
    this.headShape = undefined;
    if (head === "_") {
      this.shape += "_";
      return [];
    }
    const { attributes } = this.table;
    if (this.table.mixedShapes === true && isPlainObject(head)) {
      this.headShape = attributes;
      this.shape += `~${JSON.stringify(attributes)}`;
    }
    if (!isPlainObject(head)) {
      return this.fail(
        `expected '_' or a plain object over the attributes (${attributes.join(", ")}), got ${describe(head)}`,
        head,
      );
    }
    let count = 0;
    for (const k in head) {
      if (!Object.hasOwn(head, k)) continue;
      if (!attributes.includes(k)) {
        this.fail(
          `unknown attribute '${k}' (attributes of ${this.table.name}: ${attributes.join(", ")})`,
          k,
        );
      }
      count++;
    }
    const names = quoted(attributes);
    const fields = new Array<HeadField>(count);
    let n = 0;
    this.shape += "{";
    for (let i = 0; i < attributes.length; i++) {
      const attribute = attributes[i]!;
      if (!Object.hasOwn(head, attribute)) continue;
      const v = head[attribute];
      if (v === "_") continue;
      this.shape += names[i]!;
      this.push(attribute);
      fields[n++] = { attribute, node: this.pattern(v) };
      this.pop();
    }
    if (n < count) fields.length = n;
    this.shape += "}";
    return fields;
  }

  /** The variables of the last head, ascending (the order of '$$'). */
  vars(): number[] {
    const n = this.boundCount;
    const vars = new Array<number>(n);
    // Insertion sort: heads bind few variables.
    for (let i = 0; i < n; i++) {
      const v = this.bound[i]!;
      let j = i;
      for (; j > 0 && vars[j - 1]! > v; j--) vars[j] = vars[j - 1]!;
      vars[j] = v;
    }
    return vars;
  }

  private binds(n: number): boolean {
    for (let i = 0; i < this.boundCount; i++) if (this.bound[i] === n) return true;
    return false;
  }

  private pattern(v: unknown): PatternNode {
    if (typeof v === "string") {
      if (v === "_") {
        this.shape += "_,";
        return ANY;
      }
      if (v.charCodeAt(0) !== 0x24) return this.lit(v);
      const n = varNumber(v);
      if (n !== undefined) {
        if (!this.binds(n)) this.bound[this.boundCount++] = n;
        this.shape += `$${n},`;
        return { kind: "var", n };
      }
      if (v === "$_" || v === "$$") {
        return this.fail(`'${v}' is only allowed in guards and bodies`, v);
      }
      return this.fail(badDollar(v, "test for such a string in a guard"), v);
    }
    if (v === null || typeof v !== "object" || v instanceof Uint8Array) {
      return this.lit(this.copy(v));
    }
    if (v instanceof Literal) return this.lit(this.literalValue(v));
    this.enter(v, "the pattern contains a cycle");
    let node: PatternNode;
    if (Array.isArray(v)) node = this.patternArray(v);
    else if (isPlainObject(v)) node = this.patternObject(v);
    else return this.fail(notATerm(describe(v), v), v);
    this.ancestors.delete(v);
    return node;
  }

  private patternArray(v: readonly unknown[]): PatternNode {
    const slots = this.constants.length;
    const mark = this.shape.length;
    this.shape += "[";
    const items = new Array<PatternNode>(v.length);
    let literal = true;
    for (let i = 0; i < v.length; i++) {
      this.push(i);
      const item = this.pattern(v[i]);
      this.pop();
      if (item.kind !== "lit") literal = false;
      items[i] = item;
    }
    if (literal) {
      // Without wildcards, variables or map patterns inside, one termEquals does the job.
      this.rewind(slots, mark);
      return this.lit(Object.freeze(items.map((n) => (n.kind === "lit" ? n.value : null))));
    }
    this.shape += "]";
    return { kind: "array", items };
  }

  private patternObject(v: { readonly [k: string]: unknown }): PatternNode {
    this.shape += "{";
    const entries: (readonly [string, PatternNode])[] = [];
    for (const k of Object.keys(v)) {
      this.shape += `${JSON.stringify(k)}:`;
      this.push(k);
      entries.push([k, this.pattern(v[k])]);
      this.pop();
    }
    this.shape += "}";
    return { kind: "object", entries };
  }

  // --- guards and bodies -------------------------------------------------------------------------

  /** `booleanContext`: the value must be a boolean (a guard, or an argument of not/andalso/...). */
  expr(v: unknown, booleanContext: boolean): Expr {
    if (typeof v === "string") return this.string(v);
    if (v === null || typeof v !== "object" || v instanceof Uint8Array) {
      return this.constant(this.copy(v));
    }
    if (v instanceof Literal) return this.constant(this.literalValue(v));
    this.enter(v, "the expression contains a cycle");
    let e: Expr;
    if (Array.isArray(v)) e = this.exprArray(v, booleanContext);
    else if (isPlainObject(v)) e = this.exprObject(v, booleanContext);
    else return this.fail(notATerm(describe(v), v), v);
    this.ancestors.delete(v);
    return e;
  }

  private string(v: string): Expr {
    if (v.charCodeAt(0) !== 0x24) return this.constant(v);
    if (v === "$_") {
      this.shape += "$_,";
      return RECORD;
    }
    if (v === "$$") {
      this.shape += "$$,";
      return ALL;
    }
    const n = varNumber(v);
    if (n === undefined) return this.fail(badDollar(v, `write {const: '${v}'} for the string`), v);
    if (!this.binds(n)) {
      const known = this.vars().map((b) => `$${b}`);
      const binds = known.length === 0 ? "binds no variables" : `binds ${known.join(", ")}`;
      return this.fail(`unbound variable '${v}' (the head ${binds})`, v);
    }
    this.shape += `$${n},`;
    return { kind: "var", n };
  }

  /** element(n, '$_') for a literal n within the tuple: the record name or an attribute. */
  private recordElement(n: unknown): Expr | undefined {
    const i = typeof n === "bigint" && n >= 1n && n <= 1_000_000n ? Number(n) : n;
    if (typeof i !== "number" || !Number.isInteger(i)) return undefined;
    const attributes = this.table.attributes;
    if (i === 1) return this.constant(this.table.recordName ?? this.table.name);
    if (i < 2 || i > attributes.length + 1) return undefined;
    const attribute = attributes[i - 2]!;
    this.shape += `$_${JSON.stringify(attribute)},`;
    return { kind: "field", attribute };
  }

  /** '$_' as Mnesia's record tuple: [recordName, ...the attributes in order]. */
  private recordTuple(): Expr {
    const items: Expr[] = [this.constant(this.table.recordName ?? this.table.name)];
    this.shape += `$_[${quoted(this.table.attributes).join("")}],`;
    for (const attribute of this.table.attributes) items.push({ kind: "field", attribute });
    return { kind: "array", items };
  }

  private exprArray(v: readonly unknown[], booleanContext: boolean): Expr {
    const first = v[0];
    const fn = typeof first === "string" ? FUNCTIONS.get(first) : undefined;
    if (fn !== undefined) {
      const name = first as string;
      const arity = v.length - 1;
      if (arity < fn.minArity || arity > fn.maxArity) {
        return this.fail(
          `function '${name}/${arity}' does not exist: '${name}' takes ${arityText(fn)}`,
          v,
        );
      }
      const tupleArg = TUPLE_ARGUMENT.get(name);
      if (name === "element" && v[2] === "$_") {
        const field = this.recordElement(v[1]);
        if (field !== undefined) return field;
      }
      this.shape += `(${name} `;
      const args = new Array<Expr>(arity);
      for (let i = 1; i < v.length; i++) {
        this.push(i);
        args[i - 1] =
          i === tupleArg && v[i] === "$_" ? this.recordTuple() : this.expr(v[i], fn.booleanArgs);
        this.pop();
      }
      this.shape += ")";
      return { kind: "call", fn: name, args };
    }
    if (booleanContext) {
      if (typeof first === "string" && !first.startsWith("$")) {
        return this.fail(`unknown function '${first}/${v.length - 1}'`, v);
      }
      return this.fail(
        "expected a boolean expression, got a constructed array (a call starts with a function name, e.g. ['>', '$1', 0])",
        v,
      );
    }
    const slots = this.constants.length;
    const mark = this.shape.length;
    this.shape += "[";
    const items = new Array<Expr>(v.length);
    let constant = true;
    for (let i = 0; i < v.length; i++) {
      this.push(i);
      const item = this.expr(v[i], false);
      this.pop();
      if (item.kind !== "const") constant = false;
      items[i] = item;
    }
    if (constant) {
      this.rewind(slots, mark);
      return this.constant(Object.freeze(items.map((e) => (e.kind === "const" ? e.value : null))));
    }
    this.shape += "]";
    return { kind: "array", items };
  }

  private exprObject(v: { readonly [k: string]: unknown }, booleanContext: boolean): Expr {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "const") {
      this.push("const");
      const value = this.copy(v.const);
      this.pop();
      return this.constant(value);
    }
    if (booleanContext) {
      return this.fail("expected a boolean expression, got a constructed object", v);
    }
    const slots = this.constants.length;
    const mark = this.shape.length;
    this.shape += "{";
    const entries: (readonly [string, Expr])[] = [];
    let constant = true;
    for (const k of keys) {
      this.shape += `${JSON.stringify(k)}:`;
      this.push(k);
      const e = this.expr(v[k], false);
      this.pop();
      if (e.kind !== "const") constant = false;
      entries.push([k, e]);
    }
    if (constant) {
      this.rewind(slots, mark);
      const value: Record<string, unknown> = {};
      for (const [k, e] of entries) {
        // defineProperty keeps a "__proto__" key an ordinary key.
        Object.defineProperty(value, k, {
          value: e.kind === "const" ? e.value : null,
          enumerable: true,
        });
      }
      return this.constant(Object.freeze(value));
    }
    this.shape += "}";
    return { kind: "object", entries };
  }

  // --- clauses -----------------------------------------------------------------------------------

  parseClause(raw: unknown, i: number): Clause {
    this.clause = i;
    this.part = "";
    if (!Array.isArray(raw) || raw.length !== 3) {
      return this.fail(`expected a clause [head, guards, body], got ${describe(raw)}`, raw);
    }
    const rawHead: unknown = raw[0];
    const rawGuards: unknown = raw[1];
    const rawBody: unknown = raw[2];
    this.part = "head";
    this.shape += "H";
    const head = this.head(rawHead);
    this.part = "";
    if (!Array.isArray(rawGuards)) {
      return this.fail(
        `guards must be an array of expressions, got ${describe(rawGuards)}`,
        rawGuards,
      );
    }
    if (!Array.isArray(rawBody)) {
      return this.fail(`body must be an array of expressions, got ${describe(rawBody)}`, rawBody);
    }
    if (rawBody.length === 0) {
      return this.fail("body must not be empty (its last expression is the result)", rawBody);
    }
    this.shape += "G";
    this.part = "guard";
    const guards = new Array<Expr>(rawGuards.length);
    for (let j = 0; j < rawGuards.length; j++) {
      this.index = j;
      guards[j] = this.expr(rawGuards[j], true);
    }
    this.shape += "B";
    this.part = "body";
    const body = new Array<Expr>(rawBody.length);
    for (let j = 0; j < rawBody.length; j++) {
      this.index = j;
      body[j] = this.expr(rawBody[j], false);
    }
    this.shape += ";";
    return { head, guards, body, vars: this.vars(), shape: this.headShape };
  }
}

/** Absurdly deep input overflows the recursive parser: report it as badarg, not RangeError. */
function deepGuard<T>(parser: Parser, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof RangeError) return parser.tooDeep();
    throw e;
  }
}

/** Validates a match spec into clauses. Throws BadArgError. */
export function parseMatchSpec(spec: unknown, table: TableShape): ParsedSpec {
  const parser = new Parser(table, "match spec");
  if (!Array.isArray(spec)) {
    return parser.fail(
      `expected an array of clauses [head, guards, body], got ${describe(spec)}`,
      spec,
    );
  }
  const clauses = deepGuard(parser, () => {
    const out = new Array<Clause>(spec.length);
    for (let i = 0; i < spec.length; i++) out[i] = parser.parseClause(spec[i], i);
    return out;
  });
  parser.release();
  return { clauses, constants: parser.constants, shape: parser.shape };
}

/**
 * Validates a match_object pattern into the clause [pattern, [], [true]] (a run function that
 * returns true, or its noMatch value). Throws BadArgError.
 */
export function parsePattern(pattern: unknown, table: TableShape): ParsedSpec {
  const parser = new Parser(table, "pattern");
  const head = deepGuard(parser, () => parser.head(pattern));
  const vars = parser.vars();
  const clause: Clause = {
    head,
    guards: [],
    body: [parser.constant(true)],
    vars,
    shape: parser.headShape,
  };
  parser.release();
  return { clauses: [clause], constants: parser.constants, shape: parser.shape };
}
