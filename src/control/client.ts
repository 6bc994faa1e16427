// The CLI's side of the control socket (see wire.ts): finds the socket of a directory a running
// service holds, sends one request and reads the answer as it arrives (a slow reader slows the
// service's writing down, nothing piles up in memory).
import { realpathSync } from "node:fs";
import net from "node:net";
import { writeBackup } from "../backup/backup.js";
import { decodeItems } from "../backup/file-module.js";
import type { BackupModule } from "../backup/module.js";
import { BLOCK_GROUP, BLOCK_RECORDS, BLOCK_TERMS } from "../codec/block-codec.js";
import { MAX_FRAME_PAYLOAD } from "../disc/frame.js";
import { ControlSocketError } from "../errors.js";
import { readControlNote } from "./socket-path.js";
import type { DbSummary } from "./summary.js";
import {
  type ControlOp,
  FrameReader,
  isJsonPayload,
  jsonFrame,
  PROTOCOL_VERSION,
  parseJsonPayload,
} from "./wire.js";

const ANSWER_TIMEOUT_MS = 60_000;

/** The control socket a running service of `dir` listens on, per its CONTROL note. */
export function serviceSocket(dir: string): string | undefined {
  try {
    return readControlNote(realpathSync(dir))?.socket;
  } catch {
    return undefined;
  }
}

/** Connects to `socket`; rejects with the system error (ENOENT, ECONNREFUSED, EACCES). */
function connect(socket: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(socket);
    sock.once("error", reject);
    sock.once("connect", () => {
      sock.off("error", reject);
      resolve(sock);
    });
  });
}

/** A connection's answer to one request: its frames' payloads, in order, as they arrive. */
async function* request(socket: string, op: ControlOp): AsyncGenerator<Buffer> {
  let sock: net.Socket;
  try {
    sock = await connect(socket);
  } catch (e) {
    throw new ControlSocketError(
      `the control socket ${socket} does not answer (${(e as Error).message})`,
      { value: socket },
    );
  }
  try {
    // A service that says nothing for this long (its event loop blocked, say) is given up on.
    sock.setTimeout(ANSWER_TIMEOUT_MS, () =>
      sock.destroy(
        new ControlSocketError(`${socket} sent nothing for ${ANSWER_TIMEOUT_MS / 1000} s`, {
          value: socket,
        }),
      ),
    );
    sock.write(jsonFrame({ v: PROTOCOL_VERSION, op }));
    const reader = new FrameReader(MAX_FRAME_PAYLOAD);
    for await (const chunk of sock) {
      reader.push(chunk as Buffer);
      for (let p = reader.next(); p !== undefined; p = reader.next()) yield p;
    }
  } catch (e) {
    if (e instanceof ControlSocketError) throw e;
    throw new ControlSocketError(`reading from ${socket} failed: ${(e as Error).message}`, {
      value: socket,
    });
  } finally {
    sock.destroy();
  }
}

/** An answer's frames with the JSON ones parsed; an error answer is thrown. */
async function* answer(
  socket: string,
  op: ControlOp,
): AsyncGenerator<Record<string, unknown> | Buffer> {
  for await (const payload of request(socket, op)) {
    if (!isJsonPayload(payload)) {
      yield payload;
      continue;
    }
    const msg = parseJsonPayload(payload);
    if (msg === undefined) throw unexpected(socket, "an undecodable message");
    const error = msg.error as { message?: unknown } | undefined;
    if (error !== undefined) {
      throw new ControlSocketError(`the running service refused: ${String(error.message)}`, {
        value: socket,
      });
    }
    yield msg;
  }
  throw unexpected(socket, "the connection closed before the answer was complete");
}

function unexpected(socket: string, what: string): ControlSocketError {
  return new ControlSocketError(`${socket}: ${what}`, { value: socket });
}

/** The first message of an answer: { ok: true, ... }. */
async function opened(
  frames: AsyncGenerator<Record<string, unknown> | Buffer>,
  socket: string,
): Promise<Record<string, unknown>> {
  const first = await frames.next();
  if (first.done || Buffer.isBuffer(first.value) || first.value.ok !== true) {
    throw unexpected(socket, "an answer that does not start with ok");
  }
  return first.value;
}

/** What `mneme info` and `mneme tables` print, from the running service. */
export async function remoteSummary(socket: string): Promise<DbSummary> {
  const frames = answer(socket, "info");
  try {
    const msg = await opened(frames, socket);
    return msg.summary as DbSummary;
  } finally {
    await frames.return(undefined);
  }
}

/**
 * A backup of the running service written through `module` to `opaque`, as if the CLI had made it
 * (the blocks arrive as a backup file holds them); aborted, leaving nothing, if anything fails.
 * `module` is made once the service has said how many tables and records it is about to send.
 */
export async function remoteBackup(
  socket: string,
  opaque: unknown,
  module: (size: { tables: number; records: number }) => BackupModule,
): Promise<{ tables: number; records: number }> {
  const frames = answer(socket, "backup");
  try {
    const msg = await opened(frames, socket);
    const head = { tables: Number(msg.tables), records: Number(msg.records) };
    await writeBackup(module(head), opaque, async (w) => {
      let blocks = 0;
      let items = 0;
      for await (const f of frames) {
        if (!Buffer.isBuffer(f)) {
          if (f.end !== true || f.blocks !== blocks || f.items !== items) {
            throw unexpected(socket, "a backup whose counts disagree with its blocks");
          }
          return;
        }
        const kind = f[0]!;
        if (kind !== BLOCK_RECORDS && kind !== BLOCK_TERMS && kind !== BLOCK_GROUP) {
          throw unexpected(socket, `a block of unknown kind ${kind}`);
        }
        let block: ReturnType<typeof decodeItems>;
        try {
          block = decodeItems(kind, f.subarray(1));
        } catch (e) {
          throw unexpected(socket, `an undecodable block (${(e as Error).message})`);
        }
        blocks += 1;
        if (block.encoded !== undefined && w.writeEncoded !== undefined) {
          items += block.encoded.count;
          await w.writeEncoded(block.encoded);
        } else {
          const blockItems = block.items();
          items += blockItems.length;
          await w.write(blockItems);
        }
      }
    });
    return head;
  } finally {
    await frames.return(undefined);
  }
}

/** The text dump of the running service, page by page (see textfile.ts for the format). */
export async function* remoteDump(socket: string): AsyncGenerator<string> {
  const frames = answer(socket, "dump");
  try {
    await opened(frames, socket);
    for await (const f of frames) {
      if (Buffer.isBuffer(f)) throw unexpected(socket, "binary data in a text dump");
      if (f.end === true) return;
      if (typeof f.text !== "string") throw unexpected(socket, "a dump page without text");
      yield f.text;
    }
  } finally {
    await frames.return(undefined);
  }
}
