// Applies log entries to the table stores, the secondary indexes and the SNMP orderings, and
// turns them into table events. The only code that changes a store.
import type { EventHub } from "../events/event-hub.js";
import type { Key } from "../keys/index.js";
import { LiveTable, ramStoreFactory, type StoreFactory } from "../schema/live-table.js";
import type { Rec } from "../store/store.js";
import type { ActivityId } from "../types.js";
import type { DataOp, LogEntry, SchemaOp } from "./entry.js";

const NONE: readonly Rec[] = Object.freeze([]);

/**
 * Counter arithmetic of dirty_update_counter, as real Mnesia does it: an integer value that stays
 * >= 0 is incremented; anything else (no record, a non-integer value, a result below zero) is
 * replaced by the increment if it is positive, else by 0.
 */
export function nextCounterValue(current: unknown, incr: number | bigint): number | bigint {
  const isInt =
    typeof current === "bigint" || (typeof current === "number" && Number.isSafeInteger(current));
  if (isInt) {
    // Numbers while the sum stays a safe integer, exact bigints beyond.
    const sum =
      typeof current === "number" &&
      typeof incr === "number" &&
      Number.isSafeInteger(current + incr)
        ? current + incr
        : BigInt(current as number | bigint) + BigInt(incr);
    if (sum >= 0) return canonicalCount(sum);
  }
  if (incr > 0) return canonicalCount(incr);
  return 0;
}

/** A counter value as a number while it is a safe integer (so 5n and 5 are stored alike). */
function canonicalCount(n: number | bigint): number | bigint {
  return typeof n === "bigint" && n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : n;
}

/** What disc storage adds to applying: its stores, copy-type changes, and replay rules. */
export interface ApplierHooks {
  readonly makeStore: StoreFactory;
  /** Converts a table's store for change_table_copy_type (the spec already holds the new storage). */
  changeCopyType(
    table: LiveTable,
    op: Extract<SchemaOp, { op: "change_copy_type" }>,
    position: number,
  ): void;
  /**
   * During recovery: true when a table's store already holds the effect of the entry at
   * `position` (an LMDB table that applied it before the crash), so only its definition changes.
   */
  holdsContent(table: LiveTable, position: number): boolean;
}

const RAM_HOOKS: ApplierHooks = {
  makeStore: ramStoreFactory,
  changeCopyType: (t, op) => t.replaceStore(op.spec, t.store),
  holdsContent: () => false,
};

export class Applier {
  /** Storage hooks; replaced when a disc schema is opened. */
  hooks: ApplierHooks = RAM_HOOKS;

  constructor(
    private readonly tables: Map<string, LiveTable>,
    private readonly events: EventHub,
    /** Hook for structures kept beside the store (SNMP ordering): called with a key's records before and after. */
    private readonly onKeyChange?: (
      table: LiveTable,
      key: Key,
      before: readonly Rec[],
      after: readonly Rec[],
    ) => void,
    /** Whether onKeyChange wants a table's changes (so the records before and after are gathered). */
    private readonly watches: (table: LiveTable) => boolean = () => true,
  ) {}

  readonly apply = (entry: LogEntry): void => {
    for (const op of entry.ops) {
      if (
        op.op === "create_table" ||
        op.op === "delete_table" ||
        op.op === "redefine_table" ||
        op.op === "transform_table" ||
        op.op === "change_copy_type"
      ) {
        this.applySchema(op, entry.position);
      } else {
        const t = this.tables.get(op.table);
        if (t !== undefined && this.hooks.holdsContent(t, entry.position)) continue;
        this.applyData(op, entry.activity);
      }
    }
  };

  private applySchema(op: SchemaOp, position: number): void {
    switch (op.op) {
      case "create_table":
        this.tables.set(op.spec.name, new LiveTable(op.spec, this.hooks.makeStore));
        return;
      case "delete_table":
        this.tables.delete(op.table);
        this.events.dropTable(op.table);
        return;
      case "redefine_table": {
        const t = this.tables.get(op.spec.name)!;
        for (const a of [...t.indexes.keys()]) if (!op.spec.index.includes(a)) t.indexes.delete(a);
        for (const a of op.spec.index) if (!t.indexes.has(a)) t.addIndex(a);
        t.redefine(op.spec);
        return;
      }
      case "transform_table": {
        const t = this.tables.get(op.spec.name)!;
        t.reload(op.spec, this.hooks.holdsContent(t, position) ? undefined : op.records);
        return;
      }
      case "change_copy_type":
        this.hooks.changeCopyType(this.tables.get(op.spec.name)!, op, position);
        return;
    }
  }

