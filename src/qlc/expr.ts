// Query terms and conditions as data (not callbacks), so that the planner can read them: which
// generator an operand belongs to, which attribute, which constant. Built by the callbacks of the
// builder (`({ p }) => gt(p.age, 30)`), whose arguments are row references made here.
import type { Value } from "../keys/index.js";

declare const fieldBrand: unique symbol;
declare const rowBrand: unique symbol;

/** An attribute of a generator's row, e.g. `p.age`. */
export class FieldRef<V = unknown> {
  declare readonly [fieldBrand]: V;
  constructor(
    /** @internal */ readonly gen: number,
    /** @internal */ readonly alias: string,
    /** @internal */ readonly attr: string,
  ) {}
}

/** Where a row reference keeps its generator (symbols: its string properties are attributes). */
export const GEN: unique symbol = Symbol("gen");
export const ALIAS: unique symbol = Symbol("alias");

/** A generator's whole row, e.g. `p` (its attributes are its properties). */
export class RowRef<T = unknown> {
  declare readonly [rowBrand]: T;
  /** @internal */ readonly [GEN]: number;
  /** @internal */ readonly [ALIAS]: string;
  constructor(gen: number, alias: string) {
    this[GEN] = gen;
    this[ALIAS] = alias;
  }
}

/** A constant operand (plain values are wrapped in one). */
export class Const {
  constructor(readonly value: unknown) {}
}

export type Term = FieldRef | RowRef | Const;

/** A row reference as the builder's callbacks see it: the row itself and a FieldRef per attribute. */
export type RowProxy<T> = RowRef<T> &
  (T extends object ? { readonly [A in keyof T]-?: FieldRef<T[A]> } : unknown);

/** An operand of a condition: a field or row of a generator, or a constant of the same type. */
export type Operand<V> = FieldRef<V> | RowRef<V> | V;

export type CompareOp = "eq" | "ne" | "lt" | "le" | "gt" | "ge";

/** A condition: comparisons joined by and/or/not. Immutable. */
export type Cond =
  | { readonly op: CompareOp; readonly a: Term; readonly b: Term }
  | { readonly op: "and"; readonly args: readonly Cond[] }
  | { readonly op: "or"; readonly args: readonly Cond[] }
  | { readonly op: "not"; readonly arg: Cond }
  | { readonly op: "in"; readonly a: Term; readonly values: readonly unknown[] };

export function toTerm(x: unknown): Term {
  if (x instanceof FieldRef || x instanceof RowRef || x instanceof Const) return x;
  // A proxy of a row reference is an instance of RowRef too (its target is one).
  return new Const(x);
}

const cmp =
  (op: CompareOp) =>
  <V>(a: Operand<V>, b: Operand<NoInfer<V>>): Cond =>
    Object.freeze({ op, a: toTerm(a), b: toTerm(b) });

/** =:= (exact equality, Mneme's term equality). */
export const eq = cmp("eq");
/** =/= */
export const ne = cmp("ne");
/** < in Mneme's total order of values. */
export const lt = cmp("lt");
/** =< */
export const le = cmp("le");
/** > */
export const gt = cmp("gt");
/** >= */
export const ge = cmp("ge");

export function and(...args: Cond[]): Cond {
  return Object.freeze({ op: "and", args: Object.freeze([...args]) });
}
export function or(...args: Cond[]): Cond {
  return Object.freeze({ op: "or", args: Object.freeze([...args]) });
}
export function not(arg: Cond): Cond {
  return Object.freeze({ op: "not", arg });
}
/** `a` equals one of `values` (lists:member/2). */
export function oneOf<V>(a: Operand<V>, values: readonly NoInfer<V>[]): Cond {
  return Object.freeze({ op: "in", a: toTerm(a), values: Object.freeze([...values]) });
}

export function isCond(x: unknown): x is Cond {
  return (
    typeof x === "object" &&
    x !== null &&
    typeof (x as { op?: unknown }).op === "string" &&
    ["eq", "ne", "lt", "le", "gt", "ge", "and", "or", "not", "in"].includes((x as Cond).op)
  );
}

/** The generators a term or condition reads. */
export function gensOf(c: Cond | Term, into: Set<number> = new Set()): Set<number> {
  if (c instanceof FieldRef) into.add(c.gen);
  else if (c instanceof RowRef) into.add(c[GEN]);
  else if (c instanceof Const) return into;
  else if (c.op === "and" || c.op === "or") for (const x of c.args) gensOf(x, into);
  else if (c.op === "not") gensOf(c.arg, into);
  else if (c.op === "in") gensOf(c.a, into);
  else {
    gensOf(c.a, into);
    gensOf(c.b, into);
  }
  return into;
}

/** Row references for a generator: a proxy answering every attribute name with a FieldRef. */
export function rowProxy<T>(gen: number, alias: string): RowProxy<T> {
  const row = new RowRef<T>(gen, alias);
  const fields = new Map<string, FieldRef>();
  return new Proxy(row, {
    get(target, prop) {
      if (typeof prop === "symbol") return Reflect.get(target, prop);
      let f = fields.get(prop);
      if (f === undefined) {
        f = new FieldRef(gen, alias, prop);
        fields.set(prop, f);
      }
      return f;
    },
  }) as RowProxy<T>;
}

export type { Value };
