import { describe, expect, it } from 'vitest';
import { decide, mayDecide } from '../../src/policy/decide.js';
import { policySchema } from '../../src/policy/schema.js';
import { subjectOf } from '../../src/resources/member/executor.js';

// Red team: a bundle's parts that need different approvers. Each part's approvers must be satisfied.

const policy = policySchema.parse({
  version: 1,
  default: 'allow',
  rules: [
    { name: 'ws', action: 'workspace.create', effect: 'require_approval', approvers: { users: ['UPEER'] } },
    {
      name: 'anthropic',
      action: 'integration.create',
      providers: ['anthropic'],
      effect: 'require_approval',
      approvers: { groups: ['S0PLATFORM'] },
    },
  ],
});
const actor = { userId: 'U0ALICE', groups: new Set<string>(), channelId: undefined };
const bundle = {
  action: 'team.onboard' as const,
  parts: [
    { action: 'workspace.create' as const, creates: true as const },
    { action: 'integration.create' as const, providerId: 'anthropic' },
  ],
};

describe('a bundle whose parts need different approvers', () => {
  it('needs an approver named by every part', () => {
    const d = decide(policy, bundle, actor);
    expect(d.effect).toBe('require_approval');
    if (d.effect !== 'require_approval') return;
    expect(d.approvers).toEqual({ users: ['UPEER'], groups: [] });
    expect(d.alsoApprovers).toEqual([{ users: [], groups: ['S0PLATFORM'] }]);
    const p = { ...d, requesterId: 'U0ALICE' };
    expect(mayDecide(p, { userId: 'UPEER', groups: new Set() }).ok).toBe(false);
    expect(mayDecide(p, { userId: 'UPLAT', groups: new Set(['S0PLATFORM']) }).ok).toBe(false);
    expect(mayDecide(p, { userId: 'UPEER', groups: new Set(['S0PLATFORM']) }).ok).toBe(true);
  });

  it('the same approvers twice add nothing', () => {
    const d = decide(policy, { ...bundle, parts: [bundle.parts[0], bundle.parts[0]] as typeof bundle.parts }, actor);
    expect(d.effect).toBe('require_approval');
    expect(d.effect === 'require_approval' ? d.alsoApprovers : 'not an approval').toBeUndefined();
  });
});

describe('admin-key-needs-approval', () => {
  const key = (scopes: string[]) => ({ action: 'key.create' as const, scopes, workspaces: [{ id: 'ws-1' }] });
  const withAdmins = policySchema.parse({ version: 1, default: 'allow', admins: { users: ['UADMIN'] }, approvals_channel: 'C0A' });
  it("a key that can change members or keys needs the admins' approval; a completions key doesn't", () => {
    expect(decide(withAdmins, key(['completions.write']), actor).effect).toBe('allow');
    expect(decide(withAdmins, key(['workspace_users.read', 'logs.view']), actor).effect).toBe('allow');
    const d = decide(withAdmins, key(['completions.write', 'workspace_user_api_keys.create']), actor);
    expect(d).toMatchObject({ effect: 'require_approval', rule: { name: 'admin-key-needs-approval', builtin: true } });
    expect(d.effect === 'require_approval' && d.approvers).toEqual({ users: ['UADMIN'], groups: [] });
  });
  it('without admins it is denied; rules that name the scopes decide instead', () => {
    const none = policySchema.parse({ version: 1, default: 'allow' });
    expect(decide(none, key(['workspace_users.create']), actor).effect).toBe('deny');
    const named = policySchema.parse({
      version: 1,
      default: 'allow',
      rules: [
        { name: 'bots', action: 'key.create', users: ['U0ALICE'], scopes: ['workspace_users.*'], effect: 'allow' },
        { name: 'deletes', action: 'key.create', scopes: ['*.delete'], effect: 'require_approval', approvers: { users: ['U0BOSS'] } },
      ],
    });
    expect(decide(named, key(['workspace_users.create']), actor).effect).toBe('allow');
    expect(decide(named, key(['workspace_service_api_keys.delete']), actor)).toMatchObject({ rule: { name: 'deletes' } });
    // A scope no rule names still needs the admins (here: none, so denied).
    expect(decide(named, key(['workspace_service_api_keys.create']), actor).effect).toBe('deny');
  });
});

// Probe (sound): adding yourself as an admin through a user group you are in is self-promotion like picking yourself.
describe('self-promotion through a user group', () => {
  it('the group, expanded at submission, puts the requester among the people the policy sees', () => {
    const admins = policySchema.parse({ version: 1, default: 'allow', admins: { users: ['U0ADMIN'] }, approvals_channel: 'C0A' });
    const stored = {
      draft: { workspace: { value: 'ws-1', label: 'x' }, users: [], group: { value: 'S0LEADS', label: 'leads' }, role: 'admin' },
      workspace: { id: 'ws-1', name: 'Finance' },
      role: 'admin' as const,
      group: { id: 'S0LEADS', size: 2 },
      people: [
        { userId: 'U0BOB', email: 'bob@acme.test' },
        { userId: 'U0ALICE', email: 'alice@acme.test' },
      ],
    };
    const d = decide(admins, { action: 'member.add', ...subjectOf(stored) }, actor);
    expect(d).toMatchObject({ effect: 'require_approval', rule: { name: 'self-promotion-needs-approval' } });
  });
});
