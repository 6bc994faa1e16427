// Serializability checked from the outside, in the manner of Jepsen's Elle: concurrent async
// transactions append unique values to a few hot lists and read them back, with awaits at random
// points; the checker (test/elle/checker.ts) builds the dependency graph of the history and must
// find no cycle and no aborted, intermediate or invented read. The same workload without
// transactions (dirty reads and writes) must be caught, so the check can fail.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { describe, test } from "node:test";
import { Mneme, type Table, TransactionAborted } from "../../src/index.js";
import { check, type Op, type Txn } from "../elle/checker.js";

interface List {
  key: string;
  items: number[];
}

/** A small deterministic generator, so a failure reproduces with its seed. */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s ^ (s >>> 15), 0x2c1b3c6d) + 0x9e3779b9) >>> 0;
    s ^= s >>> 12;
    return (s >>> 0) / 2 ** 32;
  };
}

type Step = { kind: "append"; key: string } | { kind: "read"; key: string };

interface Workload {
  readonly seed: number;
  readonly clients: number;
  readonly perClient: number;
  readonly keys: number;
}

function plan(rand: () => number, keys: number): Step[] {
  const steps: Step[] = [];
  const n = 1 + Math.floor(rand() * 4);
  for (let i = 0; i < n; i++) {
    const key = `k${Math.floor(rand() * keys)}`;
    steps.push(rand() < 0.5 ? { kind: "append", key } : { kind: "read", key });
  }
  return steps;
}

/** Zero to two event-loop turns, of either kind. */
async function pause(rand: () => number): Promise<void> {
  const r = rand();
  if (r < 0.3) return;
  if (r < 0.6) await Promise.resolve();
  else await new Promise<void>((resolve) => setImmediate(resolve));
}

async function run(
  db: Mneme,
  lists: Table<List, "key">,
  w: Workload,
  mode: "transaction" | "dirty",
): Promise<Txn[]> {
  const history: Txn[] = [];
  let nextValue = 1;
  let nextId = 1;
  const client = async (c: number) => {
    const rand = random(w.seed * 1000 + c);
    for (let i = 0; i < w.perClient; i++) {
      const steps = plan(rand, w.keys);
      const id = nextId++;
      const invokedAt = performance.now();
      let ops: Op[] = [];
      // The body records the ops of its last attempt only: a restarted attempt never committed.
      const body = async (
        read: (k: string, forWrite: boolean) => Promise<readonly List[]>,
        write: (l: List) => Promise<void>,
      ) => {
        ops = [];
        for (const step of steps) {
          await pause(rand);
          const [found] = await read(step.key, step.kind === "append");
          const items = found?.items ?? [];
          if (step.kind === "read") {
            ops.push(["r", step.key, [...items]]);
          } else {
            const v = nextValue++;
            await pause(rand);
            await write({ key: step.key, items: [...items, v] });
            ops.push(["append", step.key, v]);
          }
        }
      };
      let status: Txn["status"] = "ok";
      try {
        if (mode === "transaction") {
          await db.transaction(async (tx) => {
            await body(
              (k, forWrite) => (forWrite ? tx.wread(lists, k) : tx.read(lists, k)),
              async (l) => {
                await tx.write(lists, l);
              },
            );
          });
        } else {
          await body(
            async (k) => db.dirtyRead(lists, k),
            async (l) => db.dirtyWrite(lists, l),
          );
        }
      } catch (e) {
        if (!(e instanceof TransactionAborted)) throw e;
        status = "fail";
      }
      history.push({ id, status, ops, invokedAt, completedAt: performance.now() });
    }
  };
  await Promise.all(Array.from({ length: w.clients }, (_, c) => client(c)));
  return history;
}

async function withDb<T>(
  storage: "ram" | "disc",
  fn: (db: Mneme, lists: Table<List, "key">) => Promise<T>,
) {
  const dir = mkdtempSync(path.join(os.tmpdir(), "mneme-elle-"));
  const db = storage === "disc" ? await Mneme.open({ dir, create: true }) : await Mneme.open();
  try {
    const lists = await db.createTable<List, "key">("lists", {
      attributes: ["key", "items"],
      ...(storage === "disc" ? { discCopies: [db.node] } : {}),
    });
    return await fn(db, lists);
  } finally {
    await db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("list-append histories of async transactions have no anomaly", () => {
  for (const storage of ["ram", "disc"] as const) {
    for (const seed of [1, 2, 3]) {
      test(`${storage}_copies, seed ${seed}: 16 clients x 60 transactions on 3 keys`, async () => {
        const history = await withDb(storage, (db, lists) =>
          run(db, lists, { seed, clients: 16, perClient: 60, keys: 3 }, "transaction"),
        );
        assert.equal(history.length, 16 * 60);
        assert.equal(history.filter((t) => t.status === "ok").length, history.length);
        const appends = history.flatMap((t) => t.ops.filter((o) => o[0] === "append"));
        assert.ok(appends.length > 500, `only ${appends.length} appends`);
        assert.deepEqual(check(history), []);
      });
    }
  }
});

test("the same workload as dirty reads and writes is caught (lost appends)", async () => {
  const history = await withDb("ram", (db, lists) =>
    run(db, lists, { seed: 1, clients: 16, perClient: 60, keys: 3 }, "dirty"),
  );
  const kinds = new Set(check(history).map((a) => a.kind));
  assert.ok(kinds.has("incompatible-order"), [...kinds].join(","));
});
