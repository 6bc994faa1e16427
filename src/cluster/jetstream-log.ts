// The cluster's commit log (issue #11; brief §6): one JetStream stream, replicated by the NATS
// servers' Raft, whose sequence numbers are log positions. Appends carry the transaction id as the
// message id, so a publish whose acknowledgement was lost is re-sent with the same id and the
// server answers with the position it had already given (never a second copy inside the
// duplicate window). An entry larger than the servers' max payload is sent in parts and counts at
// its last part's position. Readers get whole entries, in log order.
import {
  DeliverPolicy,
  type JetStreamClient,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import { connect, headers, type NatsConnection, nanos } from "@nats-io/transport-node";
import { retryTransient } from "./retry.js";

export interface JetStreamLogOptions {
  /** NATS server URLs (several, so the client fails over). */
  readonly servers: string | readonly string[];
  /** The cluster's name: the stream is MNEME_<name>, its subject mneme.<name>.log. */
  readonly name: string;
  /** Stream replicas (3 in production; at most the number of servers). */
  readonly replicas?: number;
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  /** Use only `servers`, not the addresses the servers announce (behind a proxy or a NAT). */
  readonly ignoreClusterUpdates?: boolean;
  /** How long one publish waits for its acknowledgement before it is re-sent (ms). */
  readonly publishTimeoutMs?: number;
  /** How long an append keeps re-sending before it gives up with an ambiguous outcome (ms). */
  readonly appendDeadlineMs?: number;
  /** The servers' duplicate window (ms): re-sends must land inside it. */
  readonly duplicateWindowMs?: number;
}

export interface LoggedEntry {
  readonly position: number;
  readonly id: string;
  readonly data: Uint8Array;
}

/** An append whose fate is unknown: it may or may not be in the log. */
export class AmbiguousAppendError extends Error {
  constructor(
    readonly id: string,
    cause: unknown,
  ) {
    super(
      `the log append of transaction ${id} was not acknowledged in time; it may or may not be in the log`,
      {
        cause,
      },
    );
    this.name = "AmbiguousAppendError";
  }
}

const ID = "Mneme-Id";
const PART = "Mneme-Part";
/** Room left in a message for headers and protocol framing. */
const HEADROOM = 8 * 1024;

function checkName(name: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new RangeError(
      `a cluster name is 1-64 letters, digits, '_' or '-', got ${JSON.stringify(name)}`,
    );
  }
  return name;
}

