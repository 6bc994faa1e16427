// mnesia:dump_to_textfile/1 and mnesia:load_textfile/1: a readable, editable text dump of all
// tables (except "schema"), one JSON value per line.
//
// Format (version 1):
//
//   %% mneme textfile 1
//   {"table":"person","attributes":["id","name","age"],"type":"set","storage":"ram_copies",...}
//   ["person",1,"ann",{"$bigint":"42"}]
//   ["person",2,"bob",{"$num":"NaN"}]
//
// - Line 1 is the header, exactly. Later lines starting with "%%" are comments; blank lines are
//   ignored ("\r\n" line ends are accepted).
// - A JSON object line defines a table (Mnesia's {tables, [{Tab, Opts}]}). Properties: table,
//   attributes (required), type, storage (the copy type on this node: ram_copies, disc_copies or
//   disc_only_copies; node names are not written), index (attribute names or tuple positions),
//   recordName, accessMode, loadOrder, majority, localContent, userProperties, storageProperties,
//   snmp. Anything else is an error.
// - A JSON array line is a record of a table defined on an earlier line: the table name, then the
//   attribute values in attribute order (Mnesia writes the tuple {RecordName, Key, ...}; the table
//   name is used here instead so that a record name shared by two tables stays unambiguous).
// - Values JSON cannot express are tagged objects with a single "$" key: {"$bigint":"123"},
//   {"$bytes":"<base64>"}, {"$num":"NaN" | "Infinity" | "-Infinity" | "-0"}. A stored object
//   that itself has exactly one key starting with "$" is written as {"$obj":{...}}.
import { chmod, open, readFile, rename, rm } from "node:fs/promises";
import type { Mneme } from "../db/database.js";
import {
  BadArgError,
  BadTypeError,
  fileError,
  MnemeError,
  ReadOnlyError,
  TransactionAborted,
} from "../errors.js";
import { keyProblem } from "../keys/index.js";
import { TABLE_PROPERTIES, validateTableDef, validateTableName } from "../schema/validate-def.js";
import type { AnyRecord, StorageType, TableDef, Value } from "../types.js";
import { namingFinal, writeTarget } from "./write-target.js";

export const TEXTFILE_HEADER = "%% mneme textfile 1";

const DEF_PROPERTIES = new Set(["table", "attributes", "type", "storage", ...TABLE_PROPERTIES]);
const STORAGE_TYPES: readonly StorageType[] = ["ram_copies", "disc_copies", "disc_only_copies"];

// ---- values -------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** A stored value as JSON, with the tagged forms for what JSON cannot express. */
export function encodeValue(v: Value): Json {
  switch (typeof v) {
    case "number":
      if (Number.isNaN(v)) return { $num: "NaN" };
      if (v === Infinity) return { $num: "Infinity" };
      if (v === -Infinity) return { $num: "-Infinity" };
      if (Object.is(v, -0)) return { $num: "-0" };
      return v;
    case "bigint":
      return { $bigint: v.toString() };
    case "string":
    case "boolean":
      return v;
    default:
      break;
  }
  if (v === null) return null;
  if (v instanceof Uint8Array) {
    return { $bytes: Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString("base64") };
  }
  if (Array.isArray(v)) return (v as readonly Value[]).map(encodeValue);
  const obj = v as { readonly [k: string]: Value };
  const entries = Object.keys(obj).map((k) => [k, encodeValue(obj[k]!)] as const);
  const encoded = Object.fromEntries(entries) as { [k: string]: Json };
  return entries.length === 1 && entries[0]![0].startsWith("$") ? { $obj: encoded } : encoded;
}

const BIGINT = /^-?[0-9]+$/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const NUMS: { readonly [s: string]: number } = {
  NaN: Number.NaN,
  Infinity: Number.POSITIVE_INFINITY,
  "-Infinity": Number.NEGATIVE_INFINITY,
  "-0": -0,
};

