// disc_only_copies tables: one LMDB sub-database per table (see lmdb-env.ts).
//
// LMDB key: encodeKey(key), whose byte order is compareKeys order, so LMDB's order is the table
// order (key order for every type; only ordered_set promises it). LMDB value: encodeTerm(record)
// for set and ordered_set, encodeTerm(records) for bag (distinct records, oldest first). A value
// whose key does not come back as written from decodeKey (a bigint that is a double, -0, arrays of
// them) starts with the byte 0xC1, which MessagePack never uses: keys() then reads the key from
// the record; otherwise from the LMDB key, without decoding the record. Every value ends with the
// CRC-32 (u32 LE) of its key and the bytes before it, checked whenever the entry is read: damage
// in the file (a flipped bit) is a CorruptFileError naming the table and key, never a wrong value.
//
// Mutations are synchronous LMDB write transactions (or part of the environment's current batch)
// and visible to the next read. Iterators read the table in chunks of keys, each through a fresh
// cursor: no read transaction stays open between steps, so the table may change during an
// iteration, which then goes on after the last key it returned (like a live Map iterator, except
// that the records of a chunk already read are handed out even if changed meanwhile).

import { crc32Range } from "../codec/crc32.js";
import { type FieldNames, fieldNames, readFields } from "../codec/msgpack-fields.js";
import { decodeTerm, decodeTermRange, encodeTerm } from "../codec/term-codec.js";
import { CorruptFileError, NotRunningError, SystemLimitError } from "../errors.js";
import { formatKey } from "../keys/format.js";
import { decodeKey, encodeKey, freezeValue, type Key, termEquals } from "../keys/index.js";
import { exactDouble } from "../keys/numbers.js";
import type { TableType } from "../types.js";
import type { StoreHost } from "./lmdb-env.js";
import type { KeyBound, Rec, RecordFilter, TableStore } from "./store.js";

/** The lmdb-js sub-database calls the store makes (binary keys and values). */
export interface TableDb {
  getBinary(key: Uint8Array): Buffer | undefined;
  getBinaryFast(key: Uint8Array): Buffer | undefined;
  putSync(key: Uint8Array, value: Uint8Array): boolean;
  removeSync(key: Uint8Array): boolean;
  getRange(options: RangeOptions): Iterable<Entry>;
  /**
   * Hands each entry of a range to `visit` straight from LMDB's buffers (no copy, see
   * lmdb-env.ts); returns how many it visited.
   */
  visitRange(options: ScanOptions, visit: RawVisitor): number;
  getStats(): {
    entryCount: number;
    pageSize: number;
    treeBranchPageCount: number;
    treeLeafPageCount: number;
    overflowPages: number;
  };
  clearSync(): void;
  dropSync(): void;
}

interface RangeOptions {
  start?: Uint8Array;
  end?: Uint8Array;
  exclusiveStart?: boolean;
  inclusiveEnd?: boolean;
  reverse?: boolean;
  limit?: number;
  snapshot?: boolean;
}

/** A range read to its end (or its limit) in one go: nothing may run between two entries. */
export interface ScanOptions extends RangeOptions {
  snapshot: false;
}

/**
 * An entry of a raw scan: key bytes `kb[0..kEnd)`, value bytes `v[0..vEnd)`, both LMDB's reused
 * buffers, valid during the call only.
 */
export type RawVisitor = (kb: Uint8Array, kEnd: number, v: Uint8Array, vEnd: number) => void;

interface Entry {
  readonly key: Buffer;
  readonly value: Buffer;
}

/** First byte of a value whose key must be read from the record. */
const KEY_IN_RECORD = 0xc1;
/** The checksum at the end of every value. */
const CRC_BYTES = 4;
/** Iterators read this many entries first, then four times more each time up to MAX_CHUNK. */
const FIRST_CHUNK = 16;
const MAX_CHUNK = 1024;

/** A sub-database handle for stores that were closed or dropped: every use throws. */
const DETACHED = new Proxy({} as TableDb, {
  get() {
    throw new NotRunningError("the LMDB table store is closed");
  },
});

