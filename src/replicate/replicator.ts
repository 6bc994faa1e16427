// The replicator: a consumer of the local WAL that ships it to an object store (store.ts).
//
// Every syncInterval it reads what the WAL holds after the last shipped position (wal-tail.ts) and
// stores it as one immutable segment object, then rewrites the manifest. At first start, every
// snapshotInterval, and when the log holds an entry a replay cannot repeat (a restore's load_file,
// which names a local file), it writes a snapshot: a backup of the whole database (the backup
// writer) at a known log position. Compaction merges old segments into fewer, larger ones by time
// level; retention deletes what no restore point inside the window needs.
//
// Supervision: any failure of a cycle (the store away, a full disc) is caught, reported in
// status(), and the cycle is tried again with exponential backoff; nothing of it reaches the
// database. While it cannot ship, the WAL is kept from the last shipped position on (the
// database's checkpoints ask walFloor()).
//
// mode "sync": the database's commit acknowledgement awaits afterDurable(position), which
// resolves once a segment holding the position is stored. Commits that wait together are shipped
// together (group commit): the first waiter wakes the loop, and one PUT carries all of them.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { readFallback } from "../backup/fallback-apply.js";
import { decodeWalPayload } from "../disc/wal-payload.js";
import { BadArgError, MnemeError } from "../errors.js";
import { databaseChecksum } from "./checksum.js";
import {
  chainGenesis,
  chainNext,
  decodeSegment,
  encodeSegment,
  type ShippedEntry,
  segmentKey,
  sha256,
  snapshotKey,
} from "./format.js";
import {
  emptyManifest,
  lastPosition,
  type Manifest,
  readManifest,
  type SegmentInfo,
  type SnapshotInfo,
  writeManifest,
} from "./manifest.js";
import { type ObjectStore, openStore, type ReplicaS3Options } from "./store.js";
import { WalTail } from "./wal-tail.js";

export interface ReplicateOptions {
  /** `file:///absolute/path` or `s3://bucket/prefix`. */
  readonly url: string;
  /** How often what was committed is shipped (ms, default 1000). */
  readonly syncInterval?: number;
  /** How often a full snapshot is written (ms, default one day); one is written at first start. */
  readonly snapshotInterval?: number;
  /** How far back restore points are kept (ms, default one day). */
  readonly retention?: number;
  /**
   * "async" (default): commits are acknowledged as the database's durability says, and shipped
   * within syncInterval. "sync": a commit is acknowledged only once it is in the object store.
   */
  readonly mode?: "async" | "sync";
  /** Time spans of the compaction levels (ms, default 30 s, 5 min, 1 h). */
  readonly levels?: readonly number[];
  /** How often the replica is restored and compared with the database (ms; default never). */
  readonly validationInterval?: number;
  /** Options of `s3://` replicas. */
  readonly s3?: ReplicaS3Options;
  /** Longest wait between retries after failures (ms, default 30 s). */
  readonly maxBackoff?: number;
  /**
   * How long an object compaction or retention dropped from the manifest stays in the store
   * (ms, default 60 s), so that a restore that read the manifest just before can still read it.
   */
  readonly deleteGrace?: number;
}

export type ReplicationState = "starting" | "running" | "retrying" | "stopped";

export interface ReplicationStatus {
  readonly url: string;
  readonly mode: "async" | "sync";
  readonly state: ReplicationState;
  /** The last log position stored in the replica. */
  readonly shippedPosition: number;
  /** The database's last log position. */
  readonly localPosition: number;
  /** Log positions not shipped yet. */
  readonly lagPositions: number;
  /** Age of the oldest entry not shipped yet (ms; 0 when everything is shipped). */
  readonly lagMs: number;
  readonly lastShippedAt: number | undefined;
  readonly lastSnapshotPosition: number | undefined;
  readonly bytesShipped: number;
  readonly objectsShipped: number;
  /** Objects the replica holds now (manifest excluded). */
  readonly objects: number;
  readonly puts: number;
  readonly gets: number;
  readonly lists: number;
  readonly deletes: number;
  /** Cycles that failed (each is retried). */
  readonly failures: number;
  readonly lastError: string | undefined;
  readonly validations: number;
  /** undefined until the first validation; then whether the last one matched. */
  readonly validationOk: boolean | undefined;
  readonly validationError: string | undefined;
}

