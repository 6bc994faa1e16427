// Compiles clauses to JavaScript with `new Function`, once per shape (see ms-parse.ts): the code
// of a shape is a function bind(K) that returns the run function for one spec's constants K.
//
// The source contains only names we make up (v<n> variables, t<n> temporaries, k<n> constants
// of the spec, s<n> fixed values of the shape, RUNTIME names), numbers we count, and attribute
// names as JSON string literals (validated table attributes; JSON.stringify of a string is a
// JavaScript string literal). Every value from the spec reaches the code through K, map keys
// through S; the code depends on a constant only through its ConstType. Each clause is a
// labelled block: a failed head test or guard breaks out to the next clause; a failed body
// returns "EXIT".

import type { Clause, Expr, PatternNode } from "./ms-ast.js";
import { type Arg, type EmitContext, equalsConstant, FUNCTIONS } from "./ms-functions.js";
import type { ParsedSpec } from "./ms-parse.js";
import { RUNTIME } from "./ms-runtime.js";

export interface GenerateOptions {
  /** What run returns when no clause matches. */
  readonly noMatch: unknown;
}

export type RunFunction = (record: object) => unknown;

/** The code of one shape, bound to the constants of one spec. */
export type Bind = (constants: readonly unknown[]) => RunFunction;

let generated = 0;

/** How many functions have been generated with `new Function` (for tests). */
export function generatedCount(): number {
  return generated;
}

class Generator implements EmitContext {
  /** Values fixed by the shape: map keys, the key lists of constructed objects. */
  private readonly fixed: unknown[] = [];
  private readonly fixedStrings = new Map<string, string>();
  private readonly locals: string[] = [];
  private readonly out: string[] = [];

  private fixedValue(value: unknown): string {
    if (typeof value === "string") {
      const known = this.fixedStrings.get(value);
      if (known !== undefined) return known;
    }
    const name = `s${this.fixed.length}`;
    this.fixed.push(value);
    if (typeof value === "string") this.fixedStrings.set(value, name);
    return name;
  }

  private local(prefix: "v" | "t"): string {
    const name = `${prefix}${this.locals.length}`;
    this.locals.push(name);
    return name;
  }

  temp(): string {
    return this.local("t");
  }

  private clause(c: Clause, index: number): void {
    const label = `c${index}`;
    const vars = new Map<number, string>();
    const tests: string[] = [];
    if (c.shape !== undefined) {
      tests.push(`if (!hasShape(r, ${this.fixedValue(c.shape)})) break ${label};`);
    }
    for (const f of c.head) {
      this.pattern(f.node, `r[${JSON.stringify(f.attribute)}]`, vars, tests, label);
    }
    for (const g of c.guards) {
      const code = this.expr(g, vars, c);
      tests.push(
        isBoolean(g) ? `if (!${code}) break ${label};` : `if (${code} !== true) break ${label};`,
      );
    }

    this.out.push(`${label}: {`);
    // Reading the record can throw (a getter), and so can most functions: fail the clause.
    if (tests.length > 0) this.out.push("try {", ...tests, `} catch { break ${label}; }`);
    const body = c.body.map((e) => ({ code: this.expr(e, vars, c), safe: infallible(e) }));
    const last = body.pop()!;
    const statements = body.filter((b) => !b.safe).map((b) => `${b.code};`);
    if (last.safe && statements.length === 0) {
      this.out.push(`return ${last.code};`);
    } else {
      this.out.push("try {", ...statements, `return ${last.code};`, '} catch { return "EXIT"; }');
    }
    this.out.push("}");
  }

