import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { viewFrom, type FillableView } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import type { SlackCall } from '../support/fake-slack.js';
import { allText, record, theButton } from '../support/payload.js';
import { fill } from './integration-helpers.js';

// The policy decides an onboarding once, on the strictest of its parts (each decided as its own kind would be) and
// its own rules; approvers see every part as Portkey holds it; one approval runs every step.

const APPROVALS = 'C0OBAPPROVALS';
const POLICY = `version: 1
default: allow
approvals_channel: ${APPROVALS}
rules:
  - name: Anthropic needs approval
    action: integration.create
    providers: [anthropic]
    effect: require_approval
    approvers:
      users: [UAPPROVER]
  - name: No workspaces for this one
    action: workspace.create
    users: [UNOWS]
    effect: deny
    reason: You may not create workspaces.
  - name: Interns do not onboard teams
    action: team.onboard
    users: [UINTERN]
    effect: deny
    reason: Ask the platform team to onboard your team.
rate_limits:
  - {action: workspace.create, max: 1, window: 1h, per: user}
  - {action: integration.create, max: 50, window: 1h, per: user}
  - {action: team.onboard, max: 50, window: 1h, per: user}
`;
const dir = mkdtempSync(path.join(tmpdir(), 'portkey-onboard-policy-'));
writeFileSync(path.join(dir, 'policy.yml'), POLICY);

const h = useTestEnv({ env: { POLICY_FILE: path.join(dir, 'policy.yml') } });

function seed() {
  h.portkey.seedIntegration({ name: 'OpenAI prod', ai_provider_id: 'openai', slug: 'openai-prod', key: 'sk-openai-seeded-1234567890' });
  h.portkey.seedIntegration({ name: 'Claude', ai_provider_id: 'anthropic', slug: 'anthropic-prod', key: 'sk-ant-seeded-1234567890' });
}

async function onboard(userId: string, name: string, picked: Array<{ value: string; text: string }>) {
  const triggerId = `trigger-${randomUUID()}`;
  expect((await h.app.driver.command({ text: `onboard ${name}`, triggerId, userId })).status).toBe(200);
  const form: FillableView = viewFrom(await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId), h.slack.views);
  const res = await h.app.driver.viewSubmission({ view: fill(form, {}, { ob_integrations: picked }), userId });
  const ack = record(res.json, 'ack');
  expect(ack.response_action).toBe('update');
  return { form, shown: allText(record(ack.view, 'ack view').blocks) };
}

/** The channel's summary of a finished onboarding (the requester's channel also gets the "sent for approval" note). */
const summaryPosted = () =>
  h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_GENERAL' && String(c.args.text).startsWith('Team workspace'), 10_000);

const writes = () => h.portkey.requests.filter((r) => r.method === 'POST' || r.method === 'PUT').map((r) => `${r.method} ${r.path}`);

describe('onboarding under a policy', () => {
  it('needs approval when one part does; the card shows every part as Portkey holds it; one approval runs every step', async () => {
    seed();
    // The labels the client sends are not what approvers see.
    const { shown } = await onboard('U_ALICE', 'Research', [
      { value: 'openai-prod', text: 'Harmless thing' },
      { value: 'anthropic-prod', text: 'Also harmless' },
    ]);
    expect(shown).toContain('sent for approval');
    expect(writes()).toEqual([]);

    const post: SlackCall = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS);
    const card = allText(post.args.blocks);
    expect(card).toContain('asks to create team workspace Research with 2 integrations enabled in it');
    expect(card).toContain('OpenAI prod (openai-prod), provider openai');
    expect(card).toContain('Claude (anthropic-prod), provider anthropic');
    expect(card).toContain('Anthropic needs approval');
    expect(card).not.toContain('harmless');

    const approve = theButton(post.args.blocks, 'approval_approve');
    const res = await h.app.driver.blockAction({
      actionId: 'approval_approve',
      blockId: approve.blockId,
      value: approve.value ?? '',
      userId: 'UAPPROVER',
      channelId: APPROVALS,
      responseUrl: h.slack.responseUrl(),
    });
    expect(res.status).toBe(200);
    const summary = await summaryPosted();
    expect(writes()).toEqual([
      'POST /admin/workspaces',
      'PUT /integrations/openai-prod/workspaces',
      'PUT /integrations/anthropic-prod/workspaces',
    ]);
    const ws = h.portkey.workspaces[0];
    expect(allText(summary.args.blocks)).toContain(`\`${ws?.id}\``);
  });

  it('runs at once when every part is allowed', async () => {
    seed();
    const { shown } = await onboard('U_BOB', 'Growth', [{ value: 'openai-prod', text: 'OpenAI prod' }]);
    expect(shown).not.toContain('sent for approval');
    await summaryPosted();
    expect(writes()).toEqual(['POST /admin/workspaces', 'PUT /integrations/openai-prod/workspaces']);
    expect(h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === APPROVALS)).toEqual([]);
  });

  it('is denied when a part is (the workspace, as workspace.create would be): nothing is sent', async () => {
    seed();
    const { shown } = await onboard('UNOWS', 'Sneaky', [{ value: 'openai-prod', text: 'OpenAI prod' }]);
    expect(shown).toContain('You may not create workspaces.');
    expect(writes()).toEqual([]);
  });

  it("is denied by the bundle's own rules", async () => {
    seed();
    const { shown } = await onboard('UINTERN', 'Interns', []);
    expect(shown).toContain('Ask the platform team to onboard your team.');
    expect(writes()).toEqual([]);
  });

  it('counts against the workspace limit: a bundle is no way around it', async () => {
    seed();
    await onboard('U_CAROL', 'First', []);
    await summaryPosted();
    const { shown } = await onboard('U_CAROL', 'Second', []);
    expect(shown).toContain('Too many requests');
    expect(shown).toContain('1 workspace per person every hour');
    expect(writes()).toEqual(['POST /admin/workspaces']);
  });
});
