// Table snapshots: the "DCD" files of Mnesia's disc_copies tables — a whole table dumped at a
// known log position, so that loading a table reads its snapshot and replays only the log after.
//
// File format (every part is a frame of ./frame.ts: u32 LE length | u32 LE CRC-32 | payload):
//
//   frame 0      header   encodeTerm({ format: "mneme-dcd", version: 1, table, position, count, meta? })
//   frames 1..n  blocks   u8 kind | body — the records, in order, up to RECORDS_PER_BLOCK per block:
//                           kind 1: a MessagePack array of the records in msgpackr's *record*
//                                   encoding (each object shape is defined once, inline, and each
//                                   object of that shape is then written as its values only);
//                                   every block is self-contained (no shared structure table).
//                           kind 2: encodeTerm(record) of each record, one after another: the
//                                   term codec's own encoding, used for a block holding a value
//                                   that needs the codec's protection (an own "__proto__" key, a
//                                   string that is not well-formed UTF-16).
//   last frame   trailer  u8 kind 3 | encodeTerm({ end: true, count })
//
// Why blocks in record encoding rather than a frame per record: on 1,000,000 records of six
// fields, one msgpackr unpack per record (plain maps) took ~2.8 s; arrays of 1,000 records as plain
// maps ~1.3 s; arrays of 1,000 records in record encoding ~0.6 s (object creation alone costs
// ~0.4 s on the same machine), and the file is ~20% smaller. The values read back are what
// decodeTerm(encodeTerm(record)) gives, binaries in their own memory (plain Uint8Arrays from kind
// 1 blocks, Buffers from kind 2).
//
// The trailer makes a file cut short on a frame boundary detectable; its count (and the header's)
// must match the records read. Readers verify every frame's checksum before decoding it.
//
// Writers write `file + ".tmp"` (truncating a leftover one), fsync it, rename it over `file` and
// fsync the directory: a crash at any moment leaves the old complete file or the new complete file
// under the final name, never a partial one.
import {
  closeSync,
  promises as fsp,
  fsyncSync,
  openSync,
  read,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from "node:fs";
import { dirname } from "node:path";
import { crc32 } from "node:zlib";
import {
  BLOCK_RECORDS,
  BLOCK_TERMS,
  type Block,
  decodeBlock,
  encodeBlock,
} from "../codec/block-codec.js";
import { decodeTerm, encodeTerm } from "../codec/term-codec.js";
import { CorruptFileError, fileError } from "../errors.js";
import { PRIVATE_MODES, setFileModeSync } from "../file-modes.js";
import { FRAME_HEADER_BYTES, MAX_FRAME_PAYLOAD, readFrame } from "./frame.js";
import { fsyncDir, fsyncDirSync } from "./fsutil.js";

export const SNAPSHOT_FORMAT = "mneme-dcd";
export const SNAPSHOT_VERSION = 1;

export interface SnapshotHeader {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly version: typeof SNAPSHOT_VERSION;
  readonly table: string;
  /** The log position the snapshot reflects. */
  readonly position: number;
  /** The number of records. */
  readonly count: number;
  /** Anything the owner keeps with the records, e.g. the table spec. */
  readonly meta?: unknown;
}

/** What a writer is given; format, version and count are filled in. */
export interface SnapshotHeaderInput {
  readonly table: string;
  readonly position: number;
  readonly meta?: unknown;
}

export interface SnapshotWriteResult {
  /** The size of the file written. */
  readonly bytes: number;
  readonly count: number;
}

export interface Snapshot {
  readonly header: SnapshotHeader;
  readonly records: unknown[];
}

const KIND_TRAILER = 3;

/**
 * Records per block. Blocks of 10,000 rather than 1,000 made copying a snapshot into a backup
 * twice as fast (a tenth of the frames to check and wrap), and loading it no slower.
 */
export const RECORDS_PER_BLOCK = 10_000;
/** A block whose body is larger than this (and holds more than one record) is split in two. */
const BLOCK_MAX_BYTES = 16 << 20;
/** Writers hand the file system chunks of about this size. */
const CHUNK_BYTES = 1 << 20;
/** The async writer lets the event loop run after about this much encoding (ms). */
const SLICE_MS = 5;

/** The blocks of a snapshot of `records`. */
function* recordBlocks(records: readonly unknown[]): Generator<Block> {
  for (let i = 0; i < records.length; i += RECORDS_PER_BLOCK) {
    yield* encodeBlocks(records.slice(i, i + RECORDS_PER_BLOCK));
  }
}

/** The blocks of `records` (split further when a block would be very large). */
export function* encodeBlocks(records: readonly unknown[]): Generator<Block> {
  const block = encodeBlock(records);
  if (block.body.length > BLOCK_MAX_BYTES && records.length > 1) {
    const half = records.length >>> 1;
    yield* encodeBlocks(records.slice(0, half));
    yield* encodeBlocks(records.slice(half));
    return;
  }
  if (1 + block.body.length > MAX_FRAME_PAYLOAD) {
    throw new RangeError(`a record of ${block.body.length} bytes is too large for a snapshot`);
  }
  yield block;
}

/** Writes the frame of `kind | body` (kind < 0: no kind byte) into `out` at `offset`. */
function putFrame(out: Buffer, offset: number, kind: number, body: Uint8Array): number {
  let p = offset + FRAME_HEADER_BYTES;
  if (kind >= 0) out[p++] = kind;
  out.set(body, p);
  const end = p + body.length;
  const payload = out.subarray(offset + FRAME_HEADER_BYTES, end);
  out.writeUInt32LE(payload.length, offset);
  out.writeUInt32LE(crc32(payload), offset + 4);
  return end;
}

/**
 * The bytes of a snapshot, as a sequence of chunks of about CHUNK_BYTES. A chunk may be a view of
 * a buffer reused for the next one: the consumer must be done with it before asking for the next.
 * `undefined` marks the end of a block: a good moment for an async writer to let the event loop run.
 */
function* snapshotChunks(
  header: SnapshotHeaderInput,
  count: number,
  blocks: Iterable<Block>,
): Generator<Uint8Array | undefined> {
  const chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let pos = 0;
  function* frame(kind: number, body: Uint8Array): Generator<Uint8Array> {
    const size = FRAME_HEADER_BYTES + (kind >= 0 ? 1 : 0) + body.length;
    if (pos + size > CHUNK_BYTES && pos > 0) {
      yield chunk.subarray(0, pos);
      pos = 0;
    }
    if (size > CHUNK_BYTES) {
      const own = Buffer.allocUnsafe(size);
      putFrame(own, 0, kind, body);
      yield own;
    } else {
      pos = putFrame(chunk, pos, kind, body);
    }
  }

  const full: SnapshotHeader = {
    format: SNAPSHOT_FORMAT,
    version: SNAPSHOT_VERSION,
    table: header.table,
    position: header.position,
    count,
    ...(header.meta === undefined ? {} : { meta: header.meta }),
  };
  yield* frame(-1, encodeTerm(full));
  for (const block of blocks) {
    yield* frame(block.kind, block.body);
    yield undefined;
  }
  yield* frame(KIND_TRAILER, encodeTerm({ end: true, count }));
  if (pos > 0) yield chunk.subarray(0, pos);
}

function asArray(records: Iterable<unknown>): readonly unknown[] {
  // An array of references, not a copy of the records.
  return Array.isArray(records) ? records : Array.from(records);
}

function removeQuietly(file: string): void {
  try {
    rmSync(file, { force: true });
  } catch {
    // best effort
  }
}

/** Writes a snapshot of `records` to `file`, atomically (see the file's header comment). */
export function writeSnapshotSync(
  file: string,
  header: SnapshotHeaderInput,
  records: Iterable<unknown>,
  mode = PRIVATE_MODES.file,
): SnapshotWriteResult {
  const all = asArray(records);
  const tmp = `${file}.tmp`;
  let fd: number;
  try {
    fd = openSync(tmp, "w", mode);
    setFileModeSync(fd, mode);
  } catch (err) {
    throw fileError(err, tmp, "creating a snapshot");
  }
  let bytes = 0;
  try {
    for (const chunk of snapshotChunks(header, all.length, recordBlocks(all))) {
      if (chunk === undefined) continue;
      let done = 0;
      while (done < chunk.length) done += writeSync(fd, chunk, done, chunk.length - done);
      bytes += chunk.length;
    }
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    removeQuietly(tmp);
    throw fileError(err, tmp, "writing a snapshot");
  }
  closeSync(fd);
  try {
    renameSync(tmp, file);
    fsyncDirSync(dirname(file));
  } catch (err) {
    removeQuietly(tmp);
    throw fileError(err, file, "renaming a snapshot into place");
  }
  return { bytes, count: all.length };
}

/**
 * As {@link writeSnapshotSync}, writing chunks of about 1 MiB through fs.promises so that the event
 * loop runs between them. `records` is read (to an array of references) before the first await.
 */
export async function writeSnapshot(
  file: string,
  header: SnapshotHeaderInput,
  records: Iterable<unknown>,
  mode = PRIVATE_MODES.file,
): Promise<SnapshotWriteResult> {
  const all = asArray(records);
  return writeSnapshotBlocks(file, header, all.length, recordBlocks(all), mode);
}

/**
 * As {@link writeSnapshot}, from blocks already encoded (kind 1 or 2 of block-codec.ts, each of
 * at most 1,000 records, `count` in all): a restore copies a backup's blocks as they are.
 */
export async function writeSnapshotBlocks(
  file: string,
  header: SnapshotHeaderInput,
  count: number,
  blocks: Iterable<Block>,
  mode = PRIVATE_MODES.file,
): Promise<SnapshotWriteResult> {
  const tmp = `${file}.tmp`;
  let fh: fsp.FileHandle;
  try {
    fh = await fsp.open(tmp, "w", mode);
  } catch (err) {
    throw fileError(err, tmp, "creating a snapshot");
  }
  try {
    await fh.chmod(mode);
  } catch (err) {
    await fh.close().catch(() => {});
    await fsp.rm(tmp, { force: true }).catch(() => {});
    throw fileError(err, tmp, "creating a snapshot");
  }
  let bytes = 0;
  try {
    let slice = performance.now();
    for (const chunk of snapshotChunks(header, count, blocks)) {
      if (chunk === undefined) {
        // Encoding is synchronous work: give the event loop a turn every few milliseconds.
        if (performance.now() - slice >= SLICE_MS) {
          await new Promise<void>((resolve) => setImmediate(resolve));
          slice = performance.now();
        }
        continue;
      }
      let done = 0;
      while (done < chunk.length) {
        done += (await fh.write(chunk, done, chunk.length - done)).bytesWritten;
      }
      bytes += chunk.length;
      slice = performance.now();
    }
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => {});
    await fsp.rm(tmp, { force: true }).catch(() => {});
    throw fileError(err, tmp, "writing a snapshot");
  }
  try {
    await fh.close();
    await fsp.rename(tmp, file);
    await fsyncDir(dirname(file));
  } catch (err) {
    await fsp.rm(tmp, { force: true }).catch(() => {});
    throw fileError(err, file, "renaming a snapshot into place");
  }
  return { bytes, count };
}

