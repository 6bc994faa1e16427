// tableInfo (mnesia:table_info/2), systemInfo (mnesia:system_info/1), info/0 and schema/0,1.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import {
  BadArgError,
  Mneme,
  NoExistsError,
  NotRunningError,
  type SystemInfo,
  type TableInfo,
  TransactionAborted,
} from "../../src/index.js";
import { rejectsMneme, throwsMneme } from "./helpers.js";

const NODE = "nonode@nohost";

/** tableInfo(all) with the random cookie replaced. */
function infoOf(db: Mneme, table: string): TableInfo {
  const all = db.tableInfo(table, "all");
  assert.equal(typeof all.cookie, "string");
  return { ...all, cookie: "<cookie>" };
}

function common(overrides: Partial<TableInfo>): TableInfo {
  return {
    access_mode: "read_write",
    active_replicas: [NODE],
    all_nodes: [NODE],
    arity: 4,
    attributes: ["k", "v", "w"],
    checkpoints: [],
    cookie: "<cookie>",
    disc_copies: [],
    disc_only_copies: [],
    index: [3],
    load_node: NODE,
    load_order: 0,
    load_reason: "create_table",
    local_content: false,
    majority: false,
    master_nodes: [],
    memory: 300,
    ram_copies: [NODE],
    record_name: "t",
    size: 0,
    snmp: [],
    storage_properties: {},
    storage_type: "ram_copies",
    subscribers: 0,
    type: "set",
    user_properties: [],
    version: [1, 0],
    where_to_read: NODE,
    where_to_write: [NODE],
    wild_pattern: { k: "_", v: "_", w: "_" },
    ...overrides,
  };
}

