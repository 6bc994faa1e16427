// The CLI's s3://bucket/key locations against a real S3-protocol server (s3rver) on loopback,
// the CLI as a real child process configured by the AWS SDK's environment variables and flags.
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import S3rver from "s3rver";
import { Mneme } from "../../src/index.js";
import { runCli } from "./run-cli.js";

const cli = (env: Record<string, string>, ...args: string[]) => runCli(args, { env });

describe("mneme CLI with s3:// locations", () => {
  let tmp: string;
  let dir: string;
  let server: S3rver;
  let endpoint: string;
  const creds = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };

  before(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), "mneme-cli-s3-"));
    server = new S3rver({
      port: 0,
      address: "127.0.0.1",
      silent: true,
      directory: path.join(tmp, "s3"),
      configureBuckets: [{ name: "backups" }],
    });
    const { port } = await server.run();
    endpoint = `http://127.0.0.1:${port}`;
    dir = path.join(tmp, "db");
    await Mneme.createSchema({ dir });
    const db = await Mneme.open({ dir });
    await db.createTable("t", { attributes: ["k", "v"], discCopies: [db.node] });
    for (let i = 0; i < 5; i++) db.dirtyWrite("t", { k: i, v: `v${i}` });
    await db.close();
  });

  after(async () => {
    await server?.close();
    await rm(tmp, { recursive: true, force: true });
  });

  it("backup, traverse, restore --create and fallback install use the S3 object", async () => {
    const flags = ["--endpoint", endpoint, "--path-style"];
    const url = "s3://backups/nightly/db.bup";
    const backup = await cli(creds, "backup", dir, url, ...flags);
    assert.equal(backup.code, 0, backup.stderr);
    assert.equal(backup.stdout, `backup ${url}: 1 tables, 6 items\n`);

    // The endpoint and path style from the environment instead of flags.
    const count = await cli(
      { ...creds, AWS_ENDPOINT_URL: endpoint, AWS_S3_FORCE_PATH_STYLE: "true" },
      "traverse",
      url,
      "--count",
    );
    assert.equal(count.code, 0, count.stderr);
    assert.equal(count.stdout, "6\n");

    const restored = path.join(tmp, "restored");
    const restore = await cli(creds, "restore", restored, url, "--create", ...flags);
    assert.equal(restore.code, 0, restore.stderr);
    assert.equal(restore.stdout, "restored 1 tables:\n  t\n");
    const db = await Mneme.open({ dir: restored });
    try {
      assert.deepEqual(db.dirtyRead("t", 3), [{ k: 3, v: "v3" }]);
    } finally {
      await db.close();
    }

    const install = await cli(creds, "fallback", "install", restored, url, ...flags);
    assert.equal(install.code, 0, install.stderr);
    assert.match(install.stdout, /^fallback installed in /);
  });

  it("a missing object or wrong credentials fail with one line that never shows the secret", async () => {
    const flags = ["--endpoint", endpoint, "--path-style"];
    const missing = await cli(creds, "traverse", "s3://backups/none.bup", ...flags);
    assert.equal(missing.code, 1);
    assert.equal(missing.stderr.split("\n").filter((l) => l !== "").length, 1, missing.stderr);
    assert.match(missing.stderr, /^mneme: no_exists: .*s3:\/\/backups\/none\.bup/);

    const secret = "TOP-SECRET-never-printed";
    const wrong = await cli(
      { AWS_ACCESS_KEY_ID: "NOT-A-KEY", AWS_SECRET_ACCESS_KEY: secret },
      "backup",
      dir,
      "s3://backups/x.bup",
      ...flags,
    );
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /^mneme: .*s3:\/\/backups\/x\.bup/);
    assert.ok(!wrong.stderr.includes(secret), wrong.stderr);
    assert.ok(!wrong.stdout.includes(secret));
  });
});
