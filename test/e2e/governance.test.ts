import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { peekSqlite } from '../support/db.js';
import { fillView, viewFrom, type FillableView } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import type { SlackCall } from '../support/fake-slack.js';
import { allText, record, theButton } from '../support/payload.js';
import { eventually } from '../support/wait.js';
import { fill, openForm, storedView } from './integration-helpers.js';

// Governance end to end: the real app with a policy file, driven by signed requests, against the fake Slack (user
// groups, the approvals and audit channels) and the fake Portkey. What reached each fake is the evidence.

const POLICY = `
version: 1
default: allow
approvals_channel: C0APPROVALS
admins:
  users: [UADMIN]
rules:
  - name: interns-no-integrations
    action: integration.create
    groups: [S0INTERNS]
    effect: deny
    reason: "Interns can't connect AI providers <!channel> & ask in #platform."
  - name: llm-keys-need-platform
    action: integration.create
    providers: [openai, anthropic]
    effect: require_approval
    reason: "OpenAI and Anthropic keys are billed centrally."
    approvers:
      groups: [S0PLATFORM]
  - name: quick-workspaces
    action: workspace.create
    channels: [C0SHORT]
    only_in_channels: true
    effect: require_approval
    approvers:
      users: [UAPPROVER]
    expires_after: 2s
  - name: self-service
    action: workspace.create
    channels: [C0SELF]
    only_in_channels: true
    effect: require_approval
    approvers:
      users: [USELF]
    allow_self_approval: true
rate_limits:
  - action: workspace.create
    max: 2
    window: 10s
    per: user
`;
const policyDir = mkdtempSync(path.join(tmpdir(), 'portkey-policy-'));
const policyFile = path.join(policyDir, 'policy.yml');
writeFileSync(policyFile, POLICY);

const h = useTestEnv({ env: { POLICY_FILE: policyFile, AUDIT_CHANNEL: 'C0AUDIT' } });

beforeAll(() => {
  h.slack.setUsergroup('S0INTERNS', ['UINTERN']);
  h.slack.setUsergroup('S0PLATFORM', ['UPLAT1', 'UPLAT2']);
});

const CANARY = 'sk-CANARY-governed-4f3e2d1c0b9a';

// ---------------------------------------------------------------------------------------------------------------
// Helpers

async function submitIntegration(p: { userId: string; channelId: string; name: string; provider?: string; key?: string }) {
  const view = await openForm(h, `integration create ${p.provider ?? 'openai'}`, { userId: p.userId, channelId: p.channelId });
  const provider = p.provider ?? 'openai';
  const res = await h.app.driver.viewSubmission({
    view: fill(view, { int_name: p.name, [`int_key__${provider}`]: p.key ?? CANARY }),
    userId: p.userId,
  });
  expect(res.status).toBe(200);
  return { view, ack: record(res.json, 'ack') };
}

async function openWorkspaceForm(userId: string, channelId: string, name: string): Promise<FillableView> {
  const triggerId = `gov-trigger-${Math.random()}`;
  const res = await h.app.driver.command({ text: `workspace create ${name}`, triggerId, userId, channelId });
  expect(res.status).toBe(200);
  const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
  return viewFrom(open, h.slack.views);
}

async function submitWorkspace(userId: string, channelId: string, name: string) {
  const view = await openWorkspaceForm(userId, channelId, name);
  const res = await h.app.driver.viewSubmission({ view: fillView(view, {}), userId });
  expect(res.status).toBe(200);
  return { view, ack: record(res.json, 'ack') };
}

function ackView(ack: Record<string, unknown>): Record<string, unknown> {
  expect(ack.response_action).toBe('update');
  return record(ack.view, 'the view in the ack');
}

