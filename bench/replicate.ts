/// <reference path="../test/backup/s3rver.d.ts" />
// npm run bench -- replicate: the cost of continuous replication (src/replicate).
//   - TPC-B (mnesia_tpcb's transaction: branch, teller, account updates and a history insert; async
//     bodies, disc_copies, durability fsync) with replication off, async and sync, to file:// and to
//     a loopback S3 server (s3rver); lag p50/p99 sampled every 50 ms; objects, bytes, PUTs per minute.
//   - Restore time of REPLICATE_RESTORE_RECORDS records (default 1,000,000) from a file:// and an S3
//     replica, against `restore` of a backup file of the same records.
// Env: TPCB_SECS (default 10), TPCB_ACCOUNTS (100,000), REPLICATE_DRIVERS (8), REPLICATE_ROUNDS (1),
// REPLICATE_PARTS (tpcb,restore).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import S3rver from "s3rver";
import { Mneme, type ReplicaS3Options, type ReplicationHandle } from "../src/index.js";
import { CFG, emitLine, log } from "./harness.js";

const DRIVERS = Number(process.env.REPLICATE_DRIVERS ?? 8);
const RESTORE_RECORDS = Number(process.env.REPLICATE_RESTORE_RECORDS ?? 1_000_000);
/** REPLICATE_PARTS: "tpcb", "restore" or both (default). */
const PARTS = (process.env.REPLICATE_PARTS ?? "tpcb,restore").split(",");
/** Rounds of the TPC-B runs (off, async, sync in turn, so that noise hits them alike). */
const ROUNDS = Number(process.env.REPLICATE_ROUNDS ?? 1);
const TELLERS = 10;
const FILL = "x".repeat(80);

interface Target {
  readonly name: string;
  readonly url: (tag: string) => string;
  readonly s3?: ReplicaS3Options;
}

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? 0 : s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
};

