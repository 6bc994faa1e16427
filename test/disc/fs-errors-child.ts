// Child for fs-errors.test.ts, run as another user (root bypasses permissions):
//   node --import tsx test/disc/fs-errors-child.ts <dir>
// Opens the database in <dir> and prints what it got: "<class> <code> <file>" or "opened".
import { FileError, Mneme } from "../../src/index.js";

const dir = process.argv[2]!;
try {
  const db = await Mneme.open({ dir, schemaLocation: "disc" });
  await db.close();
  process.stdout.write("opened\n");
} catch (e) {
  const f = e instanceof FileError ? `${e.code} ${e.file}` : String(e);
  process.stdout.write(`${(e as Error).constructor.name} ${f}\n`);
}
