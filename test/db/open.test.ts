// Mneme.open: every option of OpenOptions is validated (bad values: bad_type) and reported by
// systemInfo under Mnesia's name.
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import {
  type AccessModule,
  BadArgError,
  BadTypeError,
  Mneme,
  type OpenOptions,
  type SystemInfoItem,
} from "../../src/index.js";
import { rejectsMneme, warningCollector } from "./helpers.js";

describe("Mneme.open: defaults", () => {
  it("opens with Mnesia's defaults, with or without an options object", async () => {
    for (const db of [await Mneme.open(), await Mneme.open({})]) {
      assert.equal(db.node, "nonode@nohost");
      assert.deepEqual(db.config, {
        node: "nonode@nohost",
        dir: path.resolve("Mnesia.nonode@nohost"),
        accessModule: undefined,
        autoRepair: true,
        debug: "none",
        coreDir: false,
        dcDumpLimit: 4,
        dumpDiscCopiesAtStartup: true,
        dumpLogLoadRegulation: false,
        dumpLogUpdateInPlace: true,
        dumpLogWriteThreshold: 1000,
        durability: "fsync",
        dumpLogTimeThreshold: 180000,
        extraDbNodes: [],
        maxWaitForDecision: Infinity,
        noTableLoaders: 2,
        sendCompressed: 0,
        maxTransferSize: 64000,
        schemaLocation: "opt_disc",
        create: false,
        logger: undefined,
        fileMode: 0o600,
        dirMode: 0o700,
        slowLockWaitMs: 1000,
        control: true,
      });
      assert.equal(db.systemInfo("is_running"), "yes");
    }
  });

  it("each open is an independent database", async () => {
    const a = await Mneme.open();
    const b = await Mneme.open();
    await a.createTable("t", { attributes: ["k", "v"] });
    assert.deepEqual(b.systemInfo("tables"), ["schema"]);
  });
});

describe("Mneme.open: every option, reported by systemInfo", () => {
  const mod: AccessModule = { read: (_id, opaque, table, key) => opaque.read(table, key) };
  const cases: [keyof OpenOptions, unknown, SystemInfoItem, unknown][] = [
    // [option, value, systemInfo item, reported value]
    ["node", "a@b", "db_nodes", ["a@b"]],
    ["dir", "/tmp/mneme-dir", "directory", "/tmp/mneme-dir"],
    ["accessModule", mod, "access_module", "custom"],
    ["autoRepair", false, "auto_repair", false],
    ["debug", "verbose", "debug", "verbose"],
    ["debug", "trace", "debug", "trace"],
    ["debug", true, "debug", "debug"],
    ["debug", false, "debug", "none"],
    ["coreDir", "/tmp/core", "core_dir", "/tmp/core"],
    ["coreDir", false, "core_dir", false],
    ["dcDumpLimit", 7, "dc_dump_limit", 7],
    ["dumpDiscCopiesAtStartup", false, "dump_disc_copies_at_startup", false],
    ["dumpLogLoadRegulation", true, "dump_log_load_regulation", true],
    ["dumpLogUpdateInPlace", false, "dump_log_update_in_place", false],
    ["dumpLogWriteThreshold", 10, "dump_log_write_threshold", 10],
    ["dumpLogTimeThreshold", 20, "dump_log_time_threshold", 20],
    ["extraDbNodes", ["c@d", "e@f"], "extra_db_nodes", ["c@d", "e@f"]],
    ["maxWaitForDecision", 100, "max_wait_for_decision", 100],
    ["maxWaitForDecision", 0, "max_wait_for_decision", 0],
    ["maxWaitForDecision", Infinity, "max_wait_for_decision", Infinity],
    ["noTableLoaders", 3, "no_table_loaders", 3],
    ["sendCompressed", 9, "send_compressed", 9],
    ["sendCompressed", 0, "send_compressed", 0],
    ["maxTransferSize", 5, "max_transfer_size", 5],
    ["schemaLocation", "ram", "schema_location", "ram"],
    ["durability", "os", "durability", "os"],
    ["durability", "none", "durability", "none"],
  ];
  for (const [option, value, item, reported] of cases) {
    it(`${option} = ${String(value)}: systemInfo('${item}')`, async () => {
      // A dir without a schema is warned about (opt_disc runs in RAM): collected, not printed.
      const { logger, warnings } = warningCollector();
      const db = await Mneme.open({ [option]: value, logger });
      assert.equal(warnings.length, option === "dir" ? 1 : 0, warnings.join("\n"));
      assert.deepEqual(db.systemInfo(item), reported);
      assert.deepEqual(
        (db.systemInfo("all") as unknown as Record<string, unknown>)[item],
        reported,
      );
    });
  }

  it("node: also this node's name everywhere", async () => {
    const db = await Mneme.open({ node: "a@b" });
    assert.equal(db.node, "a@b");
    assert.deepEqual(db.systemInfo("running_db_nodes"), ["a@b"]);
    assert.equal(db.systemInfo("directory"), path.resolve("Mnesia.a@b"));
  });

  it("accessModule: the default access module of activity()", async () => {
    const calls: string[] = [];
    const db = await Mneme.open({
      accessModule: {
        read(_id, opaque, table, key) {
          calls.push(`read ${table} ${String(key)}`);
          return opaque.read(table, key);
        },
      },
    });
    await db.createTable("t", { attributes: ["k", "v"] });
    db.dirtyWrite("t", { k: 1, v: 1 });
    assert.deepEqual(
      db.activity("async_dirty", (ctx) => ctx.read("t", 1)),
      [{ k: 1, v: 1 }],
    );
    assert.deepEqual(calls, ["read t 1"]);
  });

  it("debug levels are reported in info()", async () => {
    const db = await Mneme.open({ debug: "trace" });
    assert.match(
      db.info(() => {}),
      /debug level = trace/,
    );
  });
});

