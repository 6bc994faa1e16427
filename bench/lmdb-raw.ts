// Raw lmdb-js on the meter's record and keys, for the "within 1.5x of raw lmdb-js" comparison of
// disc_only_copies tables: the same operations at the same durability. "os" is an environment
// opened with noSync (commits reach the OS, no fsync: Mneme's os mode), "fsync" the library's
// default (each synchronous write transaction is fsynced). Keys and values are encoded as Mneme
// encodes them (order-preserving key bytes, MessagePack records), so the difference is Mneme.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { open } from "lmdb";
import { decodeTerm, encodeTerm } from "../src/codec/term-codec.js";
import { encodeKey } from "../src/keys/index.js";
import { emit, measure } from "./harness.js";
import { key, N_RECORDS as N, person } from "./person.js";

export async function runLmdbRaw(): Promise<void> {
  for (const [durability, writemap] of [
    ["os", false],
    ["os", true],
    ["fsync", false],
  ] as const) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "mneme-lmdb-raw-"));
    const root = open({ path: dir, noSync: durability === "os", useWritemap: writemap });
    const db = root.openDB({ name: "person", keyEncoding: "binary", encoding: "binary" });
    const k = (i: number) => Buffer.from(encodeKey(i));
    root.transactionSync(() => {
      for (let i = 1; i <= N; i++) db.putSync(k(i), encodeTerm(person(i)));
    });
    const tag = { durability, writemap };
    const get = (i: number) => decodeTerm(db.getBinary(k(i))!) as ReturnType<typeof person>;
    emit(
      "lmdb",
      "disc_only_copies",
      "read1",
      measure((i) => get(key(i))),
      {
        ...tag,
        api: "getBinary + decode",
      },
    );
    emit(
      "lmdb",
      "disc_only_copies",
      "write1",
      measure((i) => db.putSync(k(key(i)), encodeTerm({ ...person(key(i)), val: i }))),
      { ...tag, api: "putSync(encoded record), one write transaction" },
    );
    emit(
      "lmdb",
      "disc_only_copies",
      "tx_update2",
      measure((i) =>
        root.transactionSync(() => {
          for (const kk of [key(2 * i), key(2 * i + 1)]) {
            const r = get(kk);
            db.putSync(k(kk), encodeTerm({ ...r, val: r.val + 1 }));
          }
        }),
      ),
      { ...tag, api: "transactionSync(2 x (get + put))" },
    );
    await root.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
