// The Mnesia reference manual's `person` examples, on an embedded Mneme database (no server).
// Run: npm run demo
import { Mneme, type SyncActivity, type Table, TransactionAborted } from "../src/index.js";

/** The manual's record, with `sex` for its select example. `children` holds object ids [table, key]. */
interface Person {
  name: string;
  age: number;
  sex: "male" | "female";
  address: string;
  salary: number;
  children: (readonly [string, string])[];
}

interface Family {
  father: Person;
  mother: Person;
  children: Person[];
}

const say = (...parts: unknown[]) => console.log(...parts);
const oid = (p: Person) => ["person", p.name] as const;

/** add_family/1: the whole family is added, or none of it. */
function addFamily(db: Mneme, person: Table<Person, "name">, family: Family): void {
  const childOids = family.children.map(oid);
  db.transactionSync((tx: SyncActivity) => {
    tx.write(person, { ...family.father, children: childOids });
    tx.write(person, { ...family.mother, children: childOids });
    for (const child of family.children) tx.write(person, child);
  });
}

/** raise/2: read with a write lock (wread), add to the salary, write back; abort if there is no such person. */
async function raise(
  db: Mneme,
  person: Table<Person, "name">,
  name: string,
  amount: number,
): Promise<number> {
  return db.transaction(async (tx) => {
    const [p] = await tx.wread(person, name);
    if (p === undefined) return tx.abort("No such person");
    const salary = p.salary + amount;
    await tx.write(person, { ...p, salary });
    return salary;
  });
}

async function main(): Promise<void> {
  const db = await Mneme.open();
  say(`Mneme started on node ${db.node} (embedded, RAM tables, no server)`);

  // mnesia:create_table(person, [{attributes, record_info(fields, person)}, {index, [age]}])
  const person = await db.createTable<Person, "name">("person", {
    attributes: ["name", "age", "sex", "address", "salary", "children"],
    index: ["age"],
  });
  say("created table person:", db.tableInfo(person, "attributes").join(", "), "| index on age");

  const events: string[] = [];
  db.subscribe({ table: person }, (e) =>
    events.push(`${e.type} ${"record" in e ? e.record.name : e.key}`),
  );

  addFamily(db, person, {
    father: {
      name: "Klacke",
      age: 45,
      sex: "male",
      address: "Stockholm",
      salary: 4000,
      children: [],
    },
    mother: {
      name: "Maria",
      age: 43,
      sex: "female",
      address: "Stockholm",
      salary: 4500,
      children: [],
    },
    children: [
      { name: "Hans", age: 12, sex: "male", address: "Stockholm", salary: 0, children: [] },
      { name: "Ylva", age: 15, sex: "female", address: "Stockholm", salary: 0, children: [] },
    ],
  });
  addFamily(db, person, {
    father: { name: "Erik", age: 33, sex: "male", address: "Uppsala", salary: 3000, children: [] },
    mother: { name: "Eva", age: 31, sex: "female", address: "Uppsala", salary: 3200, children: [] },
    children: [{ name: "Olle", age: 2, sex: "male", address: "Uppsala", salary: 0, children: [] }],
  });
  say(`add_family x2: ${db.tableInfo(person, "size")} persons written in two transactions`);
  say(
    "  Klacke's children:",
    db
      .dirtyRead(person, "Klacke")[0]
      ?.children.map(([, k]) => k)
      .join(", "),
  );

  // A family with a badly formed child: the transaction aborts and nothing of it is stored.
  try {
    addFamily(db, person, {
      father: { name: "Bad", age: 40, sex: "male", address: "-", salary: 1, children: [] },
      mother: { name: "Worse", age: 40, sex: "female", address: "-", salary: 1, children: [] },
      children: [{ name: "Broken", age: 1, sex: "male", address: "-", salary: 0 } as Person],
    });
  } catch (e) {
    const reason = e instanceof TransactionAborted ? String(e.reason) : String(e);
    say(
      `add_family with a bad child aborted (${reason}); Bad stored? ${db.dirtyRead(person, "Bad").length > 0}`,
    );
  }

  say("raise(Klacke, 500) ->", await raise(db, person, "Klacke", 500));
  // Concurrent raises on one person: locks serialise them, no update is lost.
  await Promise.all(Array.from({ length: 10 }, () => raise(db, person, "Eva", 10)));
  say("10 concurrent raise(Eva, 10) -> salary", db.dirtyRead(person, "Eva")[0]?.salary);
  try {
    await raise(db, person, "Nobody", 1);
  } catch (e) {
    say("raise(Nobody, 1) -> aborted:", e instanceof TransactionAborted ? e.reason : e);
  }

  // The manual's select: the names of all males older than 30.
  const males = await db.transaction((tx) =>
    tx.select(person, [[{ name: "$1", sex: "male", age: "$2" }, [[">", "$2", 30]], ["$1"]]]),
  );
  say("select males older than 30 ->", males.sort());

  // index_read by age, in a transaction and dirty.
  const age45 = await db.transaction((tx) => tx.indexRead(person, 45, "age"));
  say(
    "index_read(person, 45, age) ->",
    age45.map((p) => p.name),
  );
  say(
    "dirty_index_read(person, 2, age) ->",
    db.dirtyIndexRead(person, 2, "age").map((p) => p.name),
  );

  // match_object with a pattern, and a dirty counter.
  const uppsala = db.dirtyMatchObject(person, { address: "Uppsala" }).map((p) => p.name);
  say("match_object({address: Uppsala}) ->", uppsala.sort());
  await db.createTable<{ key: string; count: number }, "key">("counter", {
    attributes: ["key", "count"],
  });
  db.dirtyUpdateCounter("counter", "raises", 11);
  say(
    "dirty_update_counter(counter, raises, 11) ->",
    db.dirtyUpdateCounter("counter", "raises", 1),
  );

  await new Promise((resolve) => setImmediate(resolve));
  say(
    `table events seen by a subscriber: ${events.length} (first: ${events[0]}, last: ${events.at(-1)})`,
  );
  const s = db.systemInfo("all");
  say(
    `transactions: ${s.transaction_commits} committed, ${s.transaction_failures} aborted, ${s.transaction_restarts} restarted`,
  );
  await db.close();
  say("stopped");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
