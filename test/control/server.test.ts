// The control socket of a running disc database (src/control): where it is, that it goes away at
// close, that `control: false` opens none, and that no client can hurt the database serving it.
import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileBackupModule } from "../../src/backup/file-module.js";
import { remoteBackup, remoteSummary, serviceSocket } from "../../src/control/client.js";
import { MAX_CONNECTIONS } from "../../src/control/server.js";
import { jsonFrame, MAX_REQUEST_BYTES } from "../../src/control/wire.js";
import { encodeFrame } from "../../src/disc/frame.js";
import { Mneme } from "../../src/index.js";

let root = "";
before(() => {
  root = mkdtempSync(path.join(os.tmpdir(), "mneme-control-"));
});
after(() => {
  rmSync(root, { recursive: true, force: true });
});

let n = 0;
async function openDb(options: { control?: boolean; dir?: string } = {}): Promise<Mneme> {
  const dir = options.dir ?? path.join(root, `db${n++}`);
  const db = await Mneme.open({
    dir,
    create: true,
    ...(options.control === undefined ? {} : { control: options.control }),
  });
  await db.ensureTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
  db.transactionSync((tx) => {
    for (let k = 0; k < 100; k++) tx.write("t", { k, v: `v${k}` });
  });
  return db;
}

/** Connects, sends `bytes`, and collects what the service sends until it closes. */
function exchange(socket: string, bytes: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(socket);
    const got: Buffer[] = [];
    sock.on("data", (d) => got.push(d));
    sock.on("error", reject);
    sock.on("close", () => resolve(Buffer.concat(got)));
    sock.write(bytes);
  });
}

/** The JSON of each frame of an answer. */
function frames(bytes: Buffer): unknown[] {
  const out: unknown[] = [];
  for (let at = 0; at < bytes.length; ) {
    const len = bytes.readUInt32LE(at);
    out.push(JSON.parse(bytes.subarray(at + 8, at + 8 + len).toString("utf8")));
    at += 8 + len;
  }
  return out;
}

const refused = (message: string) => [{ error: { reason: "control_failed", message } }];

describe("control socket: where it is", () => {
  it("listens on <dir>/control.sock (0600), named in CONTROL, and removes both at close", async () => {
    const db = await openDb();
    const dir = db.config.dir;
    const socket = path.join(dir, "control.sock");
    try {
      assert.equal(lstatSync(socket).isSocket(), true);
      assert.equal(lstatSync(socket).mode & 0o777, 0o600);
      assert.deepEqual(JSON.parse(readFileSync(path.join(dir, "CONTROL"), "utf8")), {
        socket,
        pid: process.pid,
      });
      assert.equal(serviceSocket(dir), socket);
      const summary = await remoteSummary(socket);
      assert.deepEqual(summary.tables, [
        { name: "t", type: "set", storageType: "disc_copies", size: 100, attributes: ["k", "v"] },
      ]);
    } finally {
      await db.close();
    }
    assert.equal(existsSync(socket), false);
    assert.equal(existsSync(path.join(dir, "CONTROL")), false);
  });

  it("control: false opens no socket and removes a CONTROL note left behind", async () => {
    const first = await openDb();
    const dir = first.config.dir;
    await first.close();
    // What a killed holder leaves: its note (the socket test is test/crash/control.test.ts).
    const note = JSON.stringify({ socket: path.join(dir, "control.sock"), pid: 1 });
    await import("node:fs/promises").then((fs) => fs.writeFile(path.join(dir, "CONTROL"), note));
    const db = await Mneme.open({ dir, control: false });
    try {
      assert.equal(existsSync(path.join(dir, "control.sock")), false);
      assert.equal(existsSync(path.join(dir, "CONTROL")), false);
      assert.equal(serviceSocket(dir), undefined);
    } finally {
      await db.close();
    }
  });

  it("a directory too deep for a socket path gets one in a private directory under tmpdir", async () => {
    const deep = path.join(root, "d".repeat(60), "e".repeat(60));
    mkdirSync(deep, { recursive: true });
    const db = await openDb({ dir: path.join(deep, "db") });
    try {
      const socket = serviceSocket(db.config.dir)!;
      const uid = process.getuid!();
      const privateDir = path.join(os.tmpdir(), `mneme-${uid}`);
      assert.equal(path.dirname(socket), privateDir);
      assert.match(path.basename(socket), /^[0-9a-f]{32}\.sock$/);
      assert.equal(lstatSync(privateDir).mode & 0o777, 0o700);
      assert.equal(lstatSync(socket).mode & 0o777, 0o600);
      assert.equal((await remoteSummary(socket)).tables[0]!.size, 100);
      await db.close();
      assert.equal(existsSync(socket), false);
    } finally {
      await db.close();
    }
  });
});

