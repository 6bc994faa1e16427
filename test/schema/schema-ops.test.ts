// The schema operations after createTable: deleteTable, clearTable, addTableIndex/delTableIndex,
// transformTable, changeTableAccessMode/LoadOrder/Majority and waitForTables, with the abort
// reasons of real Mnesia (FACTS Q5, Q13).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  AlreadyExistsError,
  BadArgError,
  BadTypeError,
  CombineError,
  Mneme,
  NestedTransactionError,
  NoExistsError,
  NotRunningError,
  ReadOnlyError,
  type SimpleTableEvent,
  type TableDef,
  TimeoutError,
  TransactionAborted,
} from "../../src/index.js";
import { flush, rejectsMneme, throwsMneme } from "../db/helpers.js";

interface Person {
  name: string;
  age: number;
  sex: string;
}
const PERSON: TableDef<Person, "name"> = { attributes: ["name", "age", "sex"] };

/** A person table holding ann and bob; made read_only after the writes if the definition says so. */
async function people(def: Partial<TableDef<Person, "name">> = {}) {
  const db = await Mneme.open();
  const person = await db.createTable<Person, "name">("person", {
    ...PERSON,
    ...def,
    accessMode: "read_write",
  });
  db.dirtyWrite(person, { name: "ann", age: 30, sex: "f" });
  db.dirtyWrite(person, { name: "bob", age: 40, sex: "m" });
  if (def.accessMode === "read_only") await db.changeTableAccessMode(person, "read_only");
  return { db, person };
}

const byName = (rs: readonly Person[]) => [...rs].sort((a, b) => (a.name < b.name ? -1 : 1));

describe("deleteTable", () => {
  it("removes the table, its records and its name; the name can be reused", async () => {
    const { db } = await people({ index: ["age"] });
    await db.deleteTable("person");
    assert.deepEqual(db.systemInfo("tables"), ["schema"]);
    throwsMneme(() => db.dirtyRead("person", "ann"), NoExistsError, "no_exists", {
      table: "person",
    });
    assert.equal(db.tableInfo("person", "size"), 0);
    await db.createTable("person", { attributes: ["id", "x"] });
    assert.deepEqual(db.dirtyAllKeys("person"), []);
    assert.deepEqual(db.tableInfo("person", "attributes"), ["id", "x"]);
  });

  it("accepts a table handle", async () => {
    const { db, person } = await people();
    await db.deleteTable(person);
    assert.deepEqual(db.systemInfo("tables"), ["schema"]);
  });

  it("a missing table: no_exists", async () => {
    const db = await Mneme.open();
    await rejectsMneme(db.deleteTable("missing"), NoExistsError, "no_exists", { table: "missing" });
  });

  it("a read_only table: no_exists, as in Mnesia (the table stays)", async () => {
    const { db } = await people({ accessMode: "read_only" });
    await rejectsMneme(db.deleteTable("person"), ReadOnlyError, "no_exists", { table: "person" });
    assert.equal(db.tableInfo("person", "size"), 2);
  });

  it("inside a synchronous transaction: nested_transaction", async () => {
    const { db } = await people();
    let p: Promise<void> | undefined;
    db.transactionSync(() => {
      p = db.deleteTable("person");
    });
    await rejectsMneme(p!, NestedTransactionError, "nested_transaction");
    assert.equal(db.tableInfo("person", "size"), 2);
  });

  it("on a closed database: node_not_running", async () => {
    const { db } = await people();
    await db.close();
    await rejectsMneme(db.deleteTable("person"), NotRunningError, "node_not_running");
  });
});

