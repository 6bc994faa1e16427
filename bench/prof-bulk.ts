import fs from "node:fs";
import { Session } from "node:inspector/promises";
import os from "node:os";
import path from "node:path";
import { Mneme } from "../src/index.js";

const session = new Session();
session.connect();
await session.post("Profiler.enable");
async function prof<T>(name: string, f: () => Promise<T>): Promise<T> {
  if (process.env.NOPROF) {
    const t0 = performance.now();
    const r = await f();
    console.log(name, "ms", performance.now() - t0);
    return r;
  }
  await session.post("Profiler.start");
  const t0 = performance.now();
  const r = await f();
  console.log(name, "ms", performance.now() - t0);
  const { profile } = await session.post("Profiler.stop");
  fs.writeFileSync(`/tmp/prof/${name}.cpuprofile`, JSON.stringify(profile));
  return r;
}

import { PERSON_ATTRIBUTES, type Person, person } from "./person.js";

const N = Number(process.env.BULK_N ?? 1000000);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-prof-"));
await Mneme.createSchema({ dir });
const db = await Mneme.open({ dir, durability: "os" });
await db.createTable<Person, "id">("person", {
  attributes: PERSON_ATTRIBUTES,
  discCopies: [db.node],
});
for (let i = 1; i <= N; i += 10000)
  db.transactionSync((tx) => {
    for (let k = i; k < Math.min(N + 1, i + 10000); k++) tx.write("person", person(k));
  });
await db.dumpLog();
const file = path.join(dir, "b.BUP");
const what = process.env.WHAT ?? "both";
await prof("backup", () => db.backup(file));
if (what !== "backup") {
  await prof("restore", () => db.restore(file, { clearTables: ["person"] }));
  await prof("close", () => db.close());
}
fs.rmSync(dir, { recursive: true, force: true });
