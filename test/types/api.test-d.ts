// Compile-time tests of the public types, checked by `npm run typecheck` (tsc --noEmit covers
// test/). Each `@ts-expect-error` line is a mistake the compiler must refuse: if it compiled,
// tsc would report the unused directive. The functions are never called.

import {
  type AsyncActivity,
  type AttrName,
  type KeyArg,
  literal,
  type Mneme,
  type SyncActivity,
  type Table,
} from "../../src/index.js";

/** True exactly when A and B are the same type. */
type Equal<A, B> =
  (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function expectType<A, B>(_check: Equal<A, B>): void {}

interface Person {
  id: number;
  name: string;
  sex: "male" | "female";
}
interface Counter {
  k: string;
  n: number;
}

export async function writes(db: Mneme, tx: AsyncActivity, stx: SyncActivity) {
  const people = await db.createTable<Person, "id">("people", {
    attributes: ["id", "name", "sex"],
  });
  db.dirtyWrite(people, { id: 1, name: "ann", sex: "female" });
  // @ts-expect-error a value outside the literal type
  db.dirtyWrite(people, { id: 1, name: "ann", sex: "other" });
  // @ts-expect-error a value outside the literal type
  await tx.write(people, { id: 1, name: "ann", sex: "other" });
  // @ts-expect-error a value outside the literal type
  stx.write(people, { id: 1, name: "ann", sex: "other" });
  // @ts-expect-error a value outside the literal type
  stx.sWrite(people, { id: 1, name: "ann", sex: "other" });
  // @ts-expect-error a value outside the literal type
  db.dirtyDeleteObject(people, { id: 1, name: "ann", sex: "other" });
  // @ts-expect-error a missing attribute
  db.dirtyWrite(people, { id: 1, name: "ann" });
  // @ts-expect-error an attribute the record type does not have
  db.dirtyWrite(people, { id: 1, name: "ann", sex: "male", age: 3 });
  // @ts-expect-error a key of the wrong type
  db.dirtyRead(people, "1");
  // A table given by name is untyped: any object, checked when written.
  db.dirtyWrite("people", { id: 1, name: "ann", sex: "other" });
}

export async function definitions(db: Mneme) {
  await db.createTable<Person, "id">("a", { attributes: ["id", "sex", "name"] });
  await db.createTable<Person>("b", { attributes: ["name", "id", "sex"] });
  // @ts-expect-error an attribute missing from the list
  await db.createTable<Person, "id">("c", { attributes: ["id", "name"] });
  // @ts-expect-error a name that is not an attribute
  await db.createTable<Person, "id">("d", { attributes: ["id", "name", "sex", "age"] });
  // @ts-expect-error the key not first
  await db.createTable<Person, "id">("e", { attributes: ["name", "id", "sex"] });
  // @ts-expect-error an attribute twice
  await db.createTable<Person, "id">("f", { attributes: ["id", "name", "name"] });
  // ensureTable checks its definition as createTable does, and gives the same typed handle.
  const ensured = await db.ensureTable<Person, "id">("a", { attributes: ["id", "sex", "name"] });
  expectType<typeof ensured, Table<Person, "id">>(true);
  // @ts-expect-error an attribute missing from the list
  await db.ensureTable<Person, "id">("c", { attributes: ["id", "name"] });

  interface WithOptional {
    id: number;
    note?: string;
  }
  // @ts-expect-error optional properties are refused (a record has every attribute)
  await db.createTable<WithOptional>("g", { attributes: ["id", "note"] });
  // @ts-expect-error optional properties are refused for handles too
  db.table<WithOptional>("g");
  interface WithNull {
    id: number;
    note: string | null;
  }
  await db.createTable<WithNull, "id">("h", { attributes: ["id", "note"] });

  // Seven attributes, key given: all 720 orders are listed.
  interface Seven {
    a: number;
    b: number;
    c: number;
    d: number;
    e: number;
    f: number;
    g: number;
  }
  await db.createTable<Seven, "a">("s", { attributes: ["a", "f", "e", "d", "c", "b", "g"] });
  // @ts-expect-error an attribute missing from the list
  await db.createTable<Seven, "a">("s", { attributes: ["a", "f", "e", "d", "c", "b"] });
  // Without the key type, seven are too many orders (5,040): names are checked, not completeness.
  await db.createTable<Seven>("s", { attributes: ["g", "f", "e", "d", "c", "b"] });

  // Wide records: names and key position are checked, completeness is not.
  interface Wide {
    a: number;
    b: number;
    c: number;
    d: number;
    e: number;
    f: number;
    g: number;
    h: number;
    i: number;
  }
  await db.createTable<Wide, "a">("w", {
    attributes: ["a", "b", "c", "d", "e", "f", "g", "h", "i"],
  });
  // @ts-expect-error a name that is not an attribute
  await db.createTable<Wide, "a">("w", { attributes: ["a", "b", "z"] });
  // @ts-expect-error the key not first
  await db.createTable<Wide, "a">("w", { attributes: ["b", "a"] });
}

export async function reads(db: Mneme, tx: AsyncActivity, people: Table<Person, "id">) {
  const [p] = db.dirtyRead(people, 1);
  expectType<typeof p, Readonly<Person> | undefined>(true);
  // @ts-expect-error stored records are frozen
  p!.name = "bob";
  const [q] = await tx.read(people, 1);
  // @ts-expect-error stored records are frozen
  q!.name = "bob";
  const [m] = db.dirtyMatchObject(people, { sex: "male" });
  // @ts-expect-error stored records are frozen
  m!.name = "bob";
  db.dirtyFoldl(
    people,
    (r, n) => {
      // @ts-expect-error stored records are frozen
      r.name = "bob";
      return n + 1;
    },
    0,
  );
  // A read record can still be passed where a Person is expected.
  const keep: Person[] = db.dirtyRead(people, 1);
  return keep;
}

export async function inference(
  db: Mneme,
  tx: AsyncActivity,
  people: Table<Person, "id">,
  counters: Table<Counter, "k">,
) {
  const all = db.dirtySelect(people, [[{ id: "$1" }, [], ["$_"]]]);
  expectType<typeof all, Readonly<Person>[]>(true);
  const ids = db.dirtySelect(people, [[{ id: "$1", sex: "male" }, [], ["$1"]]]);
  expectType<typeof ids, number[]>(true);
  const pairs = await tx.select(people, [[{ id: "$1", name: "$2" }, [], [["$1", "$2"]]]]);
  expectType<typeof pairs, [number, string][]>(true);
  const sums = db.dirtySelect(people, [[{ id: "$1" }, [], [["+", "$1", 1]]]]);
  expectType<typeof sums, unknown[]>(true);
  // @ts-expect-error an attribute the table does not have in a head
  db.dirtySelect(people, [[{ age: "$1" }, [], ["$1"]]]);

  const males = db.dirtyIndexRead(people, "male", "sex");
  expectType<typeof males, Readonly<Person>[]>(true);
  // @ts-expect-error an index value of the wrong type
  db.dirtyIndexRead(people, "other", "sex");
  // @ts-expect-error not an attribute
  db.dirtyIndexRead(people, "male", "gender");
  db.dirtyIndexRead(people, "male", 4);

  const n = db.dirtyUpdateCounter(counters, "hits", 1);
  expectType<typeof n, number>(true);
  // @ts-expect-error a key of the wrong type
  db.dirtyUpdateCounter(counters, 1, 1);
}

export function patterns(db: Mneme, people: Table<Person, "id">, userInput: string) {
  db.dirtyMatchObject(people, { name: literal(userInput) });
  db.dirtySelect(people, [[{ id: "$1", name: literal(userInput) }, [], ["$1"]]]);
  db.dirtySelect(people, [[{ id: "$1", name: "$2" }, [["==", "$2", literal(userInput)]], ["$1"]]]);
  // @ts-expect-error a literal of the wrong type
  db.dirtyMatchObject(people, { sex: literal("other") });
  // @ts-expect-error Date is not a value
  literal(new Date());
}

/** Generic helper code over any table keeps compiling: T is assignable where T is written. */
export function generic<T extends object, K extends AttrName<T>>(
  db: Mneme,
  tx: SyncActivity,
  table: Table<T, K>,
  record: T,
  key: KeyArg<T, K>,
): T[] {
  db.dirtyWrite(table, record);
  tx.write(table, record);
  return db.dirtyRead(table, key);
}
