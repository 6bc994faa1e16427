// The log of a RAM-only database: assigns positions and hands each entry to its consumers
// synchronously. Nothing is retained; durability comes with the local WAL.
import type { ActivityId } from "../types.js";
import type { CommitLog, LogEntry, LogOp } from "./entry.js";

export class MemoryLog implements CommitLog {
  private pos = 0;
  private consumers: ((entry: LogEntry) => void)[] = [];

  get position(): number {
    return this.pos;
  }

  append(activity: ActivityId, ops: readonly LogOp[]): LogEntry {
    const entry: LogEntry = { position: ++this.pos, activity, ops };
    for (const c of this.consumers) c(entry);
    return entry;
  }

  subscribe(consumer: (entry: LogEntry) => void): () => void {
    this.consumers.push(consumer);
    return () => {
      this.consumers = this.consumers.filter((c) => c !== consumer);
    };
  }
}
