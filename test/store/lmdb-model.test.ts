// Model-based property tests of LmdbStore (disc_only_copies tables), the same commands the RAM
// stores are checked with in stores.test.ts, plus batches that commit or abort and reopening the
// environment. Set and bag tables are in key order on LMDB; the checks allow any stable order.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import fc from "fast-check";
import { compareKeys, type Key } from "../../src/keys/index.js";
import { type LmdbEnv, openLmdbEnv } from "../../src/store/lmdb-env.js";
import type { LmdbStore } from "../../src/store/lmdb-store.js";
import type { TableStore } from "../../src/store/store.js";
import type { TableType } from "../../src/types.js";
import { assertAsyncProperty, assertProperty, Model, TYPES } from "./model.js";
import {
  checkStore,
  type Mutation,
  mutate,
  mutationArb,
  type Traversal,
  traversalArb,
  traverse,
} from "./store-commands.js";

function checkLmdbStore(type: TableType, s: TableStore, m: Model): void {
  const keys = checkStore(type, s, m);
  // LMDB keeps every table in key order.
  assert.deepEqual(keys, keys.slice().sort(compareKeys));
  for (const r of s.records()) assert.ok(Object.isFrozen(r));
  for (const k of keys) assert.deepEqual(s.get(k), m.read(k)[0]);
}

// ---- commands ----------------------------------------------------------------------------------

type StoreOp =
  | Mutation
  | { readonly op: "batch"; readonly ops: readonly Mutation[]; readonly abort: boolean }
  | Traversal
  | { readonly op: "check" };

const storeOpArb: fc.Arbitrary<StoreOp> = fc.oneof(
  { weight: 13, arbitrary: mutationArb },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("batch"),
      ops: fc.array(mutationArb, { maxLength: 6 }),
      abort: fc.boolean(),
    }),
  },
  { weight: 8, arbitrary: traversalArb },
  { weight: 3, arbitrary: fc.constant({ op: "check" } as const) },
);

const opsArb = fc.array(storeOpArb, { maxLength: 60, size: "max" });

class Abort extends Error {}

/** Runs the commands against store and model; `cursor` is the key a traversal stands on. */
function run(
  env: LmdbEnv,
  type: TableType,
  s: LmdbStore,
  m: Model,
  ops: readonly StoreOp[],
): Model {
  let cursor: Key | undefined;
  for (const o of ops) {
    switch (o.op) {
      case "batch": {
        const inner = m.clone();
        try {
          env.batch(() => {
            for (const x of o.ops) mutate(s, inner, x, cursor);
            // Reads inside the batch see its writes.
            assert.equal(s.size(), inner.size());
            if (o.abort) throw new Abort();
          });
          m = inner;
        } catch (e) {
          if (!(e instanceof Abort)) throw e;
        }
        assert.equal(s.size(), m.size());
        break;
      }
      case "step":
      case "next":
        cursor = traverse(type, s, m, o, cursor);
        break;
      case "check":
        checkLmdbStore(type, s, m);
        break;
      default:
        mutate(s, m, o, cursor);
    }
  }
  checkLmdbStore(type, s, m);
  return m;
}

describe("LmdbStore against the model", () => {
  let dir: string;
  let env: LmdbEnv;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), "mneme-lmdb-model-"));
    env = openLmdbEnv(join(dir, "lmdb"));
  });
  after(async () => {
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  });

  for (const type of TYPES) {
    test(`property: ${type} LMDB store agrees with the model`, () => {
      const s = env.openTable(`model_${type}`, type, "k");
      assertProperty(
        fc.property(opsArb, (ops) => {
          s.clear();
          run(env, type, s, new Model(type), ops);
        }),
        { numRuns: 300 },
      );
    });
  }
});

describe("LmdbStore against the model, across a reopen", () => {
  for (const type of TYPES) {
    test(`property: ${type} LMDB store keeps its content and size when reopened`, async () => {
      await assertAsyncProperty(
        fc.asyncProperty(opsArb, async (ops) => {
          const dir = mkdtempSync(join(tmpdir(), "mneme-lmdb-reopen-"));
          try {
            let env = openLmdbEnv(dir);
            const m = run(env, type, env.openTable("t", type, "k"), new Model(type), ops);
            env.setAppliedPosition(ops.length);
            await env.close();
            env = openLmdbEnv(dir);
            checkLmdbStore(type, env.openTable("t", type, "k"), m);
            assert.equal(env.appliedPosition(), ops.length);
            await env.close();
          } finally {
            rmSync(dir, { recursive: true, force: true });
          }
        }),
        { numRuns: 25 },
      );
    });
  }
});
