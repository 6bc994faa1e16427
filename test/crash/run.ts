// The crash suite: kills the bank workload (workload.ts) with SIGKILL over and over, checking the
// database after every kill (check.ts), and now and then damages the log first (wal-tail.ts).
//
//   node --import tsx test/crash/run.ts [--kills N] [--seed S] [--workers W] [--cycles-per-dir C]
//                                       [--keep] [--verbose]
//   npm run test:crash                    200 kills (the default; part of npm test)
//   npm run test:crash -- --kills 1000    the long version
//
// W workers (default 3) run at once, each on its own directory, so kills proceed in parallel.
// Each cycle of a worker: start the workload on its directory, kill it at a random moment
// (mostly 50-600 ms after it is READY, sometimes during its start: replay and startup dump), then
// check. State accumulates over the cycles; after C cycles (default 25) a worker starts over in a
// fresh directory with the next table mix (history disc_copies or disc_only_copies, set or bag;
// durability fsync, os or none). Every so often a cycle damages the log after the kill: a cut of
// the last segment (a torn tail) or a flipped bit; the database must refuse to open it with
// autoRepair false (CorruptFileError naming the file and offset, the file unchanged) and repair
// it with autoRepair true, losing no record before the damage (and none a snapshot holds); half
// the time that repair is left to the next run's workload, which is then often killed during its
// start. wal-tail.ts says which records may be damaged and why. Damage to old segments, and the
// refusals of a log that would keep half transactions, are wal-segments.test.ts's.
//
// Exits 1 on the first failed check, printing the seed, worker, cycle and directory (kept).
// Prints one line, "crash run: " and a summary in JSON (--verbose: a line per cycle too).
import { type ChildProcess, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { CorruptFileError, Mneme } from "../../src/index.js";
import { scanWal } from "../../src/wal/index.js";
import { CheckFailure, checkDir } from "./check.js";
import { between, type Mix, prng } from "./model.js";
import { type DamageKind, damageTail, readWal } from "./wal-tail.js";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, "../..");
const WORKLOAD = path.join(HERE, "workload.ts");

interface Options {
  kills: number;
  seed: number;
  workers: number;
  cyclesPerDir: number;
  keep: boolean;
  verbose: boolean;
}

function parseArgs(argv: readonly string[]): Options {
  const o: Options = {
    kills: 200,
    seed: Math.floor(Math.random() * 2 ** 31),
    workers: 3,
    cyclesPerDir: 25,
    keep: false,
    verbose: false,
  };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [name, inline] = arg.includes("=") ? arg.split("=", 2) : [arg, undefined];
    const value = (): number => {
      const v = Number(inline ?? argv[++i]);
      if (!Number.isSafeInteger(v) || v < 0) usage(`${name} needs a non-negative integer`);
      return v;
    };
    switch (name) {
      case "--kills":
        o.kills = value();
        break;
      case "--seed":
        o.seed = value();
        break;
      case "--workers":
        o.workers = Math.max(1, value());
        break;
      case "--cycles-per-dir":
        o.cyclesPerDir = Math.max(1, value());
        break;
      case "--keep":
        o.keep = true;
        break;
      case "--verbose":
        o.verbose = true;
        break;
      default:
        usage(`unknown argument ${arg}`);
    }
  }
  return o;
}

function usage(why: string): never {
  process.stderr.write(
    `${why}\nusage: run.ts [--kills N] [--seed S] [--workers W] [--cycles-per-dir C] [--keep] [--verbose]\n`,
  );
  process.exit(2);
}

/** The share of cycles that damage the log after the kill. */
const DAMAGE_RATE = 0.2;

const MIXES: readonly Mix[] = [
  { historyStorage: "disc_copies", historyType: "set", durability: "fsync" },
  { historyStorage: "disc_only_copies", historyType: "bag", durability: "fsync" },
  { historyStorage: "disc_copies", historyType: "bag", durability: "os" },
  { historyStorage: "disc_only_copies", historyType: "set", durability: "os" },
  { historyStorage: "disc_copies", historyType: "set", durability: "none" },
];

// ---- starting the workload ------------------------------------------------------------------------

/**
 * The command that starts the workload. Bundled once with esbuild (which tsx brings) when it can
 * be, since loading tsx costs more than a cycle's run on a busy machine; otherwise through tsx.
 */
