// The timing method of ../shared/anchors (meter.erl and bench.mjs), so that figures sit side by side:
// calibrate (1, 2, 4, ... calls until a batch takes 20 ms or has 2,000 calls), N = ITERS unless a
// round would exceed the budget, one untimed round of N, a full GC, then ROUNDS timed rounds;
// ns_per_op = median round / N. Output: one JSON object per line on stdout, progress on stderr.

const envInt = (name: string, d: number): number => {
  const v = process.env[name];
  return v ? Number.parseInt(v, 10) : d;
};

export const CFG = {
  iters: envInt("BENCH_ITERS", 20000),
  rounds: envInt("BENCH_ROUNDS", 5),
  budgetNs: envInt("BENCH_BUDGET_MS", 400) * 1e6,
  tpcbSecs: envInt("TPCB_SECS", 10),
  tpcbAccounts: envInt("TPCB_ACCOUNTS", 100000),
};

const WARMUP = 2000;
const CALIB_NS = 20e6;

export interface Stats {
  readonly ns: number;
  readonly n: number;
  readonly min: number;
  readonly max: number;
}

let sink: unknown;
export const log = (...a: unknown[]): void => console.error(...a);
const now = (): bigint => process.hrtime.bigint();

function loop(fn: (i: number) => unknown, from: number, to: number): void {
  for (let i = from; i < to; i++) sink = fn(i);
}

function settle(): void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc === "function") gc();
}

function stats(roundNs: number[], n: number): Stats {
  const s = [...roundNs].sort((a, b) => a - b);
  const m = s.length;
  const med = m % 2 ? s[(m - 1) / 2]! : (s[m / 2 - 1]! + s[m / 2]!) / 2;
  return { ns: med / n, n, min: s[0]! / n, max: s[m - 1]! / n };
}

function pickN(est: number): number {
  return Math.max(1, Math.min(CFG.iters, Math.floor(CFG.budgetNs / Math.max(1, est))));
}

/** Times a synchronous operation; fn(i) performs one. */
export function measure(fn: (i: number) => unknown): Stats {
  let count = 1;
  let done = 0;
  let est: number;
  for (;;) {
    const t0 = now();
    loop(fn, done, done + count);
    const dt = Number(now() - t0);
    done += count;
    if (dt >= CALIB_NS || count >= WARMUP) {
      est = dt / count;
      break;
    }
    count *= 2;
  }
  const n = pickN(est);
  loop(fn, 0, n);
  settle();
  const rounds: number[] = [];
  for (let r = 0; r < CFG.rounds; r++) {
    const t0 = now();
    loop(fn, 0, n);
    rounds.push(Number(now() - t0));
  }
  return stats(rounds, n);
}

/** Times an asynchronous operation, one after another: fn(i) resolves when operation i is done. */
export async function measureAsync(fn: (i: number) => Promise<unknown>): Promise<Stats> {
  const batch = async (from: number, to: number) => {
    for (let i = from; i < to; i++) sink = await fn(i);
  };
  let count = 1;
  let done = 0;
  let est: number;
  for (;;) {
    const t0 = now();
    await batch(done, done + count);
    const dt = Number(now() - t0);
    done += count;
    if (dt >= CALIB_NS || count >= WARMUP) {
      est = dt / count;
      break;
    }
    count *= 2;
  }
  const n = pickN(est);
  await batch(0, n);
  settle();
  const rounds: number[] = [];
  for (let r = 0; r < CFG.rounds; r++) {
    const t0 = now();
    await batch(0, n);
    rounds.push(Number(now() - t0));
  }
  return stats(rounds, n);
}

/** Times whole traversals; pass() walks every record once and returns the number of steps. */
export function measureTraversal(pass: () => number): Stats {
  const t0 = now();
  const steps = pass();
  const est = Number(now() - t0) / steps;
  const passes = Math.max(
    1,
    Math.floor(Math.min(CFG.iters, Math.round(CFG.budgetNs / est)) / steps),
  );
  for (let p = 0; p < passes; p++) pass();
  settle();
  const rounds: number[] = [];
  for (let r = 0; r < CFG.rounds; r++) {
    const r0 = now();
    for (let p = 0; p < passes; p++) pass();
    rounds.push(Number(now() - r0));
  }
  return stats(rounds, passes * steps);
}

const num = (x: number): number => (x >= 100 ? Math.round(x) : Math.round(x * 10) / 10);

export function emit(
  system: string,
  storage: string,
  op: string,
  s: Stats,
  extra: Record<string, unknown> = {},
): void {
  const line = {
    system,
    storage,
    op,
    ns_per_op: num(s.ns),
    n: s.n,
    min_ns: num(s.min),
    max_ns: num(s.max),
    ...extra,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export function emitLine(line: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

export function keepAlive(): unknown {
  return sink;
}
