// A transaction's own writes and deletes, kept apart from the committed stores until commit.
// Per key it keeps the operations in order; reads of a key apply them to the committed records.
import { type Key, mapKey, termEquals } from "../keys/index.js";
import type { DataOp } from "../log/entry.js";
import type { Rec } from "../store/store.js";
import type { TableType } from "../types.js";

type Id = ReturnType<typeof mapKey>;
type KeyOp = Exclude<
  DataOp,
  { op: "clear_table" } | { op: "update_counter" } | { op: "load_table" }
>;

export interface KeyChange {
  /** The key as last written (1 and 1n are one key; the store keeps the form written last). */
  key: Key;
  ops: KeyOp[];
}

export class TableOverlay {
  readonly changes = new Map<Id, KeyChange>();
  private sorted: Key[] | undefined;

  constructor(readonly type: TableType) {}

  get(key: Key): KeyChange | undefined {
    return this.changes.get(mapKey(key));
  }

  /** The records under a changed key, given the committed records under it. */
  apply(base: readonly Rec[], change: KeyChange): readonly Rec[] {
    let cur = base;
    for (const op of change.ops) {
      switch (op.op) {
        case "write":
          if (this.type !== "bag") cur = [op.record];
          else {
            const at = cur.findIndex((r) => termEquals(r, op.record));
            if (at >= 0) {
              const next = cur.slice();
              next[at] = op.record;
              cur = next;
            } else cur = [...cur, op.record];
          }
          break;
        case "delete":
          cur = [];
          break;
        case "delete_object":
          cur = cur.filter((r) => !termEquals(r, op.record));
          break;
      }
    }
    return cur;
  }

  /** Changed keys in key order (for ordered tables); cached until a new key is touched. */
  sortedKeys(compare: (a: Key, b: Key) => number): readonly Key[] {
    if (this.sorted === undefined)
      this.sorted = [...this.changes.values()].map((c) => c.key).sort(compare);
    return this.sorted;
  }

  add(op: KeyOp, id: Id): KeyChange | undefined {
    const c = this.changes.get(id);
    if (c === undefined) {
      const change: KeyChange = { key: op.key, ops: [op] };
      this.changes.set(id, change);
      this.sorted = undefined;
      return change;
    }
    // For set tables a write or delete supersedes what came before (Mnesia keeps only the last).
    if (op.op === "write") c.key = op.key;
    if (this.type !== "bag" && op.op !== "delete_object") c.ops = [op];
    else if (op.op === "delete") c.ops = [op];
    else c.ops.push(op);
    return undefined;
  }

  clone(): TableOverlay {
    const o = new TableOverlay(this.type);
    for (const [id, c] of this.changes) o.changes.set(id, { key: c.key, ops: c.ops.slice() });
    return o;
  }
}

export class Overlay {
  readonly tables = new Map<string, TableOverlay>();
  /** Changed keys in first-touch order: the order of the commit's operations. */
  private order: [string, KeyChange][] = [];

  table(name: string): TableOverlay | undefined {
    return this.tables.get(name);
  }

  add(table: string, type: TableType, op: KeyOp): void {
    let t = this.tables.get(table);
    if (t === undefined) this.tables.set(table, (t = new TableOverlay(type)));
    const fresh = t.add(op, mapKey(op.key));
    if (fresh !== undefined) this.order.push([table, fresh]);
  }

  get empty(): boolean {
    return this.order.length === 0;
  }

  /** The operations to commit, in order. */
  ops(): DataOp[] {
    const out: DataOp[] = [];
    for (const [table, c] of this.order) {
      // A key's change may belong to a table deleted and re-created meanwhile: keep it keyed by name.
      if (this.tables.get(table)?.changes.get(mapKey(c.key)) === c) out.push(...c.ops);
    }
    return out;
  }

  /** A copy, for the savepoint of a nested transaction. */
  clone(): Overlay {
    const o = new Overlay();
    for (const [name, t] of this.tables) o.tables.set(name, t.clone());
    for (const [name, c] of this.order) {
      const copy = o.tables.get(name)?.changes.get(mapKey(c.key));
      if (copy !== undefined) o.order.push([name, copy]);
    }
    return o;
  }

  /** Forgets a table's changes (the table was deleted). */
  dropTable(name: string): void {
    this.tables.delete(name);
  }
}
