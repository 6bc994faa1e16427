// dump_to_textfile / load_textfile: round trips of every table type and value kind, definitions
// preserved, records added to existing tables, errors that name the line and change nothing.
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  decodeValue,
  dumpToText,
  dumpToTextfile,
  loadText,
  loadTextfile,
  TEXTFILE_HEADER,
} from "../../src/backup/textfile.js";
import {
  type AnyRecord,
  BadArgError,
  BadTypeError,
  Mneme,
  MnemeError,
  type TableType,
  type Value,
} from "../../src/index.js";

const NESTED: Value = {
  a: [1, [2, [3n, { $x: 1 }]]],
  $only: "dollar key",
  b: { $bytes: "not bytes" },
  c: { $obj: { $bigint: "1" } },
  d: new Uint8Array([0, 255]),
};

/** Every value kind, as attribute values (the key is the index). */
const VALUES: readonly Value[] = [
  0,
  -0,
  1.5,
  -1e300,
  Number.NaN,
  Infinity,
  -Infinity,
  123456789012345678901234567890n,
  -5n,
  "",
  "$x",
  "\ud800 lone \udfff",
  "_",
  "$1",
  null,
  true,
  false,
  new Uint8Array([1, 2, 3]),
  new Uint8Array(),
  [],
  {},
  { $x: 1 },
  { $obj: 2 },
  { $x: 1, $y: 2 },
  NESTED,
  [NESTED, [{ $bigint: "x" }]],
];

async function sourceDb(): Promise<Mneme> {
  const db = await Mneme.open();
  const types: TableType[] = ["set", "bag", "ordered_set"];
  for (const type of types) {
    const t = await db.createTable(`t_${type}`, {
      attributes: ["k", "v", "w"],
      type,
      index: ["w"],
      recordName: `rec_${type}`,
      loadOrder: 3,
      userProperties: [["p", 1n, { $x: NaN }]],
    });
    VALUES.forEach((v, i) => {
      db.dirtyWrite(t, { k: i, v, w: i % 3 });
      if (type === "bag") db.dirtyWrite(t, { k: i, v: [v], w: "second" });
    });
    // Keys of other kinds.
    db.dirtyWrite(t, { k: "s\ud800", v: -0, w: 0 });
    db.dirtyWrite(t, { k: [1n, new Uint8Array([9]), null], v: 1, w: 0 });
    db.dirtyWrite(t, { k: -0.5, v: 1, w: 0 });
  }
  await db.createTable("ro", { attributes: ["a", "b"], accessMode: "read_only" });
  return db;
}

function sortedLines(text: string): string[] {
  return text.split("\n").sort();
}

function records(db: Mneme, table: string): AnyRecord[] {
  return db.dirtyFoldl<AnyRecord[]>(table, (r, acc) => [...acc, r], []);
}

