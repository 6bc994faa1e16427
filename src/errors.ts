// Mnesia's abort reasons, carried on typed error classes.
// Every error names the reason (Mnesia's atom), and where it applies the table and key.

/** The abort reasons Mnesia documents (mnesia:error_description/1), plus the ones its functions raise. */
export type AbortReason =
  | "nested_transaction"
  | "badarg"
  | "no_transaction"
  | "combine_error"
  | "bad_index"
  | "already_exists"
  | "index_exists"
  | "no_exists"
  | "system_limit"
  | "mnesia_down"
  | "not_a_db_node"
  | "bad_type"
  | "node_not_running"
  | "truncated_binary_file"
  | "active"
  | "illegal"
  | "not_running"
  | "timeout"
  // Mneme's own, for disc storage:
  | "bad_checksum"
  | "invalid_file"
  | "dir_locked"
  | "no_schema";

export interface ErrorDetails {
  readonly table?: string | undefined;
  readonly key?: unknown;
  /** Anything else that helps: the offending value, the option name, ... */
  readonly value?: unknown;
}

/** Base class of every error Mneme raises on purpose. `reason` is Mnesia's abort reason. */
export class MnemeError extends Error {
  readonly reason: AbortReason;
  readonly table: string | undefined;
  readonly key: unknown;
  readonly value: unknown;

  constructor(reason: AbortReason, message: string, details: ErrorDetails = {}) {
    super(`${reason}: ${message}`);
    this.name = new.target.name;
    this.reason = reason;
    this.table = details.table;
    this.key = details.key;
    this.value = details.value;
  }
}

export class NestedTransactionError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("nested_transaction", message, details);
  }
}
export class BadArgError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("badarg", message, details);
  }
}
export class NoTransactionError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("no_transaction", message, details);
  }
}
export class CombineError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("combine_error", message, details);
  }
}
export class BadIndexError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("bad_index", message, details);
  }
}
export class AlreadyExistsError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("already_exists", message, details);
  }
}
export class IndexExistsError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("index_exists", message, details);
  }
}
export class NoExistsError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("no_exists", message, details);
  }
}
export class SystemLimitError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("system_limit", message, details);
  }
}
export class BadTypeError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("bad_type", message, details);
  }
}
export class IllegalError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("illegal", message, details);
  }
}
/** A write to a table whose access mode is read_only. Mnesia aborts with {no_exists, Tab}, so the reason is no_exists. */
export class ReadOnlyError extends NoExistsError {}
/** The database is closed, or not yet open (Mnesia: {node_not_running, Node}). */
export class NotRunningError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("node_not_running", message, details);
  }
}
export class TimeoutError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("timeout", message, details);
  }
}

/**
 * A file on disc is damaged: it ends inside a record (truncated_binary_file) or a record fails its
 * checksum (bad_checksum), or its structure is broken (invalid_file: an LMDB file whose meta pages
 * are invalid, or whose pages LMDB reports as corrupted). `file` and `offset` say where the first
 * bad byte is (as far as known).
 */
export class CorruptFileError extends MnemeError {
  constructor(
    reason: "truncated_binary_file" | "bad_checksum" | "invalid_file",
    message: string,
    readonly file: string,
    readonly offset: number,
    details?: ErrorDetails,
  ) {
    super(reason, `${message} (${file} at offset ${offset})`, details);
  }
}
/** The database directory is open in another process (its lock file is held). */
export class DirectoryLockedError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("dir_locked", message, details);
  }
}
/** A disc schema is required (schemaLocation "disc") but the directory has none. */
export class NoSchemaError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("no_schema", message, details);
  }
}

/**
 * A transaction ended in `{aborted, Reason}`.
 * `reason` is what `abort(reason)` was given, the thrown value, or the abort reason name of a
 * MnemeError raised by an operation (then `cause` is that error).
 */
export class TransactionAborted extends Error {
  readonly reason: unknown;

  constructor(reason: unknown, cause?: unknown) {
    super(`transaction aborted: ${describeReason(reason, cause)}`, { cause });
    this.name = "TransactionAborted";
    this.reason = reason;
  }
}

function describeReason(reason: unknown, cause: unknown): string {
  if (cause instanceof Error) return cause.message;
  if (typeof reason === "string") return reason;
  try {
    return (
      JSON.stringify(reason, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)) ?? String(reason)
    );
  } catch {
    return String(reason);
  }
}

const DESCRIPTIONS: Readonly<Record<string, string>> = {
  nested_transaction: "Nested transactions are not allowed in this context",
  badarg: "Bad or invalid argument, possibly bad type",
  no_transaction: "Operation not allowed outside transactions",
  combine_error: "Table options illegally combined",
  bad_index: "Index already exists, or was out of bounds",
  already_exists: "Schema option to be activated is already on",
  index_exists: "Some operations cannot be performed on tables with an index",
  no_exists: "Tried to perform operation on non-existing (not-alive) item",
  system_limit: "A system limit was exhausted",
  mnesia_down:
    "A transaction involves records on a remote node, which became unavailable before the transaction was completed. Records are no longer available elsewhere in the network.",
  not_a_db_node: "A node was mentioned that does not exist in the schema",
  bad_type: "Bad type specified in argument",
  node_not_running: "Node is not running",
  truncated_binary_file: "Truncated binary in file",
  active: "Some delete operations require that all active records are removed",
  illegal: "Operation not supported on this record",
  not_running: "Mnesia is not running",
  timeout: "The operation timed out",
  bad_checksum: "A record in a file failed its checksum",
  invalid_file: "A file's structure is damaged",
  dir_locked: "The database directory is in use by another process",
  no_schema: "There is no disc schema in the database directory",
};

/**
 * mnesia:error_description/1. Accepts a reason name, a MnemeError, a TransactionAborted,
 * or an `{error, Reason}` / `{aborted, Reason}`-style object ({error: r} or {aborted: r}).
 */
export function errorDescription(error: unknown): string {
  if (error instanceof MnemeError) return DESCRIPTIONS[error.reason] ?? error.reason;
  if (error instanceof TransactionAborted) {
    return error.cause !== undefined
      ? errorDescription(error.cause)
      : errorDescription(error.reason);
  }
  if (typeof error === "string") return DESCRIPTIONS[error] ?? error;
  if (Array.isArray(error) && typeof error[0] === "string") return errorDescription(error[0]);
  if (error !== null && typeof error === "object") {
    const o = error as { error?: unknown; aborted?: unknown };
    if ("error" in o) return errorDescription(o.error);
    if ("aborted" in o) return errorDescription(o.aborted);
  }
  return String(error);
}
