// The file backup module: round trips, atomic commit, and rejection of every damaged file.
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import type { BackupItem, FileReadHandle } from "../../src/backup/index.js";
import { fileBackupModule as mod } from "../../src/backup/index.js";
import { encodeTerm } from "../../src/codec/term-codec.js";
import { encodeFrame } from "../../src/disc/frame.js";
import { BadArgError, CorruptFileError, FileNotFoundError } from "../../src/errors.js";
import { termEquals } from "../../src/keys/index.js";
import { valueArb } from "../keys/arbitraries.js";

let dir = "";
let n = 0;
before(() => {
  dir = mkdtempSync(join(tmpdir(), "mneme-backup-"));
});
after(() => {
  rmSync(dir, { recursive: true, force: true });
});
const fresh = (): string => join(dir, `b${n++}.bak`);

async function writeBackup(path: string, blocks: readonly (readonly BackupItem[])[]) {
  let w = await mod.openWrite(path);
  for (const b of blocks) w = await mod.write(w, b);
  await mod.commitWrite(w);
}

async function readAll(path: string): Promise<BackupItem[][]> {
  let r: FileReadHandle = await mod.openRead(path);
  const out: BackupItem[][] = [];
  try {
    for (;;) {
      const res = await mod.read(r);
      if (res === undefined) return out;
      out.push([...res.items]);
      r = res.handle;
    }
  } finally {
    await mod.closeRead(r);
  }
}

const allKinds: BackupItem[] = [
  0,
  -7,
  1.5,
  Number.MAX_SAFE_INTEGER,
  Number.NaN,
  Number.POSITIVE_INFINITY,
  5n,
  -(2n ** 200n),
  2n ** 64n,
  "",
  "héllo ✓ 𝄞",
  "lone \ud800 surrogate",
  true,
  false,
  null,
  [1, [2, [3, ["deep"]]], []],
  { schema: { table: "acct", attributes: ["id", "balance"] }, n: 1n },
  { nested: { bytes: new Uint8Array([0, 1, 255]), list: [{ a: 1 }, { b: [2n] }] } },
  new Uint8Array([]),
  new Uint8Array([9, 8, 7, 6]),
  ["acct", 1, { balance: 100, owner: "ann" }],
];

/** A small valid backup's bytes. */
async function smallBackup(): Promise<{ bytes: Buffer; blocks: BackupItem[][] }> {
  const blocks: BackupItem[][] = [
    [{ schema: "t" }],
    [
      ["t", 1, "a"],
      ["t", 2n, new Uint8Array([3])],
    ],
    // Records of one table: a block of kind 3 (the table name once).
    [
      { table: "t", record: { k: 1, v: "a" } },
      { table: "t", record: { k: 2, v: new Uint8Array([4]) } },
    ],
  ];
  const p = fresh();
  await writeBackup(p, blocks);
  return { bytes: readFileSync(p), blocks };
}

async function readFails(bytes: Uint8Array): Promise<CorruptFileError> {
  const p = fresh();
  writeFileSync(p, bytes);
  try {
    const got = await readAll(p);
    assert.fail(`read succeeded with ${JSON.stringify(got, (_k, v) => String(v))}`);
  } catch (e) {
    assert.ok(e instanceof CorruptFileError, `not a CorruptFileError: ${String(e)}`);
    assert.equal(e.file, p);
    assert.ok(e.offset >= 0 && e.offset <= bytes.length);
    return e;
  }
}