export class LmdbStore implements TableStore {
  readonly ordered: boolean;
  private count: number;
  private readonly build: (record: object) => Rec;

  /** Use LmdbEnv.openTable. Counts the records (a scan for bags). `table` names it in errors. */
  constructor(
    private readonly env: StoreHost,
    private db: TableDb,
    readonly type: TableType,
    private readonly keyAttr: string,
    buildRecord?: (record: object) => Rec,
    private readonly table?: string,
  ) {
    this.ordered = type === "ordered_set";
    this.build = buildRecord ?? ((r) => freezeValue(r) as Rec);
    this.count = type === "bag" ? this.countBag() : db.getStats().entryCount;
  }

  size(): number {
    return this.count;
  }

  /** The pages of the table's sub-database. */
  discBytes(): number {
    const st = this.db.getStats();
    return st.pageSize * (st.treeBranchPageCount + st.treeLeafPageCount + st.overflowPages);
  }

  get(key: Key): Rec | undefined {
    const kb = this.lookupKey(key);
    if (kb === undefined) return undefined;
    const v = this.db.getBinaryFast(kb);
    if (v === undefined) return undefined;
    const decoded = this.decode(kb, v);
    return this.build(this.type === "bag" ? (decoded as object[])[0]! : (decoded as object));
  }

  lookup(key: Key): Rec[] {
    const kb = this.lookupKey(key);
    if (kb === undefined) return [];
    const v = this.db.getBinaryFast(kb);
    return v === undefined ? [] : this.recordsOf(kb, v);
  }

  write(key: Key, record: Rec): void {
    const kb = this.writeKey(key);
    if (this.type !== "bag") {
      const value = encodeValue(kb, record[this.keyAttr] as Key, record);
      this.env.batch(() => {
        const existed = this.db.getBinaryFast(kb) !== undefined;
        this.db.putSync(kb, value);
        if (!existed) this.setCount(this.count + 1);
      });
      return;
    }
    this.env.batch(() => {
      const old = this.db.getBinary(kb);
      if (old === undefined) {
        this.db.putSync(kb, encodeValue(kb, record[this.keyAttr] as Key, [record]));
        this.setCount(this.count + 1);
        return;
      }
      const rs = this.decode(kb, old) as Rec[];
      // An equal record is replaced in place (keeps its position, as ets bags do).
      const at = rs.findIndex((r) => termEquals(r, record));
      if (at >= 0) rs[at] = record;
      else rs.push(record);
      this.db.putSync(kb, encodeValue(kb, rs[0]![this.keyAttr] as Key, rs));
      if (at < 0) this.setCount(this.count + 1);
    });
  }

  deleteKey(key: Key): void {
    const kb = this.lookupKey(key);
    if (kb === undefined) return;
    this.env.batch(() => {
      const old = this.db.getBinaryFast(kb);
      if (old === undefined) return;
      const n = this.type === "bag" ? recordCount(old) : 1;
      this.db.removeSync(kb);
      this.setCount(this.count - n);
    });
  }

  deleteObject(key: Key, record: Rec): void {
    const kb = this.lookupKey(key);
    if (kb === undefined) return;
    this.env.batch(() => {
      const old = this.db.getBinary(kb);
      if (old === undefined) return;
      if (this.type !== "bag") {
        if (!termEquals(this.decode(kb, old), record)) return;
        this.db.removeSync(kb);
        this.setCount(this.count - 1);
        return;
      }
      const rs = this.decode(kb, old) as Rec[];
      const kept = rs.filter((r) => !termEquals(r, record));
      if (kept.length === rs.length) return;
      if (kept.length === 0) this.db.removeSync(kb);
      else this.db.putSync(kb, encodeValue(kb, kept[0]![this.keyAttr] as Key, kept));
      this.setCount(this.count - (rs.length - kept.length));
    });
  }

  clear(): void {
    this.env.batch(() => {
      this.db.clearSync();
      this.setCount(0);
    });
  }

  *keys(): IterableIterator<Key> {
    for (const e of this.scan({})) yield this.keyOf(e);
  }

  records(): IterableIterator<Rec> {
    return this.scanRecords({});
  }

