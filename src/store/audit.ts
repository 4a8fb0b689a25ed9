import type { Selectable } from 'kysely';
import { parseJson, type RepoContext } from './context.js';
import type { AuditTable } from './schema.js';

/** One line of the audit log: who did what to what, and how it ended. */
export interface AuditEntry {
  /** Increases with every append: the order of the log. */
  id: number;
  at: number;
  actorId: string;
  action: string;
  target: string | null;
  outcome: string;
  detail: unknown;
}

export interface NewAuditEntry {
  /** Defaults to now. */
  at?: number;
  actorId: string;
  action: string;
  target?: string | null;
  /** e.g. 'requested', 'approved', 'denied', 'succeeded', 'failed'. */
  outcome: string;
  /** JSON-serialisable; must hold no secrets. */
  detail?: unknown;
}

/**
 * Append-only: there is deliberately no way to change or remove an entry through this repository. The one removal is
 * retention (retention.ts), and only when AUDIT_RETENTION_DAYS is set: rows older than that, oldest first.
 */
export interface AuditRepo {
  append(entry: NewAuditEntry): Promise<AuditEntry>;
  /** The newest `n` entries, newest first. */
  recent(n: number): Promise<AuditEntry[]>;
}

export function toAuditEntry(row: Selectable<AuditTable>): AuditEntry {
  return {
    id: Number(row.id),
    at: Number(row.at),
    actorId: row.actor_id,
    action: row.action,
    target: row.target,
    outcome: row.outcome,
    detail: parseJson(row.detail_json, `audit row ${row.id} detail_json`),
  };
}

export function auditRepo(ctx: RepoContext): AuditRepo {
  const { db } = ctx;
  return {
    async append(entry) {
      const row = await db
        .insertInto('audit')
        .values({
          at: entry.at ?? ctx.now(),
          actor_id: entry.actorId,
          action: entry.action,
          target: entry.target ?? null,
          outcome: entry.outcome,
          detail_json: entry.detail === undefined ? null : JSON.stringify(entry.detail),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      return toAuditEntry(row);
    },

    async recent(n) {
      const rows = await db
        .selectFrom('audit')
        .selectAll()
        .orderBy('id', 'desc')
        .limit(Math.max(0, Math.floor(n)))
        .execute();
      return rows.map(toAuditEntry);
    },
  };
}
