import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { viewFrom, type FillableView } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import type { SlackCall } from '../support/fake-slack.js';
import { allText, record, theButton } from '../support/payload.js';
import { eventually } from '../support/wait.js';
import { fill } from './integration-helpers.js';

// Red team: a bundle whose parts need approval from different people. A teammate may approve a workspace; only the
// platform team may approve Anthropic. Onboarding a team with Anthropic must not let the teammate approve the
// Anthropic access that its own kind reserves for the platform team.

const APPROVALS = 'C0RTAPPROVALS';
const POLICY = `version: 1
default: allow
approvals_channel: ${APPROVALS}
rules:
  - name: Workspaces need a second pair of eyes
    action: workspace.create
    effect: require_approval
    approvers:
      users: [UPEER, UBOTH]
  - name: Anthropic needs the platform team
    action: integration.create
    providers: [anthropic]
    effect: require_approval
    approvers:
      users: [UPLATFORM, UBOTH]
rate_limits: []
`;
const dir = mkdtempSync(path.join(tmpdir(), 'portkey-redteam-policy-'));
writeFileSync(path.join(dir, 'policy.yml'), POLICY);

const h = useTestEnv({ env: { POLICY_FILE: path.join(dir, 'policy.yml') } });

async function onboard(userId: string, name: string, picked: Array<{ value: string; text: string }>) {
  const triggerId = `trigger-${randomUUID()}`;
  expect((await h.app.driver.command({ text: `onboard ${name}`, triggerId, userId })).status).toBe(200);
  const form: FillableView = viewFrom(await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId), h.slack.views);
  const res = await h.app.driver.viewSubmission({ view: fill(form, {}, { ob_integrations: picked }), userId });
  expect(record(res.json, 'ack').response_action).toBe('update');
}

const writes = () => h.portkey.requests.filter((r) => r.method === 'POST' || r.method === 'PUT').map((r) => `${r.method} ${r.path}`);

async function click(post: SlackCall, userId: string): Promise<string> {
  const approve = theButton(post.args.blocks, 'approval_approve');
  const url = h.slack.responseUrl();
  const res = await h.app.driver.blockAction({
    actionId: 'approval_approve',
    blockId: approve.blockId,
    value: approve.value ?? '',
    userId,
    channelId: APPROVALS,
    responseUrl: url,
  });
  expect(res.status).toBe(200);
  return url;
}

const told = async (url: string) => String((await h.slack.waitForResponse((r) => r.url === url)).body.text);

describe('a bundle whose parts need different approvers', () => {
  it("the workspace's approver alone can't approve the Anthropic access the platform team must approve", async () => {
    h.portkey.seedIntegration({ name: 'Claude', ai_provider_id: 'anthropic', slug: 'anthropic-prod', key: 'sk-ant-seeded-1234567890' });
    await onboard('U_ALICE', 'Research', [{ value: 'anthropic-prod', text: 'Claude' }]);
    const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS);
    const card = allText(post.args.blocks);
    // The card names both: whoever approves must be an approver of every part.
    expect(card).toContain('<@UPEER>');
    expect(card).toContain('<@UPLATFORM>');

    const refusal = 'You are not one of the approvers for this request.';
    expect(await told(await click(post, 'UPEER'))).toBe(refusal);
    expect(await told(await click(post, 'UPLATFORM'))).toBe(refusal);
    expect(writes()).toEqual([]);
    // Someone every part's rule names may approve it: then every step runs.
    await click(post, 'UBOTH');
    await eventually('every step', () => writes().length === 2);
    expect(writes()).toEqual(['POST /admin/workspaces', 'PUT /integrations/anthropic-prod/workspaces']);
  });
});
