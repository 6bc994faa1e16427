// Where Mneme reports what an operator should know. pino's methods take (obj, msg) and console's
// (...args): both fit this shape, so either can be passed as the `logger` option of open.

export interface Logger {
  error(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  debug?(obj: object | string, msg?: string): void;
}