  /**
   * The records `filter` accepts (and only those): it is tried on the attributes it reads, taken
   * from the encoded record in place, and only a record that passes is decoded. (A bag's value
   * holds several records: bags decode them all.)
   */
  recordsPassing(filter: RecordFilter): IterableIterator<Rec> {
    return this.type === "bag" ? this.records() : this.scanRecords({}, filter);
  }

  *recordsReverse(): IterableIterator<Rec> {
    if (!this.ordered) {
      yield* this.records();
      return;
    }
    yield* this.scanRecords({ reverse: true });
  }

  *range(lower: KeyBound | undefined, upper: KeyBound | undefined): IterableIterator<Rec> {
    // Every table is in key order here, so every type walks only the keys within the bounds.
    const options: RangeOptions = {};
    if (lower !== undefined) {
      const lo = this.seekKey(lower.value);
      options.start = lo.kb;
      // Stored keys are never longer than a cut bound: above it means above the whole bound.
      options.exclusiveStart = lo.cut || !lower.inclusive;
    }
    if (upper !== undefined) {
      const hi = this.seekKey(upper.value);
      options.end = hi.kb;
      options.inclusiveEnd = hi.cut || upper.inclusive;
    }
    if (
      options.start !== undefined &&
      options.end !== undefined &&
      Buffer.compare(options.start, options.end) > 0
    ) {
      return;
    }
    yield* this.scanRecords(options);
  }

  first(): Key | undefined {
    for (const e of this.db.getRange({ limit: 1, snapshot: false })) return this.keyOf(e);
    return undefined;
  }

  last(): Key | undefined {
    if (!this.ordered) return this.first();
    for (const e of this.db.getRange({ reverse: true, limit: 1, snapshot: false })) {
      return this.keyOf(e);
    }
    return undefined;
  }

  next(key: Key): Key | undefined {
    return this.step(key, false);
  }

  prev(key: Key): Key | undefined {
    // Unordered tables, as in Mnesia: prev is next (and last is first).
    return this.step(key, this.ordered);
  }

  // ---- for LmdbEnv -----------------------------------------------------------------------------

  /** After an aborted batch: the count as it was before the batch. */
  restoreCount(count: number): void {
    this.count = count;
  }

  /** Makes the store unusable; returns the sub-database handle it had. */
  detach(): TableDb {
    const db = this.db;
    this.db = DETACHED;
    return db;
  }

  // ---- internals -------------------------------------------------------------------------------

  private setCount(n: number): void {
    this.env.remember(this, this.count);
    this.count = n;
  }

  /** The LMDB key of `key`, or undefined if too long to be stored (so it is not in the table). */
  private lookupKey(key: Key): Uint8Array | undefined {
    const kb = encodeKey(key);
    return kb.length > this.env.maxKeySize ? undefined : kb;
  }

  private writeKey(key: Key): Uint8Array {
    const kb = encodeKey(key);
    if (kb.length > this.env.maxKeySize) {
      throw new SystemLimitError(
        `key too long for a disc_only_copies table (${kb.length} bytes encoded, at most ${this.env.maxKeySize})`,
        { key },
      );
    }
    return kb;
  }

  /**
   * encodeKey(key), cut to the longest key LMDB stores if longer (`cut`): no stored key equals a
   * cut key's bound, and a stored key is above the bound exactly when it is above the cut bytes.
   */
  private seekKey(key: Key): { kb: Uint8Array; cut: boolean } {
    const kb = encodeKey(key);
    const max = this.env.maxKeySize;
    return kb.length > max ? { kb: kb.subarray(0, max), cut: true } : { kb, cut: false };
  }

  /** next (ordered: the first key after `key`; unordered: the key after `key`, which must exist) or prev. */
  private step(key: Key, reverse: boolean): Key | undefined {
    const { kb, cut } = this.seekKey(key);
    if (this.ordered) {
      const options: RangeOptions = {
        start: kb,
        // Next of a cut key: above the cut bytes; prev: at or below them.
        exclusiveStart: !(cut && reverse),
        reverse,
        limit: 1,
        snapshot: false,
      };
      for (const e of this.db.getRange(options)) return this.keyOf(e);
      return undefined;
    }
    if (cut) return undefined;
    let found = false;
    for (const e of this.db.getRange({ start: kb, limit: 2, snapshot: false })) {
      if (found) return this.keyOf(e);
      if (Buffer.compare(e.key, kb) !== 0) return undefined;
      found = true;
    }
    return undefined;
  }

