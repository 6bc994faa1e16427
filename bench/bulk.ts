// Mneme's counterpart of ../shared/anchors/mnesia/bulk.erl: 1,000,000 records of the meter's shape
// in a disc_copies table (BULK_N changes the count). bulk_insert (transactions of 1,000 writes),
// load_at_start (open + every table loaded), memory (bytes per record, from the heap), the bytes
// on disc per record after a checkpoint, then backup (of the table as loaded), restore
// (clear_tables) of the table, and backup again after one write. Each timed op starts after a full
// GC, as the meter harness's rounds do.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Mneme } from "../src/index.js";
import { emitLine, log } from "./harness.js";
import { PERSON_ATTRIBUTES, type Person, person } from "./person.js";

const N = Number.parseInt(process.env.BULK_N ?? "1000000", 10);
function heapUsed(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === "function") {
    gc();
    gc();
  }
  return process.memoryUsage().heapUsed;
}

function dirBytes(dir: string): number {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? dirBytes(p) : fs.statSync(p).size;
  }
  return total;
}

const ms = (t0: bigint): number => Number(process.hrtime.bigint() - t0) / 1e6;

export async function runBulk(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-bulk-"));
  const base = { system: "mneme", storage: "disc_copies" };
  try {
    await Mneme.createSchema({ dir });
    let db = await Mneme.open({ dir, durability: "fsync" });
    await db.createTable<Person, "id">("person", {
      attributes: PERSON_ATTRIBUTES,
      discCopies: [db.node],
    });
    log(`bulk: inserting ${N} records`);
    let t0 = process.hrtime.bigint();
    for (let i = 1; i <= N; i += 1000) {
      await db.transaction(async (tx) => {
        for (let k = i; k < Math.min(N + 1, i + 1000); k++) await tx.write("person", person(k));
      });
    }
    let t = ms(t0);
    emitLine({
      ...base,
      op: "bulk_insert",
      n: N,
      ms: Math.round(t),
      records_per_s: Math.round((N * 1000) / t),
      durability: "fsync",
      api: "transaction of 1000 writes",
    });
    await db.dumpLog();
    await db.close();
    const disc = dirBytes(dir);
    emitLine({
      ...base,
      op: "disc_bytes",
      n: N,
      bytes: disc,
      bytes_per_record: Math.round(disc / N),
    });

    const before = heapUsed();
    t0 = process.hrtime.bigint();
    db = await Mneme.open({ dir });
    t = ms(t0);
    const size = db.tableInfo("person", "size");
    if (size !== N) throw new Error(`bulk: loaded ${size} records, expected ${N}`);
    emitLine({ ...base, op: "load_at_start", n: N, ms: Math.round(t), api: "Mneme.open" });
    const after = heapUsed();
    emitLine({ ...base, op: "memory", n: N, bytes_per_record: Math.round((after - before) / N) });

    /**
     * Times `run` over the N records and prints its line (records/s, and a file's size). A full
     * GC first, as the meter harness does before its timed rounds: garbage left by the previous
     * op is not charged to this one.
     */
    const timed = async (op: string, api: string, run: () => Promise<unknown>, file?: string) => {
      heapUsed();
      const start = process.hrtime.bigint();
      await run();
      const took = ms(start);
      emitLine({
        ...base,
        op,
        n: N,
        ms: Math.round(took),
        records_per_s: Math.round((N * 1000) / took),
        ...(file === undefined ? {} : { bytes: fs.statSync(file).size }),
        api,
      });
    };
    const file = path.join(dir, "bulk.BUP");
    await timed("backup", "db.backup(file)", () => db.backup(file), file);
    await timed("restore", 'db.restore(file, { clearTables: ["person"] })', () =>
      db.restore(file, { clearTables: ["person"] }),
    );
    if (db.tableInfo("person", "size") !== N) throw new Error("bulk: restore lost records");
    // The same table after one write since its last snapshot (the restore's): every record is
    // encoded again, where a table with nothing written since is copied from its snapshot.
    db.dirtyWrite("person", person(1));
    const dirtyFile = path.join(dir, "bulk-dirty.BUP");
    await timed(
      "backup_after_write",
      "db.backup(file), one write after the last snapshot",
      () => db.backup(dirtyFile),
      dirtyFile,
    );
    await db.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
