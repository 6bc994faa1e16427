// Configuration of a database: Mnesia's application parameters in camelCase, validated at open.

import path from "node:path";
import { BadArgError, BadTypeError } from "../errors.js";
import { checkMode, PRIVATE_MODES } from "../file-modes.js";
import type { Durability } from "../log/entry.js";
import type { ReplicateOptions } from "../replicate/replicator.js";
import type { AccessModule } from "../txn/activity.js";
import type { Logger } from "./logger.js";

export type SchemaLocation = "disc" | "ram" | "opt_disc";
export type DebugLevel = "none" | "verbose" | "debug" | "trace";

export interface OpenOptions {
  /** Starts continuous replication to an object store with the database (see db.replicate). */
  readonly replicate?: ReplicateOptions;
  /** This node's name (Mnesia's node()). Default "nonode@nohost", as an Erlang node without distribution. */
  readonly node?: string;
  /** The Mnesia directory (used by disc storage, planned). Default "Mnesia.<node>" in the working directory. */
  readonly dir?: string;
  /** The default access module of activity(). */
  readonly accessModule?: AccessModule;
  /**
   * When a transaction on disc tables is acknowledged: "fsync" (default) once its log record is
   * fsynced (group commit), "os" once written to the OS (Mnesia's behaviour), "none" at once.
   */
  readonly durability?: Durability;
  readonly autoRepair?: boolean;
  readonly debug?: DebugLevel | boolean;
  readonly coreDir?: string | false;
  readonly dcDumpLimit?: number;
  readonly dumpDiscCopiesAtStartup?: boolean;
  readonly dumpLogLoadRegulation?: boolean;
  readonly dumpLogUpdateInPlace?: boolean;
  readonly dumpLogWriteThreshold?: number;
  /** Ms between timed log dumps: at most 2^31 - 1 (a Node timer's limit), or Infinity for none. */
  readonly dumpLogTimeThreshold?: number;
  readonly extraDbNodes?: readonly string[];
  readonly maxWaitForDecision?: number;
  readonly noTableLoaders?: number;
  readonly sendCompressed?: number;
  readonly maxTransferSize?: number;
  readonly schemaLocation?: SchemaLocation;
  /**
   * Creates the disc schema in `dir` when it holds none (as createSchema; its parent must exist),
   * so that the database is always on disc. Default false: Mnesia's opt_disc, a directory without
   * a schema gives a database in RAM.
   */
  readonly create?: boolean;
  /**
   * Receives warnings, log repairs, dumps, slow lock waits and errors as `(fields, message)`:
   * console, pino, or anything with their error/warn/info (and optional debug) methods. Default:
   * none (the opt_disc warning alone then goes to console.warn).
   */
  readonly logger?: Logger;
  /** Mode of the files Mneme creates (schema, snapshots, log, LMDB, lock, backups). Default 0o600. */
  readonly fileMode?: number;
  /** Mode of the directories Mneme creates (the data directory, wal/, lmdb/). Default 0o700. */
  readonly dirMode?: number;
  /** A lock wait this long (ms) is logged as a warning, with its holders. Default 1000; Infinity: never. */
  readonly slowLockWaitMs?: number;
  /**
   * A disc database listens on a control socket (`<dir>/control.sock`, this user only) through
   * which the `mneme` CLI inspects and backs it up while it runs. Default true; false: none.
   */
  readonly control?: boolean;
}

export interface DbConfig {
  readonly node: string;
  readonly dir: string;
  readonly accessModule: AccessModule | undefined;
  readonly durability: Durability;
  readonly autoRepair: boolean;
  readonly debug: DebugLevel;
  readonly coreDir: string | false;
  readonly dcDumpLimit: number;
  readonly dumpDiscCopiesAtStartup: boolean;
  readonly dumpLogLoadRegulation: boolean;
  readonly dumpLogUpdateInPlace: boolean;
  readonly dumpLogWriteThreshold: number;
  readonly dumpLogTimeThreshold: number;
  readonly extraDbNodes: readonly string[];
  readonly maxWaitForDecision: number;
  readonly noTableLoaders: number;
  readonly sendCompressed: number;
  readonly maxTransferSize: number;
  readonly schemaLocation: SchemaLocation;
  readonly create: boolean;
  readonly logger: Logger | undefined;
  readonly fileMode: number;
  readonly dirMode: number;
  readonly slowLockWaitMs: number;
  readonly control: boolean;
}

