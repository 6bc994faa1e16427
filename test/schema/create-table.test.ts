// createTable (mnesia:create_table/2): every option of TableDef, every invalid value with the abort
// reason real Mnesia gives (FACTS Q5), and the typing of the returned handle.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AlreadyExistsError,
  BadArgError,
  BadTypeError,
  CombineError,
  Mneme,
  MnemeError,
  NestedTransactionError,
  NotRunningError,
  ReadOnlyError,
  type Table,
  type TableDef,
} from "../../src/index.js";
import { rejectsMneme, throwsMneme } from "../db/helpers.js";

interface Person {
  name: string;
  age: number;
  sex: "m" | "f";
}

const PERSON: TableDef<Person, "name"> = { attributes: ["name", "age", "sex"] };

describe("createTable: the default definition", () => {
  it("creates {key, val} set table with a RAM copy on this node, as Mnesia's defaults", async () => {
    const db = await Mneme.open();
    const t = await db.createTable("t", {} as TableDef<object>);
    assert.deepEqual(t, { name: "t" });
    assert.ok(Object.isFrozen(t));
    const info = db.tableInfo("t", "all");
    assert.match(info.cookie, /^[0-9a-f-]{36}$/);
    assert.deepEqual(
      { ...info, cookie: "<cookie>" },
      {
        access_mode: "read_write",
        active_replicas: ["nonode@nohost"],
        all_nodes: ["nonode@nohost"],
        arity: 3,
        attributes: ["key", "val"],
        checkpoints: [],
        cookie: "<cookie>",
        disc_copies: [],
        disc_only_copies: [],
        index: [],
        load_node: "nonode@nohost",
        load_order: 0,
        load_reason: "create_table",
        local_content: false,
        majority: false,
        master_nodes: [],
        memory: 300,
        ram_copies: ["nonode@nohost"],
        record_name: "t",
        size: 0,
        snmp: [],
        storage_properties: {},
        storage_type: "ram_copies",
        subscribers: 0,
        type: "set",
        user_properties: [],
        version: [1, 0],
        where_to_read: "nonode@nohost",
        where_to_write: ["nonode@nohost"],
        wild_pattern: { key: "_", val: "_" },
      },
    );
    assert.deepEqual(db.systemInfo("tables"), ["schema", "t"]);
    db.dirtyWrite("t", { key: 1, val: "one" });
    assert.deepEqual(db.dirtyRead("t", 1), [{ key: 1, val: "one" }]);
  });

  it("gives every table its own cookie", async () => {
    const db = await Mneme.open();
    await db.createTable("a", PERSON);
    await db.createTable("b", PERSON);
    assert.notEqual(db.tableInfo("a", "cookie"), db.tableInfo("b", "cookie"));
  });

  it("uses the node given to open", async () => {
    const db = await Mneme.open({ node: "n1@host" });
    await db.createTable("t", PERSON);
    assert.deepEqual(db.tableInfo("t", "ram_copies"), ["n1@host"]);
    assert.equal(db.tableInfo("t", "where_to_read"), "n1@host");
  });
});

