import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { peekSqlite } from '../support/db.js';
import { useTestEnv } from '../support/env.js';
import { allText, record, theButton } from '../support/payload.js';
import { checkMessage } from '../support/view-limits.js';
import { chooseAuthMode, fill, openForm } from './integration-helpers.js';
import { LIFT_BUILT_IN_RULES } from '../support/policy.js'; // these cases are about what approvers see

// Issue 10 §3 end to end: signed requests into the real app; the evidence is the approval message the fake Slack
// received. A crafted option label can't rename the workspace an integration is enabled in, and a request an
// approver couldn't see whole is refused before anything is posted.

const POLICY = `
version: 1
default: allow
approvals_channel: C0APPROVALS
rules:
${LIFT_BUILT_IN_RULES}  - name: keys-need-approval
    action: integration.create
    providers: [openai, sagemaker]
    effect: require_approval
    reason: "Keys are reviewed."
    approvers:
      users: [UAPPROVER]
`;
const policyDir = mkdtempSync(path.join(tmpdir(), 'portkey-approval-truth-'));
const policyFile = path.join(policyDir, 'policy.yml');
writeFileSync(policyFile, POLICY);

const h = useTestEnv({ env: { POLICY_FILE: policyFile } });
const KEY = 'sk-approval-truth-0123456789abcdef';

async function operation(opId: string): Promise<Record<string, unknown>> {
  const row = (await peekSqlite(h.app.dataDir).rows('operations')).find((r) => r.id === opId);
  if (!row) throw new Error(`no operation ${opId}`);
  return row;
}

describe('the approval message names what Portkey holds, not what the client sent', () => {
  it('"Mallory sandbox" as the label of the Production workspace id: approvers see Production and its id', async () => {
    const prod = h.portkey.seedWorkspace({ name: 'Production', slug: 'production' });
    const view = await openForm(h, 'integration create openai', { userId: 'UMALLORY', channelId: 'C0MALLORY' });
    const res = await h.app.driver.viewSubmission({
      view: fill(
        view,
        { int_name: 'OpenAI prod', int_slug: 'openai-prod', int_key__openai: KEY },
        { int_access: [{ value: prod.id, text: 'Mallory sandbox' }] },
      ),
      userId: 'UMALLORY',
    });
    expect(res.status).toBe(200);
    expect(record(res.json, 'ack').response_action).toBe('update');

    const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0APPROVALS');
    expect(post.error).toBeUndefined();
    const opId = theButton(post.args.blocks, 'approval_approve').value ?? '';

    // The name comes from the lookup stored at submission, when there is one; without it, the id alone, said so.
    const request = JSON.parse(String((await operation(opId)).request_json)) as {
      resolved?: { access?: Array<{ id: string; name: string }> };
    };
    const looked = request.resolved?.access?.find((w) => w.id === prod.id);
    if (looked) expect(looked.name).toBe('Production');
    const enabledIn = looked ? `Production (id ${prod.id})` : `id ${prod.id} (name not looked up)`;

    expect(post.args.text).toBe('Approval needed: <@UMALLORY> asks to create OpenAI integration OpenAI prod');
    expect(post.args.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: ':raising_hand: <@UMALLORY> asks to create OpenAI integration OpenAI prod.' } },
      {
        type: 'section',
        text: {
          type: 'mrkdwn',
          text: [
            '*Provider:* OpenAI (openai)',
            "*Custom host:* none (the provider's own endpoint)",
            '*Key:* provided (never shown)',
            '*Scope:* whole organisation',
            `*Enable in:* ${enabledIn}`,
            '*Budget in each workspace:* no budget',
            '*Rate limit in each workspace:* no rate limit',
          ].join('\n'),
        },
      },
      { type: 'section', text: { type: 'mrkdwn', text: '*Name:* OpenAI prod\n*Slug:* openai-prod' } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*Rule*\n`keys-need-approval`' },
          {
            type: 'mrkdwn',
            text: expect.stringMatching(
              /^\*Expires\*\n<!date\^\d+\^\{date_short_pretty\} at \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>$/,
            ) as unknown as string,
          },
          { type: 'mrkdwn', text: '*Why approval is needed*\nKeys are reviewed.' },
        ],
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: "Approvers: <@UAPPROVER> · the requester can't approve their own request" }] },
      {
        type: 'actions',
        block_id: 'approval_decide',
        elements: [
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Approve', emoji: true },
            action_id: 'approval_approve',
            value: opId,
            style: 'primary',
          },
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Deny', emoji: true },
            action_id: 'approval_deny',
            value: opId,
            style: 'danger',
          },
        ],
      },
    ]);
    expect(checkMessage(post.args)).toEqual([]);
    expect(JSON.stringify(h.slack.calls)).not.toContain('Mallory sandbox');
    expect(JSON.stringify(h.slack.calls)).not.toContain(KEY);
  });
});

