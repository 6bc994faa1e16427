// A damaged LMDB file (the disc_only_copies tables) on a real database, opened in a child process
// because LMDB may crash the process on damage: every kind of damage must end in a correct open
// (LMDB's other meta page, a replay from the log) or a clean refusal (CorruptFileError naming
// data.mdb, and the table and key for a damaged value), never in a signal death.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Mneme } from "../../src/index.js";
import { runChild } from "./child.js";

const CHILD = "test/crash/fixtures/lmdb-damage-child.ts";
const N = 2000;
const PAGE = 4096;
const recordValue = (k: number): string => `value-${k}-${"x".repeat(60)}`;

let root: string;
/** The database: N records in table t, written in transactions of 100, dumped twice. */
let base: string;
/**
 * Its LMDB directory after 400 records (log position 5, before the log's first record) and after
 * 500 (position 6, just before it).
 */
let lmdbAt400: string;
let lmdbAt500: string;

async function fill(db: Mneme, from: number, to: number): Promise<void> {
  for (let b = from; b < to; b += 100) {
    await db.transaction(async (tx) => {
      for (let k = b; k < b + 100; k++) tx.write("t", { k, v: recordValue(k) });
    });
  }
}

before(async () => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-lmdb-damage-"));
  base = path.join(root, "base");
  lmdbAt400 = path.join(root, "lmdb-400");
  lmdbAt500 = path.join(root, "lmdb-500");
  await Mneme.createSchema({ dir: base });
  let db = await Mneme.open({ dir: base });
  await db.createTable("t", { attributes: ["k", "v"], discOnlyCopies: [db.node] });
  await fill(db, 0, 400);
  await db.close();
  fs.cpSync(path.join(base, "lmdb"), lmdbAt400, { recursive: true });
  db = await Mneme.open({ dir: base });
  await fill(db, 400, 500);
  await db.close();
  fs.cpSync(path.join(base, "lmdb"), lmdbAt500, { recursive: true });
  db = await Mneme.open({ dir: base });
  await fill(db, 500, 1500);
  await db.dumpLog();
  await db.close();
  db = await Mneme.open({ dir: base });
  await fill(db, 1500, N);
  await db.dumpLog();
  await db.close();
  // The log starts at position 7: right after lmdbAt500's (1 create_table + 5 transactions).
  assert.deepEqual(fs.readdirSync(path.join(base, "wal")), ["wal-0000000000000007.log"]);
});
after(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

let copies = 0;
/** A copy of the database, damaged by `damage(dataFile, dir)`. */
function damaged(damage: (data: string, dir: string) => void): { dir: string; data: string } {
  const dir = path.join(root, `copy-${++copies}`);
  fs.cpSync(base, dir, { recursive: true });
  const data = path.join(dir, "lmdb", "data.mdb");
  damage(data, dir);
  return { dir, data };
}

function zeroPage(file: string, page: number): void {
  const fd = fs.openSync(file, "r+");
  fs.writeSync(fd, Buffer.alloc(PAGE), 0, PAGE, page * PAGE);
  fs.closeSync(fd);
}

/** The pages of `file` holding `text` (old copies of a page too: the live one is among them). */
function pagesHolding(file: string, text: string): number[] {
  const buf = fs.readFileSync(file);
  const pages = new Set<number>();
  for (let at = buf.indexOf(text); at >= 0; at = buf.indexOf(text, at + 1)) {
    pages.add(Math.floor(at / PAGE));
  }
  return [...pages];
}

/** The meta page (0 or 1) LMDB uses: the one of the latest transaction. */
function newestMeta(file: string): number {
  const buf = fs.readFileSync(file).subarray(0, 2 * PAGE);
  const txnid = (page: number) => buf.readBigUInt64LE(page * PAGE + 24 + 128);
  return txnid(0) >= txnid(1) ? 0 : 1;
}

/**
 * Runs the child on `dir`; it must exit by itself and print exactly one line. `zeroOnce`: a page
 * it zeroes once the database is open, then reads only the key given.
 */
async function openInChild(
  dir: string,
  autoRepair = true,
  zeroOnce?: { page: number; key: number },
): Promise<string> {
  const args = [dir, String(autoRepair)];
  if (zeroOnce !== undefined) args.push(String(zeroOnce.page), String(zeroOnce.key));
  const r = await runChild(CHILD, args);
  assert.equal(r.signal, null, `child died of ${r.signal}: ${r.stderr}`);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.lines.length, 1, r.lines.join("\n"));
  return r.lines[0]!;
}

const ALL = `OPEN ${N} 0`;

