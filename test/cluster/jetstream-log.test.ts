// The cluster log on three real nats-server processes (R3, sync_interval always): appends come
// back in order with the positions they were given, a re-sent id keeps its first position, large
// entries travel in parts, and a SIGKILL of the stream's leader loses no acknowledged append.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import {
  AmbiguousAppendError,
  JetStreamLog,
  type LoggedEntry,
} from "../../src/cluster/jetstream-log.js";
import { retryTransient } from "../../src/cluster/retry.js";
import { type NatsCluster, type NatsServer, startNatsCluster } from "./nats-servers.js";
import { TcpProxy } from "./tcp-proxy.js";

let cluster: NatsCluster;
let n = 0;

before(async () => {
  cluster = await startNatsCluster({ size: 3 });
});
after(async () => {
  await cluster?.stop();
});

async function openLog(): Promise<JetStreamLog> {
  return JetStreamLog.open({ servers: cluster.urls, name: `t${++n}`, replicas: 3 });
}

async function readAll(log: JetStreamLog, from: number, count: number): Promise<LoggedEntry[]> {
  const out: LoggedEntry[] = [];
  const stop = new AbortController();
  // An ordered consumer made while the stream elects a leader may take a while to start.
  const timer = setTimeout(() => stop.abort(), 60_000);
  for await (const e of log.read(from, stop.signal)) {
    out.push(e);
    if (out.length === count) break;
  }
  clearTimeout(timer);
  return out;
}

const bytes = (s: string) => new TextEncoder().encode(s);

/** Appends with a short-deadline log, re-sending (same id) until it lands or 20 s pass. */
async function appendEventually(log: JetStreamLog, id: string, data: Uint8Array): Promise<number> {
  for (const end = Date.now() + 20_000; ; ) {
    try {
      return await log.append(id, data);
    } catch (e) {
      if (!(e instanceof AmbiguousAppendError) || Date.now() > end) throw e;
    }
  }
}
const text = (b: Uint8Array) => new TextDecoder().decode(b);

test("concurrent appends from two connections are read back in order at their positions", async () => {
  const a = await openLog();
  const b = await JetStreamLog.open({ servers: cluster.urls, name: `t${n}`, replicas: 3 });
  try {
    const acks = await Promise.all(
      Array.from({ length: 100 }, (_, i) => (i % 2 ? a : b).append(`tx${i}`, bytes(`entry ${i}`))),
    );
    const read = await readAll(a, 1, 100);
    assert.deepEqual(
      read.map((e) => e.position),
      [...acks].sort((x, y) => x - y),
    );
    for (const e of read) assert.equal(text(e.data), `entry ${e.id.slice(2)}`);
    assert.equal(new Set(read.map((e) => e.id)).size, 100);
    assert.equal(await a.lastPosition(), 100);
  } finally {
    await b.close();
    await a.destroy();
    await a.close();
  }
});

test("an id sent again keeps the position it was first given, and is logged once", async () => {
  const log = await openLog();
  try {
    const first = await log.append("same", bytes("one"));
    await log.append("other", bytes("two"));
    assert.equal(await log.append("same", bytes("one")), first);
    assert.equal(await log.lastPosition(), 2);
    assert.deepEqual(
      (await readAll(log, 1, 2)).map((e) => e.id),
      ["same", "other"],
    );
  } finally {
    await log.destroy();
    await log.close();
  }
});

test("an entry larger than the max payload is sent in parts and read whole at its last part", async () => {
  const log = await openLog();
  try {
    const big = new Uint8Array(log.partSize * 2 + 12345).map((_, i) => i % 251);
    await log.append("small", bytes("x"));
    const at = await log.append("big", big);
    assert.equal(at, 4); // 1 + three parts
    const read = await readAll(log, 1, 2);
    assert.deepEqual(
      read.map((e) => [e.id, e.position]),
      [
        ["small", 1],
        ["big", 4],
      ],
    );
    assert.ok(Buffer.from(big).equals(Buffer.from(read[1]?.data ?? [])));
    // A reader starting inside the parts skips that entry whole.
    await log.append("after", bytes("y"));
    assert.deepEqual(
      (await readAll(log, 3, 1)).map((e) => e.id),
      ["after"],
    );
  } finally {
    await log.destroy();
    await log.close();
  }
});

