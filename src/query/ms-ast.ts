// The validated form of a match spec, shared by the parser, the code generator and the analyses.
//
// Literals carry their value (for the analyses), a slot (the generated code reads the value from
// the slot of a per-spec constants array, never from its source text) and a ConstType (the code
// generator may specialise on it, and on nothing else about the value; it is part of the shape).

/**
 * The class of a literal, as far as generated code is concerned: "n" a number other than NaN,
 * "N" NaN, "i" a bigint, "s" a string without code units >= 0xD800 (its JavaScript order is
 * the term order), "S" another string, "b" a boolean, "z" null, "y" a Uint8Array, "A" an array,
 * "O" a plain object.
 */
export type ConstType = "n" | "N" | "i" | "s" | "S" | "b" | "z" | "y" | "A" | "O";

/** A position of a head pattern. Literals are frozen copies of the spec's values. */
export type PatternNode =
  | { readonly kind: "any" }
  | { readonly kind: "var"; readonly n: number }
  | {
      readonly kind: "lit";
      readonly value: unknown;
      readonly slot: number;
      readonly type: ConstType;
    }
  | { readonly kind: "array"; readonly items: readonly PatternNode[] }
  /** Erlang map pattern: every listed key must exist and match; other keys are ignored. */
  | { readonly kind: "object"; readonly entries: readonly (readonly [string, PatternNode])[] };

/** One attribute constrained by a head; attributes left out or '_' are not listed. */
export interface HeadField {
  readonly attribute: string;
  readonly node: PatternNode;
}

/** A guard or body expression. */
export type Expr =
  | { readonly kind: "var"; readonly n: number }
  /** '$_': the whole record. */
  | { readonly kind: "record" }
  /** One attribute of the record (element(N, '$_') of Mnesia's record tuple). */
  | { readonly kind: "field"; readonly attribute: string }
  /** '$$': the values of the head's variables in increasing number order. */
  | { readonly kind: "all" }
  | {
      readonly kind: "const";
      readonly value: unknown;
      readonly slot: number;
      readonly type: ConstType;
    }
  | { readonly kind: "call"; readonly fn: string; readonly args: readonly Expr[] }
  | { readonly kind: "array"; readonly items: readonly Expr[] }
  | { readonly kind: "object"; readonly entries: readonly (readonly [string, Expr])[] };

export interface Clause {
  /** In table attribute order. */
  readonly head: readonly HeadField[];
  readonly guards: readonly Expr[];
  /** Never empty. */
  readonly body: readonly Expr[];
  /** The variable numbers the head binds, ascending (the order of '$$'). */
  readonly vars: readonly number[];
  /** When set, only a record with exactly these attributes matches the head (see TableShape). */
  readonly shape: readonly string[] | undefined;
}
