// The child-process helper the crash scenarios share really kills, and on the right line.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runChild } from "./child.js";

describe("runChild", () => {
  it("SIGKILLs on the first line that matches", async () => {
    const r = await runChild("test/crash/fixtures/ticker.ts", [], {
      killOnLine: (l) => l === "TICK 3",
    });
    assert.equal(r.signal, "SIGKILL");
    assert.equal(r.killed, true);
    assert.deepEqual(r.lines.slice(0, 4), ["TICK 0", "TICK 1", "TICK 2", "TICK 3"]);
    assert.ok(r.lines.length < 10, `killed late: ${r.lines.length} lines`);
  });

  it("SIGKILLs after a delay", async () => {
    // Long enough for tsx to start on a loaded machine; the lines before the kill vary.
    const r = await runChild("test/crash/fixtures/ticker.ts", [], { killAfterMs: 5000 });
    assert.equal(r.signal, "SIGKILL");
    assert.equal(r.killed, true);
  });
});
