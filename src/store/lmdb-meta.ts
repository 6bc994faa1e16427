// Checks LMDB's two meta pages in JavaScript before LMDB maps the file: LMDB trusts them (a zeroed
// first meta page makes lmdb-js crash the process with SIGSEGV; a second one with a higher txnid
// but garbage roots is used as it is), so a damaged file must be refused, or mended, first.
//
// The layout read here is the one of the LMDB bundled with lmdb-js 3 on a 64-bit platform
// (mdb.c, MDB_page_header and MDB_meta; data version 2):
//   page header (24 bytes): u64 pgno | u64 txnid | u16 pad | u16 flags (P_META 0x08) | u16 lower | u16 upper
//   meta, after the header: u32 magic 0xBEEFC0DE | u32 version | u64 address | u64 mapsize |
//     2 x MDB_db (48 bytes: u32 pad, the page size in the first | u16 flags | u16 depth |
//       u64 branch, leaf, overflow pages | u64 entries | u64 root) | u64 last page | u64 txnid
// Meta page i is page i, so meta 1 starts at the page size (lmdb-env.ts opens LMDB without
// overlappingSync, which would add a third meta page).
import fs from "node:fs";
import { CorruptFileError } from "../errors.js";

/** Every LMDB page starts with this header (page number, flags, lower/upper bounds). */
export const PAGE_HEADER = 24;
const P_META = 0x08;
const MAGIC = 0xbeefc0de;
const DATA_VERSION = 2;
const MIN_PAGE = 512;
const MAX_PAGE = 65536;
/** lmdb-js's page size unless told otherwise (where meta 1 is looked for first). */
const DEFAULT_PAGE = 4096;
/** An empty tree's root. */
export const NO_PAGE = 0xffff_ffff_ffff_ffffn;

export interface MetaPage {
  readonly pageSize: number;
  readonly lastPage: bigint;
  readonly txnid: bigint;
  /** The roots of the free-page tree and of the main tree (NO_PAGE when empty). */
  readonly roots: readonly [bigint, bigint];
}

/**
 * What checkDataFile found: the meta page LMDB will use (none for a new file); `repaired` says
 * which meta page it rewrote from the other.
 */
export interface MetaCheck {
  readonly meta?: MetaPage;
  readonly repaired?: { readonly page: number; readonly offset: number; readonly why: string };
}

/**
 * Checks `file` (an LMDB data.mdb) before LMDB opens it. A missing or empty file is fine (LMDB
 * creates it) unless `mustExist` (tables are known to be in it): then it is refused. Throws
 * CorruptFileError naming the file when no meta page is valid, the file is shorter than its meta
 * pages or than the pages their roots name. When one meta page is damaged and the other is valid,
 * rewrites the damaged one as a copy of the valid one if `repair`, so that LMDB uses the valid
 * one (otherwise it would crash or read garbage); else refuses.
 */
