// A secondary index on one attribute: attribute value -> the keys of the records holding it.
// Kept in step with the store by the log applier, which hands over the records under a key
// before and after each change.
import { type Key, mapKey, termMapKey } from "../keys/index.js";
import type { Rec } from "./store.js";

type Id = ReturnType<typeof mapKey>;

export class SecondaryIndex {
  private readonly buckets = new Map<Id, Map<Id, Key>>();

  constructor(readonly attribute: string) {}

  /** Keys of the records whose attribute equals `value`. */
  keysFor(value: unknown): Iterable<Key> {
    return this.buckets.get(termMapKey(value))?.values() ?? [];
  }

  /** Number of distinct keys under `value` (used to pick the cheaper access path). */
  countFor(value: unknown): number {
    return this.buckets.get(termMapKey(value))?.size ?? 0;
  }

  /** Updates the index for one key whose records changed from `before` to `after`. */
  update(key: Key, before: readonly Rec[], after: readonly Rec[]): void {
    if (before.length === 1 && after.length === 1) {
      // The common case (set tables): one record replaced by another.
      const ov = termMapKey(before[0]![this.attribute]);
      const nv = termMapKey(after[0]![this.attribute]);
      if (ov === nv) return;
      this.remove(ov, key);
      this.add(nv, key);
      return;
    }
    const keep = new Set<Id>();
    for (const r of after) keep.add(termMapKey(r[this.attribute]));
    for (const r of before) {
      const v = termMapKey(r[this.attribute]);
      if (!keep.has(v)) this.remove(v, key);
    }
    for (const v of keep) this.add(v, key);
  }

  /** update() for tables with at most one record per key, without arrays. */
  updateOne(key: Key, before: Rec | undefined, after: Rec | undefined): void {
    const ov = before === undefined ? undefined : termMapKey(before[this.attribute]);
    const nv = after === undefined ? undefined : termMapKey(after[this.attribute]);
    if (before !== undefined && after !== undefined && ov === nv) return;
    if (before !== undefined) this.remove(ov!, key);
    if (after !== undefined) this.add(nv!, key);
  }

  add(valueId: Id, key: Key): void {
    let bucket = this.buckets.get(valueId);
    if (bucket === undefined) this.buckets.set(valueId, (bucket = new Map()));
    bucket.set(mapKey(key), key);
  }

  private remove(valueId: Id, key: Key): void {
    const bucket = this.buckets.get(valueId);
    if (bucket === undefined) return;
    bucket.delete(mapKey(key));
    if (bucket.size === 0) this.buckets.delete(valueId);
  }

  clear(): void {
    this.buckets.clear();
  }

  /** Rebuilds the index from every record of a table. */
  rebuild(records: Iterable<Rec>, keyAttr: string): void {
    this.buckets.clear();
    for (const r of records) this.add(termMapKey(r[this.attribute]), r[keyAttr] as Key);
  }

  /** Number of entries, for memory estimates. */
  entries(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.size;
    return n;
  }
}
