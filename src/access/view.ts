// What the read algorithms see of a table: the committed store, or — inside a transaction that
// changed the table — the committed store with the transaction's own changes laid over it.
import { compareKeys, type Key, mapKey } from "../keys/index.js";
import type { LiveTable } from "../schema/live-table.js";
import { aboveLower, belowUpper } from "../store/in-range.js";
import type { KeyBound, Rec, RecordFilter } from "../store/store.js";
import type { TableOverlay } from "../txn/overlay.js";

export interface TableView {
  readonly table: LiveTable;
  lookup(key: Key): readonly Rec[];
  /** Every record; with a filter, records it refuses may be left out (see RecordFilter). */
  records(filter?: RecordFilter): Iterable<Rec>;
  recordsReverse(): Iterable<Rec>;
  range(lower: KeyBound | undefined, upper: KeyBound | undefined): Iterable<Rec>;
  keys(): Iterable<Key>;
  first(): Key | undefined;
  last(): Key | undefined;
  next(key: Key): Key | undefined;
  prev(key: Key): Key | undefined;
  /** Keys that may hold records whose `attribute` equals `value` (a superset); undefined without an index. */
  indexCandidates(attribute: string, value: unknown): Iterable<Key> | undefined;
}

export class CommittedView implements TableView {
  constructor(readonly table: LiveTable) {}
  lookup(key: Key): readonly Rec[] {
    return this.table.store.lookup(key);
  }
  records(filter?: RecordFilter): Iterable<Rec> {
    const store = this.table.store;
    return filter !== undefined && store.recordsPassing !== undefined
      ? store.recordsPassing(filter)
      : store.records();
  }
  recordsReverse(): Iterable<Rec> {
    return this.table.store.recordsReverse();
  }
  range(lower: KeyBound | undefined, upper: KeyBound | undefined): Iterable<Rec> {
    return this.table.store.range(lower, upper);
  }
  keys(): Iterable<Key> {
    return this.table.store.keys();
  }
  first(): Key | undefined {
    return this.table.store.first();
  }
  last(): Key | undefined {
    return this.table.store.last();
  }
  next(key: Key): Key | undefined {
    return this.table.store.next(key);
  }
  prev(key: Key): Key | undefined {
    return this.table.store.prev(key);
  }
  indexCandidates(attribute: string, value: unknown): Iterable<Key> | undefined {
    return this.table.indexes.get(attribute)?.keysFor(value);
  }
}

export class MergedView implements TableView {
  private readonly store;

  constructor(
    readonly table: LiveTable,
    private readonly overlay: TableOverlay,
  ) {
    this.store = table.store;
  }

  lookup(key: Key): readonly Rec[] {
    const c = this.overlay.get(key);
    const base = this.store.lookup(key);
    return c === undefined ? base : this.overlay.apply(base, c);
  }

  private changedView(key: Key): readonly Rec[] | undefined {
    const c = this.overlay.get(key);
    return c === undefined ? undefined : this.overlay.apply(this.store.lookup(key), c);
  }

  *records(): Iterable<Rec> {
    for (const k of this.keys()) yield* this.lookup(k);
  }

  *recordsReverse(): Iterable<Rec> {
    if (!this.store.ordered) {
      yield* this.records();
      return;
    }
    const keys = [...this.keys()].reverse();
    for (const k of keys) yield* this.lookup(k);
  }

  *range(lower: KeyBound | undefined, upper: KeyBound | undefined): Iterable<Rec> {
    for (const k of this.keys()) {
      if (!belowUpper(k, upper)) {
        if (this.store.ordered) return;
        continue;
      }
      if (aboveLower(k, lower)) yield* this.lookup(k);
    }
  }

  /**
   * Committed keys not deleted by the transaction, then keys only the transaction has (merged in
   * key order for ordered tables). A key is given in the form its records hold (1 and 1n are one
   * key; the form written last wins), as the stores do.
   */
  *keys(): Iterable<Key> {
    if (this.store.ordered) {
      const extra = this.overlay.sortedKeys(compareKeys);
      let i = 0;
      for (const k of this.store.keys()) {
        while (i < extra.length && compareKeys(extra[i]!, k) < 0) {
          const e = this.liveKey(extra[i++]!);
          if (e !== undefined) yield e;
        }
        if (i < extra.length && compareKeys(extra[i]!, k) === 0) i++;
        const live = this.liveKey(k);
        if (live !== undefined) yield live;
      }
      for (; i < extra.length; i++) {
        const e = this.liveKey(extra[i]!);
        if (e !== undefined) yield e;
      }
      return;
    }
    for (const k of this.store.keys()) {
      const v = this.changedView(k);
      if (v === undefined) yield k;
      else if (v.length > 0) yield this.keyOf(v);
    }
    for (const c of this.overlay.changes.values()) {
      if (this.store.lookup(c.key).length > 0) continue;
      const v = this.overlay.apply([], c);
      if (v.length > 0) yield this.keyOf(v);
    }
  }

  /** The key of a non-empty list of records under one key. */
  private keyOf(recs: readonly Rec[]): Key {
    return recs[0]![this.table.keyAttr] as Key;
  }

  /** The key in its current form if it holds records, else undefined. */
  private liveKey(k: Key): Key | undefined {
    const v = this.lookup(k);
    return v.length > 0 ? this.keyOf(v) : undefined;
  }

  /** Whether a key holds records in this view. */
  private has(k: Key): boolean {
    return this.lookup(k).length > 0;
  }

  first(): Key | undefined {
    for (const k of this.keys()) return k;
    return undefined;
  }

  last(): Key | undefined {
    if (!this.store.ordered) return this.first();
    let last = this.store.last();
    while (last !== undefined && !this.has(last)) last = this.store.prev(last);
    for (const e of this.overlay.sortedKeys(compareKeys)) {
      if (this.has(e) && (last === undefined || compareKeys(e, last) > 0)) last = e;
    }
    return last === undefined ? undefined : this.liveKey(last);
  }

  next(key: Key): Key | undefined {
    return this.step(key, 1);
  }

  prev(key: Key): Key | undefined {
    return this.store.ordered ? this.step(key, -1) : this.step(key, 1);
  }

  private step(key: Key, dir: 1 | -1): Key | undefined {
    if (this.store.ordered) {
      let c = dir === 1 ? this.store.next(key) : this.store.prev(key);
      while (c !== undefined && !this.has(c))
        c = dir === 1 ? this.store.next(c) : this.store.prev(c);
      let best = c;
      for (const e of this.overlay.sortedKeys(compareKeys)) {
        const d = compareKeys(e, key) * dir;
        if (d <= 0 || !this.has(e)) continue;
        if (best === undefined || compareKeys(e, best) * dir < 0) best = e;
      }
      return best === undefined ? undefined : this.liveKey(best);
    }
    // Unordered: the order of keys() — linear, as Mnesia's compensation for own writes is.
    let found = false;
    const id = mapKey(key);
    for (const k of this.keys()) {
      if (found) return k;
      if (mapKey(k) === id) found = true;
    }
    return undefined;
  }

  indexCandidates(attribute: string, value: unknown): Iterable<Key> | undefined {
    const idx = this.table.indexes.get(attribute);
    if (idx === undefined) return undefined;
    return [...idx.keysFor(value), ...[...this.overlay.changes.values()].map((c) => c.key)];
  }
}

export function viewOf(table: LiveTable, overlay: TableOverlay | undefined): TableView {
  return overlay === undefined || overlay.changes.size === 0
    ? table.view
    : new MergedView(table, overlay);
}
