import { randomUUID } from 'node:crypto';
import type { Selectable } from 'kysely';
import { oneOf, parseJson, type RepoContext } from './context.js';
import { NOTIFICATION_STATES, type NotificationState, type NotificationsTable } from './schema.js';

/** A message to deliver (to Slack, usually) that must survive a restart: the outbox. */
export interface NotificationRecord {
  id: string;
  operationId: string | null;
  /** What it is for, for logs and the audit (e.g. 'result', 'approval', 'view'); the payload says how to deliver it. */
  kind: string;
  payload: unknown;
  status: NotificationState;
  attempts: number;
  nextAttemptAt: number;
  lastError: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface NewNotification {
  operationId?: string | null;
  kind: string;
  /** JSON-serialisable; must hold no secrets. */
  payload: unknown;
  /** Defaults to now. */
  nextAttemptAt?: number;
}

export interface NotificationsRepo {
  enqueue(n: NewNotification): Promise<NotificationRecord>;
  /** Pending notifications whose time has come, oldest due first. */
  due(now?: number, limit?: number): Promise<NotificationRecord[]>;
  /** Marks a pending notification sent. False when it was not pending (already sent, or given up). */
  markSent(id: string): Promise<boolean>;
  /**
   * Records a failed attempt. With `nextAttemptAt` it stays pending and is due again then;
   * with null it is given up ('failed'). False when it was not pending.
   */
  markFailed(id: string, error: string, nextAttemptAt: number | null): Promise<boolean>;
  get(id: string): Promise<NotificationRecord | undefined>;
  /**
   * Takes a due notification for `leaseMs` by pushing its next attempt past the lease, in one
   * conditional UPDATE: of several senders (in any number of processes) exactly one gets it.
   * If the sender dies, it is due again when the lease ends.
   */
  claim(id: string, leaseMs: number, now?: number): Promise<boolean>;
  /** Makes every pending notification due now (at start of a store no other process uses). */
  makeAllDue(now?: number): Promise<number>;
  /** Notifications given up since `since` (epoch ms), newest first: what nobody was told. */
  givenUp(since: number, limit: number): Promise<NotificationRecord[]>;
  /** What is waiting to be sent and what was given up, store-wide (metrics read it at each scrape). */
  backlog(): Promise<Backlog>;
}

export interface Backlog {
  /** Pending notifications: due, held back (a failure notice waiting on its modal) or being sent. */
  pending: number;
  /** When the oldest pending one was queued (epoch ms), or null when none is pending. */
  oldestPendingAt: number | null;
  /** Given up after their last attempt, still kept (until retention deletes them). */
  failed: number;
}

export function toNotification(row: Selectable<NotificationsTable>): NotificationRecord {
  return {
    id: row.id,
    operationId: row.operation_id,
    kind: row.kind,
    payload: parseJson(row.payload_json, `notifications row ${row.id} payload_json`),
    status: oneOf(NOTIFICATION_STATES, row.status, `notifications row ${row.id} status`),
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    lastError: row.last_error,
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export function notificationsRepo(ctx: RepoContext): NotificationsRepo {
  const { db } = ctx;
  return {
    async enqueue(n) {
      const now = ctx.now();
      const row = await db
        .insertInto('notifications')
        .values({
          id: randomUUID(),
          operation_id: n.operationId ?? null,
          kind: n.kind,
          payload_json: JSON.stringify(n.payload ?? null),
          status: 'pending',
          attempts: 0,
          next_attempt_at: n.nextAttemptAt ?? now,
          last_error: null,
          created_at: now,
          updated_at: now,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toNotification(row);
    },

    async due(now = ctx.now(), limit = 50) {
      const rows = await db
        .selectFrom('notifications')
        .selectAll()
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .orderBy('next_attempt_at', 'asc')
        .orderBy('created_at', 'asc')
        .limit(limit)
        .execute();
      return rows.map(toNotification);
    },

    async markSent(id) {
      const res = await db
        .updateTable('notifications')
        .set((eb) => ({ status: 'sent', attempts: eb('attempts', '+', 1), last_error: null, updated_at: ctx.now() }))
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },

    async markFailed(id, error, nextAttemptAt) {
      const res = await db
        .updateTable('notifications')
        .set((eb) => ({
          status: nextAttemptAt === null ? 'failed' : 'pending',
          attempts: eb('attempts', '+', 1),
          last_error: error.slice(0, 2000),
          ...(nextAttemptAt === null ? {} : { next_attempt_at: nextAttemptAt }),
          updated_at: ctx.now(),
        }))
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },

    async claim(id, leaseMs, now = ctx.now()) {
      const res = await db
        .updateTable('notifications')
        .set({ next_attempt_at: now + leaseMs, updated_at: now })
        .where('id', '=', id)
        .where('status', '=', 'pending')
        .where('next_attempt_at', '<=', now)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },

    async makeAllDue(now = ctx.now()) {
      const res = await db
        .updateTable('notifications')
        .set({ next_attempt_at: now, updated_at: now })
        .where('status', '=', 'pending')
        .where('next_attempt_at', '>', now)
        .executeTakeFirst();
      return Number(res.numUpdatedRows);
    },

    async givenUp(since, limit) {
      const rows = await db
        .selectFrom('notifications')
        .selectAll()
        .where('status', '=', 'failed')
        .where('updated_at', '>=', since)
        .orderBy('updated_at', 'desc')
        .orderBy('id', 'desc')
        .limit(Math.max(0, Math.floor(limit)))
        .execute();
      return rows.map(toNotification);
    },

    async backlog() {
      // One query over the (status, next_attempt_at) index; 'sent' rows, the bulk of the table, are not read.
      const rows = await db
        .selectFrom('notifications')
        .select((eb) => ['status', eb.fn.countAll().as('n'), eb.fn.min('created_at').as('oldest')])
        .where('status', 'in', ['pending', 'failed'])
        .groupBy('status')
        .execute();
      const pending = rows.find((r) => r.status === 'pending');
      const failed = rows.find((r) => r.status === 'failed');
      return {
        pending: Number(pending?.n ?? 0),
        oldestPendingAt: pending?.oldest == null ? null : Number(pending.oldest),
        failed: Number(failed?.n ?? 0),
      };
    },

    async get(id) {
      const row = await db.selectFrom('notifications').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? toNotification(row) : undefined;
    },
  };
}