describe("admin error reasons as Mnesia gives them (issue #8)", () => {
  it("deleteTable('schema'): bad_type (Mnesia: {aborted, {bad_type, schema}})", async () => {
    const { db } = await people();
    await rejectsMneme(db.deleteTable("schema"), BadTypeError, "bad_type", {
      table: "schema",
      message: /the schema cannot be deleted as a table/,
    });
    assert.deepEqual(db.systemInfo("tables"), ["schema", "person"]);
  });

  it("changeTableCopyType to an unknown type: bad_type (Mnesia: {bad_type, {storage_type, T}}), before the node check; a missing table is no_exists first", async () => {
    const { db } = await people();
    for (const to of ["bogus", 42, undefined]) {
      for (const node of [db.node, "a@b"]) {
        await rejectsMneme(
          db.changeTableCopyType("person", node, to as never),
          BadTypeError,
          "bad_type",
          {
            table: "person",
            value: to,
            message: /is not a storage type \(use ram_copies, disc_copies or disc_only_copies\)/,
          },
        );
      }
    }
    await rejectsMneme(
      db.changeTableCopyType("schema", db.node, "bogus" as never),
      BadTypeError,
      "bad_type",
      {
        table: "schema",
        value: "bogus",
      },
    );
    await rejectsMneme(
      db.changeTableCopyType("nosuch", db.node, "bogus" as never),
      NoExistsError,
      "no_exists",
      {
        table: "nosuch",
      },
    );
    assert.equal(db.tableInfo("person", "storage_type"), "ram_copies");
  });
});

describe("clearTable", () => {
  it("removes every record and index entry; the definition stays; clearing an empty table is fine", async () => {
    const { db } = await people({ index: ["sex"] });
    await db.clearTable("person");
    assert.deepEqual(db.dirtyAllKeys("person"), []);
    assert.deepEqual(db.dirtyIndexRead("person", "f", "sex"), []);
    assert.equal(db.tableInfo("person", "size"), 0);
    assert.deepEqual(db.tableInfo("person", "index"), [4]);
    await db.clearTable("person");
    db.dirtyWrite("person", { name: "cid", age: 1, sex: "f" });
    assert.deepEqual(db.dirtyIndexRead("person", "f", "sex"), [{ name: "cid", age: 1, sex: "f" }]);
  });

  it("events: Mneme sends one delete per key (Mnesia sends schema events instead)", async () => {
    const { db } = await people();
    const simple: unknown[] = [];
    const detailed: unknown[] = [];
    db.subscribe({ table: "person" }, (e) => simple.push(e));
    db.subscribe({ table: "person", mode: "detailed" }, (e) => detailed.push(e));
    await db.clearTable("person");
    await flush();
    assert.equal(simple.length, 2);
    const id = (simple[0] as SimpleTableEvent).activityId;
    assert.equal(id.kind, "tid");
    assert.deepEqual(simple, [
      { type: "delete", table: "person", key: "ann", activityId: id },
      { type: "delete", table: "person", key: "bob", activityId: id },
    ]);
    assert.deepEqual(detailed, [
      {
        type: "delete",
        table: "person",
        key: "ann",
        oldRecords: [{ name: "ann", age: 30, sex: "f" }],
        activityId: id,
      },
      {
        type: "delete",
        table: "person",
        key: "bob",
        oldRecords: [{ name: "bob", age: 40, sex: "m" }],
        activityId: id,
      },
    ]);
  });

  it("a missing table: no_exists; a read_only table: no_exists and nothing is cleared", async () => {
    const { db } = await people({ accessMode: "read_only" });
    await rejectsMneme(db.clearTable("missing"), NoExistsError, "no_exists", { table: "missing" });
    await rejectsMneme(db.clearTable("person"), ReadOnlyError, "no_exists", {
      table: "person",
      message: /person is read_only/,
    });
    assert.equal(db.tableInfo("person", "size"), 2);
  });

  it("inside a synchronous transaction: the transaction aborts with nested_transaction, nothing cleared", async () => {
    const { db } = await people();
    assert.throws(
      () =>
        db.transactionSync(() => {
          void db.clearTable("person");
        }),
      (e: unknown) =>
        e instanceof TransactionAborted &&
        e.reason === "nested_transaction" &&
        e.cause instanceof NestedTransactionError,
    );
    assert.equal(db.tableInfo("person", "size"), 2);
  });
});

