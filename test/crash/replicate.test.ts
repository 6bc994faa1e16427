// kill -9 of a replicated database under a bank-transfer load, then a restore from its replica:
// async mode loses at most what was committed in the last syncInterval (plus the upload), sync
// mode loses no acknowledged commit; no transfer is ever half there (the bank total holds).
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { Mneme } from "../../src/index.js";
import { runChild } from "./child.js";

const CHILD = "test/crash/fixtures/replicate-child.ts";
const SYNC_INTERVAL = 100;
/** Upload time allowed on top of syncInterval (a loaded 2-core machine runs 8 of these suites). */
const UPLOAD_SLACK = 1500;

const root = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-crash-replicate-"));
after(() => fs.rmSync(root, { recursive: true, force: true }));

interface Restored {
  total: number;
  transfers: Set<number>;
  acks: { id: number; at: number }[];
  killedAt: number;
}

async function killAndRestore(mode: "async" | "sync", runMs: number): Promise<Restored> {
  const dir = path.join(root, `${mode}-db`);
  const url = pathToFileURL(path.join(root, `${mode}-replica`)).href;
  let killedAt = 0;
  const r = await runChild(CHILD, [dir, url, mode, String(SYNC_INTERVAL)], {
    killOnLine: (l) => {
      if (l !== "READY") return false;
      killedAt = Date.now() + runMs;
      return true;
    },
    delayMs: runMs,
  });
  assert.equal(r.signal, "SIGKILL", r.stderr);
  const acks = r.lines
    .filter((l) => l.startsWith("ACK "))
    .map((l) => {
      const [, id, at] = l.split(" ");
      return { id: Number(id), at: Number(at) };
    });
  assert.ok(acks.length > 50, `only ${acks.length} transfers acknowledged: ${r.stderr}`);
  const restored = path.join(root, `${mode}-restored`);
  await Mneme.restoreReplica(url, { dir: restored });
  const db = await Mneme.open({ dir: restored });
  try {
    const accounts = db.dirtyMatchObject("account", { id: "_", balance: "_" }) as unknown as {
      balance: number;
    }[];
    assert.equal(accounts.length, 10);
    const transfers = db.dirtyAllKeys("transfer") as number[];
    return {
      total: accounts.reduce((s, a) => s + a.balance, 0),
      transfers: new Set(transfers),
      acks,
      killedAt,
    };
  } finally {
    await db.close();
  }
}

describe("replication across kill -9", () => {
  it("async: every transfer older than syncInterval + upload is restored; the total holds", async () => {
    const r = await killAndRestore("async", 2500);
    assert.equal(r.total, 1000);
    const old = r.acks.filter((a) => a.at <= r.killedAt - SYNC_INTERVAL - UPLOAD_SLACK);
    assert.ok(old.length > 0);
    const lost = old.filter((a) => !r.transfers.has(a.id));
    assert.deepEqual(lost, []);
  });

  it("sync: every acknowledged transfer is restored; the total holds", async () => {
    const r = await killAndRestore("sync", 2500);
    assert.equal(r.total, 1000);
    const lost = r.acks.filter((a) => !r.transfers.has(a.id));
    assert.deepEqual(lost, []);
  });
});
