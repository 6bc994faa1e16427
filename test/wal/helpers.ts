import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Wal, type WalOptions } from "../../src/wal/index.js";
import { POSITION_BYTES, writePosition } from "../../src/wal/record.js";

/** The payload of a WAL record (position, then the entry), built here as the format says. */
export function encodeRecord(position: number, bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(POSITION_BYTES + bytes.length);
  writePosition(out, 0, position);
  out.set(bytes, POSITION_BYTES);
  return out;
}

/** Runs `fn` with a fresh temporary directory, removed afterwards. */
export async function withDir<T>(fn: (dir: string) => T | Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(join(tmpdir(), "mneme-wal-"));
  try {
    return await fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Deterministic entry bytes for a position, of varying length (0..40). */
export function entryFor(position: number): Buffer {
  const n = (position * 7) % 41;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (position * 31 + i) & 0xff;
  return out;
}

/** Entries as plain [position, bytes] pairs, for deepEqual. */
export function plain(entries: readonly { position: number; bytes: Uint8Array }[]) {
  return entries.map((e) => [e.position, [...e.bytes]] as const);
}

/** Opens, appends `positions` with entryFor, waits for fsync, closes. */
export async function writeWal(
  dir: string,
  positions: readonly number[],
  options?: Partial<WalOptions>,
) {
  const { wal } = Wal.open(dir, { autoRepair: false, ...options });
  for (const p of positions) wal.append(p, entryFor(p));
  await wal.whenDurable(positions.at(-1) ?? 0, "fsync");
  await wal.close();
}

/** Names and contents of the files of `dir`. */
export function dirContents(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const name of fs.readdirSync(dir).sort()) out.set(name, fs.readFileSync(join(dir, name)));
  return out;
}

/** The segment file names of `dir`, sorted. */
export function segmentNames(dir: string): string[] {
  return fs
    .readdirSync(dir)
    .filter((n) => n.startsWith("wal-"))
    .sort();
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Deterministic entry bytes of up to 3000 bytes, so records straddle pages and get torn. */
export function bigEntryFor(position: number): Buffer {
  const n = (position * 997) % 3001;
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = (position + i * 13) & 0xff;
  return out;
}
