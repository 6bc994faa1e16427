// Mneme's counterpart of ../shared/anchors/mnesia/meter.erl: the same record, 10,000 rows, the
// same scattered keys and the same op list, on ram_copies. Also times a bare Map.get in the same
// run, for the "read1 within 10x of Map.get" target.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Mneme, type SyncActivity, type Table } from "../src/index.js";
import type { Durability } from "../src/log/entry.js";
import { CFG, emit, log, measure, measureAsync, measureTraversal, type Stats } from "./harness.js";
import { key, N_RECORDS, PERSON_ATTRIBUTES, type Person, person } from "./person.js";

interface Counter {
  key: number;
  value: number;
}

function expectLen(xs: readonly unknown[], n: number, what: string): readonly unknown[] {
  if (xs.length !== n) throw new Error(`${what}: expected ${n} rows, got ${xs.length}`);
  return xs;
}

/** One storage type (and durability mode, for disc): the whole op list. */
interface MeterConfig {
  readonly storage: "ram_copies" | "disc_copies" | "disc_only_copies";
  readonly durability?: Durability;
  readonly dir?: string;
}

async function meterOn(cfg: MeterConfig, recs: readonly Person[]): Promise<void> {
  const S = "mneme";
  const ST = cfg.storage;
  const tag = cfg.durability === undefined ? {} : { durability: cfg.durability };
  const E = (op: string, stats: Stats, extra: Record<string, unknown> = {}) =>
    emit(S, ST, op, stats, { ...tag, ...extra });
  log(`meter: mneme ${ST} ${cfg.durability ?? ""}`);
  const db = await Mneme.open(
    cfg.dir === undefined ? {} : { dir: cfg.dir, durability: cfg.durability },
  );
  const where =
    cfg.storage === "disc_copies"
      ? { discCopies: [db.node] }
      : cfg.storage === "disc_only_copies"
        ? { discOnlyCopies: [db.node] }
        : {};
  const attrs = PERSON_ATTRIBUTES;
  const people: Table<Person, "id"> = await db.createTable<Person, "id">("person", {
    attributes: attrs,
    index: ["grp"],
    ...where,
  });
  const ordered = await db.createTable<Person, "id">("person_os", {
    attributes: attrs,
    type: "ordered_set",
    recordName: "person",
    ...where,
  });
  const counter = await db.createTable<Counter, "key">("counter", {
    attributes: ["key", "value"],
    ...where,
  });
  for (let c = 1; c <= N_RECORDS; c += 1000) {
    db.transactionSync((tx) => {
      for (let i = c; i < c + 1000; i++) {
        tx.write(people, recs[i]!);
        tx.write(ordered, recs[i]!);
      }
    });
  }
  db.transactionSync((tx) => {
    for (let k = 0; k < 1000; k++) tx.write(counter, { key: k, value: 0 });
  });
  if (db.tableInfo(people, "size") !== N_RECORDS) throw new Error("setup failed");

  const upd = (tx: SyncActivity, k: number) => {
    const [r] = tx.read(people, k);
    tx.write(people, { ...r!, val: r!.val + 1 });
  };
  const select = [[{ age: "$1" }, [[">", "$1", 90]], ["$_"]]] as const;
  const range = (k: number) =>
    [
      [
        { id: "$1" },
        [
          [">=", "$1", k],
          ["<", "$1", k + 100],
        ],
        ["$_"],
      ],
    ] as const;

  E(
    "read1",
    measure((i) => expectLen(db.dirtyRead(people, key(i)), 1, "read1")),
    { api: "dirtyRead" },
  );
  E(
    "write1",
    measure((i) => db.dirtyWrite(people, { ...recs[key(i)]!, val: i })),
    {
      api: "dirtyWrite (whole record, table has 1 index)",
    },
  );
  E(
    "tx_read2",
    measure((i) => {
      const k1 = key(2 * i);
      const k2 = key(2 * i + 1);
      return db.transactionSync((tx) => {
        tx.read(people, k1);
        return tx.read(people, k2);
      });
    }),
    { api: "transactionSync(2 x read)" },
  );
  E(
    "tx_update2",
    measure((i) =>
      db.transactionSync((tx) => {
        upd(tx, key(2 * i));
        upd(tx, key(2 * i + 1));
      }),
    ),
    { api: "transactionSync(2 x (read + write))" },
  );
  E(
    "tx_write2",
    measure((i) =>
      db.transactionSync((tx) => {
        tx.write(people, { ...recs[key(2 * i)]!, val: i });
        tx.write(people, { ...recs[key(2 * i + 1)]!, val: i });
      }),
    ),
    { api: "transactionSync(2 x write)" },
  );
  E(
    "sync_dirty_update2",
    measure((i) =>
      db.syncDirty((ctx) => {
        upd(ctx, key(2 * i));
        upd(ctx, key(2 * i + 1));
      }),
    ),
    { api: "syncDirty(2 x (read + write))" },
  );
  E(
    "raw_read2",
    measure((i) =>
      db.ets((ctx) => {
        ctx.read(people, key(2 * i));
        return ctx.read(people, key(2 * i + 1));
      }),
    ),
    { api: "ets(2 x read)" },
  );
  // The async-body flavour, one transaction after another (each awaited).
  E(
    "tx_read2_async",
    await measureAsync((i) =>
      db.transaction(async (tx) => {
        await tx.read(people, key(2 * i));
        return tx.read(people, key(2 * i + 1));
      }),
    ),
    { api: "await transaction(async: 2 x await read)" },
  );
  E(
    "tx_update2_async",
    await measureAsync((i) =>
      db.transaction(async (tx) => {
        for (const k of [key(2 * i), key(2 * i + 1)]) {
          const [r] = await tx.read(people, k);
          await tx.write(people, { ...r!, val: r!.val + 1 });
        }
      }),
    ),
    { api: "await transaction(async: 2 x (await read + await write))" },
  );
  E(
    "counter_incr",
    measure((i) => db.dirtyUpdateCounter(counter, i % 1000, 1)),
    { api: "dirtyUpdateCounter" },
  );
  E(
    "index_read",
    measure((i) => expectLen(db.dirtyIndexRead(people, i % 100, "grp"), 100, "index_read")),
    {
      api: "dirtyIndexRead on grp (100 distinct values)",
      rows: 100,
    },
  );
  E(
    "select_gt",
    measure(() => expectLen(db.dirtySelect(people, select), 1000, "select_gt")),
    {
      api: "dirtySelect, guard age > 90, no index",
      rows: 1000,
    },
  );
  E(
    "match_noindex",
    measure(() => expectLen(db.dirtyMatchObject(people, { age: 42 }), 100, "match")),
    {
      api: "dirtyMatchObject, age = 42 bound, no index",
      rows: 100,
    },
  );
  E(
    "range_scan_100",
    measure((i) => expectLen(db.dirtySelect(ordered, range((i % 9900) + 1)), 100, "range")),
    {
      api: "dirtySelect on ordered_set, guards K =< id < K+100",
      rows: 100,
      note: "Mneme narrows a guarded key range",
    },
  );
  E(
    "tx_foldl",
    measure(() => db.transactionSync((tx) => tx.foldl(people, (_r, a: number) => a + 1, 0))),
    { api: "transactionSync(foldl)", rows: N_RECORDS },
  );
  E(
    "foldl",
    measure(() => db.asyncDirty((ctx) => ctx.foldl(people, (_r, a: number) => a + 1, 0))),
    { api: "asyncDirty(foldl)", rows: N_RECORDS },
  );
  const traverse = (t: Table<Person, "id">) => () => {
    let n = 0;
    for (let k = db.dirtyFirst(t); k !== undefined; k = db.dirtyNext(t, k)) n++;
    if (n !== N_RECORDS) throw new Error(`traversal visited ${n}`);
    return n;
  };
  E("ordered_next", measureTraversal(traverse(ordered)), {
    api: "dirtyNext on ordered_set",
    rows: N_RECORDS,
    note: "ns per step",
  });
  E("unordered_next", measureTraversal(traverse(people)), {
    api: "dirtyNext on set",
    rows: N_RECORDS,
    note: "ns per step",
  });
  await db.close();
}

