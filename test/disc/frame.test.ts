import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { encodeFrame, FRAME_HEADER_BYTES, readFrame } from "../../src/disc/frame.js";

function readAll(buf: Buffer): { payloads: Buffer[]; stop: ReturnType<typeof readFrame> } {
  const payloads: Buffer[] = [];
  let offset = 0;
  for (;;) {
    const r = readFrame(buf, offset);
    if (r === undefined || r.kind !== "frame") return { payloads, stop: r };
    payloads.push(r.payload);
    offset = r.end;
  }
}

describe("frames", () => {
  it("property: frames read back in order, and the end is clean", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 40 }), { maxLength: 8 }), (ps) => {
        const { payloads, stop } = readAll(Buffer.concat(ps.map(encodeFrame)));
        assert.deepEqual(
          payloads.map((p) => [...p]),
          ps.map((p) => [...p]),
        );
        assert.equal(stop, undefined);
      }),
    );
  });

  it("property: a cut anywhere inside the last frame reads as truncated at its start", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), fc.nat(), (p, cutSeed) => {
        const first = encodeFrame(Buffer.from("ok"));
        const last = encodeFrame(p);
        const cut = 1 + (cutSeed % (last.length - 1));
        const { payloads, stop } = readAll(Buffer.concat([first, last.subarray(0, cut)]));
        assert.equal(payloads.length, 1);
        assert.deepEqual(stop, { kind: "truncated", offset: first.length });
      }),
    );
  });

  it("property: a flipped payload bit is caught by the checksum", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 40 }),
        fc.nat(),
        fc.nat(7),
        (p, at, bit) => {
          const f = encodeFrame(p);
          const i = FRAME_HEADER_BYTES + (at % p.length);
          f[i] = f[i]! ^ (1 << bit);
          const r = readFrame(f, 0);
          assert.equal(r?.kind, "corrupt");
        },
      ),
    );
  });

  it("an impossible length is corrupt, not a huge allocation", () => {
    const f = encodeFrame(Buffer.from("abc"));
    f.writeUInt32LE(0xffffffff, 0);
    assert.deepEqual(readFrame(f, 0), {
      kind: "corrupt",
      offset: 0,
      why: "impossible record length 4294967295",
    });
  });
});