describe("addTableIndex / delTableIndex", () => {
  it("adds an index by name or position, built from the existing records, and deletes it", async () => {
    const { db, person } = await people();
    await db.addTableIndex(person, "age");
    await db.addTableIndex("person", 4);
    assert.deepEqual(db.tableInfo("person", "index"), [3, 4]);
    assert.deepEqual(db.dirtyIndexRead(person, 40, "age"), [{ name: "bob", age: 40, sex: "m" }]);
    assert.deepEqual(db.dirtyIndexRead(person, "f", "sex"), [{ name: "ann", age: 30, sex: "f" }]);
    db.dirtyWrite(person, { name: "ann", age: 40, sex: "f" });
    assert.deepEqual(byName(db.dirtyIndexRead(person, 40, "age")), [
      { name: "ann", age: 40, sex: "f" },
      { name: "bob", age: 40, sex: "m" },
    ]);
    await db.delTableIndex(person, "age");
    assert.deepEqual(db.tableInfo("person", "index"), [4]);
    await db.delTableIndex("person", 4);
    assert.deepEqual(db.tableInfo("person", "index"), []);
    throwsMneme(() => db.dirtyIndexRead(person, "f", "sex"), BadArgError, "badarg", {
      table: "person",
    });
  });

  it("addTableIndex errors (FACTS Q5)", async () => {
    const { db } = await people({ index: ["age"] });
    await rejectsMneme(db.addTableIndex("person", "age"), AlreadyExistsError, "already_exists", {
      table: "person",
      value: "age",
    });
    await rejectsMneme(db.addTableIndex("person", 3), AlreadyExistsError, "already_exists", {
      table: "person",
      value: "age",
    });
    await rejectsMneme(db.addTableIndex("missing", "age"), NoExistsError, "no_exists", {
      table: "missing",
    });
    for (const attr of ["name", 2, 1, 5, "zzz", 2.5]) {
      await rejectsMneme(db.addTableIndex("person", attr as never), BadTypeError, "bad_type", {
        table: "person",
        value: attr,
      });
    }
    assert.deepEqual(db.tableInfo("person", "index"), [3]);
  });

  it("delTableIndex errors (FACTS Q5)", async () => {
    const { db } = await people({ index: ["age"] });
    await rejectsMneme(db.delTableIndex("person", "sex"), NoExistsError, "no_exists", {
      table: "person",
      value: "sex",
    });
    // the key has no index, and neither has a position beyond the record
    await rejectsMneme(db.delTableIndex("person", "name"), NoExistsError, "no_exists", {
      table: "person",
      value: "name",
    });
    await rejectsMneme(db.delTableIndex("person", 2), NoExistsError, "no_exists", {
      table: "person",
      value: "name",
    });
    await rejectsMneme(db.delTableIndex("person", 5), NoExistsError, "no_exists", {
      table: "person",
      value: 5,
    });
    await rejectsMneme(db.delTableIndex("person", "zzz" as never), BadTypeError, "bad_type", {
      table: "person",
      value: "zzz",
    });
    await rejectsMneme(db.delTableIndex("missing", "age"), NoExistsError, "no_exists", {
      table: "missing",
    });
    assert.deepEqual(db.tableInfo("person", "index"), [3]);
  });

  it("each definition change increments the minor version", async () => {
    const { db } = await people();
    assert.deepEqual(db.tableInfo("person", "version"), [1, 0]);
    await db.addTableIndex("person", "age");
    assert.deepEqual(db.tableInfo("person", "version"), [1, 1]);
    await db.delTableIndex("person", "age");
    assert.deepEqual(db.tableInfo("person", "version"), [1, 2]);
  });
});

