// The JavaScript CRC-32 of LMDB values is zlib's CRC-32, for short and long ranges and seeds.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crc32 } from "node:zlib";
import { crc32Range } from "../../src/codec/crc32.js";

describe("crc32Range", () => {
  it("equals zlib's crc32 of the same bytes, from any seed", () => {
    const buf = Buffer.alloc(600);
    for (let i = 0; i < buf.length; i++) buf[i] = (i * 131 + 7) & 0xff;
    for (const [start, end] of [
      [0, 0],
      [0, 1],
      [3, 40],
      [0, 128],
      [0, 129],
      [5, 600],
    ] as const) {
      for (const seed of [0, 1, 0xdeadbeef]) {
        assert.equal(crc32Range(buf, start, end, seed), crc32(buf.subarray(start, end), seed));
      }
    }
    assert.equal(crc32Range(Buffer.from("123456789"), 0, 9), 0xcbf43926);
  });
});
