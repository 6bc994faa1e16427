// Repairing a damaged or shortened log keeps transactions whole across storage types: a repair
// never keeps the LMDB half of a transaction whose disc_copies half it cuts (it refuses instead),
// damage in a segment the checkpoint already holds costs nothing, and a log that ends before what
// LMDB has applied is refused, repair or not.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { readCheckpoint } from "../../src/disc/checkpoint.js";
import { DirLayout } from "../../src/disc/layout.js";
import { CorruptFileError, Mneme, type SystemEvent } from "../../src/index.js";

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-wal-repair-"));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

/** No checkpoint unless the test asks for one. */
const QUIET = { dumpDiscCopiesAtStartup: false, dumpLogWriteThreshold: 1_000_000 } as const;

interface Row {
  k: number;
  v: number;
}

/** Opens the database (creating the schema and tables `a` disc_copies, `b` disc_only_copies). */
async function openMixed(): Promise<Mneme> {
  const fresh = !fs.existsSync(path.join(dir, "schema.DAT"));
  if (fresh) await Mneme.createSchema({ dir });
  const db = await Mneme.open({ dir, ...QUIET });
  if (fresh) {
    await db.createTable<Row>("a", { attributes: ["k", "v"], discCopies: [db.node] });
    await db.createTable<Row>("b", { attributes: ["k", "v"], discOnlyCopies: [db.node] });
  }
  return db;
}

/** Transactions `from`..`to` - 1, each writing its key to both `a` and `b`. */
async function writeBoth(db: Mneme, from: number, to: number): Promise<void> {
  for (let k = from; k < to; k++) {
    await db.transaction(async (tx) => {
      await tx.write<Row>("a", { k, v: k });
      await tx.write<Row>("b", { k, v: k });
    });
  }
}

function keys(db: Mneme, table: string): Set<number> {
  return new Set(db.dirtyAllKeys<Row, "k">(table) as number[]);
}

/** Transactions of writeBoth (keys below ONLY_A) present in only one of the two tables. */
function halfTransactions(db: Mneme): number {
  const a = keys(db, "a");
  const b = keys(db, "b");
  let n = 0;
  for (const k of a) if (k < ONLY_A && !b.has(k)) n++;
  for (const k of b) if (!a.has(k)) n++;
  return n;
}

/** Keys from here on are written to `a` alone. */
const ONLY_A = 1_000_000;

const firstOf = (file: string) => Number(path.basename(file).slice(4, 20));

function segments(): string[] {
  const wal = path.join(dir, "wal");
  return fs
    .readdirSync(wal)
    .filter((n) => n.startsWith("wal-"))
    .sort()
    .map((n) => path.join(wal, n));
}

/** Opening must fail with CorruptFileError naming `file` (and the message `mentions`). */
async function refused(
  options: { autoRepair: boolean },
  file: string,
  mentions: string,
): Promise<void> {
  const before = segments().map((f) => [f, fs.readFileSync(f)] as const);
  await assert.rejects(Mneme.open({ dir, ...QUIET, ...options }), (e: unknown) => {
    assert.ok(e instanceof CorruptFileError, String(e));
    assert.equal(e.file, file);
    assert.ok(e.message.includes(mentions), e.message);
    assert.match(e.message, /restore the database from a backup/);
    return true;
  });
  // Nothing was cut or deleted.
  assert.deepEqual(
    segments().map((f) => [f, fs.readFileSync(f)] as const),
    before,
  );
}

async function systemEvents(db: Mneme): Promise<SystemEvent[]> {
  const events: SystemEvent[] = [];
  db.subscribe("system", (e) => events.push(e));
  await new Promise((r) => setTimeout(r, 20));
  return events;
}

