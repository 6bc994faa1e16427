// Built-in instructions for the usual steps of a schema upgrade, each a thin wrapper over the
// database's own operation (createTable, transformTable, ...). Each is named "<step>:<table>"
// unless `options.name` says otherwise; options also take dependencies and insertWhere.
import type { Mneme } from "../db/database.js";
import type {
  AnyRecord,
  AttributeList,
  AttrName,
  NoOptionalProperties,
  TableDef,
  TableName,
} from "../types.js";
import type { InsertWhere, Instruction, UpgradeContext } from "./instruction.js";

/** What every built-in takes besides its own arguments. */
export interface StepOptions {
  readonly name?: string;
  readonly dependencies?: readonly string[];
  readonly insertWhere?: InsertWhere;
}

function tableName(t: TableName): string {
  return typeof t === "string" ? t : t.name;
}

function step(
  defaultName: string,
  options: StepOptions,
  run: (db: Mneme, ctx: UpgradeContext) => unknown,
  readOnly = false,
): Instruction<[]> {
  return {
    name: options.name ?? defaultName,
    ...(options.dependencies === undefined ? {} : { dependencies: options.dependencies }),
    ...(options.insertWhere === undefined ? {} : { insertWhere: options.insertWhere }),
    readOnly,
    async run(_args, ctx) {
      await run(ctx.db, ctx);
    },
  };
}

export const upgradeStep = {
  createTable<T extends object, K extends AttrName<T> = AttrName<T>>(
    table: string,
    def: TableDef<T, K> & NoOptionalProperties<T>,
    options: StepOptions = {},
  ): Instruction<[]> {
    return step(`createTable:${table}`, options, (db) => db.createTable<T, K>(table, def));
  },

  deleteTable(table: TableName, options: StepOptions = {}): Instruction<[]> {
    return step(`deleteTable:${tableName(table)}`, options, (db) => db.deleteTable(table));
  },

  addIndex(table: TableName, attribute: string, options: StepOptions = {}): Instruction<[]> {
    return step(`addIndex:${tableName(table)}.${attribute}`, options, (db) =>
      db.addTableIndex(tableName(table), attribute as never),
    );
  },

  delIndex(table: TableName, attribute: string, options: StepOptions = {}): Instruction<[]> {
    return step(`delIndex:${tableName(table)}.${attribute}`, options, (db) =>
      db.delTableIndex(tableName(table), attribute as never),
    );
  },

  /** transformTable: `fn` maps each old record to the new shape (or "ignore"). */
  transformTable<N extends object, O extends object = AnyRecord>(
    table: TableName,
    fn: ((record: Readonly<O>) => N) | "ignore",
    newAttributes: AttributeList<N> & NoOptionalProperties<N>,
    options: StepOptions & { readonly newRecordName?: string } = {},
  ): Instruction<[]> {
    return step(`transformTable:${tableName(table)}`, options, (db) =>
      db.transformTable<N, O>(tableName(table), fn, newAttributes, options.newRecordName),
    );
  },

  changeCopyType(
    table: TableName,
    to: "ram_copies" | "disc_copies" | "disc_only_copies",
    options: StepOptions = {},
  ): Instruction<[]> {
    return step(`changeCopyType:${tableName(table)}`, options, (db) =>
      db.changeTableCopyType(table, db.node, to),
    );
  },

  /** loadTextfile: creates the tables of a text file (dumpToTextfile's format) and writes its records. */
  loadTextfile(file: string, options: StepOptions = {}): Instruction<[]> {
    return step(`loadTextfile:${file}`, options, (db) => db.loadTextfile(file));
  },

  /**
   * A check that only reads: `fn` throws (or rejects) when the database is not fit for the
   * upgrade. Runs in dry runs too; needs no fallback.
   */
  check(
    name: string,
    fn: (db: Mneme, ctx: UpgradeContext) => void | Promise<void>,
    options: Omit<StepOptions, "name"> = {},
  ): Instruction<[]> {
    return step(name, options, fn, true);
  },
};