export class JetStreamLog {
  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly stream: string,
    readonly subject: string,
    private readonly options: JetStreamLogOptions,
  ) {}

  /** Connects and creates the stream if it does not exist (or checks the one that does). */
  static async open(options: JetStreamLogOptions): Promise<JetStreamLog> {
    const name = checkName(options.name);
    const nc = await connect({
      servers: typeof options.servers === "string" ? options.servers : [...options.servers],
      ...(options.user !== undefined ? { user: options.user, pass: options.pass } : {}),
      ...(options.token !== undefined ? { token: options.token } : {}),
      ignoreClusterUpdates: options.ignoreClusterUpdates ?? false,
      maxReconnectAttempts: -1,
      reconnectTimeWait: 250,
    });
    try {
      const jsm = await retryTransient(() => jetstreamManager(nc));
      const stream = `MNEME_${name}`;
      const subject = `mneme.${name}.log`;
      const wanted = {
        name: stream,
        subjects: [subject],
        num_replicas: options.replicas ?? 1,
        duplicate_window: nanos(options.duplicateWindowMs ?? 120_000),
        allow_direct: true,
      };
      await retryTransient(async () => {
        try {
          const info = await jsm.streams.info(stream);
          if (info.config.num_replicas !== wanted.num_replicas) {
            await jsm.streams.update(stream, { num_replicas: wanted.num_replicas });
          }
        } catch (e) {
          if (!(e instanceof Error && /stream not found/i.test(e.message))) throw e;
          await jsm.streams.add(wanted);
        }
      });
      return new JetStreamLog(nc, jetstream(nc), jsm, stream, subject, options);
    } catch (e) {
      await nc.close();
      throw e;
    }
  }

  /** The largest part a message carries. */
  get partSize(): number {
    return Math.max(1024, (this.nc.info?.max_payload ?? 1024 * 1024) - HEADROOM);
  }

  /**
   * Appends an entry and resolves with its log position (its last part's). Re-sends with the same
   * message ids until acknowledged; past the deadline rejects with AmbiguousAppendError, and the
   * caller must then learn the entry's fate from the log before doing it again.
   */
  async append(id: string, data: Uint8Array): Promise<number> {
    const size = this.partSize;
    const parts = Math.max(1, Math.ceil(data.length / size));
    let position = 0;
    for (let i = 0; i < parts; i++) {
      const h = headers();
      h.set(ID, id);
      if (parts > 1) h.set(PART, `${i + 1}/${parts}`);
      const chunk = data.subarray(i * size, Math.min(data.length, (i + 1) * size));
      position = await this.publish(parts > 1 ? `${id}#${i + 1}/${parts}` : id, chunk, h);
    }
    return position;
  }

  private async publish(
    msgID: string,
    chunk: Uint8Array,
    h: ReturnType<typeof headers>,
  ): Promise<number> {
    const deadline = Date.now() + (this.options.appendDeadlineMs ?? 30_000);
    const timeout = this.options.publishTimeoutMs ?? 2_000;
    let wait = 50;
    let lastError: unknown;
    for (;;) {
      try {
        const ack = await this.js.publish(this.subject, chunk, { msgID, headers: h, timeout });
        // A duplicate at sequence 0: the server holds the first send as a proposal that has not
        // reached a quorum yet. Its position is still unknown, so ask again.
        if (ack.seq > 0) return ack.seq;
        lastError = new Error(`message ${msgID} is pending in the stream without a position yet`);
      } catch (e) {
        lastError = e;
      }
      // No position: the message may have landed. The same msgID makes a re-send safe.
      if (Date.now() + wait > deadline) throw new AmbiguousAppendError(msgID, lastError);
      await new Promise((resolve) => setTimeout(resolve, wait));
      wait = Math.min(wait * 2, 1_000);
    }
  }

  /** The position of the last message in the log (0 when empty). */
  async lastPosition(): Promise<number> {
    const info = await this.jsm.streams.info(this.stream);
    return info.state.last_seq;
  }

  /**
   * Whole entries from `from` on, in log order, until `signal` aborts. Parts are gathered until
   * an entry's last part; an entry whose first parts lie before `from` is skipped whole.
   */
  async *read(from: number, signal?: AbortSignal): AsyncGenerator<LoggedEntry> {
    const consumer = await this.js.consumers.get(this.stream, {
      filter_subjects: [this.subject],
      opt_start_seq: Math.max(1, from),
      deliver_policy: DeliverPolicy.StartSequence,
    });
    const messages = await consumer.consume();
    const stop = () => messages.stop();
    signal?.addEventListener("abort", stop, { once: true });
    const partial = new Map<string, { chunks: Uint8Array[]; next: number }>();
    try {
      for await (const m of messages) {
        const id = m.headers?.get(ID) ?? "";
        const part = m.headers?.get(PART);
        if (!part) {
          yield { position: m.seq, id, data: m.data };
          continue;
        }
        const [index, total] = part.split("/").map(Number) as [number, number];
        let p = partial.get(id);
        if (index === 1) partial.set(id, (p = { chunks: [], next: 1 }));
        if (p === undefined || p.next !== index) continue; // began before `from`
        p.chunks.push(m.data);
        p.next++;
        if (index === total) {
          partial.delete(id);
          yield { position: m.seq, id, data: Buffer.concat(p.chunks) };
        }
      }
    } finally {
      signal?.removeEventListener("abort", stop);
      messages.stop();
    }
  }

  async close(): Promise<void> {
    await this.nc.drain().catch(() => this.nc.close());
  }

  /** Deletes the stream (tests and `mneme` tooling only: the log is the cluster's data). */
  async destroy(): Promise<void> {
    await this.jsm.streams.delete(this.stream);
  }
}
