// Start-up a service can run every time: open's create, ensureTable, the warning for a database
// in RAM by accident, and close with drain.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import {
  AlreadyExistsError,
  BadTypeError,
  CombineError,
  FileError,
  type Logger,
  Mneme,
  TransactionAborted,
} from "../../src/index.js";
import { rejectsMneme } from "./helpers.js";

let root: string;
let dir: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-startup-"));
  dir = path.join(root, "data");
});
afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

interface User {
  id: number;
  name: string;
  email: string;
}
const USERS = { attributes: ["id", "name", "email"], index: ["email"] } as const;

/** A logger that keeps what it is told. */
function recorder(): Logger & { lines: [string, object | string, string | undefined][] } {
  const lines: [string, object | string, string | undefined][] = [];
  const at = (level: string) => (obj: object | string, msg?: string) => {
    // The warnings only: open and close also log at info level (test/db/logger.test.ts).
    if (level === "warn") lines.push([level, obj, msg]);
  };
  return { lines, error: at("error"), warn: at("warn"), info: at("info"), debug: at("debug") };
}

describe("open({ create: true })", () => {
  it("creates the schema the first time and opens it the next times", async () => {
    for (let i = 0; i < 3; i++) {
      const db = await Mneme.open({ dir, create: true });
      assert.equal(db.systemInfo("use_dir"), true);
      const t = await db.ensureTable<User>("users", { ...USERS, discCopies: [db.node] });
      db.transactionSync((tx) => tx.write(t, { id: i, name: `n${i}`, email: `e${i}` }));
      assert.equal(db.dirtyAllKeys(t).length, i + 1);
      await db.close();
    }
  });

  it("a directory whose parent is missing is a FileError (as createSchema), nothing created", async () => {
    const deep = path.join(root, "missing", "data");
    await rejectsMneme(Mneme.open({ dir: deep, create: true }), FileError, "file_error", {
      message: /ENOENT/,
    });
    assert.equal(fs.existsSync(path.join(root, "missing")), false);
  });

  it('with schemaLocation "ram": combine_error', async () => {
    await rejectsMneme(
      Mneme.open({ dir, create: true, schemaLocation: "ram" }),
      CombineError,
      "combine_error",
    );
  });

  it("create must be a boolean", async () => {
    await rejectsMneme(Mneme.open({ dir, create: 1 as never }), BadTypeError, "bad_type", {
      message: /option create must be a boolean/,
    });
  });
});

describe("a directory without a schema (opt_disc)", () => {
  it("runs in RAM as in Mnesia, and says so through the logger", async () => {
    fs.mkdirSync(dir);
    const logger = recorder();
    const db = await Mneme.open({ dir, logger });
    assert.equal(db.systemInfo("use_dir"), false);
    assert.equal(logger.lines.length, 1);
    const [level, fields, msg] = logger.lines[0]!;
    assert.equal(level, "warn");
    assert.deepEqual(fields, { dir, schemaLocation: "opt_disc" });
    assert.match(msg!, /holds no disc schema, so this database is in RAM .* create: true/);
    await db.close();
  });

  it("without a logger: once per process on the console", async () => {
    const printed: unknown[][] = [];
    const warn = console.warn;
    console.warn = (...args: unknown[]) => printed.push(args);
    try {
      for (let i = 0; i < 2; i++)
        await (await Mneme.open({ dir: path.join(root, `x${i}`) })).close();
    } finally {
      console.warn = warn;
    }
    // No test before this one in this file (its own process) opens such a directory without a logger.
    assert.equal(printed.length, 1);
    assert.match(
      String(printed[0]![0]),
      /^mneme: .*x0 holds no disc schema, so this database is in RAM/,
    );
  });

  it("no warning with create, with schemaLocation given, or without a dir", async () => {
    const logger = recorder();
    for (const o of [
      { dir, create: true },
      { dir: root, schemaLocation: "opt_disc" as const },
      {},
    ]) {
      await (await Mneme.open({ ...o, logger })).close();
    }
    assert.deepEqual(logger.lines, []);
  });

  it("logger must have error, warn and info functions", async () => {
    await rejectsMneme(Mneme.open({ logger: { warn() {} } as never }), BadTypeError, "bad_type", {
      message: /option logger\.error must be a function/,
    });
  });
});

