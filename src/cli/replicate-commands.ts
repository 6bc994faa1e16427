// The replication commands of the mneme CLI: `replicate` (foreground, until SIGINT/SIGTERM),
// `restore-replica` and `replicas`. Replica URLs are file:///path or s3://bucket/prefix, the S3
// ones configured as the other commands' s3:// locations (flags, or the AWS SDK's environment).
import type { Command } from "commander";
import { Mneme, type ReplicaS3Options, type ReplicationStatus } from "../index.js";
import { describeReplica } from "../replicate/restore.js";
import { type Print, stderrLogger, UsageError } from "./commands.js";
import { type S3CliOptions, s3Flags } from "./storage.js";

const defaultPrint: Print = (line) => {
  process.stdout.write(`${line}\n`);
};

/** The S3 options of a replica URL from the flags and the SDK's usual environment variables. */
export function replicaS3Options(o: S3CliOptions): ReplicaS3Options {
  const env = process.env;
  env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
  // The SDK's credential chain reads the profile from here; credentials are never printed.
  if (o.profile !== undefined) env.AWS_PROFILE = o.profile;
  const endpoint = o.endpoint ?? env.AWS_ENDPOINT_URL_S3 ?? env.AWS_ENDPOINT_URL;
  return {
    ...(endpoint !== undefined ? { endpoint } : {}),
    ...(o.region !== undefined ? { region: o.region } : {}),
    forcePathStyle: o.pathStyle === true || env.AWS_S3_FORCE_PATH_STYLE === "true",
  };
}

function ms(name: string): (v: string) => number {
  return (v) => {
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0)
      throw new UsageError(`${name} must be a positive number of ms, got ${v}`);
    return n;
  };
}

function position(v: string): number {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new UsageError(`--position must be a log position, got ${v}`);
  return n;
}

const iso = (t: number) => new Date(t).toISOString();

/** One line of replication status, for the terminal and for the log. */
export function statusLine(s: ReplicationStatus): string {
  return `${s.state}: shipped position ${s.shippedPosition}, lag ${s.lagPositions} positions / ${s.lagMs} ms, ${s.objects} objects, ${s.puts} PUT ${s.lists} LIST${s.lastError === undefined ? "" : `, last error: ${s.lastError}`}`;
}

export interface ReplicateCliOptions extends S3CliOptions {
  readonly syncInterval?: number;
  readonly snapshotInterval?: number;
  readonly retention?: number;
  readonly validationInterval?: number;
  readonly mode?: "async" | "sync";
}

/**
 * `mneme replicate <dir> <url>`: opens the database and replicates it until SIGINT or SIGTERM,
 * then ships what was committed and closes. On a terminal the status line is redrawn every second;
 * otherwise a line is printed when the state changes.
 */
export async function replicateCommand(
  dir: string,
  url: string,
  o: ReplicateCliOptions,
  print: Print = defaultPrint,
  signals: readonly NodeJS.Signals[] = ["SIGINT", "SIGTERM"],
): Promise<void> {
  const db = await Mneme.open({ dir, schemaLocation: "disc", logger: stderrLogger });
  let rep: ReturnType<Mneme["replicate"]>;
  try {
    rep = db.replicate({
      url,
      ...(o.syncInterval !== undefined ? { syncInterval: o.syncInterval } : {}),
      ...(o.snapshotInterval !== undefined ? { snapshotInterval: o.snapshotInterval } : {}),
      ...(o.retention !== undefined ? { retention: o.retention } : {}),
      ...(o.validationInterval !== undefined ? { validationInterval: o.validationInterval } : {}),
      ...(o.mode !== undefined ? { mode: o.mode } : {}),
      ...(url.startsWith("s3://") ? { s3: replicaS3Options(o) } : {}),
    });
  } catch (e) {
    await db.close();
    throw e;
  }
  print(`replicating ${dir} to ${url} (${o.mode ?? "async"}); stop with Ctrl-C`);
  const tty = process.stdout.isTTY === true;
  let last = "";
  const timer = setInterval(() => {
    const s = rep.status();
    if (tty) process.stdout.write(`\r\x1b[K${statusLine(s)}`);
    else if (s.state !== last) print(statusLine(s));
    last = s.state;
  }, 1000);
  await new Promise<void>((resolve) => {
    const stop = () => {
      for (const sig of signals) process.off(sig, stop);
      resolve();
    };
    for (const sig of signals) process.on(sig, stop);
  });
  clearInterval(timer);
  if (tty) process.stdout.write("\r\x1b[K");
  await db.close();
  const s = rep.status();
  print(
    `stopped: shipped position ${s.shippedPosition}, ${s.objectsShipped} objects, ${s.bytesShipped} bytes`,
  );
}

export interface RestoreReplicaCliOptions extends S3CliOptions {
  readonly timestamp?: string;
  readonly position?: number;
  readonly dryRun?: boolean;
  readonly replace?: boolean;
}

