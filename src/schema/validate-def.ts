// Validation of createTable options into a TableSpec, with Mnesia's abort reasons.
import {
  AlreadyExistsError,
  BadArgError,
  BadTypeError,
  CombineError,
  MnemeError,
} from "../errors.js";
import { isKey, isValue } from "../keys/index.js";
import type { StorageType, TableDef, TableType, UserProperty } from "../types.js";
import type { TableSpec } from "./table-spec.js";

/** The createTable options that describe a table wherever it is stored (all but the copy lists). */
export const TABLE_PROPERTIES = [
  "index",
  "recordName",
  "accessMode",
  "loadOrder",
  "majority",
  "localContent",
  "userProperties",
  "storageProperties",
  "snmp",
] as const;

const OPTIONS = new Set([
  "attributes",
  "type",
  "ramCopies",
  "discCopies",
  "discOnlyCopies",
  ...TABLE_PROPERTIES,
]);
const TYPES: readonly TableType[] = ["set", "ordered_set", "bag"];
const SNMP_TYPES = new Set(["integer", "string", "fix_string"]);
const STORAGE_BACKENDS = new Set(["ets", "dets", "lmdb"]);

export function validateTableName(name: unknown): string {
  // Mnesia: a name that is not an atom is {bad_type, Name}; 'schema' always exists.
  if (typeof name !== "string" || name.length === 0) {
    throw new BadTypeError(`table name must be a non-empty string, got ${typeof name}`, {
      value: name,
    });
  }
  if (name === "schema") {
    throw new AlreadyExistsError("table schema already exists (it is the schema table)", {
      table: name,
    });
  }
  return name;
}

export function validateTableDef(
  name: string,
  def: TableDef<object>,
  node: string,
  cookie: string,
): TableSpec {
  if (def === null || typeof def !== "object") {
    throw new BadArgError(`table definition of ${name} must be an object`, { table: name });
  }
  for (const option of Object.keys(def)) {
    if (!OPTIONS.has(option)) {
      throw new BadArgError(`unknown option '${option}' in the definition of ${name}`, {
        table: name,
        value: option,
      });
    }
  }
  const attributes = validateAttributes(name, def.attributes);
  const type = def.type ?? "set";
  if (!TYPES.includes(type)) {
    throw new BadTypeError(`type of ${name} must be set, ordered_set or bag, got ${String(type)}`, {
      table: name,
      value: type,
    });
  }
  const copies = validateCopies(name, def, node);
  const index = validateIndex(name, attributes, def.index ?? []);
  const recordName = def.recordName ?? name;
  if (typeof recordName !== "string" || recordName.length === 0) {
    throw new BadTypeError(`recordName of ${name} must be a non-empty string`, {
      table: name,
      value: recordName,
    });
  }
  const accessMode = def.accessMode ?? "read_write";
  if (accessMode !== "read_write" && accessMode !== "read_only") {
    throw new BadTypeError(
      `accessMode of ${name} must be read_write or read_only, got ${String(accessMode)}`,
      {
        table: name,
        value: accessMode,
      },
    );
  }
  const loadOrder = def.loadOrder ?? 0;
  validateLoadOrder(name, loadOrder);
  const majority = validateBoolean(name, "majority", def.majority ?? false);
  const localContent = validateBoolean(name, "localContent", def.localContent ?? false);
  const userProperties = validateUserProperties(name, def.userProperties ?? []);
  const storageProperties = def.storageProperties ?? {};
  validateStorageProperties(name, storageProperties);
  const snmp = def.snmp ?? null;
  if (snmp !== null) validateSnmp(name, type, snmp);
  return {
    name,
    attributes,
    type,
    ...copies,
    index,
    recordName,
    accessMode,
    loadOrder,
    majority,
    localContent,
    userProperties,
    storageProperties,
    snmp,
    cookie,
    version: [1, 0],
  };
}

const STORAGE_TYPES: readonly StorageType[] = ["ram_copies", "disc_copies", "disc_only_copies"];
const COPY_OPTION = {
  ram_copies: "ramCopies",
  disc_copies: "discCopies",
  disc_only_copies: "discOnlyCopies",
} as const;

