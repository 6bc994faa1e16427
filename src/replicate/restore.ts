// Restoring a replica: a database directory at the newest point not after a target position or
// time, built from one snapshot and the contiguous run of segments after it.
//
// Everything is checked on the way: each object's SHA-256 against the manifest, each segment's
// header against the manifest, the log checksum chain across segments (a missing, reordered or
// replaced segment breaks it) and at the snapshot's position, the snapshot's database checksum.
// The directory is built beside the target (`<dir>.restore-tmp-*`): the snapshot's tables as a
// checkpoint at its position (the fallback's builder), the segments' entries as its WAL, then
// opened once, which replays the WAL as any start does. Only then is it renamed into place; an
// existing database there is replaced only when asked, and moved aside until the new one is in.
import { randomUUID } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import { readFallback, writeDatabaseFiles } from "../backup/fallback-apply.js";
import { acquireDirLock } from "../disc/dir-lock.js";
import { encodeFrame } from "../disc/frame.js";
import { fsyncDirSync } from "../disc/fsutil.js";
import { DirLayout } from "../disc/layout.js";
import {
  AlreadyExistsError,
  BadArgError,
  CorruptFileError,
  FileNotFoundError,
  fileError,
} from "../errors.js";
import { PRIVATE_MODES } from "../file-modes.js";
import { writePosition } from "../wal/record.js";
import { segmentFileName } from "../wal/segment-names.js";
import { databaseChecksum } from "./checksum.js";
import { chainNext, decodeSegment, sha256 } from "./format.js";
import { type Manifest, readManifest, type SegmentInfo, type SnapshotInfo } from "./manifest.js";
import { replayable } from "./replicator.js";
import { type ObjectStore, openStore, type ReplicaS3Options } from "./store.js";

export interface RestoreReplicaOptions {
  /** The directory to build the database in. */
  readonly dir: string;
  /** Restore the newest point at or before this log position (default: the newest). */
  readonly position?: number;
  /** Restore the newest point committed at or before this time (ms, Date or ISO string). */
  readonly timestamp?: number | Date | string;
  /** Only work out the plan (which objects), change nothing. */
  readonly dryRun?: boolean;
  /** Replace a database that `dir` holds (refused otherwise). */
  readonly replace?: boolean;
  /** This node's name, for the tables' copies (default "nonode@nohost", as `open`). */
  readonly node?: string;
  /** Options of `s3://` replicas. */
  readonly s3?: ReplicaS3Options;
  /**
   * Also compute the restored database's checksum after the replay (a backup of it, read back):
   * what validation compares. Without it the checksum is the snapshot's, checked, when no entry
   * was applied after it; else undefined (the log checksum chain proved the entries).
   */
  readonly checksum?: boolean;
}

export interface RestorePlan {
  readonly snapshot: SnapshotInfo;
  /** The segments read after it, in order. */
  readonly segments: readonly SegmentInfo[];
  /** Every object read (keys), the manifest excluded. */
  readonly objects: readonly string[];
}

export interface RestoreReplicaResult extends RestorePlan {
  readonly dryRun: boolean;
  /** The log position the database was restored to (for a dry run: the newest it could be). */
  readonly position: number;
  /** The commit time of that position (ms). */
  readonly time: number;
  /** Entries applied after the snapshot. */
  readonly entries: number;
  /** The restored database's checksum (see the `checksum` option; undefined for a dry run). */
  readonly checksum: string | undefined;
}

function toMs(t: number | Date | string): number {
  const ms = t instanceof Date ? t.getTime() : typeof t === "string" ? Date.parse(t) : t;
  if (typeof ms !== "number" || !Number.isFinite(ms)) {
    throw new BadArgError(`restoreReplica: timestamp ${String(t)} is not a time`, { value: t });
  }
  return ms;
}

function objectName(store: ObjectStore, key: string): string {
  return `${store.url.replace(/\/$/, "")}/${key}`;
}

/** The snapshot and segments that reach the newest point not after the target. */
export function planRestore(
  m: Manifest,
  url: string,
  target: { position: number } | { time: number },
): RestorePlan {
  const within = (s: SnapshotInfo) =>
    "position" in target ? s.position <= target.position : s.time <= target.time;
  const snapshot = m.snapshots.filter(within).at(-1);
  if (snapshot === undefined) {
    const oldest = m.snapshots[0];
    throw new BadArgError(
      `the replica ${url} has no restore point at or before ${"position" in target ? `position ${target.position}` : new Date(target.time).toISOString()}${oldest === undefined ? " (it has no snapshot yet)" : `; the oldest is position ${oldest.position} (${new Date(oldest.time).toISOString()})`}`,
      { value: target },
    );
  }
  const segments: SegmentInfo[] = [];
  let at = snapshot.position;
  for (const s of m.segments) {
    if (s.last <= snapshot.position) continue;
    if ("position" in target ? s.first > target.position : s.firstTime > target.time) break;
    const prev = segments.at(-1);
    const contiguous = prev === undefined ? s.from <= at : s.from === prev.last;
    if (!contiguous) {
      throw new CorruptFileError(
        "invalid_file",
        `the replica has a gap: this segment starts after position ${s.from}, the one before ends at ${prev?.last ?? at}; restore to a point before position ${(prev?.last ?? at) + 1}`,
        `${url.replace(/\/$/, "")}/${s.key}`,
        0,
      );
    }
    segments.push(s);
    at = s.last;
  }
  return { snapshot, segments, objects: [snapshot.key, ...segments.map((s) => s.key)] };
}

