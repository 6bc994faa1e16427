// What mnesia:lock/2 returns. Mnesia's answer depends on what the transaction already holds
// (mnesia_locker's need_lock) and, for sticky_write, on whether the table is already stuck to this
// node; checked with erl for every kind and pair of items (see docs/mnesia-mapping.md, `lock`):
//
//   table read          "ok", or [node] when the transaction holds any lock on the table
//   table write         [node], or false when it holds the table's write lock
//   table sticky_write  [node] the first time the table is stuck, "granted" once it is stuck
//                       (for good: across transactions, aborted ones too), [node] when the
//                       transaction holds the table's write lock
//   record read         the records
//   record write        [node], or [] when it holds the record's or the table's write lock
//   record sticky_write "ok", or "granted" when the table is stuck and the transaction holds no
//                       write lock on the record or the table
import { type Key, mapKey } from "../keys/index.js";
import { type LockMode, TABLE } from "./locks.js";

/** The modes a transaction holds on a table and on one of its records. */
export interface HeldModes {
  readonly table: LockMode | undefined;
  readonly record: LockMode | undefined;
}

type Id = ReturnType<typeof mapKey>;

/**
 * The locks a synchronous transaction took, as far as lock results depend on them: table locks
 * and record write locks (record read locks never change a result). A synchronous body records
 * no locks in the lock manager; its record writes are also known from its overlay.
 */
export class SyncLocks {
  private readonly tables = new Map<string, LockMode>();
  private readonly writes = new Map<string, Set<Id>>();

  note(space: string, key: Key | typeof TABLE, mode: LockMode): void {
    if (key === TABLE) {
      if (this.tables.get(space) !== "write") this.tables.set(space, mode);
    } else if (mode === "write") {
      let set = this.writes.get(space);
      if (set === undefined) this.writes.set(space, (set = new Set()));
      set.add(mapKey(key));
    }
  }

  held(space: string, key: Key | typeof TABLE): HeldModes {
    const table = this.tables.get(space);
    if (key === TABLE) return { table, record: undefined };
    return { table, record: this.writes.get(space)?.has(mapKey(key)) ? "write" : undefined };
  }
}

/** Whether a write or sticky lock on the item is new to the transaction (need_lock says yes). */
export function needsWriteLock(held: HeldModes, onTable: boolean): boolean {
  return held.table !== "write" && (onTable || held.record !== "write");
}

/** A table read or write lock's result. */
export function tableLockResult(
  kind: "read" | "write",
  held: HeldModes,
  node: string,
): "ok" | false | string[] {
  if (kind === "read") return held.table === undefined ? "ok" : [node];
  return held.table === "write" ? false : [node];
}
