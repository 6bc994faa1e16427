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

  it("equals zlib's for every length up to 300 at every alignment (the 8-byte steps and the tail), read by bytes or through a DataView", () => {
    const buf = Buffer.alloc(320);
    let x = 0x12345678;
    for (let i = 0; i < buf.length; i++) {
      x = (x * 1103515245 + 12345) >>> 0;
      buf[i] = x >>> 24;
    }
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    for (let start = 0; start < 8; start++) {
      for (let len = 0; len <= 300; len++) {
        const end = start + len;
        const want = crc32(buf.subarray(start, end), 0x5a5a5a5a);
        assert.equal(crc32Range(buf, start, end, 0x5a5a5a5a), want, `bytes ${start}..${end}`);
        assert.equal(crc32Range(buf, start, end, 0x5a5a5a5a, view), want, `view ${start}..${end}`);
      }
    }
  });
});