  /** Entries in chunks, each read through its own short-lived cursor. */
  private *scan(options: RangeOptions): Generator<Entry, void, undefined> {
    let chunk = FIRST_CHUNK;
    const o: RangeOptions = { ...options, snapshot: false };
    for (;;) {
      o.limit = chunk;
      const got: Entry[] = [];
      for (const e of this.db.getRange(o)) got.push(e);
      yield* got;
      if (got.length < chunk) return;
      o.start = got[got.length - 1]!.key;
      o.exclusiveStart = true;
      if (chunk < MAX_CHUNK) chunk *= 4;
    }
  }

  /**
   * The records of a range, in chunks read as scan() does, each entry decoded straight from
   * LMDB's buffers (TableDb.visitRange): no Buffer per key or value, no copy of the bytes.
   */
  private *scanRecords(
    options: RangeOptions,
    filter?: RecordFilter,
  ): Generator<Rec, void, undefined> {
    let chunk = FIRST_CHUNK;
    const o: ScanOptions = { ...options, snapshot: false };
    const fields = filter === undefined ? undefined : namesOf(filter);
    // The attributes the filter reads, of the record at hand (reused: the filter keeps nothing).
    const partial: Record<string, unknown> = {};
    // A view of LMDB's value buffer (reused from entry to entry) for the checksum.
    let buffer: Uint8Array | undefined;
    let view: DataView | undefined;
    for (;;) {
      o.limit = chunk;
      const got: Rec[] = [];
      let lastKey: Uint8Array | undefined;
      let lastEnd = 0;
      const n = this.db.visitRange(o, (kb, kEnd, v, vEnd) => {
        lastKey = kb;
        lastEnd = kEnd;
        if (v !== buffer) {
          buffer = v;
          view = new DataView(v.buffer, v.byteOffset, v.byteLength);
        }
        this.check(kb, kEnd, v, vEnd, view);
        const start = v[0] === KEY_IN_RECORD ? 1 : 0;
        const end = vEnd - CRC_BYTES;
        if (
          fields !== undefined &&
          readFields(v, start, end, fields, partial) &&
          !filter!.test(partial)
        ) {
          return;
        }
        const decoded = decodeTermRange(v, start, end);
        if (this.type !== "bag") got.push(this.build(decoded as object));
        else for (const r of decoded as object[]) got.push(this.build(r));
      });
      yield* got;
      if (n < chunk || lastKey === undefined) return;
      o.start = lastKey.slice(0, lastEnd);
      o.exclusiveStart = true;
      if (chunk < MAX_CHUNK) chunk *= 4;
    }
  }

  private recordsOf(kb: Uint8Array, value: Buffer): Rec[] {
    const decoded = this.decode(kb, value);
    if (this.type !== "bag") return [this.build(decoded as object)];
    const rs = decoded as object[];
    const out = new Array<Rec>(rs.length);
    for (let i = 0; i < rs.length; i++) out[i] = this.build(rs[i]!);
    return out;
  }

  private keyOf(e: Entry): Key {
    if (e.value[0] !== KEY_IN_RECORD) {
      this.check(e.key, e.key.length, e.value);
      return freezeValue(decodeKey(e.key));
    }
    const decoded = this.decode(e.key, e.value);
    const r = (this.type === "bag" ? (decoded as Rec[])[0] : decoded) as Rec;
    return freezeValue(r[this.keyAttr] as Key);
  }

  /** The term a value holds, once its checksum is checked. */
  private decode(kb: Uint8Array, v: Buffer): unknown {
    // The value's own `length` property: the reusable buffer of getBinaryFast is longer than its
    // value, and only that property says where the value ends.
    return this.decodeRaw(kb, kb.length, v, v.length);
  }