  private applyData(op: DataOp, activityId: ActivityId): void {
    const t = this.tables.get(op.table);
    if (t === undefined) return; // deleted by an earlier op of the same entry
    if (op.op === "clear_table") {
      this.clear(t, activityId);
      return;
    }
    if (op.op === "load_table") {
      this.load(t, op.records, activityId);
      return;
    }
    const store = t.store;
    const detailed = this.events.hasDetailed(t.name);
    const watched = this.onKeyChange !== undefined && this.watches(t);
    // Set tables with only indexes to maintain take the allocation-free path.
    const single = !detailed && !watched && t.spec.type !== "bag";
    const tracked = t.indexes.size > 0 || detailed || watched;
    const before = tracked && !single ? store.lookup(op.key) : NONE;
    const old = tracked && single ? store.get(op.key) : undefined;
    let record: Rec | undefined;
    switch (op.op) {
      case "write":
        record = op.record;
        store.write(op.key, record);
        break;
      case "delete":
        store.deleteKey(op.key);
        break;
      case "delete_object":
        store.deleteObject(op.key, op.record);
        break;
      case "update_counter": {
        const counterAttr = t.spec.attributes[1]!;
        const current = store.get(op.key);
        const value = nextCounterValue(current?.[counterAttr], op.incr);
        // An existing counter keeps its key as stored (Mnesia: update_counter(co, 1.0, 1) on key 1 keeps 1).
        const key = current === undefined ? op.key : (current[t.keyAttr] as Key);
        record = Object.freeze({ [t.keyAttr]: key, [counterAttr]: value });
        store.write(key, record);
        break;
      }
    }
    if (tracked && single) {
      // A plain write to a set leaves exactly its record; anything else asks the store.
      const now = op.op === "write" ? record : store.get(op.key);
      for (const idx of t.indexes.values()) idx.updateOne(op.key, old, now);
    } else if (tracked) {
      const after = store.lookup(op.key);
      for (const idx of t.indexes.values()) idx.update(op.key, before, after);
      if (watched) this.onKeyChange?.(t, op.key, before, after);
    }
    // mnesia:ets/1 triggers no subscriptions.
    if (activityId.kind === "ets" || !this.events.hasTableSubscribers(t.name)) return;
    this.emit(t, op, record, before, detailed, activityId);
  }

  /** The table's content becomes `records`: a clear, then a write of each (with their events). */
  private load(t: LiveTable, records: readonly Rec[], activityId: ActivityId): void {
    this.clear(t, activityId);
    const plain =
      t.indexes.size === 0 &&
      !(this.onKeyChange !== undefined && this.watches(t)) &&
      (activityId.kind === "ets" || !this.events.hasTableSubscribers(t.name));
    if (plain) {
      // Nothing beside the store to keep up to date: a restore of a million records.
      const store = t.store;
      for (const r of records) store.write(t.keyOf(r), r);
      return;
    }
    for (const record of records) {
      this.applyData({ op: "write", table: t.name, key: t.keyOf(record), record }, activityId);
    }
  }

  private clear(t: LiveTable, activityId: ActivityId): void {
    const subscribed = activityId.kind !== "ets" && this.events.hasTableSubscribers(t.name);
    const watched = this.onKeyChange !== undefined && this.watches(t);
    const keys = subscribed || watched ? [...t.store.keys()] : [];
    const olds = keys.map((k) => t.store.lookup(k));
    t.store.clear();
    for (const idx of t.indexes.values()) idx.clear();
    if (watched) {
      keys.forEach((k, i) => {
        this.onKeyChange?.(t, k, olds[i]!, NONE);
      });
    }
    if (!subscribed) return;
    // Mnesia reports a cleared table as one delete per key.
    const detailed = this.events.hasDetailed(t.name);
    keys.forEach((key, i) => {
      this.emit(t, { op: "delete", table: t.name, key }, undefined, olds[i]!, detailed, activityId);
    });
  }

  private emit(
    t: LiveTable,
    op: DataOp,
    record: Rec | undefined,
    before: readonly Rec[],
    detailed: boolean,
    activityId: ActivityId,
  ): void {
    const table = t.name;
    switch (op.op) {
      case "write":
      case "update_counter":
        this.events.emitSimple(table, { type: "write", table, record: record!, activityId });
        if (detailed)
          this.events.emitDetailed(table, {
            type: "write",
            table,
            record: record!,
            oldRecords: before,
            activityId,
          });
        return;
      case "delete":
        this.events.emitSimple(table, { type: "delete", table, key: op.key, activityId });
        if (detailed)
          this.events.emitDetailed(table, {
            type: "delete",
            table,
            key: op.key,
            oldRecords: before,
            activityId,
          });
        return;
      case "delete_object":
        this.events.emitSimple(table, {
          type: "delete_object",
          table,
          record: op.record,
          activityId,
        });
        if (detailed) {
          this.events.emitDetailed(table, {
            type: "delete",
            table,
            key: op.key,
            record: op.record,
            oldRecords: before,
            activityId,
          });
        }
        return;
      case "clear_table":
        return;
    }
  }
}
