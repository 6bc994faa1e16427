// A table as the running database holds it: its definition, its store and its indexes.
import { CommittedView } from "../access/view.js";
import { type Key, recordBuilder } from "../keys/index.js";
import { makeRamStore } from "../store/make-store.js";
import { SecondaryIndex } from "../store/secondary-index.js";
import type { Rec, TableStore } from "../store/store.js";
import type { TableSpec } from "./table-spec.js";

export class LiveTable {
  spec: TableSpec;
  store: TableStore;
  keyAttr: string;
  /** Builds the frozen private copy of a validated record (compiled for the attribute list). */
  buildRecord: (record: object) => Rec;
  readonly indexes = new Map<string, SecondaryIndex>();
  /** The committed content as the read algorithms see it. */
  readonly view: CommittedView = new CommittedView(this);

  constructor(spec: TableSpec) {
    this.spec = spec;
    this.keyAttr = spec.attributes[0]!;
    this.buildRecord = recordBuilder(spec.attributes) as (record: object) => Rec;
    this.store = makeRamStore(spec.type, this.keyAttr);
    for (const a of spec.index) this.indexes.set(a, new SecondaryIndex(a));
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
    this.buildRecord = recordBuilder(spec.attributes) as (record: object) => Rec;
  }

  /** Replaces definition and content (transform_table). */
  reload(spec: TableSpec, records: Iterable<Rec>): void {
    const v = this.spec.version;
    this.spec = { ...spec, version: [v[0] + 1, 0] };
    this.keyAttr = spec.attributes[0]!;
    this.buildRecord = recordBuilder(spec.attributes) as (record: object) => Rec;
    this.store = makeRamStore(spec.type, this.keyAttr);
    for (const r of records) this.store.write(this.keyOf(r), r);
    this.indexes.clear();
    for (const a of spec.index) this.addIndex(a);
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
