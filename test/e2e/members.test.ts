import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fillView, viewFrom, type FillableView } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import type { Workspace } from '../support/fake-portkey.js';
import type { SlackCall } from '../support/fake-slack.js';
import { allText, element, isRecord, record, theButton } from '../support/payload.js';

// `/portkey members add` end to end: the form → users.info (and a user group) on the fake Slack → the fake Portkey's
// users, invites and workspace members (bodies checked against the spec) → the channel message and the result modal.

const POLICY = `
version: 1
default: allow
approvals_channel: C0APPROVALS
admins:
  users: [UADMIN]
rules:
  - name: admins-need-approval
    action: member.add
    roles: [admin]
    effect: require_approval
    reason: Adding workspace admins needs the platform team.
    approvers:
      users: [UAPPROVER]
  - name: no-self-managers
    action: member.add
    roles: [manager]
    adds_self: true
    effect: deny
    reason: You can't make yourself a manager.
`;
const dir = mkdtempSync(path.join(tmpdir(), 'portkey-members-'));
const policyFile = path.join(dir, 'policy.yml');
writeFileSync(policyFile, POLICY);

const h = useTestEnv({ env: { POLICY_FILE: policyFile } });

const person = (id: string, email?: string, extra: Record<string, unknown> = {}) =>
  h.slack.setUser(id, { ...extra, profile: { real_name: id, ...(email ? { email } : {}) } });

let ws: Workspace;
let triggers = 0;

beforeEach(() => {
  ws = h.portkey.seedWorkspace({ name: 'Research' });
  person('UALICE', 'Alice@Acme.test');
  person('UBOB', 'bob@acme.test');
  person('UCAROL', 'carol@acme.test');
  person('UDAVE', 'dave@acme.test');
  person('UREQ', 'req@acme.test');
});

async function openMembersForm(userId = 'UREQ', channelId = 'C0TEAM'): Promise<FillableView> {
  const triggerId = `members-${++triggers}`;
  const res = await h.app.driver.command({ text: 'members add', triggerId, userId, channelId });
  expect(res.status).toBe(200);
  const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
  expect(open.error).toBeUndefined();
  return viewFrom(open, h.slack.views);
}

async function submit(p: { users?: string[]; group?: string; role?: string; userId?: string; view?: FillableView }) {
  const view = p.view ?? (await openMembersForm(p.userId));
  const inputs: Record<string, unknown> = {
    mb_workspace: { value: ws.id, text: 'whatever the client says' },
    mb_role: { value: p.role ?? 'member' },
  };
  if (p.users) inputs.mb_users = p.users;
  if (p.group) inputs.mb_group = { value: p.group, text: p.group };
  const res = await h.app.driver.viewSubmission({ view: fillView(view, inputs as never), userId: p.userId ?? 'UREQ' });
  expect(res.status).toBe(200);
  return { view, ack: record(res.json, 'ack') };
}

function channelPost(): Promise<SlackCall> {
  return h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0TEAM' && allText(c.args.blocks).includes('busts_in_silhouette'));
}

function resultView(viewId: string, mark: string): Promise<SlackCall> {
  return h.slack.waitFor('views.update', (c) => c.args.view_id === viewId && isRecord(c.args.view) && allText(c.args.view).includes(mark));
}

const adds = () => h.portkey.requestsTo('POST', `/admin/workspaces/${ws.id}/users`);
const invitesSent = () => h.portkey.requestsTo('POST', '/admin/users/invites');
const roleOf = (userId: string) => h.portkey.members.memberships.get(ws.id)?.get(userId);

