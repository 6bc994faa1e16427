// The mneme CLI on a directory that a running service holds (issue #9, item 8): read-only commands
// go through the service's control socket, commands that write are refused naming the holder.
// Real processes: a service (test/control/fixtures/holder.ts) and the CLI.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileBackupModule, Mneme } from "../../src/index.js";
import { cli, ROOT } from "./run-cli.js";

const HOLDER = "test/control/fixtures/holder.ts";

interface Holder {
  readonly proc: ChildProcess;
  readonly pid: number;
  /** Closes the database (SIGTERM: closeOnSignals) and waits for the process to exit. */
  stop(): Promise<void>;
}

/** Starts a service holding `dir`; resolves once it is ready. */
function hold(dir: string, control: "on" | "off", mode: "busy" | "quiet"): Promise<Holder> {
  const proc = spawn(process.execPath, ["--import", "tsx", HOLDER, dir, control, mode], {
    cwd: ROOT,
    stdio: ["ignore", "pipe", "inherit"],
  });
  const exited = new Promise<void>((resolve) => proc.on("close", () => resolve()));
  let out = "";
  return new Promise((resolve, reject) => {
    proc.stdout!.setEncoding("utf8");
    proc.stdout!.on("data", (s: string) => {
      out += s;
      const ready = /^ready (\d+)$/m.exec(out);
      if (ready !== null) {
        resolve({
          proc,
          pid: Number(ready[1]),
          stop: async () => {
            proc.kill("SIGTERM");
            await exited;
          },
        });
      }
    });
    void exited.then(() => reject(new Error(`the holder ended: ${out}`)));
  });
}

const VIA = (dir: string, pid: number) =>
  `mneme: ${dir} is open in process ${pid}: via the running service's control socket\n`;

/** Every record of every user table, by table, in key order. */
async function content(dir: string): Promise<Record<string, unknown[]>> {
  const db = await Mneme.open({ dir, control: false });
  try {
    const out: Record<string, unknown[]> = {};
    for (const t of db.systemInfo("tables")) {
      if (t === "schema") continue;
      const recs = db.dirtyMatchObject(t, { k: "_", v: "_" }).map((r) => ({ ...r }));
      out[t] = recs.sort((a, b) =>
        typeof a.k === "number" && typeof b.k === "number"
          ? a.k - b.k
          : String(a.k).localeCompare(String(b.k)),
      );
    }
    return out;
  } finally {
    await db.close();
  }
}

