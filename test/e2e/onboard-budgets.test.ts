import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { viewFrom } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import { allText, record, theButton } from '../support/payload.js';
import { fill } from './integration-helpers.js';

// `/portkey onboard` with a budget and a rate limit: each integration it enables gets them in the new workspace, as
// the access's usage_limits / rate_limits (bodies checked against Portkey's spec by the fake), and the policy decides
// each integration's access with that budget — a rule on budgets holds inside the bundle as it does on its own.

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

const BOTH = [
  { value: 'openai-prod', text: 'OpenAI prod' },
  { value: 'anthropic-prod', text: 'Claude' },
];

async function submitOnboard(limits: Record<string, string | { value: string }>, picked = BOTH) {
  const triggerId = `trigger-${randomUUID()}`;
  expect((await h.app.driver.command({ text: 'onboard Research', triggerId })).status).toBe(200);
  const form = viewFrom(await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId), h.slack.views);
  const res = await h.app.driver.viewSubmission({ view: fill(form, { ob_slug: 'research', ...limits }, { ob_integrations: picked }) });
  expect(res.status).toBe(200);
  return record(res.json, 'ack');
}

const puts = () => h.portkey.requests.filter((r) => r.method === 'PUT').map((r) => ({ path: r.path, body: r.body, status: r.status }));
const summary = () =>
  h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_GENERAL' && String(c.args.text).startsWith('Team workspace'), 10_000);

describe('onboarding a team with a budget', () => {
  it('sends the budget and rate limit as each integration access’s usage_limits and rate_limits', async () => {
    const ack = await submitOnboard({ lim_amount: '500', lim_alert: '400', lim_reset: { value: 'monthly' }, lim_rate: '60' });
    expect(ack.response_action).toBe('update');
    await summary();
    const ws = h.portkey.workspaces.find((w) => w.name === 'Research');
    const entry = {
      id: ws?.id,
      enabled: true,
      create_default_provider: true,
      usage_limits: [{ type: 'cost', credit_limit: 500, alert_threshold: 400, periodic_reset: 'monthly' }],
      rate_limits: [{ type: 'requests', unit: 'rpm', value: 60 }],
    };
    expect(puts()).toEqual([
      { path: '/integrations/openai-prod/workspaces', body: { workspaces: [entry] }, status: 200 },
      { path: '/integrations/anthropic-prod/workspaces', body: { workspaces: [entry] }, status: 200 },
    ]);
  });

  it('a budget above the policy’s bound needs approval; the card shows it; one approval sends it', async () => {
    const ack = await submitOnboard({ lim_amount: '5000' });
    expect(allText(record(ack.view, 'ack view').blocks)).toContain('sent for approval');
    expect(puts()).toEqual([]);
    const card = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS);
    const shown = allText(card.args.blocks);
    expect(shown).toContain('big budgets need approval');
    expect(shown).toContain('$5,000 of cost, never reset');
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
    expect(puts().map((p) => (p.body as { workspaces: Array<{ usage_limits?: unknown }> }).workspaces[0]?.usage_limits)).toEqual([
      [{ type: 'cost', credit_limit: 5000 }],
      [{ type: 'cost', credit_limit: 5000 }],
    ]);
  });

  it('a rate limit the policy denies is refused, and nothing is sent', async () => {
    const ack = await submitOnboard({ lim_rate: '1000' });
    expect(allText(record(ack.view, 'ack view').blocks)).toContain('Keep rate limits at 600 a minute or less.');
    expect(h.portkey.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('a budget with no integration to apply to is refused on the form, keeping what was typed', async () => {
    const ack = await submitOnboard({ lim_amount: '500' }, []);
    expect(ack.response_action).toBe('errors');
    expect(String(record(ack.errors, 'errors').lim_amount)).toContain('applies to the workspaces it is enabled in');
    expect(h.portkey.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });
});
