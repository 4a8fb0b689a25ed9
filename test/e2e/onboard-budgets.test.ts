import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { viewFrom } from '../support/driver.js';
import type { SlackCall } from '../support/fake-slack.js';
import { useTestEnv } from '../support/env.js';
import { allText, record, theButton } from '../support/payload.js';

// `/portkey onboard` with a budget and a rate limit for EACH integration it enables: picking an integration rebuilds
// the form (views.update with the view's hash) with that integration's own fields, whose block ids come from its slug,
// so the fake Slack keeps what was typed in them as Slack does. Each integration's access gets its own usage_limits /
// rate_limits (bodies checked against Portkey's spec by the fake), and the policy decides each with its own budget.
// Payloads are made from what the fake holds for the view — blocks, hash, the person's state — as a Slack client does.

const APPROVALS = 'C0OBBAPPROVALS';
const POLICY = `version: 1
default: allow
approvals_channel: ${APPROVALS}
rules:
  - name: big budgets need approval
    action: integration.access
    budget: {max_cost: 1000}
    effect: require_approval
    approvers:
      users: [UAPPROVER]
  - name: fast rate limits are denied
    action: integration.access
    rate_limit: {max_per_minute: 600}
    effect: deny
    reason: Keep rate limits at 600 a minute or less.
`;
const dir = mkdtempSync(path.join(tmpdir(), 'portkey-onboard-budgets-'));
writeFileSync(path.join(dir, 'policy.yml'), POLICY);

const h = useTestEnv({ env: { POLICY_FILE: path.join(dir, 'policy.yml') } });

beforeEach(() => {
  h.portkey.seedIntegration({ name: 'OpenAI prod', ai_provider_id: 'openai', slug: 'openai-prod', key: 'sk-openai-seeded-1234567890' });
  h.portkey.seedIntegration({ name: 'Claude', ai_provider_id: 'anthropic', slug: 'anthropic-prod', key: 'sk-ant-seeded-1234567890' });
});

const OPENAI = { value: 'openai-prod', text: 'OpenAI prod (openai-prod)' };
const CLAUDE = { value: 'anthropic-prod', text: 'Claude (anthropic-prod)' };
const typed = (value: string) => ({ type: 'plain_text_input', value });
const chosen = (value: string) => ({ type: 'static_select', selected_option: { text: { type: 'plain_text', text: value }, value } });

async function openOnboard(): Promise<string> {
  const triggerId = `trigger-${randomUUID()}`;
  expect((await h.app.driver.command({ text: 'onboard Research', triggerId })).status).toBe(200);
  const id = viewFrom(await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId), h.slack.views).id;
  h.slack.enter(id, { ob_slug: { slug: typed('research') } });
  return id;
}

/** The person changes the picks: the client sends the dispatch action; resolves once the app rebuilt the view. */
async function pick(id: string, picks: Array<{ value: string; text: string }>): Promise<SlackCall> {
  const options = picks.map((p) => ({ text: { type: 'plain_text', text: p.text, emoji: true }, value: p.value }));
  h.slack.enter(id, { ob_integrations: { ob_integrations_pick: { type: 'multi_external_select', selected_options: options } } });
  const payload = h.slack.viewState(id);
  const seen = h.slack.callsTo('views.update').length;
  const res = await h.app.driver.blockAction({
    actionId: 'ob_integrations_pick',
    blockId: 'ob_integrations',
    type: 'multi_external_select',
    view: payload,
  });
  expect(res.status).toBe(200);
  const call = await h.slack.waitFor('views.update', (c) => c.args.view_id === id && h.slack.callsTo('views.update').indexOf(c) >= seen);
  expect(call.error).toBeUndefined();
  expect(call.args.hash).toBe(payload.hash);
  return call;
}

/** Types into one integration's budget fields (block ids from its slug). */
function budget(id: string, slug: string, fields: { amount?: string; alert?: string; reset?: string; rate?: string; type?: string }) {
  const b = (name: string) => `ob_${slug}:${name}`;
  h.slack.enter(id, {
    ...(fields.amount !== undefined ? { [b('lim_amount')]: { amount: typed(fields.amount) } } : {}),
    ...(fields.alert !== undefined ? { [b('lim_alert')]: { alert: typed(fields.alert) } } : {}),
    ...(fields.rate !== undefined ? { [b('lim_rate')]: { rate: typed(fields.rate) } } : {}),
    ...(fields.reset !== undefined ? { [b('lim_reset')]: { lim_reset_select: chosen(fields.reset) } } : {}),
    ...(fields.type !== undefined ? { [b('lim_type')]: { lim_type_select: chosen(fields.type) } } : {}),
  });
}

