// Walks every page of LMDB's trees in JavaScript before LMDB opens the file: LMDB does not check
// a page it follows (a zeroed or overwritten page makes it fail an assertion and abort the
// process, or read garbage), so a page that is not what its parent says is refused here first.
//
// Page layout (mdb.c of the LMDB bundled with lmdb-js 3, 64-bit; header as in lmdb-meta.ts):
//   u64 pgno | u64 txnid | u16 pad | u16 flags | u16 lower | u16 upper (u32 page count on an
//   overflow page) | u16 node offsets (lower / 2 of them, relative to the end of the header)
//   node: u16 lo | u16 hi | u16 flags | u16 key size | key | data
//   branch node: child page = lo | hi << 16 | flags << 32; leaf node: data size = lo | hi << 16,
//   F_BIGDATA: data is the u64 first page of an overflow run; F_SUBDATA: data is the 48-byte
//   record of a named database (root at offset 40).
import fs from "node:fs";
import { CorruptFileError } from "../errors.js";
import { PAGE_HEADER as HEADER, type MetaPage, NO_PAGE } from "./lmdb-meta.js";

const NODE_HEADER = 8;
const P_BRANCH = 0x01;
const P_LEAF = 0x02;
const P_OVERFLOW = 0x04;
const P_LEAF2 = 0x20;
const F_BIGDATA = 0x01;
const F_SUBDATA = 0x02;
const F_DUPDATA = 0x04;
/** Deeper than any real tree: a cycle of pages. */
const MAX_DEPTH = 64;

/**
 * Checks every page reachable from `meta` (the free-page tree, the main tree and each named
 * database in it, overflow runs): each must be in the file, carry its own page number and be of
 * the kind its parent expects, with nodes inside the page. Throws CorruptFileError naming the
 * file and the page's offset otherwise. Reads each page of the trees once.
 */
export function checkPages(file: string, meta: MetaPage): void {
  const fd = fs.openSync(file, "r");
  try {
    new PageWalker(file, fd, meta).walkAll();
  } finally {
    fs.closeSync(fd);
  }
}

class PageWalker {
  private readonly size: number;
  private readonly pages: bigint;
  private readonly buf: Buffer;

  constructor(
    private readonly file: string,
    private readonly fd: number,
    private readonly meta: MetaPage,
  ) {
    this.size = meta.pageSize;
    this.pages = BigInt(Math.floor(fs.fstatSync(fd).size / this.size));
    this.buf = Buffer.alloc(this.size);
  }

  walkAll(): void {
    const [free, main] = this.meta.roots;
    this.walk(free, 0, false);
    this.walk(main, 0, true);
  }

  /** The tree rooted at `pgno`; `named`: its leaves hold named databases (the main tree). */
  private walk(pgno: bigint, depth: number, named: boolean): void {
    if (pgno === NO_PAGE) return;
    if (depth > MAX_DEPTH) this.fail(pgno, "the tree is deeper than any LMDB tree (a cycle)");
    const page = this.read(pgno);
    const flags = page.readUInt16LE(18) & ~0xe000; // dirty/loose/keep bits are runtime state
    if (flags !== P_BRANCH && flags !== P_LEAF) {
      this.fail(pgno, `expected a branch or leaf page, found flags 0x${flags.toString(16)}`);
    }
    const lower = page.readUInt16LE(20);
    const upper = page.readUInt16LE(22);
    if (lower > upper || HEADER + upper > this.size || (lower & 1) !== 0) {
      this.fail(pgno, `impossible free space bounds ${lower}..${upper}`);
    }
    const n = lower >> 1;
    // Collected first: reading a child reuses the page buffer.
    const children: bigint[] = [];
    const subtrees: bigint[] = [];
    const overflows: [bigint, number][] = [];
    for (let i = 0; i < n; i++) {
      const at = HEADER + page.readUInt16LE(HEADER + 2 * i);
      if (at < HEADER + upper || at + NODE_HEADER > this.size)
        this.fail(pgno, `node ${i} outside the page`);
      const lo = page.readUInt16LE(at);
      const hi = page.readUInt16LE(at + 2);
      const nodeFlags = page.readUInt16LE(at + 4);
      const ksize = page.readUInt16LE(at + 6);
      const data = at + NODE_HEADER + ksize;
      if (flags === P_BRANCH) {
        if (data > this.size) this.fail(pgno, `node ${i} outside the page`);
        children.push(BigInt(lo) | (BigInt(hi) << 16n) | (BigInt(nodeFlags) << 32n));
        continue;
      }
      const dsize = lo | (hi << 16);
      if (nodeFlags & F_BIGDATA) {
        if (data + 8 > this.size) this.fail(pgno, `node ${i} outside the page`);
        overflows.push([page.readBigUInt64LE(data), dsize]);
        continue;
      }
      if (data + dsize > this.size) this.fail(pgno, `node ${i} outside the page`);
      if (nodeFlags & F_DUPDATA) this.fail(pgno, "duplicate keys, which Mneme never writes");
      if (nodeFlags & F_SUBDATA) {
        if (!named || dsize < 48) this.fail(pgno, `node ${i}: unexpected named database`);
        subtrees.push(page.readBigUInt64LE(data + 40));
      }
    }
    for (const [first, dsize] of overflows) this.overflow(first, dsize);
    for (const child of children) this.walk(child, depth + 1, named);
    for (const root of subtrees) this.walk(root, 0, false);
  }

  private overflow(pgno: bigint, dsize: number): void {
    const page = this.read(pgno);
    if ((page.readUInt16LE(18) & (P_OVERFLOW | P_LEAF2)) !== P_OVERFLOW) {
      this.fail(pgno, "expected an overflow page");
    }
    const count = page.readUInt32LE(20);
    const needed = Math.floor((HEADER - 1 + dsize) / this.size) + 1;
    if (count < needed || pgno + BigInt(count) > this.pages) {
      this.fail(pgno, `overflow run of ${count} pages for ${dsize} bytes`);
    }
  }

  /** Page `pgno`, checked to be in the file and to carry its own number. */
  private read(pgno: bigint): Buffer {
    if (pgno < 2n || pgno >= this.pages) this.fail(pgno, "page past the end of the file");
    const n = fs.readSync(this.fd, this.buf, 0, this.size, Number(pgno) * this.size);
    if (n !== this.size) this.fail(pgno, "page past the end of the file");
    const own = this.buf.readBigUInt64LE(0);
    if (own !== pgno) this.fail(pgno, `the page says it is page ${own}`);
    return this.buf;
  }

  private fail(pgno: bigint, why: string): never {
    throw new CorruptFileError(
      "invalid_file",
      `the LMDB file of the disc_only_copies tables is damaged: page ${pgno}: ${why}; restore the database from a backup`,
      this.file,
      Number(pgno) * this.size,
    );
  }
}
