// File-system errors come back as FileError (reason file_error) naming the file and saying what
// to do, never as a raw Node error: a missing parent, a read-only file system, a directory the
// user may not read, a directory that vanished, a backup to a path that cannot be written.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { FileError, Mneme } from "../../src/index.js";
import { withTmpfs } from "./tmpfs.js";

function fileErr(code: string, file: string | RegExp, advice: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof FileError, String(e));
    assert.equal(e.reason, "file_error");
    assert.equal(e.code, code);
    if (typeof file === "string") assert.equal(e.file, file);
    else assert.match(e.file, file);
    assert.match(e.message, advice);
    return true;
  };
}

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), "mneme-fserr-"));
}

describe("file-system errors are typed", () => {
  it("createSchema with a missing parent: ENOENT, and nothing is created (as Mnesia)", async () => {
    const base = tmp();
    try {
      const dir = path.join(base, "missing", "db");
      await assert.rejects(
        Mneme.createSchema({ dir }),
        fileErr("ENOENT", dir, /creating the schema failed: it does not exist/),
      );
      assert.deepEqual(fs.readdirSync(base), []);
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  it("open on a read-only file system: EROFS", async () => {
    await withTmpfs("1m", async (dir) => {
      await Mneme.createSchema({ dir });
      execFileSync("mount", ["-o", "remount,ro", dir]);
      await assert.rejects(
        Mneme.open({ dir }),
        fileErr("EROFS", new RegExp(`^${dir}/`), /the file system is read-only/),
      );
    });
  });

  it("open in a directory the user may not read: EACCES", async () => {
    const base = tmp();
    try {
      const dir = path.join(base, "db");
      await Mneme.createSchema({ dir });
      fs.chmodSync(base, 0o755);
      fs.chmodSync(dir, 0o700); // root's; the child runs as nobody
      const out = execFileSync(
        process.execPath,
        ["--import", "tsx", path.join(import.meta.dirname, "fs-errors-child.ts"), dir],
        { uid: 65534, gid: 65534, cwd: path.resolve(import.meta.dirname, "../..") },
      ).toString();
      assert.match(out.trim(), new RegExp(`^FileError EACCES ${dir}`));
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  it("a directory that vanished: fsync and checkpoint fail with ENOENT naming the file", async () => {
    const base = tmp();
    try {
      const dir = path.join(base, "db");
      await Mneme.createSchema({ dir });
      const db = await Mneme.open({ dir });
      const t = await db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
      db.dirtyWrite(t, { k: 1, v: 1 });
      fs.rmSync(dir, { recursive: true });
      // The write goes to the deleted file without complaint; the fsync must not call it durable.
      await assert.rejects(
        db.transaction(async (tx) => tx.write(t, { k: 2, v: 2 })),
        fileErr("ENOENT", new RegExp(`^${dir}/wal/wal-\\d+\\.log$`), /deleted while in use/),
      );
      // A checkpoint first makes the log durable up to its position: the same refusal.
      await assert.rejects(
        db.dumpLog(),
        fileErr("ENOENT", new RegExp(`^${dir}/wal/wal-\\d+\\.log$`), /deleted while in use/),
      );
      await db.close();
    } finally {
      fs.rmSync(base, { recursive: true, force: true });
    }
  });

  it("a backup to a path that cannot be written: ENOENT, EROFS", async () => {
    const db = await Mneme.open();
    try {
      await db.createTable("t", { attributes: ["k", "v"] });
      const missing = path.join(os.tmpdir(), "mneme-no-such-dir", "b.bup");
      await assert.rejects(
        db.backup(missing),
        // The error names the user's file, not the internal `.tmp` one.
        fileErr("ENOENT", missing, /creating the backup file failed/),
      );
      await withTmpfs("1m", async (dir) => {
        execFileSync("mount", ["-o", "remount,ro", dir]);
        const file = path.join(dir, "b.bup");
        await assert.rejects(
          db.backup(file),
          fileErr("EROFS", file, /the file system is read-only/),
        );
      });
    } finally {
      await db.close();
    }
  });
});