export interface ReplicationHandle {
  status(): ReplicationStatus;
  /** Ships what is committed, then stops; the WAL is no longer held for the replica. */
  stop(): Promise<void>;
}

/** What the replicator needs of its database (src/db/database.ts gives it). */
export interface ReplicationHost {
  readonly node: string;
  readonly dir: string;
  readonly walDir: string;
  logPosition(): number;
  /** Calls `fn` with the position of every entry appended from now on. */
  onAppend(fn: (position: number) => void): () => void;
  /** Writes a backup of the whole database to `file`; its log position. */
  snapshot(file: string): Promise<number>;
  /** The WAL is kept from the position `floor()` returns on (undefined: no hold). */
  setWalFloor(floor: (() => number) | undefined): void;
  /** Commit acknowledgements await `fn` (undefined: none). */
  setAfterDurable(fn: ((position: number) => Promise<void>) | undefined): void;
  /** Told of a validation mismatch (a system event). */
  reportMismatch(detail: string): void;
}

const DAY = 24 * 3600 * 1000;
const MAX_SEGMENT_BYTES = 16 << 20;

function positiveMs(name: string, v: number | undefined, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== "number" || !Number.isFinite(v) || v <= 0) {
    throw new BadArgError(`replicate: ${name} must be a positive number of ms, got ${String(v)}`, {
      value: v,
    });
  }
  return v;
}