/** The replica's restorable range and objects (for `mneme replicas`). */
export async function describeReplica(
  url: string,
  s3?: ReplicaS3Options,
): Promise<Manifest & { readonly url: string }> {
  const store = openStore(url, s3);
  try {
    const m = await readManifest(store);
    if (m === undefined) throw new FileNotFoundError("no replica here (no manifest.json)", url);
    return { ...m, url };
  } finally {
    store.close();
  }
}

/**
 * Mneme.restoreReplica: builds a database directory from the replica at `url` at the newest point
 * not after `position` or `timestamp` (default: the newest). See the module comment.
 */
export async function restoreReplica(
  url: string,
  options: RestoreReplicaOptions,
): Promise<RestoreReplicaResult> {
  if (typeof options !== "object" || options === null || typeof options.dir !== "string") {
    throw new BadArgError("restoreReplica needs options with a dir", { value: options });
  }
  if (options.position !== undefined && options.timestamp !== undefined) {
    throw new BadArgError("restoreReplica: give a position or a timestamp, not both");
  }
  if (
    options.position !== undefined &&
    (!Number.isSafeInteger(options.position) || options.position < 0)
  ) {
    throw new BadArgError(
      `restoreReplica: position must be a log position, got ${options.position}`,
      {
        value: options.position,
      },
    );
  }
  const dir = path.resolve(options.dir);
  const node = options.node ?? "nonode@nohost";
  const store = openStore(url, options.s3);
  try {
    const m = await readManifest(store);
    if (m === undefined) throw new FileNotFoundError("no replica here (no manifest.json)", url);
    const target: { position: number } | { time: number } =
      options.timestamp !== undefined
        ? { time: toMs(options.timestamp) }
        : { position: options.position ?? Number.MAX_SAFE_INTEGER };
    const plan = planRestore(m, url, target);
    if (options.dryRun === true) {
      const last = plan.segments.at(-1);
      const position =
        last === undefined
          ? plan.snapshot.position
          : "position" in target
            ? Math.min(target.position, last.last)
            : last.last;
      const time = last === undefined ? plan.snapshot.time : last.lastTime;
      return { ...plan, dryRun: true, position, time, entries: 0, checksum: undefined };
    }
    const existing = holdsDatabase(dir);
    if (existing && options.replace !== true) {
      throw new AlreadyExistsError(
        `${dir} holds a database: restoreReplica leaves it alone unless replace: true (or restore into another directory)`,
        { value: dir },
      );
    }
    const stageDir = `${dir}.restore-tmp-${randomUUID().slice(0, 8)}`;
    try {
      const asked = options.checksum === true;
      const built = await build(store, plan, target, stageDir, node, asked);
      const computed = await openOnce(stageDir, node, asked);
      const checksum = computed ?? (built.entries === 0 ? plan.snapshot.state : undefined);
      install(stageDir, dir, existing);
      return { ...plan, ...built, dryRun: false, checksum };
    } finally {
      fs.rmSync(stageDir, { recursive: true, force: true });
    }
  } finally {
    store.close();
  }
}

function holdsDatabase(dir: string): boolean {
  try {
    return fs.readdirSync(dir).length > 0;
  } catch (e) {
    if ((e as { code?: unknown }).code === "ENOENT") return false;
    throw fileError(e, dir, "reading the directory to restore into");
  }
}

async function fetch(store: ObjectStore, key: string, sum: string): Promise<Buffer> {
  const name = objectName(store, key);
  const bytes = await store.get(key);
  if (bytes === undefined) {
    throw new CorruptFileError(
      "invalid_file",
      "a replica object the manifest names is missing; restore to an earlier point",
      name,
      0,
    );
  }
  if (sha256(bytes) !== sum) {
    throw new CorruptFileError(
      "bad_checksum",
      "a replica object is damaged (its SHA-256 is not the manifest's); restore to an earlier point",
      name,
      0,
    );
  }
  return bytes;
}

