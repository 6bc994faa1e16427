// Continuous replication to a file:// replica and restores from it: point in time, verification
// of every object, the WAL kept while the store is away, compaction and retention, validation,
// sync mode. Real files, a real database; the object store is a directory.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { CorruptFileError, Mneme, MnemeError } from "../../src/index.js";
import {
  caughtUp,
  contentAt,
  contentOf,
  fileUrl,
  newDb,
  type Rec,
  sleep,
  tempDir,
  until,
} from "./helpers.js";

const tmp = tempDir("replicate");
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
let n = 0;
const fresh = (tag: string) => path.join(tmp, `${tag}-${n++}`);

type State = { t: Rec[]; d: Rec[] };

describe("replicate to file:// and restoreReplica", () => {
  // One run with a record of the state after each commit, shared by the restore tests below.
  let url: string;
  const states: { position: number; time: number; state: State }[] = [];
  let ready: Promise<void> | undefined;
  const run = () => {
    ready ??= (async () => {
      const dir = fresh("db");
      url = fileUrl(fresh("replica"));
      const db = await newDb(dir);
      const rep = db.replicate({ url, syncInterval: 20 });
      for (let i = 0; i < 60; i++) {
        await db.transaction(async (tx) => {
          await tx.write("t", { k: i % 7, v: i });
          if (i % 3 === 0) await tx.write("d", { k: i % 5, v: i });
          if (i % 11 === 10) await tx.delete("t", (i + 1) % 7);
        });
        if (i === 30) await db.dumpLog(); // a checkpoint in the middle
        states.push({
          position: rep.status().localPosition,
          time: Date.now(),
          state: contentOf(db),
        });
        await sleep(2); // commits in distinct milliseconds, so a timestamp names one state
      }
      await caughtUp(rep);
      await db.close();
      assert.equal(rep.status().state, "stopped");
    })();
    return ready;
  };

  it("restores the newest state", async () => {
    await run();
    const dir = fresh("restored");
    const r = await Mneme.restoreReplica(url, { dir });
    assert.equal(r.position, states.at(-1)!.position);
    assert.equal(r.dryRun, false);
    assert.deepEqual(await contentAt(dir), states.at(-1)!.state);
  });

  it("restores exactly the state at a log position and at a timestamp", async () => {
    await run();
    for (const i of [0, 1, 17, 31, 45, 58]) {
      const want = states[i]!;
      const byPos = fresh("at-pos");
      const r = await Mneme.restoreReplica(url, { dir: byPos, position: want.position });
      assert.equal(r.position, want.position);
      assert.deepEqual(await contentAt(byPos), want.state, `position ${want.position}`);
      const byTime = fresh("at-time");
      const t = await Mneme.restoreReplica(url, { dir: byTime, timestamp: new Date(want.time) });
      assert.equal(t.position, want.position);
      assert.deepEqual(await contentAt(byTime), want.state, `time of commit ${i}`);
    }
  });

  it("dryRun gives the plan and builds nothing; an existing database is replaced only when asked", async () => {
    await run();
    const dir = fresh("plan");
    const plan = await Mneme.restoreReplica(url, {
      dir,
      position: states[20]!.position,
      dryRun: true,
    });
    assert.equal(plan.dryRun, true);
    assert.equal(plan.position, states[20]!.position);
    assert.equal(plan.objects[0], plan.snapshot.key);
    assert.ok(plan.segments.length > 0);
    assert.deepEqual(
      plan.objects.slice(1),
      plan.segments.map((s) => s.key),
    );
    assert.equal(fs.existsSync(dir), false);

    await Mneme.restoreReplica(url, { dir, position: states[5]!.position });
    await assert.rejects(
      Mneme.restoreReplica(url, { dir, position: states[9]!.position }),
      (e: unknown) => e instanceof MnemeError && e.reason === "already_exists",
    );
    assert.deepEqual(await contentAt(dir), states[5]!.state);
    await Mneme.restoreReplica(url, { dir, position: states[9]!.position, replace: true });
    assert.deepEqual(await contentAt(dir), states[9]!.state);
    assert.deepEqual(
      fs.readdirSync(path.dirname(dir)).filter((f) => f.startsWith(`${path.basename(dir)}.`)),
      [],
    );
  });

  it("detects a damaged, a missing and a reordered object, naming it", async () => {
    await run();
    const copy = (tag: string) => {
      const to = fresh(tag);
      fs.cpSync(new URL(url), to, { recursive: true });
      const manifest = JSON.parse(fs.readFileSync(path.join(to, "manifest.json"), "utf8"));
      return { to, manifest, url: fileUrl(to) };
    };
    const restoreFails = async (from: string, key: string, reason: string) => {
      await assert.rejects(Mneme.restoreReplica(from, { dir: fresh("bad") }), (e: unknown) => {
        assert.ok(e instanceof CorruptFileError, String(e));
        assert.equal(e.reason, reason);
        assert.equal(e.file, `${from}/${key}`);
        return true;
      });
    };

    const damaged = copy("damaged");
    const seg = damaged.manifest.segments[3].key as string;
    const file = path.join(damaged.to, seg);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 3]! ^= 0xff;
    fs.writeFileSync(file, bytes);
    await restoreFails(damaged.url, seg, "bad_checksum");

    const missing = copy("missing");
    const gone = missing.manifest.segments[2].key as string;
    fs.rmSync(path.join(missing.to, gone));
    await restoreFails(missing.url, gone, "invalid_file");

    // Two segments' objects swapped, their checksums in the manifest swapped too: each object is
    // intact, but not where the log needs it.
    const swapped = copy("swapped");
    const [a, b] = [swapped.manifest.segments[1], swapped.manifest.segments[2]];
    const fa = path.join(swapped.to, a.key);
    const fb = path.join(swapped.to, b.key);
    const [ba, bb] = [fs.readFileSync(fa), fs.readFileSync(fb)];
    fs.writeFileSync(fa, bb);
    fs.writeFileSync(fb, ba);
    [a.sha256, b.sha256] = [b.sha256, a.sha256];
    fs.writeFileSync(path.join(swapped.to, "manifest.json"), JSON.stringify(swapped.manifest));
    await restoreFails(swapped.url, a.key, "invalid_file");

    // A damaged snapshot.
    const snap = copy("snap");
    const snapKey = snap.manifest.snapshots[0].key as string;
    fs.appendFileSync(path.join(snap.to, snapKey), "x");
    await restoreFails(snap.url, snapKey, "bad_checksum");
  });
});