  private pattern(
    node: PatternNode,
    access: string,
    vars: Map<number, string>,
    tests: string[],
    label: string,
  ): void {
    switch (node.kind) {
      case "any":
        return;
      case "var": {
        const bound = vars.get(node.n);
        if (bound !== undefined) {
          tests.push(`if (!eq(${bound}, ${access})) break ${label};`);
        } else {
          const v = this.local("v");
          vars.set(node.n, v);
          tests.push(`${v} = ${access};`);
        }
        return;
      }
      case "lit": {
        const value: Arg = { code: access, boolean: false, simple: false, constType: undefined };
        tests.push(
          `if (!${equalsConstant(value, `k${node.slot}`, node.type, this)}) break ${label};`,
        );
        return;
      }
      case "array": {
        const t = this.local("t");
        tests.push(
          `${t} = ${access};`,
          `if (!isArray(${t}) || ${t}.length !== ${node.items.length}) break ${label};`,
        );
        node.items.forEach((item, i) => {
          this.pattern(item, `${t}[${i}]`, vars, tests, label);
        });
        return;
      }
      case "object": {
        const t = this.local("t");
        tests.push(`${t} = ${access};`, `if (!isPlainObject(${t})) break ${label};`);
        for (const [key, item] of node.entries) {
          const k = this.fixedValue(key);
          tests.push(`if (!hasOwn(${t}, ${k})) break ${label};`);
          this.pattern(item, `${t}[${k}]`, vars, tests, label);
        }
        return;
      }
    }
  }

  private arg(e: Expr, vars: ReadonlyMap<number, string>, c: Clause): Arg {
    return {
      code: this.expr(e, vars, c),
      boolean: isBoolean(e),
      simple: e.kind === "var" || e.kind === "record" || e.kind === "const",
      constType: e.kind === "const" ? e.type : undefined,
    };
  }

  private expr(e: Expr, vars: ReadonlyMap<number, string>, c: Clause): string {
    switch (e.kind) {
      case "var":
        return vars.get(e.n)!;
      case "record":
        return "r";
      case "field":
        return `r[${JSON.stringify(e.attribute)}]`;
      case "all":
        return `[${c.vars.map((n) => vars.get(n)!).join(", ")}]`;
      case "const":
        return `k${e.slot}`;
      case "call":
        return FUNCTIONS.get(e.fn)!.emit(
          e.args.map((a) => this.arg(a, vars, c)),
          this,
        );
      case "array":
        return `[${e.items.map((i) => this.expr(i, vars, c)).join(", ")}]`;
      case "object": {
        const keys = this.fixedValue(Object.freeze(e.entries.map(([k]) => k)));
        return `mkobj(${keys}, [${e.entries.map(([, v]) => this.expr(v, vars, c)).join(", ")}])`;
      }
    }
  }

  build(parsed: ParsedSpec, options: GenerateOptions): Bind {
    parsed.clauses.forEach((c, i) => {
      this.clause(c, i);
    });
    const runtimeNames = Object.keys(RUNTIME).join(", ");
    const fixed = this.fixed.map((_, i) => `s${i} = S[${i}]`);
    const constants = parsed.constants.map((_, i) => `k${i} = K[${i}]`);
    const source = [
      '"use strict";',
      `const { ${runtimeNames} } = H;`,
      fixed.length > 0 ? `const ${fixed.join(", ")};` : "",
      "return function bind(K) {",
      constants.length > 0 ? `const ${constants.join(", ")};` : "",
      "return function run(r) {",
      this.locals.length > 0 ? `let ${this.locals.join(", ")};` : "",
      ...this.out,
      "return NO;",
      "};",
      "};",
    ].join("\n");
    const factory = new Function("H", "S", "NO", source) as (
      h: typeof RUNTIME,
      s: readonly unknown[],
      no: unknown,
    ) => Bind;
    generated++;
    return factory(RUNTIME, this.fixed, options.noMatch);
  }
}

/** True if `e` always evaluates to a boolean (when it does not fail). */
function isBoolean(e: Expr): boolean {
  if (e.kind === "const") return e.type === "b";
  return e.kind === "call" && FUNCTIONS.get(e.fn)!.returnsBoolean;
}

/** True if evaluating `e` cannot fail (no calls inside). */
export function infallible(e: Expr): boolean {
  switch (e.kind) {
    case "call":
      return false;
    case "array":
      return e.items.every(infallible);
    case "object":
      return e.entries.every(([, v]) => infallible(v));
    default:
      return true;
  }
}

/**
 * The code of `parsed`'s shape: bind(constants) gives the function that runs a spec of this
 * shape with those constants (the first matching clause's result, else noMatch).
 */
export function generate(parsed: ParsedSpec, options: GenerateOptions): Bind {
  return new Generator().build(parsed, options);
}
