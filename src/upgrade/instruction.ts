// What an upgrade is made of, after edeliver's RunnableInstruction: named instructions with
// arguments, dependencies and a place to be inserted, gathered in a plan from one schema version
// to another, with `up` and `down` lists and a point of no return.
import type { Mneme } from "../db/database.js";

/** A schema version: a non-negative integer (0 for a database never upgraded). */
export type SchemaVersion = number;

export type UpgradeDirection = "up" | "down";

/** Where an instruction goes in its list before dependencies are applied (default "append"). */
export type InsertWhere =
  | "append"
  | "start"
  | { readonly before: string }
  | { readonly after: string };

/** What `arguments` receives: the plan as it will run. */
export interface PlanInfo {
  readonly direction: UpgradeDirection;
  /** The version the database has before this run. */
  readonly from: SchemaVersion;
  /** The version it has after it. */
  readonly to: SchemaVersion;
  /** The instructions' names in the order they run. */
  readonly order: readonly string[];
}

/** What `run` receives besides its arguments. */
export interface UpgradeContext extends PlanInfo {
  readonly db: Mneme;
  /** Writes an info line to the database's logger (the `logger` option), tagged with the instruction. */
  log(message: string, details?: object): void;
}

/**
 * One step of an upgrade (edeliver's RunnableInstruction). `run` may be async; a thrown error
 * fails the upgrade (see UpgradePlan for what then happens).
 */
export interface Instruction<A extends readonly unknown[] = readonly unknown[]> {
  /** Unique in its list: dependencies, insertion rules and the point of no return refer to it. */
  readonly name: string;
  run(args: A, ctx: UpgradeContext): void | Promise<void>;
  /** The arguments of `run`, computed before anything runs (default: []). */
  arguments?(plan: PlanInfo): A;
  /** Instructions that run before this one on an upgrade (`up`), after it on a downgrade (`down`). */
  readonly dependencies?: readonly string[];
  /** Where it is inserted in its list (default: at the end). */
  readonly insertWhere?: InsertWhere;
  /**
   * True when `run` only reads (a check): a dry run runs it, and no fallback is needed for it.
   * The default point of no return is before the first instruction that is not read-only.
   */
  readonly readOnly?: boolean;
}

/** db.upgrade's plan: from one version to another, with the instructions of both directions. */
export interface UpgradePlan {
  readonly from: SchemaVersion;
  readonly to: SchemaVersion;
  readonly up: readonly Instruction[];
  readonly down?: readonly Instruction[];
  /** The point of no return of `up`: after this instruction (default: before the first change). */
  readonly pointOfNoReturn?: string;
  /** The point of no return of `down` (same rule). */
  readonly downPointOfNoReturn?: string;
}

export interface UpgradeOptions {
  /** "up" (the default) runs `up` from `from` to `to`; "down" runs `down` from `to` to `from`. */
  readonly direction?: UpgradeDirection;
  /** Only order the plan and run its read-only instructions (checks); nothing changes. */
  readonly dryRun?: boolean;
}

/** One instruction of an ordered plan. */
export interface PlannedInstruction {
  readonly name: string;
  readonly args: readonly unknown[];
  readonly readOnly: boolean;
}

/** What db.upgrade returns: the plan as ordered, and what happened. */
export interface UpgradeResult {
  readonly direction: UpgradeDirection;
  readonly from: SchemaVersion;
  readonly to: SchemaVersion;
  readonly instructions: readonly PlannedInstruction[];
  /** The instructions before the point of no return (the rest run after it). */
  readonly beforePointOfNoReturn: number;
  readonly dryRun: boolean;
  /** "success"; "checked" for a dry run whose checks passed. */
  readonly outcome: "success" | "checked";
}

/** How an upgrade ended, in the history and in the `mneme_upgrade` system event. */
export type UpgradeOutcome = "running" | "success" | "aborted" | "rolled_back";

/** One upgrade run, as db.upgrades() lists it. */
export interface UpgradeRecord {
  /** 1, 2, ... in the order the upgrades started. */
  readonly id: number;
  readonly direction: UpgradeDirection;
  readonly from: SchemaVersion;
  readonly to: SchemaVersion;
  readonly instructions: readonly string[];
  /** ms since the epoch. */
  readonly startedAt: number;
  /** null while running, and for a run whose fallback was applied at an open (a crash). */
  readonly endedAt: number | null;
  readonly outcome: UpgradeOutcome;
  readonly failedInstruction: string | null;
  readonly error: string | null;
}
