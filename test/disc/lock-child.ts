// Child process for dir-lock.test.ts:
//   node --import tsx test/disc/lock-child.ts <dir> [mode] [at]
//   hold (default): acquire the lock, print "locked <pid>", then stay alive until killed.
//   exit: acquire the lock, print "locked <pid>", then exit normally (the exit hook releases it).
//   try: try to acquire; print "locked <pid>" or "refused <reason> <message>"; exit.
//   try-hold: as try, but stay alive (until killed) after acquiring.
// With `at` (ms since the epoch), the acquire waits for that moment, for contenders to race.
import { acquireDirLock } from "../../src/disc/dir-lock.js";
import { MnemeError } from "../../src/errors.js";

const [dir, mode = "hold", at] = process.argv.slice(2);
if (dir === undefined) throw new Error("usage: lock-child.ts <dir> [hold|exit|try|try-hold] [at]");
if (at !== undefined) {
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, Number(at) - Date.now() - 5)));
  while (Date.now() < Number(at)) {
    // spin for the last few milliseconds
  }
}
try {
  acquireDirLock(dir);
} catch (err) {
  if (mode.startsWith("try") && err instanceof MnemeError) {
    process.stdout.write(`refused ${err.reason} ${err.message}\n`);
    process.exit(0);
  }
  throw err;
}
process.stdout.write(`locked ${process.pid}\n`);
if (mode === "hold" || mode === "try-hold") setInterval(() => {}, 1 << 30);
else process.exit(0);
