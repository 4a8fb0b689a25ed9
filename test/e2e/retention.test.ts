import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { peekSqlite, sqliteFile } from '../support/db.js';
import { fillView, viewFrom } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import { record } from '../support/payload.js';
import { eventually } from '../support/wait.js';

// Retention through the running app: the dispatcher tick prunes finished operations (and their delivered
// notifications) past RETENTION_DAYS, and never an unfinished one, however old.

const h = useTestEnv({ env: { RETENTION_DAYS: '1' } });
const DAY = 24 * 60 * 60_000;

async function createWorkspace(name: string): Promise<string> {
  const triggerId = `retention-${name}`;
  await h.app.driver.command({ text: `workspace create ${name}`, triggerId, channelId: 'C_RETAIN' });
  const view = viewFrom(await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId), h.slack.views);
  expect(record((await h.app.driver.viewSubmission({ view: fillView(view, {}) })).json, 'ack').response_action).toBe('update');
  await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_RETAIN' && String(c.args.text).includes(name));
  return eventually(`the ${name} operation to finish`, async () => {
    const peek = peekSqlite(h.app.dataDir);
    try {
      const op = (await peek.rows('operations')).find((r) => String(r.request_json).includes(name) && r.status === 'succeeded');
      const notes = op ? (await peek.rows('notifications')).filter((n) => n.operation_id === op.id) : [];
      return op && notes.length > 0 && notes.every((n) => n.status === 'sent') ? String(op.id) : undefined;
    } finally {
      await peek.close();
    }
  });
}

describe('RETENTION_DAYS on the dispatcher tick', () => {
  it('prunes a finished operation two days old with its notifications, keeps a recent one and an old pending one', {
    timeout: 20_000,
  }, async () => {
    const old = await createWorkspace('Old Space');
    const recent = await createWorkspace('Recent Space');
    const twoDaysAgo = Date.now() - 2 * DAY;
    const db = new Sqlite(sqliteFile(h.app.dataDir), { timeout: 5000 });
    try {
      db.prepare('update operations set updated_at = ?, created_at = ? where id = ?').run(twoDaysAgo, twoDaysAgo, old);
      db.prepare('update notifications set updated_at = ? where operation_id = ?').run(twoDaysAgo, old);
      // An approval nobody has decided yet, as old: never pruned (and not expired: it expires in an hour).
      db.prepare(
        `insert into operations (id, idempotency_key, team_id, action, requester_id, channel_id, request_json, status, attempts, expires_at, created_at, updated_at)
         values ('op-old-pending', 'T0001:V-old:0', 'T0001', 'workspace.create', 'U_OLD', 'C_RETAIN', '{"draft":{"name":"Pending"}}', 'awaiting_approval', 0, ?, ?, ?)`,
      ).run(Date.now() + 60 * 60_000, twoDaysAgo, twoDaysAgo);
    } finally {
      db.close();
    }

    const left = await eventually(
      'the old finished operation to be pruned',
      async () => {
        const peek = peekSqlite(h.app.dataDir);
        try {
          const ids = (await peek.rows('operations')).map((r) => String(r.id));
          return ids.includes(old) ? undefined : { ids, notes: (await peek.rows('notifications')).map((n) => n.operation_id) };
        } finally {
          await peek.close();
        }
      },
      { timeoutMs: 12_000, intervalMs: 250 },
    );
    expect(left.ids.sort()).toEqual([recent, 'op-old-pending'].sort());
    expect(left.notes).not.toContain(old);
    expect(left.notes).toContain(recent);
    expect(h.app.logs.some((l) => l.includes('pruned what the retention settings let go'))).toBe(true);
  });
});