/** `mneme restore-replica <url> <dir>`: a database at the newest point not after the target. */
export async function restoreReplicaCommand(
  url: string,
  dir: string,
  o: RestoreReplicaCliOptions,
  print: Print = defaultPrint,
): Promise<void> {
  if (o.timestamp !== undefined && Number.isNaN(Date.parse(o.timestamp))) {
    throw new UsageError(`--timestamp must be a date and time (ISO 8601), got ${o.timestamp}`);
  }
  const r = await Mneme.restoreReplica(url, {
    dir,
    ...(o.position !== undefined ? { position: o.position } : {}),
    ...(o.timestamp !== undefined ? { timestamp: o.timestamp } : {}),
    ...(o.dryRun ? { dryRun: true } : {}),
    ...(o.replace ? { replace: true } : {}),
    ...(url.startsWith("s3://") ? { s3: replicaS3Options(o) } : {}),
  });
  if (r.dryRun) {
    print(`snapshot ${r.snapshot.key} (position ${r.snapshot.position}, ${iso(r.snapshot.time)})`);
    for (const s of r.segments) print(`segment ${s.key} (positions ${s.first}-${s.last})`);
    print(
      `would restore ${dir} to position ${r.position} (${iso(r.time)}) from ${r.objects.length} objects`,
    );
    return;
  }
  print(
    `restored ${dir} to position ${r.position} (${iso(r.time)}) from 1 snapshot and ${r.segments.length} segments${r.checksum === undefined ? "" : `, checksum ${r.checksum}`}`,
  );
}

/** `mneme replicas <url>`: the snapshots, segments and restorable range of a replica. */
export async function replicasCommand(
  url: string,
  o: S3CliOptions,
  print: Print = defaultPrint,
): Promise<void> {
  const m = await describeReplica(url, url.startsWith("s3://") ? replicaS3Options(o) : undefined);
  for (const s of m.snapshots) {
    print(`snapshot position ${s.position} ${iso(s.time)} ${s.bytes} bytes ${s.key}`);
  }
  for (const s of m.segments) {
    print(
      `segment level ${s.level} positions ${s.first}-${s.last} ${iso(s.firstTime)}..${iso(s.lastTime)} ${s.bytes} bytes ${s.key}`,
    );
  }
  const first = m.snapshots[0];
  if (first === undefined) {
    print("restorable: nothing yet (no snapshot)");
    return;
  }
  const last = m.segments.at(-1);
  const end =
    last !== undefined && last.last > (m.snapshots.at(-1)?.position ?? 0) ? last : undefined;
  print(
    `restorable: positions ${first.position}-${end?.last ?? m.snapshots.at(-1)!.position} (${iso(first.time)} .. ${iso(end?.lastTime ?? m.snapshots.at(-1)!.time)})`,
  );
}

/** Adds the replication commands to the program. */
export function addReplicaCommands(program: Command): void {
  const replicate = program
    .command("replicate")
    .description(
      "replicate the database in <dir> to <url> until SIGINT/SIGTERM (file:///path or s3://bucket/prefix)",
    )
    .argument("<dir>", "database directory")
    .argument("<url>", "replica: file:///path or s3://bucket/prefix");
  s3Flags(replicate)
    .option(
      "--sync-interval <ms>",
      "ship what was committed this often (default 1000)",
      ms("--sync-interval"),
    )
    .option(
      "--snapshot-interval <ms>",
      "write a snapshot this often (default one day)",
      ms("--snapshot-interval"),
    )
    .option(
      "--retention <ms>",
      "keep restore points this far back (default one day)",
      ms("--retention"),
    )
    .option(
      "--validation-interval <ms>",
      "restore the replica and compare it with the database this often",
      ms("--validation-interval"),
    )
    .option("--sync", "acknowledge a commit only once it is in the replica")
    .action((dir: string, url: string, opts: ReplicateCliOptions & { sync?: boolean }) =>
      replicateCommand(dir, url, { ...opts, mode: opts.sync ? "sync" : "async" }),
    );

  const restore = program
    .command("restore-replica")
    .description(
      "build a database in <dir> from the replica <url>, at its newest point or the one given",
    )
    .argument("<url>", "replica: file:///path or s3://bucket/prefix")
    .argument("<dir>", "directory to build the database in");
  s3Flags(restore)
    .option("--timestamp <time>", "the newest point committed at or before this time (ISO 8601)")
    .option("--position <n>", "the newest point at or before this log position", position)
    .option("--dry-run", "print the objects a restore would read, change nothing")
    .option("--replace", "replace the database <dir> holds")
    .action((url: string, dir: string, opts: RestoreReplicaCliOptions) => {
      if (opts.timestamp !== undefined && opts.position !== undefined) {
        throw new UsageError("give --timestamp or --position, not both");
      }
      return restoreReplicaCommand(url, dir, opts);
    });

  const replicas = program
    .command("replicas")
    .description("list the snapshots and segments of the replica <url> and its restorable range")
    .argument("<url>", "replica: file:///path or s3://bucket/prefix");
  s3Flags(replicas).action((url: string, opts: S3CliOptions) => replicasCommand(url, opts));
}
