// set tables in RAM: one record per key in a Map.
import { type Key, mapKey, termEquals } from "../keys/index.js";
import { HashCursor } from "./hash-cursor.js";
import { aboveLower, belowUpper } from "./in-range.js";
import type { KeyBound, Rec, TableStore } from "./store.js";

type MapKey = ReturnType<typeof mapKey>;

export class SetStore implements TableStore {
  readonly type = "set" as const;
  readonly ordered = false;
  private readonly map = new Map<MapKey, Rec>();
  private readonly cursor = new HashCursor(this.map);

  constructor(private readonly keyAttr: string) {}

  size(): number {
    return this.map.size;
  }

  /** Fast path for reads of set tables: the record or undefined, without an array. */
  get(key: Key): Rec | undefined {
    return this.map.get(mapKey(key));
  }

  lookup(key: Key): Rec[] {
    const r = this.map.get(mapKey(key));
    return r === undefined ? [] : [r];
  }

  write(key: Key, record: Rec): void {
    this.map.set(mapKey(key), record);
  }

  deleteKey(key: Key): void {
    const id = mapKey(key);
    if (this.map.delete(id)) this.cursor.forget(id);
  }

  deleteObject(key: Key, record: Rec): void {
    const id = mapKey(key);
    const r = this.map.get(id);
    if (r !== undefined && termEquals(r, record)) {
      this.map.delete(id);
      this.cursor.forget(id);
    }
  }

  clear(): void {
    this.map.clear();
    this.cursor.reset();
  }

  *keys(): IterableIterator<Key> {
    for (const r of this.map.values()) yield r[this.keyAttr] as Key;
  }

  records(): IterableIterator<Rec> {
    return this.map.values();
  }

  recordsReverse(): IterableIterator<Rec> {
    return this.map.values();
  }

  *range(lower: KeyBound | undefined, upper: KeyBound | undefined): IterableIterator<Rec> {
    for (const r of this.map.values()) {
      const k = r[this.keyAttr] as Key;
      if (aboveLower(k, lower) && belowUpper(k, upper)) yield r;
    }
  }

  first(): Key | undefined {
    for (const r of this.map.values()) return r[this.keyAttr] as Key;
    return undefined;
  }

  last(): Key | undefined {
    return this.first();
  }

  next(key: Key): Key | undefined {
    const e = this.cursor.after(mapKey(key));
    return e === undefined ? undefined : (e[1][this.keyAttr] as Key);
  }

  prev(key: Key): Key | undefined {
    return this.next(key);
  }
}
