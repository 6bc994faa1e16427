// A table as the running database holds it: its definition, its store and its indexes.
import { CommittedView } from "../access/view.js";
import { checkedRecordBuilder, freezeValue, type Key, recordBuilder } from "../keys/index.js";
import { makeRamStore } from "../store/make-store.js";
import { SecondaryIndex } from "../store/secondary-index.js";
import type { Rec, TableStore } from "../store/store.js";
import type { TableSpec } from "./table-spec.js";

/**
 * Makes the store of a table: RAM for ram_copies and disc_copies, LMDB for disc_only_copies.
 * `fresh` asks for an empty store (a transform replaces the content); otherwise a disc store
 * opens with what it holds.
 */
export type StoreFactory = (
  spec: TableSpec,
  buildRecord: (record: object) => Rec,
  fresh: boolean,
) => TableStore;

/**
 * Builds the frozen record of a stored (already valid) record of `spec`'s table: in the table's
 * shape, or, if the table may hold records of older shapes (transformTable "ignore"), as it is.
 */
export function storedRecordBuilder(spec: TableSpec): (record: object) => Rec {
  if (spec.mixedShapes === true) return (r) => freezeValue(r) as Rec;
  return recordBuilder(spec.attributes) as (record: object) => Rec;
}

export const ramStoreFactory: StoreFactory = (spec) => makeRamStore(spec.type, spec.attributes[0]!);

export class LiveTable {
  spec: TableSpec;
  store: TableStore;
  keyAttr: string;
  /** Builds the frozen private copy of a validated record (compiled for the attribute list). */
  buildRecord: (record: object) => Rec;
  /** Copies a caller's record reading each attribute once, checking containers as it copies. */
  buildCheckedRecord: (record: object) => Rec;
  /** What a disc store builds its records with: the builder of the current definition. */
  private readonly buildStored = (record: object): Rec => this.buildRecord(record);
  readonly indexes = new Map<string, SecondaryIndex>();
  /** The committed content as the read algorithms see it. */
  readonly view: CommittedView = new CommittedView(this);

  constructor(
    spec: TableSpec,
    private readonly makeStore: StoreFactory = ramStoreFactory,
  ) {
    this.spec = spec;
    this.keyAttr = spec.attributes[0]!;
    this.buildRecord = storedRecordBuilder(spec);
    this.buildCheckedRecord = checkedRecordBuilder(spec.attributes) as (record: object) => Rec;
    this.store = makeStore(spec, this.buildStored, false);
    for (const a of spec.index) this.addIndex(a);
  }

  get name(): string {
    return this.spec.name;
  }

  keyOf(record: Rec): Key {
    return record[this.keyAttr] as Key;
  }

  /** Replaces the definition (index, access mode, ... changes); the store stays. */
  redefine(spec: TableSpec): void {
    const v = this.spec.version;
    this.spec = { ...spec, version: [v[0], v[1] + 1] };
    this.buildRecord = storedRecordBuilder(spec);
    this.buildCheckedRecord = checkedRecordBuilder(spec.attributes) as (record: object) => Rec;
  }

  /**
   * Replaces definition and content (transform_table). With `records` undefined the content is
   * kept as the store holds it (a disc store replaying a transform it has already applied).
   */
  reload(spec: TableSpec, records: Iterable<Rec> | undefined): void {
    const v = this.spec.version;
    this.spec = { ...spec, version: [v[0] + 1, 0] };
    this.keyAttr = spec.attributes[0]!;
    this.buildRecord = storedRecordBuilder(spec);
    this.buildCheckedRecord = checkedRecordBuilder(spec.attributes) as (record: object) => Rec;
    this.store = this.makeStore(this.spec, this.buildStored, records !== undefined);
    if (records !== undefined) for (const r of records) this.store.write(this.keyOf(r), r);
    this.rebuildIndexes();
  }

  /** Replaces the store (a change of storage type), keeping definition and indexes' attributes. */
  replaceStore(spec: TableSpec, store: TableStore): void {
    this.spec = spec;
    this.store = store;
    this.rebuildIndexes();
  }

  rebuildIndexes(): void {
    this.indexes.clear();
    for (const a of this.spec.index) this.addIndex(a);
  }

  addIndex(attribute: string): void {
    const idx = new SecondaryIndex(attribute);
    idx.rebuild(this.store.records(), this.keyAttr);
    this.indexes.set(attribute, idx);
  }

  /** Approximate memory in machine words, as Mnesia reports it. */
  memoryWords(): number {
    const perRecord = this.spec.attributes.length + 4;
    let words = 300 + this.store.size() * perRecord;
    for (const idx of this.indexes.values()) words += idx.entries() * 6;
    return words;
  }
}
