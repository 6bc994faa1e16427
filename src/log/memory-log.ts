// The log of a RAM-only database: assigns positions and hands each entry to its consumers
// synchronously. Nothing is retained; durability comes with the local WAL.
import type { ActivityId } from "../types.js";
import type { CommitLog, Durability, LogEntry, LogOp } from "./entry.js";

interface Consumer {
  readonly fn: (entry: LogEntry) => void;
  live: boolean;
}

export class MemoryLog implements CommitLog {
  private pos = 0;
  // Replaced, never mutated: an append in progress keeps walking the list it started with.
  private consumers: readonly Consumer[] = [];

  get position(): number {
    return this.pos;
  }

  append(activity: ActivityId, ops: readonly LogOp[]): LogEntry {
    const entry: LogEntry = { position: ++this.pos, activity, ops };
    this.publish(entry);
    return entry;
  }

  /** Hands an entry to every consumer, in order. */
  protected publish(entry: LogEntry): void {
    for (const c of this.consumers) if (c.live) c.fn(entry);
  }

  /** Continues numbering after `position` (a log reopened on disc). */
  protected startAfter(position: number): void {
    this.pos = position;
  }

  whenDurable(_entry: LogEntry | undefined, _mode: Durability): Promise<void> | undefined {
    return undefined;
  }

  makeDurableSync(_entry: LogEntry | undefined, _mode: Durability): void {}

  subscribe(consumer: (entry: LogEntry) => void): () => void {
    // Each call is its own subscription, even for a function already subscribed.
    const c: Consumer = { fn: consumer, live: true };
    this.consumers = [...this.consumers, c];
    return () => {
      if (!c.live) return;
      c.live = false;
      this.consumers = this.consumers.filter((x) => x !== c);
    };
  }
}
