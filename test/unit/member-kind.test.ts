import { describe, expect, it } from 'vitest';
import { approvalFits, summaryBlocks } from '../../src/features/approval/summary.js';
import { decide } from '../../src/policy/decide.js';
import { crossRuleProblems, policySchema } from '../../src/policy/schema.js';
import type { Report } from '../../src/resources/member/add.js';
import { describeMembers, subjectOf } from '../../src/resources/member/executor.js';
import { EMPTY_DRAFT, readMemberDraft, validateMemberDraft } from '../../src/resources/member/form.js';
import { MAX_PEOPLE, MB_FIELDS } from '../../src/resources/member/ids.js';
import type { StoredMembers } from '../../src/resources/member/stored.js';
import { memberErrorView, memberModal, membersAddedMessage, memberSuccessView } from '../../src/resources/member/view.js';
import { checkMessage, checkView } from '../support/view-limits.js';

// The members kind's pure parts: reading and checking the form, the views within Slack's limits and escaped, what
// approvers see, and the policy's new criteria.

const EVIL = 'Team <!channel> <@U123> <http://evil|click> & co';
const ids = (n: number, prefix = 'U') => Array.from({ length: n }, (_, i) => `${prefix}${String(i).padStart(8, '0')}`);

function stored(n: number, p: Partial<StoredMembers> = {}): StoredMembers {
  return {
    draft: { users: [], role: 'member' },
    workspace: { id: 'ws-1', name: EVIL, slug: 'ws-evil' },
    role: 'member',
    people: ids(n).map((userId, i) => ({ userId, email: `person.with.a.long.name.${i}@example-company.test` })),
    ...p,
  };
}

describe('the members form', () => {
  const values = (v: Record<string, unknown>) => ({
    [MB_FIELDS.workspace.block]: { [MB_FIELDS.workspace.action]: { selected_option: { value: 'ws-1', text: { text: 'Research' } } } },
    [MB_FIELDS.role.block]: { [MB_FIELDS.role.action]: { selected_option: { value: 'admin' } } },
    ...v,
  });

  it('reads the picked workspace, people, group and role, and checks them', () => {
    const draft = readMemberDraft(
      values({
        [MB_FIELDS.users.block]: { [MB_FIELDS.users.action]: { selected_users: ['UA1', 'UB2', 'UA1'] } },
        [MB_FIELDS.group.block]: { [MB_FIELDS.group.action]: { selected_option: { value: 'S0DEVS', text: { text: '@devs' } } } },
      }),
    );
    expect(draft).toEqual({
      workspace: { value: 'ws-1', label: 'Research' },
      users: ['UA1', 'UB2', 'UA1'],
      group: { value: 'S0DEVS', label: '@devs' },
      role: 'admin',
    });
    expect(validateMemberDraft(draft)).toEqual({
      ok: true,
      value: { workspaceId: 'ws-1', users: ['UA1', 'UB2'], groupId: 'S0DEVS', role: 'admin' },
    });
  });

  it('refuses what Slack could not have sent, a role outside the enum, nobody, and too many people — on their fields', () => {
    const check = (d: Partial<typeof EMPTY_DRAFT>) =>
      validateMemberDraft({ ...EMPTY_DRAFT, workspace: { value: 'ws-1', label: 'x' }, ...d });
    expect(check({ users: [] })).toEqual({ ok: false, errors: { mb_users: 'Pick people, a user group, or both.' } });
    expect(check({ users: ['<@U1>'] })).toEqual({ ok: false, errors: { mb_users: 'Pick people from the list.' } });
    expect(check({ users: ['U1AB'], role: 'owner' })).toEqual({ ok: false, errors: { mb_role: 'Pick a role: member, manager or admin.' } });
    expect(check({ group: { value: 'C0CHANNEL', label: 'x' } })).toMatchObject({
      ok: false,
      errors: { mb_group: 'Pick a user group from the list.' },
    });
    expect(check({ users: ['U1AB'], workspace: { value: '../../admin', label: 'x' } })).toMatchObject({
      ok: false,
      errors: { mb_workspace: 'Pick the workspace to add people to.' },
    });
    const many = check({ users: ids(MAX_PEOPLE + 1) });
    expect(many.ok).toBe(false);
    if (!many.ok) expect(many.errors.mb_users).toContain(`That is 51 people; at most ${MAX_PEOPLE} can be added in one request.`);
    expect(check({ users: ids(MAX_PEOPLE) }).ok).toBe(true);
  });

  it('is a modal within limits that restores what was picked', () => {
    const view = memberModal({
      draft: { workspace: { value: 'ws-1', label: EVIL.repeat(10) }, users: ids(3), group: { value: 'S1', label: 'g' }, role: 'manager' },
      context: {},
    });
    expect(checkView(view)).toEqual([]);
    expect(JSON.stringify(view)).toContain('"initial_users":["U00000000","U00000001","U00000002"]');
  });
});

