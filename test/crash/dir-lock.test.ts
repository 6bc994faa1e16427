// The directory lock across real processes (issue #8, 1.2): a database process in another PID
// namespace (another container on the same volume) is refused while one has the directory open,
// also after the LOCK file was deleted; once the holder is SIGKILLed, an open succeeds at once
// and finds every commit the holder had acknowledged.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Mneme } from "../../src/index.js";
import { ROOT } from "./child.js";

const SCRIPT = "test/crash/fixtures/dir-lock-child.ts";
/** Runs a command in a PID namespace of its own, killed with unshare. */
const OTHER_PID_NAMESPACE = ["unshare", "--pid", "--kill-child", "--mount-proc"];

interface Child {
  readonly proc: ChildProcess;
  /** Resolves with the first stdout line satisfying `test`. */
  line(test: (l: string) => boolean): Promise<string>;
  readonly exited: Promise<void>;
}

function start(args: readonly string[], wrap: readonly string[] = []): Child {
  const [cmd, ...rest] = [...wrap, process.execPath, "--import", "tsx", SCRIPT, ...args];
  const proc = spawn(cmd!, rest, { cwd: ROOT, stdio: ["ignore", "pipe", "inherit"] });
  const lines: string[] = [];
  const waiters: { test: (l: string) => boolean; resolve: (l: string) => void }[] = [];
  let buf = "";
  proc.stdout!.setEncoding("utf8");
  proc.stdout!.on("data", (s: string) => {
    buf += s;
    for (let nl = buf.indexOf("\n"); nl >= 0; nl = buf.indexOf("\n")) {
      const l = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      lines.push(l);
      for (const w of waiters.splice(0)) {
        if (w.test(l)) w.resolve(l);
        else waiters.push(w);
      }
    }
  });
  const exited = new Promise<void>((resolve) => proc.on("close", () => resolve()));
  return {
    proc,
    exited,
    line: (test) =>
      new Promise((resolve, reject) => {
        const seen = lines.find(test);
        if (seen !== undefined) return resolve(seen);
        waiters.push({ test, resolve });
        void exited.then(() =>
          reject(new Error(`child ended without the line: ${lines.join("|")}`)),
        );
      }),
  };
}

let dir = "";
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-crash-lock-"));
  await Mneme.createSchema({ dir });
  const db = await Mneme.open({ dir });
  await db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
  await db.close();
});
after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("directory lock across processes", () => {
  it("another PID namespace is refused, also without LOCK; after SIGKILL an open succeeds at once with every acknowledged commit", async () => {
    const holder = start([dir, "hold"]);
    try {
      await holder.line((l) => l === "commit 5");
      const other = start([dir, "try"], OTHER_PID_NAMESPACE);
      assert.equal(await other.line(() => true), "refused dir_locked");
      await other.exited;

      fs.rmSync(path.join(dir, "LOCK"));
      const again = start([dir, "try"], OTHER_PID_NAMESPACE);
      assert.equal(await again.line(() => true), "refused dir_locked");
      await again.exited;

      const last = await holder.line((l) => l === "commit 20");
      holder.proc.kill("SIGKILL");
      await holder.exited;
      const acknowledged = Number(last.split(" ")[1]);

      const db = await Mneme.open({ dir }); // at once: the kernel dropped the dead holder's lock
      try {
        for (let k = 0; k <= acknowledged; k++) {
          assert.equal(db.dirtyRead("t", k).length, 1, `acknowledged commit ${k} is there`);
        }
      } finally {
        await db.close();
      }
    } finally {
      holder.proc.kill("SIGKILL");
    }
  });
});
