// Where a database keeps its files in its directory (Mnesia's dir):
//   LOCK                     the directory lock (dir-lock.ts)
//   schema.DAT               the latest checkpoint: every table definition, the log position it
//                            reflects, and the snapshot file of each disc_copies table
//   <table>.<position>.DCD   a table's records at that log position (snapshot.ts)
//   <table>.restore-<uuid>.DCD  a table's records written by a restore, loaded by a log entry
//   wal/                     the write-ahead log segments (src/wal)
//   lmdb/                    the LMDB environment of the disc_only_copies tables
//   control.sock, CONTROL    the running holder's control socket and a note naming it (src/control)
//   FALLBACK.BUP             an installed fallback (install_fallback), applied at the next start
//   fallback-stage.tmp/      the database a fallback becomes, being built (fallback-switch.ts)
//   fallback-stage/          ... built: the switch to it is under way, and finished by any start
//
// Any non-empty string names a table, so a table's part of a file name (and of its LMDB
// sub-database name) is derived from the name so that every name fits: its URI encoding, with
// upper-case letters and "*" escaped too (so that no two names differ only in case, for file
// systems that ignore case, and none holds a character Windows refuses) when that is short enough,
// or else (lone surrogates, long or mostly non-ASCII names) "%%" and a hash of the name, which no
// such encoding can start with. schema.DAT records each table's file name, so the name is never
// read back from a file name.
import { createHash, randomUUID } from "node:crypto";
import path from "node:path";
import { type FileModes, PRIVATE_MODES } from "../file-modes.js";

/**
 * Longest URI-encoded table name used as it is in a file name (ASCII, so bytes): the longest name
 * derived from it, "<stem>.restore-<uuid>.DCD.tmp", then stays within the 255 bytes of a file name.
 */
const MAX_STEM = 200;
/** Longest table name (UTF-8 bytes) used as it is in an LMDB sub-database name (max key 511). */
const MAX_LMDB_NAME = 400;

/** A hash of every UTF-16 code unit of a name (lone surrogates included). */
function nameHash(table: string): string {
  return `%%${createHash("sha256").update(Buffer.from(table, "utf16le")).digest("hex")}`;
}

/** Names Windows reserves for devices (before the first dot, whatever follows it). */
const RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/;

/** "%" and the hexadecimal code of an ASCII character, as encodeURIComponent writes escapes. */
const escapeAscii = (c: string): string =>
  `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, "0")}`;

/**
 * A table's part of its file names, always storable, and distinct for distinct names even where
 * the file system ignores case: its only letters are lower-case ones and the upper-case hex
 * digits of escapes, which encodeURIComponent never writes in lower case.
 */
export function tableFileStem(table: string): string {
  if (table.isWellFormed()) {
    let stem = encodeURIComponent(table).replace(/%[0-9A-F]{2}|[A-Z*]/g, (m) =>
      m.length === 3 ? m : escapeAscii(m),
    );
    if (RESERVED.test(stem.split(".", 1)[0]!)) stem = escapeAscii(stem[0]!) + stem.slice(1);
    if (stem.length <= MAX_STEM) return stem;
  }
  return nameHash(table);
}

/**
 * The LMDB sub-database name of one incarnation (cookie) of a table. LMDB names are C strings of
 * UTF-8 within its largest key: a name LMDB cannot hold exactly is replaced by its hash (the
 * cookie, a UUID, keeps incarnations apart either way). Names it can hold keep their old form.
 */
export function lmdbTableName(table: string, cookie: string): string {
  const raw =
    table.isWellFormed() &&
    !table.includes("\0") &&
    Buffer.byteLength(table, "utf8") <= MAX_LMDB_NAME;
  return `${raw ? table : nameHash(table)}#${cookie}`;
}

export class DirLayout {
  constructor(
    readonly dir: string,
    /** The modes of the files and directories created in it. */
    readonly modes: FileModes = PRIVATE_MODES,
  ) {}

  get lock(): string {
    return path.join(this.dir, "LOCK");
  }

  get schema(): string {
    return path.join(this.dir, "schema.DAT");
  }

  get wal(): string {
    return path.join(this.dir, "wal");
  }

  /** An installed fallback: a backup that replaces the database at the next start. */
  get fallback(): string {
    return path.join(this.dir, "FALLBACK.BUP");
  }

  /** Where a fallback's database is built; renamed to fallbackStage once complete. */
  get fallbackStageTmp(): string {
    return path.join(this.dir, "fallback-stage.tmp");
  }

  /** A fallback's complete database: its existence commits the switch to it. */
  get fallbackStage(): string {
    return path.join(this.dir, "fallback-stage");
  }

  get lmdb(): string {
    return path.join(this.dir, "lmdb");
  }

  /** A table's snapshot file name (relative to the directory). */
  snapshotName(table: string, position: number): string {
    return `${tableFileStem(table)}.${position}.DCD`;
  }

  /** A unique snapshot file name for a table's restored content (its position is not known yet). */
  restoreName(table: string): string {
    return `${tableFileStem(table)}.restore-${randomUUID()}.DCD`;
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  /** Whether a file name in the directory is a table snapshot. */
  isSnapshot(name: string): boolean {
    return name.endsWith(".DCD");
  }
}
