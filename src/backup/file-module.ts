// The default backup module: a backup is one file, `opaque` is its path.
//
// Format (version 1), a sequence of frames (src/disc/frame.ts: u32 LE length | u32 LE CRC-32 |
// payload):
//   header   encodeTerm({ format: "mneme-backup", version: 1 })
//   blocks   one frame per write() call: a block of its items (src/codec/block-codec.ts): when
//            the items are records of one table, kind 3 with the table name once and the bare
//            records (read back as {table, record} items); otherwise kind 1 or 2, the items in
//            msgpackr's record encoding or as terms. A frame holding encodeTerm(array of items)
//            is read as a block too
//   trailer  encodeTerm({ end: true, blocks: <number of blocks>, items: <number of items> })
// and nothing after the trailer. A block starts with byte 1 or 2, an encoded map never does, and
// blocks are arrays where the trailer is an object, so they cannot be confused.
//
// Writing goes to `path + ".tmp"`; commitWrite appends the trailer, fsyncs, renames over `path` and
// fsyncs the directory, so `path` is always either the old backup or the complete new one.
// Frames are gathered into chunks of a few MB, and a chunk is written while the next one fills.
// abortWrite deletes the tmp file. Two writers of the same path at once are not supported.
//
// openRead loads and verifies the whole file before yielding anything, so a damaged backup is
// rejected up front, never read in part: a file that ends early (no trailer, or inside a frame) is
// CorruptFileError("truncated_binary_file"); one that was altered (bad CRC, bad header, format or
// version, undecodable block, counts that disagree with the trailer, data after the trailer) is
// CorruptFileError("bad_checksum"). Binaries come back as plain Uint8Arrays.
import type { FileHandle } from "node:fs/promises";
import { open, rename, unlink } from "node:fs/promises";
import { dirname } from "node:path";
import {
  BLOCK_GROUP,
  BLOCK_RECORDS,
  BLOCK_TERMS,
  decodeBlock,
  decodeGroupBlock,
  encodeBlockBytes,
  encodeGroupBlockBytes,
  groupBlockBytesFromBody,
} from "../codec/block-codec.js";
import { decodeTerm, encodeTerm } from "../codec/term-codec.js";
import { encodeFrame, readFrame } from "../disc/frame.js";
import { fsyncDir } from "../disc/fsutil.js";
import { BadArgError, CorruptFileError, FileNotFoundError, fileError } from "../errors.js";
import { checkMode, PRIVATE_MODES } from "../file-modes.js";
import { type RecordItem, tableOfRecords } from "./items.js";
import type { BackupItem, BackupModule, BackupReadResult, EncodedRecords } from "./module.js";
import { namingFinal, writeTarget } from "./write-target.js";

export const BACKUP_FORMAT = "mneme-backup";
export const BACKUP_VERSION = 1;

/** The frames of the format, shared with the modules that store the same bytes elsewhere (S3). */
export const headerFrame = (): Buffer =>
  encodeFrame(encodeTerm({ format: BACKUP_FORMAT, version: BACKUP_VERSION }));
/** The header frame every backup of this version starts with. */
const HEADER = headerFrame();

export function blockFrame(items: readonly BackupItem[]): Buffer {
  const table = tableOfRecords(items);
  const group =
    table === undefined
      ? undefined
      : encodeGroupBlockBytes(
          table,
          items.map((item) => (item as RecordItem).record),
        );
  return encodeFrame(group ?? encodeBlockBytes(items));
}
/**
 * The frame of records given encoded: their bytes under their table's name, or (a name that needs
 * the term codec's protection) the block of their record items.
 */
export function encodedFrame(records: EncodedRecords): Buffer {
  const bytes = groupBlockBytesFromBody(records.table, records.body);
  return bytes === undefined ? blockFrame(decodeRecordItems(records)) : encodeFrame(bytes);
}
export const trailerFrame = (blocks: number, items: number): Buffer =>
  encodeFrame(encodeTerm({ end: true, blocks, items }));

