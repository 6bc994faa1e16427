// The log of a database with a disc schema: every entry is applied in RAM as before, and the
// entries that concern disc (schema changes, and writes to disc_copies and disc_only_copies
// tables) are also appended to the write-ahead log. Commits wait for the WAL as their durability
// mode says; the WAL groups them so that many commits share one fsync (group commit).
//
// An entry is written to the OS before it is applied: if the write fails (disc full), append
// throws a FileError and nothing of the entry is kept, not even its position. If applying a
// logged entry fails (an LMDB commit on a full disc), its record is taken back out of the WAL.
import { SystemLimitError } from "../errors.js";
import type { Durability, LogEntry, LogOp } from "../log/entry.js";
import { MemoryLog } from "../log/memory-log.js";
import type { ActivityId, StorageType } from "../types.js";
import type { Wal } from "../wal/index.js";
import { MAX_ENTRY_BYTES } from "../wal/record.js";
import { encodeWalPayload, type WalPayload } from "./wal-payload.js";

export { decodeWalPayload, type WalPayload } from "./wal-payload.js";

/**
 * Where the schema ops of an entry put tables, for the entry's later ops (undefined: deleted): a
 * restore creates a table and loads it in one entry.
 */
export type EntryStorage = ReadonlyMap<string, StorageType | undefined>;

export interface DurableLogRules {
  /** Whether an op must be logged (schema ops, data ops of disc tables). */
  logged(op: LogOp, defined: EntryStorage | undefined): boolean;
  /** Whether an op changes an LMDB table: its WAL record must reach the OS before LMDB sees it. */
  touchesLmdb(op: LogOp, defined: EntryStorage | undefined): boolean;
  /** Told of every record written to the WAL: its ops and its size. */
  onLogged?(ops: readonly LogOp[], bytes: number): void;
  /** Told when an entry fails: its WAL write (a full disc), or its LMDB commit. */
  onFailed?(step: "wal_write" | "lmdb_commit", error: unknown, ops: readonly LogOp[]): void;
}

/** A log entry that remembers whether it was written to the WAL (only those are waited for). */
interface WalLogEntry extends LogEntry {
  inWal: boolean;
}

export class DurableLog extends MemoryLog {
  writes = 0;
  /** The largest WAL entry: a commit whose logged changes encode to more is refused (system_limit). */
  maxEntryBytes = MAX_ENTRY_BYTES;
  /**
   * Awaited by every commit acknowledgement of an entry in the WAL, together with the WAL itself
   * (the replicator's sync mode: acknowledged once the entry is in the object store too).
   */
  afterDurable: ((position: number) => Promise<void>) | undefined;

  constructor(
    private readonly wal: Wal,
    startAfter: number,
    private readonly rules: DurableLogRules,
  ) {
    super();
    this.startAfter(startAfter);
  }

  override append(activity: ActivityId, ops: readonly LogOp[]): LogEntry {
    const entry: WalLogEntry = { position: this.position + 1, activity, ops, inWal: false };
    let logged: LogOp[] | undefined;
    let defined: Map<string, StorageType | undefined> | undefined;
    let touchesLmdb = false;
    for (let i = 0; i < ops.length; i++) {
      const op = ops[i]!;
      if (this.rules.logged(op, defined)) {
        logged?.push(op);
        touchesLmdb ||= this.rules.touchesLmdb(op, defined);
      } else {
        logged ??= ops.slice(0, i);
      }
      if ("spec" in op) (defined ??= new Map()).set(op.spec.name, op.spec.storage);
      else if (op.op === "delete_table") (defined ??= new Map()).set(op.table, undefined);
    }
    return this.write(entry, activity, logged ?? ops, touchesLmdb);
  }

  private write(
    entry: WalLogEntry,
    activity: ActivityId,
    logged: readonly LogOp[],
    touchesLmdb: boolean,
  ): LogEntry {
    if (logged.length === 0) {
      this.startAfter(entry.position);
      this.publish(entry);
      return entry;
    }
    const payload: WalPayload = { kind: activity.kind, id: activity.id, ops: logged };
    const parts = encodeWalPayload(payload);
    let bytes = 0;
    for (const part of parts) bytes += part.length;
    if (bytes > this.maxEntryBytes) throw tooLarge(logged, bytes, this.maxEntryBytes);
    // Written to the OS now (before an LMDB table sees it, too: an LMDB write is in the OS the
    // moment it commits, and a crash must not keep it without the rest of its transaction).
    try {
      this.wal.append(entry.position, parts);
    } catch (e) {
      this.rules.onFailed?.("wal_write", e, logged);
      throw e;
    }
    this.startAfter(entry.position);
    entry.inWal = true;
    try {
      this.publish(entry);
    } catch (e) {
      // Only LMDB can fail here, and its transaction rolled back: the entry must not be replayed.
      if (touchesLmdb) {
        this.wal.retract(entry.position);
        this.startAfter(entry.position - 1);
        this.rules.onFailed?.("lmdb_commit", e, logged);
      }
      throw e;
    }
    this.rules.onLogged?.(logged, bytes);
    this.writes += logged.length;
    return entry;
  }

  override whenDurable(entry: LogEntry | undefined, mode: Durability): Promise<void> | undefined {
    const own = entry !== undefined && (entry as WalLogEntry).inWal === true;
    // A commit with no record of its own may still have read records whose fsync (or shipment)
    // is pending, as locks are released before it: it waits for everything written so far.
    const position = own ? (entry as LogEntry).position : this.wal.lastPosition;
    const local = this.localWait(own, position, mode);
    const after = this.afterDurable;
    if (after === undefined || (!own && position <= 0)) return local;
    // Both at once: the entry is in the OS already, so it can be shipped while it is fsynced.
    if (local === undefined) return after(position);
    return Promise.all([local, after(position)]).then(() => undefined);
  }

  private localWait(own: boolean, position: number, mode: Durability): Promise<void> | undefined {
    if (mode === "none") return undefined;
    if (own) return this.wal.whenDurable(position, mode);
    // Every record is in the OS once appended, so only "fsync" has anything to wait for.
    if (mode === "os" || this.wal.lastPosition <= this.wal.durablePosition) return undefined;
    return this.wal.whenDurable(position, mode);
  }

  override makeDurableSync(entry: LogEntry | undefined, mode: Durability): void {
    if (mode === "none") return;
    if (entry !== undefined && (entry as WalLogEntry).inWal) {
      this.wal.flushSync(mode === "fsync");
      return;
    }
    // As in whenDurable: what it may have read is made durable before it returns.
    if (mode === "fsync" && this.wal.lastPosition > this.wal.durablePosition) {
      this.wal.flushSync(true);
    }
  }
}

/** The commit is refused before anything is logged or applied: nothing of it is stored. */
function tooLarge(ops: readonly LogOp[], bytes: number, max: number): SystemLimitError {
  const tables = [...new Set(ops.map((op) => ("table" in op ? op.table : op.spec.name)))];
  return new SystemLimitError(
    `the changes to ${tables.join(", ")} in one commit encode to ${bytes} bytes, more than a WAL ` +
      `entry holds (${max} bytes); nothing was stored: write them in several smaller transactions`,
    { table: tables[0], value: bytes },
  );
}
