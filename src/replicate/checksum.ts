// The database checksum: what a restore proves it reached. It covers every table's definition
// (name, storage, type, attributes) and every record of the disc tables (ram_copies tables are
// not logged, so a replica restores them empty, as a start does), and it does not depend on the
// order records are read in: each record's encoding is hashed on its own (CRC-32 with two seeds)
// and the hashes are summed.
import { crc32 } from "node:zlib";
import type { StagedTable } from "../backup/fallback-apply.js";
import { encodeTerm } from "../codec/term-codec.js";

const SEED = 0x9e3779b9;
const TWO_32 = 0x1_0000_0000;

export function databaseChecksum(tables: readonly StagedTable[]): string {
  let a = 0;
  let b = 0;
  let count = 0;
  const defs: string[] = [];
  for (const { table, blocks } of tables) {
    const { name, storage, type, attributes } = table.spec;
    defs.push(JSON.stringify([name, storage, type, attributes]));
    if (storage === "ram_copies") continue;
    for (const { records } of blocks) {
      for (const r of records) {
        const bytes = encodeTerm([name, r]);
        a = (a + crc32(bytes)) % TWO_32;
        b = (b + crc32(bytes, SEED)) % TWO_32;
        count++;
      }
    }
  }
  const d = crc32(defs.sort().join("\n"));
  const hex = (n: number) => n.toString(16).padStart(8, "0");
  return `${count}-${hex(a)}${hex(b)}-${hex(d)}`;
}
