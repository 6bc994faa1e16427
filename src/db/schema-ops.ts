// Schema operations: each validates against the current schema, restarts the async transactions
// holding locks on the table (as a schema transaction's table write lock would), and becomes a log
// entry so that every consumer of the log sees the change in order. The returned promise resolves
// once that entry is as durable as a transaction's commit would be (the database's durability).
import { randomUUID } from "node:crypto";
import {
  AlreadyExistsError,
  BadArgError,
  BadTypeError,
  MnemeError,
  NestedTransactionError,
  NoExistsError,
  ReadOnlyError,
  TimeoutError,
} from "../errors.js";
import { compareKeys, formatKey, freezeRecord, type Key, valueProblem } from "../keys/index.js";
import type { LogEntry, LogOp } from "../log/entry.js";
import type { LiveTable } from "../schema/live-table.js";
import { describeDifferences, specDifferences } from "../schema/spec-diff.js";
import type { TableSpec } from "../schema/table-spec.js";
import {
  resolveIndexAttribute,
  validateBoolean,
  validateLoadOrder,
  validateSnmp,
  validateTableDef,
  validateTableName,
} from "../schema/validate-def.js";
import type { Rec } from "../store/store.js";
import { TABLE } from "../txn/locks.js";
import type { AccessMode, SnmpStruct, StorageType, TableDef } from "../types.js";
import type { DbCore } from "./core.js";

export class SchemaOps {
  /** Tables that ensureTable is creating, until the creation is durable. */
  private readonly creating = new Map<string, Promise<void>>();

  constructor(
    private readonly core: DbCore,
    /** True while a transaction body runs (sync or async): schema ops may not nest in one. */
    private readonly inTransaction: () => boolean,
  ) {}

  /**
   * Mnesia: {aborted, nested_transaction} inside a transaction. Without this check an async body
   * would restart its own transaction (the op wounds lock holders) and call the op again, forever.
   */
  refuseInTransaction(what: string): void {
    if (this.inTransaction()) {
      throw new NestedTransactionError(
        `${what} cannot run inside a transaction; call it before or after the transaction`,
      );
    }
  }

  private begin(what: string): void {
    this.core.assertRunning();
    this.refuseInTransaction(what);
  }

  /** Restarts async transactions that hold locks on the table, then appends the schema entry. */
  private apply(table: string, ops: readonly LogOp[]): LogEntry {
    this.core.locks.woundConflicts(table, TABLE, "write", `table ${table}`);
    const id = this.core.nextActivityId("tid");
    const entry = this.core.log.append(id, ops);
    // A schema change is a transaction in Mnesia: activity subscribers see it complete.
    if (this.core.events.hasActivitySubscribers()) {
      this.core.events.emitActivity({ type: "complete", activityId: id });
    }
    return entry;
  }

  /** Resolves once the entry is durable as the database's durability says (as a commit). */
  private durable(entry: LogEntry): Promise<void> {
    return this.core.log.whenDurable(entry, this.core.durability) ?? Promise.resolve();
  }

  /** For the synchronous schema ops: in "fsync" mode, fsynced before they return. */
  private durableSync(entry: LogEntry): void {
    this.core.log.makeDurableSync(entry, this.core.durability);
  }

  /** Updates to a read_only table fail with {no_exists, Tab} in Mnesia (so do its deletion and transform). */
  private assertWritable(t: LiveTable): void {
    if (t.spec.accessMode === "read_only") {
      throw new ReadOnlyError(`table ${t.name} is read_only`, { table: t.name });
    }
  }

  createTable(name: unknown, def: TableDef<object>): Promise<void> {
    this.begin("createTable");
    const n = validateTableName(name);
    if (this.core.tables.has(n))
      throw new AlreadyExistsError(`table ${n} already exists`, { table: n });
    const spec = validateTableDef(n, def, this.core.node, randomUUID());
    this.assertStorable(n, spec.storage);
    return this.durable(this.apply(n, [{ op: "create_table", spec }]));
  }

