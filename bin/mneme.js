#!/usr/bin/env node
// Launcher of the mneme CLI: runs the compiled dist/cli/main.js.
import { existsSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const main = fileURLToPath(new URL("../dist/cli/main.js", import.meta.url));
if (!existsSync(main)) {
  process.stderr.write(
    "mneme: dist/cli/main.js not found; build it first with `npm run build` (or run `npm run mneme -- <args>`)\n",
  );
  process.exit(1);
}
const { main: run } = await import(pathToFileURL(main).href);
process.exitCode = await run(process.argv);
