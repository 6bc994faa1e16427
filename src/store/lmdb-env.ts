// One LMDB environment per database directory: a named sub-database per disc_only_copies table
// (see lmdb-store.ts) and a meta sub-database holding the log position the tables reflect.
//
// Durability comes from Mneme's log, so the environment is opened with noSync: a commit is written
// to the file (it survives a crash of the process) but not flushed; sync() flushes, for when the
// caller is about to drop the log entries the tables reflect. Writes are synchronous and grouped
// with batch(): one LMDB write transaction, all or nothing, so that a log entry's writes and
// setAppliedPosition() land together and replaying the log after a crash is idempotent.

import { chmodSync } from "node:fs";
import { constants } from "node:os";
import { join } from "node:path";
import { open, type RootDatabase } from "lmdb";
import { BadArgError, CorruptFileError, fileError, NotRunningError } from "../errors.js";
import { type FileModes, makeDirSync, PRIVATE_MODES } from "../file-modes.js";
import type { TableType } from "../types.js";
import { checkDataFile } from "./lmdb-meta.js";
import { checkPages } from "./lmdb-pages.js";
import { LmdbStore, type RawVisitor, type ScanOptions, type TableDb } from "./lmdb-store.js";
import type { Rec } from "./store.js";

export interface LmdbEnvOptions {
  /** Most sub-databases open at once: tables plus one (LMDB's maxDbs). Default 256. */
  readonly maxTables?: number;
  /** Initial size of the memory map in bytes (lmdb-js grows it as needed). */
  readonly mapSize?: number;
  /** A damaged meta page is rewritten from the other one (true, the default) or refused. */
  readonly autoRepair?: boolean;
  /** The file must hold a database (tables are known to be in it): missing or empty is refused. */
  readonly mustExist?: boolean;
  /** Told what was repaired before the environment opened. */
  readonly onRepair?: (repair: LmdbRepair) => void;
  /** Modes of the environment's directory and files (default private: 0o700, 0o600). */
  readonly modes?: FileModes;
}

/** A repair made to the LMDB file before it was opened. */
export interface LmdbRepair {
  readonly file: string;
  readonly offset: number;
  readonly reason: string;
}

/** The files LMDB creates in its directory. */
const LMDB_FILES = ["data.mdb", "lock.mdb"];
/** The meta sub-database; table sub-databases are named TABLE_PREFIX + table name. */
const META_DB = "__mneme_meta";
const TABLE_PREFIX = "t/";
const APPLIED = Buffer.from("applied_position");
/** The layout of the values (1: each ends with a CRC-32, see lmdb-store.ts). */
const FORMAT = Buffer.from("value_format");
const VALUE_FORMAT = 1;
/** LMDB's default largest key (511 with 4 KiB pages before 0.9.29; lmdb-js builds allow 1978). */
const DEFAULT_MAX_KEY = 1978;

/** What the stores need of their environment (and a store needs no more). */
export interface StoreHost {
  readonly maxKeySize: number;
  /** The data file, named in errors. */
  readonly file: string;
  /** Runs `fn` in the current write transaction, or in a new one. */
  batch<T>(fn: () => T): T;
  /** Remembers `count` as the store's count to restore should the current transaction abort. */
  remember(store: LmdbStore, count: number): void;
}

export class LmdbEnv implements StoreHost {
  readonly maxKeySize: number;
  readonly file: string;
  private readonly root: RootDatabase;
  private readonly meta: TableDb;
  private readonly tables = new Map<string, LmdbStore>();
  /** Counts of the stores changed in the current batch, as they were before it. */
  private readonly saved = new Map<LmdbStore, number>();
  private depth = 0;
  private closed = false;

  private constructor(
    readonly path: string,
    options: LmdbEnvOptions,
  ) {
    this.file = lmdbDataFile(path);
    this.root = open({
      path,
      noSync: true,
      overlappingSync: false,
      // No write-map: a page written through the map into a sparse file that the disc cannot back
      // kills the process with SIGBUS. Without it LMDB writes pages with pwrite, and a full disc is
      // an ENOSPC error from the commit, which rolls back (see lmdbFileError).
      useWritemap: false,
      maxDbs: (options.maxTables ?? 256) + 1,
      // lmdb-js passes it to mdb_env_open (not in its type definitions).
      ...({ permissionsMode: (options.modes ?? PRIVATE_MODES).file } as object),
      ...(options.mapSize === undefined ? {} : { mapSize: options.mapSize }),
    });
    const max = (this.root as unknown as { maxKeySize?: number }).maxKeySize;
    this.maxKeySize = typeof max === "number" && max > 0 ? max : DEFAULT_MAX_KEY;
    this.meta = this.openDb(META_DB);
    this.checkFormat();
  }

