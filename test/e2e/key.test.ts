import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { peekSqlite } from '../support/db.js';
import { fillView, viewFrom, type FillableView, type FillValue } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import type { SlackCall } from '../support/fake-slack.js';
import { allText, record, theButton } from '../support/payload.js';
import { eventually } from '../support/wait.js';

// `/portkey key create` end to end: the returned key's value reaches the requester's modal once and nothing else;
// a closed modal gets a private notice (no value) with a governed Rotate whose new value is shown once too.

const POLICY = `
version: 1
default: allow
approvals_channel: C0APPROVALS
admins:
  users: [UADMIN]
rules:
  - name: admin-scopes-need-approval
    action: key.create
    scopes: ["workspace_users.*", "workspace_service_api_keys.*", "workspace_user_api_keys.*", "*.delete"]
    effect: require_approval
    approvers:
      users: [UAPPROVER]
rate_limits:
  - action: "*"
    max: 100
    window: 1m
`;
const policyDir = mkdtempSync(path.join(tmpdir(), 'portkey-key-policy-'));
const policyFile = path.join(policyDir, 'policy.yml');
writeFileSync(policyFile, POLICY);

const h = useTestEnv({ env: { POLICY_FILE: policyFile, AUDIT_CHANNEL: 'C0AUDIT' } });

let n = 0;
const canary = (what: string) => `pk-CANARY-${what}-${++n}-7d1e0f`;

/** Every place outside the fake Portkey the value could have gone: Slack calls, reply-link posts, logs, the database. */
async function placesWith(value: string): Promise<{ calls: SlackCall[]; responses: number; logs: number; db: boolean }> {
  const dump = await peekSqlite(h.app.dataDir).dump();
  return {
    calls: h.slack.calls.filter((c) => JSON.stringify(c.args).includes(value)),
    responses: h.slack.responses.filter((r) => JSON.stringify(r.body).includes(value)).length,
    logs: h.app.logs.filter((l) => l.includes(value)).length,
    db: JSON.stringify(dump).includes(value),
  };
}

async function openKeyForm(p: { userId: string; responseUrl?: string }): Promise<FillableView> {
  const triggerId = `key-trigger-${++n}`;
  const res = await h.app.driver.command({
    text: 'key create',
    triggerId,
    userId: p.userId,
    channelId: 'C_GENERAL',
    ...(p.responseUrl ? { responseUrl: p.responseUrl } : {}),
  });
  expect(res.status).toBe(200);
  const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
  return viewFrom(open, h.slack.views);
}

async function submitKey(view: FillableView, userId: string, typed: Record<string, FillValue>) {
  const res = await h.app.driver.viewSubmission({ view: fillView(view, typed), userId });
  expect(res.status).toBe(200);
  return record(res.json, 'ack');
}

const viewUpdates = (viewId: string) => h.slack.callsTo('views.update').filter((c) => c.args.view_id === viewId);

/** A date the form accepts (within five years), as the date picker sends it. */
const NEXT_YEAR = `${new Date().getUTCFullYear() + 1}-01-31`;

