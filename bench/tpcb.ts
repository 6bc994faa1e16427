// TPC-B as OTP's mnesia_tpcb runs it: per branch 10 tellers and 100,000 accounts; a transaction
// reads with a write lock and updates the branch, a teller and an account (mnesia_tpcb's order),
// and inserts a history record. Drivers run transactions one after another for TPCB_SECS; balances are verified after
// each run (as verify_tabs does). Two variants: async bodies (drivers interleave at every await and
// contend for locks, wait-die restarts) and synchronous bodies (transactionSync).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Mneme, type Table } from "../src/index.js";
import type { Durability } from "../src/log/entry.js";
import { CFG, emitLine, log } from "./harness.js";

interface Branch {
  id: number;
  balance: number;
  filler: string;
}
interface Teller {
  id: number;
  branch: number;
  balance: number;
  filler: string;
}
interface Account {
  id: number;
  branch: number;
  balance: number;
  filler: string;
}
interface History {
  id: number;
  account: number;
  teller: number;
  branch: number;
  delta: number;
  time: number;
  filler: string;
}

const FILL = "x".repeat(80);
const HFILL = "h".repeat(22);
const TELLERS = 10;

interface Tables {
  branch: Table<Branch, "id">;
  teller: Table<Teller, "id">;
  account: Table<Account, "id">;
  history: Table<History, "id">;
}

type Storage = "ram_copies" | "disc_copies";

async function setup(
  db: Mneme,
  branches: number,
  accounts: number,
  storage: Storage,
): Promise<Tables> {
  const where = storage === "disc_copies" ? { discCopies: [db.node] } : {};
  const branch = await db.createTable<Branch, "id">("branch", {
    attributes: ["id", "balance", "filler"],
    ...where,
  });
  const teller = await db.createTable<Teller, "id">("teller", {
    attributes: ["id", "branch", "balance", "filler"],
    ...where,
  });
  const account = await db.createTable<Account, "id">("account", {
    attributes: ["id", "branch", "balance", "filler"],
    ...where,
  });
  const history = await db.createTable<History, "id">("history", {
    attributes: ["id", "account", "teller", "branch", "delta", "time", "filler"],
    ...where,
  });
  db.transactionSync((tx) => {
    for (let b = 0; b < branches; b++) {
      tx.write(branch, { id: b, balance: 0, filler: FILL });
      for (let t = 0; t < TELLERS; t++)
        tx.write(teller, { id: b * TELLERS + t, branch: b, balance: 0, filler: FILL });
    }
  });
  for (let b = 0; b < branches; b++) {
    for (let c = 0; c < accounts; c += 10000) {
      db.transactionSync((tx) => {
        for (let a = c; a < Math.min(accounts, c + 10000); a++) {
          tx.write(account, { id: b * accounts + a, branch: b, balance: 0, filler: FILL });
        }
      });
    }
  }
  return { branch, teller, account, history };
}

function verify(db: Mneme, t: Tables): boolean {
  const sum = (tb: Table<{ balance?: number; delta?: number }>, f: "balance" | "delta") =>
    db.dirtyFoldl(tb, (r, a: number) => a + (r[f] as number), 0);
  const b = sum(t.branch as never, "balance");
  return (
    b === sum(t.teller as never, "balance") &&
    b === sum(t.account as never, "balance") &&
    b === sum(t.history as never, "delta")
  );
}

/** A small deterministic generator, one per driver. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

export async function runOnce(
  variant: "async" | "sync",
  drivers: number,
  branches: number,
  storage: Storage = "ram_copies",
  durability: Durability = "fsync",
): Promise<void> {
  const accounts = CFG.tpcbAccounts;
  let dir: string | undefined;
  if (storage === "disc_copies") {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-tpcb-"));
    await Mneme.createSchema({ dir });
  }
  const dumpAt = process.env.TPCB_DUMP_LOG_WRITE_THRESHOLD;
  const db = await Mneme.open(
    dir === undefined
      ? {}
      : {
          dir,
          durability,
          ...(dumpAt === undefined ? {} : { dumpLogWriteThreshold: Number(dumpAt) }),
        },
  );
  const t = await setup(db, branches, accounts, storage);
  const end = Date.now() + CFG.tpcbSecs * 1000;
  let historyId = 0;
  const counts = new Array<number>(drivers).fill(0);
  const pick = (r: () => number, d: number) => {
    const b = drivers >= branches ? d % branches : Math.floor(r() * branches);
    return {
      b,
      tl: b * TELLERS + Math.floor(r() * TELLERS),
      a: b * accounts + Math.floor(r() * accounts),
      delta: Math.floor(r() * 1999999) - 999999,
    };
  };
  const driver = async (d: number) => {
    const r = rng(d + 1);
    while (Date.now() < end) {
      for (let burst = 0; burst < 50; burst++) {
        const { b, tl, a, delta } = pick(r, d);
        if (variant === "async") {
          await db.transaction(async (tx) => {
            const [br] = await tx.wread(t.branch, b);
            await tx.write(t.branch, { ...br!, balance: br!.balance + delta });
            const [tel] = await tx.wread(t.teller, tl);
            await tx.write(t.teller, { ...tel!, balance: tel!.balance + delta });
            const [acc] = await tx.wread(t.account, a);
            await tx.write(t.account, { ...acc!, balance: acc!.balance + delta });
            await tx.write(t.history, {
              id: ++historyId,
              account: a,
              teller: tl,
              branch: b,
              delta,
              time: Date.now(),
              filler: HFILL,
            });
          });
        } else {
          db.transactionSync((tx) => {
            const [br] = tx.wread(t.branch, b);
            tx.write(t.branch, { ...br!, balance: br!.balance + delta });
            const [tel] = tx.wread(t.teller, tl);
            tx.write(t.teller, { ...tel!, balance: tel!.balance + delta });
            const [acc] = tx.wread(t.account, a);
            tx.write(t.account, { ...acc!, balance: acc!.balance + delta });
            tx.write(t.history, {
              id: ++historyId,
              account: a,
              teller: tl,
              branch: b,
              delta,
              time: Date.now(),
              filler: HFILL,
            });
          });
          // Let the other drivers in between transactions.
          await null;
        }
        counts[d]!++;
      }
    }
  };
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: drivers }, (_, d) => driver(d)));
  const secs = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = process.cpuUsage(c0);
  const total = counts.reduce((x, y) => x + y, 0);
  const verified = verify(db, t);
  const restarts = db.systemInfo("transaction_restarts");
  const fsyncs = db.systemInfo("log_fsyncs");
  emitLine({
    system: "mneme",
    storage,
    ...(storage === "disc_copies" ? { durability, log_fsyncs: fsyncs } : {}),
    op: "tpcb",
    nodes: 1,
    drivers,
    n_branches: branches,
    tps: Math.round(total / secs),
    avg_us: Math.round(((secs * 1e6) / total) * drivers * 10) / 10,
    // The process's CPU time per transaction: steadier than tps on a shared machine.
    cpu_us_per_txn: Math.round(((cpu.user + cpu.system) / total) * 100) / 100,
    variant: variant === "async" ? "transaction(async body)" : "transactionSync",
    accounts_per_branch: accounts,
    restarts,
    verified,
  });
  await db.close();
  if (dir !== undefined) fs.rmSync(dir, { recursive: true, force: true });
  if (!verified) throw new Error("tpcb: balances do not add up");
}

/**
 * hotkey: N async transactions started together, each incrementing one counter (ram_copies); they
 * all queue on one record lock. ns_per_op is the wall time per transaction, the median of
 * CFG.rounds runs after untimed warm-up runs.
 */
