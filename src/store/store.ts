// The interface every table store implements (RAM hash, RAM B+tree, and later LMDB).
import type { Key } from "../keys/index.js";
import type { AnyRecord, TableType } from "../types.js";

/** A stored record: frozen, with exactly the table's attributes. */
export type Rec = AnyRecord;

export interface KeyBound {
  readonly value: Key;
  readonly inclusive: boolean;
}

/**
 * What decides whether a scanned record is wanted: `test` on an object holding only `attributes`
 * (with the record's values) gives the answer the whole record would. A store that can read
 * attributes without decoding the record (LMDB) skips records that fail it.
 */
export interface RecordFilter {
  readonly attributes: readonly string[];
  test(partial: object): boolean;
}

export interface TableStore {
  readonly type: TableType;
  /** Number of records (for a bag, all records under all keys). */
  size(): number;
  /** The records under `key`, oldest first, in a fresh array the caller may keep. */
  lookup(key: Key): Rec[];
  /** The (first) record under `key`, without allocating. */
  get(key: Key): Rec | undefined;
  /** Set/ordered_set: replaces the record under its key. Bag: adds it unless an equal record is there. */
  write(key: Key, record: Rec): void;
  deleteKey(key: Key): void;
  /** Removes the records equal to `record` (for set/ordered_set: the record under its key if equal). */
  deleteObject(key: Key, record: Rec): void;
  clear(): void;
  /** Keys in table order (key order for ordered_set, an unspecified but stable order otherwise). */
  keys(): IterableIterator<Key>;
  /** Every record in table order. */
  records(): IterableIterator<Rec>;
  /** Every record in table order, less (some or all of) those `filter` refuses. */
  recordsPassing?(filter: RecordFilter): IterableIterator<Rec>;
  /** Every record in reverse table order (same as records() for unordered tables, as in Mnesia). */
  recordsReverse(): IterableIterator<Rec>;
  /** Records whose key lies within the bounds, in key order (ordered tables); others scan and filter. */
  range(lower: KeyBound | undefined, upper: KeyBound | undefined): IterableIterator<Rec>;
  first(): Key | undefined;
  last(): Key | undefined;
  /** The key after `key` in table order, or undefined at the end. */
  next(key: Key): Key | undefined;
  prev(key: Key): Key | undefined;
  /** Whether next/prev of a key that is not in the table is meaningful (ordered tables). */
  readonly ordered: boolean;
  /** Bytes the table takes on disc, for a store kept on disc (LMDB); RAM stores have none. */
  discBytes?(): number;
}