const OPTIONS = new Set([
  "node",
  "dir",
  "accessModule",
  "durability",
  "autoRepair",
  "debug",
  "coreDir",
  "dcDumpLimit",
  "dumpDiscCopiesAtStartup",
  "dumpLogLoadRegulation",
  "dumpLogUpdateInPlace",
  "dumpLogWriteThreshold",
  "dumpLogTimeThreshold",
  "extraDbNodes",
  "maxWaitForDecision",
  "noTableLoaders",
  "sendCompressed",
  "maxTransferSize",
  "schemaLocation",
  "create",
  "logger",
  "fileMode",
  "dirMode",
  "slowLockWaitMs",
  "replicate",
  "control",
]);

/** The callbacks of an access module (Mnesia's mnesia_access behaviour). */
const ACCESS_CALLBACKS = [
  "lock",
  "write",
  "delete",
  "deleteObject",
  "read",
  "matchObject",
  "allKeys",
  "first",
  "last",
  "next",
  "prev",
  "indexMatchObject",
  "indexRead",
  "select",
  "foldl",
  "foldr",
  "tableInfo",
] as const;

/** An access module is an object whose callbacks, where present, are functions. */
export function validateAccessModule(option: string, m: unknown): AccessModule | undefined {
  if (m === undefined) return undefined;
  if (m === null || typeof m !== "object") bad(option, m, "an object of access callbacks");
  const o = m as Record<string, unknown>;
  for (const cb of ACCESS_CALLBACKS) {
    if (o[cb] !== undefined && typeof o[cb] !== "function") {
      bad(`${option}.${cb}`, o[cb], "a function");
    }
  }
  return m as AccessModule;
}

const DURABILITY: ReadonlySet<unknown> = new Set(["fsync", "os", "none"]);

/** A durability mode, or undefined when left out. */
export function validateDurability(option: string, v: unknown): Durability | undefined {
  if (v === undefined) return undefined;
  if (!DURABILITY.has(v)) bad(option, v, "fsync, os or none");
  return v as Durability;
}

const LOGGER_METHODS = ["error", "warn", "info"] as const;

/** A logger has error, warn and info methods, and debug if anything. */
function validateLogger(v: unknown): Logger | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v !== "object")
    bad("logger", v, "an object with error, warn and info methods");
  const o = v as Record<string, unknown>;
  for (const m of LOGGER_METHODS) {
    if (typeof o[m] !== "function") bad(`logger.${m}`, o[m], "a function");
  }
  if (o.debug !== undefined && typeof o.debug !== "function")
    bad("logger.debug", o.debug, "a function");
  return v as Logger;
}

function bad(option: string, value: unknown, want: string): never {
  throw new BadTypeError(`option ${option} must be ${want}, got ${String(value)}`, { value });
}

function bool(option: string, v: unknown, d: boolean): boolean {
  if (v === undefined) return d;
  return typeof v === "boolean" ? v : bad(option, v, "a boolean");
}

function int(
  option: string,
  v: unknown,
  d: number,
  min: number,
  max = Number.MAX_SAFE_INTEGER,
  infinity = max === Infinity,
): number {
  if (v === undefined) return d;
  if (v === Infinity && infinity) return v;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    bad(
      option,
      v,
      `an integer from ${min} to ${max}${max === MAX_TIMER_MS ? ", or Infinity for never" : ""}`,
    );
  return v;
}