test("a SIGKILL of the stream's leader loses no acknowledged append", async () => {
  const log = await openLog();
  try {
    const info = (await (
      log as unknown as {
        jsm: { streams: { info(s: string): Promise<{ cluster?: { leader?: string } }> } };
      }
    ).jsm.streams.info(log.stream)) as { cluster?: { leader?: string } };
    const leader = cluster.servers.find((s) => s.name === info.cluster?.leader);
    assert.ok(leader, JSON.stringify(info.cluster));
    const acked = new Map<string, number>();
    let i = 0;
    const writer = (async () => {
      while (i < 300) {
        const id = `tx${i++}`;
        acked.set(id, await log.append(id, bytes(id)));
      }
    })();
    while (acked.size < 50) await new Promise((r) => setTimeout(r, 5));
    await leader.kill("SIGKILL");
    await writer;
    leader.start();
    await cluster.waitForLeader();
    // Read once the stream answers again with every append in it.
    assert.equal(await retryTransient(() => log.lastPosition(), 30_000), 300);
    const read = await readAll(log, 1, 300);
    assert.equal(read.length, 300);
    for (const e of read) assert.equal(acked.get(e.id), e.position, e.id);
    assert.deepEqual(
      read.map((e) => e.id),
      Array.from({ length: 300 }, (_, k) => `tx${k}`),
    );
  } finally {
    await log.destroy().catch(() => {});
    await log.close();
  }
});

test("without a majority an append fails as ambiguous; re-sent after healing it is logged once", async () => {
  const log = await JetStreamLog.open({
    servers: cluster.urls,
    name: `t${++n}`,
    replicas: 3,
    publishTimeoutMs: 300,
    appendDeadlineMs: 1_500,
  });
  try {
    assert.equal(await appendEventually(log, "before", bytes("0")), 1);
    const [s1, s2] = cluster.servers as [NatsServer, NatsServer];
    await s1.kill("SIGKILL");
    await s2.kill("SIGKILL");
    await assert.rejects(log.append("cut", bytes("1")), (e: unknown) => {
      assert.ok(e instanceof AmbiguousAppendError);
      assert.match(e.message, /transaction cut was not acknowledged in time/);
      return true;
    });
    s1.start();
    s2.start();
    await cluster.waitForLeader();
    // The ambiguous append's fate: re-send it with the same id (its message may or may not have
    // reached the stream before the majority was lost; either way it is there once now).
    assert.equal(await appendEventually(log, "cut", bytes("1")), 2);
    assert.deepEqual(
      (await readAll(log, 1, 2)).map((e) => [e.id, e.position]),
      [
        ["before", 1],
        ["cut", 2],
      ],
    );
  } finally {
    await log.destroy().catch(() => {});
    await log.close();
  }
});

test("a client cut off from every server cannot append; healed, it goes on and nothing is lost", async () => {
  const proxies = await Promise.all(cluster.servers.map((s) => TcpProxy.start(s.ports.client)));
  const name = `t${++n}`;
  const direct = await JetStreamLog.open({ servers: cluster.urls, name, replicas: 3 });
  const cutOff = await JetStreamLog.open({
    servers: proxies.map((p) => p.url),
    ignoreClusterUpdates: true, // else the client learns the servers' own addresses
    name,
    replicas: 3,
    publishTimeoutMs: 300,
    appendDeadlineMs: 1_000,
  });
  try {
    assert.equal(await appendEventually(cutOff, "a1", bytes("1")), 1);
    for (const p of proxies) p.partition();
    await assert.rejects(cutOff.append("a2", bytes("2")), AmbiguousAppendError);
    // The rest of the cluster goes on meanwhile.
    assert.equal(await direct.append("b1", bytes("3")), 2);
    for (const p of proxies) p.heal();
    assert.equal(await appendEventually(cutOff, "a2", bytes("2")), 3);
    assert.deepEqual(
      (await readAll(direct, 1, 3)).map((e) => e.id),
      ["a1", "b1", "a2"],
    );
  } finally {
    await direct.destroy().catch(() => {});
    await direct.close();
    await cutOff.close().catch(() => {});
    for (const p of proxies) await p.stop();
  }
});
