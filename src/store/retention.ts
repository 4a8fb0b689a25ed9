import type { RepoContext } from './context.js';
import type { OperationState } from './schema.js';

/** States an operation never leaves: nothing will run, wait or be decided for it any more. */
export const FINISHED_STATES = ['succeeded', 'failed', 'denied', 'expired', 'cancelled'] as const satisfies readonly OperationState[];

/** Rate counters from before the 0004 migration have no expiry: the longest window a policy may set bounds them. */
const LONGEST_RATE_WINDOW_MS = 30 * 24 * 60 * 60_000;

export interface RetentionOptions {
  /** Finished operations and sent or given-up notifications older than this (last change) are deleted. */
  retentionMs: number;
  /** Audit rows older than this are deleted; undefined keeps them all (the default: see README). */
  auditRetentionMs?: number | undefined;
  /** At most this many rows per table per run, so one tick never holds the database for long. */
  batch?: number;
}

export interface Pruned {
  /** Sealed secrets left behind by a finished operation (older versions finished and wiped in two writes). */
  secrets: number;
  operations: number;
  notifications: number;
  rateCounters: number;
  audit: number;
}

/**
 * One pruning pass, run on the dispatcher tick: leftover secrets of finished operations, expired rate-counter
 * windows, and (past the retention) finished operations, their delivered notifications and old audit rows.
 * An unfinished operation (requested, awaiting approval, approved, executing) and a pending notification are never
 * touched, however old.
 */
export async function pruneStore(ctx: RepoContext, opts: RetentionOptions): Promise<Pruned> {
  const { db } = ctx;
  const now = ctx.now();
  const batch = opts.batch ?? 500;
  const before = now - opts.retentionMs;

  const leftover = await db
    .deleteFrom('operation_secrets')
    .where('operation_id', 'in', (eb) => eb.selectFrom('operations').select('id').where('status', 'in', FINISHED_STATES))
    .executeTakeFirst();
  const secrets = Number(leftover.numDeletedRows);
  if (secrets > 0) ctx.afterWipe?.();

  const counters = await db
    .deleteFrom('rate_counters')
    .where((eb) =>
      eb.or([eb('expires_at', '<=', now), eb.and([eb('expires_at', 'is', null), eb('window_start', '<', now - LONGEST_RATE_WINDOW_MS)])]),
    )
    .executeTakeFirst();

  const notes = await db
    .deleteFrom('notifications')
    .where('id', 'in', (eb) =>
      eb.selectFrom('notifications').select('id').where('status', 'in', ['sent', 'failed']).where('updated_at', '<', before).limit(batch),
    )
    .executeTakeFirst();

  // A finished operation goes once nothing pending still points at it (its secrets row goes with it: cascade).
  const ops = await db
    .deleteFrom('operations')
    .where('id', 'in', (eb) =>
      eb
        .selectFrom('operations')
        .select('id')
        .where('status', 'in', FINISHED_STATES)
        .where('updated_at', '<', before)
        .where((w) =>
          w.not(
            w.exists(
              w
                .selectFrom('notifications')
                .select('notifications.id')
                .whereRef('notifications.operation_id', '=', 'operations.id')
                .where('notifications.status', '=', 'pending'),
            ),
          ),
        )
        .limit(batch),
    )
    .executeTakeFirst();

  let audit = 0;
  if (opts.auditRetentionMs !== undefined) {
    const auditBefore = now - opts.auditRetentionMs;
    const res = await db
      .deleteFrom('audit')
      .where('id', 'in', (eb) => eb.selectFrom('audit').select('id').where('at', '<', auditBefore).limit(batch))
      .executeTakeFirst();
    audit = Number(res.numDeletedRows);
  }
  return {
    secrets,
    operations: Number(ops.numDeletedRows),
    notifications: Number(notes.numDeletedRows),
    rateCounters: Number(counters.numDeletedRows),
    audit,
  };
}

/**
 * The dispatcher tick's pruning: runs {@link pruneStore} at most every `everyMs` (a few deletes on indexed columns,
 * but there is no need to do them every 5 s). Failures are logged and retried on a later tick.
 */
export function pruneOnTick(
  prune: (opts: RetentionOptions) => Promise<Pruned>,
  opts: RetentionOptions,
  log: { info(obj: object, msg?: string): void; warn(obj: object, msg?: string): void },
  everyMs = 60_000,
  now: () => number = Date.now,
): () => Promise<void> {
  let last = -Infinity;
  return async () => {
    if (now() - last < everyMs) return;
    last = now();
    try {
      const pruned = await prune(opts);
      if (Object.values(pruned).some((n) => n > 0)) log.info({ pruned }, 'store: pruned what the retention settings let go');
    } catch (err) {
      log.warn({ error: err instanceof Error ? err.message : String(err) }, 'store: pruning failed; will try again');
    }
  };
}