describe("ensureTable", () => {
  it("creates a missing table and returns its typed handle", async () => {
    const db = await Mneme.open();
    const t = await db.ensureTable<User, "id">("users", USERS);
    db.dirtyWrite(t, { id: 1, name: "a", email: "a@x" });
    // @ts-expect-error the key of users is a number
    assert.deepEqual(db.dirtyRead(t, "1"), []);
    assert.deepEqual(db.dirtyIndexRead(t, "a@x", "email"), [{ id: 1, name: "a", email: "a@x" }]);
    await db.close();
  });

  it("an existing table of the same definition is fine (index order and loadOrder may differ)", async () => {
    const db = await Mneme.open();
    await db.createTable("t", { attributes: ["k", "a", "b"], index: ["a", "b"], loadOrder: 1 });
    await db.ensureTable("t", {
      attributes: ["k", "a", "b"],
      index: ["b", "a"],
      loadOrder: 5,
      userProperties: [["p", 1]],
    });
    assert.equal(db.tableInfo("t", "load_order"), 1);
    await db.close();
  });

  it("an existing table of another definition: already_exists listing every difference", async () => {
    const db = await Mneme.open({ dir, create: true });
    await db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
    const e = await db
      .ensureTable("t", { attributes: ["k", "w"], type: "bag", index: ["w"], recordName: "r" })
      .then(
        () => assert.fail("resolved"),
        (err: unknown) => err,
      );
    assert.ok(e instanceof AlreadyExistsError);
    assert.equal(e.reason, "already_exists");
    assert.equal(e.table, "t");
    assert.deepEqual(e.value, [
      { option: "attributes", stored: ["k", "v"], wanted: ["k", "w"] },
      { option: "type", stored: "set", wanted: "bag" },
      { option: "storage", stored: "disc_copies", wanted: "ram_copies" },
      { option: "index", stored: [], wanted: ["w"] },
      { option: "recordName", stored: "t", wanted: "r" },
    ]);
    assert.match(
      e.message,
      /^already_exists: table t already exists with another definition: attributes is \["k","v"\], wanted \["k","w"\]; type is set, wanted bag; storage is disc_copies, wanted ram_copies; index is \[\], wanted \["w"\]; recordName is t, wanted r/,
    );
    await db.close();
  });

  it("accessMode, majority, localContent and snmp count too", async () => {
    const db = await Mneme.open();
    await db.createTable("t", { attributes: ["k", "v"], accessMode: "read_only" });
    await rejectsMneme(
      db.ensureTable("t", { attributes: ["k", "v"] }),
      AlreadyExistsError,
      "already_exists",
      {
        value: [{ option: "accessMode", stored: "read_only", wanted: "read_write" }],
      },
    );
    await db.createTable("u", { attributes: ["k", "v"] });
    await rejectsMneme(
      db.ensureTable("u", {
        attributes: ["k", "v"],
        majority: true,
        localContent: true,
        snmp: { key: "integer" },
      }),
      AlreadyExistsError,
      "already_exists",
      {
        value: [
          { option: "majority", stored: false, wanted: true },
          { option: "localContent", stored: false, wanted: true },
          { option: "snmp", stored: null, wanted: { key: "integer" } },
        ],
      },
    );
    await db.close();
  });

  it("a bad definition is refused as createTable refuses it, also for an existing table", async () => {
    const db = await Mneme.open();
    await db.createTable("t", { attributes: ["k", "v"] });
    await rejectsMneme(
      db.ensureTable("t", { attributes: ["k", "v"], type: "heap" as never }),
      BadTypeError,
      "bad_type",
    );
    await db.close();
  });

  it("concurrent calls for one table all succeed, and the table is durable when each resolves", async () => {
    fs.mkdirSync(dir);
    await Mneme.createSchema({ dir });
    const db = await Mneme.open({ dir });
    const def = { attributes: ["k", "v"], discCopies: [db.node] } as const;
    const handles = await Promise.all(Array.from({ length: 8 }, () => db.ensureTable("t", def)));
    assert.deepEqual(
      handles.map((h) => h.name),
      Array(8).fill("t"),
    );
    await db.close();
    const again = await Mneme.open({ dir });
    assert.deepEqual(again.systemInfo("tables"), ["schema", "t"]);
    await again.close();
  });
});

describe("close({ drain })", () => {
  it("running transactions finish, new ones are refused with node_not_running", async () => {
    const db = await Mneme.open();
    const t = await db.createTable("t", { attributes: ["k", "v"] });
    let release!: () => void;
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const running = db.transaction(async (tx) => {
      await tx.write(t, { k: 1, v: 1 });
      await gate;
      await tx.write(t, { k: 2, v: 2 });
      return "done";
    });
    await new Promise((r) => setImmediate(r));
    let closed = false;
    const closing = db.close({ drain: true }).then(() => {
      closed = true;
    });
    await assert.rejects(
      db.transaction(async () => 1),
      (e: unknown) => {
        assert.ok(e instanceof TransactionAborted);
        assert.equal(e.reason, "node_not_running");
        assert.match(e.message, /is closing: it finishes the running transactions/);
        return true;
      },
    );
    assert.throws(() => db.transactionSync(() => 1), TransactionAborted);
    await new Promise((r) => setTimeout(r, 20));
    assert.equal(closed, false);
    release();
    assert.equal(await running, "done");
    await closing;
    assert.equal(closed, true);
    assert.equal(db.systemInfo("is_running"), "no");
  });

  it("after timeoutMs the rest is aborted with node_not_running", async () => {
    const db = await Mneme.open();
    const t = await db.createTable("t", { attributes: ["k", "v"] });
    const running = db.transaction(async (tx) => {
      await new Promise((r) => setTimeout(r, 200));
      await tx.write(t, { k: 1, v: 1 });
    });
    const start = Date.now();
    await db.close({ drain: true, timeoutMs: 30 });
    const took = Date.now() - start;
    assert.ok(took >= 25 && took < 180, `closed after ${took} ms`);
    await assert.rejects(
      running,
      (e: unknown) => e instanceof TransactionAborted && e.reason === "node_not_running",
    );
  });

  it("a plain close during a drain ends it at once", async () => {
    const db = await Mneme.open();
    const running = db.transaction(async () => {
      await new Promise((r) => setTimeout(r, 300));
    });
    const draining = db.close({ drain: true });
    const start = Date.now();
    await db.close();
    await draining;
    assert.ok(Date.now() - start < 150);
    await running.catch(() => undefined);
  });

  it("bad options: badarg or bad_type; a timeout a timer would overflow is refused", async () => {
    const db = await Mneme.open();
    await rejectsMneme(db.close({ drain: "yes" } as never), BadTypeError, "bad_type");
    await rejectsMneme(db.close({ drain: true, timeoutMs: 2 ** 31 }), BadTypeError, "bad_type", {
      message: /option timeoutMs must be an integer from 1 to 2147483647, or Infinity for never/,
    });
    await db.close();
  });
});