/** The inverse of encodeValue. Throws a plain string describing the problem. */
export function decodeValue(j: unknown, path = "value"): Value {
  switch (typeof j) {
    case "number":
    case "string":
    case "boolean":
      return j;
    case "object":
      break;
    default:
      throw `${path}: ${typeof j} is not a JSON value`;
  }
  if (j === null) return null;
  if (Array.isArray(j)) return j.map((e, i) => decodeValue(e, `${path}[${i}]`));
  const obj = j as { readonly [k: string]: unknown };
  const keys = Object.keys(obj);
  if (keys.length === 1 && keys[0]!.startsWith("$")) {
    const tag = keys[0]!;
    const arg = obj[tag];
    switch (tag) {
      case "$bigint":
        if (typeof arg !== "string" || !BIGINT.test(arg)) {
          throw `${path}: $bigint needs a string of decimal digits`;
        }
        return BigInt(arg);
      case "$num":
        if (typeof arg !== "string" || !Object.hasOwn(NUMS, arg)) {
          throw `${path}: $num must be "NaN", "Infinity", "-Infinity" or "-0"`;
        }
        return NUMS[arg]!;
      case "$bytes":
        if (typeof arg !== "string" || !BASE64.test(arg)) {
          throw `${path}: $bytes needs a base64 string`;
        }
        return new Uint8Array(Buffer.from(arg, "base64"));
      case "$obj":
        if (arg === null || typeof arg !== "object" || Array.isArray(arg)) {
          throw `${path}: $obj needs an object`;
        }
        return decodeMembers(arg as { readonly [k: string]: unknown }, path);
      default:
        throw `${path}: unknown tag ${JSON.stringify(tag)} (escape such objects as {"$obj": {...}})`;
    }
  }
  return decodeMembers(obj, path);
}

function decodeMembers(obj: { readonly [k: string]: unknown }, path: string): Value {
  // fromEntries defines own properties, so a "__proto__" key stays data.
  return Object.fromEntries(
    Object.keys(obj).map((k) => [k, decodeValue(obj[k], `${path}.${k}`)]),
  ) as Value;
}

// ---- dump ---------------------------------------------------------------------------------------

/** The line defining table `name` in a text dump. */
export function tableDefLine(db: Mneme, name: string): string {
  const i = db.tableInfo(name, "all");
  const storage = i.storage_type === "unknown" ? "ram_copies" : i.storage_type;
  const def: { [k: string]: Json } = {
    table: name,
    attributes: [...i.attributes],
    type: i.type,
    storage,
    index: i.index.map((pos) => i.attributes[pos - 2]!),
    recordName: i.record_name,
    accessMode: i.access_mode,
    loadOrder: i.load_order,
    majority: i.majority,
    localContent: i.local_content,
    userProperties: encodeValue(i.user_properties as Value),
    storageProperties: encodeValue(i.storage_properties as Value),
  };
  if (!Array.isArray(i.snmp)) def.snmp = encodeValue(i.snmp as unknown as Value);
  return JSON.stringify(def);
}

/** The line of a record of table `name` (with these attributes) in a text dump. */
export function recordLine(name: string, attrs: readonly string[], rec: AnyRecord): string {
  return JSON.stringify([name, ...attrs.map((a) => encodeValue(rec[a]!))]);
}

/** mnesia:dump_to_textfile/1 to a string: every table but "schema", definitions then records. */
export function dumpToText(db: Mneme): string {
  const lines = [TEXTFILE_HEADER];
  for (const name of db.systemInfo("tables")) {
    if (name === "schema") continue;
    lines.push(tableDefLine(db, name));
    const attrs = db.tableInfo(name, "attributes");
    db.dirtyFoldl<null, AnyRecord>(
      name,
      (rec) => {
        lines.push(recordLine(name, attrs, rec));
        return null;
      },
      null,
    );
  }
  return `${lines.join("\n")}\n`;
}

/** dumpToText written to `file` (through `file.tmp` and a rename, so `file` is never half written). */
export async function dumpToTextfile(db: Mneme, file: string): Promise<void> {
  await writeTextOutput(file, [dumpToText(db)], db.config.fileMode);
}

/**
 * Writes the text `chunks` to `file`: a regular file through `file.tmp` and a rename (so it is
 * never half written), with `mode` (the database's data: as private as its files); a pipe or
 * device in place.
 */