describe('/portkey key create', () => {
  it('creates the key with the preset scopes; its value is in the requester modal once, and nowhere else', async () => {
    const ws = h.portkey.seedWorkspace({ name: 'Research', slug: 'ws-research' });
    const value = canary('shown');
    h.portkey.issueKeyValues(value);
    const view = await openKeyForm({ userId: 'U_ALICE' });
    await submitKey(view, 'U_ALICE', {
      key_name: 'svc-chat',
      key_workspace: { value: ws.id, text: 'Research' },
      key_credit_limit: '50',
      key_limit_type: 'cost',
      key_rate: '100',
      key_expiry: NEXT_YEAR,
    });
    const update = await h.slack.waitFor('views.update', (c) => c.args.view_id === view.id && allText(c.args.view).includes(value));
    const [post] = h.portkey.requestsTo('POST', '/api-keys/workspace/service');
    expect(post?.status).toBe(200);
    expect(post?.body).toEqual({
      name: 'svc-chat',
      workspace_id: ws.id,
      scopes: ['completions.write'],
      usage_limits: { type: 'cost', credit_limit: 50 },
      rate_limits: [{ type: 'requests', unit: 'rpm', value: 100 }],
      expires_at: `${NEXT_YEAR}T23:59:59Z`,
    });
    const shown = allText(update.args.view);
    expect(shown).toContain('Shown once');
    expect(shown).toContain('svc-chat');
    const stored = h.portkey.apiKeys[0];
    if (!stored) throw new Error('Portkey has no key');
    // The channel gets the name, the id and the workspace — never the value.
    const channel = await h.slack.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'C_GENERAL' && allText(c.args.blocks).includes(stored.id),
    );
    expect(allText(channel.args.blocks)).toContain('Research');
    expect(allText(channel.args.blocks)).toContain('svc-chat');
    await eventually('the operation recorded', async () =>
      (await peekSqlite(h.app.dataDir).rows('operations')).some((r) => r.status === 'succeeded'),
    );
    const places = await placesWith(value);
    expect(places.calls).toEqual([update]);
    expect(places).toMatchObject({ responses: 0, logs: 0, db: false });
  });

  it('modal closed before the value could be shown: a private notice without it, then a governed Rotate shows a new value once', async () => {
    const ws = h.portkey.seedWorkspace({ name: 'Growth', slug: 'ws-growth' });
    const first = canary('lost');
    const rotated = canary('rotated');
    h.portkey.issueKeyValues(first, rotated);
    const responseUrl = h.slack.responseUrl();
    const view = await openKeyForm({ userId: 'U_BOB', responseUrl });
    // Portkey takes a moment; the person closes the modal meanwhile.
    h.portkey.fault({ method: 'POST', path: '/api-keys/workspace/service' }, { afterHandling: true, delayMs: 400 });
    await submitKey(view, 'U_BOB', { key_name: 'svc-batch', key_workspace: { value: ws.id, text: 'Growth' } });
    h.slack.closeView(view.id);
    const notice = await h.slack.waitForResponse((r) => r.url === responseUrl && allText(r.body).includes('svc-batch'));
    const stored = h.portkey.apiKeys.find((k) => k.name === 'svc-batch');
    if (!stored) throw new Error('Portkey has no key');
    expect(stored.value).toBe(first);
    const said = allText(notice.body);
    expect(said).toContain(stored.id);
    expect(said).toContain('never shown or sent anywhere');
    const rotate = theButton(notice.body.blocks, 'key_rotate');
    if (!rotate.value) throw new Error('no Rotate button');
    // The one payload that carried it is the modal update Slack refused (the modal was gone): nothing after it.
    const refused = viewUpdates(view.id).filter((c) => c.error === 'not_found');
    expect(refused).toHaveLength(1);
    expect(await placesWith(first)).toMatchObject({ calls: refused, responses: 0, logs: 0, db: false });

    // Someone else's click opens a window but rotates nothing.
    await h.app.driver.blockAction({ actionId: 'key_rotate', blockId: rotate.blockId, value: rotate.value, userId: 'U_MALLORY' });
    const refusedOpen = await h.slack.waitFor('views.open', (c) => allText(c.args.view).includes('Rotating'));
    const refusedId = viewFrom(refusedOpen).id;
    await eventually('the refusal in the rotate window', () =>
      allText(viewUpdates(refusedId).at(-1)?.args.view).includes('was not rotated'),
    );
    expect(allText(viewUpdates(refusedId).at(-1)?.args.view)).toContain('Only <@U_BOB>, who created the API key, can rotate this.');
    expect(h.portkey.requestsTo('POST', `/api-keys/${stored.id}/rotate`)).toEqual([]);

    // The owner's click: the window opens at once, the rotation is governed, the new value shown there once.
    await h.app.driver.blockAction({ actionId: 'key_rotate', blockId: rotate.blockId, value: rotate.value, userId: 'U_BOB' });
    const update = await h.slack.waitFor('views.update', (c) => allText(c.args.view).includes(rotated));
    const [rotateCall] = h.portkey.requestsTo('POST', `/api-keys/${stored.id}/rotate`);
    expect(rotateCall?.body).toEqual({ key_transition_period_ms: 3_600_000 });
    expect(stored.value).toBe(rotated);
    expect(allText(update.args.view)).toContain('previous value keeps working until');
    await eventually('the rotation audited', async () => {
      const audit = await peekSqlite(h.app.dataDir).rows('audit');
      return audit.some((r) => r.action === 'key.create.follow_up' && r.outcome === 'succeeded');
    });
    const places = await placesWith(rotated);
    expect(places.calls).toEqual([update]);
    expect(places).toMatchObject({ responses: 0, logs: 0, db: false });
    expect(await placesWith(first)).toMatchObject({ calls: refused, responses: 0, logs: 0, db: false });
  });

  it('admin scopes need approval: approvers see the workspace as Portkey holds it and the scopes; the value is never shown', async () => {
    const ws = h.portkey.seedWorkspace({ name: 'Platform', slug: 'ws-platform' });
    const value = canary('approved');
    h.portkey.issueKeyValues(value);
    const responseUrl = h.slack.responseUrl();
    const view = await openKeyForm({ userId: 'U_CAROL', responseUrl });
    const ack = await submitKey(view, 'U_CAROL', {
      key_name: 'svc-admin',
      key_workspace: { value: ws.id, text: 'A label the client made up' },
      key_preset: 'custom',
      key_scopes: ['completions.write', 'workspace_users.create'],
    });
    expect(allText(ack.view)).toContain('approval');
    const request = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0APPROVALS');
    const card = allText(request.args.blocks);
    expect(card).toContain('Platform');
    expect(card).toContain(ws.id);
    expect(card).toContain('workspace_users.create');
    expect(card).not.toContain('A label the client made up');
    expect(h.portkey.requestsTo('POST', '/api-keys/workspace/service')).toEqual([]);
    const approve = theButton(request.args.blocks, 'approval_approve');
    await h.app.driver.blockAction({
      actionId: 'approval_approve',
      blockId: approve.blockId,
      value: approve.value ?? '',
      userId: 'UAPPROVER',
      channelId: 'C0APPROVALS',
      responseUrl: h.slack.responseUrl(),
    });
    const note = await h.slack.waitForResponse((r) => r.url === responseUrl && allText(r.body).includes('after the approval'));
    const stored = h.portkey.apiKeys.find((k) => k.name === 'svc-admin');
    if (!stored) throw new Error('Portkey has no key');
    expect(stored.scopes).toEqual(['completions.write', 'workspace_users.create']);
    expect(stored.value).toBe(value);
    expect(theButton(note.body.blocks, 'key_rotate').value).toBe(approve.value);
    await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_GENERAL' && allText(c.args.blocks).includes(stored.id));
    expect(await placesWith(value)).toMatchObject({ calls: [], responses: 0, logs: 0, db: false });
  });

  it('a lost answer: the key is found in Portkey, and the requester is told plainly its value was lost, with Rotate', async () => {
    const ws = h.portkey.seedWorkspace({ name: 'Lost', slug: 'ws-lost' });
    const value = canary('lost-answer');
    h.portkey.issueKeyValues(value);
    const responseUrl = h.slack.responseUrl();
    const view = await openKeyForm({ userId: 'U_FAY', responseUrl });
    // Portkey creates it, then the connection drops: the value was only in that answer.
    h.portkey.fault({ method: 'POST', path: '/api-keys/workspace/service' }, { afterHandling: true, drop: true });
    await submitKey(view, 'U_FAY', { key_name: 'svc-lost', key_workspace: { value: ws.id, text: 'Lost' } });
    const update = await h.slack.waitFor('views.update', (c) => c.args.view_id === view.id && allText(c.args.view).includes('was lost'));
    const stored = h.portkey.apiKeys.find((k) => k.name === 'svc-lost');
    if (!stored) throw new Error('Portkey has no key');
    // The look-up just before the create, and the one after the lost answer.
    expect(h.portkey.requestsTo('GET', '/api-keys').map((r) => r.query.workspace_id)).toEqual([ws.id, ws.id]);
    expect(allText(update.args.view)).toContain(stored.id);
    expect(theButton(update.args.view, 'key_rotate').value).toBeTruthy();
    const note = await h.slack.waitForResponse((r) => r.url === responseUrl && allText(r.body).includes('was lost'));
    expect(theButton(note.body.blocks, 'key_rotate').value).toBeTruthy();
    // Created once: the lookup credited it, nothing was sent again.
    expect(h.portkey.requestsTo('POST', '/api-keys/workspace/service')).toHaveLength(1);
    expect(await placesWith(value)).toMatchObject({ calls: [], responses: 0, logs: 0, db: false });
  });

  it('a Portkey refusal: the error in the modal and privately, nothing held, no key anywhere', async () => {
    const ws = h.portkey.seedWorkspace({ name: 'Ops', slug: 'ws-ops' });
    h.portkey.fault({ method: 'POST', path: '/api-keys/workspace/service' }, { status: 403 });
    const responseUrl = h.slack.responseUrl();
    const view = await openKeyForm({ userId: 'U_DAN', responseUrl });
    await submitKey(view, 'U_DAN', { key_name: 'svc-ops', key_workspace: { value: ws.id, text: 'Ops' } });
    const update = await h.slack.waitFor(
      'views.update',
      (c) => c.args.view_id === view.id && allText(c.args.view).includes('was not created'),
    );
    expect(JSON.stringify(update.args.view)).toContain('"action_id":"key_back"');
    const told = await h.slack.waitForResponse((r) => r.url === responseUrl);
    expect(allText(told.body)).toContain('svc-ops');
    expect(h.portkey.apiKeys.filter((k) => k.name === 'svc-ops')).toEqual([]);
    // Back to the form: what was typed comes back.
    await h.app.driver.blockAction({
      actionId: 'key_back',
      blockId: 'key_error_actions',
      userId: 'U_DAN',
      view: viewFrom(update, h.slack.views),
    });
    const back = await h.slack.waitFor(
      'views.update',
      (c) => c.args.view_id === view.id && record(c.args.view, 'view').callback_id === 'key_create',
    );
    const text = JSON.stringify(record(back.args.view, 'view').blocks);
    expect(text).toContain('"initial_value":"svc-ops"');
    expect(text).toContain(`"value":"${ws.id}"`);
  });

  it('a workspace Portkey does not have is refused on the form, before the policy', async () => {
    const view = await openKeyForm({ userId: 'U_EVE' });
    const ack = await submitKey(view, 'U_EVE', { key_name: 'svc-x', key_workspace: { value: 'ws-nowhere', text: 'Nowhere' } });
    expect(ack).toEqual({
      response_action: 'errors',
      errors: { key_workspace: 'Portkey has no such workspace that this app can see. Choose it from the list.' },
    });
    expect(h.portkey.requestsTo('POST', '/api-keys/workspace/service')).toEqual([]);
  });
});

