// The backup module interface: Mnesia's mnesia_backup behaviour (and Amnesia.Backup's callbacks)
// in TypeScript. A backup is a sequence of blocks of items (schema items and records), written by
// one writer and made visible atomically by commitWrite; a reader gets the blocks back in order.
//
// Mnesia                          Mneme
//   open_write(Opaque)      ->      openWrite(opaque)          -> write handle
//   write(W, Items)         ->      write(handle, items)       -> (possibly new) write handle
//   commit_write(W)         ->      commitWrite(handle)          the backup is complete only now
//   abort_write(W)          ->      abortWrite(handle)           any partial output is removed
//   open_read(Opaque)       ->      openRead(opaque)           -> read handle
//   read(R)                 ->      read(handle)               -> { handle, items } | undefined (end)
//   close_read(R)           ->      closeRead(handle)
//
// Mnesia's {ok, X} / {error, Reason} become a resolved promise / a rejected one. Handles are
// threaded through as in Mnesia: always continue with the handle a call returned.

/** A schema item or a record; opaque to backup modules (they store and return it unchanged). */
export type BackupItem = unknown;

/**
 * Records of one table as Mneme encodes them: `body` is a block body of src/codec/block-codec.ts
 * (kind 1: an array of `count` records in msgpackr's record encoding). Modules that store Mneme's
 * own format can take and give records this way, so that they are not encoded again.
 */
export interface EncodedRecords {
  readonly table: string;
  readonly count: number;
  readonly body: Uint8Array;
}

/** One step of reading a backup: the next block of items and the handle to continue with. */
export interface BackupReadResult<R> {
  readonly handle: R;
  readonly items: readonly BackupItem[];
  /** Optional: the same items (record items of one table) as the bytes they were read from. */
  readonly encoded?: EncodedRecords;
  /**
   * Optional, with `encoded`: the records of those items, in order, without the item objects (a
   * restore needs only these; a module may then make `items` on first access).
   */
  readonly records?: readonly unknown[];
}

export interface BackupModule<W = unknown, R = unknown> {
  /** Starts writing the backup named by `opaque` (a path, a name: the module's choice). */
  openWrite(opaque: unknown): Promise<W>;
  /** Appends one block of items; returns the handle to continue with. */
  write(handle: W, items: readonly BackupItem[]): Promise<W>;
  /**
   * Optional: appends a block of records given encoded, for modules storing Mneme's own format
   * (a backup copies a table's snapshot blocks this way). Its items are the record items of
   * `records.table`, one per record, in order. Without it the records are decoded and written.
   */
  writeEncoded?(handle: W, records: EncodedRecords): Promise<W>;
  /** Completes the backup: it becomes visible (readable) only now, replacing any older one. */
  commitWrite(handle: W): Promise<void>;
  /** Abandons the backup: any partial output is removed; an older committed backup is kept. */
  abortWrite(handle: W): Promise<void>;
  /** Starts reading the committed backup named by `opaque`. */
  openRead(opaque: unknown): Promise<R>;
  /** The next block of items, or undefined at the end of the backup. */
  read(handle: R): Promise<BackupReadResult<R> | undefined>;
  /** Ends reading (also before the end). */
  closeRead(handle: R): Promise<void>;
}
