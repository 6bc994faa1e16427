// Which nodes of a cluster are running (issue #11 §5; brief §6 "Membership"): each node puts a
// heartbeat under its name in a replicated JetStream KV bucket every `intervalMs`; every node
// watches the bucket. A node is up from its first heartbeat and down when it leaves (its key is
// deleted) or when no heartbeat of it arrived for `timeoutMs`. These views give
// `running_db_nodes` and Mnesia's `mnesia_up` / `mnesia_down` system events. They are each node's
// own view, as in Mnesia; commits never depend on them (the log's majority decides those).
import { type KV, Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { retryTransient } from "./retry.js";

export interface MembershipOptions {
  readonly cluster: string;
  readonly node: string;
  readonly intervalMs?: number;
  /** No heartbeat for this long and a node is down (default: 3 intervals). */
  readonly timeoutMs?: number;
  readonly replicas?: number;
  readonly onUp?: (node: string) => void;
  readonly onDown?: (node: string) => void;
}

interface Heartbeat {
  readonly node: string;
  readonly pid: number;
  readonly startedAt: number;
}

export class Membership {
  private readonly seen = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private watching: Promise<void> | undefined;
  private stopWatch: (() => void) | undefined;
  private readonly startedAt = Date.now();
  private sawSelf: (() => void) | undefined;
  private readonly selfSeen = new Promise<void>((resolve) => {
    this.sawSelf = resolve;
  });

  private constructor(
    private readonly kv: KV,
    private readonly options: MembershipOptions,
  ) {}

  static async start(nc: NatsConnection, options: MembershipOptions): Promise<Membership> {
    const bucket = `MNEME_${options.cluster}_nodes`;
    const kv = await retryTransient(() =>
      new Kvm(nc).create(bucket, { history: 1, replicas: options.replicas ?? 1 }),
    );
    const m = new Membership(kv, options);
    await m.beat();
    await m.watch();
    // The watch replays the bucket first, this node's own beat included: once that is seen, the
    // view holds every node that was up when this one started.
    await m.selfSeen;
    const interval = options.intervalMs ?? 1_000;
    m.timer = setInterval(() => {
      m.beat().catch(() => {}); // a missed beat only delays; the next one retries
      m.expire();
    }, interval);
    m.timer.unref();
    return m;
  }

  /** The nodes this node sees running, itself included, sorted. */
  running(): string[] {
    return [...this.seen.keys()].sort();
  }

  private get timeoutMs(): number {
    return this.options.timeoutMs ?? 3 * (this.options.intervalMs ?? 1_000);
  }

  private async beat(): Promise<void> {
    if (this.stopped) return;
    const hb: Heartbeat = { node: this.options.node, pid: process.pid, startedAt: this.startedAt };
    await this.kv.put(this.options.node, JSON.stringify(hb));
  }

  private async watch(): Promise<void> {
    const iter = await this.kv.watch();
    this.stopWatch = () => iter.stop();
    this.watching = (async () => {
      for await (const e of iter) {
        if (e.operation === "PUT") this.up(e.key);
        else this.down(e.key);
      }
    })().catch(() => {});
  }

  private up(node: string): void {
    const known = this.seen.has(node);
    this.seen.set(node, Date.now());
    if (node === this.options.node) this.sawSelf?.();
    if (!known) this.options.onUp?.(node);
  }

  private down(node: string): void {
    if (!this.seen.delete(node)) return;
    this.options.onDown?.(node);
  }

  private expire(): void {
    const limit = Date.now() - this.timeoutMs;
    for (const [node, at] of this.seen) {
      if (node !== this.options.node && at < limit) this.down(node);
    }
  }

  /** Leaves the cluster: deletes this node's key, so the others see it down at once. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    await this.kv.delete(this.options.node).catch(() => {});
    this.stopWatch?.();
    await this.watching;
  }
}
