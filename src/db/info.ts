// table_info/2 and system_info/1, with Mnesia's item names.
import { BadArgError, NoExistsError } from "../errors.js";
import type { LiveTable } from "../schema/live-table.js";
import type { TableSpec } from "../schema/table-spec.js";
import type {
  AccessMode,
  SnmpStruct,
  StorageProperties,
  StorageType,
  TableType,
  UserProperty,
} from "../types.js";
import { storedVersion } from "../upgrade/history.js";
import type { DbConfig } from "./config.js";
import type { DbCore } from "./core.js";

export interface TableInfo {
  access_mode: AccessMode;
  active_replicas: readonly string[];
  all_nodes: readonly string[];
  arity: number;
  attributes: readonly string[];
  checkpoints: readonly string[];
  cookie: string;
  disc_copies: readonly string[];
  disc_only_copies: readonly string[];
  /** Mnesia tuple positions of the indexed attributes (key = 2). */
  index: readonly number[];
  load_node: string;
  load_order: number;
  load_reason: string;
  local_content: boolean;
  majority: boolean;
  master_nodes: readonly string[];
  /** Approximate words in memory (Mnesia's unit), for RAM tables. */
  memory: number;
  ram_copies: readonly string[];
  record_name: string;
  size: number;
  snmp: SnmpStruct | readonly [];
  storage_properties: StorageProperties;
  storage_type: StorageType | "unknown";
  subscribers: number;
  type: TableType;
  user_properties: readonly UserProperty[];
  version: readonly [number, number];
  where_to_read: string;
  where_to_write: readonly string[];
  /** A match pattern with every attribute '_'. */
  wild_pattern: { readonly [attribute: string]: "_" };
}
export type TableInfoItem = keyof TableInfo | "all";
export type TableInfoResult<I extends TableInfoItem> = I extends keyof TableInfo
  ? TableInfo[I]
  : TableInfo;

const SCHEMA_ATTRIBUTES = ["table", "cstruct"] as const;

/** The schema table: disc_copies when the schema is on disc, as in Mnesia. */
function schemaSpec(core: DbCore): TableSpec {
  const disc = core.discSchema;
  return {
    name: "schema",
    attributes: SCHEMA_ATTRIBUTES,
    type: "set",
    storage: disc ? "disc_copies" : "ram_copies",
    ramCopies: disc ? [] : [core.node],
    discCopies: disc ? [core.node] : [],
    discOnlyCopies: [],
    index: [],
    recordName: "schema",
    accessMode: "read_write",
    loadOrder: 0,
    majority: false,
    localContent: false,
    userProperties: [],
    storageProperties: {},
    snmp: null,
    cookie: "schema",
    version: [1, 0],
  };
}

export function tableInfoAll(core: DbCore, t: LiveTable | undefined, name: string): TableInfo {
  const spec = t?.spec ?? schemaSpec(core);
  const node = core.node;
  return {
    access_mode: spec.accessMode,
    active_replicas: [node],
    all_nodes: [node],
    arity: spec.attributes.length + 1,
    attributes: spec.attributes,
    checkpoints: core.checkpointNames(name),
    cookie: spec.cookie,
    disc_copies: spec.discCopies,
    disc_only_copies: spec.discOnlyCopies,
    index: spec.index.map((a) => spec.attributes.indexOf(a) + 2),
    load_node: node,
    load_order: spec.loadOrder,
    load_reason: t === undefined ? "initial" : "create_table",
    local_content: spec.localContent,
    majority: spec.majority,
    master_nodes: [],
    memory: t?.memoryWords() ?? 300 + core.tables.size * 40,
    ram_copies: spec.ramCopies,
    record_name: spec.recordName,
    size: t?.store.size() ?? core.tables.size + 1,
    snmp: spec.snmp ?? [],
    storage_properties: spec.storageProperties,
    storage_type: spec.storage,
    subscribers: core.events.tableSubscribers(name).length,
    type: spec.type,
    user_properties: spec.userProperties,
    version: spec.version,
    where_to_read: node,
    where_to_write: [node],
    wild_pattern: Object.fromEntries(spec.attributes.map((a) => [a, "_" as const])),
  };
}

