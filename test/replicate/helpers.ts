// Shared by the replication tests: a database directory, a file:// replica beside it, waiting.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Mneme, type ReplicationHandle } from "../../src/index.js";

export interface Rec {
  k: number;
  v: number;
}

export function tempDir(tag: string): string {
  return mkdtempSync(path.join(tmpdir(), `mneme-${tag}-`));
}

export function fileUrl(dir: string): string {
  return pathToFileURL(dir).href;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A new database in `dir` with a disc_copies table "t" and a disc_only_copies table "d". */
export async function newDb(dir: string): Promise<Mneme> {
  await Mneme.createSchema({ dir });
  const db = await Mneme.open({ dir });
  await db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
  await db.createTable("d", { attributes: ["k", "v"], discOnlyCopies: [db.node] });
  return db;
}

/** Waits until `cond` holds (polling), failing after `ms`. */
export async function until(cond: () => boolean, ms = 10_000, what = "condition"): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits until the replicator has shipped everything logged so far. */
export function caughtUp(rep: ReplicationHandle, ms = 10_000): Promise<void> {
  return until(
    () => {
      const s = rep.status();
      return s.state === "running" && s.lagPositions === 0;
    },
    ms,
    "the replica to catch up",
  );
}

/** The content of tables t and d, sorted by key. */
export function contentOf(db: Mneme): { t: Rec[]; d: Rec[] } {
  const all = (table: string) =>
    (db.dirtyMatchObject(table, { k: "_", v: "_" }) as unknown as Rec[])
      .slice()
      .sort((a, b) => a.k - b.k);
  return { t: all("t"), d: all("d") };
}

/** Opens the database in `dir`, reads its content and closes it. */
export async function contentAt(dir: string): Promise<{ t: Rec[]; d: Rec[] }> {
  const db = await Mneme.open({ dir });
  try {
    return contentOf(db);
  } finally {
    await db.close();
  }
}