  /**
   * Opens (creating if needed) the environment in directory `path`. Its file is checked first
   * (see checkBeforeOpen): a damaged one is refused with CorruptFileError, not handed to LMDB.
   */
  static open(path: string, options: LmdbEnvOptions = {}): LmdbEnv {
    checkBeforeOpen(path, options);
    const modes = options.modes ?? PRIVATE_MODES;
    try {
      // lmdb-js would create the directory with the umask's mode: create it first.
      const created = makeDirSync(path, modes.dir, true);
      const env = new LmdbEnv(path, options);
      // LMDB creates its files with the mode asked, less the umask: give them the mode exactly.
      if (created) for (const f of LMDB_FILES) chmodSync(join(path, f), modes.file);
      return env;
    } catch (e) {
      throw lmdbFileError(e, path, "opening LMDB");
    }
  }

  /**
   * Runs `fn` in one write transaction: committed when it returns, rolled back (data and store
   * sizes) when it throws. A batch inside a batch simply runs as part of the outer one (an error it
   * throws rolls back nothing unless it leaves the outer batch too). Every store mutation made
   * outside a batch is a batch of its own. `fn` must be synchronous.
   */
  batch<T>(fn: () => T): T {
    if (this.depth > 0) return fn();
    this.checkOpen();
    this.depth = 1;
    try {
      const result = this.root.transactionSync(() => {
        const r = fn();
        if (r !== null && typeof (r as { then?: unknown })?.then === "function") {
          throw new BadArgError("an LMDB batch must be synchronous");
        }
        return r;
      });
      this.saved.clear();
      return result;
    } catch (e) {
      for (const [store, count] of this.saved) store.restoreCount(count);
      this.saved.clear();
      throw lmdbFileError(e, this.path);
    } finally {
      this.depth = 0;
    }
  }

  /** Whether a batch is running. */
  get inBatch(): boolean {
    return this.depth > 0;
  }

  remember(store: LmdbStore, count: number): void {
    if (!this.saved.has(store)) this.saved.set(store, count);
  }

  /** The log position last recorded by setAppliedPosition (0 if none). */
  appliedPosition(): number {
    this.checkOpen();
    const b = this.meta.getBinary(APPLIED);
    return b === undefined ? 0 : b.readDoubleBE(0);
  }

  /** Records the log position the tables now reflect: call it inside the batch that applies it. */
  setAppliedPosition(position: number): void {
    const b = Buffer.allocUnsafe(8);
    b.writeDoubleBE(position, 0);
    this.batch(() => this.meta.putSync(APPLIED, b));
  }

  /**
   * The store of table `name`, creating its (empty) sub-database if there is none. A table is open
   * at most once: closeTable() it first to open it again (with another record builder, say).
   * `buildRecord` turns a decoded record into the frozen record handed out (default freezeValue);
   * it must copy binaries (freezeValue and the tables' record builders do). `table` is the name
   * errors give (default `name`).
   */
  openTable(
    name: string,
    type: TableType,
    keyAttr: string,
    buildRecord?: (record: object) => Rec,
    table: string = name,
  ): LmdbStore {
    this.checkOpen();
    if (this.depth > 0)
      throw new BadArgError("cannot open a table inside a batch", { table: name });
    if (this.tables.has(name)) throw new BadArgError("table store already open", { table: name });
    const db = this.openDb(TABLE_PREFIX + name);
    const store = new LmdbStore(this, db, type, keyAttr, buildRecord, table);
    this.tables.set(name, store);
    return store;
  }

  /** Forgets the store of `name` (its data stays); the store object must not be used again. */
  closeTable(name: string): void {
    this.tables.get(name)?.detach();
    this.tables.delete(name);
  }

  /** Deletes table `name`'s sub-database and everything in it; its store is closed. */
  dropTable(name: string): void {
    this.checkOpen();
    if (this.depth > 0)
      throw new BadArgError("cannot drop a table inside a batch", { table: name });
    const open = this.tables.get(name);
    const db = open === undefined ? this.openDb(TABLE_PREFIX + name) : open.detach();
    this.tables.delete(name);
    db.dropSync();
  }

  /** The names of the tables that have a sub-database in the environment, open or not. */
  tableNames(): string[] {
    this.checkOpen();
    const out: string[] = [];
    for (const k of this.root.getKeys({ snapshot: false })) {
      if (typeof k === "string" && k.startsWith(TABLE_PREFIX))
        out.push(k.slice(TABLE_PREFIX.length));
    }
    return out;
  }

