export { type FileReadHandle, type FileWriteHandle, fileBackupModule } from "./file-module.js";
export {
  MemoryBackupModule,
  type MemoryReadHandle,
  type MemoryWriteHandle,
} from "./memory-module.js";
export type { BackupItem, BackupModule, BackupReadResult, EncodedRecords } from "./module.js";