export interface FileWriteHandle {
  readonly path: string;
  readonly tmpPath: string;
  /** Written in place (a pipe or device, see write-target.ts): no tmp file, no rename. */
  readonly stream?: boolean;
  /** @internal */ readonly state: {
    fd: FileHandle | undefined;
    blocks: number;
    items: number;
    done: boolean;
    /** Frames not yet handed to the file. */
    pending: Buffer[];
    pendingBytes: number;
    /** The chunk being written, if any. */
    writing: Promise<void> | undefined;
  };
}

/** Frames are written in chunks of about this many bytes. */
const CHUNK_BYTES = 4 << 20;

export interface FileReadHandle {
  readonly path: string;
  /** @internal */ readonly blocks: readonly ParsedBlock[];
  /** @internal */ readonly next: number;
}

function backupPath(opaque: unknown): string {
  if (typeof opaque !== "string" || opaque === "") {
    throw new BadArgError("a file backup is named by a non-empty path string", { value: opaque });
  }
  return opaque;
}

function openState(handle: FileWriteHandle): FileHandle {
  const fd = handle.state.fd;
  if (handle.state.done || fd === undefined) {
    throw new BadArgError(`backup ${handle.path} is already committed or aborted`);
  }
  return fd;
}

async function writeAll(fd: FileHandle, chunks: readonly Buffer[], path: string): Promise<void> {
  try {
    for (const bytes of chunks) {
      let done = 0;
      while (done < bytes.length) {
        const { bytesWritten } = await fd.write(bytes, done, bytes.length - done);
        done += bytesWritten;
      }
    }
  } catch (e) {
    throw fileError(namingFinal(e, path), path, "writing the backup");
  }
}

/** Queues a frame; once a chunk is full, waits for the previous chunk and starts writing this one. */
async function put(handle: FileWriteHandle, frame: Buffer): Promise<void> {
  const { state } = handle;
  state.pending.push(frame);
  state.pendingBytes += frame.length;
  if (state.pendingBytes >= CHUNK_BYTES) await startChunk(handle);
}

async function startChunk(handle: FileWriteHandle): Promise<void> {
  const { state } = handle;
  const fd = openState(handle);
  const chunks = state.pending;
  state.pending = [];
  state.pendingBytes = 0;
  await state.writing;
  state.writing = writeAll(fd, chunks, handle.path);
  // Observed by the next put or by commitWrite; abortWrite ignores it.
  state.writing.catch(() => {});
}

async function removeTmp(tmpPath: string): Promise<void> {
  try {
    await unlink(tmpPath);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
  }
}

/**
 * `v` with every Buffer replaced by a plain Uint8Array copy (containers are updated in place).
 * Needed for the term-encoded blocks only: the others decode binaries as plain Uint8Arrays.
 */
