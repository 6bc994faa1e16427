// The model-based harness of the public API: random commands, run against a database through one
// of several front ends (dirty functions, a dirty activity, a sync or an async transaction) and
// checked against the model of model.ts.
//
// A command is a generator that yields the calls it makes and checks what they return; a driver
// carries the calls out synchronously (dirty, transactionSync) or awaiting each (transaction).

import assert from "node:assert/strict";
import fc from "fast-check";
import { BadArgError, Mneme } from "../../src/index.js";
import { type Key, mapKey, termEquals } from "../../src/keys/index.js";
import type { Activity, Flavour } from "../../src/txn/activity.js";
import type { TableType } from "../../src/types.js";
import {
  canon,
  canonKeys,
  counterStep,
  type GuardOp,
  guardHolds,
  guardOpArb,
  incrArb,
  KEYS,
  keyArb,
  Model,
  pickRecord,
  type Rec,
  recArb,
  twinKey,
  V_VALUES,
  vArb,
  wArb,
} from "./model.js";

// ---- calls and drivers ------------------------------------------------------------------------

/** The operations a command may call; every front end provides them all. */
export interface Api {
  write(t: string, r: Rec): unknown;
  delete(t: string, k: Key): unknown;
  deleteObject(t: string, r: Rec): unknown;
  read(t: string, k: Key): unknown;
  matchObject(t: string, p: object): unknown;
  select(t: string, spec: unknown): unknown;
  indexRead(t: string, value: unknown, attr: string): unknown;
  allKeys(t: string): unknown;
  first(t: string): unknown;
  last(t: string): unknown;
  next(t: string, k: Key): unknown;
  prev(t: string, k: Key): unknown;
  foldl(t: string, fn: (r: Rec, acc: Rec[]) => Rec[], acc: Rec[]): unknown;
  foldr(t: string, fn: (r: Rec, acc: Rec[]) => Rec[], acc: Rec[]): unknown;
  /** tableInfo(t, "size"): always the committed size. */
  size(t: string): unknown;
  /** A dirty read: always the committed records. */
  dirtyRead(t: string, k: Key): unknown;
  updateCounter(t: string, k: Key, incr: number | bigint): unknown;
}

type Method = keyof Api;
export interface Call {
  readonly m: Method;
  readonly args: readonly unknown[];
}
export type Steps = Generator<Call, void, unknown>;

function call(m: Method, ...args: unknown[]): Call {
  return { m, args };
}

function invoke(api: Api, c: Call): unknown {
  return (api[c.m] as (...a: unknown[]) => unknown)(...c.args);
}

/** Runs the calls of `steps` one after the other, synchronously. */
export function driveSync(steps: Steps, api: Api): void {
  let input: { ok: true; v: unknown } | { ok: false; e: unknown } = { ok: true, v: undefined };
  for (;;) {
    const res = input.ok ? steps.next(input.v) : steps.throw(input.e);
    if (res.done) return;
    try {
      const v = invoke(api, res.value);
      assert.ok(!(v instanceof Promise), `${res.value.m} returned a promise in a sync activity`);
      input = { ok: true, v };
    } catch (e) {
      input = { ok: false, e };
    }
  }
}

/** Runs the calls of `steps` one after the other, awaiting each (which must return a promise). */
export async function driveAsync(steps: Steps, api: Api): Promise<void> {
  let input: { ok: true; v: unknown } | { ok: false; e: unknown } = { ok: true, v: undefined };
  for (;;) {
    const res = input.ok ? steps.next(input.v) : steps.throw(input.e);
    if (res.done) return;
    try {
      const p = invoke(api, res.value);
      const local = res.value.m === "size" || res.value.m === "dirtyRead";
      const counter = res.value.m === "updateCounter";
      if (!local && !counter)
        assert.ok(p instanceof Promise, `${res.value.m} did not return a promise`);
      input = { ok: true, v: await p };
    } catch (e) {
      input = { ok: false, e };
    }
  }
}