export function tableInfo(core: DbCore, name: string, item: string): unknown {
  core.assertRunning();
  const t = core.tables.get(name);
  if (t === undefined && name !== "schema") {
    // Mnesia answers size and memory of an unknown table with 0.
    if (item === "size" || item === "memory") return 0;
    throw new NoExistsError(`table ${String(name)} does not exist (asked for ${String(item)})`, {
      table: name,
      value: item,
    });
  }
  const all = tableInfoAll(core, t, name);
  if (item === "all") return all;
  if (!Object.hasOwn(all, item)) {
    throw new NoExistsError(`${name} has no information item '${String(item)}'`, {
      table: name,
      value: item,
    });
  }
  return all[item as keyof TableInfo];
}

export interface SystemInfo {
  access_module: string;
  auto_repair: boolean;
  backup_module: string;
  checkpoints: readonly string[];
  core_dir: string | false;
  db_nodes: readonly string[];
  dc_dump_limit: number;
  debug: string;
  directory: string;
  dump_disc_copies_at_startup: boolean;
  dump_log_load_regulation: boolean;
  dump_log_time_threshold: number;
  dump_log_update_in_place: boolean;
  dump_log_write_threshold: number;
  /** Mneme: the default durability of transactions on disc tables. */
  durability: string;
  event_module: string;
  extra_db_nodes: readonly string[];
  fallback_activated: boolean;
  held_locks: readonly { space: string; item: unknown; mode: string; ts: number }[];
  is_running: "yes" | "no" | "starting" | "stopping";
  local_tables: readonly string[];
  lock_queue: readonly { space: string; item: string; mode: string; ts: number }[];
  log_version: string;
  /** Mneme: checkpoints written since start (dump_log runs that rewrote the snapshots). */
  log_dumps: number;
  /** Mneme: fsyncs of the write-ahead log since start (group commit shares one among commits). */
  log_fsyncs: number;
  /** Mneme: bytes written to the write-ahead log since start. */
  log_bytes: number;
  master_node_tables: readonly string[];
  max_transfer_size: number;
  max_wait_for_decision: number;
  no_table_loaders: number;
  protocol_version: string;
  running_db_nodes: readonly string[];
  schema_location: string;
  /** Mneme: the schema version that upgrades (db.upgrade) set; 0 until one succeeds. */
  schema_version: number;
  send_compressed: number;
  subscribers: number;
  tables: readonly string[];
  transaction_commits: number;
  transaction_failures: number;
  transaction_log_writes: number;
  transaction_restarts: number;
  transactions: readonly { id: number; ts: number }[];
  use_dir: boolean;
  version: string;
}
export type SystemInfoItem = keyof SystemInfo | "all";
export type SystemInfoResult<I extends SystemInfoItem> = I extends keyof SystemInfo
  ? SystemInfo[I]
  : SystemInfo;

export const MNEME_VERSION = "0.1.0";

export function systemInfoAll(core: DbCore, config: DbConfig): SystemInfo {
  const tables = ["schema", ...core.tables.keys()];
  const disc = core.discStats?.();
  return {
    access_module: config.accessModule === undefined ? "mnesia" : "custom",
    auto_repair: config.autoRepair,
    backup_module: "mnesia_backup",
    checkpoints: core.checkpointNames(),
    core_dir: config.coreDir,
    db_nodes: [core.node],
    dc_dump_limit: config.dcDumpLimit,
    debug: config.debug,
    directory: config.dir,
    dump_disc_copies_at_startup: config.dumpDiscCopiesAtStartup,
    dump_log_load_regulation: config.dumpLogLoadRegulation,
    dump_log_time_threshold: config.dumpLogTimeThreshold,
    dump_log_update_in_place: config.dumpLogUpdateInPlace,
    dump_log_write_threshold: config.dumpLogWriteThreshold,
    durability: config.durability,
    event_module: "mnesia_event",
    extra_db_nodes: config.extraDbNodes,
    fallback_activated: core.fallbackActivated(),
    held_locks: core.locks.heldLocks(),
    is_running: core.running ? "yes" : "no",
    local_tables: tables,
    lock_queue: core.locks.lockQueue(),
    log_version: core.discSchema ? "mneme-wal-1" : "mneme-memory-1",
    log_dumps: disc?.dumps ?? 0,
    log_fsyncs: disc?.fsyncs ?? 0,
    log_bytes: disc?.bytes ?? 0,
    master_node_tables: [],
    max_transfer_size: config.maxTransferSize,
    max_wait_for_decision: config.maxWaitForDecision,
    no_table_loaders: config.noTableLoaders,
    protocol_version: "mneme-1",
    running_db_nodes: core.running ? [core.node] : [],
    schema_location: config.schemaLocation,
    schema_version: storedVersion(core),
    send_compressed: config.sendCompressed,
    subscribers: core.events.system.size,
    tables,
    transaction_commits: core.stats.commits,
    transaction_failures: core.stats.failures,
    transaction_log_writes: core.stats.logWrites,
    transaction_restarts: core.stats.restarts,
    transactions: [...core.activeTransactions].map((t) => ({ id: t.activityId.id, ts: t.ts })),
    use_dir: core.discSchema,
    version: MNEME_VERSION,
  };
}

