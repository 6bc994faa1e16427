// qlc:append/1,2: several queries' (or sources') answers concatenated in order, lazily: a part is
// planned with the rest but read only once the parts before it are exhausted.
import { BadArgError } from "../errors.js";
import { Query, type QueryState } from "./builder.js";
import { type AnySource, Append, type RowOf } from "./source.js";

/**
 * What append() concatenates: queries, appends, and anything `from` draws from. (A query is
 * matched by its description: Query's type parameters are not covariant.)
 */
export type AppendPart = Pick<Query, "state"> | AnySource;

/** The answer type of one part. */
export type AnswerOf<P> =
  P extends Query<infer _B, infer R> ? R : P extends Append<infer R> ? R : RowOf<P>;

/**
 * qlc:append: the answers of `parts` one after the other (a source part gives its rows). The
 * result runs like a query (db.query, tx.query) and is a source for from/join.
 */
export function append<P extends readonly AppendPart[]>(...parts: P): Append<AnswerOf<P[number]>> {
  const states: QueryState[] = [];
  for (const p of parts) {
    if (p instanceof Query) states.push(p.state);
    else if (p instanceof Append) states.push(...p.parts);
    else if (p === undefined || p === null) {
      throw new BadArgError("append(): a part must be a query or a source", { value: p });
    } else states.push(new Query().from(p as AnySource, "_").state);
  }
  return new Append(states);
}