describe('the members result', () => {
  const report: Report = {
    added: ids(20),
    invited: ids(20).map((i) => i.replace('U', 'W')),
    already: [],
    alreadyInvited: [],
    invitePending: [],
  };
  const req = stored(0, {
    people: [
      ...ids(20).map((userId, i) => ({ userId, email: `a${i}@example.test` })),
      ...report.invited.map((userId, i) => ({ userId, email: `a.very.long.address.${i}@<!channel>.example.test` })),
      ...ids(10, 'U9').map((userId) => ({ userId, problem: 'no_email' as const })),
    ],
  });

  it('stays within Block Kit limits for the largest request, escaped, with emails only in the requester’s modal', () => {
    const view = memberSuccessView({ req, report, deliveredTo: 'Posted in <#C1>.', context: {} });
    expect(checkView(view)).toEqual([]);
    const text = JSON.stringify(view);
    expect(text).toContain('(a.very.long.address.0@&lt;!channel&gt;.example.test)');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain('Team &lt;!channel&gt; &lt;@U123&gt;');

    const message = membersAddedMessage({ req, report, userId: 'UREQ' });
    expect(checkMessage(message)).toEqual([]);
    const posted = JSON.stringify(message);
    expect(posted).not.toMatch(/example\.test/);
    expect(posted).not.toContain('<!channel>');
    expect(posted).toContain('*Added (20):* <@U00000000>');
    expect(posted).toContain("*Couldn't be added (10):*");
  });

  it('an error view says how far it got and offers the form back', () => {
    const view = memberErrorView({ workspace: EVIL, message: `1 added ${EVIL}`, operationId: 'op-1', context: {}, mayExist: true });
    expect(checkView(view)).toEqual([]);
    expect(JSON.stringify(view)).toContain('may be partly done');
    expect(JSON.stringify(view)).not.toContain('<!channel>');
  });
});

