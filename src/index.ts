// Mneme: Mnesia's data model for TypeScript. The public API only.
export type { SelectChunk, SelectContinuation } from "./access/reads.js";
export type { CheckpointArgs } from "./backup/checkpoints.js";
export type { FallbackOptions } from "./backup/fallback.js";
export { fileBackupModule, fileBackupModuleWithMode } from "./backup/file-module.js";
export type { RecordItem, SchemaItem } from "./backup/items.js";
export { MemoryBackupModule } from "./backup/memory-module.js";
export type {
  BackupItem,
  BackupModule,
  BackupReadResult,
  EncodedRecords,
} from "./backup/module.js";
export type { RestoreOp, RestoreOptions } from "./backup/restore.js";
export { s3BackupModule } from "./backup/s3-module.js";
export type { DbConfig, DebugLevel, OpenOptions, SchemaLocation } from "./db/config.js";
export { Mneme } from "./db/database.js";
export type { SystemInfo, SystemInfoItem, TableInfo, TableInfoItem } from "./db/info.js";
export type { Logger } from "./db/logger.js";
export type { MnemeMetrics } from "./db/metrics.js";
export type { CloseOnSignalsOptions, CloseOptions } from "./db/startup.js";
export {
  type AbortReason,
  AlreadyExistsError,
  BadArgError,
  BadIndexError,
  BadTypeError,
  CombineError,
  ControlSocketError,
  CorruptFileError,
  DirectoryLockedError,
  DiskFullError,
  errorDescription,
  FileError,
  FileNotFoundError,
  IllegalError,
  IndexExistsError,
  MnemeError,
  NestedTransactionError,
  NoExistsError,
  NoSchemaError,
  NoTransactionError,
  NotRunningError,
  ReadOnlyError,
  SubscriptionOverflowError,
  SystemLimitError,
  TimeoutError,
  TransactionAborted,
  UpgradeError,
  WrongTransactionError,
} from "./errors.js";
export type {
  ActivityEvent,
  DetailedTableEvent,
  EventCategory,
  EventFor,
  SimpleTableEvent,
  SubscribeOptions,
  SystemEvent,
} from "./events/event-types.js";
export type { Subscription } from "./events/subscription.js";
export { compareKeys, decodeKey, encodeKey } from "./keys/index.js";
export * from "./qlc/index.js";
export { type Literal, literal } from "./query/literal.js";
export type {
  ReplicateOptions,
  ReplicationHandle,
  ReplicationState,
  ReplicationStatus,
} from "./replicate/replicator.js";
export type {
  RestorePlan,
  RestoreReplicaOptions,
  RestoreReplicaResult,
} from "./replicate/restore.js";
export type { ReplicaS3Options } from "./replicate/store.js";
export type { SpecDifference } from "./schema/spec-diff.js";
export type { RowIndex } from "./store/snmp.js";
export type {
  AccessModule,
  Activity,
  AsyncActivity,
  Flavour,
  KeyArg,
  LockResult,
  SyncActivity,
  TableRef,
} from "./txn/activity.js";
export type { TransactionOptions } from "./txn/run.js";
export type * from "./types.js";
export { type StepOptions, upgradeStep } from "./upgrade/builtins.js";
export type {
  InsertWhere,
  Instruction,
  PlanInfo,
  PlannedInstruction,
  SchemaVersion,
  UpgradeContext,
  UpgradeDirection,
  UpgradeOptions,
  UpgradeOutcome,
  UpgradePlan,
  UpgradeRecord,
  UpgradeResult,
} from "./upgrade/instruction.js";
