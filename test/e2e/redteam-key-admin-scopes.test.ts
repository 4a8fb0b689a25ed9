import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fillView, viewFrom, type FillValue } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import { allText, record, theButton } from '../support/payload.js';
import { eventually } from '../support/wait.js';

// Red team: a policy file that says nothing about keys (say, one written before key.create existed) let any member
// mint a workspace key that manages the workspace's members and keys — and with it add themselves as the workspace's
// admin through Portkey's API, which member.add's self-promotion guard exists to stop. Such a key needs the admins'
// approval unless a rule allows those scopes.

const POLICY = `
version: 1
default: allow
approvals_channel: C0APPROVALS
admins:
  users: [UADMIN]
rules:
  - name: OpenAI needs approval
    action: integration.create
    providers: [openai]
    effect: require_approval
    approvers:
      users: [UADMIN]
  - name: The bot team may mint key-managing keys
    action: key.create
    users: [UBOTS]
    scopes: ["workspace_service_api_keys.*", "completions.write"]
    effect: allow
rate_limits: []
`;
const dir = mkdtempSync(path.join(tmpdir(), 'portkey-redteam-keys-'));
writeFileSync(path.join(dir, 'policy.yml'), POLICY);

const h = useTestEnv({ env: { POLICY_FILE: path.join(dir, 'policy.yml') } });

let n = 0;
async function submitKey(userId: string, typed: Record<string, FillValue>) {
  const triggerId = `rt-key-${++n}`;
  expect((await h.app.driver.command({ text: 'key create', triggerId, userId, channelId: 'C_GENERAL' })).status).toBe(200);
  const view = viewFrom(await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId), h.slack.views);
  const res = await h.app.driver.viewSubmission({ view: fillView(view, typed), userId });
  return allText(record(record(res.json, 'ack').view, 'ack view'));
}

const created = () => h.portkey.requestsTo('POST', '/api-keys/workspace/service');

describe('keys that can manage a workspace', () => {
  it("need the admins' approval when no rule allows their scopes; only an admin may approve", async () => {
    const ws = h.portkey.seedWorkspace({ name: 'Research', slug: 'ws-research' });
    const shown = await submitKey('U_MALLORY', {
      key_name: 'totally-normal',
      key_workspace: { value: ws.id, text: 'Research' },
      key_preset: 'custom',
      key_scopes: ['completions.write', 'workspace_users.create'],
    });
    expect(shown).toContain('approval');
    expect(created()).toEqual([]);
    const card = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0APPROVALS');
    expect(allText(card.args.blocks)).toContain('admin-key-needs-approval');
    const approve = theButton(card.args.blocks, 'approval_approve');
    await h.app.driver.blockAction({
      actionId: 'approval_approve',
      blockId: approve.blockId,
      value: approve.value ?? '',
      userId: 'UADMIN',
      channelId: 'C0APPROVALS',
      responseUrl: h.slack.responseUrl(),
    });
    await eventually('the approved key', () => created().length === 1);
  });

  it('a completions key is still allowed at once, and a rule that allows the scopes lifts the guard', async () => {
    const ws = h.portkey.seedWorkspace({ name: 'Growth', slug: 'ws-growth' });
    await submitKey('U_BOB', { key_name: 'svc-chat', key_workspace: { value: ws.id, text: 'Growth' } });
    await eventually('the completions key', () => created().length === 1);
    await submitKey('UBOTS', {
      key_name: 'key-minter',
      key_workspace: { value: ws.id, text: 'Growth' },
      key_preset: 'custom',
      key_scopes: ['completions.write', 'workspace_service_api_keys.create'],
    });
    await eventually('the allowed key', () => created().length === 2);
    expect(h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0APPROVALS')).toEqual([]);
  });
});
