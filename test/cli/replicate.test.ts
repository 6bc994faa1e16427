// `mneme replicate` (a real child process, stopped by SIGINT), `mneme replicas` and
// `mneme restore-replica` (dry run, position, refusal, replace) on a file:// replica.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { Mneme } from "../../src/index.js";
import { cli } from "./run-cli.js";

const ROOT = path.resolve(import.meta.dirname, "../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-cli-replicate-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("mneme replicate, replicas, restore-replica", () => {
  it("replicates until SIGINT, lists the replica, restores it", async () => {
    const dir = path.join(tmp, "db");
    const replica = path.join(tmp, "replica");
    const url = pathToFileURL(replica).href;
    await Mneme.createSchema({ dir });
    const db = await Mneme.open({ dir });
    await db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
    for (let i = 0; i < 10; i++) db.dirtyWrite("t", { k: i, v: `v${i}` });
    await db.close();

    const child = spawn(
      process.execPath,
      ["--import", "tsx", "src/cli/main.ts", "replicate", dir, url, "--sync-interval", "50"],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => {
      out += s;
    });
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      err += s;
    });
    const exited = new Promise<number | null>((resolve) =>
      child.on("exit", (code) => resolve(code)),
    );
    const deadline = Date.now() + 30_000;
    while (!out.includes("running:") && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.match(out, /^replicating .* to file:\/\/.* \(async\); stop with Ctrl-C\n/);
    assert.match(
      out,
      /running: shipped position \d+, lag 0 positions \/ 0 ms, 1 objects, 2 PUT 0 LIST\n/,
    );
    child.kill("SIGINT");
    assert.equal(await exited, 0, err);
    assert.match(out, /stopped: shipped position \d+, 1 objects, \d+ bytes\n$/);

    const list = await cli("replicas", url);
    assert.equal(list.code, 0, list.stderr);
    const lines = list.stdout.trimEnd().split("\n");
    assert.equal(lines.length, 2);
    assert.match(lines[0]!, /^snapshot position (\d+) \S+ \d+ bytes snapshots\/\d{16}\.snap$/);
    const pos = Number(/position (\d+)/.exec(lines[0]!)![1]);
    assert.match(lines[1]!, new RegExp(`^restorable: positions ${pos}-${pos} \\(`));

    const target = path.join(tmp, "restored");
    const dry = await cli("restore-replica", url, target, "--dry-run");
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, new RegExp(`^snapshot snapshots/\\d{16}\\.snap \\(position ${pos}, `));
    assert.match(
      dry.stdout,
      new RegExp(`would restore .* to position ${pos} .* from 1 objects\\n$`),
    );
    assert.equal(fs.existsSync(target), false);

    const done = await cli("restore-replica", url, target, "--position", String(pos));
    assert.equal(done.code, 0, done.stderr);
    assert.match(
      done.stdout,
      new RegExp(
        `^restored .* to position ${pos} \\(.*\\) from 1 snapshot and 0 segments, checksum 10-`,
      ),
    );
    const again = await cli("restore-replica", url, target);
    assert.equal(again.code, 1);
    assert.match(
      again.stderr,
      /^mneme: already_exists: .* holds a database: restoreReplica leaves it alone unless replace/,
    );
    const replaced = await cli("restore-replica", url, target, "--replace");
    assert.equal(replaced.code, 0, replaced.stderr);
    const restored = await Mneme.open({ dir: target });
    assert.equal(restored.dirtyAllKeys("t").length, 10);
    await restored.close();

    const bad = await cli(
      "restore-replica",
      url,
      target,
      "--position",
      "1",
      "--timestamp",
      "2020-01-01",
    );
    assert.equal(bad.code, 2);
    assert.equal(bad.stderr, "mneme: give --timestamp or --position, not both\n");
  });
});
