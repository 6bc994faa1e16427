// A progress indicator for the long CLI jobs: a cli-progress bar on a TTY, nothing otherwise.
import cliProgress from "cli-progress";
import type { BackupItem, BackupModule, EncodedRecords } from "../index.js";

export interface Progress {
  /** Adds `n` done items. */
  tick(n: number): void;
  stop(): void;
}

const SILENT: Progress = { tick: () => undefined, stop: () => undefined };

/** A progress indicator counting items (with a known total, a bar; else a counter). */
export function startProgress(
  label: string,
  total?: number,
  tty: boolean = process.stdout.isTTY === true,
): Progress {
  if (!tty) return SILENT;
  const format =
    total === undefined
      ? `${label} | {value} items`
      : `${label} [{bar}] {percentage}% | {value}/{total} items`;
  const bar = new cliProgress.SingleBar(
    { format, hideCursor: true, clearOnComplete: true, stream: process.stdout },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total ?? 0, 0);
  let done = 0;
  return {
    tick(n: number) {
      done += n;
      if (total !== undefined && done > total) bar.setTotal(done);
      bar.update(done);
    },
    stop() {
      bar.stop();
    },
  };
}

/** Wraps a backup module so that every block written or read ticks `progress`. */
export function withProgress<W, R>(
  module: BackupModule<W, R>,
  progress: Progress,
): BackupModule<W, R> {
  const writeEncoded = module.writeEncoded?.bind(module);
  return {
    openWrite: (opaque) => module.openWrite(opaque),
    write: async (handle: W, items: readonly BackupItem[]) => {
      const next = await module.write(handle, items);
      progress.tick(items.length);
      return next;
    },
    // Kept when the module has it: snapshots are then copied without decoding a record.
    ...(writeEncoded === undefined
      ? {}
      : {
          writeEncoded: async (handle: W, records: EncodedRecords) => {
            const next = await writeEncoded(handle, records);
            progress.tick(records.count);
            return next;
          },
        }),
    commitWrite: (handle) => module.commitWrite(handle),
    abortWrite: (handle) => module.abortWrite(handle),
    openRead: (opaque) => module.openRead(opaque),
    read: async (handle: R) => {
      const result = await module.read(handle);
      if (result !== undefined) progress.tick(result.items.length);
      return result;
    },
    closeRead: (handle) => module.closeRead(handle),
  };
}
