import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { peekSqlite } from '../support/db.js';
import { viewFrom, type FillableView } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import type { SlackCall } from '../support/fake-slack.js';
import { allText, elementsWithAction, record, theButton } from '../support/payload.js';
import { clickInView, fill, storedView } from './integration-helpers.js';

// `/portkey onboard` with people: the members step between the workspace and the integrations — the people picked
// (frozen at submission, emails from users.info) added or invited into the new workspace with the role asked for,
// decided as a `member.add` of them would be, listed on the approval card and in the summary as mentions (no emails).

const APPROVALS = 'C0OBMAPPROVALS';
const POLICY = `version: 1
default: allow
approvals_channel: ${APPROVALS}
admins:
  users: [UADMIN]
rules:
  - name: admins-need-approval
    action: member.add
    roles: [admin]
    effect: require_approval
    approvers:
      users: [UAPPROVER]
`;
const dir = mkdtempSync(path.join(tmpdir(), 'portkey-onboard-members-'));
writeFileSync(path.join(dir, 'policy.yml'), POLICY);

const h = useTestEnv({ env: { POLICY_FILE: path.join(dir, 'policy.yml') } });

const person = (id: string, email?: string) => h.slack.setUser(id, { profile: { real_name: id, ...(email ? { email } : {}) } });

beforeEach(() => {
  h.portkey.seedIntegration({ name: 'OpenAI prod', ai_provider_id: 'openai', slug: 'openai-prod', key: 'sk-openai-seeded-1234567890' });
  person('UALICE', 'Alice@Acme.test');
  person('UBOB', 'bob@acme.test');
  person('UNOMAIL');
  person('UREQ', 'req@acme.test');
});

async function submitOnboard(p: {
  users: string[];
  role: string;
  userId?: string;
}): Promise<{ form: FillableView; ack: Record<string, unknown> }> {
  const triggerId = `trigger-${randomUUID()}`;
  const userId = p.userId ?? 'UREQ';
  expect((await h.app.driver.command({ text: 'onboard Research', triggerId, userId })).status).toBe(200);
  const form = viewFrom(await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId), h.slack.views);
  const view = fill(
    form,
    { ob_slug: 'research', ob_users: p.users, ob_role: { value: p.role } },
    { ob_integrations: [{ value: 'openai-prod', text: 'OpenAI prod' }] },
  );
  const res = await h.app.driver.viewSubmission({ view, userId });
  expect(res.status).toBe(200);
  return { form, ack: record(res.json, 'ack') };
}

async function finished(viewId: string): Promise<FillableView> {
  await h.slack.waitFor(
    'views.update',
    (c) => c.args.view_id === viewId && /white_check_mark|:warning:/.test(allText(record(c.args.view, 'view').blocks)),
    10_000,
  );
  return storedView(h.slack, viewId);
}

const writes = () =>
  h.portkey.requests.filter((r) => r.method === 'POST' || r.method === 'PUT').map((r) => ({ call: `${r.method} ${r.path}`, body: r.body }));
const theWorkspace = () => {
  const ws = h.portkey.workspaces.find((w) => w.name === 'Research');
  if (!ws) throw new Error('Portkey holds no workspace Research');
  return ws;
};
const summary = (): Promise<SlackCall> =>
  h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_GENERAL' && String(c.args.text).startsWith('Team workspace'), 10_000);
const channelPosts = () => h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C_GENERAL');

