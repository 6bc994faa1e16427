// The in-memory backup module: round trips, invisibility until commit, abort, separate stores.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import type {
  BackupItem,
  BackupModule,
  MemoryReadHandle,
  MemoryWriteHandle,
} from "../../src/backup/index.js";
import { MemoryBackupModule } from "../../src/backup/index.js";
import { BadArgError, NoExistsError } from "../../src/errors.js";
import { valueArb } from "../keys/arbitraries.js";

async function writeBackup(
  mod: MemoryBackupModule,
  name: string,
  blocks: readonly (readonly BackupItem[])[],
) {
  let w = await mod.openWrite(name);
  for (const b of blocks) w = await mod.write(w, b);
  await mod.commitWrite(w);
}

async function readAll(mod: MemoryBackupModule, name: string): Promise<BackupItem[][]> {
  let r: MemoryReadHandle = await mod.openRead(name);
  const out: BackupItem[][] = [];
  for (;;) {
    const res = await mod.read(r);
    if (res === undefined) break;
    out.push([...res.items]);
    r = res.handle;
  }
  await mod.closeRead(r);
  return out;
}

const allKinds: BackupItem[] = [
  0,
  -7,
  1.5,
  Number.NaN,
  5n,
  -(2n ** 200n),
  "",
  "héllo ✓ 𝄞",
  true,
  null,
  [1, [2, [3, ["deep"]]], []],
  { schema: { table: "acct", attributes: ["id", "balance"] }, n: 1n },
  { nested: { bytes: new Uint8Array([0, 1, 255]) } },
  new Uint8Array([9, 8, 7]),
];

describe("memory backup module", () => {
  it("implements BackupModule", () => {
    const mod: BackupModule<MemoryWriteHandle, MemoryReadHandle> = new MemoryBackupModule();
    assert.equal(typeof mod.openWrite, "function");
  });

  it("round trips: no blocks, empty blocks, one item, every value kind", async () => {
    const mod = new MemoryBackupModule();
    await writeBackup(mod, "none", []);
    assert.deepEqual(await readAll(mod, "none"), []);
    await writeBackup(mod, "empty", [[], []]);
    assert.deepEqual(await readAll(mod, "empty"), [[], []]);
    await writeBackup(mod, "one", [[{ id: 1 }]]);
    assert.deepEqual(await readAll(mod, "one"), [[{ id: 1 }]]);
    await writeBackup(mod, "kinds", [allKinds]);
    assert.deepStrictEqual(await readAll(mod, "kinds"), [allKinds]);
  });

  it("10,000 items in several blocks", async () => {
    const mod = new MemoryBackupModule();
    const items = Array.from({ length: 10_000 }, (_, i) => ["t", i, { v: `x${i}` }]);
    const blocks = [items.slice(0, 3000), items.slice(3000, 3001), items.slice(3001)];
    await writeBackup(mod, "big", blocks);
    const got = await readAll(mod, "big");
    assert.equal(got.length, 3);
    assert.deepStrictEqual(got.flat(), items);
  });

  it("property: random blocks round-trip", async () => {
    const mod = new MemoryBackupModule();
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(valueArb, { maxLength: 8 }), { maxLength: 5 }),
        async (blocks) => {
          await writeBackup(mod, "p", blocks);
          assert.deepStrictEqual(await readAll(mod, "p"), blocks);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("writes are invisible until commit; abort discards and keeps the old backup", async () => {
    const mod = new MemoryBackupModule();
    const w = await mod.write(await mod.openWrite("b"), [1]);
    await assert.rejects(mod.openRead("b"), NoExistsError);
    await mod.abortWrite(w);
    await assert.rejects(mod.openRead("b"), NoExistsError);
    assert.deepEqual(mod.names(), []);
    await writeBackup(mod, "b", [["old"]]);
    const w2 = await mod.write(await mod.openWrite("b"), ["new"]);
    assert.deepEqual(await readAll(mod, "b"), [["old"]]);
    await mod.abortWrite(w2);
    assert.deepEqual(await readAll(mod, "b"), [["old"]]);
    await assert.rejects(mod.write(w2, [1]), BadArgError);
    await assert.rejects(mod.commitWrite(w2), BadArgError);
  });

  it("a reader keeps its snapshot while a new backup is committed", async () => {
    const mod = new MemoryBackupModule();
    await writeBackup(mod, "b", [[1], [2]]);
    const r = await mod.openRead("b");
    await writeBackup(mod, "b", [[3]]);
    const first = await mod.read(r);
    assert.deepEqual(first?.items, [1]);
    assert.deepEqual((await mod.read(first!.handle))?.items, [2]);
  });

  it("the caller's arrays are copied; instances have separate stores", async () => {
    const mod = new MemoryBackupModule();
    const block = [1, 2];
    await writeBackup(mod, "b", [block]);
    block.push(3);
    assert.deepEqual(await readAll(mod, "b"), [[1, 2]]);
    await assert.rejects(new MemoryBackupModule().openRead("b"), NoExistsError);
    await assert.rejects(mod.openWrite(1), BadArgError);
    await assert.rejects(mod.openRead(""), BadArgError);
  });
});
