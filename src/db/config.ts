// Configuration of a database: Mnesia's application parameters in camelCase, validated at open.
import path from "node:path";
import { BadTypeError } from "../errors.js";
import type { AccessModule } from "../txn/activity.js";

export type SchemaLocation = "disc" | "ram" | "opt_disc";
export type DebugLevel = "none" | "verbose" | "debug" | "trace";

export interface OpenOptions {
  /** This node's name (Mnesia's node()). Default "nonode@nohost", as an Erlang node without distribution. */
  readonly node?: string;
  /** The Mnesia directory (used by disc storage, planned). Default "Mnesia.<node>" in the working directory. */
  readonly dir?: string;
  /** The default access module of activity(). */
  readonly accessModule?: AccessModule;
  readonly autoRepair?: boolean;
  readonly debug?: DebugLevel | boolean;
  readonly coreDir?: string | false;
  readonly dcDumpLimit?: number;
  readonly dumpDiscCopiesAtStartup?: boolean;
  readonly dumpLogLoadRegulation?: boolean;
  readonly dumpLogUpdateInPlace?: boolean;
  readonly dumpLogWriteThreshold?: number;
  readonly dumpLogTimeThreshold?: number;
  readonly extraDbNodes?: readonly string[];
  readonly maxWaitForDecision?: number;
  readonly noTableLoaders?: number;
  readonly sendCompressed?: number;
  readonly maxTransferSize?: number;
  readonly schemaLocation?: SchemaLocation;
}

export interface DbConfig {
  readonly node: string;
  readonly dir: string;
  readonly accessModule: AccessModule | undefined;
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
): number {
  if (v === undefined) return d;
  if (v === Infinity && max === Infinity) return v;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max)
    bad(option, v, `an integer from ${min} to ${max}`);
  return v;
}

export function resolveConfig(o: OpenOptions = {}): DbConfig {
  const node = o.node ?? "nonode@nohost";
  if (typeof node !== "string" || node.length === 0) bad("node", node, "a non-empty string");
  const debug =
    o.debug === true ? "debug" : o.debug === false || o.debug === undefined ? "none" : o.debug;
  if (!["none", "verbose", "debug", "trace"].includes(debug))
    bad("debug", o.debug, "none, verbose, debug, trace or a boolean");
  const schemaLocation = o.schemaLocation ?? "opt_disc";
  if (!["disc", "ram", "opt_disc"].includes(schemaLocation))
    bad("schemaLocation", schemaLocation, "disc, ram or opt_disc");
  const dir = o.dir ?? path.resolve(`Mnesia.${node}`);
  if (typeof dir !== "string") bad("dir", dir, "a path");
  const extra = o.extraDbNodes ?? [];
  if (!Array.isArray(extra) || extra.some((n) => typeof n !== "string"))
    bad("extraDbNodes", extra, "a list of node names");
  return {
    node,
    dir,
    accessModule: o.accessModule,
    autoRepair: bool("autoRepair", o.autoRepair, true),
    debug,
    coreDir: o.coreDir ?? false,
    dcDumpLimit: int("dcDumpLimit", o.dcDumpLimit, 4, 1),
    dumpDiscCopiesAtStartup: bool("dumpDiscCopiesAtStartup", o.dumpDiscCopiesAtStartup, true),
    dumpLogLoadRegulation: bool("dumpLogLoadRegulation", o.dumpLogLoadRegulation, false),
    dumpLogUpdateInPlace: bool("dumpLogUpdateInPlace", o.dumpLogUpdateInPlace, true),
    dumpLogWriteThreshold: int("dumpLogWriteThreshold", o.dumpLogWriteThreshold, 1000, 1),
    dumpLogTimeThreshold: int("dumpLogTimeThreshold", o.dumpLogTimeThreshold, 180_000, 1),
    extraDbNodes: extra,
    maxWaitForDecision: int("maxWaitForDecision", o.maxWaitForDecision, Infinity, 0, Infinity),
    noTableLoaders: int("noTableLoaders", o.noTableLoaders, 2, 1),
    sendCompressed: int("sendCompressed", o.sendCompressed, 0, 0, 9),
    maxTransferSize: int("maxTransferSize", o.maxTransferSize, 64_000, 1),
    schemaLocation,
  };
}
