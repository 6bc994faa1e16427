// Compiles clauses to one JavaScript function with `new Function`. The source contains only
// names we make up (v<n> variables, t<n> temporaries, k<n> constants, RUNTIME names) and
// numbers we count; every value from the spec, attribute names included, reaches the code
// through the constants array K. Each clause is a labelled block: a failed head test or guard
// breaks out to the next clause; a failed body returns "EXIT".

import type { Clause, Expr, PatternNode } from "./ms-ast.js";
import { FUNCTIONS } from "./ms-functions.js";
import { RUNTIME } from "./ms-runtime.js";

export interface GenerateOptions {
  /** What run returns when no clause matches. */
  readonly noMatch: unknown;
}

type RunFunction = (record: object) => unknown;

class Generator {
  private readonly constants: unknown[] = [];
  private readonly stringConstants = new Map<string, string>();
  private readonly locals: string[] = [];
  private readonly out: string[] = [];

  constant(value: unknown): string {
    // Share strings (attribute names, keys); other values keep their own slot.
    if (typeof value === "string") {
      const known = this.stringConstants.get(value);
      if (known !== undefined) return known;
    }
    const name = `k${this.constants.length}`;
    this.constants.push(value);
    if (typeof value === "string") this.stringConstants.set(value, name);
    return name;
  }

  local(prefix: "v" | "t"): string {
    const name = `${prefix}${this.locals.length}`;
    this.locals.push(name);
    return name;
  }

  clause(c: Clause, index: number): void {
    const label = `c${index}`;
    const vars = new Map<number, string>();
    const tests: string[] = [];
    for (const f of c.head)
      this.pattern(f.node, `r[${this.constant(f.attribute)}]`, vars, tests, label);
    for (const g of c.guards) {
      const code = this.expr(g, vars, c);
      tests.push(
        isBoolean(g) ? `if (!${code}) break ${label};` : `if (${code} !== true) break ${label};`,
      );
    }

    this.out.push(`${label}: {`);
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
        const k = this.constant(node.value);
        // For these, termEquals is ===; numbers go through eq (1 and 1n, NaN, -0 are its call).
        const strict =
          node.value === null || typeof node.value === "string" || typeof node.value === "boolean";
        tests.push(
          strict
            ? `if (${access} !== ${k}) break ${label};`
            : `if (!eq(${access}, ${k})) break ${label};`,
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
          const k = this.constant(key);
          tests.push(`if (!hasOwn(${t}, ${k})) break ${label};`);
          this.pattern(item, `${t}[${k}]`, vars, tests, label);
        }
        return;
      }
    }
  }

  private expr(e: Expr, vars: ReadonlyMap<number, string>, c: Clause): string {
    switch (e.kind) {
      case "var":
        return vars.get(e.n)!;
      case "record":
        return "r";
      case "all":
        return `[${c.vars.map((n) => vars.get(n)!).join(", ")}]`;
      case "const":
        return this.constant(e.value);
      case "call":
        return FUNCTIONS.get(e.fn)!.emit(
          e.args.map((a) => ({ code: this.expr(a, vars, c), boolean: isBoolean(a) })),
        );
      case "array":
        return `[${e.items.map((i) => this.expr(i, vars, c)).join(", ")}]`;
      case "object": {
        const keys = this.constant(Object.freeze(e.entries.map(([k]) => k)));
        return `mkobj(${keys}, [${e.entries.map(([, v]) => this.expr(v, vars, c)).join(", ")}])`;
      }
    }
  }

  build(clauses: readonly Clause[], options: GenerateOptions): RunFunction {
    clauses.forEach((c, i) => {
      this.clause(c, i);
    });
    const runtimeNames = Object.keys(RUNTIME).join(", ");
    const constants = this.constants.map((_, i) => `k${i} = K[${i}]`);
    const source = [
      '"use strict";',
      `const { ${runtimeNames} } = H;`,
      constants.length > 0 ? `const ${constants.join(", ")};` : "",
      "return function run(r) {",
      this.locals.length > 0 ? `let ${this.locals.join(", ")};` : "",
      ...this.out,
      "return NO;",
      "};",
    ].join("\n");
    const factory = new Function("H", "K", "NO", source) as (
      h: typeof RUNTIME,
      k: readonly unknown[],
      no: unknown,
    ) => RunFunction;
    return factory(RUNTIME, this.constants, options.noMatch);
  }
}

/** True if `e` always evaluates to a boolean (when it does not fail). */
function isBoolean(e: Expr): boolean {
  if (e.kind === "const") return typeof e.value === "boolean";
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

/** The function that runs `clauses` on a record: the first matching clause's result, else noMatch. */
export function generateRun(clauses: readonly Clause[], options: GenerateOptions): RunFunction {
  return new Generator().build(clauses, options);
}
