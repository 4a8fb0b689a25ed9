import { describe, expect, it } from 'vitest';
import { peekSqlite } from '../support/db.js';
import { allText } from '../support/payload.js';
import { eventually } from '../support/wait.js';
import {
  auditTrail,
  CREATE_PATH,
  newUser,
  openCreateForm,
  operationOf,
  submitCreate,
  theOnlyResource,
  typed,
  useFaultEnv,
} from './harness.js';

// A whole Slack outage while a create finishes: the Web API is down and the command's reply link is dead too.
// Nothing can reach the person, so the result waits in the outbox and is delivered once Slack is back — once.
// (Its own file so its wait for the dispatcher's retry runs beside the other fault suites.)

const h = useFaultEnv();

describe('Slack entirely unreachable when the result is ready', () => {
  it('the result is kept, delivered in the channel once Slack is back, and the audit shows both attempts', async () => {
    const mark = h.mark();
    const userId = newUser();
    const name = `Blackout ${userId}`;
    const opened = await openCreateForm(h, 'workspace', { userId });
    h.slack.down(true);
    h.slack.failResponseUrls(503);

    await submitCreate(h, opened, typed('workspace', name));

    // Every route failed: the channel, the reply link, a DM.
    const failedFirst = await eventually(
      'the failed first delivery in the audit',
      async () => {
        const trail = await auditTrail(h.app, userId);
        return trail.some((r) => r.action === 'notification' && r.outcome === 'failed') ? trail : undefined;
      },
      { timeoutMs: 8000 },
    );
    const made = theOnlyResource(h, 'workspace', name);
    expect(failedFirst.map((r) => [r.action, r.outcome])).toEqual([
      ['workspace.create', 'submitted'],
      ['workspace.create.portkey', 'succeeded'],
      ['notification', 'failed'],
    ]);
    expect(h.slack.callsTo('chat.postMessage').every((c) => c.error === 'service_unavailable')).toBe(true);
    expect(h.slack.callsTo('conversations.open').every((c) => c.error === 'service_unavailable')).toBe(true);
    expect(h.slack.responses.map((r) => [r.url, r.status])).toEqual([[opened.responseUrl, 503]]);

    // Slack comes back: the dispatcher sends the stored result on its next try.
    h.slack.down(false);
    h.slack.failResponseUrls(null);
    const posted = await h.slack.waitFor('chat.postMessage', (c) => c.error === undefined, 25_000);
    expect(posted.args.channel).toBe(opened.channelId);
    expect(String(posted.args.text)).toContain(made.id);
    expect(String(posted.args.text)).toContain(made.slug);
    expect(allText(posted.args.blocks)).toContain(`<@${userId}>`);

    const opId = await operationOf(h.app, userId);
    const trail = await eventually('the delivery in the audit', async () => {
      const rows = await auditTrail(h.app, userId);
      return rows.length >= 4 ? rows : undefined;
    });
    expect(trail).toEqual([
      { actor: userId, action: 'workspace.create', target: opId, outcome: 'submitted', detail: null },
      {
        actor: userId,
        action: 'workspace.create.portkey',
        target: made.slug,
        outcome: 'succeeded',
        detail: { id: made.id, slug: made.slug, recovered: false },
      },
      { actor: 'app', action: 'notification', target: opId, outcome: 'failed', detail: null },
      { actor: 'app', action: 'notification', target: opId, outcome: 'sent:channel', detail: null },
    ]);
    // Once: the stored notification is closed as sent after its two attempts, so no later tick posts it again.
    const notes = await peekSqlite(h.app.dataDir).rows('notifications');
    expect(notes.filter((n) => n.operation_id === opId).map((n) => [n.kind, n.status, n.attempts])).toEqual([['result', 'sent', 2]]);
    expect(h.slack.callsTo('chat.postMessage').filter((c) => c.error === undefined)).toHaveLength(1);
    expect(h.portkey.requestsTo('POST', CREATE_PATH.workspace)).toHaveLength(1);
    await h.expectStillServing(mark);
  }, 45_000);
});