let root = "";
before(async () => {
  root = await mkdtemp(path.join(tmpdir(), "mneme-cli-control-"));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

describe("CLI on a directory a running service holds", () => {
  it("info, tables and backup go through the control socket; the backup restores into a fresh directory with identical content", async () => {
    const dir = path.join(root, "quiet");
    const holder = await hold(dir, "on", "quiet");
    const file = path.join(root, "quiet.BUP");
    try {
      const info = await cli("info", dir);
      assert.deepEqual(info, {
        code: 0,
        stdout: [
          `directory: ${dir}`,
          "node: nonode@nohost",
          "tables: 2",
          "  t: disc_copies, 500 records",
          "  o: ram_copies, 500 records",
          "log_dumps: 0",
          info.stdout.split("\n")[6]!, // log_bytes: whatever the service's log holds
          "",
        ].join("\n"),
        stderr: VIA(dir, holder.pid),
      });
      assert.match(info.stdout.split("\n")[6]!, /^log_bytes: \d+$/);

      assert.deepEqual(await cli("tables", dir), {
        code: 0,
        stdout: "t\tset\tdisc_copies\t500\tk,v\no\tordered_set\tram_copies\t500\tk,v\n",
        stderr: VIA(dir, holder.pid),
      });

      assert.deepEqual(await cli("backup", dir, file), {
        code: 0,
        stdout: `backup ${file}: 2 tables, 1002 items\n`,
        stderr: VIA(dir, holder.pid),
      });
    } finally {
      await holder.stop();
    }
    const fresh = path.join(root, "quiet-restored");
    const restore = await cli("restore", fresh, file, "--create");
    assert.equal(restore.code, 0, restore.stderr);
    // t (disc_copies) as the service left it on disc; o (ram_copies), which the restored
    // directory does not keep once closed, in the backup as the service had it in RAM.
    const { t } = await content(dir);
    assert.equal(t!.length, 500);
    const o = Array.from({ length: 500 }, (_, k) => ({
      k: `key${k}`,
      v: k % 7 === 0 ? Number.NaN : k / 3,
    })).sort((a, b) => a.k.localeCompare(b.k));
    assert.deepEqual(await content(fresh), { t, o: [] });
    const db = await Mneme.open({ schemaLocation: "ram" });
    const backedUp = await db.traverseBackup(
      file,
      fileBackupModule,
      undefined,
      "read_only",
      (item, acc: unknown[]) => {
        const { table, record } = item as { table?: string; record?: object };
        return [[], table === "o" ? [...acc, { ...record }] : acc];
      },
      [] as unknown[],
    );
    await db.close();
    assert.deepEqual(backedUp, o);
  });

  it("dump (to a file and to -) goes through the control socket while the service writes; it loads into a fresh directory", async () => {
    const dir = path.join(root, "busy");
    const holder = await hold(dir, "on", "busy");
    const text = path.join(root, "busy.txt");
    let stdout = "";
    try {
      assert.deepEqual(await cli("dump", dir, text), {
        code: 0,
        stdout: `dumped 2 tables to ${text}\n`,
        stderr: VIA(dir, holder.pid),
      });
      const toStdout = await cli("dump", dir, "-");
      assert.equal(toStdout.code, 0);
      assert.equal(toStdout.stderr, `${VIA(dir, holder.pid)}dumped 2 tables to standard output\n`);
      stdout = toStdout.stdout;
    } finally {
      await holder.stop();
    }
    for (const dump of [await readFile(text, "utf8"), stdout]) {
      const lines = dump.split("\n");
      assert.equal(lines[0], "%% mneme textfile 1");
      // 500 records of o, 500 of t and up to 50 written since (keys 1000 to 1049).
      const records = lines.filter((l) => l.startsWith("["));
      assert.equal(records.filter((l) => l.startsWith('["o",')).length, 500);
      const t = records.filter((l) => l.startsWith('["t",')).length;
      assert.ok(t >= 500 && t <= 550, `${t} records of t`);
    }
    const fresh = path.join(root, "busy-loaded");
    const load = await cli("load", fresh, text, "--create");
    assert.equal(load.code, 0, load.stderr);
    const loaded = await content(fresh);
    const original = await content(dir);
    assert.deepEqual(loaded.o, original.o);
    assert.deepEqual(loaded.t!.slice(0, 500), original.t!.slice(0, 500));
  });

  it("commands that write are refused naming the holder; without a control socket, read-only ones too", async () => {
    const dir = path.join(root, "nocontrol");
    const holder = await hold(dir, "off", "quiet");
    try {
      const locked = new RegExp(
        `^mneme: dir_locked: ${dir} is locked by process ${holder.pid} on .* \\(as its LOCK file says\\); close it there first`,
      );
      const restore = await cli("restore", dir, path.join(root, "quiet.BUP"));
      assert.equal(restore.code, 1);
      assert.match(restore.stderr, locked);
      const load = await cli("load", dir, path.join(root, "busy.txt"));
      assert.equal(load.code, 1);
      assert.match(load.stderr, locked);
      const info = await cli("info", dir);
      assert.equal(info.code, 1);
      assert.equal(info.stdout, "");
      assert.match(info.stderr, locked);
      assert.match(
        info.stderr,
        /; it has no control socket \(opened with control: false, or still starting\) through which to read it meanwhile\n$/,
      );
    } finally {
      await holder.stop();
    }
  });
});