async function workloadCommand(): Promise<string[]> {
  // One file per driver, so that two suites running at once do not write the same one. In
  // node_modules, so that the bundle's own imports (lmdb, msgpackr, ...) resolve.
  const out = path.join(
    ROOT,
    "node_modules",
    ".cache",
    "mneme-crash",
    `workload-${process.pid}.mjs`,
  );
  process.on("exit", () => fs.rmSync(out, { force: true }));
  try {
    const name = "esbuild";
    const esbuild = (await import(name)) as {
      build(options: Record<string, unknown>): Promise<unknown>;
    };
    await esbuild.build({
      entryPoints: [WORKLOAD],
      outfile: out,
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node20",
      packages: "external",
      logLevel: "error",
    });
    return [out];
  } catch (e) {
    process.stderr.write(
      `crash: could not bundle the workload (${(e as Error).message}); running it with tsx\n`,
    );
    return ["--import", "tsx", WORKLOAD];
  }
}

interface RunResult {
  readonly acked: string[];
  readonly ready: boolean;
  readonly stderr: string;
  readonly ms: number;
}

class WorkloadError extends Error {
  override name = "WorkloadError";
}

/**
 * Starts the workload and SIGKILLs it `delayMs` after READY, or, with `early`, `delayMs` after
 * the start whether it is READY or not. Resolves with the transfers it acknowledged.
 */
function runAndKill(
  command: readonly string[],
  args: readonly string[],
  delayMs: number,
  early: boolean,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child: ChildProcess = spawn(process.execPath, [...command, ...args], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    let ready = false;
    let killTimer: NodeJS.Timeout | undefined;
    const kill = () => child.kill("SIGKILL");
    const guard = setTimeout(() => {
      kill();
      err += "\n[crash driver: no READY within 60 s]";
    }, 60_000);
    if (early) killTimer = setTimeout(kill, delayMs);
    child.stdout!.setEncoding("utf8");
    child.stderr!.setEncoding("utf8");
    child.stderr!.on("data", (s: string) => {
      err += s;
    });
    child.stdout!.on("data", (s: string) => {
      out += s;
      if (!ready && /^READY \d+$/m.test(out)) {
        ready = true;
        clearTimeout(guard);
        killTimer ??= setTimeout(kill, delayMs);
      }
    });
    child.on("error", reject);
    child.on("close", (code, signal) => {
      clearTimeout(guard);
      clearTimeout(killTimer);
      if (signal !== "SIGKILL" || err.includes("FATAL") || err.includes("no READY")) {
        reject(
          new WorkloadError(
            `the workload ended by itself (code ${code}, signal ${signal}):\n${err.trim()}`,
          ),
        );
        return;
      }
      // A line the kill cut short is not an acknowledgement.
      const lines = out.split("\n");
      if (!out.endsWith("\n")) lines.pop();
      const acked: string[] = [];
      for (const line of lines) if (line.startsWith("ACK ")) acked.push(line.slice(4));
      resolve({ acked, ready, stderr: err, ms: performance.now() - started });
    });
  });
}

// ---- one worker ---------------------------------------------------------------------------------

interface Totals {
  kills: number;
  earlyKills: number;
  acksChecked: number;
  damage: Record<DamageKind, number>;
  damageSkipped: number;
  damageAfterDump: number;
  deferredRepairs: number;
  /** What recovery found wrong with the log after a plain kill, by kind. */
  killLeftDamage: Record<string, number>;
  cleanCuts: number;
  strictOpens: number;
  dirs: number;
  maxTransfers: number;
  checkMs: number;
}

const totals: Totals = {
  kills: 0,
  earlyKills: 0,
  acksChecked: 0,
  damage: { truncate: 0, bitflip: 0 },
  damageSkipped: 0,
  damageAfterDump: 0,
  deferredRepairs: 0,
  killLeftDamage: {},
  cleanCuts: 0,
  strictOpens: 0,
  dirs: 0,
  maxTransfers: 0,
  checkMs: 0,
};

let stopped = false;
let killsStarted = 0;

class Failure extends Error {
  override name = "Failure";
}

function fileDigest(file: string): string {
  return fs.existsSync(file)
    ? createHash("sha1").update(fs.readFileSync(file)).digest("hex")
    : "missing";
}

