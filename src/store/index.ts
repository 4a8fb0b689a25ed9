// The app's durable storage: operations, their sealed secrets, the notification outbox, the audit log
// and rate counters, on SQLite (one process) or PostgreSQL (replicas).
export { openStore, describePostgresUrl, SQLITE_FILE, type Repositories, type Store, type StoreOptions } from './db.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export type { StoreLog } from './log.js';
export { migrateToLatest, migrationProvider, migrations } from './migrations.js';
export {
  OPERATION_STATES,
  STORED_ACTIONS,
  NOTIFICATION_STATES,
  type Engine,
  type OperationState,
  type StoredAction,
  type NotificationState,
  type Database,
} from './schema.js';
export type {
  OperationRecord,
  NewOperation,
  OperationPatch,
  TransitionResult,
  OperationsRepo,
} from './operations.js';
export {
  SecretBox,
  loadSecretsKey,
  defaultSecretsKeyFile,
  parseSecretsKey,
  keyIdOf,
  SECRETS_KEY_FILE,
  type SecretKey,
  type Sealed,
  type SecretsRepo,
} from './secrets.js';
export type { Backlog, NotificationRecord, NewNotification, NotificationsRepo } from './notifications.js';
export type { AuditEntry, NewAuditEntry, AuditRepo } from './audit.js';
export type { Reservation, RateCounters } from './rates.js';
export { STEP_STATES, type StepsRepo, type StepJournal, type StepOutcome, type StepRecord, type StepState } from './steps.js';
export { FINISHED_STATES, pruneOnTick, type Pruned, type RetentionOptions } from './retention.js';
