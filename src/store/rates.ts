import type { RepoContext } from './context.js';
import { StoreError } from './errors.js';

export interface Reservation {
  allowed: boolean;
  /** Start of the fixed window the reservation counts in (epoch ms); pass it to release(). */
  windowStart: number;
  /** When the window ends and the count starts over. */
  resetAt: number;
  /** The count in the window after this reservation; null when refused. */
  count: number | null;
}

/** Fixed-window counters shared by every process using the database. Ended windows are pruned by retention.ts. */
export interface RateCounters {
  /**
   * Counts one use of `key` in the current window of `windowMs` if fewer than `max` were counted:
   * one INSERT … ON CONFLICT DO UPDATE … WHERE count < max, so concurrent callers never exceed `max`.
   */
  reserve(key: string, windowMs: number, max: number, now?: number): Promise<Reservation>;
  /** How many uses `key` has in the current window of `windowMs` (0 when none). */
  current(key: string, windowMs: number, now?: number): Promise<number>;
  /** Gives one use back (e.g. the action it was reserved for did not happen). False when there was none. */
  release(key: string, windowStart: number): Promise<boolean>;
}

export function rateCounters(ctx: RepoContext): RateCounters {
  const { db } = ctx;
  return {
    async reserve(key, windowMs, max, now = ctx.now()) {
      if (!Number.isInteger(windowMs) || windowMs <= 0) {
        throw new StoreError('config', 'reserve: windowMs must be a positive whole number of milliseconds');
      }
      const windowStart = Math.floor(now / windowMs) * windowMs;
      const resetAt = windowStart + windowMs;
      if (!(max >= 1)) return { allowed: false, windowStart, resetAt, count: null };
      const row = await db
        .insertInto('rate_counters')
        .values({ key, window_start: windowStart, count: 1, expires_at: resetAt })
        .onConflict((oc) =>
          oc
            .columns(['key', 'window_start'])
            .doUpdateSet((eb) => ({ count: eb('rate_counters.count', '+', 1) }))
            .where('rate_counters.count', '<', max),
        )
        .returning('count')
        .executeTakeFirst();
      return row
        ? { allowed: true, windowStart, resetAt, count: Number(row.count) }
        : { allowed: false, windowStart, resetAt, count: null };
    },

    async current(key, windowMs, now = ctx.now()) {
      const windowStart = Math.floor(now / windowMs) * windowMs;
      const row = await db
        .selectFrom('rate_counters')
        .select('count')
        .where('key', '=', key)
        .where('window_start', '=', windowStart)
        .executeTakeFirst();
      return row ? Number(row.count) : 0;
    },

    async release(key, windowStart) {
      const res = await db
        .updateTable('rate_counters')
        .set((eb) => ({ count: eb('count', '-', 1) }))
        .where('key', '=', key)
        .where('window_start', '=', windowStart)
        .where('count', '>', 0)
        .executeTakeFirst();
      return Number(res.numUpdatedRows) > 0;
    },
  };
}