describe("createTable: options", () => {
  it("attributes: the first is the key, the arity counts the record name", async () => {
    const db = await Mneme.open();
    await db.createTable("person", PERSON);
    assert.deepEqual(db.tableInfo("person", "attributes"), ["name", "age", "sex"]);
    assert.equal(db.tableInfo("person", "arity"), 4);
    assert.deepEqual(db.tableInfo("person", "wild_pattern"), { name: "_", age: "_", sex: "_" });
    db.dirtyWrite("person", { name: "ann", age: 30, sex: "f" });
    assert.deepEqual(db.dirtyAllKeys("person"), ["ann"]);
  });

  it("type: set, ordered_set and bag", async () => {
    const db = await Mneme.open();
    for (const type of ["set", "ordered_set", "bag"] as const) {
      await db.createTable(type, { attributes: ["k", "v"], type });
      assert.equal(db.tableInfo(type, "type"), type);
      for (const k of [3, 1, 2]) db.dirtyWrite(type, { k, v: "a" });
      db.dirtyWrite(type, { k: 1, v: "b" });
    }
    assert.deepEqual(db.dirtyRead("set", 1), [{ k: 1, v: "b" }]);
    assert.deepEqual(db.dirtyAllKeys("ordered_set"), [1, 2, 3]);
    assert.deepEqual(db.dirtyRead("bag", 1), [
      { k: 1, v: "a" },
      { k: 1, v: "b" },
    ]);
  });

  it("ramCopies: this node, or an empty list (Mnesia then places the copy here)", async () => {
    const db = await Mneme.open();
    await db.createTable("r1", { ...PERSON, ramCopies: ["nonode@nohost"] });
    await db.createTable("r0", { ...PERSON, ramCopies: [] });
    await db.createTable("r00", { ...PERSON, ramCopies: [], discCopies: [], discOnlyCopies: [] });
    for (const t of ["r1", "r0", "r00"]) {
      assert.deepEqual(db.tableInfo(t, "ram_copies"), ["nonode@nohost"]);
      assert.deepEqual(db.tableInfo(t, "disc_copies"), []);
      assert.deepEqual(db.tableInfo(t, "disc_only_copies"), []);
      assert.equal(db.tableInfo(t, "storage_type"), "ram_copies");
    }
  });

  it("discCopies and discOnlyCopies on a RAM schema: bad_type saying a disc schema is needed", async () => {
    const db = await Mneme.open();
    for (const [option, storage] of [
      ["discCopies", "disc_copies"],
      ["discOnlyCopies", "disc_only_copies"],
    ] as const) {
      await rejectsMneme(
        db.createTable("d", { ...PERSON, [option]: ["nonode@nohost"] }),
        BadTypeError,
        "bad_type",
        {
          table: "d",
          value: storage,
          message: new RegExp(`d: ${storage} needs a disc schema`),
        },
      );
    }
    // The RAM copy decides where a copy on this node lives, so a disc copy listed elsewhere is a combine error.
    await rejectsMneme(
      db.createTable("d", {
        ...PERSON,
        ramCopies: ["nonode@nohost"],
        discCopies: ["nonode@nohost"],
      }),
      CombineError,
      "combine_error",
      { table: "d", value: ["nonode@nohost", "nonode@nohost"] },
    );
    assert.deepEqual(db.systemInfo("tables"), ["schema"]);
  });

  it("index: by attribute name and by Mnesia tuple position (key = 2)", async () => {
    const db = await Mneme.open();
    await db.createTable("byName", { ...PERSON, index: ["sex"] });
    await db.createTable("byPos", { ...PERSON, index: [4] });
    await db.createTable("both", { ...PERSON, index: [3, "sex"] });
    await db.createTable("dup", { ...PERSON, index: ["age", 3, "age"] });
    assert.deepEqual(db.tableInfo("byName", "index"), [4]);
    assert.deepEqual(db.tableInfo("byPos", "index"), [4]);
    assert.deepEqual(db.tableInfo("both", "index"), [3, 4]);
    assert.deepEqual(db.tableInfo("dup", "index"), [3]);
    db.dirtyWrite("byPos", { name: "ann", age: 30, sex: "f" });
    db.dirtyWrite("byPos", { name: "bob", age: 30, sex: "m" });
    assert.deepEqual(db.dirtyIndexRead("byPos", "f", "sex"), [{ name: "ann", age: 30, sex: "f" }]);
    assert.deepEqual(db.dirtyIndexRead("byPos", "m", 4), [{ name: "bob", age: 30, sex: "m" }]);
  });

  it("index on bag and ordered_set tables is accepted (FACTS Q5)", async () => {
    const db = await Mneme.open();
    await db.createTable("ib", { attributes: ["k", "v"], type: "bag", index: ["v"] });
    await db.createTable("io", { attributes: ["k", "v"], type: "ordered_set", index: ["v"] });
    db.dirtyWrite("ib", { k: 1, v: "x" });
    db.dirtyWrite("ib", { k: 1, v: "y" });
    db.dirtyWrite("io", { k: 2, v: "x" });
    db.dirtyWrite("io", { k: 1, v: "x" });
    assert.deepEqual(db.dirtyIndexRead("ib", "y", "v"), [{ k: 1, v: "y" }]);
    assert.deepEqual(db.dirtyIndexRead("io", "x", "v"), [
      { k: 1, v: "x" },
      { k: 2, v: "x" },
    ]);
  });

  it("recordName: reported by tableInfo, records stay plain objects of the attributes", async () => {
    const db = await Mneme.open();
    await db.createTable("p", { ...PERSON, recordName: "person" });
    assert.equal(db.tableInfo("p", "record_name"), "person");
    db.dirtyWrite("p", { name: "ann", age: 1, sex: "f" });
    assert.deepEqual(db.dirtyRead("p", "ann"), [{ name: "ann", age: 1, sex: "f" }]);
  });

  it("accessMode: read_only from the start refuses writes with no_exists, reads work", async () => {
    const db = await Mneme.open();
    await db.createTable("ro", { ...PERSON, accessMode: "read_only" });
    await db.createTable("rw", { ...PERSON, accessMode: "read_write" });
    assert.equal(db.tableInfo("ro", "access_mode"), "read_only");
    assert.equal(db.tableInfo("rw", "access_mode"), "read_write");
    throwsMneme(
      () => db.dirtyWrite("ro", { name: "a", age: 1, sex: "f" }),
      ReadOnlyError,
      "no_exists",
      {
        table: "ro",
        key: "a",
      },
    );
    assert.deepEqual(db.dirtyRead("ro", "a"), []);
  });

  it("loadOrder, majority, localContent: stored and reported", async () => {
    const db = await Mneme.open();
    await db.createTable("t", { ...PERSON, loadOrder: -3, majority: true, localContent: true });
    assert.equal(db.tableInfo("t", "load_order"), -3);
    assert.equal(db.tableInfo("t", "majority"), true);
    assert.equal(db.tableInfo("t", "local_content"), true);
  });

  it("userProperties: tuples [key, ...values], stored and reported", async () => {
    const db = await Mneme.open();
    await db.createTable("t", {
      ...PERSON,
      userProperties: [["owner", "ops"], ["limits", 1, [2, 3]], [["compound", 1]]],
    });
    assert.deepEqual(db.tableInfo("t", "user_properties"), [
      ["owner", "ops"],
      ["limits", 1, [2, 3]],
      [["compound", 1]],
    ]);
  });

  it("storageProperties: forwarded to the back end, stored and reported", async () => {
    const db = await Mneme.open();
    await db.createTable("t", {
      ...PERSON,
      storageProperties: { ets: ["compressed"], dets: [["auto_save", 5000]], lmdb: { mapSize: 1 } },
    });
    assert.deepEqual(db.tableInfo("t", "storage_properties"), {
      ets: ["compressed"],
      dets: [["auto_save", 5000]],
      lmdb: { mapSize: 1 },
    });
  });

  it("snmp: the table is SNMP ordered at once, also a bag (FACTS Q5)", async () => {
    const db = await Mneme.open();
    await db.createTable("s", { attributes: ["k", "v"], snmp: { key: "integer" } });
    await db.createTable("sb", { attributes: ["k", "v"], type: "bag", snmp: { key: "integer" } });
    await db.createTable("st", { attributes: ["k", "v"], snmp: { key: ["integer", "string"] } });
    assert.deepEqual(db.tableInfo("s", "snmp"), { key: "integer" });
    assert.deepEqual(db.tableInfo("sb", "snmp"), { key: "integer" });
    assert.deepEqual(db.tableInfo("st", "snmp"), { key: ["integer", "string"] });
    assert.equal(db.snmpGetNextIndex("s", []), undefined);
    db.dirtyWrite("s", { k: 2, v: "b" });
    assert.deepEqual(db.snmpGetNextIndex("s", []), [2]);
  });
});

