// The run order of an upgrade plan: insertion rules, then dependencies (before on up, after on
// down); missing anchors, missing dependencies, cycles and duplicates refused with bad_plan.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { InsertWhere, Instruction } from "../../src/index.js";
import { UpgradeError } from "../../src/index.js";
import { orderInstructions } from "../../src/upgrade/plan/order.js";

function ins(
  name: string,
  dependencies: readonly string[] = [],
  insertWhere?: InsertWhere,
): Instruction {
  return { name, dependencies, ...(insertWhere ? { insertWhere } : {}), run: () => {} };
}

const names = (list: readonly Instruction[]) => list.map((i) => i.name);

function refused(fn: () => unknown, pattern: RegExp): void {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof UpgradeError);
    assert.equal(e.reason, "bad_plan");
    assert.match(e.message, pattern);
    return true;
  });
}

describe("upgrade plan order", () => {
  it("keeps the list order when nothing says otherwise", () => {
    assert.deepEqual(names(orderInstructions([ins("a"), ins("b"), ins("c")], "up")), [
      "a",
      "b",
      "c",
    ]);
  });

  it("insertion rules: start, before, after, append", () => {
    const list = [
      ins("a"),
      ins("b"),
      ins("s", [], "start"),
      ins("x", [], { before: "b" }),
      ins("y", [], { after: "a" }),
      ins("z", [], "append"),
    ];
    assert.deepEqual(names(orderInstructions(list, "up")), ["s", "a", "y", "x", "b", "z"]);
  });

  it("dependencies run first on up, moving as little as possible", () => {
    const list = [ins("a", ["c"]), ins("b"), ins("c", ["d"]), ins("d")];
    assert.deepEqual(names(orderInstructions(list, "up")), ["b", "d", "c", "a"]);
  });

  it("dependencies run after on down", () => {
    const list = [ins("c"), ins("a", ["c"]), ins("b")];
    // a depends on c: on a downgrade a runs before c.
    assert.deepEqual(names(orderInstructions(list, "down")), ["a", "c", "b"]);
  });

  it("dependencies override insertion rules", () => {
    const list = [ins("a", ["b"]), ins("b", [], "append")];
    assert.deepEqual(names(orderInstructions(list, "up")), ["b", "a"]);
  });

  it("refuses a missing dependency", () => {
    refused(
      () => orderInstructions([ins("a", ["nope"])], "up"),
      /up: a depends on nope, which is not in the plan/,
    );
  });

  it("refuses a cycle, naming it", () => {
    const list = [ins("x"), ins("a", ["b"]), ins("b", ["c"]), ins("c", ["a"])];
    refused(
      () => orderInstructions(list, "up"),
      /cycle \(each runs after the next\): a -> b -> c -> a/,
    );
    refused(
      () => orderInstructions([ins("s", ["s"])], "down"),
      /cycle \(each runs after the next\): s -> s/,
    );
  });

  it("refuses an anchor that is missing or placed later", () => {
    refused(
      () => orderInstructions([ins("a", [], { after: "ghost" })], "up"),
      /a is inserted next to ghost, which is not in the plan/,
    );
    refused(
      () => orderInstructions([ins("a", [], { before: "b" }), ins("b")], "up"),
      /a is inserted before b, which comes later in the list/,
    );
  });

  it("refuses duplicate names, nameless and run-less instructions", () => {
    refused(() => orderInstructions([ins("a"), ins("a")], "up"), /two instructions are named a/);
    refused(() => orderInstructions([{ name: "", run: () => {} }], "up"), /needs a non-empty name/);
    refused(
      () => orderInstructions([{ name: "a" } as unknown as Instruction], "up"),
      /needs a run function/,
    );
  });
});