describe("control socket: hostile clients", () => {
  it("garbage, huge or broken frames, bad requests, idle, half-sent and too many connections: each refused, the database unharmed", async () => {
    const db = await openDb();
    const socket = path.join(db.config.dir, "control.sock");
    const idle: net.Socket[] = [];
    try {
      assert.deepEqual(
        frames(await exchange(socket, Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n"))),
        refused(
          `control_failed: a message of 542393671 bytes, more than the ${MAX_REQUEST_BYTES} allowed`,
        ),
      );
      const huge = Buffer.alloc(8);
      huge.writeUInt32LE(0xffffffff, 0);
      assert.deepEqual(
        frames(await exchange(socket, huge)),
        refused(
          `control_failed: a message of 4294967295 bytes, more than the ${MAX_REQUEST_BYTES} allowed`,
        ),
      );
      const damaged = jsonFrame({ v: 1, op: "info" });
      damaged.writeUInt8(damaged.readUInt8(damaged.length - 2) ^ 1, damaged.length - 2);
      assert.deepEqual(
        frames(await exchange(socket, damaged)),
        refused("control_failed: a damaged message (checksum mismatch)"),
      );
      assert.deepEqual(
        frames(await exchange(socket, encodeFrame(Buffer.from("\x00\xff not json")))),
        refused("control_failed: the request is not a JSON object"),
      );
      assert.deepEqual(
        frames(await exchange(socket, jsonFrame({ v: 1, op: "restore" }))),
        refused('control_failed: unknown request "restore": info, tables, backup, dump are served'),
      );
      assert.deepEqual(
        frames(await exchange(socket, jsonFrame({ v: 2, op: "info" }))),
        refused("control_failed: protocol version 2 is not supported (this service speaks 1)"),
      );
      assert.deepEqual(
        frames(
          await exchange(
            socket,
            Buffer.concat([jsonFrame({ v: 1, op: "info" }), jsonFrame({ v: 1, op: "info" })]),
          ),
        ),
        refused("control_failed: data after the request"),
      );

      // Connections that send nothing, half a request, or a backup request they never read,
      // more than the service serves at once.
      for (let i = 0; i < MAX_CONNECTIONS + 4; i++) {
        const sock = net.connect(socket);
        sock.on("error", () => undefined);
        if (i % 3 === 1) sock.write(jsonFrame({ v: 1, op: "info" }).subarray(0, 10));
        if (i % 3 === 2) {
          sock.write(jsonFrame({ v: 1, op: "backup" }));
          sock.pause();
        }
        idle.push(sock);
      }
      await new Promise((r) => setTimeout(r, 200));

      // The database goes on committing meanwhile.
      for (let k = 100; k < 150; k++) {
        await db.transaction(async (tx) => tx.write("t", { k, v: `v${k}` }));
      }
      assert.equal(db.tableInfo("t", "size"), 150);

      // Once the idle clients are gone, the socket serves again, and a backup is whole.
      for (const s of idle) s.destroy();
      await new Promise((r) => setTimeout(r, 100));
      assert.equal((await remoteSummary(socket)).tables[0]!.size, 150);
      const file = path.join(root, `hostile-${n}.BUP`);
      assert.deepEqual(await remoteBackup(socket, file, () => fileBackupModule), {
        tables: 1,
        records: 150,
      });
      const count = await db.traverseBackup(
        file,
        fileBackupModule,
        undefined,
        "read_only",
        (_item, c: number) => [[], c + 1],
        0,
      );
      assert.equal(count, 151); // the schema item and 150 records
    } finally {
      for (const s of idle) s.destroy();
      await db.close();
    }
  });

  it("a refused client that goes on sending is disconnected", async () => {
    const db = await openDb();
    const sock = net.connect(path.join(db.config.dir, "control.sock"));
    sock.on("error", () => undefined);
    const closed = new Promise<void>((resolve) => sock.on("close", () => resolve()));
    const flood = setInterval(() => sock.write(Buffer.alloc(1024, 0x41)), 20);
    try {
      const started = Date.now();
      await closed;
      assert.ok(Date.now() - started < 5_000, "disconnected within the grace period");
      assert.equal(db.tableInfo("t", "size"), 100);
    } finally {
      clearInterval(flood);
      sock.destroy();
      await db.close();
    }
  });

  it("a backup under way when the database closes is aborted: the CLI's file is not written", async () => {
    const db = await openDb();
    const socket = path.join(db.config.dir, "control.sock");
    // Many blocks, read slowly: the close comes while the backup streams.
    db.transactionSync((tx) => {
      for (let k = 0; k < 20_000; k++) tx.write("t", { k, v: "x".repeat(200) });
    });
    const file = path.join(root, `aborted-${n}.BUP`);
    // The database closes as the CLI side writes the first block it received: the backup is
    // then surely under way (a timer could let a fast machine finish it first).
    let closing: Promise<void> | undefined;
    const slow = {
      ...fileBackupModule,
      write: async (h: never, items: readonly unknown[]) => {
        closing ??= db.close();
        await new Promise((r) => setTimeout(r, 20));
        return fileBackupModule.write(h, items);
      },
    };
    const backup = remoteBackup(socket, file, () => slow as typeof fileBackupModule);
    await assert.rejects(backup, {
      name: "ControlSocketError",
      message: /^control_failed: /,
    });
    await closing;
    assert.equal(existsSync(file), false);
    assert.equal(existsSync(`${file}.tmp`), false);
  });
});
