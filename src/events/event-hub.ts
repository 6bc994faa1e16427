// Routes events to subscribers. Delivery is queued and flushed in a microtask, so subscriber code
// never runs inside a commit and cannot disturb it.
import type {
  ActivityEvent,
  DetailedTableEvent,
  SimpleTableEvent,
  SystemEvent,
} from "./event-types.js";
import type { Subscription } from "./subscription.js";

type Sub = Subscription<unknown>;

export class EventHub {
  readonly system = new Set<Sub>();
  readonly activity = new Set<Sub>();
  private readonly simple = new Map<string, Set<Sub>>();
  private readonly detailed = new Map<string, Set<Sub>>();
  private queue: [Sub, unknown][] = [];
  private scheduled = false;

  hasDetailed(table: string): boolean {
    return (this.detailed.get(table)?.size ?? 0) > 0;
  }

  hasTableSubscribers(table: string): boolean {
    return (this.simple.get(table)?.size ?? 0) > 0 || this.hasDetailed(table);
  }

  hasActivitySubscribers(): boolean {
    return this.activity.size > 0;
  }

  /** Subscriptions of every kind. */
  count(): number {
    let n = this.system.size + this.activity.size;
    for (const set of this.simple.values()) n += set.size;
    for (const set of this.detailed.values()) n += set.size;
    return n;
  }

  tableSubscribers(table: string): Sub[] {
    return [...(this.simple.get(table) ?? []), ...(this.detailed.get(table) ?? [])];
  }

  add(
    kind: "system" | "activity" | "simple" | "detailed",
    table: string | undefined,
    sub: Sub,
  ): void {
    this.setFor(kind, table).add(sub);
  }

  remove(
    kind: "system" | "activity" | "simple" | "detailed",
    table: string | undefined,
    sub: Sub,
  ): void {
    this.setFor(kind, table).delete(sub);
  }

  /** Closes every subscription of a table (the table was deleted). */
  dropTable(table: string): void {
    for (const s of this.tableSubscribers(table)) s.unsubscribe();
    this.simple.delete(table);
    this.detailed.delete(table);
  }

  emitSystem(event: SystemEvent): void {
    for (const s of this.system) this.enqueue(s, event);
  }

  emitActivity(event: ActivityEvent): void {
    for (const s of this.activity) this.enqueue(s, event);
  }

  emitSimple(table: string, event: SimpleTableEvent): void {
    const subs = this.simple.get(table);
    if (subs !== undefined) for (const s of subs) this.enqueue(s, event);
  }

  emitDetailed(table: string, event: DetailedTableEvent): void {
    const subs = this.detailed.get(table);
    if (subs !== undefined) for (const s of subs) this.enqueue(s, event);
  }

  private setFor(
    kind: "system" | "activity" | "simple" | "detailed",
    table: string | undefined,
  ): Set<Sub> {
    if (kind === "system") return this.system;
    if (kind === "activity") return this.activity;
    const map = kind === "simple" ? this.simple : this.detailed;
    let set = map.get(table!);
    if (set === undefined) map.set(table!, (set = new Set()));
    return set;
  }

  /** How many events wait for delivery: a mark for {@link discardFrom}. */
  get queued(): number {
    return this.queue.length;
  }

  /** Drops the events queued since `mark` (a change that failed before it was committed). */
  discardFrom(mark: number): void {
    if (mark < this.queue.length) this.queue.length = mark;
  }

  private enqueue(sub: Sub, event: unknown): void {
    this.queue.push([sub, event]);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.scheduled = false;
    const q = this.queue;
    this.queue = [];
    for (const [s, e] of q) s.deliver(e);
  }
}