  /**
   * createTable unless the table exists; if it does, its definition must match `def` (see
   * spec-diff.ts), or already_exists lists the differences. Resolves once the table is durable,
   * also when a concurrent call is the one that created it.
   */
  ensureTable(name: unknown, def: TableDef<object>): Promise<void> {
    this.begin("ensureTable");
    const n = validateTableName(name);
    const t = this.core.tables.get(n);
    if (t === undefined) {
      const created = this.createTable(n, def);
      this.creating.set(n, created);
      const forget = () => {
        if (this.creating.get(n) === created) this.creating.delete(n);
      };
      created.then(forget, forget);
      return created;
    }
    const wanted = validateTableDef(n, def, this.core.node, t.spec.cookie);
    const diffs = specDifferences(t.spec, wanted);
    if (diffs.length > 0) {
      throw new AlreadyExistsError(
        `table ${n} already exists with another definition: ${describeDifferences(diffs)} ` +
          "(change it with transformTable, addTableIndex, changeTableCopyType, ... or deleteTable)",
        { table: n, value: diffs },
      );
    }
    return this.creating.get(n) ?? Promise.resolve();
  }

  /** Mnesia: {aborted, {bad_type, Tab, disc_copies, Node}} on a node whose schema is in RAM. */
  private assertStorable(table: string, storage: StorageType): void {
    if (storage !== "ram_copies" && !this.core.discSchema) {
      throw new BadTypeError(
        `${table}: ${storage} needs a disc schema, and this database's schema is in RAM ` +
          `(create one with Mneme.createSchema({ dir }) and open the database on that dir)`,
        { table, value: storage },
      );
    }
  }

  /** mnesia:change_table_copy_type/3 on this node. */
  changeTableCopyType(name: string, node: unknown, to: unknown): Promise<void> {
    this.begin("changeTableCopyType");
    const isStorage = to === "ram_copies" || to === "disc_copies" || to === "disc_only_copies";
    // Mnesia checks the storage type before the node: {bad_type, {storage_type, To}}, also for schema.
    if (!isStorage) {
      if (name !== "schema") this.core.table(name); // a missing table is no_exists first
      throw new BadTypeError(
        `${String(to)} is not a storage type (use ram_copies, disc_copies or disc_only_copies)`,
        { table: name, value: to },
      );
    }
    const t = this.core.table(name);
    if (node !== this.core.node) {
      throw new MnemeError("not_a_db_node", `${String(node)} is not a node of this database`, {
        table: name,
        value: node,
      });
    }
    const from = t.spec.storage;
    if (from === to) {
      throw new AlreadyExistsError(`table ${name} already has ${to} on ${this.core.node}`, {
        table: name,
        value: to,
      });
    }
    this.assertStorable(name, to);
    const lists = {
      ramCopies: to === "ram_copies" ? [this.core.node] : [],
      discCopies: to === "disc_copies" ? [this.core.node] : [],
      discOnlyCopies: to === "disc_only_copies" ? [this.core.node] : [],
    };
    const spec: TableSpec = { ...t.spec, storage: to, ...lists };
    // A ram_copies table's writes were never logged: its content travels with the change.
    const records = from === "ram_copies" ? [...t.store.records()] : undefined;
    return this.durable(this.apply(name, [{ op: "change_copy_type", spec, records }]));
  }

  deleteTable(name: string): Promise<void> {
    this.begin("deleteTable");
    if (name === "schema") {
      // Mnesia: {aborted, {bad_type, schema}}.
      throw new BadTypeError(
        "the schema cannot be deleted as a table (to remove a database, close it and delete its directory)",
        { table: name },
      );
    }
    const t = this.core.table(name);
    this.assertWritable(t);
    const entry = this.apply(t.name, [{ op: "delete_table", table: t.name }]);
    this.core.locks.dropSpace(t.name);
    this.core.snmp.close(t.name);
    return this.durable(entry);
  }

  clearTable(name: string): Promise<void> {
    this.begin("clearTable");
    const t = this.core.table(name);
    this.assertWritable(t);
    return this.durable(this.apply(t.name, [{ op: "clear_table", table: t.name }]));
  }

  addTableIndex(name: string, attribute: unknown): Promise<void> {
    this.begin("addTableIndex");
    const t = this.core.table(name);
    const attr = resolveIndexAttribute(t.name, t.spec.attributes, attribute);
    if (t.spec.index.includes(attr)) {
      throw new AlreadyExistsError(`${t.name} already has an index on '${attr}'`, {
        table: t.name,
        value: attr,
      });
    }
    return this.redefine(t, { ...t.spec, index: [...t.spec.index, attr] });
  }

