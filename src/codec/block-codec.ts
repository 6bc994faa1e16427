// Blocks of values for files that hold many records (table snapshots, backups): one kind byte,
// then the body.
//   kind 1: a MessagePack array in msgpackr's record encoding: each object shape is defined once,
//           inline, and each object of that shape is then written as its values only. Every block
//           is self-contained (no shared structure table). About 2x faster to decode than maps.
//   kind 2: encodeTerm(value) of each value, one after another: the term codec's own encoding,
//           for a block holding a value that needs its protection (an own "__proto__" key, a
//           string that is not well-formed UTF-16).
//   kind 3: [group, values] in the record encoding of kind 1: values that share one group name
//           (a backup's records of one table), so that the name is written once, not per value.
//           Only for values that need no protection.
// Decoded values are what decodeTerm(encodeTerm(value)) gives, except that binaries of kinds 1
// and 3 come back as plain Uint8Arrays (not Buffers).
import { Packr, Unpackr } from "msgpackr";
import { decodeTerms, encodeTerm, needsProtection } from "./term-codec.js";

export const BLOCK_RECORDS = 1;
export const BLOCK_TERMS = 2;
export const BLOCK_GROUP = 3;

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

/**
 * The kind 3 block of `values` under one group name, as one byte array (kind byte, then body);
 * undefined when a value needs the term codec's protection (then write a kind 1 or 2 block).
 */
export function encodeGroupBlockBytes(
  group: string,
  values: readonly unknown[],
): Buffer | undefined {
  if (needsProtection(group)) return undefined;
  for (const v of values) if (needsProtection(v)) return undefined;
  const body = recordPackr.pack([group, values]);
  const out = Buffer.allocUnsafe(1 + body.length);
  out[0] = BLOCK_GROUP;
  out.set(body, 1);
  return out;
}

/**
 * The kind 3 block (as one byte array) of the values that `valuesBody` (the body of a kind 1
 * block) encodes, under one group name: no value is decoded or encoded again. Undefined when the
 * name needs the term codec's protection.
 */
export function groupBlockBytesFromBody(group: string, valuesBody: Uint8Array): Buffer | undefined {
  if (needsProtection(group)) return undefined;
  const name = recordPackr.pack(group);
  const out = Buffer.allocUnsafe(2 + name.length + valuesBody.length);
  out[0] = BLOCK_GROUP;
  out[1] = 0x92; // a MessagePack array of two: the name, then the values
  out.set(name, 2);
  out.set(valuesBody, 2 + name.length);
  return out;
}

/**
 * The group name and values of a kind 3 block's body; throws an Error when it is not one.
 * `valuesBody` is the part of the body that encodes the values: the body of a kind 1 block of
 * them (the group name holds no records, so the values' record shapes are all defined in it).
 */
export function decodeGroupBlock(body: Uint8Array): {
  group: string;
  values: unknown[];
  valuesBody: Uint8Array;
} {
  const v = recordUnpackr.unpack(plain(body));
  if (
    body[0] !== 0x92 ||
    !Array.isArray(v) ||
    v.length !== 2 ||
    typeof v[0] !== "string" ||
    !Array.isArray(v[1])
  ) {
    throw new Error("a group block that is not [name, values]");
  }
  const start = 1 + strHeader(body, 1) + Buffer.byteLength(v[0]);
  return { group: v[0], values: v[1], valuesBody: body.subarray(start) };
}

/** The size of the header of the MessagePack string at `at`. */
function strHeader(b: Uint8Array, at: number): number {
  const t = b[at]!;
  if (t >= 0xa0 && t <= 0xbf) return 1;
  if (t === 0xd9) return 2;
  if (t === 0xda) return 3;
  if (t === 0xdb) return 5;
  throw new Error("a group block whose name is not a string");
}

/** The number of values in a kind 1 block's body (read from its array header), without decoding. */
export function recordCount(body: Uint8Array): number | undefined {
  const t = body[0];
  if (t === undefined) return undefined;
  if (t >= 0x90 && t <= 0x9f) return t & 0x0f;
  const view = Buffer.from(body.buffer, body.byteOffset, body.length);
  if (t === 0xdc && body.length >= 3) return view.readUInt16BE(1);
  if (t === 0xdd && body.length >= 5) return view.readUInt32BE(1);
  return undefined;
}

// msgpackr copies binaries out of its source with the source's own class: from a plain
// Uint8Array view they come back as plain Uint8Arrays, as Mneme hands binaries out.
const plain = (b: Uint8Array): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);

/** The values of a block of kind 1 or 2; throws an Error saying why when the bytes are not one. */
export function decodeBlock(kind: number, body: Uint8Array): unknown[] {
  let values: unknown;
  if (kind === BLOCK_RECORDS) values = recordUnpackr.unpack(plain(body));
  // Rare; decoded from a copy so that binaries do not keep a whole file alive.
  else if (kind === BLOCK_TERMS) values = decodeTerms(Buffer.from(body));
  else throw new Error(`unknown block kind ${String(kind)}`);
  if (!Array.isArray(values)) throw new Error("a block that is not an array");
  return values;
}