  /** Flushes every committed transaction to disc (fsync). */
  sync(): Promise<void> {
    this.checkOpen();
    const root = this.root as unknown as { sync(cb: (err?: unknown) => void): void };
    return new Promise((resolve, reject) => {
      root.sync((err) => (err ? reject(err) : resolve()));
    });
  }

  /** Closes the environment (without a flush: call sync() first to make the tables durable). */
  async close(): Promise<void> {
    if (this.closed) return;
    if (this.depth > 0) throw new BadArgError("cannot close the LMDB environment inside a batch");
    this.closed = true;
    for (const store of this.tables.values()) store.detach();
    this.tables.clear();
    await this.root.close();
  }

  /** A new environment is marked with the value layout; one with another layout is refused. */
  private checkFormat(): void {
    const f = this.meta.getBinary(FORMAT);
    if (f?.length === 1 && f[0] === VALUE_FORMAT) return;
    if (f === undefined && this.tableNames().length === 0) {
      this.meta.putSync(FORMAT, Buffer.from([VALUE_FORMAT]));
      return;
    }
    void this.root.close();
    throw new CorruptFileError(
      "invalid_file",
      `the LMDB file of the disc_only_copies tables has values in layout ${f === undefined ? "0 (no checksums: an older Mneme)" : f.toString("hex")}, not ${VALUE_FORMAT}; dump it with the Mneme that wrote it (dumpToTextfile) and load it here`,
      this.file,
      0,
    );
  }

  private openDb(name: string): TableDb {
    const db = this.root.openDB({
      name,
      keyEncoding: "binary",
      encoding: "binary",
    }) as unknown as TableDb;
    return guardDb(db, rawScanner(this.root, name, this.maxKeySize), this.file);
  }

  private checkOpen(): void {
    if (this.closed) throw new NotRunningError(`LMDB environment ${this.path} is closed`);
  }
}

/**
 * LMDB reports system errors with a numeric errno in `code` (28 and "No space left on device" for
 * ENOSPC), or Node's string codes: those become FileErrors naming the data file; anything else is
 * returned as it is.
 */
function lmdbFileError(err: unknown, dir: string, doing = "an LMDB commit"): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string") return fileError(err, join(dir, "data.mdb"), doing);
  if (typeof code !== "number" || code <= 0) return err;
  const name = Object.entries(constants.errno).find(([, n]) => n === code)?.[0];
  if (name === undefined) return err;
  return fileError(
    Object.assign(new Error((err as Error).message), { code: name, cause: err }),
    join(dir, "data.mdb"),
    doing,
  );
}

/** The data file of the environment in directory `path`. */
export function lmdbDataFile(path: string): string {
  return join(path, "data.mdb");
}

/**
 * LMDB trusts its file (a damaged meta page or tree page crashes the process): its meta pages are
 * checked in JavaScript first, one damaged meta page is rewritten from the other when autoRepair
 * allows, and then every page of its trees is checked.
 */
function checkBeforeOpen(path: string, options: LmdbEnvOptions): void {
  const file = lmdbDataFile(path);
  const { meta, repaired } = checkDataFile(
    file,
    options.autoRepair ?? true,
    options.mustExist ?? false,
  );
  if (repaired !== undefined) {
    options.onRepair?.({
      file,
      offset: repaired.offset,
      reason: `meta page ${repaired.page} was invalid (${repaired.why}) and was rewritten from the other`,
    });
  }
  if (meta !== undefined) checkPages(file, meta);
}

/** Visits the entries of a range of a sub-database; see TableDb.visitRange. */
type RangeVisitor = (options: ScanOptions, visit: RawVisitor) => number;

/**
 * A second handle on sub-database `name` that reads without a copy: lmdb-js hands a decoder its
 * shared value buffer as it is when the decoder says it copies (it does not keep the bytes), and a
 * key encoder's readKey sees the shared key buffer. So this handle's "decoder" is the visitor
 * itself, and its readKey copies the key into one scratch array (for the visitor, and for lmdb-js
 * to find its place again should its read transaction be renewed): a scan allocates no Buffer per
 * entry, where the binary handle makes a key Buffer and a value Buffer for each.
 */
