import { describe, expect, it } from 'vitest';
import { decide, mayDecide } from '../../src/policy/decide.js';
import { policySchema } from '../../src/policy/schema.js';

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
const actor = { userId: 'U_ALICE', groups: new Set<string>(), channelId: undefined };
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
    const p = { ...d, requesterId: 'U_ALICE' };
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
