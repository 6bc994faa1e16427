// The commands of the mneme CLI, each on a disc database directory or a backup file.
import { existsSync, rmSync } from "node:fs";
import { dumpToText, writeTextOutput } from "../backup/textfile.js";
import { remoteBackup, remoteDump, remoteSummary, serviceSocket } from "../control/client.js";
import { infoLines, summarize, tableLines } from "../control/summary.js";
import type { Logger } from "../db/logger.js";
import { acquireDirLock } from "../disc/dir-lock.js";
import { DirLayout } from "../disc/layout.js";
import { PRIVATE_MODES } from "../file-modes.js";
import {
  type BackupItem,
  type BackupModule,
  DirectoryLockedError,
  Mneme,
  type RestoreOp,
} from "../index.js";
import { startProgress, withProgress } from "./progress.js";
import { isS3Url, type S3CliOptions, withBackupModule } from "./storage.js";

/** Where the commands print their results (one call per line). */
export type Print = (line: string) => void;

const defaultPrint: Print = (line) => {
  process.stdout.write(`${line}\n`);
};

/** Where a status line goes when stdout carries the output itself (`-`). */
const statusPrint: Print = (line) => {
  process.stderr.write(`${line}\n`);
};

/** `-` names standard output: the backup streams to it (see write-target.ts). */
function outputPath(file: string): string {
  return file === "-" ? "/dev/stdout" : file;
}

/** True when the output is standard output: then the status line goes to stderr. */
function isStdout(file: string): boolean {
  return ["-", "/dev/stdout", "/dev/fd/1", "/proc/self/fd/1"].includes(file);
}

/**
 * The database's logger for the CLI: what an operator must know (a log repaired while opening, a
 * failed write) on stderr, one line each; info and debug stay quiet.
 */
export const stderrLogger: Logger = {
  error: (obj, msg) => statusPrint(`mneme: error: ${logText(obj, msg)}`),
  warn: (obj, msg) => statusPrint(`mneme: warning: ${logText(obj, msg)}`),
  info: () => undefined,
};

function logText(obj: object | string, msg: string | undefined): string {
  return (msg ?? (typeof obj === "string" ? obj : JSON.stringify(obj))).replace(/\s*\n\s*/g, " ");
}

/** A usage error found by the CLI itself (exit code 2). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

export const RESTORE_OPS: readonly RestoreOp[] = [
  "clear_tables",
  "keep_tables",
  "skip_tables",
  "recreate_tables",
];

/** How a command opens its database: `create` makes the schema first when there is none. */
export interface OpenCliOptions {
  readonly create?: boolean;
}

