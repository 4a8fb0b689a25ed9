import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { peekSqlite } from '../support/db.js';
import {
  auditTrailOf,
  COMMAND,
  isSuccessView,
  KINDS,
  newUser,
  openCreateForm,
  operationOf,
  submitCreate,
  theOnlyResource,
  typed,
  useFaultEnv,
  viewText,
  viewUpdate,
} from './harness.js';

// Fault cases that need a fix in src/commands/listeners.ts or src/app.ts (see the fault-suite report).

const h = useFaultEnv();

async function auditRowsOf(userId: string) {
  const rows = await peekSqlite(h.app.dataDir).rows('audit');
  return rows
    .filter((r) => r.actor_id === userId)
    .map((r) => ({
      action: r.action,
      target: r.target,
      outcome: r.outcome,
      detail: typeof r.detail_json === 'string' ? (JSON.parse(r.detail_json) as unknown) : null,
    }));
}

describe('a form that cannot be opened is audited', () => {
  it.each(KINDS)('%s: expired_trigger_id', async (kind) => {
    const mark = h.mark();
    const userId = newUser();
    const responseUrl = h.slack.responseUrl();
    await h.app.driver.command({ text: COMMAND[kind], userId, channelId: 'C_OPEN', responseUrl, triggerId: `expired-${randomUUID()}` });
    await h.slack.waitForResponse((r) => r.url === responseUrl);
    expect(await auditRowsOf(userId)).toEqual([
      { action: `${kind}.create.form`, target: 'C_OPEN', outcome: 'failed', detail: { error: 'expired_trigger_id' } },
    ]);
    await h.expectStillServing(mark);
  });

  it('the Web API is down', async () => {
    const mark = h.mark();
    h.slack.down(true);
    const userId = newUser();
    const responseUrl = h.slack.responseUrl();
    await h.app.driver.command({ text: 'workspace create', userId, channelId: 'C_OPEN', responseUrl });
    await h.slack.waitForResponse((r) => r.url === responseUrl);
    expect(await auditRowsOf(userId)).toEqual([
      { action: 'workspace.create.form', target: 'C_OPEN', outcome: 'failed', detail: { error: expect.stringContaining('503') } },
    ]);
    h.slack.down(false);
    await h.expectStillServing(mark);
  });
});

describe('a long Retry-After on the result post', () => {
  it('does not hold the result: the modal shows it at once and the reply link posts it in the channel', async () => {
    const mark = h.mark();
    h.slack.fail('chat.postMessage', 'rate_limited', { retryAfter: 30 });
    const userId = newUser();
    const name = `Throttled ${userId}`;
    const opened = await openCreateForm(h, 'workspace', { userId });
    const sentAt = Date.now();

    await submitCreate(h, opened, typed('workspace', name));

    const shown = await viewUpdate(h, opened.form.id, isSuccessView);
    expect(shown.at - sentAt).toBeLessThan(2000);
    const made = theOnlyResource(h, 'workspace', name);
    const reply = await h.slack.waitForResponse((r) => r.url === opened.responseUrl);
    expect(reply.body).toEqual({ response_type: 'in_channel', text: expect.stringContaining(made.id), blocks: expect.any(Array) });
    expect(viewText(shown)).toContain("through the command's reply link");
    expect(h.slack.callsTo('chat.postMessage').map((c) => c.error)).toEqual(['rate_limited']);
    const opId = await operationOf(h.app, userId);
    expect((await auditTrailOf(h.app, userId, 3)).at(-1)).toEqual({
      actor: 'app',
      action: 'notification',
      target: opId,
      outcome: 'sent:response_url',
      detail: null,
    });
    await h.expectStillServing(mark);
  });
});
