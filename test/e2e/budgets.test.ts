import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fillView, viewFrom, type FillableView } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import { allText, record, theButton } from '../support/payload.js';
import { eventually } from '../support/wait.js';
import { fill, openForm, storedView, submitForResult } from './integration-helpers.js';

// Issue 13 §1 end to end: budgets and rate limits on integration access, through signed requests into the real app.
// The evidence is the exact PUT /integrations/{slug}/workspaces body the fake Portkey (which validates it against the
// official schema) received and keeps, and what reached the channel, the approvers and the requester.

const POLICY = `
version: 1
default: allow
approvals_channel: C0APPROVALS
admins:
  users: [UADMIN]
rules:
  - name: budgets-over-100-need-approval
    action: [integration.create, integration.access]
    effect: require_approval
    approvers:
      users: [UAPPROVER]
    budget: { max_cost: 100, max_tokens: 1000000, required: true }
  - name: no-runaway-rates
    action: integration.access
    effect: deny
    reason: "Rate limits above 1000 requests a minute are not allowed."
    rate_limit: { max_per_minute: 1000 }
`;
const policyDir = mkdtempSync(path.join(tmpdir(), 'portkey-policy-budgets-'));
const policyFile = path.join(policyDir, 'policy.yml');
writeFileSync(policyFile, POLICY);

const h = useTestEnv({ env: { POLICY_FILE: policyFile } });

const KEY = 'gsk-CANARY-budgets-0123456789abcdef';
const WS_PATH = (slug: string) => `/integrations/${slug}/workspaces`;

function ackedView(json: unknown): Record<string, unknown> {
  const ack = record(json, 'ack');
  expect(ack.response_action, JSON.stringify(ack.errors)).toBe('update');
  return record(ack.view, 'the view in the ack');
}

async function openAccess(text = 'access', userId = 'UALICE'): Promise<FillableView> {
  const triggerId = `trigger-${randomUUID()}`;
  const res = await h.app.driver.command({ text, triggerId, userId, channelId: 'C0TEAM' });
  expect(res.status).toBe(200);
  const call = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
  const view = viewFrom(call, h.slack.views);
  expect(view.callback_id).toBe('integration_access');
  return view;
}

/** What Portkey answers for the integration's workspaces, asked the way the app asks. */
async function portkeyAccess(slug: string): Promise<unknown> {
  const res = await fetch(`${h.portkey.baseUrl}${WS_PATH(slug)}`, { headers: { 'x-portkey-api-key': h.portkey.adminKey } });
  return res.json();
}

function seed() {
  const ws = h.portkey.seedWorkspace({ name: 'Research', slug: 'research' });
  const integration = h.portkey.seedIntegration({
    name: 'OpenAI prod',
    slug: 'openai-prod',
    ai_provider_id: 'openai',
    key: 'sk-seeded-1234',
  });
  return { ws, integration };
}

