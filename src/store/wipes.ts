import { sql, type Kysely } from 'kysely';
import { messageOf } from './errors.js';
import type { StoreLog } from './log.js';
import type { Database, Engine } from './schema.js';

/**
 * What makes a wipe final on SQLite. `secure_delete` (set on the connection) overwrites a deleted row in its page,
 * but the page's older versions stay in the WAL file until a checkpoint copies the new one into the database and
 * the WAL is emptied. So after wipes, a TRUNCATE checkpoint: batched (one per burst, `delayMs` after the first
 * wipe) rather than one per request, and run through Kysely so it never lands inside another query's transaction.
 * On PostgreSQL there is nothing to do here (see README: dumps, VACUUM).
 */
export interface WipeFinisher {
  /** A secret row was deleted: checkpoint soon. */
  afterWipe(): void;
  /** Checkpoints now if a wipe is waiting for one (close, tests). */
  flush(): Promise<void>;
  /** Checkpoints now whatever happened (after pruning, after the one-time clean-up). */
  checkpoint(): Promise<void>;
  /** Stops the timer (the caller flushes first). */
  stop(): void;
}

export function wipeFinisher(db: Kysely<Database>, engine: Engine, log: StoreLog | undefined, delayMs = 200): WipeFinisher {
  if (engine !== 'sqlite') {
    return { afterWipe() {}, flush: async () => {}, checkpoint: async () => {}, stop() {} };
  }
  let timer: NodeJS.Timeout | undefined;
  let dirty = false;
  const checkpoint = async (): Promise<void> => {
    dirty = false;
    try {
      const { rows } = await sql<{ busy: number }>`PRAGMA wal_checkpoint(TRUNCATE)`.execute(db);
      // A reader held an old snapshot: the WAL could not be emptied yet, so try again later.
      if (rows[0] && Number(rows[0].busy) !== 0) schedule();
    } catch (err) {
      log?.warn({ error: messageOf(err) }, 'store: WAL checkpoint after a wipe failed; will retry');
      schedule();
    }
  };
  const schedule = (): void => {
    dirty = true;
    if (timer) return;
    timer = setTimeout(() => {
      timer = undefined;
      void checkpoint();
    }, delayMs);
    timer.unref();
  };
  return {
    afterWipe: schedule,
    checkpoint,
    async flush() {
      clearTimeout(timer);
      timer = undefined;
      if (dirty) await checkpoint();
    },
    stop() {
      clearTimeout(timer);
      timer = undefined;
    },
  };
}