describe("file backup module: round trips", () => {
  it("a backup with no blocks", async () => {
    const p = fresh();
    await writeBackup(p, []);
    assert.deepEqual(await readAll(p), []);
  });

  it("empty blocks are kept", async () => {
    const p = fresh();
    await writeBackup(p, [[], [1], []]);
    assert.deepEqual(await readAll(p), [[], [1], []]);
  });

  it("one item", async () => {
    const p = fresh();
    await writeBackup(p, [[{ id: 1 }]]);
    assert.deepEqual(await readAll(p), [[{ id: 1 }]]);
  });

  it("every value kind comes back equal (binaries as plain Uint8Arrays)", async () => {
    const p = fresh();
    await writeBackup(p, [allKinds]);
    const [got] = await readAll(p);
    assert.deepStrictEqual(got, allKinds);
    const bytes = (got![17] as { nested: { bytes: Uint8Array } }).nested.bytes;
    assert.equal(Object.getPrototypeOf(bytes), Uint8Array.prototype);
  });

  it("records of one table: one kind 3 block, read back as frozen records with their encoding", async () => {
    const p = fresh();
    const block = Array.from({ length: 50 }, (_, i) => ({
      table: "tab",
      record: { k: i, v: `v${i}` },
    }));
    await writeBackup(p, [
      block,
      [
        { table: "tab", record: { k: 99 } },
        { table: "other", record: { k: 1 } },
      ],
    ]);
    const r0 = await mod.openRead(p);
    const first = await mod.read(r0);
    assert.ok(first !== undefined);
    assert.deepEqual(first.items, block);
    assert.ok(first.items.every((item) => Object.isFrozen((item as { record: object }).record)));
    assert.equal(first.encoded?.table, "tab");
    assert.equal(first.encoded?.count, 50);
    // A block mixing tables is an ordinary block: no encoded form.
    const second = await mod.read(first.handle);
    assert.equal(second?.encoded, undefined);
    assert.equal(second?.items.length, 2);
    await mod.closeRead(second!.handle);
    // What writeEncoded writes reads back the same.
    const q = fresh();
    let w = await mod.openWrite(q);
    w = await mod.writeEncoded!(w, first.encoded!);
    await mod.commitWrite(w);
    assert.deepEqual(await readAll(q), [block]);
  });

  it("10,000 items in several blocks", async () => {
    const items = Array.from({ length: 10_000 }, (_, i) => ["t", i, { v: `x${i}`, b: BigInt(i) }]);
    const blocks = [
      items.slice(0, 1),
      items.slice(1, 4000),
      items.slice(4000, 9999),
      items.slice(9999),
    ];
    const p = fresh();
    await writeBackup(p, blocks);
    const got = await readAll(p);
    assert.equal(got.length, 4);
    assert.deepStrictEqual(got.flat(), items);
  });

  it("property: random values round-trip", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.array(valueArb, { maxLength: 8 }), { maxLength: 5 }),
        async (blocks) => {
          const p = fresh();
          await writeBackup(p, blocks);
          const got = await readAll(p);
          assert.ok(termEquals(got, blocks));
          rmSync(p);
        },
      ),
      { numRuns: 100 },
    );
  });

  it("a new commit replaces the old backup", async () => {
    const p = fresh();
    await writeBackup(p, [[1, 2]]);
    await writeBackup(p, [[3]]);
    assert.deepEqual(await readAll(p), [[3]]);
  });
});

describe("file backup module: commit and abort", () => {
  it("abortWrite leaves neither file nor tmp", async () => {
    const p = fresh();
    let w = await mod.openWrite(p);
    w = await mod.write(w, [1, 2, 3]);
    assert.ok(existsSync(`${p}.tmp`));
    await mod.abortWrite(w);
    assert.ok(!existsSync(p));
    assert.ok(!existsSync(`${p}.tmp`));
    await assert.rejects(mod.openRead(p), FileNotFoundError);
  });

  it("an uncommitted write is not readable; an older backup stays readable", async () => {
    const p = fresh();
    const w = await mod.openWrite(p);
    await mod.write(w, [1]);
    await assert.rejects(mod.openRead(p), FileNotFoundError);
    await mod.abortWrite(w);
    await writeBackup(p, [["old"]]);
    const w2 = await mod.write(await mod.openWrite(p), ["new"]);
    assert.deepEqual(await readAll(p), [["old"]]);
    await mod.abortWrite(w2);
    assert.deepEqual(await readAll(p), [["old"]]);
  });

  it("commit leaves only the backup file", async () => {
    const sub = mkdtempSync(join(dir, "only-"));
    await writeBackup(join(sub, "x.bak"), [[1]]);
    assert.deepEqual(readdirSync(sub), ["x.bak"]);
  });

  it("the handle is dead after commit or abort; bad arguments are BadArgError", async () => {
    const p = fresh();
    const w = await mod.openWrite(p);
    await mod.commitWrite(w);
    await assert.rejects(mod.write(w, [1]), BadArgError);
    await assert.rejects(mod.commitWrite(w), BadArgError);
    await mod.abortWrite(w); // a no-op: the committed backup stays
    assert.deepEqual(await readAll(p), []);
    await assert.rejects(mod.openWrite(42), BadArgError);
    await assert.rejects(mod.openRead(""), BadArgError);
  });
});

