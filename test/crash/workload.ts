// The crash suite's child process: runs bank transfers on a database directory until it is killed.
//
//   node --import tsx test/crash/workload.ts <dir> <seed> <historyStorage> <historyType> <durability> <tag> [<scope>]
//
// <scope> "all" (the default) moves money in and between both account tables; "account" only
// within `account`, so that (with history disc_copies) the run writes nothing to LMDB and the
// driver may cut any of its log records (see wal-tail.ts).
//
// On the first run (no schema in <dir>) it creates the schema, the tables and the accounts. Then
// it prints "READY <pid>" and runs CONCURRENCY transfer loops (mostly async transactions, some
// transactionSync and syncTransaction; some with a nested transaction or a delete before a
// write), scratch-table creation and deletion, and now and then a dump_log (not awaited); the small
// dumpLogWriteThreshold makes checkpoints happen all the time, so that kills land inside them.
// Once a transfer's transaction has resolved it prints "ACK <transfer id>": with durability fsync
// or os, that commit must survive the kill. Anything unexpected is printed as "FATAL ..." on stderr, with exit code 3.
//
// Transfer ids are "<tag>-<n>"; the driver gives each run of a directory its own tag.
import fs from "node:fs";
import path from "node:path";
import {
  type AsyncActivity,
  Mneme,
  type SyncActivity,
  TransactionAborted,
} from "../../src/index.js";
import {
  ACCOUNT,
  ACCOUNT_LMDB,
  ACCOUNTS,
  type Account,
  BRANCH_NAMES,
  BRANCHES,
  between,
  type CrashDurability,
  HISTORY,
  type History,
  type HistoryStorage,
  type HistoryType,
  INITIAL,
  prng,
  refOf,
  TMP_PREFIX,
  TMP_RECORDS,
  type TmpRecord,
} from "./model.js";

const CONCURRENCY = 16;
/** A run nobody kills stops by itself (the parent died, say). */
const MAX_RUN_MS = 120_000;
const INSUFFICIENT = "insufficient_funds";

const [dir, seedArg, historyStorage, historyType, durability, tag, scope = "all"] =
  process.argv.slice(2) as [
    string,
    string,
    HistoryStorage,
    HistoryType,
    CrashDurability,
    string,
    string | undefined,
  ];

function fatal(what: string, e?: unknown): never {
  const detail = e instanceof Error ? `${e.stack ?? e.message}` : e === undefined ? "" : String(e);
  process.stderr.write(`FATAL ${what}${detail ? `: ${detail}` : ""}\n`);
  process.exit(3);
}

if (
  dir === undefined ||
  tag === undefined ||
  !["disc_copies", "disc_only_copies"].includes(historyStorage) ||
  !["set", "bag"].includes(historyType) ||
  !["fsync", "os", "none"].includes(durability) ||
  !["all", "account"].includes(scope)
) {
  fatal(`bad arguments ${JSON.stringify(process.argv.slice(2))}`);
}

// The parent gone, nobody reads our acknowledgements any more.
process.stdout.on("error", () => process.exit(0));
setTimeout(() => process.exit(0), MAX_RUN_MS).unref();

const rand = prng(Number(seedArg));

async function setUp(): Promise<Mneme> {
  const fresh = !fs.existsSync(path.join(dir, "schema.DAT"));
  if (fresh) await Mneme.createSchema({ dir });
  const db = await Mneme.open({
    dir,
    durability,
    schemaLocation: "disc",
    dumpLogWriteThreshold: between(rand, 20, 80),
  });
  db.subscribe("system", (event) => {
    // A failed background dump is a bug; repairs are the checker's business (it opens first).
    if (event.type === "mnesia_error" && /dump/i.test(event.message)) fatal(event.message);
  });
  if (fresh) {
    const accountDef = {
      attributes: ["id", "branch", "balance"] as const,
      index: ["branch"] as const,
    };
    await db.createTable<Account>(ACCOUNT, { ...accountDef, discCopies: [db.node] });
    await db.createTable<Account>(ACCOUNT_LMDB, { ...accountDef, discOnlyCopies: [db.node] });
    await db.createTable<History>(HISTORY, {
      attributes: ["id", "from", "to", "amount"],
      type: historyType,
      ...(historyStorage === "disc_copies"
        ? { discCopies: [db.node] }
        : { discOnlyCopies: [db.node] }),
    });
    await db.transaction(async (tx) => {
      for (const table of [ACCOUNT, ACCOUNT_LMDB]) {
        for (let id = 0; id < ACCOUNTS; id++) {
          await tx.write<Account>(table, {
            id,
            branch: BRANCH_NAMES[id % BRANCHES]!,
            balance: INITIAL,
          });
        }
      }
    });
  } else {
    const tables = db.systemInfo("tables") as readonly string[];
    for (const t of [ACCOUNT, ACCOUNT_LMDB, HISTORY]) {
      if (!tables.includes(t)) fatal(`table ${t} is missing after a restart (tables: ${tables})`);
    }
    for (const t of tables) if (t.startsWith(TMP_PREFIX)) await db.deleteTable(t);
  }
  return db;
}

interface Transfer {
  readonly id: string;
  /** transaction, transactionSync or syncTransaction. */
  readonly style: "async" | "sync" | "syncTransaction";
  /** The history record is written by a nested transaction. */
  readonly nested: boolean;
  /** The credited account is deleted, then written again, in the transaction. */
  readonly rewrite: boolean;
  readonly fromTable: string;
  readonly from: number;
  readonly toTable: string;
  readonly to: number;
  readonly amount: number;
  /** The credited account moves to this branch (an index change), or stays. */
  readonly newBranch: string | undefined;
}

let counter = 0;

