// Terms, conditions, projections and orderings turned into plain closures over an environment:
// the array of the rows bound so far, one per generator, or, in a query of one generator
// ("single"), the row itself (no array per row).
import { compareTerms, termEquals } from "../../keys/index.js";
import type { OrderKey, Shape } from "../builder.js";
import { ALIAS, type Cond, Const, FieldRef, GEN, RowRef, type Term } from "../expr.js";

/** The rows bound so far (an array), or the row itself in a query of one generator. */
export type Env = unknown;
export type Getter = (env: Env) => unknown;
export type Pred = (env: Env) => boolean;

function field(row: unknown, attr: string): unknown {
  return typeof row === "object" && row !== null
    ? (row as Record<string, unknown>)[attr]
    : undefined;
}

export function getter(t: Term, single: boolean): Getter {
  if (t instanceof Const) {
    const v = t.value;
    return () => v;
  }
  if (t instanceof FieldRef) {
    const { gen, attr } = t;
    if (single) return (row) => field(row, attr);
    return (env) => field((env as unknown[])[gen], attr);
  }
  const gen = (t as RowRef)[GEN];
  if (single) return (row) => row;
  return (env) => (env as unknown[])[gen];
}

export function predicate(c: Cond, single: boolean): Pred {
  switch (c.op) {
    case "and": {
      const ps = c.args.map((x) => predicate(x, single));
      return (env) => ps.every((p) => p(env));
    }
    case "or": {
      const ps = c.args.map((x) => predicate(x, single));
      return (env) => ps.some((p) => p(env));
    }
    case "not": {
      const p = predicate(c.arg, single);
      return (env) => !p(env);
    }
    case "in": {
      const a = getter(c.a, single);
      const vs = c.values;
      return (env) => {
        const x = a(env);
        return vs.some((v) => termEquals(x, v));
      };
    }
    default: {
      const a = getter(c.a, single);
      const b = getter(c.b, single);
      switch (c.op) {
        case "eq":
          return (env) => termEquals(a(env), b(env));
        case "ne":
          return (env) => !termEquals(a(env), b(env));
        case "lt":
          return (env) => compareTerms(a(env), b(env)) < 0;
        case "le":
          return (env) => compareTerms(a(env), b(env)) <= 0;
        case "gt":
          return (env) => compareTerms(a(env), b(env)) > 0;
        case "ge":
          return (env) => compareTerms(a(env), b(env)) >= 0;
      }
    }
  }
}

/** All of `conds` (undefined when there are none, so callers can skip the check). */
export function conjunction(conds: readonly Cond[], single: boolean): Pred | undefined {
  if (conds.length === 0) return undefined;
  const ps = conds.map((c) => predicate(c, single));
  if (ps.length === 1) return ps[0];
  return (env) => ps.every((p) => p(env));
}

/** The answer for an environment; without a projection the row (one generator) or rows by alias. */
export function projection(shape: Shape | undefined, aliases: readonly string[]): Getter {
  const single = aliases.length === 1;
  if (shape === undefined) {
    if (single) return (row) => row;
    return (env) => {
      const o: Record<string, unknown> = {};
      aliases.forEach((a, i) => {
        o[a] = (env as unknown[])[i];
      });
      return o;
    };
  }
  switch (shape.kind) {
    case "term":
      return getter(shape.term, single);
    case "tuple": {
      const items = shape.items.map((s) => projection(s, aliases));
      return (env) => items.map((g) => g(env));
    }
    case "object": {
      const { keys } = shape;
      const items = shape.items.map((s) => projection(s, aliases));
      return (env) => {
        const o: Record<string, unknown> = {};
        for (let i = 0; i < keys.length; i++) o[keys[i]!] = items[i]!(env);
        return o;
      };
    }
  }
}

/** Compares environments by the orderBy keys. */
export function envOrder(keys: readonly OrderKey[], single: boolean): (a: Env, b: Env) => number {
  const gs = keys.map((k) => ({ g: getter(k.term, single), sign: k.desc ? -1 : 1 }));
  return (a, b) => {
    for (const { g, sign } of gs) {
      const c = compareTerms(g(a), g(b));
      if (c !== 0) return c * sign;
    }
    return 0;
  };
}

/** Text of a term for explain(): `p.age`, `p`, or the constant. */
export function termText(t: Term): string {
  if (t instanceof FieldRef) return `${t.alias}.${t.attr}`;
  if (t instanceof RowRef) return t[ALIAS];
  return constText((t as Const).value);
}

export function constText(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (v instanceof Uint8Array) return `<<${[...v].join(",")}>>`;
  if (typeof v === "string") return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(constText).join(", ")}]`;
  if (typeof v === "object" && v !== null) {
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}: ${constText(x)}`)
      .join(", ")}}`;
  }
  return String(v);
}
