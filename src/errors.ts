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
  | "not_a_log_file"
  | "enoent"
  | "active"
  | "illegal"
  | "not_running"
  | "timeout"
  | "wrong_transaction"
  // Mneme's own, for disc storage:
  | "bad_checksum"
  | "invalid_file"
  | "dir_locked"
  | "no_schema"
  | "file_error"
  // Mneme's own, for versioned upgrades (src/upgrade):
  | "bad_plan"
  | "version_mismatch"
  | "upgrade_aborted"
  | "upgrade_rolled_back"
  // the control socket (src/control):
  | "control_failed";

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
/** A subscriber fell too far behind and was dropped (Subscription `maxBuffered`). */
export class SubscriptionOverflowError extends SystemLimitError {}
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
/** A select continuation used in a transaction other than the one that made it. */
export class WrongTransactionError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("wrong_transaction", message, details);
  }
}
export class TimeoutError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("timeout", message, details);
  }
}

/**
 * A file on disc is damaged: it ends inside a record (truncated_binary_file) or a record fails its
 * checksum (bad_checksum); its structure is broken (invalid_file: an LMDB file whose meta pages
 * are invalid, or whose pages LMDB reports as corrupted); or it is not a file of the kind expected
 * at all (not_a_log_file, as Mnesia says of a backup that is not one). `file` and `offset` say where
 * the first bad byte is (as far as known).
 */
export class CorruptFileError extends MnemeError {
  constructor(
    reason: "truncated_binary_file" | "bad_checksum" | "invalid_file" | "not_a_log_file",
    message: string,
    readonly file: string,
    readonly offset: number,
    details?: ErrorDetails,
  ) {
    super(reason, `${message} (${file} at offset ${offset})`, details);
  }
}
/** A file that was named does not exist (Mnesia: enoent, e.g. restoring a missing backup). */
export class FileNotFoundError extends MnemeError {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super("enoent", `${message} (${file})`, { value: file });
  }
}
/** The database directory is open in another process (its lock file is held). */
export class DirectoryLockedError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("dir_locked", message, details);
  }
}
/** The control socket of a running database (src/control) failed or answered something unexpected. */
export class ControlSocketError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("control_failed", message, details);
  }
}
/** A disc schema is required (schemaLocation "disc") but the directory has none. */
export class NoSchemaError extends MnemeError {
  constructor(message: string, details?: ErrorDetails) {
    super("no_schema", message, details);
  }
}

/**
 * A file system call failed (Mnesia's disk_log: `{file_error, File, Reason}`). `file` is the file
 * or directory, `code` the system error (ENOSPC, EACCES, EROFS, ENOENT, ...), `cause` the original.
 */
export class FileError extends MnemeError {
  constructor(
    message: string,
    readonly file: string,
    readonly code: string,
    options: { cause?: unknown; details?: ErrorDetails } = {},
  ) {
    super("file_error", `${message} (${file}: ${code})`, options.details);
    if (options.cause !== undefined) this.cause = options.cause;
  }
}
/** The disc (or the user's quota) is full: ENOSPC or EDQUOT. Nothing of the failed change was kept. */
export class DiskFullError extends FileError {}

/**
 * A refused or failed upgrade (db.upgrade): a bad plan or a version mismatch (nothing ran), or an
 * instruction that failed before the point of no return (nothing changed: upgrade_aborted) or
 * after it (the database was closed; its fallback restores the old version at the next open:
 * upgrade_rolled_back). `instruction` names the failed instruction, `cause` is its error.
 */
export class UpgradeError extends MnemeError {
  readonly instruction: string | undefined;

  constructor(
    reason: "bad_plan" | "version_mismatch" | "upgrade_aborted" | "upgrade_rolled_back",
    message: string,
    options: {
      readonly instruction?: string;
      readonly cause?: unknown;
      readonly value?: unknown;
    } = {},
  ) {
    super(reason, message, { value: options.value });
    this.instruction = options.instruction;
    if (options.cause !== undefined) this.cause = options.cause;
  }
}