  /** The term held by value `v[0..vEnd)` under key `kb[0..kEnd)`, once its checksum is checked. */
  private decodeRaw(kb: Uint8Array, kEnd: number, v: Uint8Array, vEnd: number): unknown {
    this.check(kb, kEnd, v, vEnd);
    return decodeTermRange(v, v[0] === KEY_IN_RECORD ? 1 : 0, vEnd - CRC_BYTES);
  }

  /** Throws CorruptFileError unless value `v[0..vEnd)` has the checksum of key `kb[0..kEnd)` and its bytes. */
  private check(
    kb: Uint8Array,
    kEnd: number,
    v: Uint8Array,
    vEnd = v.length,
    view?: DataView,
  ): void {
    const end = vEnd - CRC_BYTES;
    if (end >= 0 && crc32Range(v, 0, end, crc32Range(kb, 0, kEnd), view) === readU32LE(v, end)) {
      return;
    }
    let key: unknown;
    try {
      key = decodeKey(kb.slice(0, kEnd));
    } catch {
      key = Buffer.from(kb.subarray(0, kEnd)).toString("hex");
    }
    throw new CorruptFileError(
      "bad_checksum",
      `a record of disc_only_copies table ${this.table ?? "?"} failed its checksum (key ${formatKey(key)}): the LMDB file is damaged; restore the database from a backup`,
      this.env.file,
      0,
      { table: this.table, key },
    );
  }

  private countBag(): number {
    let n = 0;
    for (const e of this.scan({})) n += recordCount(e.value);
    return n;
  }
}

// ---- values ------------------------------------------------------------------------------------

/** The LMDB value of `value` stored under key `kb` (whose key is `key`). */
function encodeValue(kb: Uint8Array, key: Key, value: unknown): Uint8Array {
  const bytes = encodeTerm(value);
  const p = keyRoundTrips(key) ? 0 : 1;
  const out = Buffer.allocUnsafe(p + bytes.length + CRC_BYTES);
  if (p === 1) out[0] = KEY_IN_RECORD;
  out.set(bytes, p);
  const end = p + bytes.length;
  out.writeUInt32LE(crc32Range(out, 0, end, crc32Range(kb, 0, kb.length)), end);
  return out;
}

/** The field names of each filter met, as UTF-8 (filters are kept with their compiled specs). */
const filterNames = new WeakMap<RecordFilter, FieldNames>();

function namesOf(filter: RecordFilter): FieldNames {
  let names = filterNames.get(filter);
  if (names === undefined) {
    names = fieldNames(filter.attributes);
    filterNames.set(filter, names);
  }
  return names;
}

/** The unsigned 32-bit little-endian integer at `at` (v need not be a Buffer). */
function readU32LE(v: Uint8Array, at: number): number {
  return (v[at]! | (v[at + 1]! << 8) | (v[at + 2]! << 16) | (v[at + 3]! << 24)) >>> 0;
}

/** The MessagePack bytes of a value (its checksum not checked). */
function valueBody(v: Buffer): Buffer {
  return v.subarray(v[0] === KEY_IN_RECORD ? 1 : 0, v.length - CRC_BYTES);
}

/** Whether decodeKey(encodeKey(k)) gives back `k` itself (same types), frozen aside. */
function keyRoundTrips(k: Key): boolean {
  switch (typeof k) {
    case "number":
      return !Object.is(k, -0);
    case "bigint":
      return exactDouble(k) === undefined;
    case "object":
      if (Array.isArray(k)) {
        const arr: readonly Key[] = k;
        for (let i = 0; i < arr.length; i++) if (!keyRoundTrips(arr[i]!)) return false;
      }
      return true;
    default:
      return true;
  }
}

/** The number of records in a bag value, from its MessagePack array header. */
function recordCount(v: Buffer): number {
  const p = v[0] === KEY_IN_RECORD ? 1 : 0;
  const b = v[p]!;
  if (b >= 0x90 && b <= 0x9f) return b & 0x0f;
  if (b === 0xdc) return v.readUInt16BE(p + 1);
  if (b === 0xdd) return v.readUInt32BE(p + 1);
  return (decodeTerm(valueBody(v)) as unknown[]).length;
}
