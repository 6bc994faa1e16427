// What `mneme info` and `mneme tables` print of a database, as plain JSON data: made by the CLI
// from a database it opened, or by a running service for its control socket.
import type { Mneme } from "../db/database.js";

export interface TableSummary {
  readonly name: string;
  readonly type: string;
  readonly storageType: string;
  readonly size: number;
  readonly attributes: readonly string[];
}

export interface DbSummary {
  readonly directory: string;
  readonly node: string;
  /** Every table but "schema". */
  readonly tables: readonly TableSummary[];
  readonly logDumps: number;
  readonly logBytes: number;
}

export function summarize(db: Mneme): DbSummary {
  const tables = db
    .systemInfo("tables")
    .filter((t) => t !== "schema")
    .map(
      (name): TableSummary => ({
        name,
        type: db.tableInfo(name, "type"),
        storageType: db.tableInfo(name, "storage_type"),
        size: db.tableInfo(name, "size"),
        attributes: [...db.tableInfo(name, "attributes")],
      }),
    );
  return {
    directory: String(db.systemInfo("directory")),
    node: db.node,
    tables,
    logDumps: Number(db.systemInfo("log_dumps")),
    logBytes: Number(db.systemInfo("log_bytes")),
  };
}

/** The lines of `mneme info`. */
export function infoLines(s: DbSummary): string[] {
  return [
    `directory: ${s.directory}`,
    `node: ${s.node}`,
    `tables: ${s.tables.length}`,
    ...s.tables.map((t) => `  ${t.name}: ${t.storageType}, ${t.size} records`),
    `log_dumps: ${s.logDumps}`,
    `log_bytes: ${s.logBytes}`,
  ];
}

/** The lines of `mneme tables`. */
export function tableLines(s: DbSummary): string[] {
  return s.tables.map(
    (t) => `${t.name}\t${t.type}\t${t.storageType}\t${t.size}\t${t.attributes.join(",")}`,
  );
}