describe('what approvers and the policy see', () => {
  it('shows the people as mentions of the ids Slack returned, no email, the workspace as Portkey holds it; 50 fit', () => {
    const s = describeMembers({ request: stored(MAX_PEOPLE, { role: 'admin' }) });
    expect(approvalFits(s)).toEqual({ ok: true });
    expect(s.title).toBe(`workspace access for 50 people in ${EVIL} as admin`);
    const text = JSON.stringify(summaryBlocks(s));
    expect(text).toContain('*Role:* admin');
    expect(text).toContain('*Workspace:* Team &lt;!channel&gt; &lt;@U123&gt; &lt;http://evil|click&gt; &amp; co (ws-1)');
    expect(text).toContain(`*People (50):* <@U00000000>, <@U00000001>`);
    expect(text).not.toMatch(/example-company/);
  });

  it('gives the policy the workspace, the role and the people who would be added, by the ids Slack returned', () => {
    const req = stored(3);
    expect(subjectOf(req)).toEqual({
      workspaces: [{ id: 'ws-1', slug: 'ws-evil' }],
      role: 'member',
      people: { count: 3, userIds: ['U00000000', 'U00000001', 'U00000002'] },
    });
    // People without a usable email are not counted: they won't be added.
    expect(subjectOf({ ...req, people: [...req.people, { userId: 'UBOT', problem: 'bot' }] }).people?.count).toBe(3);
  });

  it('judges "adds yourself" against whoever is asked about: the same request differs for the requester and for another', () => {
    const subject = { action: 'member.add' as const, ...subjectOf(stored(2)), role: 'admin' as const };
    const p = policySchema.parse({ version: 1, admins: { users: ['UADMIN'] } });
    const as = (userId: string) => decide(p, subject, { userId, groups: new Set(), channelId: 'C1' });
    expect(as('U00000001')).toMatchObject({ effect: 'require_approval', rule: { name: 'self-promotion-needs-approval' } });
    expect(as('UOTHER').effect).toBe('allow');
  });

  const policy = policySchema.parse({
    version: 1,
    rules: [
      { name: 'admins', action: 'member.add', roles: ['admin'], effect: 'require_approval', approvers: { users: ['UAPP'] } },
      { name: 'self', action: 'member.add', adds_self: true, roles: ['manager'], effect: 'deny' },
      { name: 'big', action: 'member.add', min_people: 10, effect: 'require_approval', approvers: { users: ['UAPP'] } },
      { name: 'vault', action: 'member.add', workspaces: ['ws-vault'], effect: 'deny' },
    ],
  });
  const actor = { userId: 'UREQ', groups: new Set<string>(), channelId: 'C1' };
  const ask = (p: { role?: 'member' | 'manager' | 'admin'; count?: number; self?: boolean; ws?: string }) =>
    decide(
      policy,
      {
        action: 'member.add',
        role: p.role ?? 'member',
        people: { count: p.count ?? 1, userIds: p.self ? ['UREQ'] : [] },
        workspaces: [{ id: p.ws ?? 'ws-1' }],
      },
      actor,
    );

  it.each([
    ['a member', {}, 'allow', undefined],
    ['an admin', { role: 'admin' as const }, 'require_approval', 'admins'],
    ['oneself as manager', { role: 'manager' as const, self: true }, 'deny', 'self'],
    ['someone else as manager', { role: 'manager' as const }, 'allow', undefined],
    ['ten people', { count: 10 }, 'require_approval', 'big'],
    ['nine people', { count: 9 }, 'allow', undefined],
    ['into a denied workspace', { ws: 'ws-vault' }, 'deny', 'vault'],
  ])('adding %s: %s', (_what, p, effect, rule) => {
    const d = ask(p);
    expect(d.effect).toBe(effect);
    expect(d.rule?.name).toBe(rule);
  });

  it('built in: adding yourself as manager or admin needs the admins, whatever the file says; an allow rule with adds_self lifts it', () => {
    const self = (p: Record<string, unknown>, role: 'member' | 'manager' | 'admin') =>
      decide(
        policySchema.parse({ version: 1, ...p }),
        { action: 'member.add', role, people: { count: 2, userIds: ['UREQ', 'UBOB'] } },
        actor,
      );
    expect(self({}, 'admin')).toMatchObject({ effect: 'deny', rule: { name: 'self-promotion-needs-approval', builtin: true } });
    expect(self({}, 'member').effect).toBe('allow');
    const admins = { admins: { users: ['UADMIN'] } };
    expect(self(admins, 'manager')).toMatchObject({
      effect: 'require_approval',
      approvers: { users: ['UADMIN'] },
      allowSelfApproval: false,
    });
    const lifted = { ...admins, rules: [{ name: 'leads', action: 'member.add', adds_self: true, effect: 'allow', users: ['UREQ'] }] };
    expect(self(lifted, 'admin')).toMatchObject({ effect: 'allow', rule: { name: 'leads' } });
    // Someone else as admin is the file's decision.
    expect(
      decide(policySchema.parse({ version: 1 }), { action: 'member.add', role: 'admin', people: { count: 1, userIds: ['UBOB'] } }, actor)
        .effect,
    ).toBe('allow');
  });

  it('the new criteria never match another action, and a file using them elsewhere is refused', () => {
    const d = decide(policy, { action: 'workspace.create' }, actor);
    expect(d.effect).toBe('allow');
    expect(
      crossRuleProblems({ rules: [{ name: 'x', action: 'workspace.create', roles: ['admin'], min_people: 2, adds_self: true }] }),
    ).toEqual([
      'rules[0].roles: roles only applies to member.add',
      'rules[0].min_people: min_people only applies to member.add',
      'rules[0].adds_self: adds_self only applies to member.add',
    ]);
    expect(policySchema.safeParse({ version: 1, rules: [{ name: 'x', roles: ['owner'], effect: 'deny' }] }).success).toBe(false);
  });
});
