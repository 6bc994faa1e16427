// The literal form of patterns and match specs: literal(v) stands for the value v itself, never
// for a wildcard or a variable. A head or pattern built from user input needs it, since the
// string "_" matches anything and "$1" binds a variable. Erlang needs no such escape in heads
// (its wildcards are atoms, user data are strings or binaries); in guards and bodies it is
// Mnesia's {const, Term}, which Mneme also accepts as {const: value}.

import type { Value } from "../keys/index.js";

/** A value that a pattern, head, guard or body takes as it is (see `literal`). */
export class Literal<V = Value> {
  readonly value: V;
  constructor(value: V) {
    this.value = value;
    Object.freeze(this);
  }
}

/**
 * The value `value` itself in a match pattern, a match spec head, guard or body: a string "_",
 * "$1" or "$_" then matches (or is) exactly that string. Use it for every value that comes from
 * outside the program, e.g. `{ name: literal(userInput) }`.
 */
export function literal<V extends Value>(value: V): Literal<V> {
  return new Literal(value);
}