describe("tableInfo", () => {
  for (const type of ["set", "ordered_set", "bag"] as const) {
    it(`every item of a ${type} table, and 'all'`, async () => {
      const db = await Mneme.open();
      await db.createTable("t", { attributes: ["k", "v", "w"], type, index: ["v"] });
      db.dirtyWrite("t", { k: 1, v: "a", w: 0 });
      db.dirtyWrite("t", { k: 2, v: "a", w: 0 });
      db.dirtyWrite("t", { k: 1, v: "b", w: 0 });
      const size = type === "bag" ? 3 : 2;
      // memory: 300 words + (attributes + 4) per record + 6 per index entry
      const expected = common({ type, size, memory: 300 + size * 7 + size * 6 });
      assert.deepEqual(infoOf(db, "t"), expected);
      for (const item of Object.keys(expected) as (keyof TableInfo)[]) {
        if (item === "cookie") continue;
        assert.deepEqual(db.tableInfo("t", item), expected[item], item);
      }
      assert.equal(db.tableInfo("t", "cookie"), db.tableInfo("t", "all").cookie);
    });
  }

  it("follows the table: size, memory, subscribers, version, index, access mode", async () => {
    const db = await Mneme.open();
    const t = await db.createTable("t", { attributes: ["k", "v", "w"] });
    assert.equal(db.tableInfo(t, "size"), 0);
    db.dirtyWrite(t, { k: 1, v: 1, w: 1 });
    assert.equal(db.tableInfo(t, "size"), 1);
    assert.equal(db.tableInfo(t, "memory"), 307);
    const s1 = db.subscribe({ table: "t" });
    const s2 = db.subscribe({ table: "t", mode: "detailed" });
    assert.equal(db.tableInfo(t, "subscribers"), 2);
    s1.unsubscribe();
    assert.equal(db.tableInfo(t, "subscribers"), 1);
    s2.unsubscribe();
    assert.equal(db.tableInfo(t, "subscribers"), 0);
    await db.addTableIndex(t, "w");
    assert.deepEqual(db.tableInfo(t, "index"), [4]);
    assert.equal(db.tableInfo(t, "memory"), 313);
    assert.deepEqual(db.tableInfo(t, "version"), [1, 1]);
    await db.changeTableAccessMode(t, "read_only");
    assert.equal(db.tableInfo(t, "access_mode"), "read_only");
    await db.clearTable("t").catch(() => undefined);
    assert.equal(db.tableInfo(t, "size"), 1);
  });

  it("the schema table", async () => {
    const db = await Mneme.open();
    await db.createTable("a", { attributes: ["key", "val"] });
    await db.createTable("b", { attributes: ["key", "val"] });
    assert.deepEqual(db.tableInfo("schema", "all"), {
      access_mode: "read_write",
      active_replicas: [NODE],
      all_nodes: [NODE],
      arity: 3,
      attributes: ["table", "cstruct"],
      checkpoints: [],
      cookie: "schema",
      disc_copies: [],
      disc_only_copies: [],
      index: [],
      load_node: NODE,
      load_order: 0,
      load_reason: "initial",
      local_content: false,
      majority: false,
      master_nodes: [],
      memory: 380,
      ram_copies: [NODE],
      record_name: "schema",
      size: 3,
      snmp: [],
      storage_properties: {},
      storage_type: "ram_copies",
      subscribers: 0,
      type: "set",
      user_properties: [],
      version: [1, 0],
      where_to_read: NODE,
      where_to_write: [NODE],
      wild_pattern: { table: "_", cstruct: "_" },
    });
    assert.equal(db.tableInfo("schema", "size"), 3);
    assert.deepEqual(db.tableInfo("schema", "attributes"), ["table", "cstruct"]);
  });

  it("an unknown item: no_exists naming table and item (FACTS Q5)", async () => {
    const db = await Mneme.open();
    await db.createTable("t", { attributes: ["key", "val"] });
    for (const table of ["t", "schema"]) {
      throwsMneme(() => db.tableInfo(table, "foo" as never), NoExistsError, "no_exists", {
        table,
        value: "foo",
        message: new RegExp(`${table} has no information item 'foo'`),
      });
    }
    // inherited properties are not items
    throwsMneme(() => db.tableInfo("t", "toString" as never), NoExistsError, "no_exists", {
      table: "t",
      value: "toString",
    });
  });

  it("a missing table: size and memory are 0, any other item no_exists (FACTS Q5)", async () => {
    const db = await Mneme.open();
    assert.equal(db.tableInfo("missing", "size"), 0);
    assert.equal(db.tableInfo("missing", "memory"), 0);
    for (const item of ["type", "all", "attributes", "foo"] as const) {
      throwsMneme(() => db.tableInfo("missing", item as never), NoExistsError, "no_exists", {
        table: "missing",
        value: item,
      });
    }
  });

  it("on a closed database: node_not_running", async () => {
    const db = await Mneme.open();
    await db.createTable("t", { attributes: ["key", "val"] });
    await db.close();
    throwsMneme(() => db.tableInfo("t", "size"), NotRunningError, "node_not_running");
  });
});