describe('the integration form: a budget for every "enable in" workspace', () => {
  it('create with a $50 monthly budget and 100 requests a minute: the exact PUT body reached Portkey, which answers it back', async () => {
    const ws = h.portkey.seedWorkspace({ name: 'Research', slug: 'research' });
    const view = await openForm(h, 'integration create groq', { userId: 'UALICE', channelId: 'C0TEAM' });
    await submitForResult(
      h,
      view,
      { int_name: 'Groq research', int_key__groq: KEY, lim_amount: '50', lim_alert: '40', lim_reset: 'monthly', lim_rate: '100' },
      { int_access: [{ value: ws.id, text: 'Research (research)' }] },
    );
    await eventually('the workspaces PUT', () => h.portkey.requestsTo('PUT', WS_PATH('groq-research')).length === 1);
    const usage = [{ type: 'cost', credit_limit: 50, alert_threshold: 40, periodic_reset: 'monthly' }];
    const rate = [{ type: 'requests', unit: 'rpm', value: 100 }];
    expect(h.portkey.requestsTo('PUT', WS_PATH('groq-research')).map((r) => r.body)).toEqual([
      { workspaces: [{ id: ws.id, enabled: true, create_default_provider: true, usage_limits: usage, rate_limits: rate }] },
    ]);
    expect(await portkeyAccess('groq-research')).toEqual({
      total: 1,
      workspaces: [{ id: 'research', enabled: true, usage_limits: usage, rate_limits: rate }],
    });
    const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0TEAM');
    expect(allText(post.args.blocks)).toContain(
      'Enabled in: Research (research) — each with $50 of cost, reset monthly, alert at $40; 100 requests a minute',
    );
    expect(JSON.stringify(h.slack.calls)).not.toContain(KEY);
  });

  it('a budget typed wrong: refused on its block, and every other entry stays as typed', async () => {
    const ws = h.portkey.seedWorkspace({ name: 'Research', slug: 'research' });
    const view = await openForm(h, 'integration create groq', { userId: 'UALICE', channelId: 'C0TEAM' });
    const res = await h.app.driver.viewSubmission({
      view: fill(
        view,
        { int_name: 'Groq research', int_key__groq: KEY, lim_amount: '-5', lim_rate: '1.5' },
        { int_access: [{ value: ws.id, text: 'Research' }] },
      ),
      userId: 'UALICE',
    });
    const ack = record(res.json, 'ack');
    expect(ack.response_action).toBe('errors');
    expect(Object.keys(record(ack.errors, 'errors')).sort()).toEqual(['lim_amount', 'lim_rate']);
    // Slack keeps the modal (errors don't replace it): what was typed is still there; nothing went to Portkey.
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
  });

  it('a budget above $100: sent for approval, and the approval card shows the amounts', async () => {
    const ws = h.portkey.seedWorkspace({ name: 'Research', slug: 'research' });
    const view = await openForm(h, 'integration create groq', { userId: 'UALICE', channelId: 'C0TEAM' });
    const res = await h.app.driver.viewSubmission({
      view: fill(
        view,
        { int_name: 'Groq big', int_key__groq: KEY, lim_amount: '5000' },
        { int_access: [{ value: ws.id, text: 'Research' }] },
      ),
      userId: 'UALICE',
    });
    expect(allText(ackedView(res.json).blocks)).toContain('`budgets-over-100-need-approval`');
    const card = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0APPROVALS');
    expect(allText(card.args.blocks)).toContain('$5,000 of cost, never reset');
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
  });
});

