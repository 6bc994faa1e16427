// Opens a database (which applies an installed fallback) and reports; killed by the test.
import { Mneme } from "../../src/index.js";

const db = await Mneme.open({ dir: process.argv[2]! });
process.stdout.write("OPEN\n");
await db.close();