export async function runHotkey(n: number): Promise<void> {
  const db = await Mneme.open({});
  const counter = await db.createTable<{ id: number; n: number }, "id">("counter", {
    attributes: ["id", "n"],
  });
  const cpu: number[] = [];
  const round = async (): Promise<number> => {
    db.transactionSync((tx) => tx.write(counter, { id: 1, n: 0 }));
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    await Promise.all(
      Array.from({ length: n }, () =>
        db.transaction(async (tx) => {
          const [c] = await tx.wread(counter, 1);
          await tx.write(counter, { id: 1, n: c!.n + 1 });
        }),
      ),
    );
    const ns = Number(process.hrtime.bigint() - t0) / n;
    const c1 = process.cpuUsage(c0);
    cpu.push(((c1.user + c1.system) * 1000) / n);
    const [c] = db.dirtyRead(counter, 1);
    if (c?.n !== n) throw new Error(`hotkey: counter is ${c?.n}, expected ${n}`);
    return ns;
  };
  // Warm up on at least 5,000 transactions, so that N = 1,000 is not timed while the JIT compiles.
  for (let w = 0; w < Math.ceil(5000 / n); w++) await round();
  cpu.length = 0;
  const rounds: number[] = [];
  for (let r = 0; r < CFG.rounds; r++) rounds.push(await round());
  rounds.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const restarts = db.systemInfo("transaction_restarts");
  await db.close();
  emitLine({
    system: "mneme",
    storage: "ram_copies",
    op: "hotkey",
    n,
    ns_per_op: Math.round(rounds[rounds.length >> 1]!),
    min_ns: Math.round(rounds[0]!),
    max_ns: Math.round(rounds[rounds.length - 1]!),
    // CPU time per transaction (median round): steadier than wall time on a shared machine.
    cpu_ns_per_op: Math.round(cpu[cpu.length >> 1]!),
    variant: "transaction(async body)",
    restarts,
    verified: true,
  });
}

export async function runTpcb(): Promise<void> {
  const which = process.env.TPCB_STORAGE ?? "all";
  if (which === "all" || which === "hotkey") {
    for (const n of [1000, 10000]) {
      log(`tpcb: hotkey ${n}`);
      await runHotkey(n);
    }
  }
  if (which === "hotkey") return;
  if (which === "all" || which === "disc") {
    // disc_copies: async bodies, so that concurrent drivers share fsyncs (group commit).
    // os mode also with synchronous bodies, which never wait for the log; in fsync mode a
    // synchronous body fsyncs its own commit, so only async bodies share fsyncs.
    for (const [durability, variant] of [
      ["os", "sync"],
      ["os", "async"],
      ["fsync", "async"],
    ] as const) {
      for (const drivers of [1, 4, 64]) {
        log(`tpcb: disc_copies ${durability} ${variant} drivers ${drivers}`);
        await runOnce(variant, drivers, 1, "disc_copies", durability);
      }
    }
  }
  if (which !== "all" && which !== "ram") return;
  const variants =
    process.env.TPCB_VARIANT === undefined ? ["sync", "async"] : [process.env.TPCB_VARIANT];
  for (const variant of variants as ("sync" | "async")[]) {
    for (const [drivers, branches] of [
      [1, 1],
      [4, 1],
      [1, 4],
      [4, 4],
    ] as const) {
      log(`tpcb: ${variant} drivers ${drivers} branches ${branches}`);
      await runOnce(variant, drivers, branches);
    }
  }
}
