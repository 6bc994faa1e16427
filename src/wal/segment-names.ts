// Segment files are named after the position of their first record, zero-padded to 16 digits
// (Number.MAX_SAFE_INTEGER has 16) so that name order is position order.
import { readdirSync } from "node:fs";
import { join } from "node:path";

const SEGMENT_NAME = /^wal-(\d{16})\.log$/;

export interface SegmentFile {
  /** Position of the segment's first record, from its name. */
  readonly first: number;
  readonly path: string;
}

export function segmentFileName(first: number): string {
  return `wal-${String(first).padStart(16, "0")}.log`;
}

/** The first position a segment file name stands for; undefined for any other file name. */
export function parseSegmentFileName(name: string): number | undefined {
  const m = SEGMENT_NAME.exec(name);
  if (m === null) return undefined;
  const first = Number(m[1]);
  return Number.isSafeInteger(first) ? first : undefined;
}

/** The segment files of `dir`, in position order. Other files are not the WAL's and are left alone. */
export function listSegments(dir: string): SegmentFile[] {
  const out: SegmentFile[] = [];
  for (const ent of readdirSync(dir, { withFileTypes: true })) {
    if (!ent.isFile()) continue;
    const first = parseSegmentFileName(ent.name);
    if (first !== undefined) out.push({ first, path: join(dir, ent.name) });
  }
  return out.sort((a, b) => a.first - b.first);
}
