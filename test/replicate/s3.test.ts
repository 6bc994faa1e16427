// Replication to s3:// against a real S3-protocol server (s3rver) on loopback: shipping, LIST and
// PUT counts, the server stopped for a while and started again, restore from S3.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import S3rver from "s3rver";
import { Mneme, type ReplicaS3Options } from "../../src/index.js";
import { caughtUp, contentAt, contentOf, newDb, sleep, tempDir, until } from "./helpers.js";

// The AWS SDK's notice that its 2027 releases need Node.js 22 is not about this code (this suite
// runs on Node.js 20 on purpose, the oldest supported): the SDK's own switch turns it off.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

describe("replicate to s3://", () => {
  const tmp = tempDir("replicate-s3");
  let server: S3rver;
  let port: number;
  let s3: ReplicaS3Options;
  const start = async (p = 0) => {
    server = new S3rver({
      port: p,
      address: "127.0.0.1",
      silent: true,
      directory: path.join(tmp, "s3"),
      configureBuckets: [{ name: "replicas" }],
    });
    port = (await server.run()).port;
  };

  before(async () => {
    await start();
    s3 = {
      endpoint: `http://127.0.0.1:${port}`,
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
    };
  });
  after(async () => {
    await server?.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it("ships with a PUT per segment and no LIST in the steady state; restores from S3", async () => {
    const url = "s3://replicas/app/db1";
    const db = await newDb(path.join(tmp, "db1"));
    const rep = db.replicate({ url, s3, syncInterval: 20 });
    await caughtUp(rep);
    const base = rep.status();
    for (let i = 0; i < 50; i++) {
      await db.transaction(async (tx) => {
        await tx.write("t", { k: i, v: i });
        await tx.write("d", { k: i % 9, v: i });
      });
    }
    await caughtUp(rep);
    const s = rep.status();
    // Each shipment is two PUTs (the segment and the manifest); nothing is listed, ever.
    const shipped = s.objectsShipped - base.objectsShipped;
    assert.ok(shipped >= 1);
    assert.equal(s.puts - base.puts, 2 * shipped);
    assert.equal(s.lists, 0);
    assert.equal(s.gets, 1); // the manifest, once, at start
    const want = contentOf(db);
    await db.close();
    const dir = path.join(tmp, "restored1");
    const r = await Mneme.restoreReplica(url, { dir, s3 });
    assert.equal(r.position, s.shippedPosition);
    assert.deepEqual(await contentAt(dir), want);
  });

  it("survives the server going away: retries, keeps the WAL, catches up, loses nothing", async () => {
    const url = "s3://replicas/app/db2";
    const db = await newDb(path.join(tmp, "db2"));
    const rep = db.replicate({ url, s3, syncInterval: 20, maxBackoff: 100 });
    await caughtUp(rep);
    await server.close();
    for (let i = 0; i < 30; i++) {
      await db.transaction(async (tx) => tx.write("t", { k: i, v: i }));
      if (i % 10 === 9) await db.dumpLog();
    }
    await until(() => rep.status().state === "retrying", 10_000, "retrying");
    await sleep(200);
    const away = rep.status();
    assert.equal(away.state, "retrying");
    assert.ok(away.lagPositions >= 30, `lag ${away.lagPositions}`);
    assert.match(away.lastError ?? "", /S3 PutObject failed/);
    await start(port);
    await caughtUp(rep, 15_000);
    assert.equal(rep.status().lagMs, 0);
    const want = contentOf(db);
    await db.close();
    const dir = path.join(tmp, "restored2");
    await Mneme.restoreReplica(url, { dir, s3 });
    assert.deepEqual(await contentAt(dir), want);
    assert.equal(want.t.length, 30);
  });
});
