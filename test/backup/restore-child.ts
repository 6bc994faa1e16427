// Opens a database, restores a backup into it (clear_tables), prints RESTORED once restore has
// returned, then waits to be killed by the test (no close, no dump).
import { Mneme } from "../../src/index.js";

const db = await Mneme.open({ dir: process.argv[2]!, dumpLogTimeThreshold: 3_600_000 });
process.stdout.write("OPEN\n");
await db.restore(process.argv[3]!);
process.stdout.write("RESTORED\n");
setInterval(() => {}, 1000);
