// The control socket across a SIGKILL (issue #9, item 8): a killed service leaves its socket and
// CONTROL note behind; the next service replaces both, so the CLI reaches it through its socket,
// and once that one is killed too the CLI opens the directory itself and clears them.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { cli } from "../cli/run-cli.js";
import { ROOT, runChild } from "./child.js";

const HOLDER = "test/control/fixtures/holder.ts";

let dir = "";
before(() => {
  dir = path.join(mkdtempSync(path.join(os.tmpdir(), "mneme-crash-control-")), "db");
});
after(() => {
  rmSync(path.dirname(dir), { recursive: true, force: true });
});

describe("control socket after SIGKILL", () => {
  it("the stale socket is left, the next service replaces it, and the CLI opens a directory nobody holds itself", async () => {
    const socket = path.join(dir, "control.sock");
    const killed = await runChild(HOLDER, [dir, "on", "busy"], {
      killOnLine: (l) => l.startsWith("ready "),
      delayMs: 300,
    });
    assert.equal(killed.signal, "SIGKILL");
    const killedPid = Number(killed.lines[0]!.split(" ")[1]);
    assert.equal(lstatSync(socket).isSocket(), true, "the killed service's socket is left");
    // The file system may give the new socket the stale one's inode number: its birth time tells.
    const stale = lstatSync(socket, { bigint: true });
    assert.equal(JSON.parse(readFileSync(path.join(dir, "CONTROL"), "utf8")).pid, killedPid);

    // The next service replaces the socket and the note; the CLI reaches it through them.
    const next = spawn(process.execPath, ["--import", "tsx", HOLDER, dir, "on", "quiet"], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const exited = new Promise<void>((resolve) => next.on("close", () => resolve()));
    try {
      const ready = await new Promise<string>((resolve, reject) => {
        let out = "";
        next.stdout!.setEncoding("utf8");
        next.stdout!.on("data", (d: string) => {
          out += d;
          if (out.includes("\n")) resolve(out.split("\n")[0]!);
        });
        void exited.then(() => reject(new Error(`the second service ended: ${out}`)));
      });
      const pid = Number(ready.split(" ")[1]);
      const fresh = lstatSync(socket, { bigint: true });
      assert.ok(
        fresh.ino !== stale.ino || fresh.ctimeNs !== stale.ctimeNs,
        "a new socket, not the stale one",
      );
      assert.equal(lstatSync(socket).mode & 0o777, 0o600);
      assert.equal(JSON.parse(readFileSync(path.join(dir, "CONTROL"), "utf8")).pid, pid);
      const via = await cli("tables", dir);
      assert.equal(via.code, 0, via.stderr);
      assert.equal(
        via.stderr,
        `mneme: ${dir} is open in process ${pid}: via the running service's control socket\n`,
      );
      assert.match(via.stdout, /^t\tset\tdisc_copies\t5\d\d\tk,v\n/);
    } finally {
      next.kill("SIGKILL");
      await exited;
    }
    assert.equal(lstatSync(socket).isSocket(), true, "the second service's socket is left too");

    // Nobody holds the directory: the CLI reads it itself, not through the dead socket, and
    // clears what the killed service left.
    const info = await cli("info", dir);
    assert.equal(info.code, 0, info.stderr);
    assert.equal(info.stderr, "");
    assert.match(info.stdout, /^ {2}t: disc_copies, 5\d\d records$/m);
    assert.equal(existsSync(socket), false);
    assert.equal(existsSync(path.join(dir, "CONTROL")), false);
  });
});
