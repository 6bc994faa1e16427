// Every ```ts block of README.md and docs/*.md is a program: it must type-check against src/ and
// run to the end (exit code 0) on a fresh database in an empty working directory. A block that is
// deliberately a fragment says so in an HTML comment on the line before it:
// <!-- not-run: why -->. Those are listed here so that the list stays short.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const checkDir = join(root, ".docs-check");
const tsxLoader = import.meta.resolve("tsx");
const tscBin = join(root, "node_modules", "typescript", "bin", "tsc");

interface Block {
  /** "README.md:17": the file and the line of the opening fence. */
  readonly where: string;
  readonly code: string;
  /** The reason given in <!-- not-run: reason -->, if any. */
  readonly notRun: string | undefined;
}

const FENCE_OPEN = /^\s*```(ts|typescript)\s*$/;
const FENCE_CLOSE = /^\s*```\s*$/;
const NOT_RUN = /^\s*<!--\s*not-run:\s*(.+?)\s*-->\s*$/;

function extractBlocks(file: string): Block[] {
  const lines = readFileSync(join(root, file), "utf8").split("\n");
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!FENCE_OPEN.test(lines[i] ?? "")) continue;
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !FENCE_CLOSE.test(lines[i] ?? ""); i++) body.push(lines[i] ?? "");
    const reason = NOT_RUN.exec(lines[start - 1] ?? "")?.[1];
    blocks.push({ where: `${file}:${start + 1}`, code: body.join("\n"), notRun: reason });
  }
  return blocks;
}

/** The package's own names point at the sources, as the package's exports map points at dist/. */
function toProgram(code: string): string {
  const rewritten = code
    .replaceAll('from "mneme/prometheus"', 'from "../src/prometheus.js"')
    .replaceAll('from "mneme"', 'from "../src/index.js"');
  // A module even when the block imports nothing, so that blocks do not share globals.
  return `${rewritten}\nexport {};\n`;
}

const docFiles = [
  "README.md",
  ...readdirSync(join(root, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`),
];
const blocks = docFiles.flatMap(extractBlocks);
const runnable = blocks.filter((b) => b.notRun === undefined);
const fileOf = (b: Block) => `${b.where.replace(/[/.:]/g, "_")}.ts`;

test("the documentation has code blocks, and few are marked not-run", () => {
  const notRun = blocks.filter((b) => b.notRun !== undefined).map((b) => `${b.where}: ${b.notRun}`);
  // Listed in the test output only when there are some: the passing run stays silent.
  if (notRun.length > 0)
    console.log(`${notRun.length} of ${blocks.length} blocks not run:\n${notRun.join("\n")}`);
  assert.ok(runnable.length >= 13, `only ${runnable.length} runnable blocks found`);
  assert.ok(notRun.length <= 3, `too many not-run blocks:\n${notRun.join("\n")}`);
});

test("every block type-checks and runs to exit code 0", { timeout: 600_000 }, () => {
  rmSync(checkDir, { recursive: true, force: true });
  mkdirSync(checkDir);
  for (const b of runnable) writeFileSync(join(checkDir, fileOf(b)), toProgram(b.code));
  writeFileSync(
    join(checkDir, "tsconfig.json"),
    JSON.stringify({
      extends: "../tsconfig.json",
      compilerOptions: { noEmit: true },
      include: ["*.ts"],
    }),
  );

  const tsc = spawnSync(process.execPath, [tscBin, "-p", join(checkDir, "tsconfig.json")], {
    cwd: root,
    encoding: "utf8",
  });
  assert.equal(tsc.status, 0, `type errors in documentation blocks:\n${tsc.stdout}${tsc.stderr}`);

  const failures: string[] = [];
  for (const b of runnable) {
    const cwd = mkdtempSync(join(tmpdir(), "mneme-docs-"));
    try {
      const run = spawnSync(process.execPath, ["--import", tsxLoader, join(checkDir, fileOf(b))], {
        cwd,
        encoding: "utf8",
        timeout: 60_000,
      });
      if (run.status !== 0) {
        const why = run.error ? String(run.error) : `exit ${run.status} (signal ${run.signal})`;
        failures.push(`${b.where}: ${why}\n${run.stderr}`);
      }
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  }
  assert.deepEqual(
    failures,
    [],
    `documentation blocks that failed (${relative(root, checkDir)}/):`,
  );
});
