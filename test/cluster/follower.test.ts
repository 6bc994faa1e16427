// The cluster's commit protocol end to end on three real servers, without the database around
// it: three nodes (each a log connection and a follower applying committed writes to its own
// copy) run conflicting bank transfers concurrently; each reads its local copy at the position it
// has applied, publishes reads and writes, and retries when the validator says conflict. Every
// node must decide every entry identically, the copies must be equal, and money is never made or
// lost.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  type Applied,
  type ClusterEntry,
  decodeClusterEntry,
  encodeClusterEntry,
  LogFollower,
} from "../../src/cluster/follower.js";
import { JetStreamLog } from "../../src/cluster/jetstream-log.js";
import { type NatsCluster, startNatsCluster } from "./nats-servers.js";

let cluster: NatsCluster;
before(async () => {
  cluster = await startNatsCluster({ size: 3 });
});
after(async () => {
  await cluster?.stop();
});

interface Write {
  readonly op: "write";
  readonly table: string;
  readonly key: number;
  readonly record: { id: number; bal: number };
}

class Node {
  readonly balances = new Map<number, number>();
  readonly decisions: string[] = [];
  constructor(
    readonly name: string,
    readonly log: JetStreamLog,
    readonly follower: LogFollower,
  ) {}

  static async open(name: string, stream: string): Promise<Node> {
    const log = await JetStreamLog.open({ servers: cluster.urls, name: stream, replicas: 3 });
    let node: Node | undefined;
    const pending: Applied[] = [];
    const apply = (a: Applied) => {
      if (node === undefined) return void pending.push(a);
      node.decisions.push(`${a.position}:${a.entry?.id}:${a.decision.outcome}`);
      if (a.decision.outcome !== "commit" || a.entry === undefined) return;
      for (const op of a.entry.ops as Write[]) node.balances.set(op.key, op.record.bal);
    };
    const follower = LogFollower.start(log, { window: 1_000, onApplied: apply });
    node = new Node(name, log, follower);
    for (const a of pending) apply(a);
    return node;
  }

  /** Moves `amount` from one account to another, retrying on conflicts; returns the attempts. */
  async transfer(id: string, from: number, to: number, amount: number): Promise<number> {
    for (let attempt = 1; ; attempt++) {
      const at = this.follower.position;
      const a = this.balances.get(from) ?? 0;
      const b = this.balances.get(to) ?? 0;
      const ops: Write[] = [
        { op: "write", table: "acct", key: from, record: { id: from, bal: a - amount } },
        { op: "write", table: "acct", key: to, record: { id: to, bal: b + amount } },
      ];
      const entry: ClusterEntry = {
        id: `${id}.${attempt}`,
        origin: this.name,
        reads: [
          { kind: "record", table: "acct", key: from, at },
          { kind: "record", table: "acct", key: to, at },
        ],
        writes: ops.map((o) => ({ table: o.table, key: o.key })),
        tablesWritten: [],
        schemaTables: [],
        dependsOn: [],
        ops,
      };
      const d = await this.follower.commit(entry);
      if (d.outcome === "commit") return attempt;
      assert.equal(d.outcome, "abort");
      if (d.outcome === "abort") {
        assert.equal(d.reason, "conflict");
        await this.follower.caughtUp(d.position);
      }
    }
  }

  async close(): Promise<void> {
    await this.follower.close();
    await this.log.close();
  }
}

test("entries round-trip through their encoding; foreign bytes are not entries", () => {
  const e: ClusterEntry = {
    id: "x",
    origin: "a",
    reads: [{ kind: "table", table: "t", at: 3 }],
    writes: [{ table: "t", key: [1, "k"] }],
    tablesWritten: [],
    schemaTables: [],
    dependsOn: [],
    ops: [{ op: "delete", table: "t", key: [1, "k"] }],
  };
  assert.deepEqual(decodeClusterEntry(encodeClusterEntry(e)), e);
  assert.equal(decodeClusterEntry(new TextEncoder().encode("hello")), undefined);
});

test("three nodes transferring concurrently decide alike, converge, and keep the total", async () => {
  const nodes = [
    await Node.open("a", "bank"),
    await Node.open("b", "bank"),
    await Node.open("c", "bank"),
  ];
  const [a] = nodes as [Node, Node, Node];
  try {
    const accounts = 4;
    const setup: ClusterEntry = {
      id: "setup",
      origin: "a",
      reads: [],
      writes: Array.from({ length: accounts }, (_, k) => ({ table: "acct", key: k })),
      tablesWritten: [],
      schemaTables: [],
      dependsOn: [],
      ops: Array.from({ length: accounts }, (_, k) => ({
        op: "write",
        table: "acct",
        key: k,
        record: { id: k, bal: 100 },
      })),
    };
    assert.equal((await a.follower.commit(setup)).outcome, "commit");
    for (const n of nodes) await n.follower.caughtUp(1);

    let attempts = 0;
    await Promise.all(
      nodes.map(async (n, i) => {
        for (let t = 0; t < 30; t++) {
          const from = (i + t) % accounts;
          const to = (from + 1 + (t % (accounts - 1))) % accounts;
          const tries = await n.transfer(`${n.name}${t}`, from, to, 1 + ((i * 7 + t) % 9));
          attempts += tries;
        }
      }),
    );
    const last = await a.log.lastPosition();
    for (const n of nodes) await n.follower.caughtUp(last);

    assert.ok(attempts > 90, "some transfers must have conflicted and retried");
    const [da, db, dc] = nodes.map((n) => n.decisions);
    assert.equal(da?.length, last);
    assert.deepEqual(db, da);
    assert.deepEqual(dc, da);
    const states = nodes.map((n) => JSON.stringify([...n.balances].sort((x, y) => x[0] - y[0])));
    assert.equal(states[1], states[0]);
    assert.equal(states[2], states[0]);
    assert.equal(
      [...a.balances.values()].reduce((s, v) => s + v, 0),
      100 * accounts,
    );
    assert.equal(da?.filter((d) => d.endsWith(":commit")).length, 1 + 90);
  } finally {
    await a.log.destroy();
    for (const n of nodes) await n.close();
  }
});