async function build(
  store: ObjectStore,
  plan: RestorePlan,
  target: { position: number } | { time: number },
  stageDir: string,
  node: string,
  verifyState: boolean,
): Promise<{ position: number; time: number; entries: number }> {
  const { snapshot } = plan;
  const snapName = objectName(store, snapshot.key);
  const layout = new DirLayout(stageDir, PRIVATE_MODES);
  fs.mkdirSync(stageDir, { recursive: true, mode: PRIVATE_MODES.dir });
  const snapFile = path.join(stageDir, "replica-snapshot.bup");
  fs.writeFileSync(snapFile, await fetch(store, snapshot.key, snapshot.sha256), {
    mode: PRIVATE_MODES.file,
  });
  const tables = await readFallback(snapFile, node);
  fs.rmSync(snapFile);
  // Its SHA-256 proved the snapshot is the one written; the database checksum of its records
  // (the cost of encoding each again) only when asked.
  const state = verifyState ? databaseChecksum(tables) : snapshot.state;
  if (state !== snapshot.state) {
    throw new CorruptFileError(
      "bad_checksum",
      `the snapshot's database checksum is ${state}, the manifest says ${snapshot.state}`,
      snapName,
      0,
    );
  }
  await writeDatabaseFiles(layout, tables, snapshot.position);

  let position = snapshot.position;
  let time = snapshot.time;
  let entries = 0;
  let chain: string | undefined;
  let fd: number | undefined;
  let done = false;
  try {
    for (const s of plan.segments) {
      const name = objectName(store, s.key);
      const { header, entries: list } = decodeSegment(await fetch(store, s.key, s.sha256), name);
      const broken = (why: string) =>
        new CorruptFileError(
          "invalid_file",
          `replica segment out of place (reordered or replaced?): ${why}`,
          name,
          0,
        );
      if (
        header.first !== s.first ||
        header.last !== s.last ||
        header.from !== s.from ||
        header.before !== s.before ||
        header.after !== s.after
      ) {
        throw broken("its header is not what the manifest says of it");
      }
      if (chain !== undefined && header.before !== chain) {
        throw broken("its log checksum before does not follow the segment before it");
      }
      let c = header.before;
      let prev = header.from;
      // The first segment may start before the snapshot: the log checksum where the snapshot
      // stands must be the one the snapshot was tied to.
      let tied = chain !== undefined;
      for (const e of list) {
        if (e.position <= prev || e.position > header.last) {
          throw broken(`its entries are out of order at position ${e.position}`);
        }
        prev = e.position;
        if (!tied && e.position > snapshot.position) {
          if (c !== snapshot.chain) {
            throw broken(
              `the log checksum at the snapshot's position ${snapshot.position} is not the snapshot's`,
            );
          }
          tied = true;
        }
        c = chainNext(c, e.position, e.bytes);
        if (done || e.position <= snapshot.position) continue;
        const within = "position" in target ? e.position <= target.position : e.time <= target.time;
        if (!within) {
          done = true;
          continue;
        }
        if (!replayable(e.bytes)) {
          throw new CorruptFileError(
            "invalid_file",
            `position ${e.position} is the restore of a backup, which a replica does not hold; restore to a point before it, or at or after the next snapshot`,
            name,
            0,
          );
        }
        if (fd === undefined) {
          fs.mkdirSync(layout.wal, { recursive: true, mode: PRIVATE_MODES.dir });
          fd = fs.openSync(
            path.join(layout.wal, segmentFileName(e.position)),
            "w",
            PRIVATE_MODES.file,
          );
        }
        const payload = Buffer.allocUnsafe(8 + e.bytes.length);
        writePosition(payload, 0, e.position);
        payload.set(e.bytes, 8);
        fs.writeSync(fd, encodeFrame(payload));
        position = e.position;
        time = e.time;
        entries++;
      }
      if (c !== header.after) throw broken("its entries do not give its log checksum after");
      chain = header.after;
      if (done) break;
    }
    if (fd !== undefined) fs.fdatasyncSync(fd);
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
  return { position, time, entries };
}

/**
 * Opens the built database once (replaying its WAL, checking every frame) and, when asked, returns
 * its checksum.
 */
async function openOnce(dir: string, node: string, checksum: boolean): Promise<string | undefined> {
  const { Mneme } = await import("../db/database.js");
  const db = await Mneme.open({ dir, node, autoRepair: false });
  const file = path.join(dir, "replica-check.bup");
  try {
    if (checksum) await db.backup(file);
  } finally {
    await db.close();
  }
  if (!checksum) return undefined;
  const sum = databaseChecksum(await readFallback(file, node));
  fs.rmSync(file);
  return sum;
}

/** Renames the built directory to `dir`; an existing one is moved aside first, removed after. */
function install(stageDir: string, dir: string, existing: boolean): void {
  fsyncDirSync(stageDir);
  if (!existing) {
    fs.rmSync(dir, { recursive: true, force: true });
    fs.renameSync(stageDir, dir);
    fsyncDirSync(path.dirname(dir));
    return;
  }
  // Not while a database runs there.
  const lock = acquireDirLock(dir, PRIVATE_MODES.file);
  const aside = `${dir}.replaced-${randomUUID().slice(0, 8)}`;
  try {
    fs.renameSync(dir, aside);
  } finally {
    lock.release();
  }
  fs.renameSync(stageDir, dir);
  fsyncDirSync(path.dirname(dir));
  fs.rmSync(aside, { recursive: true, force: true });
}