/** The front end of the db.dirty* functions. */
export function dirtyApi(db: Mneme): Api {
  return {
    write: (t, r) => db.dirtyWrite(t, r),
    delete: (t, k) => db.dirtyDelete(t, k),
    deleteObject: (t, r) => db.dirtyDeleteObject(t, r),
    read: (t, k) => db.dirtyRead(t, k),
    matchObject: (t, p) => db.dirtyMatchObject(t, p),
    select: (t, s) => db.dirtySelect(t, s as never),
    indexRead: (t, v, a) => db.dirtyIndexRead(t, v, a),
    allKeys: (t) => db.dirtyAllKeys(t),
    first: (t) => db.dirtyFirst(t),
    last: (t) => db.dirtyLast(t),
    next: (t, k) => db.dirtyNext(t, k),
    prev: (t, k) => db.dirtyPrev(t, k),
    foldl: (t, fn, acc) => db.dirtyFoldl(t, fn as never, acc),
    foldr: (t, fn, acc) => db.asyncDirty((ctx) => ctx.foldr(t, fn as never, acc)),
    size: (t) => db.tableInfo(t, "size"),
    dirtyRead: (t, k) => db.dirtyRead(t, k),
    updateCounter: (t, k, i) => db.dirtyUpdateCounter(t, k, i),
  };
}

/** The front end of an activity (a dirty one or a transaction, sync or async). */
export function activityApi<F extends Flavour>(db: Mneme, ctx: Activity<F>): Api {
  return {
    write: (t, r) => ctx.write(t, r),
    delete: (t, k) => ctx.delete(t, k),
    deleteObject: (t, r) => ctx.deleteObject(t, r),
    read: (t, k) => ctx.read(t, k),
    matchObject: (t, p) => ctx.matchObject(t, p),
    select: (t, s) => ctx.select(t, s as never),
    indexRead: (t, v, a) => ctx.indexRead(t, v, a),
    allKeys: (t) => ctx.allKeys(t),
    first: (t) => ctx.first(t),
    last: (t) => ctx.last(t),
    next: (t, k) => ctx.next(t, k),
    prev: (t, k) => ctx.prev(t, k),
    foldl: (t, fn, acc) => ctx.foldl(t, fn as never, acc),
    foldr: (t, fn, acc) => ctx.foldr(t, fn as never, acc),
    size: (t) => db.tableInfo(t, "size"),
    dirtyRead: (t, k) => db.dirtyRead(t, k),
    updateCounter: (t, k, i) => db.dirtyUpdateCounter(t, k, i),
  };
}

// ---- the world the commands act on ------------------------------------------------------------

/** Counter records {k, c} by key identity; a counter keeps the key it was created with (FACTS Q1). */
export class CounterModel {
  readonly entries = new Map<unknown, { key: Key; value: number | bigint }>();

  step(key: Key, incr: number | bigint): { key: Key; value: number | bigint } {
    const old = this.entries.get(mapKey(key));
    const e = { key: old?.key ?? key, value: counterStep(old?.value, incr) };
    this.entries.set(mapKey(key), e);
    return e;
  }
}

export interface World {
  readonly type: TableType;
  /** The main table (attributes k, v, w; index on v). */
  readonly table: string;
  /** The counter table (attributes k, c). */
  readonly counters: string;
  /** What the activity running the commands sees. */
  model: Model;
  /** What is committed (differs from `model` inside a transaction). */
  committed: Model;
  readonly counterModel: CounterModel;
  /**
   * "exact": keys read back must be in the exact representation of the record's key (1 vs 1n);
   * "class": only equal by compareKeys. Transactions use "class": inside one, a key written first
   * as 1n and then as 1 is reported as 1n while its record holds 1 (see the report).
   */
  keyForm: "exact" | "class";
}

let tableSerial = 0;