/** Opens the disc database in `dir`, runs `fn` and closes it (also when `fn` fails). */
export async function withDb<T>(
  dir: string,
  fn: (db: Mneme) => Promise<T>,
  options: OpenCliOptions = {},
): Promise<T> {
  const db = await openDb(dir, options);
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

function openDb(dir: string, options: OpenCliOptions = {}): Promise<Mneme> {
  return Mneme.open({
    dir,
    schemaLocation: "disc",
    logger: stderrLogger,
    // The CLI holds a directory for a moment: no control socket of its own.
    control: false,
    ...(options.create ? { create: true } : {}),
  });
}

/**
 * A read-only command: `local` on the database in `dir`, or, when a running service holds `dir`,
 * `remote` through that service's control socket (src/control), said on stderr.
 */
async function readOnly<T>(
  dir: string,
  local: (db: Mneme) => Promise<T>,
  remote: (socket: string) => Promise<T>,
): Promise<T> {
  let db: Mneme;
  try {
    db = await openDb(dir);
  } catch (e) {
    if (!(e instanceof DirectoryLockedError)) throw e;
    const socket = serviceSocket(dir);
    if (socket === undefined) {
      throw new DirectoryLockedError(
        `${e.message.replace(/^dir_locked: /, "")}; it has no control socket (opened with ` +
          "control: false, or still starting) through which to read it meanwhile",
        { value: e.value },
      );
    }
    const pid = (e.value as { pid?: unknown } | undefined)?.pid;
    statusPrint(
      `mneme: ${dir} is open in ${pid === undefined ? "another process" : `process ${String(pid)}`}: via the running service's control socket`,
    );
    return remote(socket);
  }
  try {
    return await local(db);
  } finally {
    await db.close();
  }
}

function userTables(db: Mneme): string[] {
  return db.systemInfo("tables").filter((t) => t !== "schema");
}

/** `mneme init <dir>`: a new disc schema (mnesia:create_schema/1); refused if one is there. */
export async function initCommand(dir: string, print: Print = defaultPrint): Promise<void> {
  await Mneme.createSchema({ dir });
  print(`schema created in ${dir}`);
}

export async function infoCommand(dir: string, print: Print = defaultPrint): Promise<void> {
  const summary = await readOnly(dir, async (db) => summarize(db), remoteSummary);
  for (const line of infoLines(summary)) print(line);
}

export async function tablesCommand(dir: string, print: Print = defaultPrint): Promise<void> {
  const summary = await readOnly(dir, async (db) => summarize(db), remoteSummary);
  for (const line of tableLines(summary)) print(line);
}

export async function backupCommand(
  dir: string,
  file: string,
  s3: S3CliOptions = {},
  print: Print = defaultPrint,
): Promise<void> {
  await withBackupModule(file, s3, (module) => backupWith(dir, file, module, print));
}

async function backupWith(
  dir: string,
  file: string,
  module: BackupModule,
  print: Print,
): Promise<void> {
  const target = isS3Url(file) ? file : outputPath(file);
  let items = 0;
  const counting = (total: number | undefined) => {
    const progress = startProgress("backup", total);
    return {
      progress,
      module: withProgress(module, {
        tick: (n) => {
          items += n;
          progress.tick(n);
        },
        stop: () => undefined,
      }),
    };
  };
  const tables = await readOnly(
    dir,
    async (db) => {
      const tables = userTables(db);
      const c = counting(tables.reduce((n, t) => n + 1 + db.tableInfo(t, "size"), 0));
      try {
        await db.backup(target, c.module);
      } finally {
        c.progress.stop();
      }
      return tables.length;
    },
    async (socket) => {
      let c: ReturnType<typeof counting> | undefined;
      try {
        const size = await remoteBackup(socket, target, ({ tables, records }) => {
          c = counting(tables + records);
          return c.module;
        });
        return size.tables;
      } finally {
        c?.progress.stop();
      }
    },
  );
  (isStdout(file) ? statusPrint : print)(`backup ${file}: ${tables} tables, ${items} items`);
}

export interface RestoreCliOptions extends OpenCliOptions, S3CliOptions {
  readonly defaultOp?: string;
  readonly skip?: readonly string[];
  readonly clear?: readonly string[];
  readonly keep?: readonly string[];
  readonly recreate?: readonly string[];
}

function restoreOp(op: string | undefined): RestoreOp | undefined {
  if (op === undefined) return undefined;
  if (!(RESTORE_OPS as readonly string[]).includes(op)) {
    throw new UsageError(`--default-op must be one of ${RESTORE_OPS.join(", ")}, not '${op}'`);
  }
  return op as RestoreOp;
}

export async function restoreCommand(
  dir: string,
  file: string,
  options: RestoreCliOptions = {},
  print: Print = defaultPrint,
): Promise<void> {
  const defaultOp = restoreOp(options.defaultOp);
  await withBackupModule(file, options, (module) =>
    restoreWith(dir, file, module, defaultOp, options, print),
  );
}

async function restoreWith(
  dir: string,
  file: string,
  module: BackupModule,
  defaultOp: RestoreOp | undefined,
  options: RestoreCliOptions,
  print: Print,
): Promise<void> {
  await withDb(
    dir,
    async (db) => {
      // Into an empty database (a new directory with --create, say), the tables come from the
      // backup: recreate_tables, which would otherwise be refused as no_exists for each.
      defaultOp ??= userTables(db).length === 0 ? "recreate_tables" : undefined;
      const progress = startProgress("restore");
      let restored: string[];
      try {
        restored = await db.restore(file, {
          module: withProgress(module, progress),
          ...(defaultOp !== undefined ? { defaultOp } : {}),
          ...(options.skip ? { skipTables: options.skip } : {}),
          ...(options.clear ? { clearTables: options.clear } : {}),
          ...(options.keep ? { keepTables: options.keep } : {}),
          ...(options.recreate ? { recreateTables: options.recreate } : {}),
        });
      } finally {
        progress.stop();
      }
      print(`restored ${restored.length} tables${restored.length > 0 ? ":" : ""}`);
      for (const t of restored) print(`  ${t}`);
    },
    options,
  );
}

export async function dumpCommand(
  dir: string,
  textfile: string,
  print: Print = defaultPrint,
): Promise<void> {
  const tables = await readOnly(
    dir,
    async (db) => {
      if (textfile === "-") await writeStdout(dumpToText(db));
      else await db.dumpToTextfile(textfile);
      return userTables(db).length;
    },
    async (socket) => {
      let tables = 0;
      const pages = async function* () {
        for await (const page of remoteDump(socket)) {
          for (const line of page.split("\n")) if (line.startsWith('{"table":')) tables += 1;
          yield page;
        }
      };
      if (textfile === "-") {
        for await (const page of pages()) await writeStdout(page);
      } else {
        // As the service's dumpToTextfile would: private, as the database's files.
        await writeTextOutput(textfile, pages(), PRIVATE_MODES.file);
      }
      return tables;
    },
  );
  if (textfile === "-") statusPrint(`dumped ${tables} tables to standard output`);
  else (isStdout(textfile) ? statusPrint : print)(`dumped ${tables} tables to ${textfile}`);
}

export async function loadCommand(
  dir: string,
  textfile: string,
  options: OpenCliOptions = {},
  print: Print = defaultPrint,
): Promise<void> {
  await withDb(
    dir,
    async (db) => {
      const progress = startProgress("load");
      let tables: string[];
      try {
        tables = await db.loadTextfile(textfile);
      } finally {
        progress.stop();
      }
      print(`loaded ${tables.length} tables${tables.length > 0 ? ":" : ""}`);
      for (const t of tables) print(`  ${t}`);
    },
    options,
  );
}

/** Writes `text` to standard output, resolved once it is flushed (or rejected with EPIPE). */
function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (e: Error) => reject(e);
    process.stdout.once("error", onError);
    process.stdout.write(text, (e) => {
      process.stdout.off("error", onError);
      if (e) reject(e);
      else resolve();
    });
  });
}

