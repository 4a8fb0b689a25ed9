import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { peekSqlite } from '../support/db.js';
import { useTestEnv } from '../support/env.js';
import {
  auditTrailOf,
  expectStillServing,
  isSuccessView,
  markOf,
  newUser,
  openCreateForm,
  operationOf,
  submitCreate,
  theOnlyResource,
  typed,
  viewText,
  viewUpdate,
  watchUnhandled,
  type Kind,
} from './harness.js';

// Fault cases that need a fix in src/commands/listeners.ts or src/app.ts (see the fault-suite report).

const h = useTestEnv();
const unhandled = watchUnhandled();
const kinds: Kind[] = ['workspace', 'integration'];
const COMMAND: Record<Kind, string> = { workspace: 'workspace create', integration: 'integration create openai' };

async function auditRowsOf(userId: string) {
  const rows = await peekSqlite(h.app.dataDir).rows('audit');
  return rows
    .filter((r) => r.actor_id === userId)
    .map((r) => ({ action: r.action, target: r.target, outcome: r.outcome, detail: typeof r.detail_json === 'string' ? (JSON.parse(r.detail_json) as unknown) : null }));
}

describe('a form that cannot be opened is audited', () => {
  it.each(kinds)('%s: expired_trigger_id', async (kind) => {
    const mark = markOf(h.app, unhandled);
    const userId = newUser();
    const responseUrl = h.slack.responseUrl();
    await h.app.driver.command({ text: COMMAND[kind], userId, channelId: 'C_OPEN', responseUrl, triggerId: `expired-${randomUUID()}` });
    await h.slack.waitForResponse((r) => r.url === responseUrl);
    expect(await auditRowsOf(userId)).toEqual([
      { action: `${kind}.create.form`, target: 'C_OPEN', outcome: 'failed', detail: { error: 'expired_trigger_id' } },
    ]);
    await expectStillServing(h.app, unhandled, mark);
  });

  it('the Web API is down', async () => {
    const mark = markOf(h.app, unhandled);
    h.slack.down(true);
    const userId = newUser();
    const responseUrl = h.slack.responseUrl();
    await h.app.driver.command({ text: 'workspace create', userId, channelId: 'C_OPEN', responseUrl });
    await h.slack.waitForResponse((r) => r.url === responseUrl);
    expect(await auditRowsOf(userId)).toEqual([
      { action: 'workspace.create.form', target: 'C_OPEN', outcome: 'failed', detail: { error: expect.stringContaining('503') } },
    ]);
    h.slack.down(false);
    await expectStillServing(h.app, unhandled, mark);
  });
});

describe('a long Retry-After on the result post', () => {
  it('does not hold the result: the modal shows it at once and the reply link posts it in the channel', async () => {
    const mark = markOf(h.app, unhandled);
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
    expect((await auditTrailOf(h.app, userId, 3)).at(-1)).toEqual({ actor: 'app', action: 'notification', target: opId, outcome: 'sent:response_url', detail: null });
    await expectStillServing(h.app, unhandled, mark);
  });
});
