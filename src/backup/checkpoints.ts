// Mnesia checkpoints: a transaction-consistent view of some tables at one log position, kept while
// the tables go on changing. Stored records are immutable, so a retainer is simply the list of
// the records a table held at activation, taken in one synchronous step (for LMDB tables, read
// out of LMDB in that same step); or, for a disc_copies table that holds exactly its snapshot
// file, that file, kept open (snapshot-source.ts).
import type { DbCore } from "../db/core.js";
import { AlreadyExistsError, BadArgError, NoExistsError } from "../errors.js";
import type { TableSpec } from "../schema/table-spec.js";
import type { Rec } from "../store/store.js";
import { SnapshotSource } from "./snapshot-source.js";

export interface CheckpointArgs {
  /** Default: a generated name. */
  readonly name?: string;
  /** Tables whose view is kept (Mnesia's max). */
  readonly max?: readonly string[];
  /** Tables whose view is kept (Mnesia's min; one node, so the same as max). */
  readonly min?: readonly string[];
  /** Accepted for compatibility; there is one node. */
  readonly allowRemote?: boolean;
  /**
   * Which ram_copies tables are retained as they are in RAM: all (true, Mneme's default), none
   * (false: Mnesia's default), or the tables listed. The others are retained as their last
   * dumpTables wrote them, or empty if it never did, as Mnesia does.
   */
  readonly ramOverridesDump?: boolean | readonly string[];
}

/** One table as a checkpoint keeps it: its records, or the snapshot file that holds them. */
export type Retainer =
  | { readonly spec: TableSpec; readonly records: readonly Rec[]; readonly snapshot?: undefined }
  | { readonly spec: TableSpec; readonly records?: undefined; readonly snapshot: SnapshotSource };

export interface Checkpoint {
  readonly name: string;
  readonly position: number;
  readonly tables: ReadonlyMap<string, Retainer>;
}

/** Whether a ram_copies table is retained from RAM, for a ramOverridesDump argument. */
function ramOverrides(arg: unknown): (table: string) => boolean {
  if (arg === undefined || arg === true) return () => true;
  if (arg === false) return () => false;
  if (Array.isArray(arg) && arg.every((t) => typeof t === "string")) {
    return (table) => arg.includes(table);
  }
  throw new BadArgError("ramOverridesDump must be a boolean or a list of table names", {
    value: arg,
  });
}

export class Checkpoints {
  private readonly active = new Map<string, Checkpoint>();
  private counter = 0;

  constructor(private readonly core: DbCore) {
    // A checkpoint ends when a table in it is deleted (as in Mnesia).
    core.log.subscribe((entry) => {
      for (const op of entry.ops) {
        if (op.op !== "delete_table") continue;
        for (const c of [...this.active.values()]) {
          if (c.tables.has(op.table)) this.end(c);
        }
      }
    });
  }

  activate(args: CheckpointArgs): { name: string; nodes: string[] } {
    this.core.assertRunning();
    if (args === null || typeof args !== "object") {
      throw new BadArgError("activateCheckpoint needs an object of arguments", { value: args });
    }
    const name = args.name ?? `mneme_checkpoint_${++this.counter}`;
    if (typeof name !== "string" || name.length === 0) {
      throw new BadArgError("a checkpoint name must be a non-empty string", { value: name });
    }
    if (this.active.has(name)) {
      throw new AlreadyExistsError(`checkpoint ${name} is already active`, { value: name });
    }
    const names = [...new Set([...(args.max ?? []), ...(args.min ?? [])])];
    if (names.length === 0) {
      throw new BadArgError("activateCheckpoint: no tables given (max or min)", { value: args });
    }
    for (const n of names) this.core.table(n); // no_exists before anything is opened
    const inRam = ramOverrides(args.ramOverridesDump);
    const tables = new Map<string, Retainer>();
    for (const n of names) {
      const t = this.core.table(n);
      if (t.spec.storage === "ram_copies" && !inRam(n)) {
        // Mnesia's default: the table as dumpTables last wrote it.
        const dump = this.core.ramDump?.(n);
        const snapshot = dump === undefined ? undefined : SnapshotSource.open(dump);
        tables.set(
          n,
          snapshot !== undefined ? { spec: t.spec, snapshot } : { spec: t.spec, records: [] },
        );
        continue;
      }
      const file = this.core.cleanSnapshot?.(n);
      const snapshot = file === undefined ? undefined : SnapshotSource.open(file);
      tables.set(
        n,
        snapshot !== undefined
          ? { spec: t.spec, snapshot }
          : { spec: t.spec, records: [...t.store.records()] },
      );
    }
    this.active.set(name, { name, position: this.core.log.position, tables });
    return { name, nodes: [this.core.node] };
  }

  deactivate(name: string): void {
    this.end(this.get(name));
  }

  /** Ends every checkpoint (the database closes). */
  endAll(): void {
    for (const c of [...this.active.values()]) this.end(c);
  }

  private end(c: Checkpoint): void {
    this.active.delete(c.name);
    for (const r of c.tables.values()) r.snapshot?.close();
  }

  get(name: string): Checkpoint {
    const c = this.active.get(name);
    if (c === undefined) {
      throw new NoExistsError(`checkpoint ${String(name)} is not active`, { value: name });
    }
    return c;
  }

  names(): string[] {
    return [...this.active.keys()];
  }

  /** The checkpoints that retain a table. */
  namesFor(table: string): string[] {
    return [...this.active.values()].filter((c) => c.tables.has(table)).map((c) => c.name);
  }
}