function unbuffer(v: unknown): unknown {
  if (typeof v !== "object" || v === null) return v;
  if (v instanceof Uint8Array) return Buffer.isBuffer(v) ? new Uint8Array(v) : v;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) v[i] = unbuffer(v[i]);
    return v;
  }
  const obj = v as Record<string, unknown>;
  for (const name of Object.keys(obj)) {
    const inner = obj[name];
    if (typeof inner === "object" && inner !== null) {
      Object.defineProperty(obj, name, {
        value: unbuffer(inner),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
  }
  return obj;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof Uint8Array);
}

/** The record items of records given encoded. */
function decodeRecordItems(records: EncodedRecords): RecordItem[] {
  const values = decodeBlock(BLOCK_RECORDS, records.body);
  if (values.length !== records.count) {
    throw new BadArgError(
      `encoded records of ${records.table}: ${values.length} records, not ${records.count}`,
    );
  }
  return recordItems(records.table, values);
}

/**
 * A block of a backup file: its items, and for records of one table their encoded form. The
 * items of such a block are made when read: a whole file's records are held at once, and a
 * million item objects held with them would only make garbage collection slower.
 */
export interface ParsedBlock {
  items(): readonly BackupItem[];
  readonly encoded?: EncodedRecords;
  /** With `encoded`: the decoded records. */
  readonly records?: readonly unknown[];
}

/** The items of a block of records of one table. */
function recordItems(table: string, records: readonly unknown[]): RecordItem[] {
  const items = new Array<RecordItem>(records.length);
  for (let i = 0; i < records.length; i++) {
    items[i] = { table, record: records[i] as RecordItem["record"] };
  }
  return items;
}

/** The items of a block of kind 1, 2 or 3 (also those a running service sends, src/control). */
export function decodeItems(kind: number, body: Buffer): ParsedBlock {
  if (kind === BLOCK_GROUP) {
    const { group, values, valuesBody } = decodeGroupBlock(body);
    for (const v of values) {
      if (typeof v !== "object" || v === null) throw new Error("a record that is not an object");
      // Records come back frozen, as Mneme hands records out; a restore can then keep them as
      // they are instead of copying them.
      Object.freeze(v);
    }
    return {
      items: () => recordItems(group, values),
      encoded: { table: group, count: values.length, body: valuesBody },
      records: values,
    };
  }
  const values = decodeBlock(kind, body);
  const items = kind === BLOCK_TERMS ? (unbuffer(values) as BackupItem[]) : values;
  return { items: () => items };
}

/** The read result of a parsed block. */
export function readResult<R>(handle: R, block: ParsedBlock): BackupReadResult<R> {
  const { encoded, records } = block;
  if (encoded === undefined || records === undefined) return { handle, items: block.items() };
  // Items made on first access: a restore reads `records` and never needs them.
  let items: readonly BackupItem[] | undefined;
  return {
    handle,
    encoded,
    records,
    get items() {
      items ??= block.items();
      return items;
    },
  };
}

/**
 * Parses and verifies a backup's frames as its bytes arrive: `bytes` has the size of the whole
 * backup, and `advance(filled)` parses the frames that lie wholly within its first `filled` bytes,
 * so that reading the rest of a file goes on while the first blocks are decoded.
 */
class BackupParser {
  readonly blocks: ParsedBlock[] = [];
  private items = 0;
  private offset = 0;
  private header = false;
  private done = false;

  constructor(
    private readonly bytes: Buffer,
    private readonly file: string,
  ) {}

  private bad(message: string, offset: number): CorruptFileError {
    return new CorruptFileError("bad_checksum", message, this.file, offset);
  }

  private decodeAt(payload: Buffer, offset: number): unknown {
    try {
      return decodeTerm(payload);
    } catch {
      throw this.bad("undecodable frame", offset);
    }
  }

  advance(filled: number): void {
    const view = filled === this.bytes.length ? this.bytes : this.bytes.subarray(0, filled);
    while (!this.done) {
      const offset = this.offset;
      const what = this.header ? "trailer" : "header";
      const frame = readFrame(view, offset);
      if (frame === undefined || frame.kind === "truncated") {
        if (filled < this.bytes.length) return; // the rest has not arrived yet
        if (!this.header) this.checkHeaderStart(view);
        throw new CorruptFileError(
          "truncated_binary_file",
          `backup ends before its ${what}`,
          this.file,
          offset,
        );
      }
      if (frame.kind === "corrupt") {
        if (!this.header) this.checkHeaderStart(view);
        throw this.bad(`${what}: ${frame.why}`, offset);
      }
      this.offset = frame.end;
      if (!this.header) {
        this.checkHeader(frame.payload);
        continue;
      }
      this.frame(frame.payload, offset, frame.end);
    }
  }

  /** A file that does not start as a backup does is not one (Mnesia: not_a_log_file). */
  private checkHeaderStart(view: Buffer): void {
    const n = Math.min(view.length, HEADER.length);
    if (!view.subarray(0, n).equals(HEADER.subarray(0, n))) {
      throw new CorruptFileError("not_a_log_file", "not a Mneme backup file", this.file, 0);
    }
  }

  private checkHeader(payload: Buffer): void {
    let header: unknown;
    try {
      header = decodeTerm(payload);
    } catch {
      header = undefined;
    }
    if (!isRecord(header) || header.format !== BACKUP_FORMAT || Object.keys(header).length !== 2) {
      throw new CorruptFileError(
        "not_a_log_file",
        "not a Mneme backup file (bad header)",
        this.file,
        0,
      );
    }
    if (header.version !== BACKUP_VERSION) {
      const message = `unsupported backup version ${String(header.version)}`;
      throw new CorruptFileError("not_a_log_file", message, this.file, 0);
    }
    this.header = true;
  }

  /** A frame after the header: a block, or the trailer. */
  private frame(payload: Buffer, offset: number, end: number): void {
    const first = payload[0];
    if (first === BLOCK_RECORDS || first === BLOCK_TERMS || first === BLOCK_GROUP) {
      let block: ParsedBlock;
      try {
        block = decodeItems(first, payload.subarray(1));
      } catch (e) {
        throw this.bad(`undecodable block: ${(e as Error).message}`, offset);
      }
      this.blocks.push(block);
      this.items += block.encoded?.count ?? block.items().length;
      return;
    }
    const term = this.decodeAt(payload, offset);
    if (Array.isArray(term)) {
      const termItems = unbuffer(term) as BackupItem[];
      this.blocks.push({ items: () => termItems });
      this.items += term.length;
      return;
    }
    if (
      !isRecord(term) ||
      term.end !== true ||
      Object.keys(term).length !== 3 ||
      term.blocks !== this.blocks.length ||
      term.items !== this.items
    ) {
      throw this.bad("bad trailer (or its counts disagree with the blocks)", offset);
    }
    if (end !== this.bytes.length) throw this.bad("data after the trailer", end);
    this.done = true;
  }
}

/** Parses and verifies a whole backup file; returns its blocks. */
export function parseBackup(bytes: Buffer, file: string): ParsedBlock[] {
  const parser = new BackupParser(bytes, file);
  parser.advance(bytes.length);
  return parser.blocks;
}

/** Bytes read at a time from a backup file, the next read going on while a chunk is parsed. */
const READ_BYTES = 8 << 20;

/** Reads and verifies a whole backup file, parsing each chunk while the next one is read. */
async function readBackupFile(path: string): Promise<ParsedBlock[]> {
  let fh: FileHandle;
  try {
    fh = await open(path, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") {
      throw new FileNotFoundError("no backup file", path);
    }
    throw fileError(e, path, "opening the backup");
  }
  try {
    const { size } = await fh.stat();
    const bytes = Buffer.allocUnsafe(size);
    const parser = new BackupParser(bytes, path);
    let filled = 0;
    const readAt = (at: number) => fh.read(bytes, at, Math.min(READ_BYTES, size - at), at);
    let reading = size > 0 ? readAt(0) : undefined;
    try {
      while (reading !== undefined) {
        const { bytesRead } = await reading;
        reading = undefined;
        if (bytesRead === 0) {
          throw new CorruptFileError(
            "truncated_binary_file",
            "backup file shrank while it was read",
            path,
            filled,
          );
        }
        filled += bytesRead;
        if (filled < size) reading = readAt(filled);
        parser.advance(filled);
      }
    } finally {
      // A damaged block found while the next chunk is read: that read ends before the file closes.
      await reading?.catch(() => undefined);
    }
    parser.advance(size);
    return parser.blocks;
  } finally {
    await fh.close();
  }
}

/**
 * The file module writing backup files with `mode` (exactly, whatever the umask); the default
 * module, fileBackupModule, writes them private (0o600), as the database's own files.
 */
export function fileBackupModuleWithMode(
  mode: number,
): BackupModule<FileWriteHandle, FileReadHandle> {
  checkMode("mode", mode);
  if (mode === PRIVATE_MODES.file) return fileBackupModule;
  return { ...fileBackupModule, openWrite: (opaque: unknown) => openWrite(opaque, mode) };
}

async function openWrite(opaque: unknown, mode: number): Promise<FileWriteHandle> {
  const target = await writeTarget(backupPath(opaque));
  if (target.stream) return openStreamWrite(target.path);
  const path = target.path;
  const tmpPath = `${path}.tmp`;
  let fd: FileHandle;
  try {
    fd = await open(tmpPath, "w", mode);
  } catch (e) {
    throw fileError(namingFinal(e, path), path, "creating the backup file");
  }
  try {
    await fd.chmod(mode);
  } catch (e) {
    await fd.close().catch(() => {});
    await removeTmp(tmpPath);
    throw fileError(namingFinal(e, path), path, "setting the mode of the backup file");
  }
  return startWrite(path, tmpPath, fd);
}

/** A pipe or device: written in place (it cannot be renamed over, synced or deleted). */
async function openStreamWrite(path: string): Promise<FileWriteHandle> {
  let fd: FileHandle;
  try {
    fd = await open(path, "w");
  } catch (e) {
    throw fileError(e, path, "opening the backup output");
  }
  return startWrite(path, path, fd, true);
}

async function startWrite(
  path: string,
  tmpPath: string,
  fd: FileHandle,
  stream = false,
): Promise<FileWriteHandle> {
  const handle: FileWriteHandle = {
    path,
    tmpPath,
    stream,
    state: {
      fd,
      blocks: 0,
      items: 0,
      done: false,
      pending: [],
      pendingBytes: 0,
      writing: undefined,
    },
  };
  try {
    await put(handle, headerFrame());
  } catch (e) {
    await fileBackupModule.abortWrite(handle).catch(() => {});
    throw e;
  }
  return handle;
}

export const fileBackupModule: BackupModule<FileWriteHandle, FileReadHandle> = {
  openWrite(opaque: unknown): Promise<FileWriteHandle> {
    return openWrite(opaque, PRIVATE_MODES.file);
  },

  async write(handle: FileWriteHandle, items: readonly BackupItem[]): Promise<FileWriteHandle> {
    openState(handle);
    if (!Array.isArray(items)) throw new BadArgError("items must be an array", { value: items });
    await put(handle, blockFrame(items));
    handle.state.blocks += 1;
    handle.state.items += items.length;
    return handle;
  },

  async writeEncoded(handle: FileWriteHandle, records: EncodedRecords): Promise<FileWriteHandle> {
    openState(handle);
    await put(handle, encodedFrame(records));
    handle.state.blocks += 1;
    handle.state.items += records.count;
    return handle;
  },

  async commitWrite(handle: FileWriteHandle): Promise<void> {
    const fd = openState(handle);
    const { blocks, items } = handle.state;
    await put(handle, trailerFrame(blocks, items));
    await startChunk(handle);
    await handle.state.writing;
    if (handle.stream) {
      handle.state.fd = undefined;
      handle.state.done = true;
      await fd.close().catch(() => {});
      return;
    }
    try {
      await fd.sync();
      handle.state.fd = undefined;
      await fd.close();
      await rename(handle.tmpPath, handle.path);
      handle.state.done = true;
      await fsyncDir(dirname(handle.path));
    } catch (e) {
      throw fileError(namingFinal(e, handle.path), handle.path, "completing the backup");
    }
  },

  async abortWrite(handle: FileWriteHandle): Promise<void> {
    const { state } = handle;
    if (state.done) return;
    state.done = true;
    const fd = state.fd;
    state.fd = undefined;
    try {
      await state.writing?.catch(() => {});
      await fd?.close();
    } finally {
      if (!handle.stream) await removeTmp(handle.tmpPath);
    }
  },

  async openRead(opaque: unknown): Promise<FileReadHandle> {
    const path = backupPath(opaque);
    return { path, blocks: await readBackupFile(path), next: 0 };
  },

  async read(handle: FileReadHandle): Promise<BackupReadResult<FileReadHandle> | undefined> {
    const block = handle.blocks[handle.next];
    if (block === undefined) return undefined;
    return readResult({ ...handle, next: handle.next + 1 }, block);
  },

  async closeRead(_handle: FileReadHandle): Promise<void> {},
};
