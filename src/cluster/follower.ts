// A node's view of the cluster log (issue #11 §4): it reads the log in order from a position,
// decodes each entry, runs the deterministic validator and hands every decided entry to the
// node (which applies the writes of the tables it holds). Origins learn their transactions'
// outcomes here, when the entry is applied, never from the publish alone.
import { decodeTerm, encodeTerm } from "../codec/term-codec.js";
import type { JetStreamLog } from "./jetstream-log.js";
import { type Decision, type ValidatedEntry, Validator } from "./validator.js";

/** What a node publishes for a transaction: its read set, its writes and the ops to apply. */
export interface ClusterEntry extends ValidatedEntry {
  /** The node the transaction ran on. */
  readonly origin: string;
  /** The operations to apply when the entry commits (the local log's op format). */
  readonly ops: readonly unknown[];
}

const FORMAT = 1;

export function encodeClusterEntry(entry: ClusterEntry): Buffer {
  return encodeTerm([FORMAT, entry]);
}

/** Decodes an entry; undefined for bytes that are not one (decided as an abort everywhere). */
export function decodeClusterEntry(data: Uint8Array): ClusterEntry | undefined {
  try {
    const v = decodeTerm(data);
    if (!Array.isArray(v) || v[0] !== FORMAT) return undefined;
    const e = v[1] as ClusterEntry;
    const ok =
      typeof e === "object" &&
      e !== null &&
      typeof e.id === "string" &&
      typeof e.origin === "string" &&
      Array.isArray(e.reads) &&
      Array.isArray(e.writes) &&
      Array.isArray(e.tablesWritten) &&
      Array.isArray(e.schemaTables) &&
      Array.isArray(e.dependsOn) &&
      Array.isArray(e.ops);
    return ok ? e : undefined;
  } catch {
    return undefined;
  }
}

export interface Applied {
  readonly position: number;
  /** Undefined when the message at this position was not a well-formed entry (it never applies). */
  readonly entry: ClusterEntry | undefined;
  readonly decision: Decision;
}

export interface FollowerOptions {
  /** Read from this position on (the position after the last one this node applied). */
  readonly from?: number;
  /** The validator's window in log positions. */
  readonly window?: number;
  /** Called for every entry in log order, before any outcome waiter is told. */
  readonly onApplied?: (applied: Applied) => void;
}

export class LogFollower {
  private readonly validator: Validator;
  private readonly waiters = new Map<string, ((d: Decision) => void)[]>();
  private readonly positionWaiters: { position: number; resolve: () => void }[] = [];
  private readonly stop = new AbortController();
  private applied = 0;
  private loop: Promise<void> = Promise.resolve();
  private failure: unknown;

  private constructor(
    private readonly log: JetStreamLog,
    private readonly options: FollowerOptions,
  ) {
    this.validator = new Validator(options.window ?? 100_000);
  }

  static start(log: JetStreamLog, options: FollowerOptions = {}): LogFollower {
    const f = new LogFollower(log, options);
    f.applied = Math.max(0, (options.from ?? 1) - 1);
    f.loop = f.run().catch((e) => {
      f.failure = e;
    });
    return f;
  }

  /** The last position applied. */
  get position(): number {
    return this.applied;
  }

  private async run(): Promise<void> {
    for await (const { position, data } of this.log.read(this.applied + 1, this.stop.signal)) {
      const entry = decodeClusterEntry(data);
      const decision: Decision =
        entry === undefined
          ? { outcome: "abort", position, reason: "conflict" }
          : this.validator.decide(entry, position);
      this.applied = position;
      this.options.onApplied?.({ position, entry, decision });
      if (entry !== undefined) {
        const ws = this.waiters.get(entry.id);
        if (ws !== undefined) {
          this.waiters.delete(entry.id);
          for (const w of ws) w(decision.outcome === "duplicate" ? decision.of : decision);
        }
      }
      this.wakePositionWaiters();
    }
  }

  private wakePositionWaiters(): void {
    for (let i = this.positionWaiters.length - 1; i >= 0; i--) {
      const w = this.positionWaiters[i] as { position: number; resolve: () => void };
      if (w.position <= this.applied) {
        this.positionWaiters.splice(i, 1);
        w.resolve();
      }
    }
  }

  /** Resolves with the decision on transaction `id` once its entry is applied here. */
  outcome(id: string): Promise<Decision> {
    return new Promise((resolve) => {
      const ws = this.waiters.get(id) ?? [];
      ws.push(resolve);
      this.waiters.set(id, ws);
    });
  }

  /** Resolves once everything up to `position` is applied here. */
  caughtUp(position: number): Promise<void> {
    if (position <= this.applied) return Promise.resolve();
    return new Promise((resolve) => this.positionWaiters.push({ position, resolve }));
  }

  /** Publishes a transaction's entry and resolves with the decision every node reaches. */
  async commit(entry: ClusterEntry): Promise<Decision> {
    const decided = this.outcome(entry.id);
    await this.log.append(entry.id, encodeClusterEntry(entry));
    return decided;
  }

  async close(): Promise<void> {
    this.stop.abort();
    await this.loop;
    if (this.failure !== undefined && !this.stop.signal.aborted) throw this.failure;
  }
}