describe("systemInfo", () => {
  it("every item of a fresh database, and 'all'", async () => {
    const db = await Mneme.open();
    const expected: SystemInfo = {
      access_module: "mnesia",
      auto_repair: true,
      backup_module: "mnesia_backup",
      checkpoints: [],
      core_dir: false,
      db_nodes: [NODE],
      dc_dump_limit: 4,
      debug: "none",
      directory: `${process.cwd()}/Mnesia.${NODE}`,
      dump_disc_copies_at_startup: true,
      dump_log_load_regulation: false,
      dump_log_time_threshold: 180000,
      dump_log_update_in_place: true,
      dump_log_write_threshold: 1000,
      durability: "fsync",
      event_module: "mnesia_event",
      extra_db_nodes: [],
      fallback_activated: false,
      held_locks: [],
      is_running: "yes",
      local_tables: ["schema"],
      lock_queue: [],
      log_version: "mneme-memory-1",
      log_dumps: 0,
      log_fsyncs: 0,
      log_bytes: 0,
      master_node_tables: [],
      max_transfer_size: 64000,
      max_wait_for_decision: Infinity,
      no_table_loaders: 2,
      protocol_version: "mneme-1",
      running_db_nodes: [NODE],
      schema_location: "opt_disc",
      schema_version: 0,
      send_compressed: 0,
      subscribers: 0,
      tables: ["schema"],
      transaction_commits: 0,
      transaction_failures: 0,
      transaction_log_writes: 0,
      transaction_restarts: 0,
      transactions: [],
      use_dir: false,
      version: "0.1.0",
    };
    assert.deepEqual(db.systemInfo("all"), expected);
    for (const item of Object.keys(expected) as (keyof SystemInfo)[]) {
      assert.deepEqual(db.systemInfo(item), expected[item], item);
    }
  });

  it("tables, local_tables and subscribers follow the database", async () => {
    const db = await Mneme.open();
    await db.createTable("b", { attributes: ["key", "val"] });
    await db.createTable("a", { attributes: ["key", "val"] });
    assert.deepEqual(db.systemInfo("tables"), ["schema", "b", "a"]);
    assert.deepEqual(db.systemInfo("local_tables"), ["schema", "b", "a"]);
    await db.deleteTable("b");
    assert.deepEqual(db.systemInfo("tables"), ["schema", "a"]);
    const s = db.subscribe("system");
    db.subscribe("activity");
    db.subscribe({ table: "a" });
    assert.equal(db.systemInfo("subscribers"), 1);
    s.unsubscribe();
    assert.equal(db.systemInfo("subscribers"), 0);
  });

  it("the transaction counters move", async () => {
    const db = await Mneme.open();
    const counters = () => [
      db.systemInfo("transaction_commits"),
      db.systemInfo("transaction_failures"),
      db.systemInfo("transaction_restarts"),
      db.systemInfo("transaction_log_writes"),
    ];
    await db.createTable("t", { attributes: ["k", "v"] });
    // every log entry operation is a log write, the schema change included
    assert.deepEqual(counters(), [0, 0, 0, 1]);
    db.dirtyWrite("t", { k: 1, v: 1 });
    assert.deepEqual(counters(), [0, 0, 0, 2]);
    db.transactionSync((tx) => {
      tx.write("t", { k: 2, v: 2 });
      tx.write("t", { k: 3, v: 3 });
    });
    assert.deepEqual(counters(), [1, 0, 0, 4]);
    // a transaction that only reads commits, and writes nothing to the log
    db.transactionSync((tx) => tx.read("t", 1));
    assert.deepEqual(counters(), [2, 0, 0, 4]);
    assert.throws(
      () => db.transactionSync((tx) => tx.abort("no")),
      (e: unknown) => e instanceof TransactionAborted && e.reason === "no",
    );
    assert.deepEqual(counters(), [2, 1, 0, 4]);
    await assert.rejects(
      db.transaction(async () => {
        throw new Error("boom");
      }),
      TransactionAborted,
    );
    assert.deepEqual(counters(), [2, 2, 0, 4]);
    // wait-die: the younger transaction, holding a lock and wanting the older's, restarts
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const older = db.transaction(async (tx) => {
      await tx.write("t", { k: 9, v: "old" });
      await sleep(20);
    });
    const younger = db.transaction(async (tx) => {
      await tx.write("t", { k: 8, v: "young" });
      await sleep(5);
      await tx.write("t", { k: 9, v: "young" });
    });
    await Promise.all([older, younger]);
    assert.deepEqual(counters(), [4, 2, 1, 7]);
    assert.deepEqual(db.dirtyRead("t", 9), [{ k: 9, v: "young" }]);
  });

  it("held_locks, lock_queue and transactions while transactions run", async () => {
    const db = await Mneme.open();
    await db.createTable("t", { attributes: ["k", "v"] });
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const older = db.transaction(async (tx) => {
      await sleep(10);
      await tx.write("t", { k: 5, v: 1 });
    });
    const younger = db.transaction(async (tx) => {
      await tx.write("t", { k: 5, v: 2 });
      await sleep(30);
    });
    await sleep(20);
    assert.deepEqual(db.systemInfo("held_locks"), [{ space: "t", item: 5, mode: "write", ts: 2 }]);
    assert.deepEqual(db.systemInfo("lock_queue"), [
      { space: "t", item: "t record 5", mode: "write", ts: 1 },
    ]);
    const txs = db.systemInfo("transactions");
    assert.deepEqual(
      txs.map((t) => t.ts),
      [1, 2],
    );
    let text = "";
    db.info((s) => {
      text += s;
    });
    assert.match(text, /---> Processes holding locks <---\nLock: t 5 write \(tx 2\)\n/);
    assert.match(
      text,
      /---> Processes waiting for locks <---\nWaiting: t t record 5 write \(tx 1\)\n/,
    );
    await Promise.all([older, younger]);
    assert.deepEqual(db.systemInfo("held_locks"), []);
    assert.deepEqual(db.systemInfo("lock_queue"), []);
    assert.deepEqual(db.systemInfo("transactions"), []);
    assert.deepEqual(db.dirtyRead("t", 5), [{ k: 5, v: 1 }]);
  });

  it("an unknown item: badarg (FACTS Q5)", async () => {
    const db = await Mneme.open();
    for (const item of ["foo", "toString", "node"]) {
      throwsMneme(() => db.systemInfo(item as never), BadArgError, "badarg", {
        value: item,
        message: new RegExp(`unknown system_info item '${item}'`),
      });
    }
  });

  it("works on a closed database: is_running no, no running nodes", async () => {
    const db = await Mneme.open();
    await db.close();
    assert.equal(db.systemInfo("is_running"), "no");
    assert.deepEqual(db.systemInfo("running_db_nodes"), []);
    assert.deepEqual(db.systemInfo("db_nodes"), [NODE]);
  });
});

