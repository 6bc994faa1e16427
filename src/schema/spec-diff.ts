// How a stored table definition differs from a wanted one (ensureTable). Only what changes how
// the table's records are stored, read or written counts; loadOrder, userProperties and
// storageProperties are tuning and metadata: the stored values stay, whatever is asked.
import type { TableSpec } from "./table-spec.js";

export interface SpecDifference {
  readonly option: string;
  readonly stored: unknown;
  readonly wanted: unknown;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const sorted = (xs: readonly string[]): string[] => [...xs].sort();

/** The options in which `wanted` differs from `stored`, in the order of TableSpec. */
export function specDifferences(stored: TableSpec, wanted: TableSpec): SpecDifference[] {
  const out: SpecDifference[] = [];
  const check = (option: string, a: unknown, b: unknown, equal = same(a, b)) => {
    if (!equal) out.push({ option, stored: a, wanted: b });
  };
  check("attributes", stored.attributes, wanted.attributes);
  check("type", stored.type, wanted.type);
  check("storage", stored.storage, wanted.storage);
  // Indexes are a set: the order they were added in does not matter.
  check("index", stored.index, wanted.index, same(sorted(stored.index), sorted(wanted.index)));
  check("recordName", stored.recordName, wanted.recordName);
  check("accessMode", stored.accessMode, wanted.accessMode);
  check("majority", stored.majority, wanted.majority);
  check("localContent", stored.localContent, wanted.localContent);
  check("snmp", stored.snmp, wanted.snmp);
  return out;
}

/** "type is set, wanted bag; index is [a], wanted [a,b]" */
export function describeDifferences(diffs: readonly SpecDifference[]): string {
  const show = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  return diffs.map((d) => `${d.option} is ${show(d.stored)}, wanted ${show(d.wanted)}`).join("; ");
}