/** A fresh database with the main table of `type` (index on v) and its counter table. */
export async function openWorld(type: TableType): Promise<{ db: Mneme; world: World }> {
  const db = await Mneme.open();
  const n = ++tableSerial;
  const table = `t${n}`;
  const counters = `c${n}`;
  await db.createTable(table, { attributes: ["k", "v", "w"], type, index: ["v"] });
  await db.createTable(counters, {
    attributes: ["k", "c"],
    type: type === "ordered_set" ? "ordered_set" : "set",
  });
  const model = new Model(type);
  return {
    db,
    world: {
      type,
      table,
      counters,
      model,
      committed: model,
      counterModel: new CounterModel(),
      keyForm: "exact",
    },
  };
}

// ---- commands ---------------------------------------------------------------------------------

export type Cmd =
  | { readonly c: "write"; readonly pick: number; readonly rec: Rec; readonly twin: boolean }
  | { readonly c: "delete"; readonly pick: number; readonly key: Key; readonly twin: boolean }
  | { readonly c: "deleteObject"; readonly pick: number; readonly rec: Rec; readonly twin: boolean }
  | { readonly c: "read"; readonly pick: number; readonly key: Key }
  | { readonly c: "matchV"; readonly value: unknown }
  | { readonly c: "matchW"; readonly value: unknown }
  | { readonly c: "matchK"; readonly pick: number; readonly key: Key }
  | { readonly c: "selectV"; readonly op: GuardOp; readonly value: unknown }
  | { readonly c: "selectK"; readonly op: GuardOp; readonly key: Key }
  | { readonly c: "indexRead"; readonly value: unknown }
  | { readonly c: "allKeys" }
  | { readonly c: "chainNext" }
  | { readonly c: "chainPrev" }
  | { readonly c: "next"; readonly pick: number; readonly key: Key }
  | { readonly c: "prev"; readonly pick: number; readonly key: Key }
  | { readonly c: "foldl" }
  | { readonly c: "foldr" }
  | { readonly c: "size" }
  | { readonly c: "dirtyRead"; readonly pick: number; readonly key: Key }
  | { readonly c: "counter"; readonly key: Key; readonly incr: number | bigint }
  | { readonly c: "check" };

const W = (weight: number, arbitrary: fc.Arbitrary<Cmd>) => ({ weight, arbitrary });
const pick = fc.nat();

/** Commands that change the main table. */
export const writeCmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  W(6, fc.record({ c: fc.constant("write"), pick, rec: recArb, twin: fc.boolean() })),
  W(2, fc.record({ c: fc.constant("delete"), pick, key: keyArb, twin: fc.boolean() })),
  W(3, fc.record({ c: fc.constant("deleteObject"), pick, rec: recArb, twin: fc.boolean() })),
);

/** Commands that read. */
export const readCmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  W(3, fc.record({ c: fc.constant("read"), pick, key: keyArb })),
  W(1, fc.record({ c: fc.constant("matchV"), value: vArb })),
  W(1, fc.record({ c: fc.constant("matchW"), value: wArb })),
  W(1, fc.record({ c: fc.constant("matchK"), pick, key: keyArb })),
  W(2, fc.record({ c: fc.constant("selectV"), op: guardOpArb, value: vArb })),
  W(2, fc.record({ c: fc.constant("selectK"), op: guardOpArb, key: keyArb })),
  W(2, fc.record({ c: fc.constant("indexRead"), value: vArb })),
  W(1, fc.constant({ c: "allKeys" } as const)),
  W(1, fc.constant({ c: "chainNext" } as const)),
  W(1, fc.constant({ c: "chainPrev" } as const)),
  W(2, fc.record({ c: fc.constant("next"), pick, key: keyArb })),
  W(2, fc.record({ c: fc.constant("prev"), pick, key: keyArb })),
  W(1, fc.constant({ c: "foldl" } as const)),
  W(1, fc.constant({ c: "foldr" } as const)),
  W(1, fc.constant({ c: "size" } as const)),
  W(1, fc.record({ c: fc.constant("dirtyRead"), pick, key: keyArb })),
  W(2, fc.record({ c: fc.constant("counter"), key: keyArb, incr: incrArb })),
  W(1, fc.constant({ c: "check" } as const)),
);