function nextTransfer(): Transfer {
  const r = rand();
  // 45% within account, 45% within account_lmdb, 10% across the two.
  const [fromTable, toTable] =
    scope === "account" || r < 0.45
      ? [ACCOUNT, ACCOUNT]
      : r < 0.9
        ? [ACCOUNT_LMDB, ACCOUNT_LMDB]
        : rand() < 0.5
          ? [ACCOUNT, ACCOUNT_LMDB]
          : [ACCOUNT_LMDB, ACCOUNT];
  const from = between(rand, 0, ACCOUNTS - 1);
  let to = between(rand, 0, ACCOUNTS - 1);
  if (fromTable === toTable && to === from) to = (to + 1) % ACCOUNTS;
  const style = rand();
  return {
    id: `${tag}-${++counter}`,
    style: style < 0.05 ? "sync" : style < 0.15 ? "syncTransaction" : "async",
    nested: rand() < 0.1,
    rewrite: rand() < 0.1,
    fromTable,
    from,
    toTable,
    to,
    amount: between(rand, 1, 60),
    newBranch: rand() < 0.2 ? BRANCH_NAMES[between(rand, 0, BRANCHES - 1)] : undefined,
  };
}

function one(rows: readonly Account[], table: string, id: number): Account {
  if (rows.length !== 1) fatal(`${table} ${id}: read ${rows.length} records`);
  return rows[0]!;
}

/** The writes of a transfer, given the two accounts as read (with write locks). */
function apply(
  t: Transfer,
  a: Account,
  b: Account,
  abort: (reason: unknown) => never,
): [Account, Account, History] {
  if (a.balance < t.amount) abort(INSUFFICIENT);
  return [
    { ...a, balance: a.balance - t.amount },
    { ...b, balance: b.balance + t.amount, branch: t.newBranch ?? b.branch },
    {
      id: t.id,
      from: refOf(t.fromTable, t.from),
      to: refOf(t.toTable, t.to),
      amount: t.amount,
    },
  ];
}

async function transferAsync(db: Mneme, t: Transfer): Promise<void> {
  const body = async (tx: AsyncActivity) => {
    const a = one(await tx.wread<Account>(t.fromTable, t.from), t.fromTable, t.from);
    const b = one(await tx.wread<Account>(t.toTable, t.to), t.toTable, t.to);
    const [a2, b2, h] = apply(t, a, b, (r) => tx.abort(r));
    await tx.write(t.fromTable, a2);
    if (t.rewrite) await tx.delete<Account, "id">(t.toTable, t.to);
    await tx.write(t.toTable, b2);
    if (t.nested) await tx.transaction((inner) => inner.write(HISTORY, h));
    else await tx.write(HISTORY, h);
  };
  if (t.style === "syncTransaction") await db.syncTransaction(body);
  else await db.transaction(body);
}

function transferSync(db: Mneme, t: Transfer): void {
  db.transactionSync((tx: SyncActivity) => {
    const a = one(tx.wread<Account>(t.fromTable, t.from), t.fromTable, t.from);
    const b = one(tx.wread<Account>(t.toTable, t.to), t.toTable, t.to);
    const [a2, b2, h] = apply(t, a, b, (r) => tx.abort(r));
    tx.write(t.fromTable, a2);
    if (t.rewrite) tx.delete<Account, "id">(t.toTable, t.to);
    tx.write(t.toTable, b2);
    if (t.nested) tx.transaction((inner) => inner.write(HISTORY, h));
    else tx.write(HISTORY, h);
  });
}

/**
 * Schema changes under the kills: scratch tables (disc_copies or disc_only_copies) are created,
 * filled by one transaction with TMP_RECORDS records, and dropped once the next one is there; at
 * start the ones a killed run left are dropped. So at most two exist at any moment, each empty
 * or full.
 */
async function churnTables(db: Mneme): Promise<never> {
  let previous: string | undefined;
  for (let k = 0; ; k++) {
    await new Promise((resolve) => setTimeout(resolve, between(rand, 20, 250)));
    const name = `${TMP_PREFIX}${tag}_${k}`;
    await db.createTable<TmpRecord>(name, {
      attributes: ["id", "n"],
      ...(rand() < 0.5 ? { discCopies: [db.node] } : { discOnlyCopies: [db.node] }),
    });
    await db.transaction(async (tx) => {
      for (let id = 0; id < TMP_RECORDS; id++)
        await tx.write<TmpRecord>(name, { id, n: TMP_RECORDS });
    });
    if (previous !== undefined) await db.deleteTable(previous);
    previous = name;
  }
}

function ack(id: string): void {
  // Synchronous for a pipe on Linux: once it returns, the parent can read the line.
  process.stdout.write(`ACK ${id}\n`);
}

async function loop(db: Mneme): Promise<never> {
  for (;;) {
    const t = nextTransfer();
    try {
      if (t.style === "sync") {
        transferSync(db, t);
        // A macrotask turn, so that the async loops and the group commit get to run.
        ack(t.id);
        await new Promise<void>((resolve) => setImmediate(resolve));
      } else {
        await transferAsync(db, t);
        ack(t.id);
      }
    } catch (e) {
      if (e instanceof TransactionAborted && e.reason === INSUFFICIENT) continue;
      fatal(`transfer ${t.id} failed`, e);
    }
  }
}

try {
  const db = await setUp();
  const dumper = setInterval(
    () => {
      db.dumpLog().catch((e: unknown) => fatal("dumpLog failed", e));
    },
    between(rand, 30, 200),
  );
  dumper.unref();
  process.stdout.write(`READY ${process.pid}\n`);
  await Promise.all([churnTables(db), ...Array.from({ length: CONCURRENCY }, () => loop(db))]);
} catch (e) {
  fatal("workload failed", e);
}