async function tpcb(
  root: string,
  mode: "off" | "async" | "sync",
  target: Target | undefined,
): Promise<void> {
  const dir = fs.mkdtempSync(path.join(root, "tpcb-"));
  await Mneme.createSchema({ dir });
  const db = await Mneme.open({ dir });
  const disc = { discCopies: [db.node] };
  await db.createTable("branch", { attributes: ["id", "balance", "filler"], ...disc });
  await db.createTable("teller", { attributes: ["id", "balance", "filler"], ...disc });
  await db.createTable("account", { attributes: ["id", "balance", "filler"], ...disc });
  await db.createTable("history", { attributes: ["id", "account", "delta", "filler"], ...disc });
  const accounts = CFG.tpcbAccounts;
  db.transactionSync((tx) => {
    tx.write("branch", { id: 0, balance: 0, filler: FILL });
    for (let t = 0; t < TELLERS; t++) tx.write("teller", { id: t, balance: 0, filler: FILL });
  });
  for (let c = 0; c < accounts; c += 10_000) {
    db.transactionSync((tx) => {
      for (let a = c; a < Math.min(accounts, c + 10_000); a++)
        tx.write("account", { id: a, balance: 0, filler: FILL });
    });
  }
  let rep: ReplicationHandle | undefined;
  if (mode !== "off" && target !== undefined) {
    rep = db.replicate({
      url: target.url(`${mode}-${Date.now()}`),
      mode,
      ...(target.s3 !== undefined ? { s3: target.s3 } : {}),
    });
    while (rep.status().state === "starting") await new Promise((r) => setTimeout(r, 20));
  }
  const before = rep?.status();
  const lags: number[] = [];
  const sampler = setInterval(() => {
    if (rep !== undefined) lags.push(rep.status().lagMs);
  }, 50);
  let history = 0;
  let done = 0;
  const end = Date.now() + CFG.tpcbSecs * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: DRIVERS }, async (_, d) => {
      let s = d + 1;
      const r = () => {
        s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
        return s / 4294967296;
      };
      while (Date.now() < end) {
        const tl = Math.floor(r() * TELLERS);
        const a = Math.floor(r() * accounts);
        const delta = Math.floor(r() * 1999999) - 999999;
        await db.transaction(async (tx) => {
          const [br] = (await tx.wread("branch", 0)) as { balance: number }[];
          await tx.write("branch", { id: 0, balance: br!.balance + delta, filler: FILL });
          const [te] = (await tx.wread("teller", tl)) as { balance: number }[];
          await tx.write("teller", { id: tl, balance: te!.balance + delta, filler: FILL });
          const [ac] = (await tx.wread("account", a)) as { balance: number }[];
          await tx.write("account", { id: a, balance: ac!.balance + delta, filler: FILL });
          await tx.write("history", { id: ++history, account: a, delta, filler: FILL });
        });
        done++;
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  clearInterval(sampler);
  const after = rep?.status();
  await db.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const perMin = (x: number) => Math.round((x * 60) / secs);
  emitLine({
    system: "mneme",
    op: "tpcb_replicated",
    storage: "disc_copies",
    durability: "fsync",
    drivers: DRIVERS,
    accounts,
    replication: mode,
    target: target?.name ?? "none",
    tps: Math.round(done / secs),
    ...(before !== undefined && after !== undefined
      ? {
          lag_ms_p50: pct(lags, 50),
          lag_ms_p99: pct(lags, 99),
          objects_per_min: perMin(after.objectsShipped - before.objectsShipped),
          bytes_per_min: perMin(after.bytesShipped - before.bytesShipped),
          puts_per_min: perMin(after.puts - before.puts),
          lists: after.lists - before.lists,
          failures: after.failures,
        }
      : {}),
  });
}

async function restoreTimes(root: string, targets: readonly Target[]): Promise<void> {
  const dir = path.join(root, "big");
  await Mneme.createSchema({ dir });
  const db = await Mneme.open({ dir });
  await db.createTable("r", { attributes: ["id", "v", "filler"], discCopies: [db.node] });
  for (let c = 0; c < RESTORE_RECORDS; c += 10_000) {
    db.transactionSync((tx) => {
      for (let i = c; i < Math.min(RESTORE_RECORDS, c + 10_000); i++)
        tx.write("r", { id: i, v: i * 2, filler: FILL });
    });
  }
  await db.dumpLog();
  const file = path.join(root, "big.bup");
  await db.backup(file);
  const urls: string[] = [];
  for (const t of targets) {
    const url = t.url("restore");
    urls.push(url);
    const rep = db.replicate({ url, ...(t.s3 !== undefined ? { s3: t.s3 } : {}) });
    while (rep.status().state !== "running") await new Promise((r) => setTimeout(r, 50));
    await rep.stop();
  }
  await db.close();

  const into = path.join(root, "from-backup");
  await Mneme.createSchema({ dir: into });
  const target = await Mneme.open({ dir: into });
  let t0 = performance.now();
  await target.restore(file, { recreateTables: ["r"] });
  const backupMs = performance.now() - t0;
  await target.close();
  emitLine({
    system: "mneme",
    op: "restore_backup_file",
    records: RESTORE_RECORDS,
    ms: Math.round(backupMs),
  });
  for (const [i, t] of targets.entries()) {
    const to = path.join(root, `restored-${t.name}`);
    t0 = performance.now();
    await Mneme.restoreReplica(urls[i]!, { dir: to, ...(t.s3 !== undefined ? { s3: t.s3 } : {}) });
    const ms = performance.now() - t0;
    emitLine({
      system: "mneme",
      op: "restore_replica",
      target: t.name,
      records: RESTORE_RECORDS,
      ms: Math.round(ms),
    });
  }
}

export async function runReplicate(): Promise<void> {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-bench-replicate-"));
  const server = new S3rver({
    port: 0,
    address: "127.0.0.1",
    silent: true,
    directory: path.join(root, "s3"),
    configureBuckets: [{ name: "bench" }],
  });
  const { port } = await server.run();
  const s3: ReplicaS3Options = {
    endpoint: `http://127.0.0.1:${port}`,
    forcePathStyle: true,
    credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
  };
  const targets: Target[] = [
    { name: "file", url: (tag) => pathToFileURL(path.join(root, `replica-${tag}`)).href },
    { name: "s3", url: (tag) => `s3://bench/${tag}`, s3 },
  ];
  try {
    if (PARTS.includes("tpcb")) {
      log(`replicate: TPC-B ${CFG.tpcbSecs}s per run, ${DRIVERS} drivers`);
      for (let round = 0; round < ROUNDS; round++) {
        await tpcb(root, "off", undefined);
        for (const t of targets) {
          await tpcb(root, "async", t);
          await tpcb(root, "sync", t);
        }
      }
    }
    if (!PARTS.includes("restore")) return;
    log(`replicate: restore of ${RESTORE_RECORDS} records`);
    await restoreTimes(root, targets);
  } finally {
    await server.close();
    fs.rmSync(root, { recursive: true, force: true });
  }
}
