// The record of ../shared/anchors/mnesia/meter.erl and bulk.erl, shared by the benchmarks.
export interface Person {
  id: number;
  name: string;
  age: number;
  grp: number;
  val: number;
  data: string;
}

export const PERSON_ATTRIBUTES = ["id", "name", "age", "grp", "val", "data"] as const;
export const N_RECORDS = 10000;
const DATA = "x".repeat(64);

export const person = (i: number): Person => ({
  id: i,
  name: `name-${i}`,
  age: ((i * 37) % 100) + 1,
  grp: i % 100,
  val: 0,
  data: DATA,
});

/** Scattered key in 1..N_RECORDS for iteration i (meter.erl's key order). */
export const key = (i: number): number => ((i * 7919) % N_RECORDS) + 1;
