// The package as a user gets it: `npm pack`'s tarball installed into a fresh project, imported
// from plain ESM JavaScript and from strict TypeScript, and its `mneme` binary run with npx.
// Dependencies come from npm's cache (or the registry); the package itself from the tarball.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../..", import.meta.url));
const require = createRequire(import.meta.url);
const versionOf = (pkg: string): string =>
  (require(`${pkg}/package.json`) as { version: string }).version;

/** The environment without the npm_* variables of an enclosing `npm test`. */
const env = Object.fromEntries(
  Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith("npm_")),
);

interface Packed {
  readonly filename: string;
  readonly size: number;
  readonly files: readonly { readonly path: string }[];
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-consumer-"));
const app = path.join(dir, "app");
let packed: Packed;
let installLog: string;

function run(cmd: string, args: readonly string[], cwd: string): string {
  return execFileSync(cmd, args, { cwd, env, encoding: "utf8", stdio: "pipe" });
}

/** Runs a command, returning its stdout and stderr together (npm writes warnings to stderr). */
function runAll(cmd: string, args: readonly string[], cwd: string): string {
  const out = path.join(dir, "out.txt");
  const fd = fs.openSync(out, "w");
  try {
    execFileSync(cmd, args, { cwd, env, stdio: ["ignore", fd, fd] });
  } finally {
    fs.closeSync(fd);
  }
  return fs.readFileSync(out, "utf8");
}

before(() => {
  // `npm pack` runs `prepare`, which builds dist/.
  const json = run("npm", ["pack", "--json", "--pack-destination", dir], root);
  packed = (JSON.parse(json.slice(json.indexOf("["))) as Packed[])[0]!;
  fs.mkdirSync(app);
  const tarball = `file:${path.join(dir, packed.filename)}`;
  fs.writeFileSync(
    path.join(app, "package.json"),
    JSON.stringify({
      name: "consumer",
      version: "1.0.0",
      private: true,
      type: "module",
      // What the README asks of a project using mneme. The tarball's own `prepare` never runs
      // (npm lists it only because a file: tarball is not a registry source; npm matches the
      // entry by the tarball's absolute path).
      allowScripts: {
        lmdb: true,
        "msgpackr-extract": true,
        "fs-ext-extra-prebuilt": true,
        [tarball]: false,
      },
    }),
  );
  installLog = runAll(
    "npm",
    [
      "install",
      "--no-audit",
      "--no-fund",
      "--prefer-offline",
      tarball,
      `typescript@${versionOf("typescript")}`,
      `@types/node@${versionOf("@types/node")}`,
    ],
    app,
  );
});

after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("the packed package in a consumer project", () => {
  it("holds the build, the launcher, the licence and the README, and no sources or maps", () => {
    const files = packed.files.map((f) => f.path);
    for (const f of [
      "LICENSE",
      "README.md",
      "package.json",
      "bin/mneme.js",
      "dist/index.js",
      "dist/index.d.ts",
      "dist/cli/main.js",
      "dist/backup/s3-module.js",
    ]) {
      assert.ok(files.includes(f), `${f} is packed`);
    }
    assert.deepEqual(
      files.filter((f) => f.endsWith(".map") || /^(src|test|bench|examples)\//.test(f)),
      [],
    );
  });

  it("installs without warnings", () => {
    assert.deepEqual(
      installLog.split("\n").filter((l) => /\bwarn\b|\bERR\b/i.test(l)),
      [],
      installLog,
    );
    assert.equal(fs.existsSync(path.join(app, "node_modules", "@aws-sdk")), false);
  });

  it("is imported from plain ESM JavaScript, and S3 without the SDK names what to install", () => {
    fs.writeFileSync(
      path.join(app, "app.mjs"),
      `import { Mneme, NoExistsError, s3BackupModule } from "mneme";
const db = await Mneme.open();
const t = await db.createTable("person", { attributes: ["name", "age"] });
db.dirtyWrite(t, { name: "ann", age: 40 });
const rows = db.dirtyRead(t, "ann");
let s3;
try {
  await s3BackupModule().openWrite("s3://bucket/key");
} catch (e) {
  s3 = { noExists: e instanceof NoExistsError, message: e.message };
}
await db.close();
console.log(JSON.stringify({ rows, s3 }));
`,
    );
    const out = JSON.parse(run(process.execPath, ["app.mjs"], app)) as unknown;
    assert.deepEqual(out, {
      rows: [{ name: "ann", age: 40 }],
      s3: {
        noExists: true,
        message:
          "no_exists: the S3 backup module needs the AWS SDK, which is an optional peer dependency of mneme: run `npm install @aws-sdk/client-s3 @aws-sdk/lib-storage`",
      },
    });
  });

  it("type-checks from strict TypeScript with NodeNext, and the types catch a wrong record", () => {
    fs.writeFileSync(
      path.join(app, "tsconfig.json"),
      JSON.stringify({
        compilerOptions: {
          target: "ES2022",
          module: "NodeNext",
          moduleResolution: "NodeNext",
          strict: true,
          noEmit: true,
          skipLibCheck: false,
          types: ["node"],
        },
        files: ["app.ts"],
      }),
    );
    fs.writeFileSync(
      path.join(app, "app.ts"),
      `import { Mneme, type TableRef, s3BackupModule } from "mneme";
interface Person { name: string; age: number }
const db = await Mneme.open();
const person = await db.createTable<Person, "name">("person", { attributes: ["name", "age"] });
const ref: TableRef<Person, "name"> = person;
const rows: Person[] = db.dirtyRead(ref, "ann");
// @ts-expect-error: age must be a number
db.dirtyWrite(person, { name: "bob", age: "old" });
s3BackupModule({ region: "eu-west-1" });
await db.close();
export { rows };
`,
    );
    const tsc = path.join(app, "node_modules", "typescript", "bin", "tsc");
    assert.equal(run(process.execPath, [tsc, "-p", "."], app), "");
  });

  it("runs `npx mneme --help`", () => {
    const help = run("npx", ["--no-install", "mneme", "--help"], app);
    assert.match(help, /^Usage: mneme \[options\] \[command\]/);
  });
});
