import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { allText, record } from '../support/payload.js';
import {
  auditTrailOf,
  COMMAND,
  CREATE_PATH,
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

// Slack misbehaving around a create: the form can't open, the modal can't be updated, the channel refuses the
// result, Slack rate-limits or its Web API is down. The person still hears what happened, the audit says where
// the result went, Portkey gets one create at most, and the app keeps serving.

const h = useFaultEnv();

describe('the form cannot be opened', () => {
  it.each(KINDS)('%s: expired_trigger_id — the person is told to run the command again', async (kind) => {
    const mark = h.mark();
    const responseUrl = h.slack.responseUrl();
    const triggerId = `expired-${randomUUID()}`;

    const res = await h.app.driver.command({ text: COMMAND[kind], userId: newUser(), responseUrl, triggerId });

    expect(res.status).toBe(200);
    const reply = await h.slack.waitForResponse((r) => r.url === responseUrl);
    expect(reply.body).toEqual({
      response_type: 'ephemeral',
      text: 'Slack closed the window before the form could open. Please run the command again.',
    });
    expect(h.slack.callsTo('views.open').map((c) => [c.args.trigger_id, c.error])).toEqual([[triggerId, 'expired_trigger_id']]);
    expect(h.portkey.requests).toEqual([]);
    await h.expectStillServing(mark);
  });

  it('the Web API is down — the person is told to try again in a moment', async () => {
    const mark = h.mark();
    h.slack.down(true);
    const responseUrl = h.slack.responseUrl();

    await h.app.driver.command({ text: 'workspace create', userId: newUser(), responseUrl });

    const reply = await h.slack.waitForResponse((r) => r.url === responseUrl);
    expect(reply.body).toEqual({ response_type: 'ephemeral', text: "The form couldn't be opened. Please try again in a moment." });
    expect(h.slack.callsTo('views.open').every((c) => c.error === 'service_unavailable')).toBe(true);
    expect(h.slack.views.size).toBe(0);
    h.slack.down(false);
    await h.expectStillServing(mark);
  });

  it('rate_limited with Retry-After — waits as told, then opens the form within the trigger’s life', async () => {
    const mark = h.mark();
    h.slack.fail('views.open', 'rate_limited', { retryAfter: 1 });
    const userId = newUser();
    const triggerId = `trigger-${randomUUID()}`;

    await h.app.driver.command({ text: 'workspace create', userId, triggerId });

    const opened = await h.slack.waitFor('views.open', (c) => c.error === undefined);
    const calls = h.slack.callsTo('views.open');
    expect(calls.map((c) => [c.args.trigger_id, c.httpStatus, c.error])).toEqual([
      [triggerId, 429, 'rate_limited'],
      [triggerId, 200, undefined],
    ]);
    const waited = opened.at - (calls[0]?.at ?? 0);
    expect(waited).toBeGreaterThanOrEqual(1000);
    expect(waited).toBeLessThan(3000);
    expect(h.slack.responses).toEqual([]);
    await h.expectStillServing(mark);
  });
});

describe('the result cannot be shown in the modal (hash_conflict on views.update)', () => {
  it.each(KINDS)('%s created: the channel message carries the result, the audit says it was posted', async (kind) => {
    const mark = h.mark();
    h.slack.fail('views.update', 'hash_conflict');
    const userId = newUser();
    const name = `Conflict ${userId}`;
    const opened = await openCreateForm(h, kind, { userId });

    await submitCreate(h, opened, typed(kind, name));

    const post = await h.slack.waitFor('chat.postMessage');
    const made = theOnlyResource(h, kind, name);
    expect(post.error).toBeUndefined();
    expect(post.args.channel).toBe(opened.channelId);
    expect(String(post.args.text)).toContain(made.id);
    expect(String(post.args.text)).toContain(made.slug);
    const refused = await h.slack.waitFor('views.update', (c) => c.args.view_id === opened.form.id);
    expect(refused.error).toBe('hash_conflict');
    expect(h.portkey.requestsTo('POST', CREATE_PATH[kind])).toHaveLength(1);

    const opId = await operationOf(h.app, userId);
    expect(await auditTrailOf(h.app, userId, 3)).toEqual([
      { actor: userId, action: `${kind}.create`, target: opId, outcome: 'submitted', detail: null },
      {
        actor: userId,
        action: `${kind}.create.portkey`,
        target: made.slug,
        outcome: 'succeeded',
        detail: { id: made.id, slug: made.slug, recovered: false },
      },
      { actor: 'app', action: 'notification', target: opId, outcome: 'sent:channel', detail: null },
    ]);
    await h.expectStillServing(mark);
  });

  it('refused by Portkey: the refusal the modal could not show is sent privately through the reply link', async () => {
    const mark = h.mark();
    h.portkey.fault({ method: 'POST', path: CREATE_PATH.workspace }, { status: 403 });
    h.slack.fail('views.update', 'hash_conflict');
    const userId = newUser();
    const opened = await openCreateForm(h, 'workspace', { userId });

    await submitCreate(h, opened, typed('workspace', `Refused ${userId}`));

    const reply = await h.slack.waitForResponse((r) => r.url === opened.responseUrl);
    const error =
      "Portkey refused: the admin key lacks permission for this, or your Portkey plan doesn't allow it. " +
      'Portkey said: "You do not have enough permissions to execute this request" Ask a Portkey org admin to check the key\'s scopes.';
    expect(reply.body).toEqual({
      response_type: 'ephemeral',
      text: `:warning: Your workspace *Refused ${userId}* was not created. ${error}`,
    });
    expect(h.slack.responses).toHaveLength(1);
    // The modal is tried too (after the notice), and refused.
    await h.slack.waitFor('views.update', (c) => c.args.view_id === opened.form.id);
    expect(h.slack.callsTo('views.update').map((c) => c.error)).toEqual(['hash_conflict']);
    expect(h.slack.callsTo('chat.postMessage')).toEqual([]);
    expect(h.portkey.workspaces).toEqual([]);

    const opId = await operationOf(h.app, userId);
    const trail = await auditTrailOf(h.app, userId, 3);
    expect(trail).toEqual([
      { actor: userId, action: 'workspace.create', target: opId, outcome: 'submitted', detail: null },
      { actor: userId, action: 'workspace.create.portkey', target: opId, outcome: 'failed', detail: { error } },
      { actor: 'app', action: 'notification', target: opId, outcome: 'sent:response_url', detail: null },
    ]);
    await h.expectStillServing(mark);
  });
});

describe('the result cannot be posted in the channel', () => {
  const cases = KINDS.flatMap((kind) => ['not_in_channel', 'channel_not_found'].map((error) => ({ kind, error })));

  it.each(cases)('$kind, $error: posted through the command’s reply link instead', async ({ kind, error }) => {
    const mark = h.mark();
    h.slack.fail('chat.postMessage', error);
    const userId = newUser();
    const name = `Elsewhere ${userId}`;
    const opened = await openCreateForm(h, kind, { userId, channelId: 'C_PRIVATE' });

    await submitCreate(h, opened, typed(kind, name));

    const reply = await h.slack.waitForResponse((r) => r.url === opened.responseUrl);
    const made = theOnlyResource(h, kind, name);
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({ response_type: 'in_channel', text: expect.stringContaining(made.id), blocks: expect.any(Array) });
    expect(String(reply.body.text)).toContain(made.slug);
    expect(allText(reply.body.blocks)).toContain(`\`${made.id}\``);
    expect(allText(reply.body.blocks)).toContain(`<@${userId}>`);
    expect(h.slack.callsTo('chat.postMessage').map((c) => [c.args.channel, c.error])).toEqual([['C_PRIVATE', error]]);
    expect(h.slack.callsTo('conversations.open')).toEqual([]);

    const shown = await viewUpdate(h, opened.form.id, isSuccessView);
    // Whatever the reason (not a member, no such channel): the note claims no more than it knows.
    expect(viewText(shown)).toContain("Posted in <#C_PRIVATE> through the command's reply link (the app couldn't post there itself).");
    expect(h.portkey.requestsTo('POST', CREATE_PATH[kind])).toHaveLength(1);

    const opId = await operationOf(h.app, userId);
    expect(await auditTrailOf(h.app, userId, 3)).toEqual([
      { actor: userId, action: `${kind}.create`, target: opId, outcome: 'submitted', detail: null },
      {
        actor: userId,
        action: `${kind}.create.portkey`,
        target: made.slug,
        outcome: 'succeeded',
        detail: { id: made.id, slug: made.slug, recovered: false },
      },
      { actor: 'app', action: 'notification', target: opId, outcome: 'sent:response_url', detail: null },
    ]);
    await h.expectStillServing(mark);
  });

  it('rate_limited with Retry-After: waits as told, then posts once in the channel', async () => {
    const mark = h.mark();
    h.slack.fail('chat.postMessage', 'rate_limited', { retryAfter: 1 });
    const userId = newUser();
    const name = `Throttled ${userId}`;
    const opened = await openCreateForm(h, 'workspace', { userId });

    await submitCreate(h, opened, typed('workspace', name));

    const posted = await h.slack.waitFor('chat.postMessage', (c) => c.error === undefined);
    const made = theOnlyResource(h, 'workspace', name);
    const posts = h.slack.callsTo('chat.postMessage');
    expect(posts.map((c) => [c.args.channel, c.httpStatus, c.error])).toEqual([
      [opened.channelId, 429, 'rate_limited'],
      [opened.channelId, 200, undefined],
    ]);
    expect(posted.at - (posts[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    expect(posts[1]?.args).toEqual(posts[0]?.args);
    expect(String(posted.args.text)).toContain(made.id);
    expect(h.slack.responses).toEqual([]);
    await viewUpdate(h, opened.form.id, isSuccessView);

    const opId = await operationOf(h.app, userId);
    expect(await auditTrailOf(h.app, userId, 3)).toEqual([
      { actor: userId, action: 'workspace.create', target: opId, outcome: 'submitted', detail: null },
      {
        actor: userId,
        action: 'workspace.create.portkey',
        target: made.slug,
        outcome: 'succeeded',
        detail: { id: made.id, slug: made.slug, recovered: false },
      },
      { actor: 'app', action: 'notification', target: opId, outcome: 'sent:channel', detail: null },
    ]);
    await h.expectStillServing(mark);
  });
});

describe('the Web API goes down after the form opened (the reply link still works)', () => {
  it('created: the result reaches the channel through the reply link', async () => {
    const mark = h.mark();
    const userId = newUser();
    const name = `Outage ${userId}`;
    const opened = await openCreateForm(h, 'workspace', { userId });
    h.slack.down(true);

    await submitCreate(h, opened, typed('workspace', name));

    const reply = await h.slack.waitForResponse((r) => r.url === opened.responseUrl);
    const made = theOnlyResource(h, 'workspace', name);
    expect(reply.body).toEqual({ response_type: 'in_channel', text: expect.stringContaining(made.id), blocks: expect.any(Array) });
    expect(allText(reply.body.blocks)).toContain(`\`${made.slug}\``);
    expect(h.slack.callsTo('chat.postMessage').every((c) => c.error === 'service_unavailable')).toBe(true);
    expect(h.portkey.requestsTo('POST', CREATE_PATH.workspace)).toHaveLength(1);

    const opId = await operationOf(h.app, userId);
    expect(await auditTrailOf(h.app, userId, 3)).toEqual([
      { actor: userId, action: 'workspace.create', target: opId, outcome: 'submitted', detail: null },
      {
        actor: userId,
        action: 'workspace.create.portkey',
        target: made.slug,
        outcome: 'succeeded',
        detail: { id: made.id, slug: made.slug, recovered: false },
      },
      { actor: 'app', action: 'notification', target: opId, outcome: 'sent:response_url', detail: null },
    ]);
    // The modal could not be updated either; once Slack is back the app answers as usual.
    await h.slack.waitFor('views.update', (c) => c.args.view_id === opened.form.id);
    expect(h.slack.callsTo('views.update').every((c) => c.error === 'service_unavailable')).toBe(true);
    h.slack.down(false);
    await h.expectStillServing(mark);
  });

  it('refused by Portkey: the refusal reaches the person privately through the reply link', async () => {
    const mark = h.mark();
    h.portkey.fault({ method: 'POST', path: CREATE_PATH.integration }, { status: 400 });
    const userId = newUser();
    const opened = await openCreateForm(h, 'integration', { userId });
    h.slack.down(true);

    await submitCreate(h, opened, typed('integration', `Outage ${userId}`));

    const reply = await h.slack.waitForResponse((r) => r.url === opened.responseUrl, 8000);
    const error =
      'Portkey rejected the integration as invalid. Portkey said: "Invalid request. Please check and try again." Fix the form and try again.';
    const slug = String(record(h.portkey.requestsTo('POST', CREATE_PATH.integration)[0]?.body, 'create body').slug);
    expect(reply.body).toEqual({
      response_type: 'ephemeral',
      text: `:warning: Your OpenAI integration *Outage ${userId}* (slug \`${slug}\`) was not created. ${error}`,
    });
    expect(h.slack.responses).toHaveLength(1);
    await h.slack.waitFor('views.update', (c) => c.args.view_id === opened.form.id);
    expect(h.slack.callsTo('views.update').every((c) => c.error === 'service_unavailable')).toBe(true);
    expect(h.portkey.integrations).toEqual([]);

    const opId = await operationOf(h.app, userId);
    expect(await auditTrailOf(h.app, userId, 3)).toEqual([
      { actor: userId, action: 'integration.create', target: opId, outcome: 'submitted', detail: null },
      { actor: userId, action: 'integration.create.portkey', target: opId, outcome: 'failed', detail: { error } },
      { actor: 'app', action: 'notification', target: opId, outcome: 'sent:response_url', detail: null },
    ]);
    h.slack.down(false);
    await h.expectStillServing(mark);
  });
});