export const cmdArb: fc.Arbitrary<Cmd> = fc.oneof(
  { weight: 2, arbitrary: writeCmdArb },
  { weight: 3, arbitrary: readCmdArb },
);

/** An existing key of the model two times in three (so that deletes and reads hit), else `fallback`. */
function pickKey(m: Model, n: number, fallback: Key): Key {
  const keys = m.keys();
  return keys.length === 0 || n % 3 === 0 ? fallback : keys[n % keys.length]!;
}

/** Follows next from first (or prev from last) to the end. */
function* chain(w: World, dir: "next" | "prev"): Generator<Call, Key[], unknown> {
  const out: Key[] = [];
  let k = (yield call(dir === "next" ? "first" : "last", w.table)) as Key | undefined;
  while (k !== undefined) {
    out.push(k);
    assert.ok(out.length <= w.model.size() + 1, "a traversal does not end");
    k = (yield call(dir, w.table, k)) as Key | undefined;
  }
  return out;
}

/**
 * Records in the order the table type promises: key order for ordered_set, else (and for records
 * found through an index, whose order Mnesia does not define either) any key order, each key's
 * records in their order.
 */
function assertRecords(
  w: World,
  actual: unknown,
  expected: readonly Rec[],
  what: string,
  viaIndex = false,
): void {
  assert.ok(Array.isArray(actual), `${what}: not an array`);
  const type = viaIndex ? "set" : w.type;
  assert.deepEqual(canon(type, actual as Rec[]), canon(type, expected), what);
}

/** A key (or list of keys) in the form the world compares: itself, or its identity class. */
function form(w: World, k: unknown): unknown {
  if (w.keyForm === "exact" || k === undefined) return k;
  return mapKey(k as Key);
}

function assertKeys(w: World, actual: unknown, expected: readonly Key[], what: string): void {
  assert.ok(Array.isArray(actual), `${what}: not an array`);
  assert.deepEqual(
    canonKeys(w.type, actual as Key[]).map((k) => form(w, k)),
    canonKeys(w.type, expected).map((k) => form(w, k)),
    what,
  );
}

/** Keys in a given order (a traversal), compared with the model's. */
function assertKeyList(w: World, actual: readonly Key[], expected: readonly Key[], what: string) {
  assert.deepEqual(
    actual.map((k) => form(w, k)),
    expected.map((k) => form(w, k)),
    what,
  );
}

function* expectBadArg(c: Call): Steps {
  let failed = false;
  try {
    yield c;
  } catch (e) {
    assert.ok(e instanceof BadArgError, `${c.m}: expected BadArgError, got ${String(e)}`);
    failed = true;
  }
  assert.ok(failed, `${c.m} of a key not in an unordered table must be badarg`);
}

/** next/prev of a key: ordered_set the neighbour in key order; unordered the next key of allKeys (badarg if absent). */
function* stepCmd(w: World, dir: "next" | "prev", key: Key): Steps {
  const m = w.model;
  if (w.type === "ordered_set") {
    const got = yield call(dir, w.table, key);
    const expected = m.neighbour(key, dir === "next" ? 1 : -1);
    assert.deepEqual(form(w, got), form(w, expected), `${dir}(${String(key)})`);
    return;
  }
  if (!m.has(key)) {
    yield* expectBadArg(call(dir, w.table, key));
    return;
  }
  const keys = (yield call("allKeys", w.table)) as Key[];
  const at = keys.findIndex((k) => mapKey(k) === mapKey(key));
  assert.ok(at >= 0);
  const got = yield call(dir, w.table, key);
  // prev on an unordered table is next (Mnesia: hash order, last == first).
  assert.deepEqual(got, keys[at + 1], `${dir}(${String(key)})`);
}