function corrupt(file: string, offset: number, message: string): CorruptFileError {
  return new CorruptFileError("bad_checksum", message, file, offset);
}

function truncated(file: string, offset: number, message: string): CorruptFileError {
  return new CorruptFileError("truncated_binary_file", message, file, offset);
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function decodeHeader(file: string, payload: Uint8Array): SnapshotHeader {
  let h: unknown;
  try {
    h = decodeTerm(payload);
  } catch (err) {
    throw corrupt(file, 0, `undecodable snapshot header: ${(err as Error).message}`);
  }
  if (!isRecord(h) || h.format !== SNAPSHOT_FORMAT) {
    throw corrupt(file, 0, "not a Mneme table snapshot");
  }
  if (h.version !== SNAPSHOT_VERSION) {
    throw corrupt(file, 0, `unsupported snapshot version ${String(h.version)}`);
  }
  if (
    typeof h.table !== "string" ||
    typeof h.position !== "number" ||
    typeof h.count !== "number" ||
    !Number.isSafeInteger(h.count) ||
    h.count < 0
  ) {
    throw corrupt(file, 0, "malformed snapshot header");
  }
  return h as unknown as SnapshotHeader;
}

/** The record count a trailer's body states; CorruptFileError when it is not a trailer. */
function trailerCount(file: string, offset: number, body: Uint8Array): number {
  let trailer: unknown;
  try {
    trailer = decodeTerm(body);
  } catch {
    trailer = undefined;
  }
  if (!isRecord(trailer) || trailer.end !== true || typeof trailer.count !== "number") {
    throw corrupt(file, offset, "malformed snapshot trailer");
  }
  return trailer.count;
}

/** The header of the snapshot `file` (reads only its first frame). */
export function readSnapshotHeader(file: string): SnapshotHeader {
  const fd = openSync(file, "r");
  try {
    const head = Buffer.alloc(FRAME_HEADER_BYTES);
    const got = readSync(fd, head, 0, head.length, 0);
    if (got < head.length) throw truncated(file, 0, "snapshot ends inside its header");
    const length = head.readUInt32LE(0);
    if (length > MAX_FRAME_PAYLOAD) throw corrupt(file, 0, "impossible header length");
    const payload = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const n = readSync(fd, payload, done, length - done, FRAME_HEADER_BYTES + done);
      if (n === 0) throw truncated(file, 0, "snapshot ends inside its header");
      done += n;
    }
    if (crc32(payload) !== head.readUInt32LE(4)) throw corrupt(file, 0, "header checksum mismatch");
    return decodeHeader(file, payload);
  } finally {
    closeSync(fd);
  }
}

