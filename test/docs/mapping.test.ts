// docs/mnesia-mapping.md stays whole: a row for every function and configuration parameter of
// the Mnesia manual (fixtures/mnesia-api-names.txt), and in every table a last column "Source"
// linking each row to the files under src/ that implement it ("—" where nothing does), so that a
// moved or renamed file breaks this test instead of leaving a dead link.
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));
const docPath = join(root, "docs", "mnesia-mapping.md");
const namesPath = fileURLToPath(new URL("fixtures/mnesia-api-names.txt", import.meta.url));

interface Row {
  readonly line: number;
  readonly cells: readonly string[];
}
interface Table {
  readonly line: number;
  readonly header: readonly string[];
  readonly rows: readonly Row[];
}

/** The cells of a table line; `\|` inside a cell is text, not a separator. */
function splitRow(line: string): string[] {
  return line
    .trim()
    .slice(1, -1)
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());
}

function parseTables(text: string): Table[] {
  const lines = text.split("\n");
  const tables: Table[] = [];
  for (let i = 0; i < lines.length; i++) {
    if (!lines[i]?.startsWith("|")) continue;
    const start = i;
    const header = splitRow(lines[i] ?? "");
    assert.match(
      lines[i + 1] ?? "",
      /^\|(\s*:?-+:?\s*\|)+$/,
      `line ${i + 2}: table without a separator`,
    );
    const rows: Row[] = [];
    for (i += 2; lines[i]?.startsWith("|"); i++)
      rows.push({ line: i + 1, cells: splitRow(lines[i] ?? "") });
    tables.push({ line: start + 1, header, rows });
  }
  return tables;
}

const LINK = /^\[([^\]]+)\]\(([^)]+)\)$/;

/** The problems of one Source cell: "—", or links `[path](../src/path)` joined by ", ". */
function sourceProblems(cell: string): string[] {
  if (cell === "—") return [];
  if (cell === "") return ["is empty"];
  const problems: string[] = [];
  for (const part of cell.split(", ")) {
    const m = LINK.exec(part);
    if (m === null) {
      problems.push(`${JSON.stringify(part)} is not a markdown link`);
      continue;
    }
    const [, label, target] = m as unknown as [string, string, string];
    const file = resolve(dirname(docPath), target);
    const fromSrc = relative(join(root, "src"), file);
    if (fromSrc.startsWith("..")) problems.push(`${target} is not under src/`);
    else if (!existsSync(file) || !statSync(file).isFile())
      problems.push(`${target} does not exist`);
    else if (label !== fromSrc) problems.push(`link text ${label} should be ${fromSrc}`);
  }
  return problems;
}

const tables = parseTables(readFileSync(docPath, "utf8"));

test("every table of the mapping ends with a Source column", () => {
  assert.ok(tables.length >= 12, `found ${tables.length} tables`);
  for (const t of tables) {
    assert.equal(t.header.at(-1), "Source", `the table at line ${t.line}`);
    for (const r of t.rows) {
      assert.equal(r.cells.length, t.header.length, `line ${r.line}: ${r.cells.length} cells`);
    }
  }
});

test("every Source cell links to files under src/ that exist", () => {
  const problems = tables.flatMap((t) =>
    t.rows.flatMap((r) => sourceProblems(r.cells.at(-1) ?? "").map((p) => `line ${r.line}: ${p}`)),
  );
  assert.deepEqual(problems, []);
});

test("a function or parameter marked done links to its implementation", () => {
  const unlinked: string[] = [];
  for (const t of tables) {
    const status = t.header.indexOf("Status");
    if (status < 0) continue;
    for (const r of t.rows) {
      if (r.cells[status]?.startsWith("done") && r.cells.at(-1) === "—")
        unlinked.push(`line ${r.line}`);
    }
  }
  assert.deepEqual(unlinked, []);
});

test("the mapping has a row for every function and parameter of the Mnesia manual", () => {
  const names = readFileSync(namesPath, "utf8")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
  assert.equal(names.length, 112);
  const firstCells = tables.flatMap((t) => t.rows.map((r) => r.cells[0] ?? ""));
  const missing = names.filter((n) => !firstCells.some((c) => c.startsWith(`\`${n}\``)));
  assert.deepEqual(missing, []);
});