describe("createTable: invalid definitions (Mnesia's abort reasons)", () => {
  const cases: [string, unknown, new (...a: never[]) => MnemeError, string, unknown][] = [
    // [what, definition, error class, reason, value detail]
    ["one attribute", { attributes: ["a"] }, BadTypeError, "bad_type", ["a"]],
    ["no attributes", { attributes: [] }, BadTypeError, "bad_type", []],
    ["attributes not a list", { attributes: "bad" }, BadTypeError, "bad_type", "bad"],
    ["duplicate attribute", { attributes: ["a", "b", "a"] }, CombineError, "combine_error", "a"],
    ["non-string attribute", { attributes: ["a", 3] }, BadTypeError, "bad_type", 3],
    ["empty attribute name", { attributes: ["a", ""] }, BadTypeError, "bad_type", ""],
    ["bad type", { type: "foo" }, BadTypeError, "bad_type", "foo"],
    [
      "index on the key by name",
      { attributes: ["k", "v"], index: ["k"] },
      BadTypeError,
      "bad_type",
      "k",
    ],
    [
      "index on the key by position",
      { attributes: ["k", "v"], index: [2] },
      BadTypeError,
      "bad_type",
      2,
    ],
    ["index position 1", { attributes: ["k", "v"], index: [1] }, BadTypeError, "bad_type", 1],
    [
      "index beyond the record",
      { attributes: ["k", "v"], index: [4] },
      BadTypeError,
      "bad_type",
      4,
    ],
    [
      "index unknown attribute",
      { attributes: ["k", "v"], index: ["zzz"] },
      BadTypeError,
      "bad_type",
      "zzz",
    ],
    ["index not a list", { attributes: ["k", "v"], index: "v" }, BadTypeError, "bad_type", "v"],
    [
      "ram copy listed twice",
      { ramCopies: ["nonode@nohost", "nonode@nohost"] },
      CombineError,
      "combine_error",
      ["nonode@nohost", "nonode@nohost"],
    ],
    ["ramCopies not a list", { ramCopies: "bad" }, BadTypeError, "bad_type", "bad"],
    ["ramCopies with a non-string", { ramCopies: [1] }, BadTypeError, "bad_type", [1]],
    ["recordName not a string", { recordName: 3 }, BadTypeError, "bad_type", 3],
    ["recordName empty", { recordName: "" }, BadTypeError, "bad_type", ""],
    ["bad accessMode", { accessMode: "bad" }, BadTypeError, "bad_type", "bad"],
    ["bad loadOrder", { loadOrder: "bad" }, BadTypeError, "bad_type", "bad"],
    ["fractional loadOrder", { loadOrder: 1.5 }, BadTypeError, "bad_type", 1.5],
    ["bad majority", { majority: "bad" }, BadTypeError, "bad_type", "bad"],
    ["bad localContent", { localContent: 1 }, BadTypeError, "bad_type", 1],
    ["userProperties not a list", { userProperties: "bad" }, BadTypeError, "bad_type", "bad"],
    ["userProperties of a non-tuple", { userProperties: ["a"] }, BadTypeError, "bad_type", "a"],
    ["userProperties of an empty tuple", { userProperties: [[]] }, BadTypeError, "bad_type", []],
    ["storageProperties not an object", { storageProperties: [] }, BadTypeError, "bad_type", []],
    [
      "storageProperties unknown back end",
      { storageProperties: { foo: [] } },
      BadTypeError,
      "bad_type",
      "foo",
    ],
    ["unknown option", { foo: 1 }, BadArgError, "badarg", "foo"],
    ["snmp not a struct", { snmp: "bad" }, BadArgError, "badarg", "bad"],
    ["snmp bad key type", { snmp: { key: "foo" } }, BadArgError, "badarg", { key: "foo" }],
    ["snmp empty key tuple", { snmp: { key: [] } }, BadArgError, "badarg", { key: [] }],
    [
      "snmp bad type in the tuple",
      { snmp: { key: ["integer", "foo"] } },
      BadArgError,
      "badarg",
      { key: ["integer", "foo"] },
    ],
  ];
  for (const [what, def, cls, reason, value] of cases) {
    it(`${what}: ${reason}, and no table is created`, async () => {
      const db = await Mneme.open();
      await rejectsMneme(db.createTable("t", def as TableDef<object>), cls, reason as never, {
        table: "t",
        value,
      });
      assert.deepEqual(db.systemInfo("tables"), ["schema"]);
    });
  }

  it("a definition that is not an object: badarg", async () => {
    const db = await Mneme.open();
    for (const def of ["bad", null, 3]) {
      await rejectsMneme(db.createTable("t", def as never), BadArgError, "badarg", { table: "t" });
    }
  });

  it("a node that is not this database's: not_a_db_node", async () => {
    const db = await Mneme.open();
    await rejectsMneme(
      db.createTable("t", { ...PERSON, ramCopies: ["nonode@nowhere"] }),
      MnemeError,
      "not_a_db_node",
      { table: "t", value: "nonode@nowhere" },
    );
  });

  it("a table name that is not a non-empty string: bad_type (Mnesia: {bad_type, Name})", async () => {
    const db = await Mneme.open();
    for (const name of [3, "", null, undefined]) {
      await rejectsMneme(db.createTable(name as never, PERSON), BadTypeError, "bad_type", {
        value: name,
      });
    }
  });

  it("an existing table: already_exists, and the table is unchanged", async () => {
    const db = await Mneme.open();
    await db.createTable("person", PERSON);
    db.dirtyWrite("person", { name: "ann", age: 1, sex: "f" });
    await rejectsMneme(
      db.createTable("person", { attributes: ["a", "b"], type: "bag" }),
      AlreadyExistsError,
      "already_exists",
      { table: "person", message: /table person already exists/ },
    );
    assert.deepEqual(db.tableInfo("person", "attributes"), ["name", "age", "sex"]);
    assert.deepEqual(db.dirtyRead("person", "ann"), [{ name: "ann", age: 1, sex: "f" }]);
  });

  it("the schema table always exists: already_exists", async () => {
    const db = await Mneme.open();
    await rejectsMneme(db.createTable("schema", PERSON), AlreadyExistsError, "already_exists", {
      table: "schema",
    });
  });

  it("inside a synchronous transaction: nested_transaction", async () => {
    const db = await Mneme.open();
    let p: Promise<unknown> | undefined;
    db.transactionSync(() => {
      p = db.createTable("t", PERSON);
    });
    await rejectsMneme(p!, NestedTransactionError, "nested_transaction");
    assert.deepEqual(db.systemInfo("tables"), ["schema"]);
  });

  it("on a closed database: node_not_running", async () => {
    const db = await Mneme.open();
    await db.close();
    await rejectsMneme(db.createTable("t", PERSON), NotRunningError, "node_not_running");
  });
});