const FILE_ADVICE: Readonly<Record<string, string>> = {
  ENOSPC: "the disc is full; free space and retry",
  EDQUOT: "the disc quota is exhausted; free space and retry",
  EACCES: "permission denied; check the owner and mode of the file and its directory",
  EPERM: "operation not permitted; check the owner and mode of the file and its directory",
  EROFS: "the file system is read-only; use a writable directory",
  ENOENT: "it does not exist; check the path (its parent directory must exist)",
  ENOTDIR: "a part of the path is not a directory; check the path",
  EISDIR: "it is a directory; give a file name",
  EEXIST: "it exists already; remove it or choose another name",
  EMFILE: "too many open files; raise the limit (ulimit -n)",
  EIO: "an I/O error; check the disc",
};

/**
 * A Node system error (one with a string `code`) of `doing` on `file` as a FileError (DiskFullError
 * for ENOSPC/EDQUOT), with advice; any other value is returned as it is. MnemeErrors pass through.
 */
export function fileError(err: unknown, file: string, doing: string): unknown {
  if (err instanceof MnemeError) return err;
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return err;
  const advice = FILE_ADVICE[code] ?? ((err as Error).message || "the system call failed");
  const message = `${doing} failed: ${advice}`;
  // The system error names the exact file where it can (a file of the directory, say).
  const path = (err as { path?: unknown }).path;
  const where = typeof path === "string" ? path : file;
  const options = { cause: err, details: { value: where } };
  return code === "ENOSPC" || code === "EDQUOT"
    ? new DiskFullError(message, where, code, options)
    : new FileError(message, where, code, options);
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
    // Cyclic or too deep for JSON (and then for String, which recurses too): name the type only.
    try {
      return String(reason);
    } catch {
      return Object.prototype.toString.call(reason);
    }
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
  not_a_log_file: "The file is not a file of the kind expected (not a backup)",
  enoent: "No such file",
  active: "Some delete operations require that all active records are removed",
  illegal: "Operation not supported on this record",
  not_running: "Mnesia is not running",
  timeout: "The operation timed out",
  wrong_transaction: "A select continuation was used outside the transaction that made it",
  bad_checksum: "A record in a file failed its checksum",
  invalid_file: "A file's structure is damaged",
  dir_locked: "The database directory is in use by another process",
  no_schema: "There is no disc schema in the database directory",
  file_error: "A file operation failed (disc full, permission denied, read-only or missing)",
  bad_plan: "An upgrade plan is invalid (a cycle, a missing dependency, a duplicate name)",
  version_mismatch: "The stored schema version is not the one the upgrade starts from",
  upgrade_aborted: "An upgrade failed before its point of no return; nothing was changed",
  upgrade_rolled_back:
    "An upgrade failed after its point of no return; its fallback restores the old version at the next open",
  control_failed: "The control socket of a running database failed or gave an unexpected answer",
};

/** A reason's description; an own property only ("constructor" is no reason). */
function reasonDescription(reason: string): string {
  return Object.hasOwn(DESCRIPTIONS, reason) ? DESCRIPTIONS[reason]! : reason;
}

/**
 * mnesia:error_description/1. Accepts a reason name, a MnemeError, a TransactionAborted,
 * or an `{error, Reason}` / `{aborted, Reason}`-style object ({error: r} or {aborted: r}).
 */
export function errorDescription(error: unknown): string {
  if (error instanceof MnemeError) return reasonDescription(error.reason);
  if (error instanceof TransactionAborted) {
    return error.cause !== undefined
      ? errorDescription(error.cause)
      : errorDescription(error.reason);
  }
  if (typeof error === "string") return reasonDescription(error);
  if (Array.isArray(error) && typeof error[0] === "string") return errorDescription(error[0]);
  if (error !== null && typeof error === "object") {
    const o = error as { error?: unknown; aborted?: unknown };
    if ("error" in o) return errorDescription(o.error);
    if ("aborted" in o) return errorDescription(o.aborted);
  }
  return String(error);
}
