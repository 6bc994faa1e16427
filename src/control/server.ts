// The control socket of a running disc database: lets the CLI (another process of the same user)
// inspect the database and back it up while this process holds its directory (see wire.ts for
// the protocol, socket-path.ts for where it lives). Read-only: info, tables, a text dump and a
// backup, the last two through a checkpoint, so they are consistent while writes go on.
//
// A client can never hurt the database: a request is at most MAX_REQUEST_BYTES (a longer one is
// refused from its length alone), anything malformed gets an error answer and the connection is
// closed, at most MAX_CONNECTIONS are served at once, a client that sends nothing or stops
// reading is dropped after a timeout (its backup is then aborted and its checkpoint released),
// and an answer is written only as fast as the client reads it (nothing is queued beyond a
// block). Nothing a client does is thrown into the database or logged above debug.
import { chmodSync, realpathSync } from "node:fs";
import net from "node:net";
import { blockFrame, encodedFrame } from "../backup/file-module.js";
import { isRecordItem, isSchemaItem } from "../backup/items.js";
import type { BackupItem, BackupModule } from "../backup/module.js";
import { recordLine, TEXTFILE_HEADER, tableDefLine } from "../backup/textfile.js";
import type { Mneme } from "../db/database.js";
import { ControlSocketError, MnemeError } from "../errors.js";
import type { LogSink } from "../observe/log-sink.js";
import type { AnyRecord } from "../types.js";
import {
  controlSocketPath,
  prepareSocketDir,
  removeControlNote,
  removeStaleSocket,
  writeControlNote,
} from "./socket-path.js";
import { summarize } from "./summary.js";
import {
  CONTROL_OPS,
  type ControlOp,
  FrameReader,
  jsonFrame,
  MAX_REQUEST_BYTES,
  PROTOCOL_VERSION,
  parseJsonPayload,
} from "./wire.js";

/** Connections served at once; more are closed at once by the kernel's accept. */
export const MAX_CONNECTIONS = 16;
/** A client must send its request within this time. */
const REQUEST_TIMEOUT_MS = 10_000;
/** How long a client refused with an error answer has to read it. */
const ERROR_GRACE_MS = 2_000;
/** A client that reads nothing of its answer for this long is dropped. */
const IDLE_TIMEOUT_MS = 60_000;

export interface ControlServerOptions {
  /** Mode of the socket and the CONTROL note (the database's fileMode). */
  readonly fileMode: number;
  readonly log: LogSink;
}

export class ControlServer {
  private readonly sockets = new Set<net.Socket>();
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly db: Mneme,
    private readonly dir: string,
    readonly socketPath: string,
    private readonly server: net.Server,
  ) {}

  /**
   * Removes what a killed holder of `dir` left (its CONTROL note and socket). Called under the
   * directory lock, also when this database opens no socket, so that the CLI never tries one.
   */
  static clearStale(dir: string): void {
    try {
      const real = realpathSync(dir);
      removeControlNote(real);
      removeStaleSocket(controlSocketPath(real));
    } catch {
      // Best effort: with no CONTROL note, nothing points to what is left.
    }
  }

  /**
   * Listens on the control socket of `dir` (held by this process). Never fails the open: a
   * socket that cannot be made is a warning, and the database runs without it.
   */
  static async start(
    db: Mneme,
    dir: string,
    options: ControlServerOptions,
  ): Promise<ControlServer | undefined> {
    // Windows has no Unix socket files guarded by the directory's mode: no control socket there.
    if (process.platform === "win32") return undefined;
    let server: net.Server | undefined;
    try {
      const real = realpathSync(dir);
      removeControlNote(real);
      const socketPath = controlSocketPath(real);
      prepareSocketDir(socketPath);
      removeStaleSocket(socketPath);
      server = net.createServer();
      server.maxConnections = MAX_CONNECTIONS;
      await listen(server, socketPath);
      // As private as the database's files: whoever may connect may read them anyway.
      chmodSync(socketPath, options.fileMode);
      const control = new ControlServer(db, real, socketPath, server);
      server.on("connection", (sock) => control.accept(sock));
      // Never an error thrown into the process: the listening socket itself failed.
      server.on("error", (e) =>
        options.log.warn({ event: "control_failed", err: e }, `control socket: ${e.message}`),
      );
      server.unref(); // the socket keeps no process alive
      writeControlNote(real, { socket: socketPath, pid: process.pid }, options.fileMode);
      return control;
    } catch (e) {
      server?.close(() => undefined);
      const message = e instanceof Error ? e.message : String(e);
      const text = `no control socket for ${dir} (the CLI cannot reach this database while it runs): ${message}`;
      if (options.log.enabled) options.log.warn({ event: "control_failed", dir, err: e }, text);
      else console.warn(`mneme: ${text}`);
      return undefined;
    }
  }

  /** Stops listening, drops every connection (a backup under way is aborted), removes the socket. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
      for (const sock of this.sockets) sock.destroy();
      await closed;
      try {
        removeControlNote(this.dir);
        removeStaleSocket(this.socketPath);
      } catch {
        // Left behind: the next open removes them.
      }
    })();
    return this.closing;
  }

  private accept(sock: net.Socket): void {
    this.sockets.add(sock);
    sock.once("close", () => this.sockets.delete(sock));
    sock.on("error", () => sock.destroy()); // a client that went away: nothing to do
    sock.setTimeout(REQUEST_TIMEOUT_MS, () => sock.destroy());
    const reader = new FrameReader(MAX_REQUEST_BYTES);
    const onData = (chunk: Buffer) => {
      let payload: Buffer | undefined;
      try {
        reader.push(chunk);
        payload = reader.next();
      } catch (e) {
        sock.off("data", onData);
        void this.answerError(sock, e);
        return;
      }
      if (payload === undefined) return;
      // One request per connection: anything more is a broken client.
      sock.off("data", onData);
      sock.on("data", () => sock.destroy());
      void this.serve(sock, payload, reader.buffered > 0);
    };
    sock.on("data", onData);
  }

  private async serve(sock: net.Socket, payload: Buffer, extra: boolean): Promise<void> {
    try {
      if (extra) throw new ControlSocketError("data after the request");
      const op = requestOp(payload);
      sock.setTimeout(IDLE_TIMEOUT_MS, () => sock.destroy());
      await this.run(op, (frame) => send(sock, frame));
      sock.end();
    } catch (e) {
      await this.answerError(sock, e);
    }
  }

  private async run(op: ControlOp, out: (frame: Buffer) => Promise<void>): Promise<void> {
    switch (op) {
      case "info":
      case "tables":
        await out(jsonFrame({ ok: true, summary: summarize(this.db) }));
        return;
      case "backup": {
        const { tables } = summarize(this.db);
        const records = tables.reduce((n, t) => n + t.size, 0);
        await out(jsonFrame({ ok: true, tables: tables.length, records }));
        await this.db.backup("control socket", relayModule(out));
        return;
      }
      case "dump":
        await out(jsonFrame({ ok: true }));
        await this.db.backup("control socket", textModule(this.db, out));
        return;
    }
  }

  /** Sends an error answer (if the client is still there) and closes the connection. */
  private async answerError(sock: net.Socket, e: unknown): Promise<void> {
    const reason = e instanceof MnemeError ? e.reason : "control_failed";
    const message = e instanceof Error ? e.message : String(e);
    // A client that goes on sending would keep the connection up: it gets a moment to read.
    const hangUp = setTimeout(() => sock.destroy(), ERROR_GRACE_MS);
    hangUp.unref();
    sock.once("close", () => clearTimeout(hangUp));
    try {
      if (!sock.destroyed) await send(sock, jsonFrame({ error: { reason, message } }));
      sock.end();
    } catch {
      sock.destroy();
    }
  }
}