export function checkDataFile(file: string, repair: boolean, mustExist: boolean): MetaCheck {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
    if (mustExist) throw missing(file);
    return {};
  }
  try {
    const size = fs.fstatSync(fd).size;
    if (size === 0) {
      if (mustExist) throw missing(file);
      return {};
    }
    const first = readAt(fd, 0, MAX_PAGE * 2);
    const m0 = parseMeta(first, 0, size);
    // Meta 1 is at the page size: known from meta 0, else tried at every possible page size.
    let m1 = parseMeta(first, m0.meta?.pageSize ?? DEFAULT_PAGE, size);
    for (
      let p = MIN_PAGE;
      m0.meta === undefined && m1.meta === undefined && p <= MAX_PAGE;
      p *= 2
    ) {
      const at = parseMeta(first, p, size);
      if (at.meta !== undefined) m1 = at;
    }
    const metas = [m0, m1];
    const good = metas.findIndex((m) => m.meta !== undefined);
    if (good < 0) {
      throw new CorruptFileError(
        "invalid_file",
        `the LMDB file of the disc_only_copies tables is damaged: no valid meta page (page 0: ${m0.why}; page 1: ${m1.why}); restore the database from a backup`,
        file,
        0,
      );
    }
    const bad = metas.findIndex((m) => m.meta === undefined);
    if (bad < 0) {
      const [a, b] = [m0.meta!, m1.meta!];
      // LMDB uses the meta page of the latest transaction.
      if (a.pageSize === b.pageSize) return { meta: a.txnid >= b.txnid ? a : b };
      throw new CorruptFileError(
        "invalid_file",
        "the LMDB file of the disc_only_copies tables is damaged: its two meta pages disagree on the page size; restore the database from a backup",
        file,
        0,
      );
    }
    const pageSize = metas[good]!.meta!.pageSize;
    const why = metas[bad]!.why;
    if (!repair) {
      throw new CorruptFileError(
        "invalid_file",
        `the LMDB file of the disc_only_copies tables is damaged: meta page ${bad} is invalid (${why}); open with autoRepair to rewrite it from meta page ${good}`,
        file,
        bad * pageSize,
      );
    }
    // The valid meta page, renumbered: LMDB then finds the same (valid) state in both.
    const page = Buffer.from(first.subarray(good * pageSize, (good + 1) * pageSize));
    page.writeBigUInt64LE(BigInt(bad), 0);
    const out = fs.openSync(file, "r+");
    try {
      fs.writeSync(out, page, 0, pageSize, bad * pageSize);
      fs.fsyncSync(out);
    } finally {
      fs.closeSync(out);
    }
    return { meta: metas[good]!.meta!, repaired: { page: bad, offset: bad * pageSize, why } };
  } finally {
    fs.closeSync(fd);
  }
}

function missing(file: string): CorruptFileError {
  return new CorruptFileError(
    "truncated_binary_file",
    "the LMDB file of the disc_only_copies tables is missing or empty, but the checkpoint (schema.DAT) lists disc_only_copies tables: their records would be lost; restore the database from a backup",
    file,
    0,
  );
}

interface Parsed {
  readonly meta?: MetaPage;
  readonly why: string;
}

/** The meta page at `offset` of `buf` (the file's first bytes) if valid, else why not. */
function parseMeta(buf: Buffer, offset: number, fileSize: number): Parsed {
  const pgno = offset === 0 ? 0n : 1n;
  if (buf.length < offset + PAGE_HEADER + 136) return { why: "the file ends before it" };
  if (buf.readBigUInt64LE(offset) !== pgno) return { why: "wrong page number" };
  if ((buf.readUInt16LE(offset + 18) & P_META) === 0) return { why: "not a meta page" };
  const m = offset + PAGE_HEADER;
  if (buf.readUInt32LE(m) !== MAGIC) return { why: "bad magic number" };
  if ((buf.readUInt32LE(m + 4) & 0xffff) !== DATA_VERSION) return { why: "unknown version" };
  const pageSize = buf.readUInt32LE(m + 24);
  if (pageSize < MIN_PAGE || pageSize > MAX_PAGE || (pageSize & (pageSize - 1)) !== 0) {
    return { why: `impossible page size ${pageSize}` };
  }
  if (offset !== 0 && offset !== pageSize) return { why: "page size does not match its place" };
  if (fileSize < 2 * pageSize) return { why: "the file is shorter than its meta pages" };
  const lastPage = buf.readBigUInt64LE(m + 120);
  const txnid = buf.readBigUInt64LE(m + 128);
  const pages = BigInt(Math.floor(fileSize / pageSize));
  const roots = [buf.readBigUInt64LE(m + 64), buf.readBigUInt64LE(m + 112)] as const;
  for (const root of roots) {
    if (root === NO_PAGE) continue;
    if (root < 2n || root > lastPage) return { why: `impossible root page ${root}` };
    if (root >= pages) return { why: `root page ${root} is past the end of the file` };
  }
  return { meta: { pageSize, lastPage, txnid, roots }, why: "" };
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  const n = fs.readSync(fd, buf, 0, length, position);
  return buf.subarray(0, n);
}
