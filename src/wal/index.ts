export type { WalIo } from "./io.js";
export type {
  Damage,
  DamageReason,
  RecoveryBounds,
  RepairReport,
  WalEntry,
  WalScan,
} from "./recovery.js";
export { scanWal } from "./recovery.js";
export { parseSegmentFileName, segmentFileName } from "./segment-names.js";
export { DEFAULT_SEGMENT_BYTES, Wal, type WalOptions, type WalStats } from "./wal.js";
export type { Durability } from "./writer.js";