/** The longest delay a Node timer takes (2^31 - 1 ms, about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A timer's period in ms: an integer up to MAX_TIMER_MS, or Infinity for "never". */
export function timerMs(option: string, v: unknown, d: number, min = 1): number {
  if (v === Infinity) return v;
  return int(option, v, d, min, MAX_TIMER_MS);
}

export function resolveConfig(o: OpenOptions = {}): DbConfig {
  if (o === null || typeof o !== "object" || Array.isArray(o)) {
    throw new BadArgError(`the options of open must be an object, got ${String(o)}`, { value: o });
  }
  for (const option of Object.keys(o)) {
    if (!OPTIONS.has(option)) {
      throw new BadArgError(`unknown option '${option}' of open`, { value: option });
    }
  }
  // Only a left-out (undefined) option takes its default; null is a bad value like any other.
  const node = o.node === undefined ? "nonode@nohost" : o.node;
  if (typeof node !== "string" || node.length === 0) bad("node", node, "a non-empty string");
  const debug =
    o.debug === true ? "debug" : o.debug === false || o.debug === undefined ? "none" : o.debug;
  if (!["none", "verbose", "debug", "trace"].includes(debug))
    bad("debug", o.debug, "none, verbose, debug, trace or a boolean");
  const schemaLocation = o.schemaLocation === undefined ? "opt_disc" : o.schemaLocation;
  if (!["disc", "ram", "opt_disc"].includes(schemaLocation))
    bad("schemaLocation", schemaLocation, "disc, ram or opt_disc");
  const dir = o.dir === undefined ? path.resolve(`Mnesia.${node}`) : o.dir;
  if (typeof dir !== "string" || dir.length === 0) bad("dir", dir, "a path");
  const extra = o.extraDbNodes === undefined ? [] : o.extraDbNodes;
  if (!Array.isArray(extra) || extra.some((n) => typeof n !== "string"))
    bad("extraDbNodes", extra, "a list of node names");
  const coreDir = o.coreDir === undefined ? false : o.coreDir;
  if (coreDir !== false && (typeof coreDir !== "string" || coreDir.length === 0))
    bad("coreDir", coreDir, "a path or false");
  return {
    node,
    dir,
    accessModule: validateAccessModule("accessModule", o.accessModule),
    durability: validateDurability("durability", o.durability) ?? "fsync",
    autoRepair: bool("autoRepair", o.autoRepair, true),
    debug,
    coreDir,
    dcDumpLimit: int("dcDumpLimit", o.dcDumpLimit, 4, 1),
    dumpDiscCopiesAtStartup: bool("dumpDiscCopiesAtStartup", o.dumpDiscCopiesAtStartup, true),
    dumpLogLoadRegulation: bool("dumpLogLoadRegulation", o.dumpLogLoadRegulation, false),
    dumpLogUpdateInPlace: bool("dumpLogUpdateInPlace", o.dumpLogUpdateInPlace, true),
    dumpLogWriteThreshold: int("dumpLogWriteThreshold", o.dumpLogWriteThreshold, 1000, 1),
    dumpLogTimeThreshold: timerMs("dumpLogTimeThreshold", o.dumpLogTimeThreshold, 180_000),
    extraDbNodes: extra,
    maxWaitForDecision: int("maxWaitForDecision", o.maxWaitForDecision, Infinity, 0, Infinity),
    noTableLoaders: int("noTableLoaders", o.noTableLoaders, 2, 1),
    sendCompressed: int("sendCompressed", o.sendCompressed, 0, 0, 9),
    maxTransferSize: int("maxTransferSize", o.maxTransferSize, 64_000, 1),
    schemaLocation,
    create: bool("create", o.create, false),
    logger: validateLogger(o.logger),
    fileMode: o.fileMode === undefined ? PRIVATE_MODES.file : checkMode("fileMode", o.fileMode),
    dirMode: o.dirMode === undefined ? PRIVATE_MODES.dir : checkMode("dirMode", o.dirMode),
    slowLockWaitMs: timerMs("slowLockWaitMs", o.slowLockWaitMs, 1000, 0),
    control: bool("control", o.control, true),
  };
}
