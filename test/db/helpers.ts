// Shared helpers of the database, schema and event tests.
import assert from "node:assert/strict";
import type { AbortReason, Logger, MnemeError } from "../../src/index.js";

type ErrorClass = abstract new (...args: never[]) => MnemeError;

export interface Expected {
  readonly table?: string | undefined;
  readonly key?: unknown;
  readonly value?: unknown;
  /** A pattern the message must match. */
  readonly message?: RegExp;
}

/** Asserts that `e` is exactly an instance of `cls` (not a subclass) with the given reason and details. */
export function assertError(
  e: unknown,
  cls: ErrorClass,
  reason: AbortReason,
  expected: Expected = {},
): void {
  assert.ok(e instanceof Error, `expected an error, got ${String(e)}`);
  assert.equal(
    Object.getPrototypeOf(e),
    cls.prototype,
    `expected ${cls.name}, got ${e.name}: ${e.message}`,
  );
  const m = e as MnemeError;
  assert.equal(m.name, cls.name);
  assert.equal(m.reason, reason);
  assert.ok(m.message.startsWith(`${reason}: `), m.message);
  if ("table" in expected) assert.equal(m.table, expected.table);
  if ("key" in expected) assert.deepEqual(m.key, expected.key);
  if ("value" in expected) assert.deepEqual(m.value, expected.value);
  if (expected.message !== undefined) assert.match(m.message, expected.message);
}

/** Asserts that `fn` throws synchronously as described. */
export function throwsMneme(
  fn: () => unknown,
  cls: ErrorClass,
  reason: AbortReason,
  expected: Expected = {},
): void {
  assert.throws(fn, (e: unknown) => {
    assertError(e, cls, reason, expected);
    return true;
  });
}

/** Asserts that `p` (a promise, or a function returning one) rejects as described. */
export async function rejectsMneme(
  p: Promise<unknown> | (() => Promise<unknown>),
  cls: ErrorClass,
  reason: AbortReason,
  expected: Expected = {},
): Promise<void> {
  await assert.rejects(p, (e: unknown) => {
    assertError(e, cls, reason, expected);
    return true;
  });
}

/** Lets queued event deliveries (a microtask after each commit) run. */
export function flush(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * A logger that keeps the messages of its warnings (and drops the rest), for a test that opens a
 * database where a warning is expected (a directory without a schema) instead of printing it.
 */
export function warningCollector(): { readonly logger: Logger; readonly warnings: string[] } {
  const warnings: string[] = [];
  const ignore = (): void => {};
  return {
    warnings,
    logger: {
      error: ignore,
      info: ignore,
      warn: (obj, msg) => warnings.push(msg ?? String(obj)),
    },
  };
}
