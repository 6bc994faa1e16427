// Shared fixtures for the transaction tests: a database with one table of each type.
import assert from "node:assert/strict";
import { Mneme, type MnemeError, TransactionAborted } from "../../src/index.js";

/** The records of the fixture tables: {k, v}, v indexed. */
export interface KV {
  k: number | string;
  v: number | string;
}

/**
 * A database with tables s (set), o (ordered_set) and b (bag), each holding {k: 1, 3, 5; v: k}
 * (written in that order), with an index on v.
 */
export async function openKV(): Promise<Mneme> {
  const db = await Mneme.open();
  for (const [name, type] of [
    ["s", "set"],
    ["o", "ordered_set"],
    ["b", "bag"],
  ] as const) {
    await db.createTable<KV>(name, { attributes: ["k", "v"], type, index: ["v"] });
    for (const k of [1, 3, 5]) db.dirtyWrite<KV>(name, { k, v: k });
  }
  return db;
}

/** One turn of the event loop. */
export const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The error `f` throws (synchronously or by rejecting); fails if it does not throw. */
export async function caught(f: () => unknown): Promise<unknown> {
  try {
    await f();
  } catch (e) {
    return e;
  }
  assert.fail("expected an exception");
}

/** Asserts `e` is TransactionAborted with `reason`; returns it. */
export function aborted(e: unknown, reason: unknown): TransactionAborted {
  assert.ok(e instanceof TransactionAborted, `expected TransactionAborted, got ${String(e)}`);
  assert.deepEqual(e.reason, reason);
  return e;
}

/** Asserts `e` is TransactionAborted for a MnemeError of class `cls` (reason = its reason name). */
export function abortedBy(
  e: unknown,
  cls: new (...args: never[]) => MnemeError,
  reason: string,
): MnemeError {
  aborted(e, reason);
  const cause = (e as TransactionAborted).cause;
  assert.ok(cause instanceof cls, `expected cause ${cls.name}, got ${String(cause)}`);
  assert.equal(cause.reason, reason);
  return cause;
}

/** Asserts `e` is a MnemeError of class `cls` with `reason` (not wrapped). */
export function mnemeError(
  e: unknown,
  cls: new (...args: never[]) => MnemeError,
  reason: string,
): MnemeError {
  assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
  assert.equal(e.reason, reason);
  return e;
}

/** Rejects if `p` has not settled within `ms` (a hung transaction fails the test instead of the run). */
export function settleWithin<T>(p: Promise<T>, ms: number, what = "transaction"): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/** The outcome of a promise, for comparing settled results exactly. */
export async function outcome<T>(
  p: Promise<T>,
): Promise<{ ok: T } | { aborted: unknown } | { error: unknown }> {
  try {
    return { ok: await p };
  } catch (e) {
    return e instanceof TransactionAborted ? { aborted: e.reason } : { error: e };
  }
}
