// File and LMDB names derived from table names: every name gives a name the file system (and
// LMDB) can hold, and distinct tables never share one, even where file names ignore case.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DirLayout, lmdbTableName, tableFileStem } from "../../src/disc/layout.js";

/** Table names of every kind: ASCII, any code unit (lone surrogates), long ones. */
const names = fc.oneof(
  fc.string({ minLength: 1 }),
  fc.string({ minLength: 1, unit: "binary" }),
  fc.string({ minLength: 1, unit: "grapheme" }),
  fc.constantFrom("A", "a", "CON", "con", "Con.x", "aux", "lpt1", "*", "%41", "a".repeat(200)),
  fc.string({ minLength: 60, maxLength: 400, unit: fc.constantFrom("A", "a", "一", "\ud800") }),
);
const layout = new DirLayout("/d");
/** Characters every file system takes (none of Windows' <>:"/\\|?* or control characters). */
const PORTABLE = /^[A-Za-z0-9_.!~'()%-]+$/;
const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[0-9]|lpt[0-9])$/i;

describe("file names of tables", () => {
  it("fit in 255 bytes, hold no character Linux or Windows refuses, and no reserved device name", () => {
    fc.assert(
      fc.property(names, fc.nat(Number.MAX_SAFE_INTEGER), (t, pos) => {
        for (const f of [layout.snapshotName(t, pos), `${layout.restoreName(t)}.tmp`]) {
          assert.ok(Buffer.byteLength(f, "utf8") <= 255, f);
          assert.match(f, PORTABLE);
          assert.ok(!WINDOWS_RESERVED.test(f.split(".")[0]!), f);
        }
      }),
    );
  });

  it("differ for different names, also when case is ignored", () => {
    fc.assert(
      fc.property(names, names, (a, b) => {
        if (a === b) return;
        assert.notEqual(tableFileStem(a).toLowerCase(), tableFileStem(b).toLowerCase());
      }),
    );
    assert.notEqual(tableFileStem("A").toLowerCase(), tableFileStem("a").toLowerCase());
    assert.notEqual(tableFileStem("x\ud800"), tableFileStem("x\udbff"));
  });

  it("keep ordinary names readable", () => {
    assert.equal(layout.snapshotName("accounts", 12), "accounts.12.DCD");
    assert.equal(layout.snapshotName("a b/c", 1), "a%20b%2Fc.1.DCD");
    assert.equal(layout.snapshotName("Accounts", 1), "%41ccounts.1.DCD");
    assert.equal(layout.snapshotName("con", 1), "%63on.1.DCD");
  });
});

describe("LMDB sub-database names of tables", () => {
  it("are well-formed, hold no NUL, and fit in LMDB's smallest key (511 bytes)", () => {
    fc.assert(
      fc.property(names, fc.uuid(), (t, cookie) => {
        const n = `t/${lmdbTableName(t, cookie)}`;
        assert.ok(n.isWellFormed() && !n.includes("\0"), n);
        assert.ok(Buffer.byteLength(n, "utf8") <= 511, n);
      }),
    );
  });

  it("keep the name as it was for names LMDB holds (existing databases find their tables)", () => {
    assert.equal(lmdbTableName("Accounts", "c"), "Accounts#c");
    assert.equal(lmdbTableName("一".repeat(100), "c"), `${"一".repeat(100)}#c`);
    assert.notEqual(lmdbTableName("a\0b", "c"), lmdbTableName("a\0c", "c"));
  });
});