/** Opening a damaged log with autoRepair false must fail, naming the place, and change nothing. */
async function expectStrictOpen(
  dir: string,
  damage: NonNullable<ReturnType<typeof damageTail>>,
): Promise<void> {
  const before = fileDigest(damage.file);
  let db: Mneme | undefined;
  try {
    db = await Mneme.open({ dir, autoRepair: false, schemaLocation: "disc" });
  } catch (e) {
    if (!damage.corrupt) throw new Failure(`a clean cut of the log failed to open: ${String(e)}`);
    if (!(e instanceof CorruptFileError)) {
      throw new Failure(
        `autoRepair false on a damaged log threw ${String(e)}, not CorruptFileError`,
      );
    }
    if (e.file !== damage.file || !e.message.includes(damage.file)) {
      throw new Failure(`CorruptFileError names ${e.file} (${e.message}), not ${damage.file}`);
    }
    if (e.offset !== damage.badRecordOffset) {
      throw new Failure(
        `CorruptFileError says offset ${e.offset}, the damaged record is at ${damage.badRecordOffset}`,
      );
    }
    if (fileDigest(damage.file) !== before) {
      throw new Failure("a failed open with autoRepair false changed the damaged segment");
    }
    totals.strictOpens++;
    return;
  }
  await db.close();
  if (damage.corrupt) {
    throw new Failure(
      `autoRepair false opened a damaged log (${damage.kind} at ${damage.offset} of ${damage.file})`,
    );
  }
  totals.cleanCuts++;
}

