// The query language (QLC's job): a typed builder, a planner, lazy evaluation, explain().
export { type AnswerOf, type AppendPart, append } from "./append.js";
export { from, type JoinMethod, type Out, Query, query, type Refs, type Rows } from "./builder.js";
export { Cursor, QueryRun } from "./eval/cursor.js";
export type { Explain, ExplainGenerator } from "./explain.js";
export {
  and,
  type Cond,
  eq,
  FieldRef,
  ge,
  gt,
  le,
  lt,
  ne,
  not,
  type Operand,
  oneOf,
  or,
  type RowProxy,
  RowRef,
} from "./expr.js";
export type { QueryArg } from "./run.js";
export {
  Append,
  type RowOf,
  type Source,
  TableSource,
  type TableSourceOptions,
  table,
} from "./source.js";