/** Every read of the whole table compared with the model. */
export function* checkAll(w: World): Steps {
  const m = w.model;
  const keys = (yield call("allKeys", w.table)) as Key[];
  assertKeys(w, keys, m.keys(), "allKeys");
  for (const k of KEYS) {
    const got = yield call("read", w.table, k);
    assert.deepEqual(got, m.read(k), `read(${String(k)})`);
  }
  for (const v of V_VALUES) {
    const viaIndex = yield call("indexRead", w.table, v, "v");
    const expected = m.records().filter((r) => termEquals(r.v, v));
    assertRecords(w, viaIndex, expected, `indexRead(${String(v)})`, true);
  }
  const all = yield call("select", w.table, [[{ k: "_", v: "_", w: "_" }, [], ["$_"]]]);
  assert.deepEqual(
    all,
    w.type === "ordered_set" ? m.records() : ((yield call("foldl", w.table, push, [])) as Rec[]),
    "select all = foldl",
  );
  assertRecords(w, all, m.records(), "select all");
  const forward = yield* chain(w, "next");
  assert.deepEqual(forward, keys, "first/next visits allKeys in order");
  const backward = yield* chain(w, "prev");
  assert.deepEqual(backward, w.type === "ordered_set" ? keys.slice().reverse() : keys, "last/prev");
  assert.deepEqual(yield call("size", w.table), w.committed.size(), "size");
}

const push = (r: Rec, acc: Rec[]): Rec[] => [...acc, r];

