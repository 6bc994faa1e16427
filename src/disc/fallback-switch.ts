// The switch from a database to the one an installed fallback became (staged by
// backup/fallback-apply.ts in `fallback-stage/`: schema.DAT, the snapshots it names, lmdb/).
//
// The rename of `fallback-stage.tmp/` to `fallback-stage/` commits the switch: before it the old
// database is untouched (a start builds the stage again), after it every start finishes the
// switch before anything else. Each step can be repeated after a crash:
//   1. the old WAL goes (the staged database starts with an empty log);
//   2. the staged lmdb/ replaces the old one (the old one goes if the new database has none);
//   3. the staged snapshots move in (their names are unique, so none is an old file's);
//   4. the snapshots the staged schema does not name (the old database's) go;
//   5. the staged schema.DAT is renamed over the old one: the new database is in place;
//   6. FALLBACK.BUP goes, then the stage.
// Until step 5 the staged schema.DAT is in the stage and says which files are the new ones.
import fs from "node:fs";
import { readCheckpoint } from "./checkpoint.js";
import { fsyncDirSync } from "./fsutil.js";
import { DirLayout } from "./layout.js";

/** Told of each step of a switch (crash tests stop a start at each one). */
export type FallbackTrace = (step: string) => void;

/** Whether a fallback's switch is committed but not finished. */
export function fallbackSwitchPending(layout: DirLayout): boolean {
  return fs.existsSync(layout.fallbackStage);
}

/** Finishes a committed switch (see the file's header); the caller holds the directory lock. */
export function finishFallbackSwitch(layout: DirLayout, trace: FallbackTrace = () => {}): void {
  const stage = new DirLayout(layout.fallbackStage);
  const staged = readCheckpoint(stage);
  if (staged !== undefined) {
    fs.rmSync(layout.wal, { recursive: true, force: true });
    trace("switch: wal removed");
    if (fs.existsSync(stage.lmdb)) {
      fs.rmSync(layout.lmdb, { recursive: true, force: true });
      fs.renameSync(stage.lmdb, layout.lmdb);
    } else if (!staged.specs.some((s) => s.storage === "disc_only_copies")) {
      fs.rmSync(layout.lmdb, { recursive: true, force: true });
    }
    trace("switch: lmdb in place");
    const names = new Set([...staged.files.values()].map((f) => f.file));
    for (const name of names) {
      const from = stage.file(name);
      if (fs.existsSync(from)) fs.renameSync(from, layout.file(name));
      trace(`switch: moved ${name}`);
    }
    for (const name of fs.readdirSync(layout.dir)) {
      const stale = layout.isSnapshot(name) && !names.has(name);
      if (stale || name.endsWith(".DCD.tmp") || name.endsWith(".DAT.tmp")) {
        fs.rmSync(layout.file(name), { force: true });
        trace(`switch: removed ${name}`);
      }
    }
    fsyncDirSync(layout.dir);
    fs.renameSync(stage.schema, layout.schema);
    fsyncDirSync(layout.dir);
    trace("switch: schema in place");
  }
  fs.rmSync(layout.fallback, { force: true });
  fsyncDirSync(layout.dir);
  trace("switch: fallback removed");
  fs.rmSync(stage.dir, { recursive: true, force: true });
  trace("switch: done");
}

/** Removes a stage that was never completed (a start killed while building it). */
export function removeIncompleteStage(layout: DirLayout): void {
  fs.rmSync(layout.fallbackStageTmp, { recursive: true, force: true });
}
