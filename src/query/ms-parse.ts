// Validation of match specs and patterns into the AST of ms-ast.ts. Every malformed input is a
// BadArgError whose message names the place (clause, guard or body index, path inside it).

import { BadArgError } from "../errors.js";
import type { Clause, Expr, HeadField, PatternNode } from "./ms-ast.js";
import { arityText, FUNCTIONS } from "./ms-functions.js";
import { copyTerm, describe, isPlainObject } from "./terms.js";

export interface TableShape {
  readonly name: string;
  readonly attributes: readonly string[];
}

type Path = readonly (string | number)[];

const MAX_VAR = 100_000_000;
/** '$0' .. '$100000000', digits only, no leading zero (as ERTS's db_is_variable). */
const VAR_RE = /^\$(?:0|[1-9][0-9]{0,8})$/;

/** The number of a match variable, or undefined if `s` is not one. */
export function varNumber(s: string): number | undefined {
  if (!VAR_RE.test(s)) return undefined;
  const n = Number(s.slice(1));
  return n <= MAX_VAR ? n : undefined;
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

/** Where in the input we are; builds the error messages. */
class Site {
  constructor(
    private readonly table: TableShape,
    readonly label: string,
  ) {}

  at(label: string): Site {
    return new Site(this.table, label);
  }

  fail(path: Path, message: string, value: unknown): never {
    const where = path.length === 0 ? this.label : `${this.label} at ${pathText(path)}`;
    throw new BadArgError(`${where}: ${message}`, { table: this.table.name, value });
  }
}

/** `hint` says how to get the string itself where '$' strings are reserved. */
function badDollar(s: string, hint: string): string {
  return `bad variable name '${s}' (variables are '$0' to '$${MAX_VAR}'; ${hint})`;
}

function literal(site: Site, path: Path, v: unknown): unknown {
  const copy = copyTerm(v);
  return copy.ok ? copy.value : site.fail(path, copy.error, v);
}

// --- heads ---------------------------------------------------------------------------------------

class HeadParser {
  readonly bound = new Set<number>();
  private readonly ancestors = new Set<object>();

  constructor(private readonly site: Site) {}

  node(v: unknown, path: Path): PatternNode {
    if (typeof v === "string") {
      if (v === "_") return { kind: "any" };
      if (!v.startsWith("$")) return { kind: "lit", value: v };
      const n = varNumber(v);
      if (n !== undefined) {
        this.bound.add(n);
        return { kind: "var", n };
      }
      if (v === "$_" || v === "$$") {
        return this.site.fail(path, `'${v}' is only allowed in guards and bodies`, v);
      }
      return this.site.fail(path, badDollar(v, "test for such a string in a guard"), v);
    }
    if (v === null || typeof v !== "object" || v instanceof Uint8Array) {
      return { kind: "lit", value: literal(this.site, path, v) };
    }
    if (this.ancestors.has(v)) return this.site.fail(path, "the pattern contains a cycle", v);
    this.ancestors.add(v);
    try {
      if (Array.isArray(v)) return this.array(v, path);
      if (isPlainObject(v)) return this.object(v, path);
      return this.site.fail(path, `${describe(v)} is not a term`, v);
    } finally {
      this.ancestors.delete(v);
    }
  }

  private array(v: readonly unknown[], path: Path): PatternNode {
    const items: PatternNode[] = [];
    for (let i = 0; i < v.length; i++) items.push(this.node(v[i], [...path, i]));
    // Without wildcards, variables or map patterns inside, one termEquals does the job.
    if (items.every((n) => n.kind === "lit")) {
      return {
        kind: "lit",
        value: Object.freeze(items.map((n) => (n.kind === "lit" ? n.value : null))),
      };
    }
    return { kind: "array", items };
  }

  private object(v: { readonly [k: string]: unknown }, path: Path): PatternNode {
    const entries = Object.keys(v).map((k) => [k, this.node(v[k], [...path, k])] as const);
    return { kind: "object", entries };
  }
}

function parseHead(
  head: unknown,
  site: Site,
  table: TableShape,
): { fields: HeadField[]; bound: Set<number> } {
  const parser = new HeadParser(site);
  if (head === "_") return { fields: [], bound: parser.bound };
  if (!isPlainObject(head)) {
    return site.fail(
      [],
      `expected '_' or a plain object over the attributes (${table.attributes.join(", ")}), got ${describe(head)}`,
      head,
    );
  }
  for (const k of Object.keys(head)) {
    if (!table.attributes.includes(k)) {
      site.fail(
        [],
        `unknown attribute '${k}' (attributes of ${table.name}: ${table.attributes.join(", ")})`,
        k,
      );
    }
  }
  const fields: HeadField[] = [];
  for (const attribute of table.attributes) {
    if (!Object.hasOwn(head, attribute)) continue;
    const node = parser.node(head[attribute], [attribute]);
    if (node.kind !== "any") fields.push({ attribute, node });
  }
  return { fields, bound: parser.bound };
}

// --- guards and bodies -------------------------------------------------------------------------

class ExprParser {
  private readonly ancestors = new Set<object>();

  constructor(
    private readonly site: Site,
    private readonly bound: ReadonlySet<number>,
  ) {}

  /** `booleanContext`: the value must be a boolean (a guard, or an argument of not/andalso/...). */
  expr(v: unknown, path: Path, booleanContext: boolean): Expr {
    if (typeof v === "string") return this.string(v, path);
    if (v === null || typeof v !== "object" || v instanceof Uint8Array) {
      return { kind: "const", value: literal(this.site, path, v) };
    }
    if (this.ancestors.has(v)) return this.site.fail(path, "the expression contains a cycle", v);
    this.ancestors.add(v);
    try {
      if (Array.isArray(v)) return this.array(v, path, booleanContext);
      if (isPlainObject(v)) return this.object(v, path, booleanContext);
      return this.site.fail(path, `${describe(v)} is not a term`, v);
    } finally {
      this.ancestors.delete(v);
    }
  }

  private string(v: string, path: Path): Expr {
    if (!v.startsWith("$")) return { kind: "const", value: v };
    if (v === "$_") return { kind: "record" };
    if (v === "$$") return { kind: "all" };
    const n = varNumber(v);
    if (n === undefined)
      return this.site.fail(path, badDollar(v, `write {const: '${v}'} for the string`), v);
    if (!this.bound.has(n)) {
      const known = [...this.bound].sort((a, b) => a - b).map((b) => `$${b}`);
      const binds = known.length === 0 ? "binds no variables" : `binds ${known.join(", ")}`;
      return this.site.fail(path, `unbound variable '${v}' (the head ${binds})`, v);
    }
    return { kind: "var", n };
  }

  private array(v: readonly unknown[], path: Path, booleanContext: boolean): Expr {
    const first = v[0];
    const fn = typeof first === "string" ? FUNCTIONS.get(first) : undefined;
    if (fn !== undefined) {
      const arity = v.length - 1;
      if (arity < fn.minArity || arity > fn.maxArity) {
        return this.site.fail(
          path,
          `function '${String(first)}/${arity}' does not exist: '${String(first)}' takes ${arityText(fn)}`,
          v,
        );
      }
      const args: Expr[] = [];
      for (let i = 1; i < v.length; i++) args.push(this.expr(v[i], [...path, i], fn.booleanArgs));
      return { kind: "call", fn: first as string, args };
    }
    if (booleanContext) {
      if (typeof first === "string" && !first.startsWith("$")) {
        return this.site.fail(path, `unknown function '${first}/${v.length - 1}'`, v);
      }
      return this.site.fail(
        path,
        "expected a boolean expression, got a constructed array (a call starts with a function name, e.g. ['>', '$1', 0])",
        v,
      );
    }
    const items: Expr[] = [];
    for (let i = 0; i < v.length; i++) items.push(this.expr(v[i], [...path, i], false));
    if (items.every((e) => e.kind === "const")) {
      return {
        kind: "const",
        value: Object.freeze(items.map((e) => (e.kind === "const" ? e.value : null))),
      };
    }
    return { kind: "array", items };
  }

  private object(v: { readonly [k: string]: unknown }, path: Path, booleanContext: boolean): Expr {
    const keys = Object.keys(v);
    if (keys.length === 1 && keys[0] === "const") {
      return { kind: "const", value: literal(this.site, [...path, "const"], v.const) };
    }
    if (booleanContext) {
      return this.site.fail(path, "expected a boolean expression, got a constructed object", v);
    }
    const entries = keys.map((k) => [k, this.expr(v[k], [...path, k], false)] as const);
    if (entries.every(([, e]) => e.kind === "const")) {
      const value: Record<string, unknown> = {};
      for (const [k, e] of entries) {
        Object.defineProperty(value, k, {
          value: e.kind === "const" ? e.value : null,
          enumerable: true,
        });
      }
      return { kind: "const", value: Object.freeze(value) };
    }
    return { kind: "object", entries };
  }
}

// --- clauses -------------------------------------------------------------------------------------

function parseClause(raw: unknown, site: Site, table: TableShape): Clause {
  if (!Array.isArray(raw) || raw.length !== 3) {
    return site.fail([], `expected a clause [head, guards, body], got ${describe(raw)}`, raw);
  }
  const [rawHead, rawGuards, rawBody] = raw as readonly unknown[];
  const { fields, bound } = parseHead(rawHead, site.at(`${site.label}, head`), table);
  if (!Array.isArray(rawGuards)) {
    return site.fail(
      [],
      `guards must be an array of expressions, got ${describe(rawGuards)}`,
      rawGuards,
    );
  }
  if (!Array.isArray(rawBody)) {
    return site.fail([], `body must be an array of expressions, got ${describe(rawBody)}`, rawBody);
  }
  if (rawBody.length === 0) {
    return site.fail([], "body must not be empty (its last expression is the result)", rawBody);
  }
  const guards = rawGuards.map((g: unknown, j) =>
    new ExprParser(site.at(`${site.label}, guard ${j}`), bound).expr(g, [], true),
  );
  const body = rawBody.map((b: unknown, j) =>
    new ExprParser(site.at(`${site.label}, body ${j}`), bound).expr(b, [], false),
  );
  return { head: fields, guards, body, vars: [...bound].sort((a, b) => a - b) };
}

/** Validates a match spec into clauses. Throws BadArgError. */
export function parseMatchSpec(spec: unknown, table: TableShape): Clause[] {
  const site = new Site(table, "match spec");
  if (!Array.isArray(spec)) {
    return site.fail(
      [],
      `expected an array of clauses [head, guards, body], got ${describe(spec)}`,
      spec,
    );
  }
  return deepGuard(site, () =>
    (spec as readonly unknown[]).map((c, i) =>
      parseClause(c, site.at(`match spec clause ${i}`), table),
    ),
  );
}

/** Validates a match_object pattern into the clause [pattern, [], ['$_']]. Throws BadArgError. */
export function parsePattern(pattern: unknown, table: TableShape): Clause {
  const site = new Site(table, "pattern");
  const { fields, bound } = deepGuard(site, () => parseHead(pattern, site, table));
  return {
    head: fields,
    guards: [],
    body: [{ kind: "record" }],
    vars: [...bound].sort((a, b) => a - b),
  };
}

/** Absurdly deep input overflows the recursive parser: report it as badarg, not RangeError. */
function deepGuard<T>(site: Site, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (e instanceof RangeError) return site.fail([], "nested too deeply", undefined);
    throw e;
  }
}
