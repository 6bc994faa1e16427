// The cluster's commit decision (issue #11; brief §6): optimistic concurrency in the style of
// FoundationDB's resolvers. Every node applies the cluster log in order and runs this validator
// on every entry, so every node reaches the same decision without exchanging a message.
//
// An entry commits when none of its reads is stale: no committed entry between the read's
// position and the entry's own position wrote the record read (for a record read) or anything in
// the table (for a scan). Schema changes and whole-table writes (clear, restore) count as writes
// to every record of their table. A read older than `position - window` cannot be checked and
// aborts as too old. A read of a local, published but undecided transaction's write names that
// transaction; the entry aborts if it aborted.
import { encodeKey } from "../keys/encode.js";
import type { Key } from "../keys/index.js";

/** Where a read was taken: the log position its state reflected, or a pending entry it read. */
export type ReadPoint = number | { readonly after: string };

export type ReadItem =
  | { readonly kind: "record"; readonly table: string; readonly key: Key; readonly at: ReadPoint }
  | { readonly kind: "table"; readonly table: string; readonly at: ReadPoint };

export interface ValidatedEntry {
  /** The transaction id (the JetStream message id): a repeated id is the same transaction. */
  readonly id: string;
  readonly reads: readonly ReadItem[];
  /** Records written (write, delete, delete_object, update_counter). */
  readonly writes: readonly { readonly table: string; readonly key: Key }[];
  /** Tables written as a whole (clear_table, load_table). */
  readonly tablesWritten: readonly string[];
  /** Tables whose definition the entry changes (create, delete, transform, copy type, index). */
  readonly schemaTables: readonly string[];
  /** Earlier local transactions whose undecided writes this one read. */
  readonly dependsOn: readonly string[];
}

export type Decision =
  | { readonly outcome: "commit"; readonly position: number }
  | { readonly outcome: "duplicate"; readonly of: Decision }
  | {
      readonly outcome: "abort";
      readonly position: number;
      readonly reason: "conflict" | "too_old" | "dependency_aborted";
      /** The read that failed, or the dependency, for the error message. */
      readonly table?: string;
      readonly key?: Key;
      readonly dependency?: string;
    };

interface TableMarks {
  /** Last position at which anything in the table was written. */
  any: number;
  /** Last position at which the table was written as a whole or its definition changed. */
  whole: number;
  /** Last write position of each record written inside the window (encoded key). */
  readonly keys: Map<string, number>;
}

const NEVER = Number.NEGATIVE_INFINITY;

function keyId(key: Key): string {
  return Buffer.from(encodeKey(key)).toString("latin1");
}

export class Validator {
  private readonly tables = new Map<string, TableMarks>();
  private readonly decided = new Map<string, Decision & { position: number }>();
  /** Writes and decisions in position order, to forget what falls out of the window. */
  private readonly horizon: { position: number; table?: string; key?: string; id?: string }[] = [];
  private horizonStart = 0;
  private last = 0;

  constructor(readonly window: number) {
    if (!Number.isSafeInteger(window) || window < 1) {
      throw new RangeError(`the validation window must be a positive integer, got ${window}`);
    }
  }

  /** The position of the last entry decided. */
  get position(): number {
    return this.last;
  }

  /** Decides the entry at `position` (strictly above the previous one) and records its writes. */
  decide(entry: ValidatedEntry, position: number): Decision {
    if (!(Number.isSafeInteger(position) && position > this.last)) {
      throw new RangeError(`log position ${position} does not follow ${this.last}`);
    }
    this.last = position;
    this.forget(position - this.window);
    const earlier = this.decided.get(entry.id);
    if (earlier !== undefined) return { outcome: "duplicate", of: earlier };
    const decision = this.check(entry, position);
    this.decided.set(entry.id, decision);
    this.horizon.push({ position, id: entry.id });
    if (decision.outcome === "commit") this.record(entry, position);
    return decision;
  }

  private check(entry: ValidatedEntry, position: number): Decision & { position: number } {
    const floor = position - this.window;
    for (const id of entry.dependsOn) {
      const d = this.decided.get(id);
      if (d === undefined || d.outcome !== "commit") {
        return { outcome: "abort", position, reason: "dependency_aborted", dependency: id };
      }
    }
    for (const read of entry.reads) {
      const at = this.resolve(read.at);
      const where =
        read.kind === "record" ? { table: read.table, key: read.key } : { table: read.table };
      if (at === undefined) {
        const dependency = typeof read.at === "object" ? read.at.after : undefined;
        return { outcome: "abort", position, reason: "dependency_aborted", ...where, dependency };
      }
      if (at < floor) return { outcome: "abort", position, reason: "too_old", ...where };
      const marks = this.tables.get(read.table);
      if (marks === undefined) continue;
      const changed =
        read.kind === "table"
          ? marks.any
          : Math.max(marks.whole, marks.keys.get(keyId(read.key)) ?? NEVER);
      if (changed > at) return { outcome: "abort", position, reason: "conflict", ...where };
    }
    return { outcome: "commit", position };
  }

  /** A read point as a position; undefined when it names a transaction not known to have committed. */
  private resolve(at: ReadPoint): number | undefined {
    if (typeof at === "number") return at;
    const d = this.decided.get(at.after);
    return d?.outcome === "commit" ? d.position : undefined;
  }

  private marks(table: string): TableMarks {
    let m = this.tables.get(table);
    if (m === undefined) {
      m = { any: NEVER, whole: NEVER, keys: new Map() };
      this.tables.set(table, m);
    }
    return m;
  }

  private record(entry: ValidatedEntry, position: number): void {
    for (const { table, key } of entry.writes) {
      const m = this.marks(table);
      const id = keyId(key);
      m.keys.set(id, position);
      m.any = position;
      this.horizon.push({ position, table, key: id });
    }
    for (const table of [...entry.tablesWritten, ...entry.schemaTables]) {
      const m = this.marks(table);
      m.any = position;
      m.whole = position;
    }
  }

  /** Drops what was recorded before `floor`: no read that old is ever checked against it. */
  private forget(floor: number): void {
    const h = this.horizon;
    while (
      this.horizonStart < h.length &&
      (h[this.horizonStart] as { position: number }).position < floor
    ) {
      const item = h[this.horizonStart++] as {
        position: number;
        table?: string;
        key?: string;
        id?: string;
      };
      if (item.id !== undefined) {
        if (this.decided.get(item.id)?.position === item.position) this.decided.delete(item.id);
      } else if (item.table !== undefined && item.key !== undefined) {
        const m = this.tables.get(item.table);
        if (m?.keys.get(item.key) === item.position) m.keys.delete(item.key);
      }
    }
    if (this.horizonStart > 4096 && this.horizonStart * 2 > h.length) {
      h.splice(0, this.horizonStart);
      this.horizonStart = 0;
    }
  }
}