export function systemInfo(core: DbCore, config: DbConfig, item: string): unknown {
  const all = systemInfoAll(core, config);
  if (item === "all") return all;
  if (!Object.hasOwn(all, item))
    throw new BadArgError(`unknown system_info item '${String(item)}'`, { value: item });
  return all[item as keyof SystemInfo];
}

/** mnesia:info/0 and schema/0,1 as text. */
export function describeTables(core: DbCore, names: readonly string[]): string {
  const lines: string[] = [];
  for (const name of names) {
    const i = tableInfoAll(core, core.tables.get(name), name);
    lines.push(`-- Properties for ${name} table ---`);
    for (const [k, v] of Object.entries(i)) lines.push(`${k.padEnd(24)} -> ${JSON.stringify(v)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Bytes a word of Mnesia's memory unit takes (a 64-bit machine). */
const WORD_BYTES = 8;

/** One line of info's active tables: records and size in bytes, in memory or (LMDB) on disc. */
function activeTableLine(core: DbCore, name: string): string {
  const t = core.tables.get(name);
  const i = tableInfoAll(core, t, name);
  const onDisc = t?.store.discBytes?.();
  const size =
    onDisc === undefined ? `${i.memory * WORD_BYTES} bytes of memory` : `${onDisc} bytes on disc`;
  return `${name.padEnd(24)}: with ${i.size} records occupying ${size}`;
}

/** mnesia:info/0's text: Mnesia's layout, with sizes in bytes. */
export function describeSystem(core: DbCore, config: DbConfig): string {
  const s = systemInfoAll(core, config);
  const byStorage = (storage: string) =>
    JSON.stringify(
      s.tables.filter((n) => tableInfoAll(core, core.tables.get(n), n).storage_type === storage),
    );
  const lines = [
    "---> Processes holding locks <---",
    ...s.held_locks.map((l) => `Lock: ${l.space} ${String(l.item)} ${l.mode} (tx ${l.ts})`),
    "---> Processes waiting for locks <---",
    ...s.lock_queue.map((l) => `Waiting: ${l.space} ${l.item} ${l.mode} (tx ${l.ts})`),
    "---> Participant transactions <---",
    "---> Coordinator transactions <---",
    ...s.transactions.map((t) => `Tid: ${t.id}`),
    "---> Uncertain transactions <---",
    "---> Active tables <---",
    ...[...core.tables.keys(), "schema"].map((name) => activeTableLine(core, name)),
    `===> System info in version ${s.version}, debug level = ${s.debug} <===`,
    `${s.schema_location}. Directory "${s.directory}" is ${s.use_dir ? "used" : "NOT used"}.`,
    `use fallback at restart = ${s.fallback_activated}`,
    `running db nodes   = ${JSON.stringify(s.running_db_nodes)}`,
    `stopped db nodes   = []`,
    `master node tables = []`,
    `ram_copies         = ${byStorage("ram_copies")}`,
    `disc_copies        = ${byStorage("disc_copies")}`,
    `disc_only_copies   = ${byStorage("disc_only_copies")}`,
    `${s.transaction_commits} transactions committed, ${s.transaction_failures} aborted, ${s.transaction_restarts} restarted, ${s.transaction_log_writes} logged to disc`,
    `${s.held_locks.length} held locks, ${s.lock_queue.length} in queue; ${s.transactions.length} local transactions, 0 remote`,
  ];
  if (s.use_dir) {
    const d = core.discStats?.();
    lines.push(
      `write-ahead log    = ${d?.walBytes ?? 0} bytes in ${d?.walSegments ?? 0} segment files; ${s.log_dumps} dumps since start`,
    );
  }
  return `${lines.join("\n")}\n`;
}
