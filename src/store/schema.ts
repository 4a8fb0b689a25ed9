import type { Generated } from 'kysely';
import { ACTIONS, type Action } from '../actions.js';

/** Which database the store talks to. */
export type Engine = 'sqlite' | 'postgres';

/** The actions an operation may record: the app's one list (src/actions.ts). */
export const STORED_ACTIONS = ACTIONS;
export type StoredAction = Action;

export const OPERATION_STATES = [
  'requested',
  'awaiting_approval',
  'approved',
  'denied',
  'expired',
  'cancelled',
  'executing',
  'succeeded',
  'failed',
] as const;
export type OperationState = (typeof OPERATION_STATES)[number];

export const NOTIFICATION_STATES = ['pending', 'sent', 'failed'] as const;
export type NotificationState = (typeof NOTIFICATION_STATES)[number];

// Row shapes as the database holds them (snake_case; times are epoch milliseconds).
// The repositories turn them into the camelCase records the rest of the app uses.

export interface OperationsTable {
  id: string;
  idempotency_key: string;
  team_id: string;
  action: string;
  requester_id: string;
  channel_id: string;
  response_url: string | null;
  view_id: string | null;
  request_json: string;
  status: string;
  portkey_id: string | null;
  portkey_slug: string | null;
  error: string | null;
  result_json: string | null;
  governance_json: string | null;
  expires_at: number | null;
  decided_by: string | null;
  decision_reason: string | null;
  approval_channel: string | null;
  approval_ts: string | null;
  attempts: number;
  lease_owner: string | null;
  lease_until: number | null;
  created_at: number;
  updated_at: number;
}

export interface OperationSecretsTable {
  operation_id: string;
  key_id: string;
  ciphertext: string;
  created_at: number;
}

export interface NotificationsTable {
  id: string;
  operation_id: string | null;
  kind: string;
  payload_json: string;
  status: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  updated_at: number;
}

export interface AuditTable {
  id: Generated<number>;
  at: number;
  actor_id: string;
  action: string;
  target: string | null;
  outcome: string;
  detail_json: string | null;
}

export interface RateCountersTable {
  key: string;
  window_start: number;
  count: number;
  /** When the window ends (window_start + its length): the row may be pruned then. Null for rows from before 0004. */
  expires_at: number | null;
}

/** Facts about the store itself, one row each (e.g. the secrets key check). */
export interface StoreMetaTable {
  key: string;
  value: string;
  updated_at: number;
}

/** One step of a chained operation (steps.ts): started, done (with its result), failed or unknown. */
export interface OperationStepsTable {
  operation_id: string;
  step: string;
  status: string;
  result_json: string | null;
  error: string | null;
  started_at: number;
  updated_at: number;
  /** What the step noted before it was sent (steps.ts `note`); never a secret. Null before migration 0008. */
  evidence_json: string | null;
}

export interface Database {
  store_meta: StoreMetaTable;
  operations: OperationsTable;
  operation_secrets: OperationSecretsTable;
  notifications: NotificationsTable;
  audit: AuditTable;
  rate_counters: RateCountersTable;
  operation_steps: OperationStepsTable;
}
