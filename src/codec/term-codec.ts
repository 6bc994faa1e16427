// Mneme values on disc (WAL records, snapshots, LMDB values): MessagePack through msgpackr.
// Bigints of any size survive (msgpackr's bigint extension); numbers stay numbers; binaries come
// back as Buffers, which a table's record builder copies into plain Uint8Arrays and freezes.
import { addExtension, Packr } from "msgpackr";

const packr = new Packr({
  // Self-describing output: no shared structure table to keep beside the files.
  useRecords: false,
  mapsAsObjects: true,
  useBigIntExtension: true,
});

/**
 * Two things MessagePack alone would not bring back: an own "__proto__" key (msgpackr renames it
 * on decode, to keep prototypes safe) and strings that are not well-formed UTF-16 (lone
 * surrogates; UTF-8 cannot hold them). Values containing either travel through these extensions.
 */
class KeyedObject {
  constructor(readonly entries: [unknown, unknown][]) {}
}
class RawString {
  constructor(readonly value: string) {}
}

addExtension({
  Class: KeyedObject,
  type: 0x50,
  write: (o: KeyedObject) => o.entries,
  read: (entries: [string, unknown][]) => {
    const obj: Record<string, unknown> = {};
    for (const [name, value] of entries) {
      Object.defineProperty(obj, name, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return obj;
  },
});

addExtension({
  Class: RawString,
  type: 0x51,
  pack: (s: RawString) => {
    const out = Buffer.alloc(s.value.length * 2);
    for (let i = 0; i < s.value.length; i++) out.writeUInt16LE(s.value.charCodeAt(i), i * 2);
    return out;
  },
  unpack: (b: Buffer) => {
    let str = "";
    for (let i = 0; i + 1 < b.length; i += 2) str += String.fromCharCode(b.readUInt16LE(i));
    return str;
  },
});

const plainKey = (k: string): boolean => k !== "__proto__" && k.isWellFormed();

/**
 * Whether a value holds something MessagePack alone would not bring back, so that encodeTerm
 * sends it through the extensions (snapshots write such records one by one).
 */
export function needsProtection(v: unknown): boolean {
  if (typeof v === "string") return !v.isWellFormed();
  if (typeof v !== "object" || v === null || v instanceof Uint8Array) return false;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) if (needsProtection(v[i])) return true;
    return false;
  }
  // for-in, not Object.keys: this runs on every record logged, and allocates nothing. Values are
  // plain objects (null or Object prototype), whose prototypes have no enumerable properties.
  // Strings and other primitives are tested inline: a record's fields are mostly primitives.
  for (const name in v) {
    if (!plainKey(name)) return true;
    const x = (v as Record<string, unknown>)[name];
    if (typeof x === "string") {
      if (!x.isWellFormed()) return true;
    } else if (typeof x === "object" && x !== null && needsProtection(x)) return true;
  }
  return false;
}

function protect(v: unknown): unknown {
  if (typeof v === "string") return v.isWellFormed() ? v : new RawString(v);
  if (typeof v !== "object" || v === null || v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(protect);
  const names = Object.keys(v);
  const values = names.map((k) => protect((v as Record<string, unknown>)[k]));
  if (names.every(plainKey)) return Object.fromEntries(names.map((k, i) => [k, values[i]]));
  return new KeyedObject(names.map((k, i) => [protect(k), values[i]]));
}

/** The bytes of a value. */
export function encodeTerm(value: unknown): Buffer {
  return packr.pack(needsProtection(value) ? protect(value) : value);
}

/** The value encoded in `bytes` (the whole of it). */
export function decodeTerm(bytes: Uint8Array): unknown {
  return packr.unpack(bytes);
}

/** Reused: the bounds of decodeTermRange's input. */
const RANGE = { start: 0, end: 0 };

/**
 * The value encoded in `bytes[start..end)`, read in place: no view of the range is made (a view
 * is a Buffer, which costs more to make than a small record costs to decode).
 */
export function decodeTermRange(bytes: Uint8Array, start: number, end: number): unknown {
  RANGE.start = start;
  RANGE.end = end;
  return packr.unpack(bytes, RANGE);
}

/** Every value encoded one after another in `bytes`. */
export function decodeTerms(bytes: Uint8Array): unknown[] {
  return packr.unpackMultiple(bytes) as unknown[];
}