  delTableIndex(name: string, attribute: unknown): Promise<void> {
    this.begin("delTableIndex");
    const t = this.core.table(name);
    const attr = typeof attribute === "number" ? t.spec.attributes[attribute - 2] : attribute;
    if (typeof attribute === "number" && attr === undefined) {
      // Mnesia: a position beyond the record is {no_exists, Tab, Pos} (there is no such index).
      throw new NoExistsError(`${t.name} has no index on position ${attribute}`, {
        table: t.name,
        value: attribute,
      });
    }
    if (typeof attr !== "string" || !t.spec.attributes.includes(attr)) {
      throw new BadTypeError(`${String(attribute)} is not an attribute of ${t.name}`, {
        table: t.name,
        value: attribute,
      });
    }
    if (!t.spec.index.includes(attr)) {
      throw new NoExistsError(`${t.name} has no index on '${attr}'`, {
        table: t.name,
        value: attr,
      });
    }
    return this.redefine(t, { ...t.spec, index: t.spec.index.filter((a) => a !== attr) });
  }

  changeTableAccessMode(name: string, mode: AccessMode): Promise<void> {
    this.begin("changeTableAccessMode");
    const t = this.core.table(name);
    if (mode !== "read_only" && mode !== "read_write") {
      throw new BadTypeError(
        `access mode of ${t.name} must be read_only or read_write, got ${String(mode)}`,
        {
          table: t.name,
          value: mode,
        },
      );
    }
    if (t.spec.accessMode === mode) {
      throw new AlreadyExistsError(`${t.name} is already ${mode}`, { table: t.name, value: mode });
    }
    return this.redefine(t, { ...t.spec, accessMode: mode });
  }

  changeTableLoadOrder(name: string, order: number): Promise<void> {
    this.begin("changeTableLoadOrder");
    const t = this.core.table(name);
    validateLoadOrder(t.name, order);
    return this.redefine(t, { ...t.spec, loadOrder: order });
  }

  changeTableMajority(name: string, majority: boolean): Promise<void> {
    this.begin("changeTableMajority");
    const t = this.core.table(name);
    validateBoolean(t.name, "majority", majority);
    return this.redefine(t, { ...t.spec, majority });
  }

  private redefine(t: LiveTable, spec: TableSpec): Promise<void> {
    return this.durable(this.apply(t.name, [{ op: "redefine_table", spec }]));
  }

  /**
   * transform_table: every record goes through `fn` (or, with "ignore", only the definition
   * changes). Indexes are positional, as in Mnesia: an index stays on its position, and removing an
   * indexed position is bad_type. Nothing changes unless every record transforms cleanly.
   */
  transformTable(
    name: string,
    fn: ((record: Rec) => unknown) | "ignore",
    newAttributes: readonly string[],
    newRecordName?: string,
  ): Promise<void> {
    this.begin("transformTable");
    const t = this.core.table(name);
    if (fn !== "ignore" && typeof fn !== "function") {
      throw new BadTypeError(`transform of ${t.name} needs a function or "ignore"`, {
        table: t.name,
        value: fn,
      });
    }
    if (
      newRecordName !== undefined &&
      (typeof newRecordName !== "string" || newRecordName.length === 0)
    ) {
      throw new BadTypeError(`new record name of ${t.name} must be a non-empty string`, {
        table: t.name,
        value: newRecordName,
      });
    }
    this.assertWritable(t);
    const probe = validateTableDef(
      t.name,
      { attributes: newAttributes as never, type: t.spec.type },
      this.core.node,
      t.spec.cookie,
    );
    const positions = t.spec.index.map((a) => t.spec.attributes.indexOf(a));
    const index = positions.map((p) => probe.attributes[p]);
    if (index.some((a, i) => a === undefined || positions[i] === 0)) {
      throw new BadTypeError(`${t.name}: the new attributes drop an indexed position`, {
        table: t.name,
        value: newAttributes,
      });
    }
    const recordName = newRecordName ?? t.spec.recordName;
    const spec: TableSpec = {
      ...t.spec,
      attributes: probe.attributes,
      index: index as string[],
      recordName,
    };
    if (fn === "ignore") {
      // Records stay as they are (Mnesia); if their shape is no longer the table's, say so.
      const changed = probe.attributes.join("\0") !== t.spec.attributes.join("\0");
      const mixed = changed || t.spec.mixedShapes === true;
      return this.redefine(t, mixed ? { ...spec, mixedShapes: true } : spec);
    }
    const records = [...t.store.records()].map((old) => transformOne(t, spec, fn, old));
    const converted = t.spec.mixedShapes ? { ...spec, mixedShapes: false } : spec;
    return this.durable(this.apply(t.name, [{ op: "transform_table", spec: converted, records }]));
  }

