// Importing Mneme (the library or the CLI) does not load the AWS SDK: only the S3 backup module
// needs it, and it loads it when it first reads or writes an object.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const hook = fileURLToPath(new URL("./fixtures/record-resolve.mjs", import.meta.url));
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-import-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** The module URLs a fresh `node` resolves while running `code` (ESM, in the repository root). */
function resolvedBy(code: string): string[] {
  const log = path.join(dir, `${Math.random().toString(36).slice(2)}.log`);
  fs.writeFileSync(log, "");
  execFileSync(
    process.execPath,
    ["--import", "tsx", "--import", hook, "--input-type=module", "--eval", code],
    { cwd: root, env: { ...process.env, MNEME_RESOLVE_LOG: log }, stdio: "pipe" },
  );
  return fs.readFileSync(log, "utf8").split("\n").filter(Boolean);
}

const aws = (urls: string[]): string[] => urls.filter((u) => u.includes("/@aws-sdk/"));

describe("import cost", () => {
  it("importing the package and creating an S3 backup module loads no @aws-sdk module", () => {
    const urls = resolvedBy(`
      const { s3BackupModule, Mneme } = await import("./src/index.ts");
      s3BackupModule({ region: "eu-west-1" });
      const db = await Mneme.open();
      await db.close();
    `);
    assert.ok(urls.some((u) => u.endsWith("/src/index.ts")));
    assert.deepEqual(aws(urls), []);
  });

  it("importing the CLI loads no @aws-sdk module", () => {
    const urls = resolvedBy(`await import("./src/cli/main.ts");`);
    assert.ok(urls.some((u) => u.endsWith("/src/cli/main.ts")));
    assert.deepEqual(aws(urls), []);
  });

  it("the SDK is loaded when the S3 module first needs it", () => {
    const urls = resolvedBy(`
      const { loadAwsSdk } = await import("./src/backup/aws-sdk.ts");
      await loadAwsSdk();
    `);
    assert.ok(aws(urls).some((u) => u.includes("/@aws-sdk/client-s3/")));
    assert.ok(aws(urls).some((u) => u.includes("/@aws-sdk/lib-storage/")));
  });
});