describe("file backup module: damaged files", () => {
  it("every truncation is truncated_binary_file", async () => {
    const { bytes } = await smallBackup();
    for (let k = 0; k < bytes.length; k++) {
      const e = await readFails(bytes.subarray(0, k));
      assert.equal(e.reason, "truncated_binary_file", `prefix ${k}`);
    }
  });

  it("every single-bit flip is rejected", async () => {
    const { bytes } = await smallBackup();
    for (let i = 0; i < bytes.length * 8; i++) {
      const copy = Buffer.from(bytes);
      copy[i >> 3]! ^= 1 << (i & 7);
      await readFails(copy);
    }
  });

  it("empty and garbage files", async () => {
    assert.equal((await readFails(new Uint8Array())).reason, "truncated_binary_file");
    // Not a backup at all: not_a_log_file, as Mnesia says of such a file.
    for (const garbage of [
      Buffer.from("this is not a backup at all, just some text\n"),
      Buffer.alloc(64, 0xff),
      Buffer.alloc(64, 0),
      Buffer.from("hi"),
    ]) {
      const e = await readFails(garbage);
      assert.equal(e.reason, "not_a_log_file");
      assert.equal(e.offset, 0);
    }
  });

  const header = encodeFrame(encodeTerm({ format: "mneme-backup", version: 1 }));
  const trailer = (blocks: number, items: number) =>
    encodeFrame(encodeTerm({ end: true, blocks, items }));

  it("a hand-built valid file reads (the format is as documented)", async () => {
    const p = fresh();
    writeFileSync(p, Buffer.concat([header, encodeFrame(encodeTerm([1, "a"])), trailer(1, 2)]));
    assert.deepEqual(await readAll(p), [[1, "a"]]);
  });

  it("wrong format, wrong version, bad header", async () => {
    for (const h of [
      { format: "other", version: 1 },
      { format: "mneme-backup", version: 2 },
      { format: "mneme-backup" },
      ["mneme-backup", 1],
      "mneme-backup",
    ]) {
      const e = await readFails(Buffer.concat([encodeFrame(encodeTerm(h)), trailer(0, 0)]));
      assert.equal(e.reason, "not_a_log_file");
      assert.equal(e.offset, 0);
    }
  });

  it("counts that disagree, data after the trailer, undecodable blocks, bad trailers", async () => {
    const block = encodeFrame(encodeTerm([1, 2]));
    const cases = [
      Buffer.concat([header, block, trailer(1, 3)]),
      Buffer.concat([header, block, trailer(2, 2)]),
      Buffer.concat([header, block, block, trailer(1, 2)]),
      Buffer.concat([header, block, trailer(1, 2), block]),
      Buffer.concat([header, block, trailer(1, 2), Buffer.from([0])]),
      Buffer.concat([header, encodeFrame(Buffer.from([0xc1])), trailer(1, 0)]),
      Buffer.concat([header, encodeFrame(encodeTerm({ end: false, blocks: 0, items: 0 }))]),
      Buffer.concat([header, encodeFrame(encodeTerm(7))]),
    ];
    for (const c of cases) assert.equal((await readFails(c)).reason, "bad_checksum");
    const tail = await readFails(Buffer.concat([header, block, trailer(1, 2), block]));
    assert.equal(tail.offset, header.length + block.length + trailer(1, 2).length);
  });
});

describe("file backup module: fuzz", () => {
  it("property: random bytes are rejected with CorruptFileError", async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        await readFails(bytes);
      }),
      { numRuns: 300 },
    );
  });

  it("property: a mutated valid file is rejected or reads back the original", async () => {
    const { bytes, blocks } = await smallBackup();
    const mutation = fc.oneof(
      fc.record({
        kind: fc.constant("set" as const),
        at: fc.nat(),
        byte: fc.integer({ min: 0, max: 255 }),
      }),
      fc.record({
        kind: fc.constant("cut" as const),
        at: fc.nat(),
        len: fc.integer({ min: 1, max: 16 }),
      }),
      fc.record({
        kind: fc.constant("insert" as const),
        at: fc.nat(),
        data: fc.uint8Array({ minLength: 1, maxLength: 16 }),
      }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(mutation, { minLength: 1, maxLength: 4 }), async (muts) => {
        let b = Buffer.from(bytes);
        for (const m of muts) {
          const at = m.at % (b.length + 1);
          if (m.kind === "set") {
            if (at < b.length) b[at] = m.byte;
          } else if (m.kind === "cut") {
            b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.len)]);
          } else {
            b = Buffer.concat([b.subarray(0, at), m.data, b.subarray(at)]);
          }
        }
        const p = fresh();
        writeFileSync(p, b);
        try {
          const got = await readAll(p);
          assert.ok(b.equals(bytes), "a changed file was read successfully");
          assert.deepStrictEqual(got, blocks);
        } catch (e) {
          if (e instanceof assert.AssertionError) throw e;
          assert.ok(e instanceof CorruptFileError, `not a CorruptFileError: ${String(e)}`);
        }
        rmSync(p);
      }),
      { numRuns: 500 },
    );
  });
});
