// The crash suite's checker: opens a directory the workload was killed in and verifies that
//  - every acknowledged transfer is there (unless the driver itself cut its log record away),
//    and so is every transfer an earlier check saw;
//  - no transfer is half-applied: each account's balance is INITIAL plus its incoming minus its
//    outgoing history amounts (so the total is conserved too);
//  - the `branch` indexes of both account tables agree with the data, for every branch;
//  - table sizes agree with the contents (and each account table holds all ACCOUNTS accounts);
//  - the scratch tables the workload creates and drops are at most two, each empty or full.
// The database is closed afterwards, also when a check fails.
//
// Also usable by hand: node --import tsx test/crash/check.ts <dir>
import { Mneme, type OpenOptions } from "../../src/index.js";
import {
  ACCOUNT,
  ACCOUNT_LMDB,
  ACCOUNTS,
  type Account,
  BRANCH_NAMES,
  HISTORY,
  type History,
  INITIAL,
  parseRef,
  refOf,
  TMP_PREFIX,
  TMP_RECORDS,
  type TmpRecord,
  TOTAL,
} from "./model.js";

export class CheckFailure extends Error {
  override name = "CheckFailure";
}

export interface CheckInput {
  /** Transfer ids acknowledged by the run just killed. */
  readonly acked: readonly string[];
  /** Transfer ids the driver cut out of the log (damage): their loss is allowed. */
  readonly mayBeLost?: ReadonlySet<string>;
  /** Transfer ids present at an earlier check: they must still be there. */
  readonly seen?: ReadonlySet<string>;
  /** Options for the open (autoRepair, dumpDiscCopiesAtStartup, ...). */
  readonly open?: Omit<OpenOptions, "dir">;
}

export interface CheckResult {
  /** Every transfer id in `history`. */
  readonly ids: Set<string>;
  readonly history: number;
  readonly ackedChecked: number;
  readonly openMs: number;
}

function fail(message: string): never {
  throw new CheckFailure(message);
}

function collect<T>(r: T, acc: T[]): T[] {
  acc.push(r);
  return acc;
}

