// The control socket's protocol: one request per connection, then the answer, as frames of
// src/disc/frame.ts (u32 LE length | u32 LE CRC-32 | payload), the framing of Mneme's files.
//
//   request   a JSON object { v: 1, op, ... } (at most MAX_REQUEST_BYTES)
//   answer    JSON objects; an error is { error: { reason, message } } and ends the answer.
//             info, tables: { ok: true, summary }.
//             backup: { ok: true, tables, records }, then each block of the backup as the frame
//             a backup file holds (its payload starts with the block kind, 1 to 3, never "{"),
//             then { end: true, blocks, items }.
//             dump: { ok: true }, then { text } pages of the text dump, then { end: true }.
// The service closes the connection after the answer.
import { encodeFrame, FRAME_HEADER_BYTES, readFrame } from "../disc/frame.js";
import { ControlSocketError } from "../errors.js";

export const PROTOCOL_VERSION = 1;
/** The largest request the service reads; a longer one is refused before it is buffered. */
export const MAX_REQUEST_BYTES = 64 * 1024;

export type ControlOp = "info" | "tables" | "backup" | "dump";
export const CONTROL_OPS: readonly ControlOp[] = ["info", "tables", "backup", "dump"];

export interface ControlRequest {
  readonly v: typeof PROTOCOL_VERSION;
  readonly op: ControlOp;
}

export function jsonFrame(value: object): Buffer {
  return encodeFrame(Buffer.from(JSON.stringify(value), "utf8"));
}

/** True when a frame's payload is JSON (an object), not a backup block. */
export function isJsonPayload(payload: Buffer): boolean {
  return payload[0] === 0x7b; // "{"
}

/** A JSON object payload, or undefined when it is not one. */
export function parseJsonPayload(payload: Buffer): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(payload.toString("utf8"));
    return typeof v === "object" && v !== null && !Array.isArray(v)
      ? (v as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Splits a byte stream into frame payloads. A frame longer than `maxPayload` or a damaged one is
 * a ControlSocketError as soon as its header is seen; bytes are kept only up to one frame.
 */
export class FrameReader {
  private chunks: Buffer[] = [];
  private length = 0;

  constructor(private readonly maxPayload: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** Bytes received and not yet returned as a frame. */
  get buffered(): number {
    return this.length;
  }

  /** The next complete frame's payload, or undefined until it has arrived. */
  next(): Buffer | undefined {
    if (this.length < FRAME_HEADER_BYTES) return undefined;
    const head = this.merged(FRAME_HEADER_BYTES);
    const size = head.readUInt32LE(0);
    if (size > this.maxPayload) {
      throw new ControlSocketError(
        `a message of ${size} bytes, more than the ${this.maxPayload} allowed`,
      );
    }
    if (this.length < FRAME_HEADER_BYTES + size) return undefined;
    const buf = this.merged(this.length);
    const frame = readFrame(buf, 0);
    if (frame?.kind !== "frame") {
      throw new ControlSocketError(
        `a damaged message (${frame?.kind === "corrupt" ? frame.why : "truncated"})`,
      );
    }
    const rest = buf.subarray(frame.end);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.length = rest.length;
    return frame.payload;
  }

  /** The first chunk, made at least `n` bytes long by joining chunks. */
  private merged(n: number): Buffer {
    if (this.chunks[0]!.length < n) this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0]!;
  }
}
