// The cluster tests' NATS harness: the repository's script provides nats-server >= 2.10, three
// real servers form a JetStream cluster with sync_interval always, and survive a SIGKILL of one.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { after, before, test } from "node:test";
import { type NatsCluster, natsServerBinary, startNatsCluster } from "./nats-servers.js";

let cluster: NatsCluster;

before(async () => {
  cluster = await startNatsCluster({ size: 3 });
});
after(async () => {
  await cluster?.stop();
});

test("scripts/nats-server.sh provides a nats-server of version 2.10 or later", () => {
  const out = execFileSync(natsServerBinary(), ["--version"], { encoding: "utf8" });
  const m = /v(\d+)\.(\d+)\.(\d+)/.exec(out);
  assert.ok(m, out);
  const [major, minor] = [Number(m[1]), Number(m[2])];
  assert.ok(major > 2 || (major === 2 && minor >= 10), out);
});

test("three servers agree on one JetStream meta leader, with fsync on every write", async () => {
  const leader = await cluster.waitForLeader();
  assert.ok(["n1", "n2", "n3"].includes(leader), leader);
  for (const s of cluster.servers) {
    const jsz = await s.jsz();
    const config = jsz.config as { sync_always?: boolean };
    const meta = jsz.meta_cluster as { cluster_size?: number };
    assert.equal(meta.cluster_size, 3, s.name);
    assert.equal(config.sync_always, true, s.name);
  }
});

test("a server started without sync_interval always says so (the default fsync interval)", async () => {
  const lone = await startNatsCluster({ size: 1, syncAlways: false });
  try {
    const config = (await lone.servers[0]?.jsz())?.config as { sync_always?: boolean };
    assert.equal(config.sync_always ?? false, false);
  } finally {
    await lone.stop();
  }
});

test("after a SIGKILL of the leader the other two elect one, and the killed server rejoins", async () => {
  const leader = await cluster.waitForLeader();
  const victim = cluster.servers.find((s) => s.name === leader);
  assert.ok(victim);
  await victim.kill("SIGKILL");
  const next = await cluster.waitForLeader();
  assert.notEqual(next, leader);
  victim.start();
  assert.equal(await cluster.waitForLeader(), next);
});