async function submit(id: string) {
  const res = await h.app.driver.viewSubmission({ view: h.slack.viewState(id) });
  expect(res.status).toBe(200);
  return record(res.json, 'ack');
}

const puts = () => h.portkey.requests.filter((r) => r.method === 'PUT').map((r) => ({ path: r.path, body: r.body, status: r.status }));
const summary = () =>
  h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_GENERAL' && String(c.args.text).startsWith('Team workspace'), 10_000);
const inputIds = (blocks: unknown[]) =>
  blocks.flatMap((b) => (record(b, 'block').type === 'input' ? [String(record(b, 'block').block_id)] : []));

describe('onboarding a team with a budget for each integration', () => {
  it('picking integrations rebuilds the form with fields for each; what was typed survives adding and removing picks', async () => {
    const id = await openOnboard();
    expect(inputIds(h.slack.viewState(id).blocks).filter((b) => b.includes(':lim_'))).toEqual([]);
    await pick(id, [OPENAI]);
    budget(id, 'openai-prod', { amount: '500', rate: '60' });
    await pick(id, [OPENAI, CLAUDE]);
    const both = h.slack.viewState(id);
    expect(inputIds(both.blocks).filter((b) => b.endsWith(':lim_amount'))).toEqual([
      'ob_openai-prod:lim_amount',
      'ob_anthropic-prod:lim_amount',
    ]);
    expect(allText(both.blocks)).toContain('*OpenAI prod (openai-prod)* in the new workspace');
    expect(allText(both.blocks)).toContain('*Claude (anthropic-prod)* in the new workspace');
    expect(both.state.values['ob_openai-prod:lim_amount']).toEqual({ amount: typed('500') });
    expect(both.state.values['ob_openai-prod:lim_rate']).toEqual({ rate: typed('60') });
    expect(both.state.values.ob_slug).toEqual({ slug: typed('research') });
    budget(id, 'anthropic-prod', { amount: '70' });
    // OpenAI removed: its fields go, Claude's keep what was typed in them.
    await pick(id, [CLAUDE]);
    const one = h.slack.viewState(id);
    expect(inputIds(one.blocks).filter((b) => b.includes('openai'))).toEqual([]);
    expect(one.state.values['ob_anthropic-prod:lim_amount']).toEqual({ amount: typed('70') });
    expect(h.portkey.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('sends each integration its own budget and rate limit: two exact PUT bodies', async () => {
    const id = await openOnboard();
    await pick(id, [OPENAI, CLAUDE]);
    budget(id, 'openai-prod', { amount: '500', alert: '400', reset: 'monthly', rate: '60' });
    // The policy bounds cost only: a tokens budget would escape it (it needs approval), so both are in dollars here.
    budget(id, 'anthropic-prod', { amount: '1,000', reset: 'weekly', rate: '10' });
    const ack = await submit(id);
    expect(ack.response_action).toBe('update');
    await summary();
    const ws = h.portkey.workspaces.find((w) => w.name === 'Research');
    const entry = { id: ws?.id, enabled: true, create_default_provider: true };
    expect(puts()).toEqual([
      {
        path: '/integrations/openai-prod/workspaces',
        body: {
          workspaces: [
            {
              ...entry,
              usage_limits: [{ type: 'cost', credit_limit: 500, alert_threshold: 400, periodic_reset: 'monthly' }],
              rate_limits: [{ type: 'requests', unit: 'rpm', value: 60 }],
            },
          ],
        },
        status: 200,
      },
      {
        path: '/integrations/anthropic-prod/workspaces',
        body: {
          workspaces: [
            {
              ...entry,
              usage_limits: [{ type: 'cost', credit_limit: 1000, periodic_reset: 'weekly' }],
              rate_limits: [{ type: 'requests', unit: 'rpm', value: 10 }],
            },
          ],
        },
        status: 200,
      },
    ]);
  });

  it('a budget above the bound for one integration: the bundle needs approval, the card shows both amounts', async () => {
    const id = await openOnboard();
    await pick(id, [OPENAI, CLAUDE]);
    budget(id, 'openai-prod', { amount: '5000' });
    budget(id, 'anthropic-prod', { amount: '200' });
    const ack = await submit(id);
    expect(allText(record(ack.view, 'ack view').blocks)).toContain('sent for approval');
    expect(puts()).toEqual([]);
    const card = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS);
    const shown = allText(card.args.blocks);
    expect(shown).toContain('big budgets need approval');
    expect(shown).toContain('OpenAI prod (openai-prod)');
    expect(shown).toContain('$5,000 of cost, never reset');
    expect(shown).toContain('Claude (anthropic-prod)');
    expect(shown).toContain('$200 of cost, never reset');
    const approve = theButton(card.args.blocks, 'approval_approve');
    await h.app.driver.blockAction({
      actionId: 'approval_approve',
      blockId: approve.blockId,
      value: approve.value ?? '',
      userId: 'UAPPROVER',
      channelId: APPROVALS,
      responseUrl: h.slack.responseUrl(),
    });
    await summary();
    expect(puts().map((p) => [p.path, (p.body as { workspaces: Array<{ usage_limits?: unknown }> }).workspaces[0]?.usage_limits])).toEqual([
      ['/integrations/openai-prod/workspaces', [{ type: 'cost', credit_limit: 5000 }]],
      ['/integrations/anthropic-prod/workspaces', [{ type: 'cost', credit_limit: 200 }]],
    ]);
  });

  it('small budgets on both need no approval: each is judged on its own amount, not a sum', async () => {
    const id = await openOnboard();
    await pick(id, [OPENAI, CLAUDE]);
    budget(id, 'openai-prod', { amount: '900' });
    budget(id, 'anthropic-prod', { amount: '900' });
    expect((await submit(id)).response_action).toBe('update');
    await summary();
    expect(puts()).toHaveLength(2);
  });

  it('a rate limit the policy denies on one integration refuses the bundle, and nothing is sent', async () => {
    const id = await openOnboard();
    await pick(id, [OPENAI, CLAUDE]);
    budget(id, 'anthropic-prod', { rate: '1000' });
    budget(id, 'openai-prod', { amount: '300' });
    const ack = await submit(id);
    const refused = record(ack.view, 'ack view');
    expect(allText(refused.blocks)).toContain('Keep rate limits at 600 a minute or less.');
    expect(h.portkey.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    // "Back to the form" on the refusal: every integration's fields again, with what was typed in each, from the stored
    // draft (the fake never saw the ack's view replace the form, so the rebuilt view's initial values are what count).
    const back = theButton(refused.blocks, 'onboard_back');
    const seen = h.slack.callsTo('views.update').length;
    const payload = { ...h.slack.viewState(id), private_metadata: String(refused.private_metadata), blocks: refused.blocks as unknown[] };
    await h.app.driver.blockAction({ actionId: 'onboard_back', blockId: back.blockId, value: back.value ?? '', view: payload });
    const update = await h.slack.waitFor(
      'views.update',
      (c) => c.args.view_id === id && h.slack.callsTo('views.update').indexOf(c) >= seen,
    );
    const initial = (blockId: string) => {
      const blocks = record(update.args.view, 'view').blocks as unknown[];
      const block = blocks.map((x) => record(x, 'block')).find((x) => x.block_id === blockId);
      return block ? record(block.element, 'element').initial_value : 'no such block';
    };
    expect(initial('ob_openai-prod:lim_amount')).toBe('300');
    expect(initial('ob_anthropic-prod:lim_rate')).toBe('1000');
    expect(initial('ob_anthropic-prod:lim_amount')).toBeUndefined();
  });

  it("a wrong amount is refused on that integration's field; every integration's typed amounts stay", async () => {
    const id = await openOnboard();
    await pick(id, [OPENAI, CLAUDE]);
    budget(id, 'openai-prod', { amount: '500' });
    budget(id, 'anthropic-prod', { amount: '12.5' });
    const ack = await submit(id);
    expect(ack.response_action).toBe('errors');
    expect(Object.keys(record(ack.errors, 'errors'))).toEqual(['ob_anthropic-prod:lim_amount']);
    // An errors answer leaves the view as it is: Slack (and the fake) keep both amounts.
    const values = h.slack.viewState(id).state.values;
    expect(values['ob_openai-prod:lim_amount']).toEqual({ amount: typed('500') });
    expect(values['ob_anthropic-prod:lim_amount']).toEqual({ amount: typed('12.5') });
    expect(h.portkey.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});