describe("textfile round trip", () => {
  it("restores set, bag and ordered_set tables with every value kind", async () => {
    const src = await sourceDb();
    const text = dumpToText(src);
    assert.ok(text.startsWith(`${TEXTFILE_HEADER}\n`));
    const dst = await Mneme.open();
    const loaded = await loadText(dst, text);
    assert.deepEqual(loaded, ["t_set", "t_bag", "t_ordered_set", "ro"]);
    assert.deepEqual(sortedLines(dumpToText(dst)), sortedLines(text));
    for (const name of ["t_set", "t_bag", "t_ordered_set"]) {
      for (const item of [
        "type",
        "attributes",
        "index",
        "record_name",
        "load_order",
        "user_properties",
        "storage_type",
        "access_mode",
      ] as const) {
        assert.deepStrictEqual(dst.tableInfo(name, item), src.tableInfo(name, item), item);
      }
      assert.equal(dst.tableInfo(name, "size"), src.tableInfo(name, "size"));
      // Exact values (deepStrictEqual tells -0 from 0 and Uint8Array from Buffer).
      VALUES.forEach((_v, i) => {
        const key = i;
        const a = src.dirtyRead<AnyRecord>(name, key);
        const b = dst.dirtyRead<AnyRecord>(name, key);
        assert.deepStrictEqual(new Set(b), new Set(a));
        assert.deepStrictEqual(b, a);
      });
      assert.deepStrictEqual(dst.dirtyRead<AnyRecord>(name, "s\ud800"), [
        { k: "s\ud800", v: -0, w: 0 },
      ]);
      // Index preserved and working.
      assert.equal(
        dst.dirtyIndexRead(name, 1, "w").length,
        src.dirtyIndexRead(name, 1, "w").length,
      );
    }
    assert.deepStrictEqual(records(dst, "t_ordered_set"), records(src, "t_ordered_set"));
    assert.equal(dst.tableInfo("ro", "access_mode"), "read_only");
  });

  it("escapes objects with a single $ key and tags what JSON cannot express", async () => {
    const db = await Mneme.open();
    await db.createTable("t", { attributes: ["k", "v"] });
    db.dirtyWrite("t", { k: 1, v: [{ $x: 1 }, -0, NaN, 2n, new Uint8Array([255])] });
    const line = dumpToText(db).split("\n")[2];
    assert.equal(
      line,
      '["t",1,[{"$obj":{"$x":1}},{"$num":"-0"},{"$num":"NaN"},{"$bigint":"2"},{"$bytes":"/w=="}]]',
    );
  });

  it("adds the records to an existing table and keeps its definition", async () => {
    const db = await Mneme.open();
    await db.createTable("t", { attributes: ["k", "v"], index: ["v"] });
    db.dirtyWrite("t", { k: 1, v: "old" });
    const text = `${TEXTFILE_HEADER}\n{"table":"t","attributes":["k","v"],"type":"set"}\n["t",2,"new"]\n["t",3,{"$bigint":"7"}]\n`;
    assert.deepEqual(await loadText(db, text), ["t"]);
    assert.deepEqual(db.dirtyAllKeys("t").sort(), [1, 2, 3]);
    assert.deepStrictEqual(db.dirtyRead("t", 3), [{ k: 3, v: 7n }]);
    assert.deepEqual(db.tableInfo("t", "index"), [3]);
  });

  it("accepts comments, blank lines, CRLF and tuple positions for index", async () => {
    const db = await Mneme.open();
    const text = [
      TEXTFILE_HEADER,
      "%% a comment",
      "",
      '{"table":"t","attributes":["k","v","w"],"type":"bag","index":[4]}',
      '["t",1,"a","b"]',
      "",
    ].join("\r\n");
    assert.deepEqual(await loadText(db, text), ["t"]);
    assert.deepEqual(db.tableInfo("t", "index"), [4]);
    assert.deepStrictEqual(db.dirtyRead("t", 1), [{ k: 1, v: "a", w: "b" }]);
  });

  it("writes and reads files", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "mneme-textfile-"));
    try {
      const src = await sourceDb();
      const file = path.join(dir, "dump.txt");
      await dumpToTextfile(src, file);
      assert.equal(await readFile(file, "utf8"), dumpToText(src));
      await assert.rejects(readFile(`${file}.tmp`));
      const dst = await Mneme.open();
      assert.equal((await loadTextfile(dst, file)).length, 4);
      assert.deepEqual(sortedLines(dumpToText(dst)), sortedLines(dumpToText(src)));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ---- errors -------------------------------------------------------------------------------------

async function assertUnchanged(
  text: string,
  cls: typeof BadArgError | typeof BadTypeError,
  message: RegExp,
): Promise<void> {
  const db = await Mneme.open();
  await db.createTable("t", { attributes: ["k", "v"] });
  db.dirtyWrite("t", { k: 1, v: "x" });
  const before = dumpToText(db);
  await assert.rejects(loadText(db, text), (e: unknown) => {
    assert.ok(e instanceof cls, `expected ${cls.name}, got ${String(e)}`);
    assert.match((e as Error).message, message);
    return true;
  });
  assert.equal(dumpToText(db), before);
}

const DEF_T = '{"table":"t","attributes":["k","v"]}';
const DEF_U = '{"table":"u","attributes":["k","v"],"type":"bag"}';

describe("textfile errors change nothing", () => {
  it("bad header", async () => {
    await assertUnchanged(`%% not a textfile\n${DEF_U}\n`, BadArgError, /line 1: .*header/);
    await assertUnchanged("", BadArgError, /line 1/);
  });

  it("bad JSON on line N", async () => {
    const text = `${TEXTFILE_HEADER}\n${DEF_U}\n["u",1,"a"]\n["u",2,"b"\n`;
    await assertUnchanged(text, BadArgError, /line 4: bad JSON/);
  });

  it("unknown table property", async () => {
    const text = `${TEXTFILE_HEADER}\n${DEF_U}\n{"table":"w","attributes":["a","b"],"colour":"red"}\n`;
    await assertUnchanged(text, BadArgError, /line 3: unknown table property 'colour'/);
  });

  it("bad table options are reported with their line", async () => {
    const bad = [
      '{"table":"w","attributes":["a"]}',
      '{"table":"w","attributes":["a","b"],"type":"heap"}',
      '{"table":"w","attributes":["a","b"],"storage":"tape"}',
      '{"table":"w","attributes":["a","b"],"index":["zz"]}',
      '{"table":"schema","attributes":["a","b"]}',
      '{"attributes":["a","b"]}',
      '{"table":"w"}',
      '{"table":"w","attributes":["a","b"],"userProperties":[[{"$nope":1}]]}',
      '{"table":"w","attributes":["a","b"],"storage":"evil"}',
      '{"table":"w","attributes":[]}',
      '{"table":"w","attributes":["a","b"],"index":["a"]}',
      '{"table":"w","attributes":["a","b"],"loadOrder":"5"}',
      '{"table":"w","attributes":["a","b"],"accessMode":"rw"}',
      '{"table":"w","attributes":["a","b"],"majority":"yes"}',
      '{"table":"w","attributes":["a","b"],"snmp":{"key":"float"}}',
      '{"table":"","attributes":["a","b"]}',
    ];
    for (const def of bad) {
      await assertUnchanged(`${TEXTFILE_HEADER}\n${DEF_U}\n${def}\n`, BadArgError, /line 3: /);
    }
  });

  it("records with the wrong attributes, bad values or unknown tables", async () => {
    const bad = [
      '["u",1]',
      '["u",1,"a","extra"]',
      '["nope",1,"a"]',
      '[1,1,"a"]',
      '["u",{"$num":"NaN"},"a"]',
      '["u",{"$x":1},"a"]',
      '["u",1,{"$bigint":"1.5"}]',
      '["u",1,{"$bytes":"***"}]',
      '["t",1,"a"]',
      "42",
    ];
    for (const rec of bad) {
      const text = `${TEXTFILE_HEADER}\n${DEF_U}\n["u",0,"fine"]\n${rec}\n`;
      await assertUnchanged(text, BadArgError, /line 4: /);
    }
  });

  it("an existing table with other attributes", async () => {
    const text = `${TEXTFILE_HEADER}\n${DEF_U}\n{"table":"t","attributes":["k","w"]}\n`;
    await assertUnchanged(text, BadArgError, /line 3: table t exists with attributes k, v/);
  });

  it("a table defined twice", async () => {
    await assertUnchanged(
      `${TEXTFILE_HEADER}\n${DEF_U}\n${DEF_U}\n`,
      BadArgError,
      /line 3: .*twice/,
    );
  });

  it("disc storage on a RAM schema is bad_type, not a silent ram_copies", async () => {
    const text = `${TEXTFILE_HEADER}\n${DEF_U}\n["u",1,"a"]\n{"table":"d","attributes":["k","v"],"storage":"disc_copies"}\n${DEF_T}\n["t",5,"y"]\n`;
    await assertUnchanged(text, BadTypeError, /line 4: d is disc_copies/);
  });
});

// ---- fuzz ---------------------------------------------------------------------------------------

function expectMnemeError(e: unknown): void {
  if (!(e instanceof BadArgError || e instanceof BadTypeError)) {
    assert.ok(e instanceof MnemeError, `not a MnemeError: ${String(e)}`);
  }
}

const jsonish = fc.oneof(
  fc.string(),
  fc.json(),
  fc.constantFrom("[", "{", '{"$num":"NaN"}', '{"$obj":1}', '["u"', "%%", "null", '{"table":1}'),
);

describe("textfile fuzz", () => {
  it("random text and mutated dumps fail with a MnemeError and load all or nothing", async () => {
    const src = await Mneme.open();
    const u = await src.createTable("u", { attributes: ["k", "v"], type: "bag", index: ["v"] });
    const w = await src.createTable("w", { attributes: ["k", "v", "x"], type: "ordered_set" });
    for (let i = 0; i < 4; i++) {
      src.dirtyWrite(u, { k: i, v: [i, { $a: -0 }] });
      src.dirtyWrite(w, { k: `${i}`, v: BigInt(i), x: new Uint8Array([i]) });
    }
    const valid = dumpToText(src).split("\n");

    const mutated = fc
      .tuple(
        fc.array(
          fc.oneof(
            fc.record({ kind: fc.constant("replace" as const), at: fc.nat(), line: jsonish }),
            fc.record({ kind: fc.constant("insert" as const), at: fc.nat(), line: jsonish }),
            fc.record({ kind: fc.constant("delete" as const), at: fc.nat() }),
            fc.record({
              kind: fc.constant("char" as const),
              at: fc.nat(),
              pos: fc.nat(),
              ch: fc.constantFrom("", "x", '"', "{", "]", ",", "$", "1", "\\"),
            }),
          ),
          { maxLength: 3 },
        ),
      )
      .map(([ops]) => {
        const lines = [...valid];
        for (const op of ops) {
          const at = op.at % lines.length;
          if (op.kind === "replace") lines[at] = op.line;
          else if (op.kind === "insert") lines.splice(at, 0, op.line);
          else if (op.kind === "delete") lines.splice(at, 1);
          else {
            const s = lines[at] ?? "";
            const p = op.pos % (s.length + 1);
            lines[at] = s.slice(0, p) + op.ch + s.slice(p + 1);
          }
        }
        return lines.join("\n");
      });
    const text = fc.oneof(
      mutated,
      fc.string(),
      fc.array(jsonish).map((ls) => [TEXTFILE_HEADER, ...ls].join("\n")),
    );

    await fc.assert(
      fc.asyncProperty(text, async (t) => {
        const db = await Mneme.open();
        await db.createTable("u", { attributes: ["k", "v"], type: "bag" });
        db.dirtyWrite("u", { k: 99, v: "mine" });
        const before = dumpToText(db);
        try {
          const names = await loadText(db, t);
          // Success: every table named exists and every record line's key is in its table.
          for (const n of names) assert.ok(db.systemInfo("tables").includes(n));
          for (const line of t.split("\n").slice(1)) {
            const src = line.replace(/\r$/, "");
            if (!src.startsWith("[")) continue;
            const [table, key] = JSON.parse(src) as [string, unknown];
            assert.ok(names.includes(table));
            assert.ok(db.dirtyRead(table, decodeValue(key) as never).length > 0, src);
          }
          const after = new Set(dumpToText(db).split("\n"));
          assert.ok(after.has('["u",99,"mine"]'));
        } catch (e) {
          expectMnemeError(e);
          assert.equal(dumpToText(db), before, "a failed load must change nothing");
        }
      }),
      { numRuns: 300 },
    );
  });
});
