// Child process for snapshot.test.ts: `node --import tsx test/disc/snapshot-child.ts <file>`.
// Writes snapshots of generation 1, 2, 3, ... to <file> over and over (alternating the sync and the
// async writer), printing "ready" once the first is complete, until it is killed. Generation g has
// position g and 3000 + (g % 7) * 1000 records, each { g, i, pad }.
import { writeSnapshot, writeSnapshotSync } from "../../src/disc/snapshot.js";

const file = process.argv[2];
if (file === undefined) throw new Error("usage: snapshot-child.ts <file>");

function generation(g: number): { g: number; i: number; pad: string }[] {
  const n = 3000 + (g % 7) * 1000;
  return Array.from({ length: n }, (_, i) => ({ g, i, pad: `${g}:${i}`.padEnd(40, ".") }));
}

for (let g = 1; ; g++) {
  const records = generation(g);
  if (g % 2 === 0) await writeSnapshot(file, { table: "t", position: g }, records);
  else writeSnapshotSync(file, { table: "t", position: g }, records);
  if (g === 1) process.stdout.write("ready\n");
}