/**
 * A table definition read from outside (a backup's schema item), checked exactly as createTable
 * checks its options: the name, every property, and `storage`, which becomes a copy on `node`.
 * Throws what createTable would throw; returns a spec built only of checked properties.
 */
export function validateStoredSpec(
  name: unknown,
  raw: unknown,
  node: string,
  cookie: string,
): TableSpec {
  const n = validateTableName(name);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new BadArgError(`the definition of ${n} must be an object`, { table: n, value: raw });
  }
  const spec = raw as { readonly [p: string]: unknown };
  if (Object.hasOwn(spec, "name") && spec.name !== n) {
    throw new BadArgError(`the definition of ${n} names another table (${String(spec.name)})`, {
      table: n,
      value: spec.name,
    });
  }
  if (spec.attributes === undefined) {
    throw new BadTypeError(`the definition of ${n} has no attributes`, { table: n });
  }
  const storage = spec.storage as StorageType;
  if (!STORAGE_TYPES.includes(storage)) {
    throw new BadTypeError(
      `storage of ${n} must be ram_copies, disc_copies or disc_only_copies, got ${String(storage)}`,
      { table: n, value: storage },
    );
  }
  const def: { [option: string]: unknown } = { [COPY_OPTION[storage]]: [node] };
  for (const p of ["attributes", "type", ...TABLE_PROPERTIES]) {
    if (Object.hasOwn(spec, p)) def[p] = spec[p];
  }
  return validateTableDef(n, def as unknown as TableDef<object>, node, cookie);
}

function validateAttributes(name: string, attributes: unknown): readonly string[] {
  if (attributes === undefined) {
    // Mnesia's default is [key, val].
    return ["key", "val"];
  }
  if (!Array.isArray(attributes) || attributes.length < 2) {
    throw new BadTypeError(
      `attributes of ${name} must list at least two names (the key and one more)`,
      {
        table: name,
        value: attributes,
      },
    );
  }
  const seen = new Set<string>();
  for (const a of attributes) {
    if (typeof a !== "string" || a.length === 0) {
      throw new BadTypeError(
        `attribute names of ${name} must be non-empty strings, got ${String(a)}`,
        {
          table: name,
          value: a,
        },
      );
    }
    if (seen.has(a)) {
      throw new CombineError(`attribute '${a}' of ${name} is listed twice`, {
        table: name,
        value: a,
      });
    }
    seen.add(a);
  }
  return Object.freeze([...attributes]);
}

function validateCopies(
  name: string,
  def: TableDef<object>,
  node: string,
): Pick<TableSpec, "storage" | "ramCopies" | "discCopies" | "discOnlyCopies"> {
  const lists: Record<StorageType, readonly string[] | undefined> = {
    ram_copies: def.ramCopies,
    disc_copies: def.discCopies,
    disc_only_copies: def.discOnlyCopies,
  };
  const nodesOf = (s: StorageType): readonly string[] => {
    const l = lists[s] ?? [];
    if (!Array.isArray(l) || l.some((n) => typeof n !== "string")) {
      throw new BadTypeError(`${s} of ${name} must be a list of node names`, {
        table: name,
        value: l,
      });
    }
    return Object.freeze([...l]);
  };
  const listedRam = nodesOf("ram_copies");
  const disc = nodesOf("disc_copies");
  const discOnly = nodesOf("disc_only_copies");
  // As in Mnesia, no copy anywhere (options left out, or empty lists) means a RAM copy here.
  const none = listedRam.length + disc.length + discOnly.length === 0;
  const ram = none ? Object.freeze([node]) : listedRam;
  const all = [...ram, ...disc, ...discOnly];
  if (new Set(all).size !== all.length) {
    // Mnesia: {combine_error, Tab, Nodes}, for a node in two lists or twice in one.
    throw new CombineError(`${name}: a node may hold only one copy of the table`, {
      table: name,
      value: all,
    });
  }
  for (const n of all) {
    if (n !== node) {
      throw new MnemeError(
        "not_a_db_node",
        `${name}: node ${n} is not a node of this database (${node})`,
        {
          table: name,
          value: n,
        },
      );
    }
  }
  const storage: StorageType = ram.includes(node)
    ? "ram_copies"
    : disc.includes(node)
      ? "disc_copies"
      : discOnly.includes(node)
        ? "disc_only_copies"
        : "ram_copies";
  return { storage, ramCopies: ram, discCopies: disc, discOnlyCopies: discOnly };
}

