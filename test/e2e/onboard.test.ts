import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fillView, viewFrom, type FillableView } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import type { PortkeyRequest } from '../support/fake-portkey.js';
import type { SlackCall } from '../support/fake-slack.js';
import { allText, elementsWithAction, record, theButton } from '../support/payload.js';
import { peekSqlite } from '../support/db.js';
import { clickInView, fill, storedView } from './integration-helpers.js';

// `/portkey onboard` end to end: one form → one decision → one operation of ordered steps at the fake Portkey (which
// validates every body against Portkey's spec) → one channel summary. A failure at each step stops the chain with a
// per-step report; "Retry the remaining steps" finishes it without repeating a done step.

const h = useTestEnv();

function seed() {
  h.portkey.seedIntegration({ name: 'OpenAI prod', ai_provider_id: 'openai', slug: 'openai-prod', key: 'sk-openai-seeded-1234567890' });
  h.portkey.seedIntegration({ name: 'Claude', ai_provider_id: 'anthropic', slug: 'anthropic-prod', key: 'sk-ant-seeded-1234567890' });
}

async function openOnboard(text = 'onboard Research'): Promise<FillableView> {
  const triggerId = `trigger-${randomUUID()}`;
  const res = await h.app.driver.command({ text, triggerId });
  expect(res.status).toBe(200);
  const call = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
  const view = viewFrom(call, h.slack.views);
  expect(view.callback_id).toBe('onboard_submit');
  return view;
}

const PICKED = [
  { value: 'openai-prod', text: 'OpenAI prod (openai-prod)' },
  { value: 'anthropic-prod', text: 'Claude (anthropic-prod)' },
];

/** Submits the form; resolves with the modal once it shows how the run ended (done or stopped). */
async function submitOnboard(view: FillableView, picked = PICKED): Promise<FillableView> {
  const res = await h.app.driver.viewSubmission({
    view: fill(view, { ob_slug: 'research', ob_description: 'The research team' }, { ob_integrations: picked }),
  });
  expect(res.status).toBe(200);
  expect(record(res.json, 'ack').response_action, JSON.stringify(res.json)).toBe('update');
  await h.slack.waitFor(
    'views.update',
    (c) => c.args.view_id === view.id && /white_check_mark|:warning:/.test(allText(record(c.args.view, 'view').blocks)),
    10_000,
  );
  return storedView(h.slack, view.id);
}

/** What the app changed in Portkey, in order: the creates and updates (reads left out). */
function writes(): Array<{ call: string; body: unknown; status: number | undefined }> {
  return h.portkey.requests
    .filter((r: PortkeyRequest) => r.method === 'POST' || r.method === 'PUT')
    .map((r) => ({ call: `${r.method} ${r.path}`, body: r.body, status: r.status }));
}

function channelPosts(): SlackCall[] {
  return h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C_GENERAL');
}

function theWorkspace() {
  const ws = h.portkey.workspaces.find((w) => w.name === 'Research');
  if (!ws) throw new Error('Portkey holds no workspace Research');
  return ws;
}

const WS_BODY = { name: 'Research', description: 'The research team', slug: 'research' };
const access = (id: string) => ({ workspaces: [{ id, enabled: true, create_default_provider: true }] });