const CONFIGS: readonly MeterConfig[] = [
  { storage: "ram_copies" },
  { storage: "disc_copies", durability: "os" },
  { storage: "disc_copies", durability: "fsync" },
  { storage: "disc_only_copies", durability: "os" },
  { storage: "disc_only_copies", durability: "fsync" },
];

export async function runMeter(): Promise<void> {
  log(`meter: iters ${CFG.iters}, rounds ${CFG.rounds}, budget ${CFG.budgetNs / 1e6} ms`);
  emit(
    "none",
    "none",
    "empty_loop",
    measure(() => undefined),
    { api: "timing loop overhead (closure call)" },
  );
  const recs: Person[] = [];
  for (let i = 0; i <= N_RECORDS; i++) recs.push(person(i));
  const map = new Map<number, Person>();
  for (let i = 1; i <= N_RECORDS; i++) map.set(i, recs[i]!);
  emit(
    "map",
    "memory",
    "read1",
    measure((i) => map.get(key(i))),
    { api: "Map.get (same run, for the 10x target)" },
  );
  const only = process.env.METER_STORAGES?.split(",");
  for (const cfg of CONFIGS) {
    if (only !== undefined && !only.includes(cfg.storage)) continue;
    if (cfg.storage === "ram_copies") {
      await meterOn(cfg, recs);
      continue;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-meter-"));
    try {
      await Mneme.createSchema({ dir });
      await meterOn({ ...cfg, dir }, recs);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
