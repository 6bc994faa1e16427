// The items of a backup, as Mnesia orders them: one schema item per table (its definition), then
// the record items.
import type { TableSpec } from "../schema/table-spec.js";
import type { Rec } from "../store/store.js";

/** A table's definition in a backup. */
export interface SchemaItem {
  readonly schema: string;
  readonly definition: TableSpec;
}
/** A record in a backup. */
export interface RecordItem {
  readonly table: string;
  readonly record: Rec;
}

export function isSchemaItem(x: unknown): x is SchemaItem {
  return (
    x !== null &&
    typeof x === "object" &&
    typeof (x as SchemaItem).schema === "string" &&
    typeof (x as SchemaItem).definition === "object"
  );
}

export function isRecordItem(x: unknown): x is RecordItem {
  return (
    x !== null &&
    typeof x === "object" &&
    typeof (x as RecordItem).table === "string" &&
    typeof (x as RecordItem).record === "object" &&
    (x as RecordItem).record !== null
  );
}

/** The table when every item is a record item of that one table (and there is one at least). */
export function tableOfRecords(items: readonly unknown[]): string | undefined {
  const first = items[0];
  if (!isRecordItem(first)) return undefined;
  for (let i = 1; i < items.length; i++) {
    const item = items[i];
    if (!isRecordItem(item) || item.table !== first.table) return undefined;
  }
  return first.table;
}