function describe(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** Whether a WAL entry can be replayed elsewhere (a restore's load_file names a local file). */
export function replayable(bytes: Buffer): boolean {
  if (bytes.indexOf("load_file") < 0) return true;
  return !decodeWalPayload(bytes).ops.some((op) => op.op === "load_file");
}

export class Replicator implements ReplicationHandle {
  readonly url: string;
  readonly mode: "async" | "sync";
  private readonly syncInterval: number;
  private readonly snapshotInterval: number;
  private readonly retention: number;
  private readonly levels: readonly number[];
  private readonly validationInterval: number | undefined;
  private readonly maxBackoff: number;
  private readonly deleteGrace: number;
  /** Objects no longer in the manifest, deleted once deleteGrace has passed. */
  private doomed: { key: string; at: number }[] = [];
  private readonly store: ObjectStore;
  private readonly tmp: string;
  private readonly s3: ReplicaS3Options | undefined;

  private state: ReplicationState = "starting";
  private manifest: Manifest | undefined;
  private tail: WalTail | undefined;
  private pending: ShippedEntry[] = [];
  private chain = "";
  private shipped = 0;
  private forceSnapshot = false;
  private lastSnapshotAt = 0;
  private lastValidationAt = Date.now();
  /** Commit times of entries not shipped yet, by position. */
  private readonly times = new Map<number, number>();
  private readonly unsubscribe: () => void;
  private waiters: { position: number; resolve: () => void }[] = [];
  private wake: (() => void) | undefined;
  /** A commit waits (sync mode): the loop runs again at once instead of sleeping. */
  private hurry = false;
  /** The last position written to the WAL that this replicator saw. */
  private lastLogged: number;
  private stopping = false;
  private readonly loop: Promise<void>;

  private bytesShipped = 0;
  private objectsShipped = 0;
  private failures = 0;
  private lastError: string | undefined;
  private lastShippedAt: number | undefined;
  private validations = 0;
  private validationOk: boolean | undefined;
  private validationError: string | undefined;

  constructor(
    private readonly host: ReplicationHost,
    options: ReplicateOptions,
  ) {
    if (typeof options !== "object" || options === null) {
      throw new BadArgError("replicate needs an options object with a url", { value: options });
    }
    this.syncInterval = positiveMs("syncInterval", options.syncInterval, 1000);
    this.snapshotInterval = positiveMs("snapshotInterval", options.snapshotInterval, DAY);
    this.retention = positiveMs("retention", options.retention, DAY);
    this.maxBackoff = positiveMs("maxBackoff", options.maxBackoff, 30_000);
    this.deleteGrace = positiveMs("deleteGrace", options.deleteGrace, 60_000);
    this.validationInterval =
      options.validationInterval === undefined
        ? undefined
        : positiveMs("validationInterval", options.validationInterval, 0);
    const levels = options.levels ?? [30_000, 300_000, 3_600_000];
    if (!Array.isArray(levels)) throw new BadArgError("replicate: levels must be an array of ms");
    levels.forEach((l, i) => {
      positiveMs(`levels[${i}]`, l, 1);
    });
    this.levels = levels;
    const mode = options.mode ?? "async";
    if (mode !== "async" && mode !== "sync") {
      throw new BadArgError(`replicate: mode must be "async" or "sync", got ${String(mode)}`, {
        value: mode,
      });
    }
    this.mode = mode;
    this.store = openStore(options.url, options.s3);
    this.s3 = options.s3;
    this.url = options.url;
    this.tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-replicate-"));
    // Nothing of the WAL goes until the replica says what it holds.
    host.setWalFloor(() => (this.tail === undefined ? 0 : this.shipped + 1));
    this.lastLogged = host.logPosition();
    this.unsubscribe = host.onAppend((position) => {
      this.times.set(position, Date.now());
      this.lastLogged = position;
    });
    if (mode === "sync") host.setAfterDurable((position) => this.whenShipped(position));
    this.loop = this.run();
  }

  status(): ReplicationStatus {
    const c = this.store.counters;
    const local = this.host.logPosition();
    const logged = Math.max(this.lastLogged, this.shipped);
    let oldest: number | undefined;
    for (const [pos, t] of this.times) {
      if (pos > this.shipped) {
        oldest = t;
        break;
      }
    }
    const m = this.manifest;
    return {
      url: this.url,
      mode: this.mode,
      state: this.state,
      shippedPosition: this.shipped,
      localPosition: local,
      lagPositions: logged - this.shipped,
      lagMs: oldest === undefined ? 0 : Math.max(0, Date.now() - oldest),
      lastShippedAt: this.lastShippedAt,
      lastSnapshotPosition: m?.snapshots.at(-1)?.position,
      bytesShipped: this.bytesShipped,
      objectsShipped: this.objectsShipped,
      objects: m === undefined ? 0 : m.snapshots.length + m.segments.length,
      puts: c.puts,
      gets: c.gets,
      lists: c.lists,
      deletes: c.deletes,
      failures: this.failures,
      lastError: this.lastError,
      validations: this.validations,
      validationOk: this.validationOk,
      validationError: this.validationError,
    };
  }

  async stop(): Promise<void> {
    if (!this.stopping) {
      this.stopping = true;
      this.wake?.();
    }
    await this.loop;
  }

  /** Resolves once `position` is in the replica (sync mode); at once when stopped. */
  private whenShipped(position: number): Promise<void> {
    if (position <= this.shipped || this.state === "stopped") return Promise.resolve();
    return new Promise((resolve) => {
      this.waiters.push({ position, resolve });
      // Everyone who commits before the loop runs shares its PUT.
      if (this.waiters.length === 1) {
        this.hurry = true;
        setImmediate(() => this.wake?.());
      }
    });
  }

  private async run(): Promise<void> {
    let failures = 0;
    let final = false;
    for (;;) {
      this.hurry = false;
      try {
        await this.cycle();
        failures = 0;
        this.state = "running";
        this.lastError = undefined;
      } catch (e) {
        failures++;
        this.failures++;
        this.state = "retrying";
        this.lastError = describe(e);
      }
      if (final) break;
      if (this.stopping) {
        // One more cycle ships what was committed before stop, unless the store is away.
        if (failures > 0) break;
        final = true;
        continue;
      }
      // Commits waiting (sync mode): ship again at once.
      if ((this.hurry || this.waiters.length > 0) && failures === 0) continue;
      const delay =
        failures === 0
          ? this.syncInterval
          : Math.min(this.maxBackoff, this.syncInterval * 2 ** Math.min(failures - 1, 16));
      await new Promise<void>((resolve) => {
        // Like the database's own timers, it does not keep the process alive, unless commits
        // wait for it.
        const timer = setTimeout(resolve, delay);
        if (this.waiters.length === 0) timer.unref();
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = undefined;
    }
    await this.sweep(true).catch(() => undefined);
    this.state = "stopped";
    this.unsubscribe();
    this.host.setWalFloor(undefined);
    if (this.mode === "sync") this.host.setAfterDurable(undefined);
    for (const w of this.waiters) w.resolve();
    this.waiters = [];
    this.store.close();
    fs.rmSync(this.tmp, { recursive: true, force: true });
  }

  private async cycle(): Promise<void> {
    if (this.manifest === undefined || this.tail === undefined) await this.begin();
    await this.ship();
    if (this.stopping) return;
    const m = this.manifest!;
    const due = Date.now() - this.lastSnapshotAt >= this.snapshotInterval;
    if (this.forceSnapshot || due) await this.snapshot(false);
    await this.compact();
    await this.retain();
    await this.sweep(false);
    if (
      this.validationInterval !== undefined &&
      Date.now() - this.lastValidationAt >= this.validationInterval &&
      m.snapshots.length > 0
    ) {
      this.lastValidationAt = Date.now();
      await this.validate();
    }
  }

  /** Reads the replica's manifest and picks up where it ends, or starts it with a snapshot. */
  private async begin(): Promise<void> {
    const m = await readManifest(this.store);
    if (m === undefined || m.snapshots.length === 0) {
      this.manifest = m ?? emptyManifest();
      await this.snapshot(true);
      return;
    }
    const last = lastPosition(m);
    const local = this.host.logPosition();
    if (last > local) {
      throw new MnemeError(
        "badarg",
        `the replica ${this.url} holds log positions up to ${last}, this database only up to ${local}: it is the replica of another database (or of a later state of this one); replicate to another URL`,
        { value: this.url },
      );
    }
    this.manifest = m;
    this.lastSnapshotAt = m.snapshots.at(-1)!.time;
    const tail = new WalTail(this.host.walDir, last);
    if (tail.hasGap()) {
      // The WAL no longer holds what follows the replica: a new base.
      await this.snapshot(true);
      return;
    }
    this.shipped = last;
    this.chain = m.segments.at(-1)?.after ?? m.snapshots.at(-1)!.chain;
    this.tail = tail;
  }

  /**
   * Ships the entries the WAL holds now (one read: under load the loop must get to its other
   * work), in segments of at most 16 MiB; with `upTo`, every entry up to that position.
   */
  private async ship(upTo?: number): Promise<void> {
    const tail = this.tail!;
    let read = false;
    for (;;) {
      if (this.pending.length === 0) {
        if (read && (upTo === undefined || this.shipped >= upTo)) return;
        read = true;
        for (const e of tail.read(MAX_SEGMENT_BYTES)) {
          const time = this.times.get(e.position) ?? Math.min(e.fileTime, Date.now());
          this.pending.push({ position: e.position, time, bytes: e.bytes });
        }
      }
      const limit = upTo ?? Number.POSITIVE_INFINITY;
      let n = 0;
      let bytes = 0;
      let unreplayable = false;
      while (n < this.pending.length && this.pending[n]!.position <= limit) {
        const e = this.pending[n]!;
        n++;
        bytes += e.bytes.length;
        if (!replayable(e.bytes)) {
          // A restore cannot repeat it: the next snapshot is taken at once after it.
          unreplayable = true;
          break;
        }
        if (bytes >= MAX_SEGMENT_BYTES) break;
      }
      if (n === 0) return;
      await this.putSegment(this.pending.slice(0, n));
      this.pending = this.pending.slice(n);
      if (unreplayable) this.forceSnapshot = true;
    }
  }

  private async putSegment(entries: readonly ShippedEntry[]): Promise<void> {
    const m = this.manifest!;
    const before = this.chain;
    let after = before;
    for (const e of entries) after = chainNext(after, e.position, e.bytes);
    const first = entries[0]!;
    const last = entries.at(-1)!;
    const header = {
      format: "mneme-replica-segment",
      version: 1,
      from: this.shipped,
      first: first.position,
      last: last.position,
      count: entries.length,
      before,
      after,
    } as const;
    const bytes = encodeSegment(header, entries);
    const info: SegmentInfo = {
      key: segmentKey(0, first.position, last.position),
      level: 0,
      from: this.shipped,
      first: first.position,
      last: last.position,
      firstTime: first.time,
      lastTime: last.time,
      count: entries.length,
      bytes: bytes.length,
      sha256: sha256(bytes),
      before,
      after,
    };
    await this.store.put(info.key, bytes);
    const next: Manifest = { ...m, segments: [...m.segments, info] };
    await writeManifest(this.store, next);
    this.manifest = next;
    this.chain = after;
    this.shipped = last.position;
    this.bytesShipped += bytes.length;
    this.objectsShipped++;
    this.lastShippedAt = Date.now();
    this.forget(last.position);
    this.release();
  }

  /** Drops the commit times up to `position` (shipped). */
  private forget(position: number): void {
    for (const p of this.times.keys()) {
      if (p > position) break;
      this.times.delete(p);
    }
  }

  private release(): void {
    if (this.waiters.length === 0) return;
    const keep: typeof this.waiters = [];
    for (const w of this.waiters) {
      if (w.position <= this.shipped) w.resolve();
      else keep.push(w);
    }
    this.waiters = keep;
  }

  /**
   * Writes a snapshot of the database. `base`: the replica starts again from it (a new replica,
   * or a WAL that no longer continues it); otherwise it is tied to the log shipped so far.
   */
  private async snapshot(base: boolean): Promise<void> {
    const file = path.join(this.tmp, "snapshot.bup");
    const time = Date.now();
    const position = await this.host.snapshot(file);
    try {
      const bytes = await fs.promises.readFile(file);
      const state = databaseChecksum(await readFallback(file, this.host.node));
      let chain: string;
      if (base) {
        chain = chainGenesis(position, state);
      } else {
        // Everything up to the snapshot's position is shipped first, so the chain there is known.
        // (Entries up to the position were written to the WAL before the snapshot was taken.)
        await this.ship(position);
        chain = this.chain;
      }
      const info: SnapshotInfo = {
        key: snapshotKey(position),
        position,
        time,
        bytes: bytes.length,
        sha256: sha256(bytes),
        state,
        chain,
      };
      await this.store.put(info.key, bytes);
      const m = this.manifest ?? emptyManifest();
      const next: Manifest = {
        ...m,
        snapshots: [...m.snapshots.filter((s) => s.position !== position), info],
      };
      await writeManifest(this.store, next);
      this.manifest = next;
      this.objectsShipped++;
      this.bytesShipped += bytes.length;
      this.lastSnapshotAt = time;
      this.forceSnapshot = false;
      if (base) {
        this.pending = [];
        this.chain = chain;
        this.shipped = position;
        this.tail = new WalTail(this.host.walDir, position);
        this.forget(position);
        this.release();
      }
    } finally {
      fs.rmSync(file, { force: true });
    }
  }

  /**
   * Merges runs of consecutive segments below level k whose last entries fall in one closed time
   * window of levels[k-1] into one level-k segment.
   */
  private async compact(): Promise<void> {
    const now = Date.now();
    for (let k = 1; k <= this.levels.length; k++) {
      const span = this.levels[k - 1]!;
      const segs = this.manifest!.segments;
      let i = 0;
      while (i < segs.length) {
        const s = segs[i]!;
        // By the time of their last entry (a segment straddling a boundary still gets merged).
        const bucket = Math.floor(s.lastTime / span);
        let j = i;
        while (
          j < segs.length &&
          segs[j]!.level < k &&
          Math.floor(segs[j]!.lastTime / span) === bucket
        )
          j++;
        const closed = (bucket + 1) * span <= now;
        if (j - i >= 2 && closed) {
          await this.merge(k, i, j);
          return; // one merge per cycle keeps each cycle short
        }
        i = Math.max(j, i + 1);
      }
    }
  }

  private async merge(level: number, from: number, to: number): Promise<void> {
    const m = this.manifest!;
    const parts = m.segments.slice(from, to);
    const entries: ShippedEntry[] = [];
    for (const p of parts) entries.push(...(await this.fetchSegment(p)).entries);
    const first = parts[0]!;
    const last = parts.at(-1)!;
    const header = {
      format: "mneme-replica-segment",
      version: 1,
      from: first.from,
      first: first.first,
      last: last.last,
      count: entries.length,
      before: first.before,
      after: last.after,
    } as const;
    const bytes = encodeSegment(header, entries);
    const info: SegmentInfo = {
      ...header,
      key: segmentKey(level, first.first, last.last),
      level,
      firstTime: first.firstTime,
      lastTime: last.lastTime,
      bytes: bytes.length,
      sha256: sha256(bytes),
    };
    await this.store.put(info.key, bytes);
    const next: Manifest = {
      ...m,
      segments: [...m.segments.slice(0, from), info, ...m.segments.slice(to)],
    };
    await writeManifest(this.store, next);
    this.manifest = next;
    this.doom(parts.map((p) => p.key).filter((k) => k !== info.key));
  }

  private doom(keys: readonly string[]): void {
    const at = Date.now();
    for (const key of keys) this.doomed.push({ key, at });
  }

  /** Deletes the dropped objects whose grace has passed (all of them when stopping). */
  private async sweep(all: boolean): Promise<void> {
    const due = Date.now() - this.deleteGrace;
    while (this.doomed.length > 0 && (all || this.doomed[0]!.at <= due)) {
      await this.store.delete(this.doomed[0]!.key);
      this.doomed.shift();
    }
  }

  private async fetchSegment(s: SegmentInfo): Promise<ReturnType<typeof decodeSegment>> {
    const name = `${this.url}/${s.key}`;
    const bytes = await this.store.get(s.key);
    if (bytes === undefined || sha256(bytes) !== s.sha256) {
      throw new MnemeError("bad_checksum", `replica object ${name} is missing or damaged`, {
        value: name,
      });
    }
    return decodeSegment(bytes, name);
  }

  /**
   * Deletes the snapshots older than the retention window, except the newest of them (the base of
   * the window's oldest restore points), and the segments wholly before the oldest one kept.
   */
  private async retain(): Promise<void> {
    const m = this.manifest!;
    const limit = Date.now() - this.retention;
    let keepFrom = 0;
    m.snapshots.forEach((s, i) => {
      if (s.time <= limit) keepFrom = i;
    });
    if (keepFrom === 0) return;
    const base = m.snapshots[keepFrom]!;
    const goneSnaps = m.snapshots.slice(0, keepFrom);
    const goneSegs = m.segments.filter((s) => s.last <= base.position);
    const next: Manifest = {
      ...m,
      snapshots: m.snapshots.slice(keepFrom),
      segments: m.segments.filter((s) => s.last > base.position),
    };
    await writeManifest(this.store, next);
    this.manifest = next;
    this.doom([...goneSnaps, ...goneSegs].map((o) => o.key));
  }

  /**
   * Restores the replica at a position to a temporary directory and compares its database
   * checksum with the live database's at that same position.
   */
  private async validate(): Promise<void> {
    const file = path.join(this.tmp, "validate.bup");
    const dir = path.join(this.tmp, "validate-db");
    try {
      const position = await this.host.snapshot(file);
      const live = databaseChecksum(await readFallback(file, this.host.node));
      await this.ship(position);
      const { restoreReplica } = await import("./restore.js");
      const r = await restoreReplica(this.url, {
        dir,
        position,
        replace: true,
        checksum: true,
        ...(this.s3 !== undefined ? { s3: this.s3 } : {}),
      });
      this.validations++;
      this.validationOk = r.checksum === live;
      if (!this.validationOk) {
        this.validationError = `the replica restored at position ${r.position} has database checksum ${r.checksum}, the database had ${live} at position ${position}`;
        this.host.reportMismatch(this.validationError);
      } else {
        this.validationError = undefined;
      }
    } finally {
      fs.rmSync(file, { force: true });
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
}