/** JSON with bigints as strings and binaries as base64 strings. */
export function itemToJson(item: BackupItem): string {
  return JSON.stringify(item, (_key, value: unknown) => {
    if (typeof value === "bigint") return value.toString();
    if (value instanceof Uint8Array) return Buffer.from(value).toString("base64");
    if (value instanceof Map) return Object.fromEntries(value);
    if (value instanceof Set) return [...value];
    return value;
  });
}

export async function traverseCommand(
  file: string,
  options: { readonly count?: boolean } & S3CliOptions = {},
  print: Print = defaultPrint,
): Promise<void> {
  await withBackupModule(file, options, (module) => traverseWith(file, module, options, print));
}

async function traverseWith(
  file: string,
  module: BackupModule,
  options: { readonly count?: boolean },
  print: Print,
): Promise<void> {
  const db = await Mneme.open({ schemaLocation: "ram" });
  try {
    const progress = options.count ? startProgress("traverse") : startProgress("", 0, false);
    let count: number;
    try {
      count = await db.traverseBackup(
        file,
        module,
        undefined,
        "read_only",
        (item, n: number) => {
          if (!options.count) print(itemToJson(item));
          progress.tick(1);
          return [[], n + 1];
        },
        0,
      );
    } finally {
      progress.stop();
    }
    if (options.count) print(String(count));
  } finally {
    await db.close();
  }
}

/**
 * `mneme fallback install <dir> <file>`: the backup replaces the database at its next start. The
 * database is not opened (that would apply a fallback already there), so it may be running.
 */
export async function fallbackInstallCommand(
  dir: string,
  file: string,
  s3: S3CliOptions = {},
  print: Print = defaultPrint,
): Promise<void> {
  await withBackupModule(file, s3, (module) =>
    Mneme.installFallback(file, { scope: "local", mnesiaDir: dir, module }),
  );
  print(`fallback installed in ${dir}: ${file} replaces the database at its next start`);
}

/**
 * `mneme fallback uninstall <dir>`. Opening the database would apply the fallback, so this only
 * takes the directory lock and removes the fallback file.
 */
export async function fallbackUninstallCommand(
  dir: string,
  print: Print = defaultPrint,
): Promise<void> {
  const layout = new DirLayout(dir);
  const lock = acquireDirLock(dir);
  try {
    const had = existsSync(layout.fallback);
    rmSync(layout.fallback, { force: true });
    print(had ? `fallback uninstalled from ${dir}` : `no fallback was installed in ${dir}`);
  } finally {
    lock.release();
  }
}