describe("info and schema", () => {
  it("info prints (and returns) the system description mentioning the tables", async () => {
    const db = await Mneme.open();
    await db.createTable("person", { attributes: ["name", "age"] });
    db.dirtyWrite("person", { name: "ann", age: 1 });
    db.transactionSync((tx) => tx.write("person", { name: "bob", age: 2 }));
    const printed: string[] = [];
    const text = db.info((s) => printed.push(s));
    assert.deepEqual(printed, [text]);
    assert.equal(
      text,
      [
        "---> Processes holding locks <---",
        "---> Processes waiting for locks <---",
        "---> Participant transactions <---",
        "---> Coordinator transactions <---",
        "---> Uncertain transactions <---",
        "---> Active tables <---",
        // 312 words (tableInfo memory) of 8 bytes; the schema: 340 words
        "person                  : with 2 records occupying 2496 bytes of memory",
        "schema                  : with 2 records occupying 2720 bytes of memory",
        "===> System info in version 0.1.0, debug level = none <===",
        `opt_disc. Directory "${process.cwd()}/Mnesia.${NODE}" is NOT used.`,
        "use fallback at restart = false",
        `running db nodes   = ["${NODE}"]`,
        "stopped db nodes   = []",
        "master node tables = []",
        `ram_copies         = ["schema","person"]`,
        "disc_copies        = []",
        "disc_only_copies   = []",
        "1 transactions committed, 0 aborted, 0 restarted, 3 logged to disc",
        "0 held locks, 0 in queue; 0 local transactions, 0 remote",
        "",
      ].join("\n"),
    );
  });

  it("info of a disc database: the directory is used, LMDB tables in bytes on disc, the log's size", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-info-"));
    try {
      await Mneme.createSchema({ dir });
      const db = await Mneme.open({ dir });
      await db.createTable("d", { attributes: ["k", "v"], discCopies: [NODE] });
      await db.createTable("l", { attributes: ["k", "v"], discOnlyCopies: [NODE] });
      await db.createTable("r", { attributes: ["k", "v"] });
      for (const t of ["d", "l", "r"]) db.dirtyWrite(t, { k: 1, v: 1 });
      await db.dumpLog();
      const wal = path.join(dir, "wal");
      const segments = fs.readdirSync(wal);
      let walBytes = 0;
      for (const f of segments) walBytes += fs.statSync(path.join(wal, f)).size;
      assert.ok(walBytes > 0);
      assert.equal(
        db.info(() => {}),
        [
          "---> Processes holding locks <---",
          "---> Processes waiting for locks <---",
          "---> Participant transactions <---",
          "---> Coordinator transactions <---",
          "---> Uncertain transactions <---",
          "---> Active tables <---",
          // 300 words + 6 per record, 8 bytes a word; LMDB: one leaf page
          "d                       : with 1 records occupying 2448 bytes of memory",
          "l                       : with 1 records occupying 4096 bytes on disc",
          "r                       : with 1 records occupying 2448 bytes of memory",
          "schema                  : with 4 records occupying 3360 bytes of memory",
          "===> System info in version 0.1.0, debug level = none <===",
          `opt_disc. Directory "${dir}" is used.`,
          "use fallback at restart = false",
          `running db nodes   = ["${NODE}"]`,
          "stopped db nodes   = []",
          "master node tables = []",
          `ram_copies         = ["r"]`,
          `disc_copies        = ["schema","d"]`,
          `disc_only_copies   = ["l"]`,
          "0 transactions committed, 0 aborted, 0 restarted, 6 logged to disc",
          "0 held locks, 0 in queue; 0 local transactions, 0 remote",
          `write-ahead log    = ${walBytes} bytes in ${segments.length} segment files; 1 dumps since start`,
          "",
        ].join("\n"),
      );
      // As in Mnesia, the schema of a disc database is disc_copies.
      assert.equal(db.tableInfo("schema", "storage_type"), "disc_copies");
      await db.close();
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("schema prints the definitions of all tables, schema first, or of one", async () => {
    const db = await Mneme.open();
    await db.createTable("person", { attributes: ["name", "age"], index: ["age"] });
    await db.createTable("other", { attributes: ["key", "val"] });
    const printed: string[] = [];
    const all = db.schema(undefined, (s) => printed.push(s));
    assert.deepEqual(printed, [all]);
    const headers = all.split("\n").filter((l) => l.startsWith("--"));
    assert.deepEqual(headers, [
      "-- Properties for schema table ---",
      "-- Properties for person table ---",
      "-- Properties for other table ---",
    ]);
    const one = db.schema("person", () => {});
    assert.ok(all.includes(one));
    const lines = one.split("\n");
    assert.equal(lines[0], "-- Properties for person table ---");
    assert.ok(lines.includes(`attributes               -> ["name","age"]`));
    assert.ok(lines.includes("index                    -> [3]"));
    assert.ok(lines.includes(`type                     -> "set"`));
    // a header, the 30 items of tableInfo, and the final newline
    assert.equal(lines.length, 1 + 30 + 1);
    assert.equal(
      db.schema("schema", () => {}).split("\n")[0],
      "-- Properties for schema table ---",
    );
  });

  it("schema of a missing table: no_exists", async () => {
    const db = await Mneme.open();
    throwsMneme(() => db.schema("missing", () => {}), NoExistsError, "no_exists", {
      table: "missing",
    });
  });

  it("the default print function writes to stdout", async () => {
    const db = await Mneme.open();
    const write = process.stdout.write;
    let out = "";
    process.stdout.write = ((s: string) => {
      out += s;
      return true;
    }) as typeof process.stdout.write;
    try {
      db.info();
      db.schema();
    } finally {
      process.stdout.write = write;
    }
    assert.match(out, /---> Active tables <---/);
    assert.match(out, /-- Properties for schema table ---/);
  });
});

describe("operations on a closed database", () => {
  it("dirty operations and schema changes: node_not_running", async () => {
    const db = await Mneme.open();
    await db.createTable("t", { attributes: ["k", "v"] });
    db.dirtyWrite("t", { k: 1, v: 1 });
    await db.close();
    await db.close(); // closing twice is fine
    throwsMneme(() => db.dirtyRead("t", 1), NotRunningError, "node_not_running", { table: "t" });
    throwsMneme(() => db.dirtyWrite("t", { k: 2, v: 2 }), NotRunningError, "node_not_running", {
      table: "t",
    });
    throwsMneme(() => db.dirtyAllKeys("t"), NotRunningError, "node_not_running", { table: "t" });
    throwsMneme(() => db.dirtyRead("missing", 1), NotRunningError, "node_not_running", {
      table: "missing",
    });
    await rejectsMneme(db.clearTable("t"), NotRunningError, "node_not_running");
    await assert.rejects(
      db.transaction(async () => 1),
      (e: unknown) =>
        e instanceof TransactionAborted &&
        e.reason === "node_not_running" &&
        e.cause instanceof NotRunningError,
    );
  });
});
