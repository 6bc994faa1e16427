// Child process for crash.test.ts: opens the WAL in argv[2] (repairing it), then commits records
// with 8 concurrent writers, printing each position once it is fsynced, until killed.
import { Wal } from "../../src/wal/index.js";
import { bigEntryFor } from "./helpers.js";

const dir = process.argv[2]!;
const { wal } = Wal.open(dir, { autoRepair: true, segmentBytes: 64 * 1024 });
let next = wal.lastPosition;
// A bound on one run's log, so that a parent slow to kill (a loaded machine) does not read back
// hundreds of MB; once there, the child waits to be killed.
const stopAt = next + 5_000;
process.stdout.write(`ready ${next}\n`);

async function writer(): Promise<void> {
  while (next < stopAt) {
    const p = ++next;
    wal.append(p, bigEntryFor(p));
    await wal.whenDurable(p, "fsync");
    // Synchronous for pipes on Linux: once written here, the parent sees it.
    process.stdout.write(`${p}\n`);
  }
}

await Promise.all(Array.from({ length: 8 }, writer));
await wal.close();
setInterval(() => {}, 1000);