/** The approval request posted for a requester, with its buttons. */
async function approvalRequest(requester: string): Promise<{ post: SlackCall; opId: string; blockId: string }> {
  const post = await h.slack.waitFor(
    'chat.postMessage',
    (c) => c.args.channel === 'C0APPROVALS' && allText(c.args.blocks).includes(`<@${requester}>`),
  );
  expect(post.error).toBeUndefined();
  const approve = theButton(post.args.blocks, 'approval_approve');
  const deny = theButton(post.args.blocks, 'approval_deny');
  expect(deny.value).toBe(approve.value);
  if (!approve.value) throw new Error('the Approve button carries no operation id');
  return { post, opId: approve.value, blockId: approve.blockId };
}

/** A click on Approve / Deny / Cancel in a channel message; resolves with the response_url it was given. */
async function click(actionId: string, p: { userId: string; blockId: string; value: string; channelId?: string }): Promise<string> {
  const responseUrl = h.slack.responseUrl();
  const res = await h.app.driver.blockAction({
    actionId,
    blockId: p.blockId,
    value: p.value,
    userId: p.userId,
    channelId: p.channelId ?? 'C0APPROVALS',
    responseUrl,
  });
  expect(res.status).toBe(200);
  return responseUrl;
}

async function ephemeralAt(url: string): Promise<string> {
  const r = await h.slack.waitForResponse((x) => x.url === url);
  expect(r.body.response_type).toBe('ephemeral');
  expect(r.body.replace_original).toBe(false);
  return String(r.body.text);
}

/** The approval message as last updated (chat.update), once it shows `text`. */
function approvalUpdate(ts: string, text: string): Promise<SlackCall> {
  return h.slack.waitFor('chat.update', (c) => c.args.ts === ts && allText(c.args.blocks).includes(text), 10_000);
}

async function auditOf(opId: string): Promise<Array<{ actor: string; action: string; outcome: string; detail: unknown }>> {
  const rows = await peekSqlite(h.app.dataDir).rows('audit');
  return rows
    .filter((r) => r.target === opId)
    .map((r) => ({
      actor: String(r.actor_id),
      action: String(r.action),
      outcome: String(r.outcome),
      detail: r.detail_json === null ? null : JSON.parse(String(r.detail_json)),
    }));
}

async function operationRow(opId: string) {
  const rows = await peekSqlite(h.app.dataDir).rows('operations');
  const row = rows.find((r) => r.id === opId);
  if (!row) throw new Error(`no operation ${opId}`);
  return row;
}

async function sealedSecrets(opId: string) {
  return (await peekSqlite(h.app.dataDir).rows('operation_secrets')).filter((r) => r.operation_id === opId);
}

function auditLines(): string[] {
  return h.slack
    .callsTo('chat.postMessage')
    .filter((c) => c.args.channel === 'C0AUDIT')
    .map((c) => String(c.args.text));
}

// ---------------------------------------------------------------------------------------------------------------