describe("transformTable", () => {
  it("with a function: converts every record, the definition and the version", async () => {
    const { db, person } = await people();
    const t2 = await db.transformTable(
      person,
      (p: Person) => ({ name: p.name, age: p.age, sex: p.sex, email: `${p.name}@x` }),
      ["name", "age", "sex", "email"],
    );
    assert.deepEqual(t2, { name: "person" });
    assert.deepEqual(db.tableInfo("person", "attributes"), ["name", "age", "sex", "email"]);
    assert.equal(db.tableInfo("person", "arity"), 5);
    assert.deepEqual(db.tableInfo("person", "version"), [2, 0]);
    assert.deepEqual(byName(db.dirtyMatchObject(t2, {})), [
      { name: "ann", age: 30, sex: "f", email: "ann@x" },
      { name: "bob", age: 40, sex: "m", email: "bob@x" },
    ]);
    // records now need the new attributes
    throwsMneme(
      () => db.dirtyWrite("person", { name: "cid", age: 1, sex: "m" }),
      BadTypeError,
      "bad_type",
      {
        table: "person",
        key: "cid",
      },
    );
    db.dirtyWrite(t2, { name: "cid", age: 1, sex: "m", email: "c" });
    assert.equal(db.tableInfo("person", "size"), 3);
  });

  it("the function's result keeps the attributes' order of newAttributes", async () => {
    const { db } = await people();
    await db.transformTable("person", (p) => ({ sex: p.sex, name: p.name }), ["name", "sex"]);
    const [ann] = db.dirtyRead("person", "ann");
    assert.deepEqual(Object.keys(ann!), ["name", "sex"]);
    assert.ok(Object.isFrozen(ann));
  });

  it('"ignore": only the definition changes, existing records are not converted (FACTS Q13)', async () => {
    const { db } = await people();
    await db.transformTable("person", "ignore", ["name", "age", "sex", "email"]);
    assert.deepEqual(db.tableInfo("person", "attributes"), ["name", "age", "sex", "email"]);
    assert.equal(db.tableInfo("person", "arity"), 5);
    assert.equal(db.tableInfo("person", "record_name"), "person");
    assert.deepEqual(db.dirtyRead("person", "ann"), [{ name: "ann", age: 30, sex: "f" }]);
    throwsMneme(
      () => db.dirtyWrite("person", { name: "cid", age: 1, sex: "m" }),
      BadTypeError,
      "bad_type",
      {
        table: "person",
        key: "cid",
        message: /attribute 'email' is missing/,
      },
    );
    db.dirtyWrite("person", { name: "cid", age: 1, sex: "m", email: "e" });
    await db.transformTable("person", "ignore", ["name", "age", "sex"]);
    assert.deepEqual(db.dirtyRead("person", "cid"), [
      { name: "cid", age: 1, sex: "m", email: "e" },
    ]);
  });

  it("a new record name, with a function and with ignore", async () => {
    const { db } = await people();
    await db.transformTable("person", "ignore", ["name", "age", "sex"], "human");
    assert.equal(db.tableInfo("person", "record_name"), "human");
    await db.transformTable("person", (p) => p, ["name", "age", "sex"], "person2");
    assert.equal(db.tableInfo("person", "record_name"), "person2");
    // without a new name the record name stays
    await db.transformTable("person", "ignore", ["name", "age", "sex"]);
    assert.equal(db.tableInfo("person", "record_name"), "person2");
  });

  it("indexes are positional: renaming the indexed attribute keeps the index (FACTS Q13)", async () => {
    const { db } = await people({ index: ["sex"] });
    await db.transformTable("person", (p) => ({ name: p.name, age: p.age, gender: p.sex }), [
      "name",
      "age",
      "gender",
    ]);
    assert.deepEqual(db.tableInfo("person", "index"), [4]);
    assert.deepEqual(db.dirtyIndexRead("person", "m", "gender"), [
      { name: "bob", age: 40, gender: "m" },
    ]);
    // an added attribute after it keeps position 4 indexed
    await db.transformTable(
      "person",
      (p) => ({ name: p.name, age: p.age, gender: p.gender, extra: 0 }),
      ["name", "age", "gender", "extra"],
    );
    assert.deepEqual(db.dirtyIndexRead("person", "m", 4), [
      { name: "bob", age: 40, gender: "m", extra: 0 },
    ]);
  });

  it("indexes are positional: reordering attributes indexes what is now at that position (FACTS Q13)", async () => {
    const { db } = await people({ index: ["sex"] });
    await db.transformTable("person", (p) => ({ name: p.name, sex: p.sex, age: p.age }), [
      "name",
      "sex",
      "age",
    ]);
    assert.deepEqual(db.tableInfo("person", "index"), [4]);
    assert.deepEqual(db.dirtyIndexRead("person", 30, "age"), [{ name: "ann", sex: "f", age: 30 }]);
    throwsMneme(() => db.dirtyIndexRead("person", "f", "sex"), BadArgError, "badarg", {
      table: "person",
      value: "sex",
    });
  });

  it("dropping an indexed position: bad_type, table unchanged (FACTS Q13)", async () => {
    const { db } = await people({ index: ["sex"] });
    for (const fn of [(p: Person) => ({ name: p.name, age: p.age }), "ignore" as const]) {
      await rejectsMneme(
        db.transformTable("person", fn, ["name", "age"]),
        BadTypeError,
        "bad_type",
        {
          table: "person",
          value: ["name", "age"],
        },
      );
    }
    assert.deepEqual(db.tableInfo("person", "attributes"), ["name", "age", "sex"]);
    assert.deepEqual(db.tableInfo("person", "index"), [4]);
    assert.deepEqual(db.dirtyRead("person", "ann"), [{ name: "ann", age: 30, sex: "f" }]);
  });

  it("a bad transform function: bad_type naming table and key; nothing changes", async () => {
    const { db } = await people({ index: ["age"] });
    const attrs = ["name", "age", "sex", "x"];
    const bad: [string, (p: Person) => unknown, RegExp, unknown][] = [
      [
        "throws",
        () => {
          throw new Error("boom");
        },
        /it threw Error: boom on the record with key "ann"/,
        { name: "ann", age: 30, sex: "f" },
      ],
      ["returns a non-record", () => 3, /returned a non-record for key "ann"/, 3],
      ["returns null", () => null, /returned a non-record for key "ann"/, null],
      ["returns an array", () => ["ann", 1], /returned a non-record for key "ann"/, ["ann", 1]],
      [
        "misses an attribute",
        (p) => ({ ...p }),
        /the result for key "ann" must have exactly name, age, sex, x/,
        { name: "ann", age: 30, sex: "f" },
      ],
      [
        "has an extra attribute",
        (p) => ({ ...p, x: 1, y: 2 }),
        /the result for key "ann" must have exactly name, age, sex, x/,
        { name: "ann", age: 30, sex: "f", x: 1, y: 2 },
      ],
      [
        "leaves an attribute undefined",
        (p) => ({ ...p, x: undefined }),
        /the result for key "ann" must have exactly/,
        { name: "ann", age: 30, sex: "f", x: undefined },
      ],
      [
        "changes the key",
        (p) => ({ ...p, name: [p.name], x: 1 }),
        /it changed the key "ann"/,
        { name: ["ann"], age: 30, sex: "f", x: 1 },
      ],
    ];
    for (const [what, fn, message, value] of bad) {
      await rejectsMneme(
        db.transformTable("person", fn as never, attrs as never),
        BadTypeError,
        "bad_type",
        {
          table: "person",
          key: "ann",
          value,
          message,
        },
      ).catch((e: Error) => {
        throw new Error(`${what}: ${e.message}`);
      });
    }
    await rejectsMneme(
      db.transformTable("person", (p) => ({ ...p, x: Symbol("s") }), attrs as never),
      BadTypeError,
      "bad_type",
      {
        table: "person",
        key: "ann",
        message: /attribute 'x' of "ann": symbols are not valid values/,
      },
    );
    assert.deepEqual(db.tableInfo("person", "attributes"), ["name", "age", "sex"]);
    assert.deepEqual(db.tableInfo("person", "version"), [1, 0]);
    assert.deepEqual(byName(db.dirtyMatchObject("person", {}) as never), [
      { name: "ann", age: 30, sex: "f" },
      { name: "bob", age: 40, sex: "m" },
    ]);
    assert.deepEqual(db.dirtyIndexRead("person", 40, "age"), [{ name: "bob", age: 40, sex: "m" }]);
  });

  it("a failure on a later record leaves the earlier ones unchanged too", async () => {
    const { db } = await people();
    await rejectsMneme(
      db.transformTable(
        "person",
        ((p: Person) => (p.name === "bob" ? 0 : { ...p, x: 1 })) as never,
        ["name", "age", "sex", "x"],
      ),
      BadTypeError,
      "bad_type",
      { table: "person", key: "bob" },
    );
    assert.deepEqual(db.dirtyRead("person", "ann"), [{ name: "ann", age: 30, sex: "f" }]);
  });

  it("1 and 1n are the same key: a function turning 1 into 1n does not change the key", async () => {
    const db = await Mneme.open();
    await db.createTable("n", { attributes: ["k", "v"] });
    db.dirtyWrite("n", { k: 1, v: "a" });
    await db.transformTable("n", (r) => ({ k: 1n, v: r.v }), ["k", "v"]);
    assert.equal(db.dirtyRead("n", 1).length, 1);
    assert.equal(db.dirtyRead("n", 1n).length, 1);
  });

  it("ordered_set and bag tables keep their semantics", async () => {
    const db = await Mneme.open();
    await db.createTable("o", { attributes: ["k", "v"], type: "ordered_set" });
    await db.createTable("b", { attributes: ["k", "v"], type: "bag" });
    for (const k of [3, 1, 2]) db.dirtyWrite("o", { k, v: k });
    db.dirtyWrite("b", { k: 1, v: 1 });
    db.dirtyWrite("b", { k: 1, v: 2 });
    await db.transformTable("o", (r) => ({ k: r.k, v: r.v, w: 0 }), ["k", "v", "w"]);
    await db.transformTable("b", (r) => ({ k: r.k, v: 0 }), ["k", "v"]);
    assert.deepEqual(db.dirtyAllKeys("o"), [1, 2, 3]);
    // both records of the bag become {k: 1, v: 0}: a bag holds it once
    assert.deepEqual(db.dirtyRead("b", 1), [{ k: 1, v: 0 }]);
  });

  it("errors of the arguments (FACTS Q13)", async () => {
    const { db } = await people();
    await rejectsMneme(
      db.transformTable("missing", "ignore", ["a", "b"]),
      NoExistsError,
      "no_exists",
      {
        table: "missing",
      },
    );
    await rejectsMneme(db.transformTable("person", "ignore", ["a"]), BadTypeError, "bad_type", {
      table: "person",
      value: ["a"],
    });
    await rejectsMneme(
      db.transformTable("person", "ignore", ["a", "a"] as never),
      CombineError,
      "combine_error",
      {
        table: "person",
        value: "a",
      },
    );
    await rejectsMneme(
      db.transformTable("person", "ignore", ["a", 3] as never),
      BadTypeError,
      "bad_type",
      {
        table: "person",
        value: 3,
      },
    );
    await rejectsMneme(
      db.transformTable("person", "bad" as never, ["a", "b"]),
      BadTypeError,
      "bad_type",
      {
        table: "person",
        value: "bad",
      },
    );
    for (const name of [3, ""]) {
      await rejectsMneme(
        db.transformTable("person", "ignore", ["a", "b"], name as never),
        BadTypeError,
        "bad_type",
        { table: "person", value: name },
      );
    }
    assert.deepEqual(db.tableInfo("person", "attributes"), ["name", "age", "sex"]);
    assert.equal(db.tableInfo("person", "record_name"), "person");
  });

  it("a read_only table: no_exists, as in Mnesia", async () => {
    const { db } = await people({ accessMode: "read_only" });
    for (const fn of [(p: Person) => ({ ...p, x: 1 }), "ignore" as const]) {
      await rejectsMneme(
        db.transformTable("person", fn, ["name", "age", "sex", "x"]),
        ReadOnlyError,
        "no_exists",
        {
          table: "person",
        },
      );
    }
    assert.deepEqual(db.tableInfo("person", "attributes"), ["name", "age", "sex"]);
  });
});

