// The crash suite's bank: what the workload (workload.ts) writes and the checker (check.ts) expects.
//
// Two account tables hold the same accounts by id: `account` (disc_copies) and `account_lmdb`
// (disc_only_copies); both index `branch`. Every transfer moves `amount` from one account to
// another (in one table, or across the two) and inserts a `history` record keyed by a transfer id
// unique in its directory. So after any crash, each account's balance must equal INITIAL plus what
// the history records say it received minus what they say it sent.

export const ACCOUNTS = 64;
export const BRANCHES = 8;
export const INITIAL = 1000;
/** Both tables hold ACCOUNTS accounts of INITIAL each. */
export const TOTAL = 2 * ACCOUNTS * INITIAL;

export const ACCOUNT = "account";
export const ACCOUNT_LMDB = "account_lmdb";
export const HISTORY = "history";

export interface Account {
  id: number;
  branch: string;
  balance: number;
}

export interface History {
  /** The transfer id: `<run tag>-<n>`, unique in a directory. */
  id: string;
  /** "A:<id>" for an account of `account`, "L:<id>" for one of `account_lmdb`. */
  from: string;
  to: string;
  amount: number;
}

export type HistoryStorage = "disc_copies" | "disc_only_copies";
export type HistoryType = "set" | "bag";
export type CrashDurability = "fsync" | "os" | "none";

/** Scratch tables: `${TMP_PREFIX}<run tag>_<n>`, each empty or holding TMP_RECORDS records. */
export const TMP_PREFIX = "tmp_";
export const TMP_RECORDS = 10;

export interface TmpRecord {
  id: number;
  /** TMP_RECORDS, in every record. */
  n: number;
}

/** How one directory is set up and written (fixed for the directory's lifetime). */
export interface Mix {
  readonly historyStorage: HistoryStorage;
  readonly historyType: HistoryType;
  /**
   * With fsync and os, a commit acknowledged survives a SIGKILL (the OS has its bytes); with none,
   * only what reached the log does.
   */
  readonly durability: CrashDurability;
}

export function branchName(i: number): string {
  return `b${i}`;
}

export const BRANCH_NAMES: readonly string[] = Array.from({ length: BRANCHES }, (_, i) =>
  branchName(i),
);

/** The table an account reference ("A:3", "L:7") lives in, and its id. */
export function parseRef(ref: string): { table: string; id: number } | undefined {
  const m = /^([AL]):(\d+)$/.exec(ref);
  if (m === null) return undefined;
  const id = Number(m[2]);
  if (id >= ACCOUNTS) return undefined;
  return { table: m[1] === "A" ? ACCOUNT : ACCOUNT_LMDB, id };
}

export function refOf(table: string, id: number): string {
  return `${table === ACCOUNT ? "A" : "L"}:${id}`;
}

/** mulberry32: a small seeded PRNG, so that a failing run can be repeated from its seed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A random integer in [lo, hi]. */
export function between(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}