/** Resolves an index item (name or Mnesia tuple position) to an attribute name. */
export function resolveIndexAttribute(
  name: string,
  attributes: readonly string[],
  item: unknown,
): string {
  let attr: string | undefined;
  if (typeof item === "number" && Number.isInteger(item)) attr = attributes[item - 2];
  else if (typeof item === "string") attr = attributes.includes(item) ? item : undefined;
  if (attr === undefined) {
    throw new BadTypeError(`${name}: ${String(item)} is not an attribute of the table`, {
      table: name,
      value: item,
    });
  }
  if (attr === attributes[0]) {
    throw new BadTypeError(`${name}: the key attribute '${attr}' cannot have a secondary index`, {
      table: name,
      value: item,
    });
  }
  return attr;
}

function validateIndex(
  name: string,
  attributes: readonly string[],
  index: unknown,
): readonly string[] {
  if (!Array.isArray(index)) {
    throw new BadTypeError(`index of ${name} must be a list of attributes`, {
      table: name,
      value: index,
    });
  }
  const out: string[] = [];
  for (const item of index) {
    const attr = resolveIndexAttribute(name, attributes, item);
    if (!out.includes(attr)) out.push(attr);
  }
  return Object.freeze(out);
}

export function validateLoadOrder(name: string, loadOrder: unknown): asserts loadOrder is number {
  if (typeof loadOrder !== "number" || !Number.isInteger(loadOrder)) {
    throw new BadTypeError(`loadOrder of ${name} must be an integer, got ${String(loadOrder)}`, {
      table: name,
      value: loadOrder,
    });
  }
}

export function validateBoolean(name: string, option: string, v: unknown): boolean {
  if (typeof v !== "boolean") {
    throw new BadTypeError(`${option} of ${name} must be a boolean, got ${String(v)}`, {
      table: name,
      value: v,
    });
  }
  return v;
}

function validateUserProperties(name: string, props: unknown): readonly UserProperty[] {
  if (!Array.isArray(props)) {
    throw new BadTypeError(`userProperties of ${name} must be a list of tuples`, {
      table: name,
      value: props,
    });
  }
  for (const p of props) {
    if (!Array.isArray(p) || p.length === 0 || !isKey(p[0]) || !isValue(p)) {
      throw new BadTypeError(
        `userProperties of ${name}: each property must be a tuple [key, ...values]`,
        {
          table: name,
          value: p,
        },
      );
    }
  }
  return Object.freeze(props.map((p: UserProperty) => Object.freeze([...p]) as UserProperty));
}

function validateStorageProperties(name: string, props: unknown): void {
  if (props === null || typeof props !== "object" || Array.isArray(props)) {
    throw new BadTypeError(`storageProperties of ${name} must be an object {ets, dets, lmdb}`, {
      table: name,
      value: props,
    });
  }
  for (const [backend, value] of Object.entries(props)) {
    if (!STORAGE_BACKENDS.has(backend) || !isValue(value)) {
      throw new BadTypeError(
        `storageProperties of ${name}: unknown back end '${backend}' or bad properties`,
        {
          table: name,
          value: backend,
        },
      );
    }
  }
}

export function validateSnmp(name: string, type: TableType, snmp: unknown): void {
  const keyType = (snmp as { key?: unknown } | null)?.key;
  const ok =
    typeof keyType === "string"
      ? SNMP_TYPES.has(keyType)
      : Array.isArray(keyType) && keyType.length > 0 && keyType.every((t) => SNMP_TYPES.has(t));
  if (snmp === null || typeof snmp !== "object" || !ok) {
    throw new BadArgError(
      `snmp of ${name} must be {key: integer | string | fix_string | [types]}`,
      {
        table: name,
        value: snmp,
      },
    );
  }
  // Mnesia accepts SNMP ordering on a bag too (one row per key); so do we.
  void type;
}
