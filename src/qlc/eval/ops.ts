// The activity operations a query uses: the same calls a body would make, so that in a
// transaction they take Mnesia's locks (a traversal a table read lock, a lookup a record lock)
// and see the transaction's own writes, and an access module sees them all.
import type { SelectChunk, SelectContinuation } from "../../access/reads.js";
import type { Activity, Flavour } from "../../txn/activity.js";
import type { LockKind } from "../../types.js";
import type { MP } from "./maybe.js";

export interface Ops {
  read(table: string, key: unknown, lock: LockKind): MP<readonly unknown[]>;
  indexRead(table: string, value: unknown, attribute: string): MP<readonly unknown[]>;
  select(table: string, spec: readonly unknown[], lock: LockKind): MP<readonly unknown[]>;
  selectLimit(
    table: string,
    spec: readonly unknown[],
    limit: number,
    lock: LockKind,
  ): MP<SelectChunk<unknown> | undefined>;
  selectContinue(c: SelectContinuation<unknown>): MP<SelectChunk<unknown> | undefined>;
  first(table: string): MP<unknown>;
  next(table: string, key: unknown): MP<unknown>;
}

export function opsOf(ctx: Activity<Flavour>): Ops {
  return ctx as unknown as Ops;
}