function sortedIds(rows: readonly { readonly id: number }[]): number[] {
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

function sameList(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function checkAccounts(db: Mneme, table: string, expected: Map<string, number>): number {
  const rows = db.dirtyFoldl<Account[], Account>(table, collect, []);
  const size = db.tableInfo(table, "size");
  if (rows.length !== ACCOUNTS) fail(`${table} holds ${rows.length} accounts, not ${ACCOUNTS}`);
  if (size !== rows.length) fail(`${table}: size ${size}, but ${rows.length} records`);
  const all = db.dirtyMatchObject<Account>(table, {});
  if (all.length !== rows.length) {
    fail(`${table}: dirtyMatchObject gives ${all.length} records, fold ${rows.length}`);
  }
  let sum = 0;
  const byBranch = new Map<string, Account[]>(BRANCH_NAMES.map((b) => [b, []]));
  for (const r of rows) {
    if (!Number.isInteger(r.id) || r.id < 0 || r.id >= ACCOUNTS) {
      fail(`${table}: bad record ${JSON.stringify(r)}`);
    }
    const list = byBranch.get(r.branch);
    if (list === undefined) fail(`${table}: account ${r.id} has unknown branch ${r.branch}`);
    list.push(r);
    const want = expected.get(refOf(table, r.id)) ?? INITIAL;
    if (r.balance !== want) {
      fail(
        `${table}: account ${r.id} has balance ${r.balance}, its history says ${want} ` +
          "(a transfer is half-applied, or a history record is lost or extra)",
      );
    }
    const [again] = db.dirtyRead<Account, "id">(table, r.id);
    if (again === undefined || again.balance !== r.balance || again.branch !== r.branch) {
      fail(`${table}: dirtyRead ${r.id} gives ${JSON.stringify(again)}, fold ${JSON.stringify(r)}`);
    }
    sum += r.balance;
  }
  for (const [branch, list] of byBranch) {
    const want = sortedIds(list);
    const viaIndex = sortedIds(db.dirtyIndexRead<Account>(table, branch, "branch"));
    if (!sameList(viaIndex, want)) {
      fail(`${table}: index of branch ${branch} gives [${viaIndex}], the data says [${want}]`);
    }
    const viaMatch = sortedIds(db.dirtyMatchObject<Account>(table, { branch }));
    if (!sameList(viaMatch, want)) {
      fail(`${table}: match of branch ${branch} gives [${viaMatch}], the data says [${want}]`);
    }
  }
  return sum;
}

/** Opens `dir`, checks it (throwing CheckFailure), closes it. */
export async function checkDir(dir: string, input: CheckInput): Promise<CheckResult> {
  const started = performance.now();
  const db = await Mneme.open({ ...input.open, dir, schemaLocation: "disc" });
  const openMs = performance.now() - started;
  try {
    const tables = db.systemInfo("tables") as readonly string[];
    for (const t of [ACCOUNT, ACCOUNT_LMDB, HISTORY]) {
      if (!tables.includes(t)) fail(`table ${t} is missing (tables: ${tables.join(", ")})`);
    }

    // History: well-formed records with unique ids; what each account received and sent.
    const history = db.dirtyFoldl<History[], History>(HISTORY, collect, []);
    const size = db.tableInfo(HISTORY, "size");
    if (size !== history.length) fail(`${HISTORY}: size ${size}, but ${history.length} records`);
    const keys = db.dirtyAllKeys<History, "id">(HISTORY);
    const ids = new Set<string>();
    const expected = new Map<string, number>();
    for (const h of history) {
      const from = parseRef(h.from);
      const to = parseRef(h.to);
      if (
        typeof h.id !== "string" ||
        from === undefined ||
        to === undefined ||
        !Number.isInteger(h.amount) ||
        h.amount <= 0
      ) {
        fail(`${HISTORY}: bad record ${JSON.stringify(h)}`);
      }
      if (ids.has(h.id)) fail(`${HISTORY}: transfer ${h.id} is there twice`);
      ids.add(h.id);
      expected.set(h.from, (expected.get(h.from) ?? INITIAL) - h.amount);
      expected.set(h.to, (expected.get(h.to) ?? INITIAL) + h.amount);
    }
    if (new Set(keys).size !== ids.size || keys.length !== ids.size) {
      fail(`${HISTORY}: dirtyAllKeys gives ${keys.length} keys, the fold ${ids.size} records`);
    }

    // Scratch tables: at most two, each empty or full (created, filled, dropped in that order).
    const scratch = tables.filter((t) => t.startsWith(TMP_PREFIX));
    if (scratch.length > 2) fail(`${scratch.length} scratch tables: ${scratch.join(", ")}`);
    for (const t of scratch) {
      const rows = db.dirtyFoldl<TmpRecord[], TmpRecord>(t, collect, []);
      const n = db.tableInfo(t, "size");
      const ok =
        n === rows.length &&
        (n === 0 ||
          (n === TMP_RECORDS &&
            sortedIds(rows).every((id, i) => id === i) &&
            rows.every((r) => r.n === TMP_RECORDS)));
      if (!ok) fail(`scratch table ${t} (size ${n}) is half-filled: ${JSON.stringify(rows)}`);
    }

    const total = checkAccounts(db, ACCOUNT, expected) + checkAccounts(db, ACCOUNT_LMDB, expected);
    if (total !== TOTAL) fail(`the total balance is ${total}, not ${TOTAL}`);

    // Durability: acknowledged transfers, and whatever an earlier check saw.
    let ackedChecked = 0;
    const missing: string[] = [];
    for (const id of input.acked) {
      if (input.mayBeLost?.has(id)) continue;
      ackedChecked++;
      if (!ids.has(id)) missing.push(id);
      else if (db.dirtyRead<History, "id">(HISTORY, id).length !== 1) {
        fail(`${HISTORY}: transfer ${id} is in the fold but dirtyRead does not find it`);
      }
    }
    if (missing.length > 0) {
      fail(
        `${missing.length} of ${ackedChecked} acknowledged transfers are lost: ` +
          `${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ", ..." : ""}`,
      );
    }
    if (input.seen !== undefined) {
      const lost = [...input.seen].filter((id) => !ids.has(id) && !input.mayBeLost?.has(id));
      if (lost.length > 0) {
        fail(
          `${lost.length} transfers present at an earlier check are lost: ` +
            `${lost.slice(0, 10).join(", ")}${lost.length > 10 ? ", ..." : ""}`,
        );
      }
    }
    return { ids, history: history.length, ackedChecked, openMs };
  } finally {
    await db.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const dir = process.argv[2];
  if (dir === undefined) {
    process.stderr.write("usage: node --import tsx test/crash/check.ts <dir>\n");
    process.exit(2);
  }
  checkDir(dir, { acked: [], open: { dumpDiscCopiesAtStartup: false } }).then(
    (r) => process.stdout.write(`ok: ${r.history} transfers (open ${r.openMs.toFixed(0)} ms)\n`),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
      process.exit(1);
    },
  );
}