describe("the replicator under trouble and over time", () => {
  it("keeps the WAL while the store is away, and catches up when it is back", async () => {
    const dir = fresh("db");
    const replica = fresh("replica");
    const url = fileUrl(replica);
    const db = await newDb(dir);
    const rep = db.replicate({ url, syncInterval: 20, maxBackoff: 50 });
    for (let i = 0; i < 5; i++) db.dirtyWrite("t", { k: i, v: i });
    await caughtUp(rep);
    // The store goes away: its directory replaced by a file.
    fs.renameSync(replica, `${replica}.away`);
    fs.writeFileSync(replica, "not a directory");
    for (let i = 5; i < 40; i++) {
      await db.transaction(async (tx) => tx.write("t", { k: i, v: i }));
      if (i % 10 === 0) await db.dumpLog(); // checkpoints would cut the WAL
    }
    await until(() => rep.status().state === "retrying", 5000, "retrying");
    const s = rep.status();
    assert.ok(s.failures > 0);
    assert.match(s.lastError ?? "", /replica object/);
    assert.ok(s.lagPositions >= 35, `lag ${s.lagPositions}`);
    assert.ok(s.lagMs > 0);
    await db.dumpLog();
    fs.rmSync(replica);
    fs.renameSync(`${replica}.away`, replica);
    await caughtUp(rep);
    assert.equal(rep.status().lastError, undefined);
    const want = contentOf(db);
    await db.close();
    const to = fresh("restored");
    await Mneme.restoreReplica(url, { dir: to });
    assert.deepEqual(await contentAt(to), want);
    assert.equal(want.t.length, 40);
  });

  it("compaction and retention bound the object count; restores work across levels", async () => {
    const dir = fresh("db");
    const url = fileUrl(fresh("replica"));
    const db = await newDb(dir);
    const levels = [100, 300];
    const rep = db.replicate({
      url,
      syncInterval: 10,
      snapshotInterval: 400,
      retention: 600,
      levels,
      deleteGrace: 2000,
    });
    const marks: { position: number; state: State }[] = [];
    const end = Date.now() + 2500;
    let i = 0;
    let most = 0;
    while (Date.now() < end) {
      await db.transaction(async (tx) => tx.write("t", { k: i % 50, v: i }));
      i++;
      if (i % 20 === 0) {
        marks.push({ position: rep.status().localPosition, state: contentOf(db) });
        most = Math.max(most, rep.status().objects);
      }
      await sleep(1);
    }
    await caughtUp(rep);
    const s = rep.status();
    // Bound: snapshots in the retention window plus the one before it (600/400 + 2 = 3.5), level 0
    // segments of the open 100 ms window (100/10 = 10, plus two cycles' worth), level-1 segments
    // of the open 300 ms window (3), level-2 segments back to the oldest snapshot kept
    // ((600 + 400) / 300 + 2 = 5.3): at most 24 objects, whatever the run's length.
    assert.ok(most <= 24, `at most ${most} objects at a time`);
    assert.ok(s.objectsShipped > 3 * most, `${s.objectsShipped} objects shipped, ${most} at most`);
    const manifest = JSON.parse(
      fs.readFileSync(path.join(new URL(url).pathname, "manifest.json"), "utf8"),
    );
    assert.ok(manifest.segments.some((x: { level: number }) => x.level > 0));
    // A recent point (inside the window), through compacted segments.
    const recent = marks.at(-2)!;
    const to = fresh("restored");
    const r = await Mneme.restoreReplica(url, { dir: to, position: recent.position });
    assert.equal(r.position, recent.position);
    assert.deepEqual(await contentAt(to), recent.state);
    const latest = contentOf(db);
    await db.close();
    // Stopped: the objects dropped from the manifest are deleted from the store too.
    assert.ok(rep.status().deletes > 0);
    const final = JSON.parse(
      fs.readFileSync(path.join(new URL(url).pathname, "manifest.json"), "utf8"),
    );
    const stored = fs
      .readdirSync(new URL(url).pathname, { recursive: true, withFileTypes: true })
      .filter((e) => e.isFile() && e.name !== "manifest.json").length;
    assert.equal(stored, final.snapshots.length + final.segments.length);
    const to2 = fresh("restored");
    await Mneme.restoreReplica(url, { dir: to2 });
    assert.deepEqual(await contentAt(to2), latest);
  });

  it("validation restores the replica and compares it with the database", async () => {
    const dir = fresh("db");
    const url = fileUrl(fresh("replica"));
    const db = await newDb(dir);
    const rep = db.replicate({ url, syncInterval: 20, validationInterval: 100 });
    for (let i = 0; i < 30; i++) {
      await db.transaction(async (tx) => tx.write("d", { k: i, v: i }));
      await sleep(5);
    }
    await until(() => rep.status().validations >= 1, 10_000, "a validation");
    assert.equal(rep.status().validationOk, true);
    assert.equal(rep.status().validationError, undefined);
    await db.close();
  });

  it("sync mode: a commit is acknowledged once it is in the replica", async () => {
    const dir = fresh("db");
    const url = fileUrl(fresh("replica"));
    const db = await newDb(dir);
    // A long syncInterval: only the commits waiting make the replicator ship.
    const rep = db.replicate({ url, syncInterval: 60_000, mode: "sync" });
    await until(() => rep.status().state === "running", 5000, "running");
    const commits = Array.from({ length: 20 }, (_, i) =>
      db
        .transaction(async (tx) => tx.write("t", { k: i, v: i }))
        .then(() => {
          // Acknowledged: the replica holds it.
          assert.equal(rep.status().lagPositions, 0);
          return rep.status().shippedPosition;
        }),
    );
    await Promise.all(commits);
    // Group commit: 20 concurrent commits took far fewer than 20 segments.
    const s = rep.status();
    assert.ok(s.objectsShipped <= 6, `${s.objectsShipped} objects for 20 concurrent commits`);
    await db.close();
    const to = fresh("restored");
    await Mneme.restoreReplica(url, { dir: to });
    assert.equal((await contentAt(to)).t.length, 20);
  });

  it("refuses bad options and a database without a disc schema", async () => {
    const db = await Mneme.open({ schemaLocation: "ram" });
    assert.throws(() => db.replicate({ url: "file:///tmp/x" }), /disc schema/);
    await db.close();
    const dir = fresh("db");
    const disc = await newDb(dir);
    assert.throws(() => disc.replicate({ url: "ftp://x" }), /file:\/\/\/absolute\/path or s3/);
    assert.throws(
      () => disc.replicate({ url: fileUrl(fresh("r")), syncInterval: -1 }),
      /syncInterval must be a positive number/,
    );
    assert.throws(
      () => disc.replicate({ url: fileUrl(fresh("r")), mode: "eventually" as "sync" }),
      /mode must be "async" or "sync"/,
    );
    await disc.close();
  });
});
