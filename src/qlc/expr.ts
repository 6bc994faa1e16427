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

/** The generators a term or condition reads, as a bit mask (a query has at most 30). */
export function genMask(c: Cond | Term): number {
  if (c instanceof FieldRef) return 1 << c.gen;
  if (c instanceof RowRef) return 1 << c[GEN];
  if (c instanceof Const) return 0;
  switch (c.op) {
    case "and":
    case "or": {
      let m = 0;
      for (const x of c.args) m |= genMask(x);
      return m;
    }
    case "not":
      return genMask(c.arg);
    case "in":
      return genMask(c.a);
    default:
      return genMask(c.a) | genMask(c.b);
  }
}

/** The highest generator of a mask (-1 for none). */
export function maxGen(mask: number): number {
  return 31 - Math.clz32(mask);
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
