// Log entries: what a commit, a dirty operation or a schema change becomes.
// Stores, indexes and events are fed only by applying entries in log order.
import type { Key } from "../keys/index.js";
import type { TableSpec } from "../schema/table-spec.js";
import type { Rec } from "../store/store.js";
import type { ActivityId } from "../types.js";

export type DataOp =
  | { readonly op: "write"; readonly table: string; readonly key: Key; readonly record: Rec }
  | { readonly op: "delete"; readonly table: string; readonly key: Key }
  | {
      readonly op: "delete_object";
      readonly table: string;
      readonly key: Key;
      readonly record: Rec;
    }
  | { readonly op: "clear_table"; readonly table: string }
  /**
   * restore: the table's whole content becomes `records` (what it held is cleared first). For a
   * disc_copies table the records are also in the snapshot `file`, written before the entry, and
   * the WAL names the file instead of holding the records.
   */
  | {
      readonly op: "load_table";
      readonly table: string;
      readonly records: readonly Rec[];
      readonly file: string | undefined;
    }
  /** dirty_update_counter: applied as an increment at apply time, so concurrent updates never lose one. */
  | {
      readonly op: "update_counter";
      readonly table: string;
      readonly key: Key;
      readonly incr: number | bigint;
    };

export type SchemaOp =
  | { readonly op: "create_table"; readonly spec: TableSpec }
  | { readonly op: "delete_table"; readonly table: string }
  /** A definition change that keeps the content (index, access mode, load order, majority, ...). */
  | { readonly op: "redefine_table"; readonly spec: TableSpec }
  /** transform_table: the new definition and every transformed record. */
  | { readonly op: "transform_table"; readonly spec: TableSpec; readonly records: readonly Rec[] }
  /**
   * change_table_copy_type: the definition with its new storage. `records` carries the content
   * when it comes from a ram_copies table, whose writes were never logged, so that a replay can
   * rebuild the table.
   */
  | {
      readonly op: "change_copy_type";
      readonly spec: TableSpec;
      readonly records: readonly Rec[] | undefined;
    };

export type LogOp = DataOp | SchemaOp;

export interface LogEntry {
  /** Position in the log, assigned by append; strictly increasing. */
  readonly position: number;
  readonly activity: ActivityId;
  readonly ops: readonly LogOp[];
}

/** How far a commit must have gone before it is acknowledged. */
export type Durability = "fsync" | "os" | "none";

/** The log interface the transaction code talks to. Local WAL and JetStream implement it later. */
export interface CommitLog {
  /** Position of the last appended entry (0 when empty). */
  readonly position: number;
  /** Appends an entry and applies it to every consumer, in order, before returning. */
  append(activity: ActivityId, ops: readonly LogOp[]): LogEntry;
  /** Registers a consumer; consumers see every entry appended after registration, in order. */
  subscribe(consumer: (entry: LogEntry) => void): () => void;
  /**
   * Resolves once `entry` is as durable as `mode` asks, with everything logged before it. Without
   * an entry of its own on disc (a read-only commit, or one writing RAM tables only), a commit
   * waits for everything logged so far: it may have read writes still waiting for their fsync.
   * Undefined when there is nothing to wait for (mode "none", or all of it durable already).
   */
  whenDurable(entry: LogEntry | undefined, mode: Durability): Promise<void> | undefined;
  /** As whenDurable, before returning (a synchronous transaction in fsync mode). */
  makeDurableSync(entry: LogEntry | undefined, mode: Durability): void;
}
