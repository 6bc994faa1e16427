// The error classes (Mnesia's abort reasons) and errorDescription (mnesia:error_description/1).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  type AbortReason,
  AlreadyExistsError,
  BadArgError,
  BadIndexError,
  BadTypeError,
  CombineError,
  ControlSocketError,
  errorDescription,
  IllegalError,
  IndexExistsError,
  Mneme,
  MnemeError,
  NestedTransactionError,
  NoExistsError,
  NoTransactionError,
  NotRunningError,
  ReadOnlyError,
  SubscriptionOverflowError,
  SystemLimitError,
  TimeoutError,
  TransactionAborted,
  WrongTransactionError,
} from "../src/index.js";

/** The descriptions of the Mnesia reference manual (error_description/1), and Mneme's additions. */
const DESCRIPTIONS: Record<AbortReason, string> = {
  nested_transaction: "Nested transactions are not allowed in this context",
  badarg: "Bad or invalid argument, possibly bad type",
  no_transaction: "Operation not allowed outside transactions",
  combine_error: "Table options illegally combined",
  bad_index: "Index already exists, or was out of bounds",
  already_exists: "Schema option to be activated is already on",
  index_exists: "Some operations cannot be performed on tables with an index",
  no_exists: "Tried to perform operation on non-existing (not-alive) item",
  system_limit: "A system limit was exhausted",
  mnesia_down:
    "A transaction involves records on a remote node, which became unavailable before the transaction was completed. Records are no longer available elsewhere in the network.",
  not_a_db_node: "A node was mentioned that does not exist in the schema",
  bad_type: "Bad type specified in argument",
  node_not_running: "Node is not running",
  truncated_binary_file: "Truncated binary in file",
  not_a_log_file: "The file is not a file of the kind expected (not a backup)",
  enoent: "No such file",
  active: "Some delete operations require that all active records are removed",
  illegal: "Operation not supported on this record",
  not_running: "Mnesia is not running",
  timeout: "The operation timed out",
  bad_checksum: "A record in a file failed its checksum",
  invalid_file: "A file's structure is damaged",
  dir_locked: "The database directory is in use by another process",
  no_schema: "There is no disc schema in the database directory",
  // Mnesia has none (error_description gives the atom back); Mneme describes every reason.
  wrong_transaction: "A select continuation was used outside the transaction that made it",
  file_error: "A file operation failed (disc full, permission denied, read-only or missing)",
  bad_plan: "An upgrade plan is invalid (a cycle, a missing dependency, a duplicate name)",
  version_mismatch: "The stored schema version is not the one the upgrade starts from",
  upgrade_aborted: "An upgrade failed before its point of no return; nothing was changed",
  upgrade_rolled_back:
    "An upgrade failed after its point of no return; its fallback restores the old version at the next open",
  control_failed: "The control socket of a running database failed or gave an unexpected answer",
};

type Cls = new (
  message: string,
  details?: { table?: string; key?: unknown; value?: unknown },
) => MnemeError;

const CLASSES: [Cls, string, AbortReason][] = [
  [NestedTransactionError, "NestedTransactionError", "nested_transaction"],
  [BadArgError, "BadArgError", "badarg"],
  [NoTransactionError, "NoTransactionError", "no_transaction"],
  [CombineError, "CombineError", "combine_error"],
  [BadIndexError, "BadIndexError", "bad_index"],
  [AlreadyExistsError, "AlreadyExistsError", "already_exists"],
  [IndexExistsError, "IndexExistsError", "index_exists"],
  [NoExistsError, "NoExistsError", "no_exists"],
  [SystemLimitError, "SystemLimitError", "system_limit"],
  [BadTypeError, "BadTypeError", "bad_type"],
  [IllegalError, "IllegalError", "illegal"],
  [ReadOnlyError, "ReadOnlyError", "no_exists"],
  [NotRunningError, "NotRunningError", "node_not_running"],
  [TimeoutError, "TimeoutError", "timeout"],
  [WrongTransactionError, "WrongTransactionError", "wrong_transaction"],
  [SubscriptionOverflowError, "SubscriptionOverflowError", "system_limit"],
  [ControlSocketError, "ControlSocketError", "control_failed"],
];