  /** snmp_open_table: the table's snmp property is set, and its ordering built (by the core). */
  snmpOpenTable(name: string, struct: SnmpStruct): void {
    this.begin("snmpOpenTable");
    const t = this.core.table(name);
    validateSnmp(t.name, t.spec.type, struct);
    if (t.spec.snmp !== null) {
      throw new AlreadyExistsError(`${t.name} is already SNMP ordered`, {
        table: t.name,
        value: t.spec.snmp,
      });
    }
    this.durableSync(
      this.apply(t.name, [{ op: "redefine_table", spec: { ...t.spec, snmp: struct } }]),
    );
  }

  /** snmp_close_table: removes the snmp property (a table that has none is fine). */
  snmpCloseTable(name: string): void {
    this.begin("snmpCloseTable");
    const t = this.core.table(name);
    if (t.spec.snmp !== null) {
      this.durableSync(
        this.apply(t.name, [{ op: "redefine_table", spec: { ...t.spec, snmp: null } }]),
      );
    }
  }

  /** waitForTables: resolves when all tables are loaded; RAM tables are loaded once created. */
  async waitForTables(names: readonly string[], timeoutMs: number): Promise<void> {
    this.core.assertRunning();
    // Mnesia: {error, {badarg, Tabs, Timeout}} unless Tabs is a list and Timeout an integer >= 0 or infinity.
    if (
      !Array.isArray(names) ||
      !(timeoutMs === Infinity || (Number.isSafeInteger(timeoutMs) && timeoutMs >= 0))
    ) {
      throw new BadArgError(
        `waitForTables needs a list of tables and a timeout >= 0 in ms, got ${String(timeoutMs)}`,
        { value: [names, timeoutMs] },
      );
    }
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      // A database closed while waiting ends the wait: node_not_running.
      this.core.assertRunning();
      const missing = names.filter((n) => !this.core.tables.has(n));
      if (missing.length === 0) return;
      if (Date.now() >= deadline) {
        throw new TimeoutError(
          `tables not available after ${timeoutMs} ms: ${missing.join(", ")}`,
          { value: missing },
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(20, Math.max(1, deadline - Date.now()))));
    }
  }
}

function transformOne(t: LiveTable, spec: TableSpec, fn: (record: Rec) => unknown, old: Rec): Rec {
  const key = t.keyOf(old);
  let out: unknown;
  try {
    out = fn(old);
  } catch (e) {
    throw new BadTypeError(
      `bad transform function for ${t.name}: it threw ${String(e)} on the record with key ${formatKey(key)}`,
      {
        table: t.name,
        key,
        value: old,
      },
    );
  }
  const attrs = spec.attributes;
  if (out === null || typeof out !== "object" || Array.isArray(out)) {
    throw new BadTypeError(
      `bad transform function for ${t.name}: it returned a non-record for key ${formatKey(key)}`,
      {
        table: t.name,
        key,
        value: out,
      },
    );
  }
  const o = out as { readonly [a: string]: unknown };
  const keys = Object.keys(o);
  if (
    keys.length !== attrs.length ||
    attrs.some((a) => !Object.hasOwn(o, a) || o[a] === undefined)
  ) {
    throw new BadTypeError(
      `bad transform function for ${t.name}: the result for key ${formatKey(key)} must have exactly ${attrs.join(", ")}`,
      {
        table: t.name,
        key,
        value: out,
      },
    );
  }
  if (compareKeys(o[attrs[0]!] as Key, key) !== 0) {
    throw new BadTypeError(
      `bad transform function for ${t.name}: it changed the key ${formatKey(key)}`,
      {
        table: t.name,
        key,
        value: out,
      },
    );
  }
  for (const a of attrs) {
    const vp = valueProblem(o[a]);
    if (vp !== undefined) {
      throw new BadTypeError(
        `bad transform function for ${t.name}: attribute '${a}' of ${formatKey(o[attrs[0]!])}: ${vp}`,
        {
          table: t.name,
          key,
          value: out,
        },
      );
    }
  }
  return freezeRecord(o, attrs) as Rec;
}