describe("changeTableAccessMode", () => {
  it("read_only blocks every update with no_exists; reads work; read_write restores", async () => {
    const { db } = await people();
    await db.createTable("c", { attributes: ["k", "n"] });
    db.dirtyWrite("c", { k: "a", n: 1 });
    await db.changeTableAccessMode("person", "read_only");
    await db.changeTableAccessMode("c", "read_only");
    assert.equal(db.tableInfo("person", "access_mode"), "read_only");
    const ro = { table: "person", message: /table person is read_only/ };
    throwsMneme(
      () => db.dirtyWrite("person", { name: "cid", age: 1, sex: "m" }),
      ReadOnlyError,
      "no_exists",
      {
        ...ro,
        key: "cid",
      },
    );
    throwsMneme(() => db.dirtyDelete("person", "ann"), ReadOnlyError, "no_exists", {
      ...ro,
      key: "ann",
    });
    throwsMneme(
      () => db.dirtyDeleteObject("person", { name: "ann", age: 30, sex: "f" }),
      ReadOnlyError,
      "no_exists",
      { ...ro, key: "ann" },
    );
    throwsMneme(() => db.dirtyUpdateCounter("c", "a", 1), ReadOnlyError, "no_exists", {
      table: "c",
      key: "a",
    });
    await rejectsMneme(db.clearTable("person"), ReadOnlyError, "no_exists", ro);
    assert.throws(
      () => db.transactionSync((tx) => tx.write("person", { name: "cid", age: 1, sex: "m" })),
      (e: unknown) =>
        e instanceof TransactionAborted &&
        e.reason === "no_exists" &&
        e.cause instanceof ReadOnlyError,
    );
    await assert.rejects(
      db.transaction(async (tx) => tx.delete("person", "ann")),
      (e: unknown) =>
        e instanceof TransactionAborted &&
        e.reason === "no_exists" &&
        e.cause instanceof ReadOnlyError,
    );
    // reads work
    assert.deepEqual(db.dirtyRead("person", "ann"), [{ name: "ann", age: 30, sex: "f" }]);
    assert.deepEqual(
      db.transactionSync((tx) => tx.read("person", "bob")),
      [{ name: "bob", age: 40, sex: "m" }],
    );
    assert.deepEqual(db.dirtyRead("c", "a"), [{ k: "a", n: 1 }]);
    await db.changeTableAccessMode("person", "read_write");
    db.dirtyWrite("person", { name: "cid", age: 1, sex: "m" });
    assert.equal(db.tableInfo("person", "size"), 3);
  });

  it("the same mode: already_exists; a bad mode: bad_type; a missing table: no_exists", async () => {
    const { db } = await people();
    await rejectsMneme(
      db.changeTableAccessMode("person", "read_write"),
      AlreadyExistsError,
      "already_exists",
      {
        table: "person",
        value: "read_write",
      },
    );
    await db.changeTableAccessMode("person", "read_only");
    await rejectsMneme(
      db.changeTableAccessMode("person", "read_only"),
      AlreadyExistsError,
      "already_exists",
      {
        table: "person",
        value: "read_only",
      },
    );
    await rejectsMneme(
      db.changeTableAccessMode("person", "bad" as never),
      BadTypeError,
      "bad_type",
      {
        table: "person",
        value: "bad",
      },
    );
    await rejectsMneme(
      db.changeTableAccessMode("missing", "read_only"),
      NoExistsError,
      "no_exists",
      {
        table: "missing",
      },
    );
  });
});

