// npm run bench -- <meter|tpcb|bulk|lmdb|qlc|replicate|all>: JSON lines on stdout, progress on stderr.
import { runBulk } from "./bulk.js";
import { runLmdbRaw } from "./lmdb-raw.js";
import { runMeter } from "./meter.js";
import { runQlc } from "./qlc.js";
import { runReplicate } from "./replicate.js";
import { runTpcb } from "./tpcb.js";

const suites: Record<string, () => Promise<void>> = {
  meter: runMeter,
  tpcb: runTpcb,
  bulk: runBulk,
  lmdb: runLmdbRaw,
  qlc: runQlc,
  replicate: runReplicate,
};
const which = process.argv.slice(2);
const names = which.length === 0 || which.includes("all") ? ["meter", "tpcb"] : which;
for (const name of names) {
  const run = suites[name];
  if (run === undefined) {
    console.error(`unknown benchmark ${name}; choose from ${Object.keys(suites).join(", ")}`);
    process.exit(2);
  }
  await run();
}
