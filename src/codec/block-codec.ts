// Blocks of values for files that hold many records (table snapshots, backups): one kind byte,
// then the body.
//   kind 1: a MessagePack array in msgpackr's record encoding: each object shape is defined once,
//           inline, and each object of that shape is then written as its values only. Every block
//           is self-contained (no shared structure table). About 2x faster to decode than maps.
//   kind 2: encodeTerm(value) of each value, one after another: the term codec's own encoding,
//           for a block holding a value that needs its protection (an own "__proto__" key, a
//           string that is not well-formed UTF-16).
// Decoded values are what decodeTerm(encodeTerm(value)) gives.
import { Packr, Unpackr } from "msgpackr";
import { decodeTerms, encodeTerm, needsProtection } from "./term-codec.js";

export const BLOCK_RECORDS = 1;
export const BLOCK_TERMS = 2;

// The term codec's options, with record encoding. No `structures`: each pack() defines the shapes
// it uses inline, so each block decodes on its own.
const recordPackr = new Packr({ useRecords: true, mapsAsObjects: true, useBigIntExtension: true });
const recordUnpackr = new Unpackr({
  useRecords: true,
  mapsAsObjects: true,
  useBigIntExtension: true,
  // Binaries get their own memory instead of views keeping a whole file's buffer alive.
  copyBuffers: true,
});

export interface Block {
  readonly kind: typeof BLOCK_RECORDS | typeof BLOCK_TERMS;
  readonly body: Uint8Array;
}

/** The block of `values`. */
export function encodeBlock(values: readonly unknown[]): Block {
  for (const v of values) {
    // Value by value, so that each is encoded exactly as encodeTerm(value) would.
    if (needsProtection(v))
      return { kind: BLOCK_TERMS, body: Buffer.concat(values.map(encodeTerm)) };
  }
  return { kind: BLOCK_RECORDS, body: recordPackr.pack(values) };
}

/** The block as one byte array: kind byte, then body. */
export function encodeBlockBytes(values: readonly unknown[]): Buffer {
  const { kind, body } = encodeBlock(values);
  const out = Buffer.allocUnsafe(1 + body.length);
  out[0] = kind;
  out.set(body, 1);
  return out;
}

/** The values of a block; throws an Error saying why when the bytes are not a block. */
export function decodeBlock(kind: number, body: Uint8Array): unknown[] {
  let values: unknown;
  if (kind === BLOCK_RECORDS) values = recordUnpackr.unpack(body);
  // Rare; decoded from a copy so that binaries do not keep a whole file alive.
  else if (kind === BLOCK_TERMS) values = decodeTerms(Buffer.from(body));
  else throw new Error(`unknown block kind ${String(kind)}`);
  if (!Array.isArray(values)) throw new Error("a block that is not an array");
  return values;
}