describe('onboarding a team', () => {
  it('offers the organisation integrations Portkey holds in the picker', async () => {
    seed();
    h.portkey.seedWorkspace({ name: 'Other', slug: 'other' });
    h.portkey.seedIntegration({
      name: 'Scoped',
      ai_provider_id: 'openai',
      slug: 'scoped',
      key: 'sk-scoped-123456789',
      workspace_id: 'other',
    });
    const view = await openOnboard();
    const res = await h.app.driver.options({
      actionId: 'ob_integrations_pick',
      blockId: 'ob_integrations',
      value: '',
      view: fillView(view, {}),
    });
    const options = (record(res.json, 'options').options as Array<{ value: string }>).map((o) => o.value);
    expect(options).toEqual(['openai-prod', 'anthropic-prod']);
  });

  it('allowed: creates the workspace, then enables each integration in it — exact bodies in order — and posts one summary', async () => {
    seed();
    const view = await openOnboard();
    const result = await submitOnboard(view);

    const ws = theWorkspace();
    expect(writes()).toEqual([
      { call: 'POST /admin/workspaces', body: WS_BODY, status: 200 },
      { call: 'PUT /integrations/openai-prod/workspaces', body: access(ws.id), status: 200 },
      { call: 'PUT /integrations/anthropic-prod/workspaces', body: access(ws.id), status: 200 },
    ]);
    expect(h.portkey.integration('openai-prod')?.workspaceAccess.get('research')?.enabled).toBe(true);
    expect(h.portkey.integration('anthropic-prod')?.workspaceAccess.get('research')?.enabled).toBe(true);

    const shown = allText(result.blocks);
    expect(shown).toContain('is ready');
    expect(elementsWithAction(result.blocks, 'onboard_retry')).toEqual([]);
    // One summary in the channel, with every id and slug.
    await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_GENERAL');
    await new Promise((r) => setTimeout(r, 300));
    const posts = channelPosts();
    expect(posts).toHaveLength(1);
    const summary = allText(posts[0]?.args.blocks);
    expect(summary).toContain(`\`${ws.id}\``);
    expect(summary).toContain('`research`');
    expect(summary).toContain('`openai-prod`');
    expect(summary).toContain('`anthropic-prod`');
    expect(summary).not.toContain('sk-');
    // Each step audited once, as it ended, with its ids.
    const db = peekSqlite(h.app.dataDir);
    const op = (await db.rows('operations')).find((o) => o.view_id === view.id);
    const audit = (await db.rows('audit')).filter((a) => a.action === 'team.onboard.step' && a.target === op?.id);
    expect(audit.map((a) => [a.outcome, JSON.parse(String(a.detail_json))])).toEqual([
      ['done', { step: 'workspace', id: ws.id, slug: 'research' }],
      ['done', { step: 'integration:openai-prod', slug: 'openai-prod' }],
      ['done', { step: 'integration:anthropic-prod', slug: 'anthropic-prod' }],
    ]);
  });

  it('refuses an integration Portkey does not hold, on the picker, before anything is sent', async () => {
    seed();
    const view = await openOnboard();
    const res = await h.app.driver.viewSubmission({
      view: fill(view, {}, { ob_integrations: [{ value: 'ghost', text: 'OpenAI prod (openai-prod)' }] }),
    });
    const ack = record(res.json, 'ack');
    expect(ack.response_action).toBe('errors');
    expect(String(record(ack.errors, 'errors').ob_integrations)).toContain('ghost');
    expect(writes()).toEqual([]);
  });

  it('a failure creating the workspace stops the chain: nothing else is sent, the report says so privately', async () => {
    seed();
    h.portkey.fault({ method: 'POST', path: '/admin/workspaces' }, { status: 403, body: { error: { message: 'no', code: 'AB03' } } });
    const view = await openOnboard();
    const result = await submitOnboard(view);
    expect(writes().map((w) => w.call)).toEqual(['POST /admin/workspaces']);
    const shown = allText(result.blocks);
    expect(shown).toContain('before anything was created');
    expect(shown).toMatch(/:x: Create workspace Research — failed: /);
    expect(shown).toContain(':white_circle: Enable OpenAI prod (openai-prod) — not run');
    expect(theButton(result.blocks, 'onboard_back').value).toEqual(expect.any(String));
    const reply = await h.slack.waitForResponse(() => true);
    expect(reply.body.response_type).toBe('ephemeral');
    expect(String(reply.body.text)).toContain('Enable Claude (anthropic-prod) — not run');
    expect(channelPosts()).toEqual([]);
  });

  for (const failing of ['openai-prod', 'anthropic-prod']) {
    it(`a failure enabling ${failing} stops there; "Retry the remaining steps" finishes without repeating a done step`, async () => {
      seed();
      h.portkey.fault({ method: 'PUT', path: `/integrations/${failing}/workspaces` }, { status: 403 });
      const view = await openOnboard();
      const result = await submitOnboard(view);
      const ws = theWorkspace();

      const first = failing === 'openai-prod' ? 2 : 3;
      expect(writes()).toHaveLength(first);
      expect(writes().at(-1)).toEqual({ call: `PUT /integrations/${failing}/workspaces`, body: access(ws.id), status: 403 });
      const report = allText(result.blocks);
      expect(report).toContain(':white_check_mark: Create workspace Research');
      expect(report).toContain(`:x: Enable ${failing === 'openai-prod' ? 'OpenAI prod' : 'Claude'} (${failing}) — failed:`);
      if (failing === 'openai-prod') expect(report).toContain(':white_circle: Enable Claude (anthropic-prod) — not run');
      // The channel's summary has the workspace's ids and the retry.
      const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_GENERAL');
      expect(allText(post.args.blocks)).toContain(`\`${ws.id}\``);
      expect(elementsWithAction(post.args.blocks, 'onboard_retry')).toHaveLength(1);

      const after = await clickInView(h, view.id, 'onboard_retry');
      const all = writes();
      // The workspace was created once; only the steps not done ran again.
      expect(all.filter((w) => w.call === 'POST /admin/workspaces')).toHaveLength(1);
      expect(all.slice(first).map((w) => [w.call, w.status])).toEqual(
        failing === 'openai-prod'
          ? [
              ['PUT /integrations/openai-prod/workspaces', 200],
              ['PUT /integrations/anthropic-prod/workspaces', 200],
            ]
          : [['PUT /integrations/anthropic-prod/workspaces', 200]],
      );
      expect(allText(after.blocks)).toContain('is ready');
      expect(elementsWithAction(after.blocks, 'onboard_retry')).toEqual([]);
      expect(h.portkey.workspaces).toHaveLength(1);
      expect(channelPosts()).toHaveLength(1);
    });
  }

  it('a lost answer creating the workspace: it is found by exact name, not re-sent, and the chain carries on', async () => {
    seed();
    h.portkey.fault({ method: 'POST', path: '/admin/workspaces' }, { delayMs: 3000, afterHandling: true });
    const view = await openOnboard();
    const result = await submitOnboard(view);
    expect(allText(result.blocks)).toContain('is ready');
    expect(writes().map((w) => w.call)).toEqual([
      'POST /admin/workspaces',
      'PUT /integrations/openai-prod/workspaces',
      'PUT /integrations/anthropic-prod/workspaces',
    ]);
    expect(h.portkey.requestsTo('GET', '/admin/workspaces')[0]?.query.exact_name).toBe('Research');
    expect(h.portkey.workspaces).toHaveLength(1);
  });

  it("Preview: every step's call in order with its body, the look-ups first — nothing written, nothing stored", async () => {
    seed();
    const view = await openOnboard();
    const button = theButton(view.blocks, 'form_preview');
    const res = await h.app.driver.blockAction({
      actionId: 'form_preview',
      blockId: button.blockId,
      view: fill(view, { ob_slug: 'research' }, { ob_integrations: PICKED }),
    });
    expect(res.status).toBe(200);
    const push = await h.slack.waitFor('views.push');
    const pushedId = String(record(push.response?.view, 'pushed view').id);
    const update = await h.slack.waitFor('views.update', (c) => c.args.view_id === pushedId, 10_000);
    const text = allText(record(update.args.view, 'preview').blocks);
    const order = [
      'GET /integrations/openai-prod',
      'POST /admin/workspaces',
      'PUT /integrations/openai-prod/workspaces',
      'PUT /integrations/anthropic-prod/workspaces',
    ];
    const at = order.map((c) => text.indexOf(c));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(text).toContain('"slug": "research"');
    expect(writes()).toEqual([]);
    expect((await peekSqlite(h.app.dataDir).rows('operations')).filter((o) => o.view_id === view.id)).toEqual([]);
  });

  it('"Retry the remaining steps" is refused to anyone but the requester, and sends nothing', async () => {
    seed();
    h.portkey.fault({ method: 'PUT', path: '/integrations/openai-prod/workspaces' }, { status: 403 });
    const view = await openOnboard();
    await submitOnboard(view);
    const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_GENERAL');
    const button = theButton(post.args.blocks, 'onboard_retry');
    const before = writes().length;
    const responseUrl = h.slack.responseUrl();
    await h.app.driver.blockAction({
      actionId: 'onboard_retry',
      blockId: button.blockId,
      value: button.value ?? '',
      userId: 'U_MALLORY',
      responseUrl,
    });
    const reply = await h.slack.waitForResponse((r) => r.url === responseUrl);
    expect(String(reply.body.text)).toContain('Only <@U_ALICE>');
    expect(writes()).toHaveLength(before);
  });
});
