// An in-memory backup module: `opaque` is a string name. Each instance has its own store of
// committed backups (name -> blocks). A write is invisible until commitWrite, which replaces any
// backup of that name; abortWrite discards it. Items are kept by reference (block arrays are copied).
import { BadArgError, NoExistsError } from "../errors.js";
import type { BackupItem, BackupModule, BackupReadResult } from "./module.js";

type Blocks = readonly (readonly BackupItem[])[];

export interface MemoryWriteHandle {
  readonly name: string;
  /** @internal */ readonly state: { blocks: (readonly BackupItem[])[]; done: boolean };
}

export interface MemoryReadHandle {
  readonly name: string;
  /** @internal */ readonly blocks: Blocks;
  /** @internal */ readonly next: number;
}

function backupName(opaque: unknown): string {
  if (typeof opaque !== "string" || opaque === "") {
    throw new BadArgError("a memory backup is named by a non-empty string", { value: opaque });
  }
  return opaque;
}

function open(handle: MemoryWriteHandle): MemoryWriteHandle["state"] {
  if (handle.state.done) {
    throw new BadArgError(`backup ${handle.name} is already committed or aborted`);
  }
  return handle.state;
}

export class MemoryBackupModule implements BackupModule<MemoryWriteHandle, MemoryReadHandle> {
  readonly #store = new Map<string, Blocks>();

  /** The names of the committed backups. */
  names(): string[] {
    return [...this.#store.keys()];
  }

  async openWrite(opaque: unknown): Promise<MemoryWriteHandle> {
    return { name: backupName(opaque), state: { blocks: [], done: false } };
  }

  async write(handle: MemoryWriteHandle, items: readonly BackupItem[]): Promise<MemoryWriteHandle> {
    if (!Array.isArray(items)) throw new BadArgError("items must be an array", { value: items });
    open(handle).blocks.push(items.slice());
    return handle;
  }

  async commitWrite(handle: MemoryWriteHandle): Promise<void> {
    const state = open(handle);
    state.done = true;
    this.#store.set(handle.name, state.blocks);
  }

  async abortWrite(handle: MemoryWriteHandle): Promise<void> {
    handle.state.done = true;
    handle.state.blocks = [];
  }

  async openRead(opaque: unknown): Promise<MemoryReadHandle> {
    const name = backupName(opaque);
    const blocks = this.#store.get(name);
    if (blocks === undefined) {
      throw new NoExistsError(`no backup named ${name}`, { value: name });
    }
    return { name, blocks, next: 0 };
  }

  async read(handle: MemoryReadHandle): Promise<BackupReadResult<MemoryReadHandle> | undefined> {
    const items = handle.blocks[handle.next];
    if (items === undefined) return undefined;
    return { handle: { ...handle, next: handle.next + 1 }, items: items.slice() };
  }

  async closeRead(_handle: MemoryReadHandle): Promise<void> {}
}
