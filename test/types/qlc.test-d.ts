// Compile-time tests of the query builder's types (checked by `npm run typecheck`): answers are
// inferred from the tables' record types, conditions are checked against the attributes' types.
import {
  type AsyncActivity,
  append,
  eq,
  gt,
  type Mneme,
  oneOf,
  query,
  type SyncActivity,
  type Table,
  table,
} from "../../src/index.js";

type Equal<A, B> =
  (<X>() => X extends A ? 1 : 2) extends <X>() => X extends B ? 1 : 2 ? true : false;
function expectType<A, B>(_check: Equal<A, B>): void {}

interface Person {
  id: number;
  name: string;
  age: number;
  grp: number;
}
interface Dept {
  id: number;
  name: string;
}

export async function inference(
  db: Mneme,
  tx: AsyncActivity,
  stx: SyncActivity,
  person: Table<Person, "id">,
  dept: Table<Dept, "id">,
) {
  // One generator, no select: the records.
  const all = await db.query((q) => q.from(person, "p")).all();
  expectType<typeof all, Readonly<Person>[]>(true);

  // A join projected to an object: its fields' types.
  const joined = await db
    .query((q) =>
      q
        .from(person, "p")
        .join(dept, "d", ({ p, d }) => eq(p.grp, d.id))
        .where(({ p }) => gt(p.age, 30))
        .select(({ p, d }) => ({ name: p.name, dept: d.name, age: p.age })),
    )
    .all();
  expectType<typeof joined, { name: string; dept: string; age: number }[]>(true);

  // Tuples and whole rows.
  const pairs = stx.query(
    query()
      .from(person, "p")
      .join(dept, "d", ({ p, d }) => eq(p.grp, d.id))
      .select(({ p, d }) => [p.id, d] as const),
  );
  expectType<ReturnType<typeof pairs.all>, [number, Readonly<Dept>][]>(true);

  // Two generators without select: the rows by alias.
  const rows = await tx
    .query(
      query()
        .from(person, "p")
        .from(table(dept, { lock: "write" }), "d"),
    )
    .all();
  expectType<typeof rows, { readonly p: Readonly<Person>; readonly d: Readonly<Dept> }[]>(true);

  // A synchronous activity answers values, an async one promises.
  expectType<ReturnType<typeof pairs.all>, [number, Readonly<Dept>][]>(true);
  const later = tx
    .query(
      query()
        .from(person, "p")
        .select(({ p }) => p.age),
    )
    .all();
  expectType<typeof later, Promise<number[]>>(true);

  // Arrays are sources too.
  const nums = await db.query((q) => q.from([1, 2, 3], "n").select(({ n }) => n)).all();
  expectType<typeof nums, number[]>(true);

  // @ts-expect-error a string attribute compared with a number
  db.query((q) => q.from(person, "p").where(({ p }) => eq(p.name, 3)));
  // @ts-expect-error no such attribute
  db.query((q) => q.from(person, "p").where(({ p }) => eq(p.salary, 3)));
  // @ts-expect-error no such alias
  db.query((q) => q.from(person, "p").where(({ x }) => eq(x.id, 3)));
  // @ts-expect-error oneOf values of the attribute's type
  db.query((q) => q.from(person, "p").where(({ p }) => oneOf(p.id, ["a"])));
  // @ts-expect-error where takes a condition, not a boolean (use filter for JavaScript)
  db.query((q) => q.from(person, "p").where(({ p }) => p.age > 3));
  // An opaque filter gets the records.
  db.query((q) => q.from(person, "p").filter(({ p }) => p.name.startsWith("a")));

  // append: the union of its parts' answer types, as a query and as a source.
  const parts = append(
    query()
      .from(person, "p")
      .select(({ p }) => p.name),
    query().from(dept, "d"),
    [1, 2],
  );
  const appended = await db.query(parts).all();
  expectType<typeof appended, (string | Readonly<Dept> | number)[]>(true);
  const inSync = stx.query(append(query().from(dept, "d"), append(["x"]))).all();
  expectType<typeof inSync, (Readonly<Dept> | string)[]>(true);
  const drawn = await db
    .query((q) => q.from(append([1, 2], [3]), "n").select(({ n }) => ({ n })))
    .all();
  expectType<typeof drawn, { n: number }[]>(true);
  // @ts-expect-error a part must be a query or a source
  append(query().from(dept, "d"), 42);
}