function listen(server: net.Server, path: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(path, () => {
      server.off("error", reject);
      resolve();
    });
  });
}

/** The operation a request asks for; ControlSocketError for anything else. */
function requestOp(payload: Buffer): ControlOp {
  const req = parseJsonPayload(payload);
  if (req === undefined) throw new ControlSocketError("the request is not a JSON object");
  if (req.v !== PROTOCOL_VERSION) {
    throw new ControlSocketError(
      `protocol version ${String(req.v)} is not supported (this service speaks ${PROTOCOL_VERSION})`,
    );
  }
  if (!(CONTROL_OPS as readonly unknown[]).includes(req.op)) {
    throw new ControlSocketError(
      `unknown request ${JSON.stringify(req.op)}: ${CONTROL_OPS.join(", ")} are served`,
    );
  }
  return req.op as ControlOp;
}

/** Writes `frame`, resolving once the socket takes more (backpressure), rejecting if it closed. */
function send(sock: net.Socket, frame: Buffer): Promise<void> {
  if (sock.destroyed || sock.writableEnded) return Promise.reject(gone());
  if (sock.write(frame)) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const drained = () => {
      sock.off("close", closed);
      resolve();
    };
    const closed = () => {
      sock.off("drain", drained);
      reject(gone());
    };
    sock.once("drain", drained);
    sock.once("close", closed);
  });
}

const gone = () => new ControlSocketError("the client closed the connection");

/**
 * A backup module that sends each block as the frame a backup file holds, and the counts at the
 * end; the CLI writes them through its own module (a file, standard output, S3).
 */
function relayModule(out: (frame: Buffer) => Promise<void>): BackupModule<null, never> {
  let blocks = 0;
  let items = 0;
  return {
    openWrite: async () => null,
    write: async (h, block) => {
      await out(blockFrame(block));
      blocks += 1;
      items += block.length;
      return h;
    },
    writeEncoded: async (h, records) => {
      await out(encodedFrame(records));
      blocks += 1;
      items += records.count;
      return h;
    },
    commitWrite: async () => out(jsonFrame({ end: true, blocks, items })),
    abortWrite: async () => undefined,
    openRead: notReadable,
    read: notReadable,
    closeRead: notReadable,
  };
}

async function notReadable(): Promise<never> {
  throw new ControlSocketError("the control socket's backup module only writes");
}

/** A backup module that sends a block of items as a page of the text dump (textfile.ts). */
function textModule(db: Mneme, out: (frame: Buffer) => Promise<void>): BackupModule<null, never> {
  const attributes = new Map<string, readonly string[]>();
  let first = true;
  return {
    openWrite: async () => null,
    write: async (h, block: readonly BackupItem[]) => {
      const lines: string[] = first ? [TEXTFILE_HEADER] : [];
      first = false;
      for (const item of block) {
        if (isSchemaItem(item)) {
          if (item.schema === "schema") continue;
          attributes.set(item.schema, item.definition.attributes);
          lines.push(tableDefLine(db, item.schema));
        } else if (isRecordItem(item)) {
          const attrs = attributes.get(item.table);
          if (attrs !== undefined)
            lines.push(recordLine(item.table, attrs, item.record as AnyRecord));
        }
      }
      if (lines.length > 0) await out(jsonFrame({ text: `${lines.join("\n")}\n` }));
      return h;
    },
    commitWrite: async () => {
      if (first) await out(jsonFrame({ text: `${TEXTFILE_HEADER}\n` }));
      await out(jsonFrame({ end: true }));
    },
    abortWrite: async () => undefined,
    openRead: notReadable,
    read: notReadable,
    closeRead: notReadable,
  };
}