describe("changeTableLoadOrder / changeTableMajority", () => {
  it("changeTableLoadOrder: any integer, also the same value again (FACTS Q5)", async () => {
    const { db } = await people();
    await db.changeTableLoadOrder("person", 5);
    assert.equal(db.tableInfo("person", "load_order"), 5);
    await db.changeTableLoadOrder("person", 5);
    await db.changeTableLoadOrder("person", -1);
    assert.equal(db.tableInfo("person", "load_order"), -1);
    for (const bad of ["bad", 1.5, null, Number.NaN]) {
      await rejectsMneme(
        db.changeTableLoadOrder("person", bad as never),
        BadTypeError,
        "bad_type",
        {
          table: "person",
          value: bad,
        },
      );
    }
    await rejectsMneme(db.changeTableLoadOrder("missing", 5), NoExistsError, "no_exists", {
      table: "missing",
    });
    assert.equal(db.tableInfo("person", "load_order"), -1);
  });

  it("changeTableMajority: a boolean, also the same value again", async () => {
    const { db } = await people();
    await db.changeTableMajority("person", true);
    assert.equal(db.tableInfo("person", "majority"), true);
    await db.changeTableMajority("person", true);
    await db.changeTableMajority("person", false);
    assert.equal(db.tableInfo("person", "majority"), false);
    for (const bad of ["true", 1, null]) {
      await rejectsMneme(db.changeTableMajority("person", bad as never), BadTypeError, "bad_type", {
        table: "person",
        value: bad,
      });
    }
    await rejectsMneme(db.changeTableMajority("missing", true), NoExistsError, "no_exists", {
      table: "missing",
    });
  });
});