describe('deny', () => {
  it('refuses an intern with the rule and its reason (escaped), keeps what they typed, creates and stores nothing secret', async () => {
    const { view, ack } = await submitIntegration({ userId: 'UINTERN', channelId: 'C0GEN', name: 'Intern OpenAI' });
    const shown = ackView(ack);
    const text = allText(shown.blocks);
    expect(text).toContain(":no_entry: *Not allowed.* Interns can't connect AI providers");
    expect(text).toContain('&lt;!channel&gt; &amp; ask in #platform.');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('Rule `interns-no-integrations`');
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);

    const opId = JSON.parse(String(shown.private_metadata)).operationId as string;
    const op = await operationRow(opId);
    expect(op.status).toBe('denied');
    expect(JSON.parse(String(op.governance_json))).toEqual({
      effect: 'deny',
      rule: 'interns-no-integrations',
      reason: "Interns can't connect AI providers <!channel> & ask in #platform.",
      reservations: [],
    });
    expect(await sealedSecrets(opId)).toEqual([]);
    const line = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0AUDIT');
    expect(line.args.text).toBe(
      ":no_entry: <@UINTERN> was refused OpenAI integration Intern OpenAI (rule `interns-no-integrations`): Interns can't connect AI providers &lt;!channel&gt; &amp; ask in #platform.",
    );

    // The audit-channel line was sent: the audit has it too.
    await eventually('the audit row of the sent line', async () => (await auditOf(opId)).length === 3);
    expect(await auditOf(opId)).toEqual([
      { actor: 'UINTERN', action: 'integration.create', outcome: 'submitted', detail: null },
      {
        actor: 'UINTERN',
        action: 'integration.create.policy',
        outcome: 'deny',
        detail: { rule: 'interns-no-integrations', reason: "Interns can't connect AI providers <!channel> & ask in #platform." },
      },
      { actor: 'app', action: 'notification', outcome: 'sent:channel', detail: null },
    ]);

    // "Back to the form" gives the form back as typed (but the key, which was never kept).
    const back = theButton(shown.blocks, 'integration_back');
    const res = await h.app.driver.blockAction({
      actionId: 'integration_back',
      blockId: back.blockId,
      value: opId,
      userId: 'UINTERN',
      view: { ...fillView(view, {}), private_metadata: String(shown.private_metadata) },
    });
    expect(res.status).toBe(200);
    const restored = await h.slack.waitFor('views.update', (c) => c.args.view_id === view.id);
    expect(JSON.stringify(restored.args.view)).toContain('"initial_value":"Intern OpenAI"');
    expect(JSON.stringify(h.slack.calls)).not.toContain(CANARY);
  });
});