describe("Mneme.open: bad values", () => {
  const bad: [keyof OpenOptions, unknown[]][] = [
    ["node", [3, "", null, ["a@b"]]],
    ["dir", [3, null, ""]],
    ["accessModule", [3, "x", null, { read: 1 }, { write: "f" }]],
    ["autoRepair", ["yes", 1, null]],
    ["debug", ["loud", 3, null]],
    ["coreDir", [3, true, null, ""]],
    ["dcDumpLimit", [0, 1.5, "x", null, Infinity]],
    ["dumpDiscCopiesAtStartup", ["x", 0, null]],
    ["dumpLogLoadRegulation", ["x", 1]],
    ["dumpLogUpdateInPlace", [1, "true"]],
    ["dumpLogWriteThreshold", [0, -1, "x", 2.5]],
    ["dumpLogTimeThreshold", [0, 2.5, Number.NaN]],
    ["extraDbNodes", ["x", [1], null, {}]],
    ["maxWaitForDecision", [-1, "x", 1.5, -Infinity]],
    ["noTableLoaders", [0, "x", Infinity]],
    ["sendCompressed", [-1, 10, "x"]],
    ["maxTransferSize", [0, "x"]],
    ["schemaLocation", ["x", 3, null]],
  ];
  for (const [option, values] of bad) {
    for (const value of values) {
      it(`${option} = ${typeof value === "object" ? JSON.stringify(value) : String(value)}: bad_type`, async () => {
        await rejectsMneme(
          Mneme.open({ [option]: value } as OpenOptions),
          BadTypeError,
          "bad_type",
          {
            message: new RegExp(`option ${option}`),
          },
        );
      });
    }
  }

  it("a bad value reports the value", async () => {
    await rejectsMneme(Mneme.open({ dcDumpLimit: 0 }), BadTypeError, "bad_type", {
      value: 0,
      message: /option dcDumpLimit must be an integer from 1 to 9007199254740991, got 0/,
    });
  });

  it("an unknown option: badarg", async () => {
    await rejectsMneme(Mneme.open({ autorepair: false } as never), BadArgError, "badarg", {
      value: "autorepair",
      message: /unknown option 'autorepair' of open/,
    });
  });

  it("options that are not an object: badarg", async () => {
    for (const o of [3, "x", null, []]) {
      await rejectsMneme(Mneme.open(o as never), BadArgError, "badarg", { value: o });
    }
  });
});