describe("waitForTables", () => {
  it("existing tables and the empty list resolve at once", async () => {
    const { db, person } = await people();
    assert.equal(await db.waitForTables(["person"], 0), undefined);
    assert.equal(await db.waitForTables([person], 10), undefined);
    assert.equal(await db.waitForTables([], 0), undefined);
    assert.equal(await db.waitForTables(["person"], Infinity), undefined);
  });

  it("missing tables: TimeoutError listing the missing ones only (FACTS Q5)", async () => {
    const { db } = await people();
    const start = Date.now();
    await rejectsMneme(
      db.waitForTables(["missing", "person", "other"], 30),
      TimeoutError,
      "timeout",
      {
        value: ["missing", "other"],
        message: /tables not available after 30 ms: missing, other/,
      },
    );
    assert.ok(Date.now() - start >= 25);
    await rejectsMneme(db.waitForTables(["missing"], 0), TimeoutError, "timeout", {
      value: ["missing"],
    });
  });

  it("a table created while waiting: resolves", async () => {
    const { db } = await people();
    const waiting = db.waitForTables(["later", "person"], 2000);
    setTimeout(() => void db.createTable("later", PERSON), 20);
    assert.equal(await waiting, undefined);
  });

  it("bad arguments: badarg (Mnesia: {error, {badarg, Tabs, Timeout}})", async () => {
    const { db } = await people();
    for (const timeout of [-1, 1.5, Number.NaN, "x", null, -Infinity]) {
      await rejectsMneme(db.waitForTables(["person"], timeout as never), BadArgError, "badarg", {
        value: [["person"], timeout],
      });
    }
    await rejectsMneme(db.waitForTables("person" as never, 10), BadArgError, "badarg", {
      value: ["person", 10],
    });
  });

  it("on a closed database: node_not_running", async () => {
    const { db } = await people();
    await db.close();
    await rejectsMneme(db.waitForTables(["person"], 10), NotRunningError, "node_not_running");
  });

  it("closing the database while waiting: node_not_running", async () => {
    const { db } = await people();
    const waiting = db.waitForTables(["never"], 5000);
    setTimeout(() => void db.close(), 20);
    const start = Date.now();
    await rejectsMneme(waiting, NotRunningError, "node_not_running");
    assert.ok(Date.now() - start < 1000);
  });
});