export async function writeTextOutput(
  file: string,
  chunks: Iterable<string> | AsyncIterable<string>,
  mode: number,
): Promise<void> {
  const target = await writeTarget(file);
  if (target.stream) {
    try {
      await writeChunks(target.path, chunks, undefined);
    } catch (e) {
      throw fileError(e, target.path, "writing the text file");
    }
    return;
  }
  const tmp = `${target.path}.tmp`;
  try {
    await writeChunks(tmp, chunks, mode);
    await chmod(tmp, mode);
    await rename(tmp, target.path);
  } catch (e) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw fileError(namingFinal(e, target.path), target.path, "writing the text file");
  }
}

async function writeChunks(
  path: string,
  chunks: Iterable<string> | AsyncIterable<string>,
  mode: number | undefined,
): Promise<void> {
  const fh = await open(path, "w", mode);
  try {
    for await (const chunk of chunks) await fh.writeFile(chunk, "utf8");
  } finally {
    await fh.close();
  }
}

// ---- load ---------------------------------------------------------------------------------------

interface ParsedTable {
  readonly name: string;
  readonly line: number;
  readonly storage: StorageType;
  /** The createTable definition, with a copy on this node of the file's storage type. */
  readonly def: TableDef<object>;
  readonly attributes: readonly string[];
  readonly records: AnyRecord[];
}

function lineError(line: number, what: string): BadArgError {
  return new BadArgError(`textfile line ${line}: ${what}`, { value: line });
}

function describe(e: unknown): string {
  if (typeof e === "string") return e;
  if (e instanceof MnemeError) return e.message;
  throw e;
}

function parseDefinition(db: Mneme, line: number, raw: { readonly [k: string]: unknown }) {
  for (const k of Object.keys(raw)) {
    if (!DEF_PROPERTIES.has(k)) throw lineError(line, `unknown table property '${k}'`);
  }
  const name = raw.table;
  if (typeof name !== "string") throw lineError(line, "a table definition needs a table name");
  try {
    validateTableName(name);
  } catch (e) {
    throw lineError(line, describe(e));
  }
  if (!Object.hasOwn(raw, "attributes")) throw lineError(line, `table ${name} has no attributes`);
  const storage = raw.storage ?? "ram_copies";
  if (!STORAGE_TYPES.includes(storage as StorageType)) {
    throw lineError(line, `storage of ${name} must be ram_copies, disc_copies or disc_only_copies`);
  }
  const copies = { ram_copies: "ramCopies", disc_copies: "discCopies" }[storage as string];
  const def: { [k: string]: unknown } = { [copies ?? "discOnlyCopies"]: [db.node] };
  try {
    for (const [k, v] of Object.entries(raw)) {
      if (k === "table" || k === "storage") continue;
      def[k] =
        k === "userProperties" || k === "storageProperties" ? decodeValue(v, `${name}.${k}`) : v;
    }
    // Every option is checked as createTable would check it, without creating anything.
    const spec = validateTableDef(name, def as unknown as TableDef<object>, db.node, "textfile");
    return {
      name,
      line,
      storage: storage as StorageType,
      def: def as unknown as TableDef<object>,
      attributes: spec.attributes,
      records: [],
    } satisfies ParsedTable;
  } catch (e) {
    throw lineError(line, describe(e));
  }
}

function parseRecord(
  tables: ReadonlyMap<string, ParsedTable>,
  line: number,
  raw: readonly unknown[],
): void {
  const name = raw[0];
  if (typeof name !== "string") throw lineError(line, "a record line must start with a table name");
  const t = tables.get(name);
  if (t === undefined) {
    throw lineError(line, `record of table ${JSON.stringify(name)}, not defined on a line before`);
  }
  if (raw.length !== t.attributes.length + 1) {
    throw lineError(
      line,
      `a record of ${name} has ${t.attributes.length} values (${t.attributes.join(", ")}), got ${raw.length - 1}`,
    );
  }
  let values: Value[];
  try {
    values = raw.slice(1).map((v, i) => decodeValue(v, `${name}.${t.attributes[i]}`));
  } catch (e) {
    throw lineError(line, describe(e));
  }
  const kp = keyProblem(values[0]);
  if (kp !== undefined) throw lineError(line, `bad key of ${name}: ${kp}`);
  t.records.push(Object.fromEntries(t.attributes.map((a, i) => [a, values[i]!])) as AnyRecord);
}