/** Runs one command and checks what it returns. */
export function* runCmd(w: World, cmd: Cmd): Steps {
  const m = w.model;
  const t = w.table;
  switch (cmd.c) {
    case "write": {
      const k = pickKey(m, cmd.pick, cmd.rec.k as Key);
      const rec = { ...cmd.rec, k: cmd.twin ? twinKey(k) : k };
      yield call("write", t, rec);
      m.write(rec);
      return;
    }
    case "delete": {
      const k = pickKey(m, cmd.pick, cmd.key);
      const key = cmd.twin ? twinKey(k) : k;
      yield call("delete", t, key);
      m.delete(key);
      return;
    }
    case "deleteObject": {
      const r = pickRecord(m, cmd.pick, cmd.rec);
      const rec = cmd.twin ? { ...r, k: twinKey(r.k as Key), v: twinKey(r.v as Key) } : r;
      yield call("deleteObject", t, rec);
      m.deleteObject(rec);
      return;
    }
    case "read": {
      const k = pickKey(m, cmd.pick, cmd.key);
      assert.deepEqual(yield call("read", t, k), m.read(k), `read(${String(k)})`);
      return;
    }
    case "matchV":
    case "matchW": {
      const attr = cmd.c === "matchV" ? "v" : "w";
      const got = yield call("matchObject", t, { [attr]: cmd.value });
      const expected = m.records().filter((r) => termEquals(r[attr], cmd.value));
      // A bound v goes through the index.
      assertRecords(w, got, expected, `matchObject({${attr}: ${String(cmd.value)}})`, attr === "v");
      return;
    }
    case "matchK": {
      const k = pickKey(m, cmd.pick, cmd.key);
      const got = yield call("matchObject", t, { k, v: "_" });
      assert.deepEqual(got, m.read(k), `matchObject({k: ${String(k)}})`);
      return;
    }
    case "selectV": {
      const spec = [[{ k: "$1", v: "$2", w: "_" }, [[cmd.op, "$2", { const: cmd.value }]], ["$_"]]];
      const got = yield call("select", t, spec);
      const expected = m.records().filter((r) => guardHolds(cmd.op, r.v, cmd.value));
      assertRecords(w, got, expected, `select v ${cmd.op} ${String(cmd.value)}`);
      return;
    }
    case "selectK": {
      const spec = [[{ k: "$1", v: "_", w: "_" }, [[cmd.op, "$1", { const: cmd.key }]], ["$_"]]];
      const got = yield call("select", t, spec);
      const expected = m.records().filter((r) => guardHolds(cmd.op, r.k, cmd.key));
      assertRecords(w, got, expected, `select k ${cmd.op} ${String(cmd.key)}`);
      return;
    }
    case "indexRead": {
      const got = yield call("indexRead", t, cmd.value, "v");
      const expected = m.records().filter((r) => termEquals(r.v, cmd.value));
      assertRecords(w, got, expected, `indexRead(${String(cmd.value)})`, true);
      return;
    }
    case "allKeys":
      assertKeys(w, yield call("allKeys", t), m.keys(), "allKeys");
      return;
    case "chainNext": {
      const got = yield* chain(w, "next");
      if (w.type === "ordered_set") assertKeyList(w, got, m.keys(), "first/next");
      else assert.deepEqual(got, yield call("allKeys", t), "first/next");
      return;
    }
    case "chainPrev": {
      const got = yield* chain(w, "prev");
      if (w.type === "ordered_set") assertKeyList(w, got, m.keys().reverse(), "last/prev");
      else assert.deepEqual(got, yield call("allKeys", t), "last/prev");
      return;
    }
    case "next":
    case "prev":
      yield* stepCmd(w, cmd.c, pickKey(m, cmd.pick, cmd.key));
      return;
    case "foldl":
    case "foldr": {
      const got = (yield call(cmd.c, t, push, [])) as Rec[];
      if (w.type === "ordered_set")
        assert.deepEqual(got, cmd.c === "foldl" ? m.records() : m.records().reverse(), cmd.c);
      else {
        assertRecords(w, got, m.records(), cmd.c);
        // Unordered: foldr visits in the same order as foldl, as in Mnesia.
        const other = yield call(cmd.c === "foldl" ? "foldr" : "foldl", t, push, []);
        assert.deepEqual(other, got, "foldl and foldr orders");
      }
      return;
    }
    case "size":
      assert.equal(yield call("size", t), w.committed.size(), "size");
      return;
    case "dirtyRead": {
      const k = pickKey(w.committed, cmd.pick, cmd.key);
      assert.deepEqual(yield call("dirtyRead", t, k), w.committed.read(k), "dirtyRead");
      return;
    }
    case "counter": {
      const e = w.counterModel.step(cmd.key, cmd.incr);
      const got = yield call("updateCounter", w.counters, cmd.key, cmd.incr);
      assert.deepEqual(got, e.value, `updateCounter(${String(cmd.key)}, ${String(cmd.incr)})`);
      assert.deepEqual(
        yield call("dirtyRead", w.counters, cmd.key),
        [{ k: e.key, c: e.value }],
        "counter record",
      );
      return;
    }
    case "check":
      yield* checkAll(w);
      return;
  }
}

export function* runCmds(w: World, cmds: readonly Cmd[]): Steps {
  for (const c of cmds) yield* runCmd(w, c);
}

/** Checks the committed state with dirty reads (outside any activity). */
export function checkCommitted(db: Mneme, w: World): void {
  const saved = w.model;
  w.model = w.committed;
  try {
    driveSync(checkAll(w), dirtyApi(db));
    for (const e of w.counterModel.entries.values()) {
      assert.deepEqual(db.dirtyRead(w.counters, e.key), [{ k: e.key, c: e.value }]);
    }
    assert.equal(db.tableInfo(w.counters, "size"), w.counterModel.entries.size);
  } finally {
    w.model = saved;
  }
}

/** Writes `records` with dirty writes, into the table and the committed model. */
export function prefill(db: Mneme, w: World, records: readonly Rec[]): void {
  for (const r of records) {
    db.dirtyWrite(w.table, r);
    w.committed.write(r);
  }
}
