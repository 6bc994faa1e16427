// bag tables in RAM: a Map from key to the distinct records under it, oldest first.
// Arrays are replaced, never mutated, so a lookup result stays a stable snapshot.
import { type Key, mapKey, termEquals } from "../keys/index.js";
import { HashCursor } from "./hash-cursor.js";
import { aboveLower, belowUpper } from "./in-range.js";
import type { KeyBound, Rec, TableStore } from "./store.js";

type MapKey = ReturnType<typeof mapKey>;

export class BagStore implements TableStore {
  readonly type = "bag" as const;
  readonly ordered = false;
  private readonly map = new Map<MapKey, readonly Rec[]>();
  private readonly cursor = new HashCursor(this.map);
  private count = 0;

  constructor(private readonly keyAttr: string) {}

  size(): number {
    return this.count;
  }

  lookup(key: Key): Rec[] {
    return this.map.get(mapKey(key))?.slice() ?? [];
  }

  get(key: Key): Rec | undefined {
    return this.map.get(mapKey(key))?.[0];
  }

  write(key: Key, record: Rec): void {
    const id = mapKey(key);
    const old = this.map.get(id);
    if (old === undefined) {
      this.map.set(id, [record]);
      this.count++;
      return;
    }
    // An equal record is replaced in place (keeps its position, as ets bags do).
    const at = old.findIndex((r) => termEquals(r, record));
    if (at >= 0) {
      const next = old.slice();
      next[at] = record;
      this.map.set(id, next);
      return;
    }
    this.map.set(id, [...old, record]);
    this.count++;
  }

  deleteKey(key: Key): void {
    const id = mapKey(key);
    const old = this.map.get(id);
    if (old === undefined) return;
    this.count -= old.length;
    this.map.delete(id);
    this.cursor.forget(id);
  }

  deleteObject(key: Key, record: Rec): void {
    const id = mapKey(key);
    const old = this.map.get(id);
    if (old === undefined) return;
    const next = old.filter((r) => !termEquals(r, record));
    if (next.length === old.length) return;
    this.count -= old.length - next.length;
    if (next.length === 0) {
      this.map.delete(id);
      this.cursor.forget(id);
    } else this.map.set(id, next);
  }

  clear(): void {
    this.map.clear();
    this.cursor.reset();
    this.count = 0;
  }

  *keys(): IterableIterator<Key> {
    for (const rs of this.map.values()) yield rs[0]![this.keyAttr] as Key;
  }

  *records(): IterableIterator<Rec> {
    for (const rs of this.map.values()) yield* rs;
  }

  recordsReverse(): IterableIterator<Rec> {
    return this.records();
  }

  *range(lower: KeyBound | undefined, upper: KeyBound | undefined): IterableIterator<Rec> {
    for (const rs of this.map.values()) {
      const k = rs[0]![this.keyAttr] as Key;
      if (aboveLower(k, lower) && belowUpper(k, upper)) yield* rs;
    }
  }

  first(): Key | undefined {
    for (const rs of this.map.values()) return rs[0]![this.keyAttr] as Key;
    return undefined;
  }

  last(): Key | undefined {
    return this.first();
  }

  next(key: Key): Key | undefined {
    const e = this.cursor.after(mapKey(key));
    return e === undefined ? undefined : (e[1][0]![this.keyAttr] as Key);
  }

  prev(key: Key): Key | undefined {
    return this.next(key);
  }
}