describe("error classes", () => {
  for (const [cls, name, reason] of CLASSES) {
    it(`${name}: reason ${reason}, name, message and details`, () => {
      const e = new cls("something went wrong", { table: "t", key: 1, value: [2] });
      assert.ok(e instanceof Error);
      assert.ok(e instanceof MnemeError);
      assert.equal(Object.getPrototypeOf(e), cls.prototype);
      assert.equal(e.name, name);
      assert.equal(e.reason, reason);
      assert.equal(e.message, `${reason}: something went wrong`);
      assert.equal(e.table, "t");
      assert.equal(e.key, 1);
      assert.deepEqual(e.value, [2]);
      assert.match(String(e), new RegExp(`^${name}: ${reason}: something went wrong$`));
      assert.ok(e.stack?.includes(name));
      const bare = new cls("m");
      assert.equal(bare.table, undefined);
      assert.equal(bare.key, undefined);
      assert.equal(bare.value, undefined);
    });
  }

  it("ReadOnlyError is a NoExistsError (Mnesia aborts a write to a read_only table with no_exists)", () => {
    const e = new ReadOnlyError("table t is read_only", { table: "t" });
    assert.ok(e instanceof NoExistsError);
    assert.equal(e.reason, "no_exists");
    assert.equal(e.name, "ReadOnlyError");
  });

  it("MnemeError itself takes any reason", () => {
    const e = new MnemeError("not_a_db_node", "node x is not a db node", { value: "x" });
    assert.equal(e.name, "MnemeError");
    assert.equal(e.reason, "not_a_db_node");
    assert.equal(e.message, "not_a_db_node: node x is not a db node");
    assert.equal(e.value, "x");
  });
});

describe("TransactionAborted", () => {
  it("carries the reason, and the cause when an operation failed", () => {
    const cause = new BadTypeError("record of t with key 1: attribute 'v' is missing", {
      table: "t",
      key: 1,
    });
    const e = new TransactionAborted("bad_type", cause);
    assert.ok(e instanceof Error);
    assert.ok(!(e instanceof MnemeError));
    assert.equal(e.name, "TransactionAborted");
    assert.equal(e.reason, "bad_type");
    assert.equal(e.cause, cause);
    assert.equal(
      e.message,
      "transaction aborted: bad_type: record of t with key 1: attribute 'v' is missing",
    );
  });

  it("describes user reasons: strings as they are, other values as JSON (bigints too), else String()", () => {
    assert.equal(new TransactionAborted("no").message, "transaction aborted: no");
    assert.equal(
      new TransactionAborted({ a: [1, "x"] }).message,
      'transaction aborted: {"a":[1,"x"]}',
    );
    assert.equal(new TransactionAborted(5n).message, 'transaction aborted: "5n"');
    assert.equal(new TransactionAborted(undefined).message, "transaction aborted: undefined");
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    assert.equal(new TransactionAborted(cyclic).message, "transaction aborted: [object Object]");
    assert.equal(new TransactionAborted("x").cause, undefined);
  });

  it("is what a failed transaction throws: the reason of the failed operation, and its error", async () => {
    const db = await Mneme.open();
    await db.createTable("t", { attributes: ["k", "v"] });
    assert.throws(
      () => db.transactionSync((tx) => tx.write("t", { k: 1 } as never)),
      (e: unknown) => {
        assert.ok(e instanceof TransactionAborted);
        assert.equal(e.reason, "bad_type");
        assert.ok(e.cause instanceof BadTypeError);
        assert.equal(e.cause.table, "t");
        assert.equal(e.cause.key, 1);
        assert.equal(errorDescription(e), DESCRIPTIONS.bad_type);
        return true;
      },
    );
    await assert.rejects(
      db.transaction(async (tx) => tx.abort({ my: "reason" })),
      (e: unknown) => {
        assert.ok(e instanceof TransactionAborted);
        assert.deepEqual(e.reason, { my: "reason" });
        assert.equal(e.cause, undefined);
        return true;
      },
    );
  });
});

