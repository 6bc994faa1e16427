// Dirty operations: no locks, no transaction store. A dirty change is still a log entry, so stores,
// indexes and subscribers see it exactly as they see a commit.
import { assertWritable, checkedRecord } from "../access/validate-record.js";
import { BadTypeError, CombineError } from "../errors.js";
import { formatKey, type Key, keyProblem } from "../keys/index.js";
import { nextCounterValue } from "../log/applier.js";
import type { LiveTable } from "../schema/live-table.js";
import { keyToOid } from "../store/snmp.js";
import type { Rec } from "../store/store.js";
import type { ActivityId } from "../types.js";
import type { DbCore } from "./core.js";

/** Validates a record for a write into `t` and returns its key and a frozen private copy. */
export function prepareWrite(t: LiveTable, record: unknown): { key: Key; rec: Rec } {
  const rec = checkedRecord(t, record);
  const key = t.keyOf(rec);
  assertWritable(t, key);
  checkSnmpKey(t, key);
  return { key, rec };
}

/** A key written to an SNMP ordered table must map to a row index (Mnesia: bad_snmp_key). */
function checkSnmpKey(t: LiveTable, key: Key): void {
  if (t.spec.snmp !== null && keyToOid(t.spec.snmp, key) === undefined) {
    throw new BadTypeError(`key ${formatKey(key)} of ${t.name} does not fit its SNMP key type`, {
      table: t.name,
      key,
    });
  }
}

export function checkKey(t: LiveTable, key: unknown): Key {
  const p = keyProblem(key);
  if (p !== undefined) throw new BadTypeError(`${t.name}: ${p}`, { table: t.name, key });
  return key as Key;
}

export function dirtyWrite(core: DbCore, id: ActivityId, t: LiveTable, record: unknown): void {
  const { key, rec } = prepareWrite(t, record);
  core.log.append(id, [{ op: "write", table: t.name, key, record: rec }]);
  core.stats.dirtyWrites++;
}

export function dirtyDelete(core: DbCore, id: ActivityId, t: LiveTable, key: unknown): void {
  const k = checkKey(t, key);
  assertWritable(t, k);
  core.log.append(id, [{ op: "delete", table: t.name, key: k }]);
  core.stats.dirtyWrites++;
}

export function dirtyDeleteObject(
  core: DbCore,
  id: ActivityId,
  t: LiveTable,
  record: unknown,
): void {
  const rec = checkedRecord(t, record);
  const key = t.keyOf(rec);
  assertWritable(t, key);
  core.log.append(id, [{ op: "delete_object", table: t.name, key, record: rec }]);
  core.stats.dirtyWrites++;
}

/**
 * dirty_update_counter: the table must be a set or ordered_set of {key, counter} records
 * (combine_error otherwise), the increment an integer (bad_type otherwise).
 */
export function dirtyUpdateCounter(
  core: DbCore,
  id: ActivityId,
  t: LiveTable,
  key: unknown,
  incr: unknown,
): number | bigint {
  if (t.spec.type === "bag" || t.spec.attributes.length !== 2) {
    throw new CombineError(
      `update_counter needs a set or ordered_set with exactly two attributes; ${t.name} is not one`,
      {
        table: t.name,
        key,
      },
    );
  }
  if (!(typeof incr === "bigint" || (typeof incr === "number" && Number.isSafeInteger(incr)))) {
    throw new BadTypeError(
      `update_counter on ${t.name}: the increment must be an integer, got ${String(incr)}`,
      {
        table: t.name,
        key,
        value: incr,
      },
    );
  }
  const k = checkKey(t, key);
  assertWritable(t, k);
  checkSnmpKey(t, k);
  core.log.append(id, [{ op: "update_counter", table: t.name, key: k, incr }]);
  core.stats.dirtyWrites++;
  const now = t.store.lookup(k)[0]?.[t.spec.attributes[1]!];
  return now === undefined ? nextCounterValue(undefined, incr) : (now as number | bigint);
}
