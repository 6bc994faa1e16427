// Where the database's own code sends log lines: the user's logger (the `logger` option), or
// nowhere. Each line is a structured object with an `event` name, then a message, as pino
// takes them (console prints both). A logger that throws is ignored: logging never fails a commit.
import type { Logger } from "../db/logger.js";

export type LogLevel = "error" | "warn" | "info" | "debug";

/** A log line's fields: `event` names what happened; errors go in `err` (pino's convention). */
export interface LogFields {
  readonly event: string;
  readonly [field: string]: unknown;
}

export class LogSink {
  constructor(private readonly logger: Logger | undefined) {}

  /** Whether anything receives the lines (callers skip building costly fields otherwise). */
  get enabled(): boolean {
    return this.logger !== undefined;
  }

  error(fields: LogFields, msg: string): void {
    this.write("error", fields, msg);
  }

  warn(fields: LogFields, msg: string): void {
    this.write("warn", fields, msg);
  }

  info(fields: LogFields, msg: string): void {
    this.write("info", fields, msg);
  }

  /** Debug lines go nowhere when the logger has no debug method. */
  debug(fields: LogFields, msg: string): void {
    this.write("debug", fields, msg);
  }

  private write(level: LogLevel, fields: LogFields, msg: string): void {
    const logger = this.logger;
    if (logger === undefined) return;
    try {
      // Called as a method: pino's methods use `this`.
      if (level === "debug") logger.debug?.(fields, msg);
      else logger[level](fields, msg);
    } catch {
      // The logger's failure is not the database's: the operation that logged goes on.
    }
  }
}

/** The sink of a database without a logger. */
export const NO_LOG = new LogSink(undefined);