/**
 * The header and records of the snapshot `file`, checked whole: every frame's checksum, the
 * header, and the record count against the trailer's and the header's. Throws CorruptFileError
 * (truncated_binary_file when the file ends before its trailer is complete, bad_checksum for
 * damaged or inconsistent contents) naming the file and the offset of the offending frame.
 */
export function readSnapshot(file: string): Snapshot {
  const buf = readFileSync(file);
  const first = readFrame(buf, 0);
  if (first === undefined) throw truncated(file, 0, "empty snapshot file");
  if (first.kind === "truncated") throw truncated(file, 0, "snapshot ends inside its header");
  if (first.kind === "corrupt") throw corrupt(file, 0, `snapshot header: ${first.why}`);
  const header = decodeHeader(file, first.payload);

  const records: unknown[] = [];
  let offset = first.end;
  for (;;) {
    const f = readFrame(buf, offset);
    if (f === undefined) throw truncated(file, offset, "snapshot ends before its trailer");
    if (f.kind === "truncated") throw truncated(file, offset, "snapshot ends inside a frame");
    if (f.kind === "corrupt") throw corrupt(file, offset, f.why);
    const kind = f.payload[0] ?? -1;
    const body = f.payload.subarray(1);
    if (kind === KIND_TRAILER) {
      const count = trailerCount(file, offset, body);
      if (count !== records.length || header.count !== records.length) {
        throw corrupt(
          file,
          offset,
          `snapshot holds ${records.length} records, its trailer says ${count} and its header ${header.count}`,
        );
      }
      if (f.end !== buf.length) throw corrupt(file, f.end, "data after the snapshot trailer");
      return { header, records };
    }
    let block: unknown[];
    try {
      block = decodeBlock(kind, body);
    } catch (err) {
      throw corrupt(file, offset, `undecodable block: ${(err as Error).message}`);
    }
    for (let i = 0; i < block.length; i++) records.push(block[i]);
    offset = f.end;
  }
}