describe("createTable: the typed handle", () => {
  it("types records and keys", async () => {
    const db = await Mneme.open();
    const person: Table<Person, "name"> = await db.createTable<Person, "name">("person", PERSON);
    db.dirtyWrite(person, { name: "ann", age: 30, sex: "f" });
    const [ann] = db.dirtyRead(person, "ann");
    const age: number | undefined = ann?.age;
    assert.equal(age, 30);
    // @ts-expect-error age must be a number (at run time any value is storable)
    db.dirtyWrite(person, { name: "bob", age: "old", sex: "m" });
    throwsMneme(
      // @ts-expect-error an attribute the record type does not have (and bad_type at run time)
      () => db.dirtyWrite(person, { name: "cid", age: 1, sex: "f", height: 2 }),
      BadTypeError,
      "bad_type",
      { table: "person", key: "cid", message: /unknown attribute 'height'/ },
    );
    // @ts-expect-error the key attribute is a string
    db.dirtyRead(person, 1);
    // @ts-expect-error an attribute the record type does not have
    await db.createTable<Person>("other", { attributes: ["name", "age", "height"] });
    assert.deepEqual(db.dirtyRead(person, "bob"), [{ name: "bob", age: "old", sex: "m" }]);
    assert.deepEqual(db.dirtyRead(person, "cid"), []);
  });
});
