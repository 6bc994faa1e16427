// End-to-end tests of the mneme CLI: real child processes on real disc databases.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import {
  appendFile,
  lstat,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { Mneme } from "../../src/index.js";
import { type CliRun, cli } from "./run-cli.js";

const ROOT = path.resolve(import.meta.dirname, "../..");

type Run = CliRun;

/** `script` run by sh, with `$MNEME` the CLI command: for real shell pipelines. */
function shell(script: string): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      "sh",
      ["-c", script],
      {
        cwd: ROOT,
        timeout: 60_000,
        env: { ...process.env, MNEME: `${process.execPath} --import tsx src/cli/main.ts` },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : -1;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

function stderrLines(run: Run): string[] {
  return run.stderr.split("\n").filter((l) => l !== "");
}

async function withDb<T>(dir: string, fn: (db: Mneme) => T | Promise<T>): Promise<T> {
  const db = await Mneme.open({ dir });
  try {
    return await fn(db);
  } finally {
    await db.close();
  }
}

function sortedRecords(db: Mneme): unknown[] {
  return db
    .dirtyMatchObject("t", { k: "_", v: "_" })
    .map((r) => ({ ...r }))
    .sort((a, b) => Number(a.k) - Number(b.k));
}

describe("mneme CLI", () => {
  let tmp: string;
  let dir: string;

  before(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), "mneme-cli-"));
    dir = path.join(tmp, "db");
    await Mneme.createSchema({ dir });
    await withDb(dir, async (db) => {
      await db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
      for (let i = 0; i < 5; i++) db.dirtyWrite("t", { k: i, v: BigInt(i) * 10n });
    });
  });

  after(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("tables and info describe the database", async () => {
    // One after the other: each opens the database, and a directory is opened by one process at
    // a time (the second would get dir_locked).
    const tables = await cli("tables", dir);
    const info = await cli("info", dir);
    assert.equal(tables.code, 0, tables.stderr);
    assert.deepEqual(tables.stdout.trim().split("\n"), ["t\tset\tdisc_copies\t5\tk,v"]);
    assert.equal(info.code, 0, info.stderr);
    assert.match(info.stdout, /^directory: /m);
    assert.match(info.stdout, /^ {2}t: disc_copies, 5 records$/m);
    assert.match(info.stdout, /^log_dumps: \d+$/m);
    assert.match(info.stdout, /^log_bytes: \d+$/m);
    assert.equal(info.stderr, "");
  });

  it("backup, traverse and restore --default-op clear_tables round-trip the data", async () => {
    const file = path.join(tmp, "t.bup");
    const before = await withDb(dir, sortedRecords);
    const backup = await cli("backup", dir, file);
    assert.equal(backup.code, 0, backup.stderr);
    assert.match(backup.stdout, /1 tables, 6 items/);

    const [count, list] = await Promise.all([
      cli("traverse", file, "--count"),
      cli("traverse", file),
    ]);
    assert.equal(count.code, 0, count.stderr);
    assert.equal(count.stdout, "6\n");
    assert.equal(list.code, 0, list.stderr);
    const items = list.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { table?: string; record?: { v: unknown } });
    assert.equal(items.length, 6);
    const records = items.filter((i) => i.table === "t");
    assert.equal(records.length, 5);
    assert.ok(
      records.every((r) => typeof r.record?.v === "string"),
      "bigints as strings",
    );

    await withDb(dir, (db) => {
      db.dirtyDelete("t", 0);
      db.dirtyWrite("t", { k: 1, v: "changed" });
      db.dirtyWrite("t", { k: 99, v: "new" });
    });
    const restore = await cli("restore", dir, file, "--default-op", "clear_tables");
    assert.equal(restore.code, 0, restore.stderr);
    assert.match(restore.stdout, /restored 1 tables/);
    assert.match(restore.stdout, /^ {2}t$/m);
    assert.deepEqual(await withDb(dir, sortedRecords), before);
  });

  it("dump and load copy the tables into a fresh schema", async () => {
    const text = path.join(tmp, "t.txt");
    const dir2 = path.join(tmp, "db2");
    await Mneme.createSchema({ dir: dir2 });
    const dump = await cli("dump", dir, text);
    assert.equal(dump.code, 0, dump.stderr);
    const load = await cli("load", dir2, text);
    assert.equal(load.code, 0, load.stderr);
    assert.match(load.stdout, /loaded 1 tables/);
    assert.deepEqual(await withDb(dir2, sortedRecords), await withDb(dir, sortedRecords));
  });

  it("init creates a schema; restore and load --create fill a new directory", async () => {
    const fresh = path.join(tmp, "fresh");
    const init = await cli("init", fresh);
    assert.equal(init.code, 0, init.stderr);
    assert.equal(init.stdout, `schema created in ${fresh}\n`);
    const tables = await cli("tables", fresh);
    assert.equal(tables.code, 0, tables.stderr);
    assert.equal(tables.stdout, "");
    const emptyBup = path.join(tmp, "empty.bup");
    const emptyBackup = await cli("backup", fresh, emptyBup);
    assert.equal(emptyBackup.code, 0, emptyBackup.stderr);
    assert.equal(emptyBackup.stdout, `backup ${emptyBup}: 0 tables, 0 items\n`);
    assert.equal((await cli("traverse", emptyBup, "--count")).stdout, "0\n");
    const again = await cli("init", fresh);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^mneme: /);

    const file = path.join(tmp, "create.bup");
    const text = path.join(tmp, "create.txt");
    assert.equal((await cli("backup", dir, file)).code, 0);
    assert.equal((await cli("dump", dir, text)).code, 0);
    const r = path.join(tmp, "restored");
    const l = path.join(tmp, "loaded");
    const [restore, load] = await Promise.all([
      cli("restore", r, file, "--create", "--default-op", "recreate_tables"),
      cli("load", l, text, "--create"),
    ]);
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal(load.code, 0, load.stderr);
    const expected = await withDb(dir, sortedRecords);
    assert.deepEqual(await withDb(r, sortedRecords), expected);
    assert.deepEqual(await withDb(l, sortedRecords), expected);
  });

  it("- is standard output for dump and backup; /dev/stdout and symlinks are written through", async () => {
    const text = path.join(tmp, "plain.txt");
    assert.equal((await cli("dump", dir, text)).code, 0);
    const dump = await shell(`$MNEME dump ${dir} - | cat`);
    assert.equal(dump.code, 0, dump.stderr);
    assert.equal(dump.stdout, await readFile(text, "utf8"));
    assert.equal(dump.stderr, "dumped 1 tables to standard output\n");

    const viaDash = path.join(tmp, "dash.bup");
    const viaDev = path.join(tmp, "dev.bup");
    const b1 = await shell(`$MNEME backup ${dir} - | cat > ${viaDash}`);
    assert.equal(b1.code, 0, b1.stderr);
    assert.equal(b1.stdout, "");
    assert.equal(b1.stderr, "backup -: 1 tables, 6 items\n");
    const b2 = await shell(`$MNEME backup ${dir} /dev/stdout | cat > ${viaDev}`);
    assert.equal(b2.code, 0, b2.stderr);
    assert.equal((await lstat("/dev/stdout")).isSymbolicLink(), true);
    for (const f of [viaDash, viaDev]) {
      const count = await cli("traverse", f, "--count");
      assert.equal(count.stdout, "6\n", `${f}: ${count.stderr}`);
    }

    // A symlink stays a symlink: the backup replaces its target.
    const target = path.join(tmp, "target.bup");
    const link = path.join(tmp, "link.bup");
    await writeFile(target, "old");
    await symlink(target, link);
    const b3 = await cli("backup", dir, link);
    assert.equal(b3.code, 0, b3.stderr);
    assert.equal((await lstat(link)).isSymbolicLink(), true);
    assert.equal((await cli("traverse", target, "--count")).stdout, "6\n");
  });

  it("a reader that stops early (| head -1) ends the CLI quietly", async () => {
    const big = path.join(tmp, "big");
    await Mneme.createSchema({ dir: big });
    await withDb(big, async (db) => {
      await db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
      for (let i = 0; i < 20_000; i++) db.dirtyWrite("t", { k: i, v: "x".repeat(50) });
    });
    const rc = path.join(tmp, "rc");
    const run = await shell(`($MNEME dump ${big} - 2>&1; echo $? > ${rc}) | head -1`);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, "%% mneme textfile 1\n");
    assert.equal(run.stderr, "");
    assert.equal(await readFile(rc, "utf8"), "0\n");
  });

  it("prints a repair made while opening; errors name the user's file, not a tmp file", async () => {
    const damaged = path.join(tmp, "damaged");
    await Mneme.createSchema({ dir: damaged });
    await withDb(damaged, async (db) => {
      await db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
      for (let k = 0; k < 3; k++) await db.transaction(async (tx) => tx.write("t", { k, v: k }));
    });
    const wal = path.join(damaged, "wal");
    const segment = path.join(wal, (await readdir(wal)).sort().at(-1) ?? "");
    const size = (await stat(segment)).size;
    await appendFile(segment, Buffer.from([1, 2, 3, 4, 5]));
    const info = await cli("info", damaged);
    assert.equal(info.code, 0, info.stderr);
    assert.equal(
      info.stderr,
      `mneme: warning: the log was damaged: 5 bytes cut from ${segment} at offset ${size} (truncated_binary_file)\n`,
    );

    const missing = path.join(tmp, "no-such-dir");
    // One after the other: each takes the directory lock.
    const backup = await cli("backup", dir, path.join(missing, "x.bup"));
    const dump = await cli("dump", dir, path.join(missing, "x.txt"));
    for (const [run, file] of [
      [backup, "x.bup"],
      [dump, "x.txt"],
    ] as const) {
      assert.equal(run.code, 1);
      assert.equal(
        run.stderr,
        "mneme: file_error: " +
          `${run === backup ? "creating the backup file" : "writing the text file"} failed: it does not exist; ` +
          `check the path (its parent directory must exist) (${path.join(missing, file)}: ENOENT)\n`,
      );
    }
  });

  it("fallback install and uninstall", async () => {
    const file = path.join(tmp, "fallback.BUP");
    assert.equal((await cli("backup", dir, file)).code, 0);
    await withDb(dir, (db) => db.dirtyWrite("t", { k: 77, v: 0n }));
    const install = await cli("fallback", "install", dir, file);
    assert.equal(install.code, 0, install.stderr);
    assert.match(install.stdout, /fallback installed/);
    const un = await cli("fallback", "uninstall", dir);
    assert.equal(un.code, 0, un.stderr);
    assert.match(un.stdout, /fallback uninstalled/);
    assert.equal((await cli("fallback", "install", dir, file)).code, 0);
    // The next start applies it: the record written after the backup is gone.
    await withDb(dir, (db) => assert.deepEqual(db.dirtyRead("t", 77), []));
  });

  it("fails with one stderr line and the right exit code", async () => {
    const empty = path.join(tmp, "empty");
    const corrupt = path.join(tmp, "corrupt.bup");
    await writeFile(corrupt, "this is not a backup at all, not even close");
    const [noSchema, bad, unknown, badOp] = await Promise.all([
      cli("info", empty),
      cli("traverse", corrupt, "--count"),
      cli("frobnicate"),
      cli("restore", dir, corrupt, "--default-op", "nonsense"),
    ]);
    assert.equal(noSchema.code, 1);
    assert.equal(stderrLines(noSchema).length, 1, noSchema.stderr);
    assert.match(noSchema.stderr, /^mneme: .*no_schema/);
    assert.equal(noSchema.stdout, "");

    assert.equal(bad.code, 1);
    assert.equal(stderrLines(bad).length, 1, bad.stderr);
    assert.ok(bad.stderr.startsWith("mneme: "));
    assert.equal(
      bad.stderr,
      `mneme: not_a_log_file: not a Mneme backup file (${corrupt} at offset 0)\n`,
    );

    assert.notEqual(unknown.code, 0);
    assert.match(unknown.stderr, /unknown command/);

    assert.notEqual(badOp.code, 0);
    assert.match(badOp.stderr, /nonsense/);
  });
});