function parse(db: Mneme, text: string): ParsedTable[] {
  if (typeof text !== "string") throw new BadArgError("textfile content must be a string");
  const lines = text.split("\n");
  const header = lines[0]?.replace(/\r$/, "");
  if (header !== TEXTFILE_HEADER) {
    throw lineError(1, `expected the header ${JSON.stringify(TEXTFILE_HEADER)}`);
  }
  const tables = new Map<string, ParsedTable>();
  for (let i = 1; i < lines.length; i++) {
    const n = i + 1;
    const src = lines[i]!.replace(/\r$/, "");
    if (src.trim() === "" || src.startsWith("%%")) continue;
    let raw: unknown;
    try {
      raw = JSON.parse(src);
    } catch (e) {
      throw lineError(n, `bad JSON (${e instanceof Error ? e.message : String(e)})`);
    }
    if (Array.isArray(raw)) {
      parseRecord(tables, n, raw);
    } else if (raw !== null && typeof raw === "object") {
      const t = parseDefinition(db, n, raw as { readonly [k: string]: unknown });
      if (tables.has(t.name)) throw lineError(n, `table ${t.name} is defined twice`);
      tables.set(t.name, t);
    } else {
      throw lineError(n, "expected a table definition (object) or a record (array)");
    }
  }
  return [...tables.values()];
}

/**
 * mnesia:load_textfile/1 from a string. Checks the whole text first (a bad line throws BadArgError
 * naming the line; a disc storage type on a database whose schema is in RAM throws BadTypeError),
 * then creates the tables that do not exist and writes all records in one transaction. Nothing is
 * created or written when anything fails. A table that exists already keeps its definition (its
 * attributes must be the file's) and gets the records added.
 *
 * Mnesia returns {atomic, ok} (and starts Mnesia); this returns the names of the tables loaded, in
 * file order, and throws instead of returning {aborted, Reason} / {error, Reason}.
 */
export async function loadText(db: Mneme, text: string): Promise<string[]> {
  const tables = parse(db, text);
  const existing = new Set(db.systemInfo("tables"));
  const useDir = db.systemInfo("use_dir");
  for (const t of tables) {
    if (existing.has(t.name)) {
      const attrs = db.tableInfo(t.name, "attributes");
      if (attrs.length !== t.attributes.length || attrs.some((a, i) => a !== t.attributes[i])) {
        throw lineError(
          t.line,
          `table ${t.name} exists with attributes ${attrs.join(", ")}, not ${t.attributes.join(", ")}`,
        );
      }
      if (t.records.length > 0 && db.tableInfo(t.name, "access_mode") === "read_only") {
        throw new ReadOnlyError(`textfile: table ${t.name} is read_only`, { table: t.name });
      }
    } else if (t.storage !== "ram_copies" && !useDir) {
      throw new BadTypeError(
        `textfile line ${t.line}: ${t.name} is ${t.storage}, which needs a disc schema; this database's schema is in RAM`,
        { table: t.name, value: t.storage },
      );
    }
  }

  const created: string[] = [];
  try {
    for (const t of tables) {
      if (existing.has(t.name)) continue;
      // A read_only table is created writable, filled, then made read_only.
      await db.createTable(t.name, { ...t.def, accessMode: "read_write" });
      created.push(t.name);
    }
    try {
      db.transactionSync((tx) => {
        for (const t of tables) for (const r of t.records) tx.write(t.name, r);
      });
    } catch (e) {
      throw e instanceof TransactionAborted && e.cause instanceof MnemeError ? e.cause : e;
    }
    for (const t of tables) {
      if (created.includes(t.name) && t.def.accessMode === "read_only") {
        await db.changeTableAccessMode(t.name, "read_only");
      }
    }
  } catch (e) {
    for (const name of created.reverse()) await db.deleteTable(name).catch(() => undefined);
    throw e;
  }
  return tables.map((t) => t.name);
}

/** mnesia:load_textfile/1: loadText on the content of `file` (read errors are thrown as they are). */
export async function loadTextfile(db: Mneme, file: string): Promise<string[]> {
  return loadText(db, await readFile(file, "utf8"));
}