async function worker(w: number, o: Options, root: string, command: readonly string[]) {
  const rand = prng(o.seed + w * 7919);
  let dirNo = 0;
  let dir = "";
  let mix: Mix = MIXES[0]!;
  let cycleInDir = 0;
  let seen = new Set<string>();
  /** A damaged log left for the next run's workload to repair: what the check must then expect. */
  let pending:
    | { acks: readonly string[]; inLog: readonly string[]; lost: ReadonlySet<string> }
    | undefined;
  let cycle = 0;
  const fresh = () => {
    if (dir !== "" && !o.keep) fs.rmSync(dir, { recursive: true, force: true });
    dir = path.join(root, `w${w}-d${dirNo}`);
    mix = MIXES[(w + dirNo) % MIXES.length]!;
    dirNo++;
    totals.dirs++;
    cycleInDir = 0;
    seen = new Set();
  };
  fresh();
  while (!stopped && killsStarted < o.kills) {
    killsStarted++;
    cycle++;
    if (cycleInDir >= o.cyclesPerDir) fresh();
    const where = `worker ${w}, cycle ${cycle} (cycle ${cycleInDir + 1} of ${dir}, ${JSON.stringify(mix)})`;
    try {
      // A kill during the start (replay, startup dump, repair of a damaged log) needs a
      // directory set up before.
      const early = cycleInDir > 0 && rand() < (pending === undefined ? 0.1 : 0.5);
      const delay = early ? between(rand, 0, 400) : between(rand, 50, 600);
      const childSeed = between(rand, 0, 2 ** 31);
      // A damage cycle is chosen before the run: with history in RAM tables, the run then moves
      // money within `account` only, so that none of its log records reaches LMDB and all of
      // them may be cut (wal-tail.ts says why records that reached LMDB may not).
      const damageKind: DamageKind | undefined =
        cycleInDir > 0 && pending === undefined && rand() < DAMAGE_RATE
          ? rand() < 0.5
            ? "truncate"
            : "bitflip"
          : undefined;
      const scope =
        damageKind !== undefined && mix.historyStorage === "disc_copies" ? "account" : "all";
      const run = await runAndKill(
        command,
        [
          dir,
          String(childSeed),
          mix.historyStorage,
          mix.historyType,
          mix.durability,
          `r${cycleInDir}`,
          scope,
        ],
        delay,
        early,
      );
      if (!run.ready && cycleInDir === 0)
        throw new Failure("the first run was killed before READY");
      totals.kills++;
      if (!run.ready) totals.earlyKills++;
      cycleInDir++;

      // A kill alone may leave what recovery calls damage (an empty new segment, say): counted,
      // since a database opened with autoRepair false would refuse such a directory.
      if (pending === undefined && fs.existsSync(path.join(dir, "wal"))) {
        const left = scanWal(path.join(dir, "wal")).damage;
        if (left !== undefined) {
          totals.killLeftDamage[left.detail] = (totals.killLeftDamage[left.detail] ?? 0) + 1;
        }
      }
      const wal = readWal(dir, mix.historyStorage);
      const inLog = wal.flatMap((r) => r.transfers);
      let lost: ReadonlySet<string> | undefined = pending?.lost;
      let note = pending === undefined ? "" : " (repairing the log left damaged)";
      let damaged = false;
      if (damageKind !== undefined) {
        const kind = damageKind;
        let damage = damageTail(dir, wal, kind, rand);
        if (damage === undefined) {
          // The tail is all LMDB records (history in LMDB): an open and close first makes a
          // checkpoint of everything, after which any record may be cut and none may be lost.
          totals.damageAfterDump++;
          await (await Mneme.open({ dir, schemaLocation: "disc" })).close();
          damage = damageTail(dir, readWal(dir, mix.historyStorage), kind, rand);
        }
        if (damage === undefined) totals.damageSkipped++;
        else {
          totals.damage[kind]++;
          lost = new Set([...(lost ?? []), ...damage.lost]);
          damaged = true;
          note = ` ${kind} at ${damage.offset} (${damage.cut} records, ${damage.lost.size} transfers cut)`;
          await expectStrictOpen(dir, damage);
        }
      }
      // What the log holds must be there too, acknowledged or not: a kill loses no OS write.
      // With durability none, an acknowledgement promises nothing.
      const acks = [...(pending?.acks ?? []), ...(mix.durability === "none" ? [] : run.acked)];
      const logged = [...(pending?.inLog ?? []), ...inLog];
      pending = undefined;
      if (damaged && rand() < 0.5 && cycleInDir < o.cyclesPerDir) {
        // Half the time the next run's workload repairs the log (and may be killed doing it).
        pending = { acks, inLog: logged, lost: lost! };
        totals.deferredRepairs++;
        if (o.verbose) process.stdout.write(`w${w} #${cycle}${note}, repair deferred\n`);
        continue;
      }
      const t0 = performance.now();
      const result = await checkDir(dir, {
        acked: [...acks, ...logged],
        ...(lost === undefined ? {} : { mayBeLost: lost }),
        seen,
        open: { dumpDiscCopiesAtStartup: rand() < 0.5 },
      });
      totals.checkMs += performance.now() - t0;
      totals.acksChecked += acks.filter((id) => !lost?.has(id)).length;
      totals.maxTransfers = Math.max(totals.maxTransfers, result.history);
      seen = result.ids;
      if (o.verbose) {
        process.stdout.write(
          `w${w} #${cycle} ${run.ready ? "" : "early "}kill after ${run.ms.toFixed(0)} ms: ` +
            `${run.acked.length} acked, ${result.history} transfers, open ${result.openMs.toFixed(0)} ms${note}\n`,
        );
      }
    } catch (e) {
      if (stopped) return;
      stopped = true;
      const kind = e instanceof CheckFailure || e instanceof Failure ? "check failed" : "error";
      process.stderr.write(
        `\nCRASH TEST FAILED (${kind}) — seed ${o.seed}, ${where}\n` +
          `directory kept: ${dir}\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      throw e;
    }
  }
  if (pending !== undefined && !stopped) {
    // The kills ran out with a damaged log waiting for its repair.
    try {
      const { acks, inLog, lost } = pending;
      await checkDir(dir, { acked: [...acks, ...inLog], mayBeLost: lost, seen });
    } catch (e) {
      stopped = true;
      process.stderr.write(
        `\nCRASH TEST FAILED — seed ${o.seed}, worker ${w}, final check of ${dir}\n${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`,
      );
      throw e;
    }
  }
  if (!o.keep && !stopped) fs.rmSync(dir, { recursive: true, force: true });
}

// ---- main ---------------------------------------------------------------------------------------

const options = parseArgs(process.argv.slice(2));
const started = performance.now();
const root = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-crash-"));
const command = await workloadCommand();
// Quiet unless asked: one summary line at the end (a failure prints its seed and directory).
if (options.verbose) {
  process.stdout.write(
    `crash: ${options.kills} kills, ${options.workers} workers, seed ${options.seed}, in ${root}\n`,
  );
}
const outcome = await Promise.allSettled(
  Array.from({ length: options.workers }, (_, w) => worker(w, options, root, command)),
);
const failed = outcome.some((r) => r.status === "rejected");
if (!failed && !options.keep) fs.rmSync(root, { recursive: true, force: true });
const summary = {
  ok: !failed,
  seed: options.seed,
  workers: options.workers,
  kills: totals.kills,
  earlyKills: totals.earlyKills,
  acksChecked: totals.acksChecked,
  damage: totals.damage,
  damageSkipped: totals.damageSkipped,
  damageAfterDump: totals.damageAfterDump,
  deferredRepairs: totals.deferredRepairs,
  killLeftDamage: totals.killLeftDamage,
  strictOpens: totals.strictOpens,
  cleanCuts: totals.cleanCuts,
  dirs: totals.dirs,
  maxTransfers: totals.maxTransfers,
  checkMs: Math.round(totals.checkMs),
  durationMs: Math.round(performance.now() - started),
};
process.stdout.write(`crash run: ${JSON.stringify(summary)}\n`);
process.exit(failed ? 1 : 0);
