// The manifest: one small object listing every snapshot and segment of a replica, rewritten after
// the objects it names are stored and before any object it no longer names is deleted, so that a
// reader (a restore) needs one GET and no LIST, and never meets a name without its object.
import { CorruptFileError } from "../errors.js";
import { MANIFEST_KEY } from "./format.js";
import type { ObjectStore } from "./store.js";

export interface SnapshotInfo {
  readonly key: string;
  readonly position: number;
  /** When the snapshot's state was the database's (ms since the epoch). */
  readonly time: number;
  readonly bytes: number;
  readonly sha256: string;
  /** The database checksum of the snapshot's content (checksum.ts). */
  readonly state: string;
  /** The log checksum at `position`. */
  readonly chain: string;
}

export interface SegmentInfo {
  readonly key: string;
  /** Compaction level: 0 as shipped, higher levels merge consecutive segments of the level below. */
  readonly level: number;
  readonly from: number;
  readonly first: number;
  readonly last: number;
  readonly firstTime: number;
  readonly lastTime: number;
  readonly count: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly before: string;
  readonly after: string;
}

export interface Manifest {
  readonly format: "mneme-replica";
  readonly version: 1;
  /** Snapshots by position. */
  readonly snapshots: readonly SnapshotInfo[];
  /** Segments by position; they never overlap. */
  readonly segments: readonly SegmentInfo[];
}

export const emptyManifest = (): Manifest => ({
  format: "mneme-replica",
  version: 1,
  snapshots: [],
  segments: [],
});

/** The replica's manifest; undefined when the store has none (a new replica). */
export async function readManifest(store: ObjectStore): Promise<Manifest | undefined> {
  const bytes = await store.get(MANIFEST_KEY);
  if (bytes === undefined) return undefined;
  const name = `${store.url.replace(/\/$/, "")}/${MANIFEST_KEY}`;
  let m: Manifest;
  try {
    m = JSON.parse(bytes.toString("utf8")) as Manifest;
  } catch {
    throw new CorruptFileError("invalid_file", "the replica manifest is not JSON", name, 0);
  }
  if (m?.format !== "mneme-replica" || !Array.isArray(m.snapshots) || !Array.isArray(m.segments)) {
    throw new CorruptFileError("invalid_file", "not a Mneme replica manifest", name, 0);
  }
  return m;
}

export async function writeManifest(store: ObjectStore, m: Manifest): Promise<void> {
  await store.put(MANIFEST_KEY, Buffer.from(JSON.stringify(m)));
}

/** The last position the replica holds (its last segment, else its last snapshot); 0 when empty. */
export function lastPosition(m: Manifest): number {
  return Math.max(m.segments.at(-1)?.last ?? 0, m.snapshots.at(-1)?.position ?? 0);
}