/** Bytes read from a file at a time by readSnapshotBlocks. */
const READ_BYTES = 4 << 20;

/**
 * The record blocks of a snapshot, as encoded, read from `fd` (open on `file`) from its start:
 * first the header, then each block. Every frame's checksum is verified, and the file must end
 * with its trailer, whose count must be the header's (the caller counts the records). Throws
 * CorruptFileError as readSnapshot does.
 */
export async function* readSnapshotBlocks(
  fd: number,
  file: string,
): AsyncGenerator<SnapshotHeader | Block> {
  let buf = Buffer.allocUnsafe(READ_BYTES);
  let start = 0; // first byte of buf not yet consumed
  let end = 0; // bytes of buf filled
  let filePos = 0; // file offset of buf[0]
  let eof = false;
  const fill = async (): Promise<void> => {
    if (start > 0) {
      buf.copy(buf, 0, start, end);
      filePos += start;
      end -= start;
      start = 0;
    }
    if (end === buf.length) {
      const bigger = Buffer.allocUnsafe(buf.length * 2);
      buf.copy(bigger, 0, 0, end);
      buf = bigger;
    }
    const n = await readAt(fd, buf, end, buf.length - end, filePos + end);
    if (n === 0) eof = true;
    end += n;
  };
  /** The next frame's payload (a copy is not made: valid until the next call). */
  const next = async (what: string): Promise<Buffer> => {
    for (;;) {
      const view = buf.subarray(0, end);
      const f = readFrame(view, start);
      if (f?.kind === "frame") {
        start = f.end;
        return f.payload;
      }
      if (f?.kind === "corrupt") throw corrupt(file, filePos + start, `${what}: ${f.why}`);
      if (eof) throw truncated(file, filePos + start, `snapshot ends before its ${what}`);
      await fill();
    }
  };
  const header = decodeHeader(file, await next("header"));
  yield header;
  for (;;) {
    const at = filePos + start;
    const payload = await next("trailer");
    const kind = payload[0] ?? -1;
    if (kind === KIND_TRAILER) {
      if (trailerCount(file, at, payload.subarray(1)) !== header.count) {
        throw corrupt(file, at, "malformed snapshot trailer");
      }
      if (start !== end || (await readAt(fd, Buffer.alloc(1), 0, 1, filePos + end)) !== 0) {
        throw corrupt(file, filePos + start, "data after the snapshot trailer");
      }
      return;
    }
    if (kind !== BLOCK_RECORDS && kind !== BLOCK_TERMS) {
      throw corrupt(file, at, `unknown block kind ${kind}`);
    }
    // A copy: the buffer is reused for the next reads.
    yield { kind, body: Buffer.from(payload.subarray(1)) };
  }
}

function readAt(
  fd: number,
  buf: Buffer,
  offset: number,
  length: number,
  position: number,
): Promise<number> {
  return new Promise((resolve, reject) => {
    read(fd, buf, offset, length, position, (err, n) => (err ? reject(err) : resolve(n)));
  });
}