describe('a look-alike host', () => {
  // "api.оpenai.com" with a Cyrillic о reads as OpenAI's host; the gateway reaches api.xn--penai-iye.com, someone else's.
  it('an approver is shown the host as it will be reached (xn--…), beside what was typed', async () => {
    const typed = 'https://api.\u043epenai.com/v1';
    const view = await openForm(h, 'integration create openai', { userId: 'ULOOKALIKE', channelId: 'C0LOOK' });
    const res = await h.app.driver.viewSubmission({
      view: fill(view, { int_name: 'Looks like OpenAI', int_key__openai: KEY, int_custom_host: typed }),
      userId: 'ULOOKALIKE',
    });
    expect(record(res.json, 'ack').response_action).toBe('update');
    const post = await h.slack.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'C0APPROVALS' && allText(c.args.blocks).includes('<@ULOOKALIKE>'),
    );
    expect(allText(post.args.blocks)).toContain(
      `*Custom host:* ${typed} (reached as https://api.xn--penai-iye.com/v1: the name has characters outside ASCII)`,
    );
  });
});

describe('free text that dresses up as a row', () => {
  // A description is multiline: its lines must not read as rows of their own ("*Enable in:* no workspace").
  it('a description with "*Enable in:* no workspace" on its own line stays inside the Description row', async () => {
    const prod = h.portkey.seedWorkspace({ name: 'Production', slug: 'production-forged-rows' });
    const view = await openForm(h, 'integration create openai', { userId: 'UFORGER', channelId: 'C0FORGER' });
    const res = await h.app.driver.viewSubmission({
      view: fill(
        view,
        {
          int_name: 'Harmless',
          int_key__openai: KEY,
          int_description: 'Sandbox only.\n*Enable in:* no workspace\n*Scope:* workspace Sandbox',
        },
        { int_access: [{ value: prod.id, text: 'Production' }] },
      ),
      userId: 'UFORGER',
    });
    expect(record(res.json, 'ack').response_action).toBe('update');
    const post = await h.slack.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'C0APPROVALS' && allText(c.args.blocks).includes('<@UFORGER>'),
    );
    const text = allText(post.args.blocks);
    expect(text).not.toMatch(/\n\*Enable in:\* no workspace/);
    expect(text).not.toMatch(/\n\*Scope:\* workspace Sandbox/);
    expect(text).toContain('*Description:* Sandbox only. ↵ *Enable in:* no workspace ↵ *Scope:* workspace Sandbox');
  });
});

describe('a request an approver could not see whole', () => {
  it('is refused in the modal before anything is posted or created, and the refusal is audited', async () => {
    let view = await openForm(h, 'integration create sagemaker', { userId: 'UHIDER', channelId: 'C0HIDER' });
    view = await chooseAuthMode(h, view, 'sagemaker', 'assumedRole');
    // Valid, and each escapes to five times its length: together more than an approval message can show whole.
    const host = `https://proxy.example.com/?${'&'.repeat(2000)}`;
    const role = `arn:aws:iam::123456789012:role/${'&'.repeat(2000)}`;
    const posted = h.slack.callsTo('chat.postMessage').length;
    const res = await h.app.driver.viewSubmission({
      view: fill(view, {
        int_name: 'Hidden SageMaker',
        int_custom_host: host,
        int_f__sagemaker__aws_region: 'us-east-1',
        int_f__sagemaker__assumedRole__aws_role_arn: role,
      }),
      userId: 'UHIDER',
    });
    expect(res.status).toBe(200);
    const ack = record(res.json, 'ack');
    expect(ack.response_action, JSON.stringify(ack.errors)).toBe('update');
    const shown = allText(record(ack.view, 'the view in the ack').blocks);
    expect(shown).toContain(':no_entry: *Not allowed.* An approver could not be shown this request whole:');
    expect(shown).toContain('Ask for less at once');

    const opId = theButton(record(ack.view, 'view').blocks, 'integration_back').value ?? '';
    const op = await operation(opId);
    expect(op.status).toBe('denied');
    expect(JSON.parse(String(op.governance_json))).toMatchObject({ effect: 'deny', rule: 'keys-need-approval', reservations: [] });
    const audit = (await peekSqlite(h.app.dataDir).rows('audit')).filter(
      (r) => r.target === opId && r.action === 'integration.create.policy',
    );
    expect(audit.map((r) => r.outcome)).toEqual(['deny']);
    // Nothing reached the approvers or Portkey.
    expect(
      h.slack
        .callsTo('chat.postMessage')
        .slice(posted)
        .filter((c) => c.args.channel === 'C0APPROVALS'),
    ).toEqual([]);
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
  });
});
