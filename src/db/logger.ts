// The logger a database reports to (the `logger` option of open): console and pino both fit.
export interface Logger {
  error(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  debug?(obj: object | string, msg?: string): void;
}
