// The list-append checker on small histories whose anomalies are known, and on clean ones.
import assert from "node:assert/strict";
import { test } from "node:test";
import { type AnomalyKind, check, type Op, type Txn } from "./checker.js";

let clock = 0;
/** A transaction that ran alone in real time, after every one built before it. */
function seq(id: number, ops: Op[], status: Txn["status"] = "ok"): Txn {
  const invokedAt = clock++;
  return { id, status, ops, invokedAt, completedAt: clock++ };
}
/** A transaction concurrent with every other `par` one (all overlap in [0, 100]). */
function par(id: number, ops: Op[], status: Txn["status"] = "ok"): Txn {
  return { id, status, ops, invokedAt: 0, completedAt: 100 };
}
const kinds = (h: Txn[]): AnomalyKind[] => check(h).map((a) => a.kind);

test("a serial history has no anomaly", () => {
  const h = [
    seq(1, [["append", "x", 1]]),
    seq(2, [
      ["r", "x", [1]],
      ["append", "x", 2],
      ["r", "x", [1, 2]],
    ]),
    seq(3, [
      ["r", "x", [1, 2]],
      ["r", "y", null],
    ]),
  ];
  assert.deepEqual(kinds(h), []);
});

test("G0: two transactions' appends interleave in opposite orders on two keys", () => {
  const h = [
    par(1, [
      ["append", "x", 1],
      ["append", "y", 1],
    ]),
    par(2, [
      ["append", "x", 2],
      ["append", "y", 2],
    ]),
    par(3, [
      ["r", "x", [1, 2]],
      ["r", "y", [2, 1]],
    ]),
  ];
  const found = check(h).filter((a) => a.kind === "G0");
  assert.equal(found.length, 1);
  assert.deepEqual(new Set(found[0]?.cycle), new Set([1, 2]));
});

test("G1a: reading what an aborted transaction appended", () => {
  const h = [par(1, [["append", "x", 1]], "fail"), par(2, [["r", "x", [1]]])];
  assert.deepEqual(kinds(h), ["G1a"]);
});

test("an unknown-outcome transaction's appends may be seen", () => {
  const h = [par(1, [["append", "x", 1]], "info"), par(2, [["r", "x", [1]]])];
  assert.deepEqual(kinds(h), []);
});

test("G1b: reading a transaction's intermediate append", () => {
  const h = [
    par(1, [
      ["append", "x", 1],
      ["append", "x", 2],
    ]),
    par(2, [["r", "x", [1]]]),
    par(3, [["r", "x", [1, 2]]]),
  ];
  assert.deepEqual(kinds(h), ["G1b"]);
});

test("G1c: circular information flow through writes and reads", () => {
  const h = [
    par(1, [
      ["append", "x", 1],
      ["r", "y", [2]],
    ]),
    par(2, [
      ["append", "y", 2],
      ["r", "x", [1]],
    ]),
  ];
  assert.deepEqual(kinds(h), ["G1c"]);
});

test("G2: write skew, each read misses the other's append", () => {
  const h = [
    par(1, [
      ["r", "x", []],
      ["append", "y", 1],
    ]),
    par(2, [
      ["r", "y", []],
      ["append", "x", 2],
    ]),
    par(3, [
      ["r", "x", [2]],
      ["r", "y", [1]],
    ]),
  ];
  assert.deepEqual(kinds(h), ["G2"]);
});

test("G-realtime: a read that misses a write completed before it began (stale read)", () => {
  const h = [seq(1, [["append", "x", 1]]), seq(2, [["r", "x", []]]), seq(3, [["r", "x", [1]]])];
  assert.deepEqual(kinds(h), ["G-realtime"]);
  // The same reads concurrent with the append are serializable.
  assert.deepEqual(
    kinds([par(1, [["append", "x", 1]]), par(2, [["r", "x", []]]), par(3, [["r", "x", [1]]])]),
    [],
  );
});

test("lists that disagree on order, values nobody wrote, duplicate appends, missing own writes", () => {
  assert.deepEqual(
    kinds([
      par(1, [["append", "x", 1]]),
      par(2, [["append", "x", 2]]),
      par(3, [["r", "x", [1, 2]]]),
      par(4, [["r", "x", [2]]]),
    ]),
    ["incompatible-order"],
  );
  assert.deepEqual(kinds([par(1, [["r", "x", [9]]])]), ["garbage-read"]);
  assert.deepEqual(kinds([par(1, [["append", "x", 1]]), par(2, [["append", "x", 1]])]), [
    "duplicate-append",
  ]);
  assert.deepEqual(
    kinds([
      par(1, [
        ["append", "x", 1],
        ["r", "x", []],
      ]),
    ]),
    ["internal"],
  );
});

test("a long serial chain is checked without deep recursion", () => {
  const h: Txn[] = [];
  const list: number[] = [];
  for (let i = 1; i <= 20_000; i++) {
    // Each reads the key it appends to every 1,000th time (whole lists are costly to copy).
    const ops: Op[] = i % 1000 === 0 ? [["r", "k", [...list]]] : [];
    h.push(seq(i, [...ops, ["append", "k", i]]));
    list.push(i);
  }
  assert.deepEqual(kinds(h), []);
});
