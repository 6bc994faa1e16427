// The README's "Start-up and shutdown" example: the start-up a service runs every time.
// Run: npx tsx examples/service.ts [dir]   (then Ctrl-C: it closes cleanly and exits with 130)
import os from "node:os";
import path from "node:path";
import { Mneme } from "../src/index.js";

interface Order {
  id: string;
  customer: string;
  total: number;
}

const dir = process.argv[2] ?? path.join(os.tmpdir(), "mneme-orders");
const db = await Mneme.open({ dir, create: true, logger: console });
const orders = await db.ensureTable<Order, "id">("orders", {
  attributes: ["id", "customer", "total"],
  index: ["customer"],
  discCopies: [db.node],
});
db.closeOnSignals(); // SIGTERM/SIGINT: finish running transactions, close, exit 143/130

const id = `o${db.dirtyAllKeys(orders).length + 1}`;
await db.transaction(async (tx) => tx.write(orders, { id, customer: "ada", total: 42 }));
console.log(`${dir}: ${db.dirtyAllKeys(orders).length} orders`);
await db.close();
