// mnesia:install_fallback/2 and uninstall_fallback/1: a fallback is a backup copied into a
// database directory as FALLBACK.BUP; the next start there replaces the database with it (see
// DiscStorage.open and Mneme.open). Mnesia's options: the backup module, the scope (one node:
// "global" and "local" do the same) and mnesiaDir, another directory to install into (with scope
// "local" only), which the fallback then prepares for use as a database directory.
import { chmod, mkdir, rm, stat } from "node:fs/promises";
import { DirLayout } from "../disc/layout.js";
import { BadArgError, BadTypeError, CombineError, FileNotFoundError } from "../errors.js";
import { type FileModes, PRIVATE_MODES } from "../file-modes.js";
import { readBlocks, writeBackup } from "./backup.js";
import { readFallback } from "./fallback-apply.js";
import { fileBackupModule, fileBackupModuleWithMode } from "./file-module.js";
import type { BackupModule } from "./module.js";

export interface FallbackOptions {
  /** The module that reads the backup (default: the file module). */
  readonly module?: BackupModule;
  /** "global" (the default) or "local"; with one node they are the same. */
  readonly scope?: "global" | "local";
  /** Install into this directory instead of the database's (needs scope "local"). */
  readonly mnesiaDir?: string;
}

/** The directory a fallback operation acts on; `dir` is the database's, if it has one on disc. */
function targetDir(options: FallbackOptions, dir: string | undefined, what: string): string {
  if (options === null || typeof options !== "object") {
    throw new BadArgError(`${what}: options must be an object`, { value: options });
  }
  const { scope, mnesiaDir } = options;
  if (scope !== undefined && scope !== "global" && scope !== "local") {
    throw new BadArgError(`${what}: bad scope ${String(scope)}`, { value: scope });
  }
  if (mnesiaDir !== undefined) {
    if (typeof mnesiaDir !== "string" || mnesiaDir === "") {
      throw new BadArgError(`${what}: mnesiaDir must be a non-empty path`, { value: mnesiaDir });
    }
    // As Mnesia: another directory only for a local fallback.
    if (scope !== "local") {
      throw new CombineError(`${what}: mnesiaDir needs scope "local"`, { value: mnesiaDir });
    }
    return mnesiaDir;
  }
  if (dir === undefined) {
    throw new BadTypeError(`${what} needs a disc schema; this database's schema is in RAM`);
  }
  return dir;
}

/**
 * Checks the backup as its application will (every block, definition and record) and installs it
 * as the fallback of the directory: written beside it and renamed into place, so the directory has
 * the old fallback or the new.
 */
export async function installFallback(
  opaque: unknown,
  options: FallbackOptions,
  dir: string | undefined,
  node: string,
  modes: FileModes = PRIVATE_MODES,
): Promise<void> {
  const layout = new DirLayout(targetDir(options, dir, "installFallback"), modes);
  const mod = options.module ?? fileBackupModule;
  await readFallback(opaque, node, mod);
  if ((await mkdir(layout.dir, { recursive: true, mode: modes.dir })) !== undefined) {
    await chmod(layout.dir, modes.dir);
  }
  await copyBackup(opaque, mod, layout.fallback, fileBackupModuleWithMode(modes.file));
}

/** Removes the directory's fallback; enoent when there is none (as Mnesia: {error, enoent}). */
export async function uninstallFallback(
  options: FallbackOptions,
  dir: string | undefined,
): Promise<void> {
  const layout = new DirLayout(targetDir(options, dir, "uninstallFallback"));
  const exists = await stat(layout.fallback).then(
    () => true,
    () => false,
  );
  if (!exists) throw new FileNotFoundError("no fallback installed", layout.fallback);
  await rm(layout.fallback, { force: true });
}

/** Copies a backup from one module to another, blocks of records as encoded when both can. */
export async function copyBackup(
  source: unknown,
  sourceMod: BackupModule,
  target: unknown,
  targetMod: BackupModule,
): Promise<void> {
  await writeBackup(targetMod, target, async (w) => {
    for await (const block of readBlocks(source, sourceMod)) {
      if (block.encoded !== undefined && w.writeEncoded !== undefined) {
        await w.writeEncoded(block.encoded);
      } else {
        await w.write(block.items);
      }
    }
  });
}
