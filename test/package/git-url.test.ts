// The package installed as `npm install git+<url>` gives it: npm clones the repository, installs
// its dev dependencies and runs `prepare` (tsc) in the clone, and packs the result. A clone of
// this repository's committed HEAD stands for the remote (uncommitted files play no part), and a
// fresh consumer project installs it from a git+file: URL, imports it and runs its binary.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));

/** The environment without the npm_* variables of an enclosing `npm test`. */
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_")),
);

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-git-"));
const repo = path.join(dir, "mneme");
const app = path.join(dir, "app");
const url = `git+file://${repo}`;
let installLog: string;

function run(cmd: string, args: readonly string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: "pipe" });
}

before(() => {
  run("git", ["clone", "--quiet", root, repo], dir);
  fs.mkdirSync(app);
  fs.writeFileSync(
    path.join(app, "package.json"),
    JSON.stringify({
      name: "consumer",
      version: "1.0.0",
      private: true,
      type: "module",
      // What the README asks of a project that installs mneme from a git URL: the native
      // dependencies' checks allowed, and mneme's own `prepare` denied, since npm already ran it
      // in its clone (run again in node_modules it would find neither the sources nor tsc).
      allowScripts: {
        lmdb: true,
        "msgpackr-extract": true,
        "fs-ext-extra-prebuilt": true,
        [url]: false,
      },
    }),
  );
  const out = path.join(dir, "install.txt");
  const fd = fs.openSync(out, "w");
  try {
    execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", url], {
      cwd: app,
      env,
      stdio: ["ignore", fd, fd],
    });
  } finally {
    fs.closeSync(fd);
    installLog = fs.readFileSync(out, "utf8");
  }
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("mneme installed from a git URL", () => {
  it("installs without warnings, with the compiled dist/ and no sources", () => {
    assert.deepEqual(
      installLog.split("\n").filter((l) => /\bwarn\b|\bERR\b/i.test(l)),
      [],
      installLog,
    );
    const pkg = path.join(app, "node_modules", "mneme");
    assert.equal(fs.existsSync(path.join(pkg, "dist", "index.js")), true);
    assert.equal(fs.existsSync(path.join(pkg, "dist", "cli", "main.js")), true);
    assert.equal(fs.existsSync(path.join(pkg, "src")), false);
  });

  it("is imported and works", () => {
    fs.writeFileSync(
      path.join(app, "app.mjs"),
      `import { Mneme } from "mneme";
const db = await Mneme.open();
const t = await db.createTable("person", { attributes: ["name", "age"] });
db.dirtyWrite(t, { name: "ann", age: 40 });
console.log(JSON.stringify(db.dirtyRead(t, "ann")));
await db.close();
`,
    );
    assert.equal(run(process.execPath, ["app.mjs"], app), '[{"name":"ann","age":40}]\n');
  });

  it("runs `npx mneme --help`", () => {
    const help = run("npx", ["--no-install", "mneme", "--help"], app);
    assert.match(help, /^Usage: mneme \[options\] \[command\]/);
  });
});
