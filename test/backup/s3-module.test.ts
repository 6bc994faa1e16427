// The S3 backup module against a real S3-protocol server (s3rver) on loopback.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import {
  DeleteObjectCommand,
  GetObjectCommand,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import S3rver from "s3rver";
import { fileBackupModule } from "../../src/backup/file-module.js";
import type { BackupItem, BackupModule } from "../../src/backup/module.js";
import { s3BackupModule } from "../../src/backup/s3-module.js";
import { BadArgError, CorruptFileError, NoExistsError } from "../../src/errors.js";
import { Mneme } from "../../src/index.js";

// The AWS SDK's notice that its 2027 releases need Node.js 22 is not about this code, and this
// suite runs on Node.js 20 on purpose (the oldest supported): the SDK's own switch turns it off.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = "true";

let dir: string;
let server: S3rver;
let client: S3Client;
let mod: BackupModule;

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-s3-"));
  server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: path.join(dir, "s3"),
    configureBuckets: [{ name: "backups" }],
  });
  const { port } = await server.run();
  client = new S3Client({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
  mod = s3BackupModule({
    endpoint: `http://127.0.0.1:${port}`,
    region: "us-east-1",
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  });
});

after(async () => {
  client?.destroy();
  await server?.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

async function getBytes(key: string): Promise<Buffer> {
  const r = await client.send(new GetObjectCommand({ Bucket: "backups", Key: key }));
  return Buffer.from(await r.Body!.transformToByteArray());
}

async function putBytes(key: string, body: Buffer): Promise<void> {
  await client.send(new PutObjectCommand({ Bucket: "backups", Key: key, Body: body }));
}

async function writeBackup(m: BackupModule, opaque: string, blocks: BackupItem[][]): Promise<void> {
  let h = await m.openWrite(opaque);
  for (const block of blocks) h = await m.write(h, block);
  await m.commitWrite(h);
}

async function readAll(m: BackupModule, opaque: string): Promise<BackupItem[][]> {
  const out: BackupItem[][] = [];
  let h = await m.openRead(opaque);
  try {
    for (;;) {
      const r = await m.read(h);
      if (r === undefined) break;
      h = r.handle;
      out.push([...r.items]);
    }
  } finally {
    await m.closeRead(h);
  }
  return out;
}

function sampleBlocks(): BackupItem[][] {
  const items: BackupItem[] = [];
  for (let i = 0; i < 5000; i++) {
    switch (i % 5) {
      case 0:
        items.push(i * 1.5);
        break;
      case 1:
        items.push(BigInt(i) ** 5n);
        break;
      case 2:
        items.push(`item ${i} ✓`);
        break;
      case 3:
        items.push({ table: "t", k: i, v: { nested: [i, { deep: `x${i}` }], big: -BigInt(i) } });
        break;
      default:
        items.push(new Uint8Array([i & 255, (i >> 8) & 255, 0, 255]));
    }
  }
  const blocks: BackupItem[][] = [];
  for (let i = 0; i < items.length; i += 1200) blocks.push(items.slice(i, i + 1200));
  return blocks;
}

describe("s3BackupModule", () => {
  it("round-trips 5,000 items in several blocks, byte for byte the file format", async () => {
    const blocks = sampleBlocks();
    assert.equal(blocks.length, 5);
    await writeBackup(mod, "s3://backups/round/trip.bak", blocks);
    assert.deepEqual(await readAll(mod, "s3://backups/round/trip.bak"), blocks);

    const file = path.join(dir, "same.bak");
    await writeBackup(fileBackupModule as BackupModule, file, blocks);
    assert.deepEqual(await getBytes("round/trip.bak"), fs.readFileSync(file));
    // and the file module reads the object's bytes as a backup file
    const copy = path.join(dir, "copy.bak");
    fs.writeFileSync(copy, await getBytes("round/trip.bak"));
    assert.deepEqual(await readAll(fileBackupModule as BackupModule, copy), blocks);
  });

  it("a backup of several parts is a multipart upload; aborted, it leaves nothing", async () => {
    // About 24 MiB: three parts of 8 MiB.
    const filler = "y".repeat(1000);
    const blocks: BackupItem[][] = [];
    for (let b = 0; b < 24; b++) {
      blocks.push(
        Array.from({ length: 1000 }, (_, i) => ({ table: "t", record: { b, i, filler } })),
      );
    }
    await writeBackup(mod, "s3://backups/multi", blocks);
    const back = await readAll(mod, "s3://backups/multi");
    assert.equal(back.length, 24);
    assert.deepEqual(back[23]![999], blocks[23]![999]);
    assert.ok((await getBytes("multi")).length > 16 << 20);

    let h = await mod.openWrite("s3://backups/multi-aborted");
    for (const block of blocks) h = await mod.write(h, block);
    await mod.abortWrite(h);
    await assert.rejects(mod.openRead("s3://backups/multi-aborted"), NoExistsError);
  });

  it("an empty backup round-trips", async () => {
    await writeBackup(mod, "s3://backups/empty", []);
    assert.deepEqual(await readAll(mod, "s3://backups/empty"), []);
  });

  it("abortWrite leaves no object and keeps an older committed backup", async () => {
    let h = await mod.openWrite("s3://backups/aborted");
    h = await mod.write(h, [1, 2, 3]);
    await mod.abortWrite(h);
    await assert.rejects(mod.openRead("s3://backups/aborted"), NoExistsError);

    await writeBackup(mod, "s3://backups/kept", [["old"]]);
    let h2 = await mod.openWrite("s3://backups/kept");
    h2 = await mod.write(h2, ["new"]);
    await mod.abortWrite(h2);
    await assert.rejects(mod.write(h2, ["more"]), BadArgError);
    assert.deepEqual(await readAll(mod, "s3://backups/kept"), [["old"]]);
  });

  it("an uncommitted write is not readable; commit replaces the old backup", async () => {
    let h = await mod.openWrite("s3://backups/pending");
    h = await mod.write(h, [{ a: 1 }]);
    await assert.rejects(mod.openRead("s3://backups/pending"), NoExistsError);
    await mod.commitWrite(h);
    assert.deepEqual(await readAll(mod, "s3://backups/pending"), [[{ a: 1 }]]);
    await assert.rejects(mod.commitWrite(h), BadArgError);

    await writeBackup(mod, "s3://backups/pending", [["b"], ["c"]]);
    assert.deepEqual(await readAll(mod, "s3://backups/pending"), [["b"], ["c"]]);
  });

  it("an altered or truncated object is a CorruptFileError naming the object", async () => {
    await writeBackup(mod, "s3://backups/victim", [
      [1, 2, 3],
      ["four", 5n],
    ]);
    const good = await getBytes("victim");

    const altered = Buffer.from(good);
    const at = altered.length - 10;
    altered.writeUInt8(altered.readUInt8(at) ^ 0xff, at);
    await putBytes("victim", altered);
    await assert.rejects(mod.openRead("s3://backups/victim"), (e: unknown) => {
      assert.ok(e instanceof CorruptFileError);
      assert.equal(e.reason, "bad_checksum");
      assert.equal(e.file, "s3://backups/victim");
      assert.match(e.message, /s3:\/\/backups\/victim/);
      return true;
    });

    await putBytes("victim", good.subarray(0, good.length - 3));
    await assert.rejects(mod.openRead("s3://backups/victim"), (e: unknown) => {
      assert.ok(e instanceof CorruptFileError);
      assert.equal(e.reason, "truncated_binary_file");
      assert.equal(e.file, "s3://backups/victim");
      return true;
    });

    await putBytes("victim", Buffer.concat([good, Buffer.from([0])]));
    await assert.rejects(mod.openRead("s3://backups/victim"), CorruptFileError);

    await putBytes("victim", Buffer.alloc(0));
    await assert.rejects(mod.openRead("s3://backups/victim"), CorruptFileError);
  });

  it("a missing key or bucket is a NoExistsError", async () => {
    await client.send(new DeleteObjectCommand({ Bucket: "backups", Key: "nothing" }));
    await assert.rejects(mod.openRead("s3://backups/nothing"), NoExistsError);
    await assert.rejects(mod.openRead("s3://no-such-bucket/x"), NoExistsError);
  });

  it("a bad opaque is a BadArgError", async () => {
    for (const bad of [
      "backups/x",
      "s3://backups",
      "s3://backups/",
      "s3:///x",
      "file:///tmp/x",
      "",
      42,
      undefined,
      { bucket: "backups", key: "x" },
    ]) {
      await assert.rejects(mod.openWrite(bad), BadArgError, String(bad));
      await assert.rejects(mod.openRead(bad), BadArgError, String(bad));
    }
  });

  it("other S3 failures propagate with a clear message", async () => {
    const unreachable = new S3Client({
      endpoint: "http://127.0.0.1:1",
      region: "us-east-1",
      forcePathStyle: true,
      credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
      maxAttempts: 1,
    });
    const denied = s3BackupModule({ client: unreachable });
    let h = await denied.openWrite("s3://backups/unreachable");
    h = await denied.write(h, [1]);
    await assert.rejects(denied.commitWrite(h), /S3 upload of s3:\/\/backups\/unreachable failed/);
    await assert.rejects(
      denied.openRead("s3://backups/unreachable"),
      /S3 GetObject of s3:\/\/backups\/unreachable failed/,
    );
    unreachable.destroy();
  });

  it("backs up and restores a database through S3", async () => {
    const db = await Mneme.open();
    await db.createTable("people", { attributes: ["id", "name", "photo"], index: ["name"] });
    await db.createTable("tags", { attributes: ["k", "v"], type: "bag" });
    for (let i = 0; i < 300; i++) {
      db.dirtyWrite("people", { id: i, name: `p${i}`, photo: new Uint8Array([i & 255]) });
      db.dirtyWrite("tags", { k: i % 7, v: BigInt(i) });
    }
    const snapshot = (t: string) =>
      (db.dirtySelect(t, [[{}, [], ["$_"]]]) as unknown[])
        .map((r) => JSON.stringify(r, (_k, v) => (typeof v === "bigint" ? `${v}n` : v)))
        .sort();
    const people = snapshot("people");
    const tags = snapshot("tags");
    assert.equal(people.length, 300);

    await db.backup("s3://backups/x", mod);
    for (let i = 0; i < 300; i += 2) db.dirtyDelete("people", i);
    db.dirtyWrite("tags", { k: 99, v: 0n });
    assert.notDeepEqual(snapshot("people"), people);

    const restored = await db.restore("s3://backups/x", { module: mod });
    assert.deepEqual([...restored].sort(), ["people", "tags"]);
    assert.deepEqual(snapshot("people"), people);
    assert.deepEqual(snapshot("tags"), tags);
    await assert.rejects(db.restore("s3://backups/missing", { module: mod }), NoExistsError);
    await db.close();
  });
});