describe('require approval', () => {
  it('sends the request for approval, refuses a stranger and the requester, then one approval creates it once', async () => {
    const { view: form, ack } = await submitIntegration({ userId: 'UPLAT1', channelId: 'C0REQ', name: 'Research OpenAI' });
    const waiting = allText(ackView(ack).blocks);
    expect(waiting).toContain('was *sent for approval* to <!subteam^S0PLATFORM> in <#C0APPROVALS>');
    expect(waiting).toContain('Rule `llm-keys-need-platform`: OpenAI and Anthropic keys are billed centrally.');
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);

    const { post, opId, blockId } = await approvalRequest('UPLAT1');
    const request = allText(post.args.blocks);
    expect(request).toContain(':raising_hand: <@UPLAT1> asks to create OpenAI integration Research OpenAI.');
    expect(request).toContain('*Provider:* OpenAI (openai)');
    expect(request).toContain('*Key:* provided (never shown)');
    expect(request).toContain('*Rule*\n`llm-keys-need-platform`');
    expect(request).toMatch(/\*Expires\*\n<!date\^\d+\^\{date_short_pretty\} at \{time\}\|\d{4}-\d\d-\d\d \d\d:\d\d UTC>/);
    expect(request).toContain("Approvers: <!subteam^S0PLATFORM> · the requester can't approve their own request");
    // The requester's channel hears where it went, with a way to cancel.
    const note = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0REQ');
    expect(String(note.args.text)).toContain(
      "<@UPLAT1>'s request to create OpenAI integration Research OpenAI was sent for approval in <#C0APPROVALS>",
    );
    expect(theButton(note.args.blocks, 'approval_cancel').value).toBe(opId);
    // The key is sealed while it waits.
    expect(await sealedSecrets(opId)).toHaveLength(1);

    // Someone who isn't an approver: told why, nothing changes.
    expect(await ephemeralAt(await click('approval_approve', { userId: 'UOUTSIDER', blockId, value: opId }))).toBe(
      'You are not one of the approvers for this request.',
    );
    // The requester is in the approvers' group, but may not approve their own request.
    expect(await ephemeralAt(await click('approval_approve', { userId: 'UPLAT1', blockId, value: opId }))).toBe(
      'You asked for this, so someone else among the approvers has to decide on it.',
    );
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
    expect((await operationRow(opId)).status).toBe('awaiting_approval');

    // An eligible approver: it runs.
    await click('approval_approve', { userId: 'UPLAT2', blockId, value: opId });
    const result = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0REQ' && String(c.args.text).includes('created'));
    const [created] = h.portkey.integrations;
    if (!created) throw new Error('nothing was created');
    expect(h.portkey.requestsTo('POST', '/integrations').map((r) => r.body)).toEqual([
      { name: 'Research OpenAI', slug: 'research-openai', ai_provider_id: 'openai', key: CANARY },
    ]);
    expect(String(result.args.text)).toContain(created.id);
    expect(String(result.args.text)).toContain(created.slug);
    const updated = await approvalUpdate(String(post.response?.ts), `Created: id \`${created.id}\``);
    expect(updated.args.channel).toBe('C0APPROVALS');
    expect(allText(updated.args.blocks)).toContain(':white_check_mark: Approved by <@UPLAT2>.');
    expect(JSON.stringify(updated.args.blocks)).not.toContain('approval_approve');

    // The requester's modal, still open, shows the result instead of "sent for approval".
    const modal = await h.slack.waitFor(
      'views.update',
      (c) => c.args.view_id === form.id && allText(record(c.args.view, 'v').blocks).includes('is ready'),
    );
    const shown = allText(record(modal.args.view, 'v').blocks);
    expect(shown).toContain(`\`${created.id}\``);
    expect(shown).toContain('Approved by <@UPLAT2> (rule `llm-keys-need-platform`).');

    // A late click: told who decided; still one create.
    expect(await ephemeralAt(await click('approval_approve', { userId: 'UPLAT1', blockId, value: opId }))).toBe(
      'That request was already approved by <@UPLAT2>.',
    );
    expect(h.portkey.requestsTo('POST', '/integrations')).toHaveLength(1);

    const op = await operationRow(opId);
    expect(op).toMatchObject({ status: 'succeeded', decided_by: 'UPLAT2', portkey_id: created.id, portkey_slug: created.slug });
    expect(await sealedSecrets(opId)).toEqual([]);
    const audit = await auditOf(opId);
    expect(audit.map((a) => `${a.actor} ${a.action} ${a.outcome}`)).toEqual(
      expect.arrayContaining([
        'UPLAT1 integration.create submitted',
        'UPLAT1 integration.create.policy approval_required',
        'UOUTSIDER integration.create.approve refused',
        'UPLAT1 integration.create.approve refused',
        'UPLAT2 integration.create.approve approved',
      ]),
    );
    await eventually('the audit channel to have the result line', () => auditLines().some((l) => l.includes(`id \`${created.id}\``)));
    expect(auditLines().filter((l) => l.includes('Research OpenAI'))).toEqual([
      ':hourglass_flowing_sand: <@UPLAT1> asked to create OpenAI integration Research OpenAI — approval required (rule `llm-keys-need-platform`)',
      ":+1: <@UPLAT2> approved <@UPLAT1>'s OpenAI integration Research OpenAI (rule `llm-keys-need-platform`)",
      `:white_check_mark: <@UPLAT1> created OpenAI integration Research OpenAI — id \`${created.id}\`, slug \`${created.slug}\` (rule \`llm-keys-need-platform\`, approved by <@UPLAT2>)`,
    ]);

    // The canary: sent to Portkey, and nowhere else — no Slack call, view, log line or table row.
    expect(JSON.stringify(h.slack.calls)).not.toContain(CANARY);
    expect(JSON.stringify(h.slack.responses)).not.toContain(CANARY);
    expect(JSON.stringify([...h.slack.views.values()])).not.toContain(CANARY);
    expect(h.app.logs.filter((l) => l.includes(CANARY))).toEqual([]);
    expect(JSON.stringify(await peekSqlite(h.app.dataDir).dump())).not.toContain(CANARY);
  });

  it('a stranger clicking Approve again and again is told every time, but audited once a minute per request', async () => {
    await submitIntegration({ userId: 'UFLOOD', channelId: 'C0FLOOD', name: 'Flooded OpenAI' });
    const { opId, blockId } = await approvalRequest('UFLOOD');
    for (let i = 0; i < 12; i += 1) {
      expect(
        await ephemeralAt(await click(i % 2 ? 'approval_deny' : 'approval_approve', { userId: 'UOUTSIDER', blockId, value: opId })),
      ).toBe('You are not one of the approvers for this request.');
    }
    // Another stranger is a row of their own.
    expect(await ephemeralAt(await click('approval_approve', { userId: 'UOTHER', blockId, value: opId }))).toBe(
      'You are not one of the approvers for this request.',
    );
    const refused = (await auditOf(opId)).filter((a) => a.outcome === 'refused').map((a) => `${a.actor} ${a.action}`);
    expect(refused).toEqual(['UOUTSIDER integration.create.approve', 'UOTHER integration.create.approve']);
    expect((await operationRow(opId)).status).toBe('awaiting_approval');
    // Withdrawn, so later tests see no pending request of this one.
    const note = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0FLOOD');
    const cancel = theButton(note.args.blocks, 'approval_cancel');
    await click('approval_cancel', { userId: 'UFLOOD', blockId: cancel.blockId, value: opId, channelId: 'C0FLOOD' });
    await eventually('the request to be cancelled', async () => (await operationRow(opId)).status === 'cancelled');
  });

  it('two approvers clicking at once, each twice, give one decision and one create', async () => {
    await submitIntegration({ userId: 'URACE', channelId: 'C0RACE', name: 'Raced OpenAI' });
    const { opId, blockId } = await approvalRequest('URACE');
    const urls = await Promise.all(
      ['UPLAT1', 'UPLAT2', 'UPLAT1', 'UPLAT2', 'UPLAT1', 'UPLAT2'].map((userId) =>
        click('approval_approve', { userId, blockId, value: opId }),
      ),
    );
    await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0RACE' && String(c.args.text).includes('created'));
    expect(h.portkey.requestsTo('POST', '/integrations')).toHaveLength(1);
    const op = await operationRow(opId);
    expect(['UPLAT1', 'UPLAT2']).toContain(op.decided_by);
    // Every other click was told who decided.
    const told = await eventually('five clicks to be answered', () => {
      const t = h.slack.responses.filter((r) => urls.includes(r.url)).map((r) => String(r.body.text));
      return t.length >= 5 ? t : undefined;
    });
    expect(told).toHaveLength(5);
    for (const t of told) expect(t).toBe(`That request was already approved by <@${String(op.decided_by)}>.`);
    const decisions = (await auditOf(opId)).filter((a) => a.action === 'integration.create.approve');
    expect(decisions.map((d) => d.outcome)).toEqual(['approved']);
  });

  it('a denial with a reason tells the requester privately and wipes the key', async () => {
    const { view: form } = await submitIntegration({ userId: 'UREQ2', channelId: 'C0REQ2', name: 'Anthropic Prod', provider: 'anthropic' });
    const { post, opId, blockId } = await approvalRequest('UREQ2');
    const url = await click('approval_deny', { userId: 'UPLAT1', blockId, value: opId });
    const reasonForm = await h.slack.waitFor('views.open', (c) => record(c.args.view, 'view').callback_id === 'approval_deny_reason');
    const reasonView = viewFrom(reasonForm, h.slack.views);
    expect(reasonView.private_metadata).toBe(JSON.stringify({ operationId: opId }));
    expect(h.slack.responses.filter((r) => r.url === url)).toEqual([]);

    const res = await h.app.driver.viewSubmission({
      view: fillView(reasonView, { deny_reason: 'Use the <shared> key & ask @platform' }),
      userId: 'UPLAT1',
    });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    const updated = await approvalUpdate(String(post.response?.ts), 'Denied by <@UPLAT1>');
    expect(allText(updated.args.blocks)).toContain(':no_entry: Denied by <@UPLAT1>: Use the &lt;shared&gt; key &amp; ask @platform');
    const told = await h.slack.waitForResponse((r) => String(r.body.text).includes('was denied'));
    expect(told.body).toMatchObject({
      response_type: 'ephemeral',
      text: ':no_entry: Your request to create Anthropic integration Anthropic Prod was denied by <@UPLAT1>: Use the &lt;shared&gt; key &amp; ask @platform Nothing was created.',
    });
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
    expect(await sealedSecrets(opId)).toEqual([]);
    expect(await operationRow(opId)).toMatchObject({
      status: 'denied',
      decided_by: 'UPLAT1',
      decision_reason: 'Use the <shared> key & ask @platform',
    });
    const modal = await h.slack.waitFor('views.update', (c) => c.args.view_id === form.id);
    expect(allText(record(modal.args.view, 'v').blocks)).toContain(
      'was denied by <@UPLAT1>: Use the &lt;shared&gt; key &amp; ask @platform',
    );
    expect(theButton(record(modal.args.view, 'v').blocks, 'integration_back').value).toBe(opId);
    // A second decision changes nothing.
    expect(await ephemeralAt(await click('approval_approve', { userId: 'UPLAT2', blockId, value: opId }))).toBe(
      'That request was already denied by <@UPLAT1>.',
    );
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
  });

  it('expires: the message says so, the requester is told, the held secret is wiped, a late click is refused', {
    timeout: 30_000,
  }, async () => {
    const { view: form, ack } = await submitWorkspace('UEXP', 'C0SHORT', 'Short Lived');
    expect(allText(ackView(ack).blocks)).toContain('was *sent for approval* to <@UAPPROVER> in <#C0APPROVALS>');
    const { post, opId, blockId } = await approvalRequest('UEXP');
    const updated = await approvalUpdate(String(post.response?.ts), 'Expired without a decision');
    expect(JSON.stringify(updated.args.blocks)).not.toContain('approval_approve');
    const told = await h.slack.waitForResponse((r) => String(r.body.text).includes('expired'));
    expect(told.body.text).toBe(
      ':hourglass: Your request to create workspace Short Lived expired without a decision, so nothing was created. Submit it again if it is still needed.',
    );
    expect(await operationRow(opId)).toMatchObject({ status: 'expired', decided_by: null });
    const modal = await h.slack.waitFor('views.update', (c) => c.args.view_id === form.id);
    expect(allText(record(modal.args.view, 'v').blocks)).toContain('This request expired without a decision');
    expect(await ephemeralAt(await click('approval_approve', { userId: 'UAPPROVER', blockId, value: opId }))).toBe(
      'That request has expired; nothing was created.',
    );
    expect(h.portkey.requestsTo('POST', '/admin/workspaces')).toEqual([]);
    expect((await auditOf(opId)).map((a) => `${a.actor} ${a.action} ${a.outcome}`)).toContain('app workspace.create.approval expired');
  });

  it('the requester cancels from the modal; the approval message and later clicks show it', async () => {
    const { view, ack } = await submitWorkspace('UCANCEL', 'C0SHORT', 'Never Mind');
    const shown = ackView(ack);
    const { post, opId, blockId } = await approvalRequest('UCANCEL');
    const cancel = theButton(shown.blocks, 'approval_cancel');
    expect(cancel.value).toBe(opId);
    // Someone else can't cancel it.
    expect(
      await ephemeralAt(await click('approval_cancel', { userId: 'UOTHER', blockId: cancel.blockId, value: opId, channelId: 'C0SHORT' })),
    ).toBe('Only the person who asked can cancel this request.');
    const res = await h.app.driver.blockAction({
      actionId: 'approval_cancel',
      blockId: cancel.blockId,
      value: opId,
      userId: 'UCANCEL',
      view: { ...storedView(h.slack, view.id), private_metadata: String(shown.private_metadata) },
    });
    expect(res.status).toBe(200);
    const modal = await h.slack.waitFor(
      'views.update',
      (c) => c.args.view_id === view.id && allText(record(c.args.view, 'v').blocks).includes('You cancelled'),
    );
    expect(theButton(record(modal.args.view, 'v').blocks, 'workspace_back').value).toBe(opId);
    await approvalUpdate(String(post.response?.ts), 'Cancelled by the requester');
    expect(await ephemeralAt(await click('approval_approve', { userId: 'UAPPROVER', blockId, value: opId }))).toBe(
      'That request was cancelled by the person who asked.',
    );
    expect(await operationRow(opId)).toMatchObject({ status: 'cancelled', decided_by: 'UCANCEL' });
    expect(h.portkey.requestsTo('POST', '/admin/workspaces')).toEqual([]);
  });

  it('lets the requester approve their own request where the rule allows it', async () => {
    await submitWorkspace('USELF', 'C0SELF', 'Self Served');
    const { opId, blockId } = await approvalRequest('USELF');
    await click('approval_approve', { userId: 'USELF', blockId, value: opId });
    await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0SELF' && String(c.args.text).includes('Self Served created'));
    expect(h.portkey.requestsTo('POST', '/admin/workspaces').map((r) => r.body)).toEqual([{ name: 'Self Served' }]);
  });
});

