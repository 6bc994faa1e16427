// `mneme upgrade <dir> <plan.js> [--dry-run] [--down]` and `mneme version <dir>`: real CLI
// processes on a real disc database.
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { Mneme } from "../../src/index.js";
import { cli } from "./run-cli.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

let root: string;
let dir: string;
let planFile: string;
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "mneme-cli-upgrade-"));
  dir = path.join(root, "db");
  const db = await Mneme.open({ dir, create: true });
  await db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
  for (let k = 1; k <= 3; k++) db.dirtyWrite("t", { k, v: k });
  await db.close();
  planFile = path.join(root, "plan.mjs");
  const src = pathToFileURL(path.join(ROOT, "src/index.ts")).href;
  await writeFile(
    planFile,
    `import { upgradeStep } from ${JSON.stringify(src)};
export default {
  from: 0,
  to: 1,
  up: [
    upgradeStep.check("t has records", (db) => { if (db.tableInfo("t", "size") === 0) throw new Error("empty"); }),
    upgradeStep.transformTable("t", (r) => ({ k: r.k, v: r.v, w: r.v * 10 }), ["k", "v", "w"]),
  ],
  down: [upgradeStep.transformTable("t", (r) => ({ k: r.k, v: r.v }), ["k", "v"])],
};
`,
  );
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("mneme upgrade / version", () => {
  it("dry run, upgrade, version, downgrade", async () => {
    const dry = await cli("upgrade", dir, planFile, "--dry-run");
    assert.equal(dry.stderr, "");
    assert.equal(
      dry.stdout,
      "1. t has records (check)\n2. transformTable:t  <- point of no return\n" +
        "dry run 0 -> 1: 2 instructions, checks passed\n",
    );
    assert.equal((await cli("version", dir)).stdout, "schema version: 0\n");

    const up = await cli("upgrade", dir, planFile);
    assert.equal(up.code, 0, up.stderr);
    assert.match(up.stdout, /upgraded .* from version 0 to 1\n$/);
    const v = await cli("version", dir);
    assert.match(v.stdout, /^schema version: 1\n#1 \S+ up 0 -> 1: success\n$/);

    const again = await cli("upgrade", dir, planFile);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^mneme: version_mismatch: the database is at schema version 1/);

    const down = await cli("upgrade", dir, planFile, "--down");
    assert.equal(down.code, 0, down.stderr);
    const db = await Mneme.open({ dir });
    assert.equal(db.systemInfo("schema_version"), 0);
    assert.deepEqual(db.dirtyRead("t", 2), [{ k: 2, v: 2 }]);
    await db.close();
  });

  it("a file without a plan is a usage error", async () => {
    const bad = path.join(root, "bad.mjs");
    await writeFile(bad, "export const x = 1;\n");
    const r = await cli("upgrade", dir, bad);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /must export an upgrade plan/);
  });
});