describe('adding people to a workspace', () => {
  it('adds the people Portkey knows and invites the others, with exactly the bodies the spec allows', async () => {
    const alice = h.portkey.members.seedUser({ email: 'alice@acme.test' });
    const { view } = await submit({ users: ['UALICE', 'UBOB'], role: 'manager' });

    const post = await channelPost();
    expect(adds().map((r) => r.body)).toEqual([{ users: [{ id: alice.id, role: 'manager' }] }]);
    expect(invitesSent().map((r) => r.body)).toEqual([
      { email: 'bob@acme.test', role: 'member', workspaces: [{ id: ws.id, role: 'manager' }] },
    ]);
    // Each person was looked up by the email Slack gave, lowercased.
    expect(
      h.portkey
        .requestsTo('GET', '/admin/users')
        .map((r) => r.query.email)
        .sort(),
    ).toEqual(['alice@acme.test', 'bob@acme.test']);
    expect(roleOf(alice.id)).toBe('manager');
    expect(h.portkey.members.invites.map((i) => [i.email, i.status, i.workspaces])).toEqual([
      ['bob@acme.test', 'pending', [{ workspace_id: ws.id, role: 'manager' }]],
    ]);

    // The channel gets mentions, never an email; the requester's own modal shows where the invite went.
    const text = allText(post.args.blocks);
    expect(text).toContain('*Added (1):* <@UALICE>');
    expect(text).toContain('*Invited to Portkey (1):* <@UBOB>');
    expect(text).toContain('workspace *Research* as *manager*');
    expect(JSON.stringify(post.args)).not.toMatch(/@acme\.test/i);
    const modal = await resultView(view.id, 'white_check_mark');
    expect(allText(modal.args.view)).toContain('<@UBOB> (bob@acme.test)');
  });

  it("says plainly who couldn't be added and why: no email, a bot, deactivated, a guest, a forged id, already a member", async () => {
    const alice = h.portkey.members.seedUser({ email: 'alice@acme.test' });
    h.portkey.members.seedMember(ws.id, alice.id, 'admin');
    person('UNOMAIL');
    person('UROBOT', 'robot@acme.test', { is_bot: true });
    person('UGONE', 'gone@acme.test', { deleted: true });
    person('UGUEST', 'guest@other.test', { is_restricted: true });
    person('UFAKE', 'fake@acme.test', { is_email_confirmed: false });
    h.slack.forgetUser('UFORGED');
    await submit({ users: ['UALICE', 'UNOMAIL', 'UROBOT', 'UGONE', 'UGUEST', 'UFAKE', 'UFORGED', 'UDAVE'] });

    const text = allText((await channelPost()).args.blocks);
    expect(text).toContain('*Already members (1):* <@UALICE>');
    expect(text).toContain('*Invited to Portkey (1):* <@UDAVE>');
    expect(text).toContain("*Couldn't be added (6):*");
    for (const line of [
      '<@UNOMAIL> — no email visible to the app on their Slack profile',
      '<@UROBOT> — a bot or app, not a person',
      '<@UGONE> — deactivated in Slack',
      '<@UGUEST> — a guest account',
      "<@UFAKE> — their Slack email isn't confirmed",
      '<@UFORGED> — not someone Slack knows',
    ]) {
      expect(text).toContain(line);
    }
    // Already a member: not added again, and the role Portkey holds is not changed.
    expect(adds()).toHaveLength(0);
    expect(roleOf(alice.id)).toBe('admin');
    // Nobody without a usable email was looked up in Portkey.
    expect(h.portkey.requestsTo('GET', '/admin/users').map((r) => r.query.email)).toEqual(['dave@acme.test']);
  });

  it('refuses on the form when nobody picked can be added, keeping what was picked', async () => {
    person('UNOMAIL');
    const { ack } = await submit({ users: ['UNOMAIL'] });
    expect(ack.response_action).toBe('errors');
    expect(JSON.stringify(ack.errors)).toContain('None of these people can be added (no email visible to the app: 1). Nothing was sent.');
    expect(JSON.stringify(ack.errors)).toContain("the app may lack Slack's users:read.email scope");
    expect(h.portkey.requestsTo('*', /users/)).toHaveLength(0);
  });

  it('expands a user group at submission, and refuses one too large for a request with a clear error', async () => {
    const bob = h.portkey.members.seedUser({ email: 'bob@acme.test' });
    h.slack.setUsergroup('S0DEVS', ['UBOB', 'UCAROL']);
    await submit({ users: ['UBOB'], group: 'S0DEVS' });
    await channelPost();
    expect(adds().map((r) => r.body)).toEqual([{ users: [{ id: bob.id, role: 'member' }] }]);
    expect(invitesSent().map((r) => (r.body as { email: string }).email)).toEqual(['carol@acme.test']);

    h.slack.setUsergroup(
      'S0ALL',
      Array.from({ length: 5000 }, (_, i) => `U${String(i).padStart(6, '0')}`),
    );
    const { ack } = await submit({ group: 'S0ALL' });
    expect(ack.response_action).toBe('errors');
    expect(record(ack.errors, 'errors').mb_group).toContain('That is 5,000 people; at most 50 can be added in one request.');
    // Refused before a single profile was read.
    expect(h.slack.callsTo('users.info').filter((c) => String(c.args.user).startsWith('U0'))).toHaveLength(0);
  });

  it('sends adding admins for approval; the approver sees the people and the workspace as Portkey holds it; the group is frozen', async () => {
    h.portkey.members.seedUser({ email: 'carol@acme.test' });
    h.slack.setUsergroup('S0LEADS', ['UCAROL']);
    const { ack } = await submit({ group: 'S0LEADS', role: 'admin' });
    expect(allText(ack.view)).toContain('sent for approval');
    const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0APPROVALS');
    const card = allText(post.args.blocks);
    expect(card).toContain('*Role:* admin');
    expect(card).toContain(`*Workspace:* Research (${ws.id})`);
    expect(card).toContain('*People (1):* <@UCAROL>');
    expect(card).not.toContain('whatever the client says');
    expect(card).not.toMatch(/@acme\.test/);
    expect(adds()).toHaveLength(0);

    // The group grows after the approver saw it: the newcomer is not added by this approval.
    h.slack.setUsergroup('S0LEADS', ['UCAROL', 'UDAVE']);
    const approve = theButton(post.args.blocks, 'approval_approve');
    await h.app.driver.blockAction({
      actionId: 'approval_approve',
      blockId: approve.blockId,
      value: approve.value ?? '',
      userId: 'UAPPROVER',
      channelId: 'C0APPROVALS',
      responseUrl: h.slack.responseUrl(),
    });
    await channelPost();
    expect(adds().map((r) => r.body)).toEqual([{ users: [{ id: h.portkey.members.users[0]?.id, role: 'admin' }] }]);
    expect(invitesSent()).toHaveLength(0);
  });

  it('lets the policy refuse someone making themselves a manager, seeing the ids Slack returned', async () => {
    const { ack } = await submit({ users: ['UREQ', 'UBOB'], role: 'manager' });
    expect(allText(ack.view)).toContain("You can't make yourself a manager.");
    expect(h.portkey.requestsTo('*', /users/)).toHaveLength(0);
  });

  it('fails midway on a Portkey error, and the retry from the form finishes without adding or inviting anyone twice', async () => {
    const alice = h.portkey.members.seedUser({ email: 'alice@acme.test' });
    h.portkey.fault({ method: 'POST', path: '/admin/users/invites' }, { status: 500 }, 1);
    const { view } = await submit({ users: ['UALICE', 'UCAROL', 'UDAVE'] });

    const failed = await resultView(view.id, 'Back to the form');
    expect(allText(failed.args.view)).toContain('(1 added and 0 invited, then it stopped)');
    expect(roleOf(alice.id)).toBe('member');
    expect(h.portkey.members.invites).toHaveLength(0);

    // Back to the form (what was picked comes back), then submit again.
    const back = theButton((failed.args.view as { blocks: unknown }).blocks, 'member_back');
    await h.app.driver.blockAction({
      actionId: 'member_back',
      blockId: back.blockId,
      value: back.value ?? '',
      view: viewFrom(failed, h.slack.views),
      userId: 'UREQ',
    });
    const restored = await h.slack.waitFor(
      'views.update',
      (c) => c.args.view_id === view.id && isRecord(c.args.view) && c.args.view.callback_id === 'member_add',
    );
    expect(JSON.stringify(restored.args.view)).toContain('"initial_users":["UALICE","UCAROL","UDAVE"]');
    await submit({ view: viewFrom(restored, h.slack.views) });

    const text = allText((await channelPost()).args.blocks);
    expect(h.portkey.members.invites.map((i) => i.email)).toEqual(['carol@acme.test', 'dave@acme.test']);
    expect(adds()).toHaveLength(1);
    expect(text).toContain('*Already members (1):* <@UALICE>');
    expect(text).toContain('*Invited to Portkey (2):* <@UCAROL>, <@UDAVE>');
  });

  it('after a lost answer to an invite, finds the invite that landed instead of sending it again', async () => {
    h.portkey.fault({ method: 'POST', path: '/admin/users/invites' }, { afterHandling: true, drop: true }, 1);
    await submit({ users: ['UCAROL'] });
    const text = allText((await channelPost()).args.blocks);
    expect(text).toContain('*Invited to Portkey (1):* <@UCAROL>');
    expect(invitesSent()).toHaveLength(1);
    expect(h.portkey.members.invites).toHaveLength(1);
  });

  it('keeps emails out of every log line and every Slack call but the requester’s own modal; escapes Portkey’s names', async () => {
    ws = h.portkey.seedWorkspace({ name: 'Ops <!channel> <@U123> & co' });
    h.portkey.members.seedUser({ email: 'alice@acme.test' });
    const { view } = await submit({ users: ['UALICE', 'UBOB'] });
    const post = await channelPost();
    expect(allText(post.args.blocks)).toContain('workspace *Ops &lt;!channel&gt; &lt;@U123&gt; &amp; co* as *member*');
    await resultView(view.id, 'white_check_mark');
    const modalUpdates = new Set(h.slack.callsTo('views.update').filter((c) => c.args.view_id === view.id));
    for (const c of h.slack.calls) {
      if (modalUpdates.has(c)) continue;
      expect(JSON.stringify(c.args), `${c.method} carries an email`).not.toMatch(/(alice|bob)@acme\.test/i);
    }
    expect(h.app.logs.filter((l) => /@acme\.test/i.test(l))).toEqual([]);
  });

  it('a created workspace offers Add people, which pushes the members form with that workspace', async () => {
    const res = await h.app.driver.command({
      text: 'workspace create Growth',
      triggerId: 'ws-then-members',
      userId: 'UREQ',
      channelId: 'C0TEAM',
    });
    expect(res.status).toBe(200);
    const form = viewFrom(await h.slack.waitFor('views.open', (c) => c.args.trigger_id === 'ws-then-members'), h.slack.views);
    await h.app.driver.viewSubmission({ view: fillView(form, {}), userId: 'UREQ' });
    const success = await resultView(form.id, 'is ready');
    const created = h.portkey.workspaces.find((w) => w.name === 'Growth');
    const button = theButton((success.args.view as { blocks: unknown }).blocks, 'member_open_for_workspace');
    expect(button.value).toBe(created?.id);
    await h.app.driver.blockAction({
      actionId: 'member_open_for_workspace',
      blockId: button.blockId,
      value: button.value ?? '',
      view: viewFrom(success, h.slack.views),
      userId: 'UREQ',
    });
    const pushed = await h.slack.waitFor('views.push', (c) => isRecord(c.args.view) && c.args.view.callback_id === 'member_add');
    const initial = record(element(record(pushed.args.view, 'view'), 'mb_workspace').initial_option, 'initial option');
    expect([record(initial.text, 'text').text, initial.value]).toEqual(['Growth', created?.id]);
  });

  it('the pickers load Portkey workspaces and Slack user groups', async () => {
    h.portkey.seedWorkspace({ name: 'Marketing' });
    h.slack.setUsergroup('S0DESIGN', ['UBOB']);
    const ws1 = await h.app.driver.options({ actionId: 'mb_workspace_pick', blockId: 'mb_workspace', value: 'Mark' });
    expect(record(ws1.json, 'options').options).toEqual([
      { text: { type: 'plain_text', text: 'Marketing' }, value: h.portkey.workspaces.find((w) => w.name === 'Marketing')?.id },
    ]);
    const groups = await h.app.driver.options({ actionId: 'mb_group_pick', blockId: 'mb_group', value: 'design' });
    expect(record(groups.json, 'options').options).toEqual([
      { text: { type: 'plain_text', text: '@s0design (S0DESIGN)' }, value: 'S0DESIGN' },
    ]);
    // A Free plan has no user groups: the picker is empty, nothing breaks.
    h.slack.setPlan('free');
    const none = await h.app.driver.options({ actionId: 'mb_group_pick', blockId: 'mb_group', value: '' });
    expect(record(none.json, 'options').options).toEqual([]);
  });

  it('refuses a workspace Portkey does not know and a Slack that rate-limits users.info, on the form, sending nothing', async () => {
    ws = { ...ws, id: 'ws-forged-by-the-client' };
    const forged = await submit({ users: ['UALICE'] });
    expect(record(forged.ack.errors, 'errors').mb_workspace).toBe(
      'Portkey has no such workspace that this app can see. Pick it again from the list.',
    );
    ws = h.portkey.workspaces[0] ?? ws;
    h.slack.rateLimit('users.info', 30);
    const limited = await submit({ users: ['UALICE'] });
    expect(record(limited.ack.errors, 'errors').mb_users).toBe(
      'Slack is limiting how often the app may look people up. Try again in 30 seconds.',
    );
    expect(h.portkey.requestsTo('*', /users/)).toHaveLength(0);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(0);
  });

  it('Preview shows the decision and the calls it would make, in order, and nothing is added or invited', async () => {
    const view = await openMembersForm();
    const button = theButton(view.blocks, 'form_preview');
    const res = await h.app.driver.blockAction({
      actionId: 'form_preview',
      blockId: button.blockId,
      view: fillView(view, { mb_workspace: { value: ws.id }, mb_users: ['UCAROL'], mb_role: { value: 'admin' } }),
      userId: 'UREQ',
    });
    expect(res.status).toBe(200);
    const push = await h.slack.waitFor('views.push', () => true);
    const pushedId = String(record(push.response?.view, 'pushed view').id);
    const update = await h.slack.waitFor('views.update', (c) => c.args.view_id === pushedId, 10_000);
    const text = allText(record(update.args.view, 'preview').blocks);
    expect(text).toContain('admins-need-approval');
    const order = [
      `GET /admin/workspaces/${ws.id}/users?current_page=0`,
      'GET /admin/users?email=slack-email-of-UCAROL',
      'GET /admin/users/invites?email=slack-email-of-UCAROL',
      `POST /admin/workspaces/${ws.id}/users`,
      'POST /admin/users/invites',
    ];
    const at = order.map((p) => text.indexOf(p));
    expect(at.every((i) => i >= 0)).toBe(true);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    // Red team: a preview costs nothing and is not audited, so it must not be a way to read anyone's Slack email
    // (a workspace may hide emails from its members): the person stands in for it.
    expect(text).toContain('"email": "slack-email-of-UCAROL"');
    expect(text).not.toContain('acme.test');
    expect(h.portkey.requestsTo('POST', /.*/)).toHaveLength(0);
    expect(h.portkey.requestsTo('GET', /users/)).toHaveLength(0);
  });

  it("opens the form from a created workspace's result with that workspace chosen", async () => {
    const res = await h.app.driver.blockAction({ actionId: 'member_open_for_workspace', blockId: 'ws_next', value: ws.id });
    expect(res.status).toBe(200);
    const open = await h.slack.waitFor('views.open', (c) => isRecord(c.args.view) && c.args.view.callback_id === 'member_add');
    const initial = record(element(record(open.args.view, 'view'), 'mb_workspace').initial_option, 'initial option');
    expect([record(initial.text, 'text').text, initial.value]).toEqual(['Research', ws.id]);
  });
});