describe("WAL repair across storage types", () => {
  it("a damaged tail whose records LMDB already applied is refused, never cut to half transactions", async () => {
    const db = await openMixed();
    await writeBoth(db, 0, 300);
    await db.close();
    const [seg] = segments();
    assert.ok(seg !== undefined && segments().length === 1);
    fs.truncateSync(seg, Math.floor(fs.statSync(seg).size / 2));
    const lmdb = path.join(dir, "lmdb");
    await refused({ autoRepair: true }, seg, lmdb);
    await refused({ autoRepair: false }, seg, lmdb);
  });

  it("a damaged tail past what LMDB applied is cut as before, leaving whole transactions", async () => {
    const db = await openMixed();
    await writeBoth(db, 0, 100);
    // Commits to `a` only: the tail LMDB never saw.
    for (let k = ONLY_A; k < ONLY_A + 50; k++) {
      await db.transaction(async (tx) => tx.write("a", { k, v: k }));
    }
    await db.close();
    const [seg] = segments();
    fs.truncateSync(seg!, fs.statSync(seg!).size - 5);
    const again = await Mneme.open({ dir, ...QUIET });
    const events = await systemEvents(again);
    assert.equal(halfTransactions(again), 0);
    assert.equal(again.tableInfo("a", "size"), 149);
    assert.equal(again.tableInfo("b", "size"), 100);
    assert.equal(events.length, 1);
    await again.close();
  });

  it("newest segments deleted while LMDB is ahead of the log: refused, even with autoRepair false", async () => {
    const db = await openMixed();
    await writeBoth(db, 0, 100);
    await db.dumpLog();
    await writeBoth(db, 100, 200);
    await db.close();
    const all = segments();
    assert.equal(all.length, 2);
    fs.rmSync(all[1]!);
    await refused({ autoRepair: false }, all[0]!, path.join(dir, "wal"));
    await refused({ autoRepair: true }, all[0]!, path.join(dir, "lmdb"));
  });

  it("a cut before the WAL position of the checkpoint is refused while an older snapshot needs it", async () => {
    await Mneme.createSchema({ dir });
    // Threshold dumps rewrite only the tables that are due: `small`, not the big `big`.
    const db = await Mneme.open({ dir, dumpDiscCopiesAtStartup: false, dumpLogWriteThreshold: 20 });
    await db.createTable<Row>("small", { attributes: ["k", "v"], discCopies: [db.node] });
    await db.createTable<Row>("big", { attributes: ["k", "v"], discCopies: [db.node] });
    await db.transaction(async (tx) => {
      for (let k = 0; k < 3000; k++) await tx.write<Row>("big", { k: -1 - k, v: k });
    });
    await db.dumpLog();
    for (let k = 0; k < 30; k++) {
      await db.transaction(async (tx) => {
        await tx.write<Row>("small", { k, v: k });
        await tx.write<Row>("big", { k, v: k });
      });
    }
    await new Promise((r) => setTimeout(r, 200));
    await db.close();
    const checkpoint = readCheckpoint(new DirLayout(dir))!;
    const bigAt = checkpoint.files.get("big")!.position;
    assert.ok(checkpoint.files.get("small")!.position > bigAt, "small was dumped after big");
    assert.ok(checkpoint.walPosition > bigAt);
    // Tear the checkpoint's last WAL record, the last of its segment (a checkpoint starts a new
    // one). (A cut exactly between two records of a segment that is not the last would leave a
    // hole no scan can see: positions may have gaps. See docs/architecture.md.)
    const holding = segments()
      .filter((f) => firstOf(f) <= checkpoint.walPosition)
      .at(-1)!;
    assert.ok(firstOf(holding) > bigAt);
    fs.truncateSync(holding, fs.statSync(holding).size - 3);
    await refused({ autoRepair: true }, holding, "schema.DAT");
  });

  it("damage in an old segment the checkpoint holds is ignored: no later commit is lost", async () => {
    const db = await openMixed();
    await writeBoth(db, 0, 100);
    await db.dumpLog();
    // 3,000 acknowledged commits in a later segment.
    await writeBoth(db, 100, 3100);
    await db.close();
    const [old, current] = segments();
    assert.ok(old !== undefined && current !== undefined && segments().length === 2);
    const bytes = fs.readFileSync(old);
    bytes[Math.floor(bytes.length / 2)]! ^= 0x10;
    fs.writeFileSync(old, bytes);
    for (const autoRepair of [false, true]) {
      const again = await Mneme.open({ dir, ...QUIET, autoRepair });
      const events = await systemEvents(again);
      assert.equal(again.tableInfo("a", "size"), 3100);
      assert.equal(again.tableInfo("b", "size"), 3100);
      assert.equal(halfTransactions(again), 0);
      assert.equal(events.length, 1);
      const e = events[0]!;
      assert.ok("message" in e);
      assert.ok(e.message.includes(old), e.message);
      assert.match(e.message, /nothing was lost/);
      await again.close();
    }
    // The next checkpoint deletes it.
    const last = await Mneme.open({ dir, ...QUIET });
    await last.dumpLog();
    await last.close();
    assert.deepEqual(segments(), [current]);
  });

  it("a table with nothing logged since its snapshot does not keep old segments", async () => {
    await Mneme.createSchema({ dir });
    const db = await Mneme.open({ dir, ...QUIET });
    await db.createTable<Row>("quiet", { attributes: ["k", "v"], discCopies: [db.node] });
    await db.createTable<Row>("busy", { attributes: ["k", "v"], discCopies: [db.node] });
    await db.transaction(async (tx) => {
      await tx.write<Row>("quiet", { k: 1, v: 1 });
      for (let k = 0; k < 2000; k++) await tx.write<Row>("busy", { k, v: k });
    });
    for (let round = 0; round < 3; round++) {
      await db.dumpLog();
      for (let k = 0; k < 10; k++)
        await db.transaction(async (tx) => tx.write("busy", { k, v: -k }));
    }
    await db.dumpLog();
    assert.equal(segments().length, 1);
    await db.close();
    const again = await Mneme.open({ dir, ...QUIET });
    assert.deepEqual(again.dirtyRead("quiet", 1), [{ k: 1, v: 1 }]);
    assert.deepEqual(again.dirtyRead("busy", 9), [{ k: 9, v: -9 }]);
    assert.equal(again.tableInfo("busy", "size"), 2000);
    await again.close();
  });
});