describe("a damaged LMDB file", { concurrency: 3 }, () => {
  it("undamaged: opens with every record", async () => {
    const { dir } = damaged(() => undefined);
    assert.equal(await openInChild(dir), ALL);
  });

  for (const which of ["newest", "older"] as const) {
    it(`the ${which} meta page zeroed: rewritten from the other, every record there`, async () => {
      const { dir, data } = damaged((data) => {
        const newest = newestMeta(data);
        zeroPage(data, which === "newest" ? newest : 1 - newest);
      });
      assert.equal(await openInChild(dir), ALL);
      // Repaired on disc: it opens again, without repairing anything.
      assert.equal(await openInChild(dir, false), ALL);
      assert.notDeepEqual(fs.readFileSync(data).subarray(0, 24), Buffer.alloc(24));
    });

    it(`the ${which} meta page zeroed, autoRepair false: refused, the file unchanged`, async () => {
      const { dir, data } = damaged((data) => {
        const newest = newestMeta(data);
        zeroPage(data, which === "newest" ? newest : 1 - newest);
      });
      const before = fs.readFileSync(data);
      assert.equal(await openInChild(dir, false), `REFUSED invalid_file ${data}`);
      assert.deepEqual(fs.readFileSync(data), before);
    });
  }

  it("both meta pages zeroed: refused", async () => {
    const { dir, data } = damaged((data) => {
      zeroPage(data, 0);
      zeroPage(data, 1);
    });
    assert.equal(await openInChild(dir), `REFUSED invalid_file ${data}`);
  });

  it("a zeroed data page: refused at open", async () => {
    const { dir, data } = damaged((data) => {
      for (const p of pagesHolding(data, recordValue(1500))) zeroPage(data, p);
    });
    assert.equal(await openInChild(dir), `REFUSED invalid_file ${data}`);
  });

  it("a page zeroed under the open database: a read of a key in it is refused", async () => {
    const { dir, data } = damaged(() => undefined);
    const pages = pagesHolding(data, recordValue(1500));
    assert.equal(pages.length, 1, "one copy of the page, the live one");
    const line = await openInChild(dir, true, { page: pages[0]!, key: 1500 });
    assert.equal(line, `REFUSED invalid_file ${data}`);
  });

  it("a flipped bit in a value: refused naming the table and key when read", async () => {
    const { dir, data } = damaged((data) => {
      const buf = fs.readFileSync(data);
      const text = recordValue(1234);
      for (let at = buf.indexOf(text); at >= 0; at = buf.indexOf(text, at + 1)) {
        buf[at + text.length - 1]! ^= 0x01;
      }
      fs.writeFileSync(data, buf);
    });
    assert.equal(await openInChild(dir), `REFUSED bad_checksum ${data} t 1234`);
  });

  it("a truncated file: refused", async () => {
    const { dir, data } = damaged((data) => {
      fs.truncateSync(data, Math.floor(fs.statSync(data).size / PAGE / 2) * PAGE);
    });
    assert.equal(await openInChild(dir), `REFUSED invalid_file ${data}`);
  });

  it("data.mdb deleted: refused, never an empty table", async () => {
    const { dir, data } = damaged((data) => fs.rmSync(data));
    assert.equal(await openInChild(dir), `REFUSED truncated_binary_file ${data}`);
    assert.equal(fs.existsSync(data), false);
  });

  it("the lmdb directory deleted: refused", async () => {
    const { dir, data } = damaged((_, dir) =>
      fs.rmSync(path.join(dir, "lmdb"), { recursive: true }),
    );
    assert.equal(await openInChild(dir), `REFUSED truncated_binary_file ${data}`);
  });

  it("lock.mdb deleted: harmless", async () => {
    const { dir } = damaged((_, dir) => fs.rmSync(path.join(dir, "lmdb", "lock.mdb")));
    assert.equal(await openInChild(dir), ALL);
  });

  it("an older data.mdb whose lost writes the log still holds: caught up from the log", async () => {
    const { dir } = damaged((_, dir) => {
      fs.rmSync(path.join(dir, "lmdb"), { recursive: true });
      fs.cpSync(lmdbAt500, path.join(dir, "lmdb"), { recursive: true });
    });
    assert.equal(await openInChild(dir), ALL);
    assert.equal(await openInChild(dir, false), ALL);
  });

  it("an older data.mdb whose lost writes the log no longer holds: refused", async () => {
    const { dir, data } = damaged((_, dir) => {
      fs.rmSync(path.join(dir, "lmdb"), { recursive: true });
      fs.cpSync(lmdbAt400, path.join(dir, "lmdb"), { recursive: true });
    });
    assert.equal(await openInChild(dir), `REFUSED invalid_file ${data}`);
  });
});
