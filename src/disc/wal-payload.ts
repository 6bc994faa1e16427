// What DurableLog writes in a WAL record for a log entry, and reading it back:
//   kind 1 or 2 (a block of src/codec/block-codec.ts) holding one value, { kind, id, ops };
//   kind 4, for a large entry: blocks one after another, each as u32 LE length | block bytes; the
//           first holds [{ kind, id }], each further one a slice of the ops. No single encoding
//           then grows to the size of the whole entry, which costs copies when it is large (a
//           restore of a million records is one entry).
// In both, a run of writes to one table is written as one op { op: "writes", table, keys,
// records }, so that the table name and the op's shape are written once per run, not per record;
// and a load_table op is written as { op: "load_file", table, file }: its records are in the
// snapshot file, which the reader loads them from.
import { BLOCK_RECORDS, BLOCK_TERMS, decodeBlock, encodeBlockBytes } from "../codec/block-codec.js";
import type { Key } from "../keys/index.js";
import type { LogOp } from "../log/entry.js";
import type { Rec } from "../store/store.js";
import type { ActivityId } from "../types.js";

/** What the WAL holds of an entry: the activity and the ops that concern disc. */
export interface WalPayload<Op = LogOp> {
  readonly kind: ActivityId["kind"];
  readonly id: number;
  readonly ops: readonly Op[];
}

/** A load_table op as read back from the WAL: its records are still in the snapshot file. */
export interface LoadFileOp {
  readonly op: "load_file";
  readonly table: string;
  readonly file: string;
}

/** An op read back from the WAL. */
export type ReadOp = Exclude<LogOp, { op: "load_table" }> | LoadFileOp;

const KIND_PIECES = 4;
/** Records (or other ops) per block of a kind 4 payload, and per run of writes. */
const BLOCK_WEIGHT = 1000;

interface WriteRun {
  readonly op: "writes";
  readonly table: string;
  readonly keys: Key[];
  readonly records: Rec[];
}
type WalOp = Exclude<ReadOp, { op: "write" }> | WriteRun;

/** The ops with runs of writes to one table (of at most BLOCK_WEIGHT records) as WriteRuns. */
function compact(ops: readonly LogOp[]): WalOp[] {
  const out: WalOp[] = [];
  let run: WriteRun | undefined;
  for (const op of ops) {
    if (op.op === "load_table") {
      if (op.file === undefined) throw new Error(`load_table of ${op.table} logged without a file`);
      out.push({ op: "load_file", table: op.table, file: op.file });
      run = undefined;
      continue;
    }
    if (op.op !== "write") {
      out.push(op);
      run = undefined;
      continue;
    }
    if (run === undefined || run.table !== op.table || run.keys.length >= BLOCK_WEIGHT) {
      run = { op: "writes", table: op.table, keys: [], records: [] };
      out.push(run);
    }
    run.keys.push(op.key);
    run.records.push(op.record);
  }
  return out;
}

function expand(ops: readonly WalOp[], out: ReadOp[]): void {
  for (const op of ops) {
    if (op.op !== "writes") {
      out.push(op);
      continue;
    }
    const { table, keys, records } = op;
    if (keys.length !== records.length)
      throw new Error("a run of writes with fewer keys than records");
    for (let i = 0; i < keys.length; i++) {
      out.push({ op: "write", table, key: keys[i]!, record: records[i]! });
    }
  }
}

/** The bytes of a WAL record's entry, in parts (their concatenation is the entry). */
export function encodeWalPayload(payload: WalPayload): Uint8Array[] {
  const ops = compact(payload.ops);
  const blocks: WalOp[][] = [[]];
  let weight = 0;
  for (const op of ops) {
    const w = op.op === "writes" ? op.records.length : 1;
    if (weight > 0 && weight + w > BLOCK_WEIGHT) {
      blocks.push([]);
      weight = 0;
    }
    blocks[blocks.length - 1]!.push(op);
    weight += w;
  }
  const { kind, id } = payload;
  // A block of one value: the ops share a few shapes, which record encoding writes once.
  if (blocks.length === 1) return [encodeBlockBytes([{ kind, id, ops }])];
  const parts: Uint8Array[] = [Uint8Array.of(KIND_PIECES)];
  const put = (bytes: Buffer): void => {
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32LE(bytes.length, 0);
    parts.push(length, bytes);
  };
  put(encodeBlockBytes([{ kind, id }]));
  for (const block of blocks) put(encodeBlockBytes(block));
  return parts;
}

/** The payload of a WAL record, as DurableLog wrote it. */
export function decodeWalPayload(bytes: Uint8Array): WalPayload<ReadOp> {
  const block = (at: number, end: number): unknown[] => {
    const kind = bytes[at];
    if (kind !== BLOCK_RECORDS && kind !== BLOCK_TERMS)
      throw new Error("a WAL payload without its block");
    return decodeBlock(kind, bytes.subarray(at + 1, end));
  };
  if (bytes[0] !== KIND_PIECES) {
    const { kind, id, ops } = block(0, bytes.length)[0] as WalPayload<WalOp>;
    const out: ReadOp[] = [];
    expand(ops, out);
    return { kind, id, ops: out };
  }
  const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  let at = 1;
  const next = (): unknown[] => {
    const length = view.readUInt32LE(at);
    const values = block(at + 4, at + 4 + length);
    at += 4 + length;
    return values;
  };
  const { kind, id } = next()[0] as ActivityId;
  const out: ReadOp[] = [];
  while (at < bytes.length) expand(next() as WalOp[], out);
  return { kind, id, ops: out };
}