describe("errorDescription", () => {
  for (const [reason, text] of Object.entries(DESCRIPTIONS)) {
    it(`${reason}: as a reason, {error: r}, {aborted: r}, [r, ...] and a TransactionAborted`, () => {
      assert.equal(errorDescription(reason), text);
      assert.equal(errorDescription({ error: reason }), text);
      assert.equal(errorDescription({ aborted: reason }), text);
      assert.equal(errorDescription({ aborted: { error: reason } }), text);
      assert.equal(errorDescription([reason, "t", 1]), text);
      assert.equal(errorDescription(new TransactionAborted(reason)), text);
    });
  }

  it("every AbortReason has a description of its own", () => {
    for (const [reason, text] of Object.entries(DESCRIPTIONS)) assert.notEqual(text, reason);
  });

  for (const [cls, name, reason] of CLASSES) {
    it(`a ${name}: the description of ${reason}, also as the cause of a TransactionAborted`, () => {
      const e = new cls("m", { table: "t" });
      assert.equal(errorDescription(e), DESCRIPTIONS[reason]);
      assert.equal(errorDescription(new TransactionAborted("whatever", e)), DESCRIPTIONS[reason]);
      assert.equal(errorDescription({ aborted: e }), DESCRIPTIONS[reason]);
    });
  }

  it("Object.prototype's names are reasons like any other, returned as they are", () => {
    for (const r of ["constructor", "toString", "__proto__", "hasOwnProperty", "valueOf"]) {
      assert.equal(errorDescription(r), r);
      assert.equal(errorDescription({ aborted: r }), r);
    }
  });

  it("anything else is returned as it is, as text (Mnesia returns the reason)", () => {
    assert.equal(errorDescription("my_reason"), "my_reason");
    assert.equal(errorDescription(new TransactionAborted("my_reason")), "my_reason");
    assert.equal(errorDescription({ aborted: "my_reason" }), "my_reason");
    assert.equal(errorDescription(42), "42");
    assert.equal(errorDescription(null), "null");
    assert.equal(errorDescription(undefined), "undefined");
    assert.equal(errorDescription([1, 2]), "1,2");
    assert.equal(errorDescription(new Error("plain")), "Error: plain");
  });

  it("Mneme#errorDescription is the same function", async () => {
    const db = await Mneme.open();
    assert.equal(db.errorDescription("no_exists"), DESCRIPTIONS.no_exists);
    assert.equal(db.errorDescription(new ReadOnlyError("ro")), DESCRIPTIONS.no_exists);
    assert.equal(db.errorDescription({ error: "badarg" }), DESCRIPTIONS.badarg);
  });
});

describe("messages name the table and the key", () => {
  it("errors of real operations", async () => {
    const db = await Mneme.open();
    await db.createTable("person", { attributes: ["name", "age"] });
    await db.createTable("c", { attributes: ["k", "n"], type: "bag" });
    const cases: [() => unknown, RegExp][] = [
      [
        () => db.dirtyWrite("person", { name: "ann" } as never),
        /record of person with key "ann": attribute 'age' is missing/,
      ],
      [
        () => db.dirtyWrite("person", { name: "ann", age: 1, x: 2 } as never),
        /record of person with key "ann": unknown attribute 'x'/,
      ],
      [() => db.dirtyRead("person", Number.NaN), /person: NaN is not a valid key/],
      [() => db.dirtyRead("nobody", 1), /table nobody does not exist/],
      [() => db.dirtyNext("person", "zed"), /next on person: key "zed" is not in the table/],
      [() => db.dirtyUpdateCounter("c", "k1", 1), /c is not one/],
      [() => db.dirtyIndexRead("person", 1, "age"), /person has no index on 'age'/],
    ];
    for (const [op, message] of cases) {
      assert.throws(op, (e: unknown) => {
        assert.ok(e instanceof MnemeError);
        assert.match(e.message, message);
        return true;
      });
    }
    await db.changeTableAccessMode("person", "read_only");
    assert.throws(
      () => db.dirtyWrite("person", { name: "bob", age: 1 }),
      (e: unknown) =>
        e instanceof ReadOnlyError &&
        e.table === "person" &&
        e.key === "bob" &&
        /table person is read_only/.test(e.message),
    );
  });
});
