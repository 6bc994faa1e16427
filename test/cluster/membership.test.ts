// Membership on real servers: nodes see each other come up, a node that leaves is down at once,
// a SIGKILLed node process is down after the timeout, and up again when it restarts.
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, test } from "node:test";
import { connect, type NatsConnection } from "@nats-io/transport-node";
import { Membership } from "../../src/cluster/membership.js";
import { ROOT, runChild } from "../crash/child.js";
import { type NatsCluster, startNatsCluster } from "./nats-servers.js";

let cluster: NatsCluster;
const connections: NatsConnection[] = [];

before(async () => {
  cluster = await startNatsCluster({ size: 3 });
});
after(async () => {
  for (const nc of connections) await nc.close();
  await cluster?.stop();
});

async function until(what: string, cond: () => boolean, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function member(node: string, events: string[]): Promise<Membership> {
  const nc = await connect({ servers: cluster.urls });
  connections.push(nc);
  return Membership.start(nc, {
    cluster: "m",
    node,
    intervalMs: 200,
    replicas: 3,
    onUp: (n) => events.push(`up ${n}`),
    onDown: (n) => events.push(`down ${n}`),
  });
}

test("up, leave, killed and back", async () => {
  const eventsA: string[] = [];
  const a = await member("a", eventsA);
  const b = await member("b", []);
  await until("a to see b", () => a.running().join() === "a,b");
  assert.deepEqual(b.running(), ["a", "b"]);

  await b.stop();
  await until("a to see b leave", () => a.running().join() === "a");
  assert.deepEqual(eventsA, ["up a", "up b", "down b"]);

  // A member in another process, killed with SIGKILL: no goodbye, only silence.
  const script = path.join(ROOT, "test/cluster/fixtures/member-child.ts");
  const killedAt: number[] = [];
  const child = runChild(script, [cluster.urls.join(","), "m", "c"], {
    killOnLine: (l) => l === "up",
    delayMs: 500,
  });
  await until("a to see c", () => a.running().includes("c"));
  const result = await child;
  killedAt.push(Date.now());
  assert.equal(result.signal, "SIGKILL", result.stderr);
  await until("a to see c down", () => !a.running().includes("c"), 5_000);
  const waited = Date.now() - (killedAt[0] as number);
  assert.ok(waited <= 1_500, `down after ${waited} ms (timeout 600 ms, interval 200 ms)`);
  assert.deepEqual(eventsA.slice(3), ["up c", "down c"]);

  const again = runChild(script, [cluster.urls.join(","), "m", "c"], {
    killOnLine: (l) => l === "up",
    delayMs: 300,
  });
  await until("a to see c again", () => a.running().includes("c"));
  await again;
  await a.stop();
});