describe('rate limits', () => {
  it('refuses past the limit with when to try again, and allows again after the window; a failed create counts too', {
    timeout: 45_000,
  }, async () => {
    // Start at the beginning of a fresh 10 s window, so the three submissions share it.
    await new Promise((r) => setTimeout(r, 10_000 - (Date.now() % 10_000) + 50));
    h.portkey.fault({ method: 'POST', path: '/admin/workspaces' }, { status: 500 }, 1);
    const failed = await submitWorkspace('UBURST', 'C0BURST', 'Burst Fails');
    expect(ackView(failed.ack).callback_id).toBe('workspace_result');
    await eventually('the failed create', () => (h.portkey.requestsTo('POST', '/admin/workspaces').length === 1 ? true : undefined));
    await eventually('the failure to be recorded', async () =>
      (await peekSqlite(h.app.dataDir).rows('operations')).some(
        (r) => r.status === 'failed' && String(r.request_json).includes('Burst Fails'),
      ),
    );

    // The failed one kept its quota (it cost Portkey a create): one more fits in the window, the next doesn't.
    for (const name of ['Burst One']) {
      const { view } = await submitWorkspace('UBURST', 'C0BURST', name);
      await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0BURST' && String(c.args.text).includes(`${name} created`));
      // The person's result says which rule let it through (here none matched: the default).
      const result = await h.slack.waitFor('views.update', (c) => c.args.view_id === view.id);
      expect(allText(record(result.args.view, 'result').blocks)).toContain('Allowed by the policy default.');
    }
    const refused = await submitWorkspace('UBURST', 'C0BURST', 'Burst Three');
    const text = allText(ackView(refused.ack).blocks);
    expect(text).toContain(':no_entry: *Too many requests.* The limit is 2 workspaces per person every 10 seconds.');
    expect(text).toMatch(/Try again in \d+s \(<!date\^\d+\^/);
    expect(theButton(ackView(refused.ack).blocks, 'workspace_back')).toBeDefined();
    expect(h.portkey.requestsTo('POST', '/admin/workspaces').map((r) => (r.body as { name: string }).name)).toEqual([
      'Burst Fails',
      'Burst One',
    ]);
    // /portkey policy says how much is used and when it resets.
    const url = h.slack.responseUrl();
    await h.app.driver.command({ text: 'policy', userId: 'UBURST', channelId: 'C0BURST', responseUrl: url });
    const policy = allText((await h.slack.waitForResponse((r) => r.url === url)).body.blocks);
    expect(policy).toMatch(/• 2 workspaces per person every 10 seconds — you have used 2, resets <!date\^\d+\^/);
    // Someone else is counted apart.
    await submitWorkspace('UCALM', 'C0BURST', 'Calm One');
    await h.slack.waitFor('chat.postMessage', (c) => String(c.args.text).includes('Calm One created'));

    // After the window, the same person may create again.
    await new Promise((r) => setTimeout(r, 10_000 - (Date.now() % 10_000) + 50));
    await submitWorkspace('UBURST', 'C0BURST', 'Burst Four');
    await h.slack.waitFor('chat.postMessage', (c) => String(c.args.text).includes('Burst Four created'));
  });
});

describe('/portkey policy, pending and audit', () => {
  async function ask(text: string, userId: string, channelId = 'C0GEN'): Promise<Record<string, unknown>> {
    const url = h.slack.responseUrl();
    const res = await h.app.driver.command({ text, userId, channelId, responseUrl: url });
    expect(res.status).toBe(200);
    return (await h.slack.waitForResponse((r) => r.url === url)).body;
  }

  it('tells each person what they may create and which rules decide it', async () => {
    const intern = allText((await ask('policy', 'UINTERN')).blocks);
    expect(intern).toContain('*Workspaces:* allowed (the policy default)');
    expect(intern).toContain(
      "*Integrations:* not allowed — Interns can't connect AI providers &lt;!channel&gt; &amp; ask in #platform. (rule `interns-no-integrations`)",
    );
    expect(intern).toContain('Rules that match you: `interns-no-integrations`');

    const someone = allText((await ask('policy', 'USOMEONE')).blocks);
    expect(someone).toContain('• OpenAI, Anthropic: needs approval from <!subteam^S0PLATFORM> (rule `llm-keys-need-platform`)');
    expect(someone).toMatch(/• every other provider \(\d+\): allowed \(the policy default\)/);
    expect(someone).toContain('*Limits:*\n• 2 workspaces per person every 10 seconds');

    const inShort = allText((await ask('policy', 'USOMEONE', 'C0SHORT')).blocks);
    expect(inShort).toContain('*Workspaces:* needs approval from <@UAPPROVER> (rule `quick-workspaces`)');
  });

  it('pending: the requester sees their own with Cancel, an approver what they may decide, an admin every one', async () => {
    await submitIntegration({ userId: 'UPEND', channelId: 'C0PEND', name: 'Pending One' });
    const { opId } = await approvalRequest('UPEND');
    const mine = await ask('pending', 'UPEND');
    expect(allText(mine.blocks)).toContain('<@UPEND> — OpenAI integration Pending One');
    expect(theButton(mine.blocks, 'approval_cancel').value).toBe(opId);
    const admin = await ask('pending', 'UADMIN');
    expect(allText(admin.blocks)).toContain('<@UPEND> — OpenAI integration Pending One');
    expect(JSON.stringify(admin.blocks)).toContain(`"value":"${opId}"`);
    expect(JSON.stringify(admin.blocks)).toContain('approval_approve');
    // An approver who isn't an admin sees what they may decide on.
    const approver = await ask('pending', 'UPLAT2');
    expect(allText(approver.blocks)).toContain('<@UPEND> — OpenAI integration Pending One');
    expect(theButton(approver.blocks, `approval_approve`).value).toBe(opId);
    const stranger = await ask('pending', 'USTRANGER');
    expect(allText(stranger.blocks)).toBe('Nothing of yours, and nothing you may decide on, is waiting for approval.');
  });

  it('only admins read the audit when the policy names admins', async () => {
    expect((await ask('audit', 'UNOBODY')).text).toBe(
      'Only the admins named in the policy can read the audit. `/portkey policy` shows what you may do.',
    );
    expect((await ask('audit 3', 'UADMIN')).text).toBe('Audit log');
  });
});