describe('onboarding a team with its people', () => {
  it('creates the workspace, adds and invites the people with the role, then enables the integrations — exact bodies in order', async () => {
    const alice = h.portkey.members.seedUser({ email: 'alice@acme.test' });
    const { form, ack } = await submitOnboard({ users: ['UALICE', 'UBOB', 'UNOMAIL'], role: 'manager' });
    expect(ack.response_action).toBe('update');
    const result = await finished(form.id);
    const ws = theWorkspace();
    expect(writes()).toEqual([
      { call: 'POST /admin/workspaces', body: { name: 'Research', slug: 'research' } },
      { call: `POST /admin/workspaces/${ws.id}/users`, body: { users: [{ id: alice.id, role: 'manager' }] } },
      { call: 'POST /admin/users/invites', body: { email: 'bob@acme.test', role: 'member', workspaces: [{ id: ws.id, role: 'manager' }] } },
      {
        call: 'PUT /integrations/openai-prod/workspaces',
        body: { workspaces: [{ id: ws.id, enabled: true, create_default_provider: true }] },
      },
    ]);
    expect(h.portkey.members.memberships.get(ws.id)?.get(alice.id)).toBe('manager');
    expect(allText(result.blocks)).toContain('is ready');

    // The channel's summary says who was added, invited and couldn't be — as mentions, never an email.
    const post = await summary();
    const text = allText(post.args.blocks);
    expect(text).toContain(':white_check_mark: Add 2 people as manager — as *manager*: added <@UALICE>; invited <@UBOB>');
    expect(text).toContain("couldn't be added: <@UNOMAIL> (no email visible)");
    // The notification's fallback text names the people as mentions too (not escaped into "&lt;@U…&gt;").
    expect(String(post.args.text)).toContain('added <@UALICE>; invited <@UBOB>');
    expect(JSON.stringify(post.args)).not.toMatch(/acme\.test/i);

    // The step's record and its audit line hold Slack ids, not emails.
    const db = peekSqlite(h.app.dataDir);
    const op = (await db.rows('operations')).find((o) => o.view_id === form.id);
    const step = (await db.rows('operation_steps')).find((s) => s.operation_id === op?.id && s.step === 'members');
    expect(step?.status).toBe('done');
    expect(String(step?.result_json)).not.toMatch(/acme\.test/i);
    const audit = (await db.rows('audit')).filter((a) => a.action === 'team.onboard.step' && a.target === op?.id);
    expect(audit.map((a) => JSON.parse(String(a.detail_json)).step)).toEqual(['workspace', 'members', 'integration:openai-prod']);
    expect(JSON.stringify(audit)).not.toMatch(/acme\.test/i);
  });

  it('a failure at the members step stops the chain there; "Retry the remaining steps" finishes without repeating', async () => {
    const alice = h.portkey.members.seedUser({ email: 'alice@acme.test' });
    h.portkey.fault({ method: 'POST', path: '/admin/users/invites' }, { status: 500 });
    // The driver's default user asks, so the retry below is the requester's.
    const { form } = await submitOnboard({ users: ['UALICE', 'UBOB'], role: 'member', userId: 'U_ALICE' });
    const result = await finished(form.id);
    const ws = theWorkspace();
    expect(writes().map((w) => w.call)).toEqual([
      'POST /admin/workspaces',
      `POST /admin/workspaces/${ws.id}/users`,
      'POST /admin/users/invites',
    ]);
    const report = allText(result.blocks);
    expect(report).toContain(':white_check_mark: Create workspace Research');
    expect(report).toMatch(/:x: Add 2 people as member — failed: Portkey failed while inviting people to Portkey/);
    expect(report).toContain(':white_circle: Enable OpenAI prod (openai-prod) — not run');
    const post = await summary();
    expect(elementsWithAction(post.args.blocks, 'onboard_retry')).toHaveLength(1);

    const after = await clickInView(h, form.id, 'onboard_retry');
    // The workspace was created once and Alice added once; only Bob's invite and the integration were left.
    expect(writes().slice(3)).toEqual([
      { call: 'POST /admin/users/invites', body: { email: 'bob@acme.test', role: 'member', workspaces: [{ id: ws.id, role: 'member' }] } },
      {
        call: 'PUT /integrations/openai-prod/workspaces',
        body: { workspaces: [{ id: ws.id, enabled: true, create_default_provider: true }] },
      },
    ]);
    expect(h.portkey.members.memberships.get(ws.id)?.get(alice.id)).toBe('member');
    expect(h.portkey.members.invites.filter((i) => i.email === 'bob@acme.test')).toHaveLength(1);
    expect(allText(after.blocks)).toContain('is ready');
    expect(allText(after.blocks)).toContain('invited <@UBOB>');
    expect(channelPosts()).toHaveLength(1);
  });

  it('admins need approval: the card lists who with which role (mentions, no emails); one approval runs every step', async () => {
    h.portkey.members.seedUser({ email: 'alice@acme.test' });
    const { ack } = await submitOnboard({ users: ['UALICE', 'UBOB'], role: 'admin' });
    expect(allText(record(ack.view, 'ack view').blocks)).toContain('sent for approval');
    expect(writes()).toEqual([]);
    const card = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS);
    const shown = allText(card.args.blocks);
    expect(shown).toContain('team workspace Research with 2 people and 1 integration enabled in it');
    expect(shown).toContain('admins-need-approval');
    expect(shown).toMatch(/Members · role[^\n]*admin/);
    expect(shown).toContain('<@UALICE>, <@UBOB>');
    expect(JSON.stringify(card.args)).not.toMatch(/acme\.test/i);

    const approve = theButton(card.args.blocks, 'approval_approve');
    const res = await h.app.driver.blockAction({
      actionId: 'approval_approve',
      blockId: approve.blockId,
      value: approve.value ?? '',
      userId: 'UAPPROVER',
      channelId: APPROVALS,
      responseUrl: h.slack.responseUrl(),
    });
    expect(res.status).toBe(200);
    await summary();
    const ws = theWorkspace();
    expect(writes().map((w) => w.call)).toEqual([
      'POST /admin/workspaces',
      `POST /admin/workspaces/${ws.id}/users`,
      'POST /admin/users/invites',
      'PUT /integrations/openai-prod/workspaces',
    ]);
  });

  it("adding yourself as a manager is someone else's decision (the self-promotion guard), even in a bundle", async () => {
    const { ack } = await submitOnboard({ users: ['UREQ'], role: 'manager' });
    expect(allText(record(ack.view, 'ack view').blocks)).toContain('sent for approval');
    const card = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS);
    expect(allText(card.args.blocks)).toContain('self-promotion-needs-approval');
    expect(writes()).toEqual([]);
  });

  it("Preview: the members step's calls between the workspace and the integrations — nothing written", async () => {
    const triggerId = `trigger-${randomUUID()}`;
    expect((await h.app.driver.command({ text: 'onboard Research', triggerId, userId: 'UREQ' })).status).toBe(200);
    const form = viewFrom(await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId), h.slack.views);
    const button = theButton(form.blocks, 'form_preview');
    const res = await h.app.driver.blockAction({
      actionId: 'form_preview',
      blockId: button.blockId,
      userId: 'UREQ',
      view: fill(form, { ob_users: ['UBOB'], ob_role: { value: 'manager' } }, { ob_integrations: [{ value: 'openai-prod', text: 'x' }] }),
    });
    expect(res.status).toBe(200);
    const push = await h.slack.waitFor('views.push');
    const pushedId = String(record(push.response?.view, 'pushed view').id);
    const update = await h.slack.waitFor('views.update', (c) => c.args.view_id === pushedId, 10_000);
    const text = allText(record(update.args.view, 'preview').blocks);
    const order = [
      'POST /admin/workspaces',
      'POST /admin/workspaces/%3Cthe%20new%20workspace%20id%3E/users',
      'POST /admin/users/invites',
      'PUT /integrations/openai-prod/workspaces',
    ];
    const at = order.map((c) => text.indexOf(c));
    expect(
      at.every((i) => i >= 0),
      text,
    ).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(text).toContain('"role": "manager"');
    // No one's Slack email in a free, unaudited preview: each person stands in for theirs.
    expect(text).not.toMatch(/acme\.test/i);
    expect(text).toContain('slack-email-of-UBOB');
    expect(writes()).toEqual([]);
  });

  it('refuses people with no usable email on the form, before anything is sent, and keeps what was typed', async () => {
    const { ack } = await submitOnboard({ users: ['UNOMAIL'], role: 'member' });
    expect(ack.response_action).toBe('errors');
    expect(String(record(ack.errors, 'errors').ob_users)).toContain('None of these people can be added');
    expect(writes()).toEqual([]);
  });
});