describe('/portkey access: enable an integration in a workspace, or change its budget', () => {
  it('the pickers load from Portkey: only organisation-wide integrations', async () => {
    const { ws } = seed();
    h.portkey.seedIntegration({ name: 'Team only', slug: 'team-only', ai_provider_id: 'groq', key: 'gsk-x', workspace_id: ws.id });
    const view = await openAccess();
    const options = async (actionId: string, blockId: string) => {
      const res = await h.app.driver.options({ actionId, blockId, value: '', userId: 'UALICE', view: fillView(view, {}) });
      return (record(res.json, 'options').options as Array<{ value: string }>).map((o) => o.value);
    };
    expect(await options('acc_integration_search', 'acc_integration')).toEqual(['openai-prod']);
    expect(await options('acc_workspace_search', 'acc_workspace')).toContain(ws.id);
  });

  it('allowed: the exact PUT, and the channel names the integration and workspace as Portkey holds them, with the amounts', async () => {
    const { ws } = seed();
    const view = await openAccess('access openai-prod');
    const res = await h.app.driver.viewSubmission({
      view: fillView(view, {
        acc_integration: { value: 'openai-prod', text: 'Totally harmless' },
        acc_workspace: { value: ws.id, text: 'Sandbox' },
        lim_amount: '80',
        lim_rate: '500',
      }),
      userId: 'UALICE',
    });
    expect(record(res.json, 'ack').response_action).toBe('update');
    await eventually('the workspaces PUT', () => h.portkey.requestsTo('PUT', WS_PATH('openai-prod')).length === 1);
    expect(h.portkey.requestsTo('PUT', WS_PATH('openai-prod')).map((r) => r.body)).toEqual([
      {
        workspaces: [
          {
            id: ws.id,
            enabled: true,
            usage_limits: [{ type: 'cost', credit_limit: 80 }],
            rate_limits: [{ type: 'requests', unit: 'rpm', value: 500 }],
            create_default_provider: true,
          },
        ],
      },
    ]);
    const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0TEAM');
    const text = allText(post.args.blocks);
    expect(text).toContain('<@UALICE> enabled *OpenAI prod* (`openai-prod`) in *Research* (`research`).');
    expect(text).toContain('$80 of cost, never reset');
    expect(text).toContain('500 requests a minute');
    expect(JSON.stringify(post.args)).not.toMatch(/Totally harmless|Sandbox/);
  });

  it('changing a budget to none needs approval; the card shows what Portkey holds now; approved, the old limits are cleared', async () => {
    const { ws, integration } = seed();
    integration.workspaceAccess.set('research', {
      id: 'research',
      enabled: true,
      usage_limits: [{ type: 'cost', credit_limit: 80 }],
      rate_limits: null,
    });
    const view = await openAccess();
    const res = await h.app.driver.viewSubmission({
      view: fillView(view, { acc_integration: { value: 'openai-prod', text: 'x' }, acc_workspace: { value: ws.id, text: 'y' } }),
      userId: 'UALICE',
    });
    expect(allText(ackedView(res.json).blocks)).toContain('`budgets-over-100-need-approval`');
    const card = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0APPROVALS');
    const cardText = allText(card.args.blocks);
    expect(cardText).toContain('enabled — $80 of cost, never reset; no rate limit');
    expect(cardText).toContain('no budget');
    expect(h.portkey.requestsTo('PUT', WS_PATH('openai-prod'))).toEqual([]);

    const approve = theButton(card.args.blocks, 'approval_approve');
    await h.app.driver.blockAction({
      actionId: 'approval_approve',
      blockId: approve.blockId,
      value: approve.value ?? '',
      userId: 'UAPPROVER',
      channelId: 'C0APPROVALS',
      responseUrl: h.slack.responseUrl(),
    });
    await eventually('the workspaces PUT', () => h.portkey.requestsTo('PUT', WS_PATH('openai-prod')).length === 1);
    expect(h.portkey.requestsTo('PUT', WS_PATH('openai-prod'))[0]?.body).toEqual({
      workspaces: [{ id: ws.id, enabled: true, usage_limits: null, rate_limits: null, create_default_provider: false }],
    });
    expect(await portkeyAccess('openai-prod')).toEqual({
      total: 1,
      workspaces: [{ id: 'research', enabled: true, usage_limits: null, rate_limits: null }],
    });
    const post = await h.slack.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'C0TEAM' && allText(c.args.blocks).includes(':moneybag:'),
    );
    expect(allText(post.args.blocks)).toContain('changed the budget of *OpenAI prod* (`openai-prod`) in *Research*');
  });

  it('denied by the rate-limit rule: nothing sent to Portkey, and the person is told why', async () => {
    const { ws } = seed();
    const view = await openAccess();
    const res = await h.app.driver.viewSubmission({
      view: fillView(view, {
        acc_integration: { value: 'openai-prod', text: 'x' },
        acc_workspace: { value: ws.id, text: 'y' },
        lim_amount: '10',
        lim_rate: '2000',
      }),
      userId: 'UALICE',
    });
    expect(allText(ackedView(res.json).blocks)).toContain('Rate limits above 1000 requests a minute are not allowed.');
    expect(h.portkey.requestsTo('PUT', WS_PATH('openai-prod'))).toEqual([]);
  });

  it('a workspace Portkey does not have, and a workspace-scoped integration: refused on their blocks', async () => {
    const { ws } = seed();
    h.portkey.seedIntegration({ name: 'Team only', slug: 'team-only', ai_provider_id: 'groq', key: 'gsk-x', workspace_id: ws.id });
    const view = await openAccess();
    const res = await h.app.driver.viewSubmission({
      view: fillView(view, { acc_integration: { value: 'team-only', text: 'x' }, acc_workspace: { value: 'ws-nope', text: 'Research' } }),
      userId: 'UALICE',
    });
    const ack = record(res.json, 'ack');
    expect(ack.response_action).toBe('errors');
    expect(ack.errors).toEqual({
      acc_integration: 'This integration belongs to one workspace: only an organisation-wide integration can be enabled in workspaces.',
      acc_workspace: 'Portkey has no such workspace that this app can see. Choose it from the list.',
    });
  });

  it('Portkey refuses the PUT: the requester is told, nothing claimed', async () => {
    const { ws } = seed();
    h.portkey.fault(
      { method: 'PUT', path: WS_PATH('openai-prod') },
      { status: 403, body: { success: false, data: { message: 'no', errorCode: 'AB03' } } },
      1,
    );
    const view = await openAccess();
    await h.app.driver.viewSubmission({
      view: fillView(view, {
        acc_integration: { value: 'openai-prod', text: 'x' },
        acc_workspace: { value: ws.id, text: 'y' },
        lim_amount: '10',
      }),
      userId: 'UALICE',
    });
    const shown = await h.slack.waitFor(
      'views.update',
      (c) => c.args.view_id === view.id && allText(record(c.args.view, 'view').blocks).includes('was not changed'),
      10_000,
    );
    expect(allText(record(shown.args.view, 'view').blocks)).toContain('Portkey refused');
    // "Back to the form": everything typed comes back, the pickers labelled as Portkey holds them.
    const shownView = storedView(h.slack, view.id);
    const backButton = theButton(shownView.blocks, 'access_back');
    await h.app.driver.blockAction({
      actionId: 'access_back',
      blockId: backButton.blockId,
      value: backButton.value ?? '',
      view: fillView(shownView, {}),
      userId: 'UALICE',
    });
    await h.slack.waitFor(
      'views.update',
      (c) => c.args.view_id === view.id && JSON.stringify(c.args.view).includes('"integration_access"'),
    );
    const back = storedView(h.slack, view.id);
    const blocks = JSON.stringify(back.blocks);
    expect(blocks).toContain('"initial_option":{"text":{"type":"plain_text","text":"OpenAI prod (openai-prod)"');
    expect(blocks).toContain('"initial_value":"10"');
    expect(back.callback_id).toBe('integration_access');
    expect(
      h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0TEAM' && allText(c.args.blocks).includes('enabled')),
    ).toEqual([]);
  });

  it("Portkey's answers lost (500s after doing it): the app reads GET /integrations/{slug}/workspaces and credits the change", async () => {
    const { ws } = seed();
    h.portkey.fault({ method: 'PUT', path: WS_PATH('openai-prod') }, { status: 500, afterHandling: true }, 10);
    const view = await openAccess();
    await h.app.driver.viewSubmission({
      view: fillView(view, {
        acc_integration: { value: 'openai-prod', text: 'x' },
        acc_workspace: { value: ws.id, text: 'y' },
        lim_amount: '10',
      }),
      userId: 'UALICE',
    });
    const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0TEAM', 15_000);
    expect(allText(post.args.blocks)).toContain('enabled *OpenAI prod*');
    expect(h.portkey.requestsTo('GET', WS_PATH('openai-prod')).length).toBeGreaterThanOrEqual(2);
  });

  it('Preview on the access form: the decision and the exact PUT with the amounts, and nothing written', async () => {
    const { ws } = seed();
    const form = await openAccess();
    const button = theButton(form.blocks, 'form_preview');
    const res = await h.app.driver.blockAction({
      actionId: 'form_preview',
      blockId: button.blockId,
      view: fillView(form, {
        acc_integration: { value: 'openai-prod', text: 'x' },
        acc_workspace: { value: ws.id, text: 'y' },
        lim_amount: '5000',
        lim_rate: '100',
      }),
      userId: 'UALICE',
    });
    expect(res.status).toBe(200);
    const push = await h.slack.waitFor('views.push');
    const pushedId = String(record(push.response?.view, 'pushed view').id);
    const update = await h.slack.waitFor('views.update', (c) => c.args.view_id === pushedId, 10_000);
    const text = allText(record(update.args.view, 'preview').blocks);
    expect(text).toContain('budgets-over-100-need-approval');
    expect(text).toContain('PUT');
    expect(text).toContain('/integrations/openai-prod/workspaces');
    expect(text).toContain('"credit_limit": 5000');
    expect(text).toContain('$5,000 of cost, never reset; 100 requests a minute');
    expect(h.portkey.requestsTo('PUT', WS_PATH('openai-prod'))).toEqual([]);
  });
});