describe('"Create an API key for it" on a workspace result', () => {
  it('pushes the key form with that workspace chosen, named as Portkey holds it', async () => {
    const ws = h.portkey.seedWorkspace({ name: 'Fresh Team', slug: 'ws-fresh' });
    await h.app.driver.blockAction({
      actionId: 'key_for_workspace',
      blockId: 'ws_result_actions',
      value: JSON.stringify({ id: ws.id }),
      userId: 'U_ALICE',
      view: { id: 'V_WS_RESULT', callback_id: 'workspace_result', private_metadata: JSON.stringify({ channelId: 'C_GENERAL' }) },
    });
    const push = await h.slack.waitFor('views.push', (c) => record(c.args.view, 'view').callback_id === 'key_create');
    const form = record(push.args.view, 'view');
    expect(JSON.stringify(form.blocks)).toContain(
      JSON.stringify({ text: { type: 'plain_text', text: 'Fresh Team', emoji: true }, value: ws.id }),
    );
    expect(JSON.parse(String(form.private_metadata))).toEqual({ channelId: 'C_GENERAL' });
  });

  it('a value this app did not write opens an empty form', async () => {
    await h.app.driver.blockAction({
      actionId: 'key_for_workspace',
      blockId: 'ws_result_actions',
      value: '{"id":"../x"}',
      userId: 'U_ALICE',
    });
    const open = await h.slack.waitFor('views.open', (c) => record(c.args.view, 'view').callback_id === 'key_create');
    const blocks = record(open.args.view, 'view').blocks as Array<Record<string, unknown>>;
    const picker = record(blocks.find((b) => b.block_id === 'key_workspace')?.element, 'the workspace picker');
    expect(picker.initial_option).toBeUndefined();
  });
});
