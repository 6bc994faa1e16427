// Start-up and shutdown helpers of the Mneme class: creating the disc schema (createSchema and
// open's `create`), the warning for a database that runs in RAM by accident, and the signal
// handlers of closeOnSignals.
import { chmodSync } from "node:fs";
import os from "node:os";
import { writeEmptyCheckpoint } from "../disc/checkpoint.js";
import { acquireDirLock } from "../disc/dir-lock.js";
import { existsStrict, hasCode } from "../disc/fsutil.js";
import { DirLayout } from "../disc/layout.js";
import { AlreadyExistsError, BadArgError, BadTypeError, fileError } from "../errors.js";
import { type FileModes, makeDirSync } from "../file-modes.js";
import { type DbConfig, timerMs } from "./config.js";
import type { Logger } from "./logger.js";

/**
 * Makes `dir` hold an empty disc schema (mnesia:create_schema/1). The directory is created if
 * missing (its parent must exist, as in Mnesia) with the directory mode, which an existing
 * directory is also given where this process may change it. With `ifAbsent`, a schema already
 * there is fine; otherwise it is already_exists. Returns whether a schema was written.
 */
export function createSchemaDir(dir: string, modes: FileModes, ifAbsent: boolean): boolean {
  try {
    const created = makeDirSync(dir, modes.dir);
    const layout = new DirLayout(dir, modes);
    if (ifAbsent && existsStrict(layout.schema)) return false;
    const lock = acquireDirLock(dir, modes.file);
    try {
      if (existsStrict(layout.schema)) {
        if (ifAbsent) return false;
        throw new AlreadyExistsError(`${dir} already holds a schema`, { value: dir });
      }
      writeEmptyCheckpoint(layout);
      if (!created) privateDir(dir, modes.dir);
      return true;
    } finally {
      lock.release();
    }
  } catch (e) {
    throw fileError(e, dir, "creating the schema");
  }
}

/** Gives the data directory its mode, unless it is not this process's to change. */
function privateDir(dir: string, mode: number): void {
  try {
    chmodSync(dir, mode);
  } catch (err) {
    // A directory owned by someone else (a volume mounted for us): its owner decides its mode.
    if (!hasCode(err, "EPERM")) throw err;
  }
}

let warnedOnConsole = false;

/**
 * A database opened on a directory without a schema runs in RAM (Mnesia's opt_disc): everything
 * is lost at exit, which is what a mistyped path does. Said through the logger, or once per
 * process on the console when there is none.
 */
export function warnSchemaInRam(config: DbConfig): void {
  const msg =
    `${config.dir} holds no disc schema, so this database is in RAM and its data is lost when ` +
    "the process exits; pass create: true (or call Mneme.createSchema) to keep it on disc, or " +
    'schemaLocation: "ram" to say that RAM is what you want';
  if (config.logger !== undefined) {
    config.logger.warn({ dir: config.dir, schemaLocation: "opt_disc" }, msg);
  } else if (!warnedOnConsole) {
    warnedOnConsole = true;
    console.warn(`mneme: ${msg}`);
  }
}

export interface CloseOptions {
  /**
   * Let running transactions finish first: new ones fail with node_not_running at once, running
   * ones (restarts included) go on until they commit or abort, and until their commit is as
   * durable as they asked. Default false: running transactions fail with node_not_running.
   */
  readonly drain?: boolean;
  /** With drain: how long to wait (ms, or Infinity, the default); then the rest are aborted. */
  readonly timeoutMs?: number;
}

export interface CloseOnSignalsOptions {
  /** Default ["SIGTERM", "SIGINT"]. */
  readonly signals?: readonly NodeJS.Signals[];
  /** How long the drain may take before the rest is aborted: default 10,000 ms. */
  readonly timeoutMs?: number;
  /**
   * Exit the process once closed (default true), with 128 + the signal's number, as a shell
   * reports a process ended by that signal (SIGINT 130, SIGTERM 143); 1 if closing failed.
   */
  readonly exit?: boolean;
}

/** The checked options of close: drain, and its timeout (Infinity: none). */
export function checkCloseOptions(o: CloseOptions): { drain: boolean; timeoutMs: number } {
  if (o === null || typeof o !== "object") {
    throw new BadArgError(`the options of close must be an object, got ${String(o)}`, { value: o });
  }
  for (const option of Object.keys(o)) {
    if (option !== "drain" && option !== "timeoutMs") {
      throw new BadArgError(`unknown option '${option}' of close`, { value: option });
    }
  }
  if (o.drain !== undefined && typeof o.drain !== "boolean") {
    throw new BadTypeError(`option drain must be a boolean, got ${String(o.drain)}`, {
      value: o.drain,
    });
  }
  return { drain: o.drain === true, timeoutMs: drainTimeout(o.timeoutMs, Infinity) };
}

function drainTimeout(v: unknown, d: number): number {
  if (v === 0) return 0;
  return timerMs("timeoutMs", v, d);
}

/**
 * Installs handlers that close `db` with a drain on each of the signals, then (by default) exit.
 * A second signal while draining closes at once. Returns a function removing the handlers.
 */
export function installCloseOnSignals(
  close: (options: CloseOptions) => Promise<void>,
  logger: Logger | undefined,
  options: CloseOnSignalsOptions,
): () => void {
  if (options === null || typeof options !== "object") {
    throw new BadArgError(
      `the options of closeOnSignals must be an object, got ${String(options)}`,
      {
        value: options,
      },
    );
  }
  const signals = options.signals ?? ["SIGTERM", "SIGINT"];
  const numbers: Readonly<Record<string, number | undefined>> = os.constants.signals;
  if (!Array.isArray(signals) || signals.some((s) => numbers[s as string] === undefined)) {
    throw new BadTypeError(
      `option signals must be a list of signal names, got ${String(signals)}`,
      {
        value: signals,
      },
    );
  }
  const timeoutMs = drainTimeout(options.timeoutMs, 10_000);
  const exit = options.exit ?? true;
  let closing = false;
  const remove = () => {
    for (const s of signals) process.off(s, onSignal);
  };
  function onSignal(signal: NodeJS.Signals): void {
    if (closing) {
      // A second signal: no more waiting for the running transactions.
      void close({}).catch(() => undefined);
      return;
    }
    closing = true;
    logger?.info({ signal, timeoutMs }, `${signal}: closing the database`);
    close({ drain: true, timeoutMs }).then(
      () => {
        remove();
        if (exit) process.exit(128 + (numbers[signal] ?? 0));
      },
      (e: unknown) => {
        remove();
        if (logger !== undefined) logger.error({ signal, err: e }, `${signal}: closing failed`);
        else console.error(`mneme: ${signal}: closing the database failed:`, e);
        if (exit) process.exit(1);
      },
    );
  }
  for (const s of signals) process.on(s, onSignal);
  return remove;
}