function rawScanner(root: RootDatabase, name: string, maxKeySize: number): RangeVisitor {
  const key = new Uint8Array(maxKeySize);
  let keyEnd = 0;
  /** What readKey returns: lmdb-js gives it back to writeKey to reposition on the same key. */
  const CURRENT = Object.freeze({});
  let visit: RawVisitor | undefined;
  let failure: { error: unknown } | undefined;
  const handlers = {
    keyEncoder: {
      writeKey(k: Uint8Array | typeof CURRENT, target: Uint8Array, start: number): number {
        if (k === CURRENT) {
          for (let i = 0; i < keyEnd; i++) target[start + i] = key[i]!;
          return start + keyEnd;
        }
        const b = k as Uint8Array;
        target.set(b, start);
        return start + b.length;
      },
      readKey(buf: Uint8Array, start: number, end: number): typeof CURRENT {
        keyEnd = end - start;
        for (let i = 0; i < keyEnd; i++) key[i] = buf[start + i]!;
        return CURRENT;
      },
    },
    encoder: {
      encode(): never {
        throw new BadArgError("the scan handle of an LMDB table does not write");
      },
      // An exception must not leave lmdb-js's iterator half done (its cursor would stay open): it
      // is kept and rethrown once the iteration is closed.
      decode(bytes: Uint8Array, size: number): undefined {
        if (failure !== undefined) return undefined;
        try {
          visit!(key, keyEnd, bytes, size);
        } catch (error) {
          failure = { error };
        }
        return undefined;
      },
    },
  };
  // keyEncoder and a decoder-only encoder are lmdb-js options its type definitions lack.
  const db = root.openDB({ name, ...(handlers as object) }) as unknown as {
    getRange(options: ScanOptions): Iterable<unknown>;
  };
  return (options, v) => {
    visit = v;
    failure = undefined;
    let n = 0;
    try {
      for (const _ of db.getRange(options)) {
        if (failure !== undefined) break;
        n++;
      }
    } finally {
      visit = undefined;
    }
    // (Set by decode, during the loop: the compiler cannot see it.)
    const failed = failure as { error: unknown } | undefined;
    if (failed !== undefined) throw failed.error;
    return n;
  };
}

/**
 * The sub-database `db` with LMDB's reports of damage it meets while open (lmdb-js throws an
 * Error "MDB_CORRUPTED: ..." or "MDB_PAGE_NOTFOUND: ...") turned into CorruptFileError naming the
 * file. (A page damaged under an open environment can still make LMDB abort the process.)
 */
function guardDb(db: TableDb, scan: RangeVisitor, file: string): TableDb {
  // Written out (no closure per call): getBinaryFast and putSync are on every read and write.
  return {
    getBinary(k) {
      try {
        return db.getBinary(k);
      } catch (e) {
        throw lmdbError(e, file);
      }
    },
    getBinaryFast(k) {
      try {
        return db.getBinaryFast(k);
      } catch (e) {
        throw lmdbError(e, file);
      }
    },
    putSync(k, v) {
      try {
        return db.putSync(k, v);
      } catch (e) {
        throw lmdbError(e, file);
      }
    },
    removeSync(k) {
      try {
        return db.removeSync(k);
      } catch (e) {
        throw lmdbError(e, file);
      }
    },
    *getRange(options) {
      try {
        yield* db.getRange(options);
      } catch (e) {
        throw lmdbError(e, file);
      }
    },
    visitRange(options, visit) {
      try {
        return scan(options, visit);
      } catch (e) {
        throw lmdbError(e, file);
      }
    },
    getStats() {
      try {
        return db.getStats();
      } catch (e) {
        throw lmdbError(e, file);
      }
    },
    clearSync() {
      try {
        db.clearSync();
      } catch (e) {
        throw lmdbError(e, file);
      }
    },
    dropSync() {
      try {
        db.dropSync();
      } catch (e) {
        throw lmdbError(e, file);
      }
    },
  };
}

const DAMAGE = /^(MDB_CORRUPTED|MDB_PAGE_NOTFOUND|MDB_INVALID)\b/;

/** `e`, or the CorruptFileError it means when it is LMDB's report of a damaged file. */
function lmdbError(e: unknown, file: string): unknown {
  if (!(e instanceof Error) || !DAMAGE.test(e.message)) return e;
  return new CorruptFileError(
    "invalid_file",
    `the LMDB file of the disc_only_copies tables is damaged (LMDB: ${e.message}); restore the database from a backup`,
    file,
    0,
    { value: e },
  );
}

/** Opens (creating if needed) the LMDB environment in directory `path`. */
export function openLmdbEnv(path: string, options?: LmdbEnvOptions): LmdbEnv {
  return LmdbEnv.open(path, options);
}
