// ordered_set tables in RAM: a B+tree (sorted-btree) in Mneme's key order.

import { compareKeys, type Key, termEquals } from "../keys/index.js";
import { BTree } from "./btree.js";
import { aboveLower, belowUpper } from "./in-range.js";
import type { KeyBound, Rec, TableStore } from "./store.js";

export class OrderedStore implements TableStore {
  readonly type = "ordered_set" as const;
  readonly ordered = true;
  private readonly tree = new BTree<Key, Rec>(undefined, compareKeys);

  size(): number {
    return this.tree.size;
  }

  get(key: Key): Rec | undefined {
    return this.tree.get(key);
  }

  lookup(key: Key): Rec[] {
    const r = this.tree.get(key);
    return r === undefined ? [] : [r];
  }

  write(key: Key, record: Rec): void {
    this.tree.set(key, record, true);
  }

  deleteKey(key: Key): void {
    this.tree.delete(key);
  }

  deleteObject(key: Key, record: Rec): void {
    const r = this.tree.get(key);
    if (r !== undefined && termEquals(r, record)) this.tree.delete(key);
  }

  clear(): void {
    this.tree.clear();
  }

  keys(): IterableIterator<Key> {
    return this.tree.keys();
  }

  records(): IterableIterator<Rec> {
    return this.tree.values();
  }

  *recordsReverse(): IterableIterator<Rec> {
    for (const [, r] of this.tree.entriesReversed()) yield r;
  }

  *range(lower: KeyBound | undefined, upper: KeyBound | undefined): IterableIterator<Rec> {
    const it = lower === undefined ? this.tree.entries() : this.tree.entries(lower.value);
    for (let step = it.next(); !step.done; step = it.next()) {
      const [k, r] = step.value;
      if (!aboveLower(k, lower)) continue;
      if (!belowUpper(k, upper)) return;
      yield r;
    }
  }

  first(): Key | undefined {
    return this.tree.minKey();
  }

  last(): Key | undefined {
    return this.tree.maxKey();
  }

  next(key: Key): Key | undefined {
    return this.tree.nextHigherKey(key);
  }

  prev(key: Key): Key | undefined {
    return this.tree.nextLowerKey(key);
  }
}
