// Where a database keeps its files in its directory (Mnesia's dir):
//   LOCK                     the directory lock (dir-lock.ts)
//   schema.DAT               the latest checkpoint: every table definition, the log position it
//                            reflects, and the snapshot file of each disc_copies table
//   <table>.<position>.DCD   a table's records at that log position (snapshot.ts)
//   <table>.restore-<uuid>.DCD  a table's records written by a restore, loaded by a log entry
//   wal/                     the write-ahead log segments (src/wal)
//   lmdb/                    the LMDB environment of the disc_only_copies tables
//   FALLBACK.BUP             an installed fallback (install_fallback), applied at the next start
//   fallback-stage.tmp/      the database a fallback becomes, being built (fallback-switch.ts)
//   fallback-stage/          ... built: the switch to it is under way, and finished by any start
import { randomUUID } from "node:crypto";
import path from "node:path";

export class DirLayout {
  constructor(readonly dir: string) {}

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

  /** A table's snapshot file name (relative to the directory): table names may hold any character. */
  snapshotName(table: string, position: number): string {
    return `${encodeURIComponent(table)}.${position}.DCD`;
  }

  /** A unique snapshot file name for a table's restored content (its position is not known yet). */
  restoreName(table: string): string {
    return `${encodeURIComponent(table)}.restore-${randomUUID()}.DCD`;
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  /** Whether a file name in the directory is a table snapshot. */
  isSnapshot(name: string): boolean {
    return name.endsWith(".DCD");
  }
}
