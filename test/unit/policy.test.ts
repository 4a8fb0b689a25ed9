import { describe, expect, it } from 'vitest';
import {
  actionMatches,
  decide,
  describeLimit,
  groupsInRules,
  hasAdmins,
  isAdmin,
  limitsFor,
  matchingRules,
  mayDecide,
  ruleMatches,
  type Actor,
  type Decision,
  type Subject,
} from '../../src/policy/decide.js';
import { parsePolicy } from '../../src/policy/load.js';
import { DEFAULT_POLICY, policySchema, type Action, type People, type Policy, type RateLimit, type Rule } from '../../src/policy/schema.js';
import { parsedPolicy } from '../support/policy.js';

// Policy decisions: rule matching, precedence, groups, self-approval, rate-limit counters.
// Policies are built through the schema, so they carry the same defaults as a real file.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function policy(input: Record<string, unknown>): Policy {
  const r = policySchema.safeParse(input);
  if (!r.success) throw new Error(`test policy is invalid: ${JSON.stringify(r.error.issues)}`);
  return r.data;
}

/** One rule (name 'r', effect allow unless given), with defaults filled. */
function rule(fields: Record<string, unknown>): Rule {
  const r = policy({ rules: [{ name: 'r', effect: 'allow', ...fields }] }).rules[0];
  if (!r) throw new Error('no rule');
  return r;
}

/** `null` for a request whose channel is not known (a default parameter would swallow `undefined`). */
function actor(userId: string, groups: string[] = [], channelId: string | null = 'C0GENERAL'): Actor {
  return { userId, groups: new Set(groups), channelId: channelId ?? undefined };
}

const WS: Subject = { action: 'workspace.create' };
const integration = (providerId?: string): Subject => ({ action: 'integration.create', providerId });

// The README example, as the policy file says it.
const README = parsedPolicy(`approvals_channel: C0APPROVALS
admins:
  groups: [S0PLATFORM]
rules:
  - name: Interns may not create integrations
    action: integration.create
    groups: [S0INTERNS]
    effect: deny
    reason: Interns can't create integrations.
  - name: OpenAI and Anthropic need platform approval
    action: integration.create
    providers: [openai, anthropic]
    effect: require_approval
    approvers:
      groups: [S0PLATFORM]
rate_limits:
  - action: workspace.create
    max: 5
    window: 1h
`);

describe('the README example, decided', () => {
  const INTERNS = 'S0INTERNS';
  it.each<[string, Subject, Actor, Decision]>([
    [
      'an intern, an openai integration: denied (deny beats require_approval)',
      integration('openai'),
      actor('U0INTERN', [INTERNS]),
      { effect: 'deny', rule: { name: 'Interns may not create integrations', index: 0 }, reason: "Interns can't create integrations." },
    ],
    [
      'an intern, a mistral integration: denied',
      integration('mistral-ai'),
      actor('U0INTERN', [INTERNS]),
      { effect: 'deny', rule: { name: 'Interns may not create integrations', index: 0 }, reason: "Interns can't create integrations." },
    ],
    ['an intern, a workspace: allowed by default', WS, actor('U0INTERN', [INTERNS]), { effect: 'allow', rule: undefined }],
    [
      'someone else, a mistral integration: allowed by default',
      integration('mistral-ai'),
      actor('U0DEV'),
      { effect: 'allow', rule: undefined },
    ],
    ['someone else, a workspace: allowed by default', WS, actor('U0DEV', ['S0OTHER']), { effect: 'allow', rule: undefined }],
    ...(['openai', 'anthropic'] as const).map((p): [string, Subject, Actor, Decision] => [
      `someone else, an ${p} integration: one approval from S0PLATFORM`,
      integration(p),
      actor('U0DEV', ['S0OTHER']),
      {
        effect: 'require_approval',
        rule: { name: 'OpenAI and Anthropic need platform approval', index: 1 },
        reason: undefined,
        approvers: { users: [], groups: ['S0PLATFORM'] },
        allowSelfApproval: false,
        expiresAfterMs: DAY,
        channel: 'C0APPROVALS',
      },
    ]),
  ])('%s', (_what, subject, who, expected) => {
    expect(decide(README, subject, who)).toEqual(expected);
  });

  it('five workspaces an hour per person, nothing for integrations', () => {
    const who = { userId: 'U0DEV', teamId: 'T0TEAM' };
    expect(limitsFor(README, 'workspace.create', who).map((c) => c.limit)).toEqual([
      { action: 'workspace.create', max: 5, window: HOUR, per: 'user' },
    ]);
    expect(limitsFor(README, 'integration.create', who)).toEqual([]);
    expect(describeLimit(README.rate_limits[0] as RateLimit)).toBe('5 workspaces per person every hour');
  });

  it('the groups a decision depends on are the interns only (approvers and admins are not rule groups)', () => {
    expect(groupsInRules(README)).toEqual(['S0INTERNS']);
  });
});

describe('actionMatches', () => {
  it.each<[string | string[], Action, boolean]>([
    ['*', 'workspace.create', true],
    ['*', 'integration.create', true],
    ['workspace.create', 'workspace.create', true],
    ['workspace.create', 'integration.create', false],
    ['integration.create', 'workspace.create', false],
    [['workspace.create'], 'integration.create', false],
    [['workspace.create', 'integration.create'], 'integration.create', true],
    [['integration.create', '*'], 'workspace.create', true],
    [[], 'workspace.create', false],
  ])('%j vs %s → %s', (pattern, action, expected) => {
    expect(actionMatches(pattern, action)).toBe(expected);
  });
});

describe('ruleMatches', () => {
  const cases: Array<[string, Record<string, unknown>, Subject, Actor, boolean]> = [
    // actions
    ['no criteria: anyone, anything', {}, WS, actor('U0ANY', [], null), true],
    ['no criteria: an integration too', {}, integration('openai'), actor('U0ANY'), true],
    ['action * matches a workspace', { action: '*' }, WS, actor('U0ANY'), true],
    ['action * matches an integration', { action: '*' }, integration('cohere'), actor('U0ANY'), true],
    ['workspace.create does not match an integration', { action: 'workspace.create' }, integration('openai'), actor('U0ANY'), false],
    ['integration.create does not match a workspace', { action: 'integration.create' }, WS, actor('U0ANY'), false],
    ['a list with workspace.create matches a workspace', { action: ['workspace.create'] }, WS, actor('U0ANY'), true],
    [
      'a list with workspace.create does not match an integration',
      { action: ['workspace.create'] },
      integration('openai'),
      actor('U0ANY'),
      false,
    ],
    [
      'a list of both matches an integration',
      { action: ['workspace.create', 'integration.create'] },
      integration('openai'),
      actor('U0ANY'),
      true,
    ],
    // providers
    ['providers: a listed provider', { providers: ['openai', 'anthropic'] }, integration('anthropic'), actor('U0ANY'), true],
    ['providers: another provider', { providers: ['openai', 'anthropic'] }, integration('mistral-ai'), actor('U0ANY'), false],
    ['providers: an integration without a provider id', { providers: ['openai'] }, integration(undefined), actor('U0ANY'), false],
    ['providers never match workspace.create (action *)', { providers: ['openai'] }, WS, actor('U0ANY'), false],
    [
      'providers never match workspace.create, even with a provider id',
      { action: '*', providers: ['openai'] },
      { action: 'workspace.create', providerId: 'openai' },
      actor('U0ANY'),
      false,
    ],
    [
      'providers on a list of both actions still skip workspaces',
      { action: ['workspace.create', 'integration.create'], providers: ['openai'] },
      WS,
      actor('U0ANY'),
      false,
    ],
    ['provider ids are compared exactly', { providers: ['openai'] }, integration('OpenAI'), actor('U0ANY'), false],
    // who
    ['users: a listed user', { users: ['U0ALICE', 'U0BOB'] }, WS, actor('U0BOB'), true],
    ['users: someone else', { users: ['U0ALICE'] }, WS, actor('U0CAROL'), false],
    ['groups: a member', { groups: ['S0INTERNS'] }, WS, actor('U0CAROL', ['S0INTERNS']), true],
    ['groups: a member of one of several', { groups: ['S0A', 'S0B'] }, WS, actor('U0CAROL', ['S0X', 'S0B']), true],
    ['groups: in other groups only', { groups: ['S0INTERNS'] }, WS, actor('U0CAROL', ['S0STAFF']), false],
    ['groups: in no group', { groups: ['S0INTERNS'] }, WS, actor('U0CAROL', []), false],
    ['groups: the user id equal to the group id does not count', { groups: ['S0INTERNS'] }, WS, actor('S0INTERNS', []), false],
    ['users OR groups: listed by id, in no group', { users: ['U0ALICE'], groups: ['S0INTERNS'] }, WS, actor('U0ALICE'), true],
    ['users OR groups: not listed, in the group', { users: ['U0ALICE'], groups: ['S0INTERNS'] }, WS, actor('U0BOB', ['S0INTERNS']), true],
    ['users OR groups: neither', { users: ['U0ALICE'], groups: ['S0INTERNS'] }, WS, actor('U0BOB', ['S0STAFF']), false],
    // where
    ['channels: a listed channel', { channels: ['C0SANDBOX', 'G0PRIVATE'] }, WS, actor('U0ANY', [], 'G0PRIVATE'), true],
    ['channels: another channel', { channels: ['C0SANDBOX'] }, WS, actor('U0ANY', [], 'C0GENERAL'), false],
    ['channels: no channel known', { channels: ['C0SANDBOX'] }, WS, actor('U0ANY', [], null), false],
    // every criterion must hold
    ...((): Array<[string, Record<string, unknown>, Subject, Actor, boolean]> => {
      const all = { action: 'integration.create', providers: ['openai'], groups: ['S0INTERNS'], channels: ['C0SANDBOX'] };
      return [
        ['all criteria hold', all, integration('openai'), actor('U0X', ['S0INTERNS'], 'C0SANDBOX'), true],
        ['all but the provider', all, integration('anthropic'), actor('U0X', ['S0INTERNS'], 'C0SANDBOX'), false],
        ['all but the group', all, integration('openai'), actor('U0X', ['S0STAFF'], 'C0SANDBOX'), false],
        ['all but the channel', all, integration('openai'), actor('U0X', ['S0INTERNS'], 'C0GENERAL'), false],
        ['all but the action', all, WS, actor('U0X', ['S0INTERNS'], 'C0SANDBOX'), false],
      ];
    })(),
  ];
  it.each(cases)('%s', (_what, fields, subject, who, expected) => {
    expect(ruleMatches(rule(fields), subject, who)).toBe(expected);
  });
});

describe('matchingRules', () => {
  it('lists every matching rule in file order with its index', () => {
    const p = policy({
      rules: [
        { name: 'ws only', action: 'workspace.create', effect: 'deny' },
        { name: 'everyone', effect: 'allow' },
        { name: 'interns', groups: ['S0INTERNS'], effect: 'deny' },
        { name: 'openai', providers: ['openai'], effect: 'require_approval', approvers: { users: ['U0BOSS'] } },
        { name: 'sandbox', channels: ['C0SANDBOX'], effect: 'allow' },
      ],
    });
    const names = (s: Subject, a: Actor) => matchingRules(p, s, a).map((m) => [m.ref.name, m.ref.index, m.rule.name]);
    expect(names(integration('openai'), actor('U0X', ['S0INTERNS'], 'C0SANDBOX'))).toEqual([
      ['everyone', 1, 'everyone'],
      ['interns', 2, 'interns'],
      ['openai', 3, 'openai'],
      ['sandbox', 4, 'sandbox'],
    ]);
    expect(names(WS, actor('U0X'))).toEqual([
      ['ws only', 0, 'ws only'],
      ['everyone', 1, 'everyone'],
    ]);
    expect(matchingRules(policy({}), WS, actor('U0X'))).toEqual([]);
  });
});

describe('precedence: deny > require_approval > allow, whatever the order; first among equals', () => {
  const make = (name: string, effect: string) => ({
    name,
    effect,
    ...(effect === 'require_approval' ? { approvers: { users: [`U0${name.toUpperCase()}`] } } : {}),
  });
  const table: Array<[string[], string, number]> = [
    [['allow', 'deny'], 'deny', 1],
    [['deny', 'allow'], 'deny', 0],
    [['allow', 'require_approval'], 'require_approval', 1],
    [['require_approval', 'allow'], 'require_approval', 0],
    [['require_approval', 'deny'], 'deny', 1],
    [['deny', 'require_approval'], 'deny', 0],
    [['allow', 'require_approval', 'deny'], 'deny', 2],
    [['allow', 'deny', 'require_approval'], 'deny', 1],
    [['require_approval', 'allow', 'deny'], 'deny', 2],
    [['require_approval', 'deny', 'allow'], 'deny', 1],
    [['deny', 'allow', 'require_approval'], 'deny', 0],
    [['deny', 'require_approval', 'allow'], 'deny', 0],
    [['allow', 'allow'], 'allow', 0],
    [['deny', 'deny'], 'deny', 0],
    [['allow', 'deny', 'deny'], 'deny', 1],
    [['require_approval', 'require_approval'], 'require_approval', 0],
    [['allow', 'require_approval', 'require_approval', 'allow'], 'require_approval', 1],
  ];
  it.each(table)('%j → %s from rule %i', (effects, effect, index) => {
    const p = policy({ rules: effects.map((e, i) => make(`rule${i}`, e)) });
    const d = decide(p, WS, actor('U0ANY'));
    expect(d.effect).toBe(effect);
    expect(d.rule).toEqual({ name: `rule${index}`, index });
    if (d.effect === 'require_approval') expect(d.approvers).toEqual({ users: [`U0RULE${index}`], groups: [] });
  });

  it('a more restrictive rule that does not match changes nothing', () => {
    const p = policy({
      rules: [
        { name: 'interns', groups: ['S0INTERNS'], effect: 'deny' },
        { name: 'openai', providers: ['openai'], effect: 'require_approval', approvers: { users: ['U0BOSS'] } },
        { name: 'everyone', effect: 'allow' },
      ],
    });
    expect(decide(p, integration('cohere'), actor('U0DEV', ['S0STAFF']))).toEqual({
      effect: 'allow',
      rule: { name: 'everyone', index: 2 },
    });
    expect(decide(p, integration('openai'), actor('U0DEV', ['S0STAFF'])).rule).toEqual({ name: 'openai', index: 1 });
    expect(decide(p, integration('openai'), actor('U0DEV', ['S0INTERNS'])).rule).toEqual({ name: 'interns', index: 0 });
  });
});

describe('the policy default', () => {
  const allowRule = { name: 'sandbox may', channels: ['C0SANDBOX'], effect: 'allow' };
  it.each<[string, Record<string, unknown>, Actor, Decision]>([
    [
      'default allow, no rule matches → allow without a rule',
      { rules: [allowRule] },
      actor('U0X', [], 'C0GENERAL'),
      { effect: 'allow', rule: undefined },
    ],
    ['default allow, no rules at all → allow', {}, actor('U0X'), { effect: 'allow', rule: undefined }],
    [
      'default allow, an allow rule matches → allow naming the rule',
      { rules: [allowRule] },
      actor('U0X', [], 'C0SANDBOX'),
      { effect: 'allow', rule: { name: 'sandbox may', index: 0 } },
    ],
    [
      'default deny, no rule matches → deny without a rule, saying why',
      { default: 'deny', rules: [allowRule] },
      actor('U0X', [], 'C0GENERAL'),
      { effect: 'deny', rule: undefined, reason: 'No policy rule allows this, and the policy denies by default.' },
    ],
    [
      'default deny, no rules at all → deny',
      { default: 'deny' },
      actor('U0X'),
      { effect: 'deny', rule: undefined, reason: 'No policy rule allows this, and the policy denies by default.' },
    ],
    [
      'default deny, an allow rule matches → allow naming the rule',
      { default: 'deny', rules: [allowRule] },
      actor('U0X', [], 'C0SANDBOX'),
      { effect: 'allow', rule: { name: 'sandbox may', index: 0 } },
    ],
  ])('%s', (_what, input, who, expected) => {
    expect(decide(policy(input), WS, who)).toEqual(expected);
  });
});

describe('what a decision carries', () => {
  it("a deny carries the rule's reason, or one naming the rule", () => {
    const p = policy({
      rules: [
        { name: 'No workspaces', action: 'workspace.create', effect: 'deny', reason: 'Ask #platform for a workspace.' },
        { name: 'No integrations', action: 'integration.create', effect: 'deny' },
      ],
    });
    expect(decide(p, WS, actor('U0X'))).toEqual({
      effect: 'deny',
      rule: { name: 'No workspaces', index: 0 },
      reason: 'Ask #platform for a workspace.',
    });
    expect(decide(p, integration('openai'), actor('U0X'))).toEqual({
      effect: 'deny',
      rule: { name: 'No integrations', index: 1 },
      reason: 'The policy rule "No integrations" does not allow this.',
    });
  });

  const approval = (extra: Record<string, unknown>) => ({
    name: 'Needs a lead',
    effect: 'require_approval',
    approvers: { users: ['U0LEAD'], groups: ['S0LEADS'] },
    ...extra,
  });
  it.each<[string, Record<string, unknown>, Record<string, unknown>, Partial<Decision>]>([
    [
      'defaults: no self-approval, 24 h, no channel',
      {},
      {},
      { reason: undefined, allowSelfApproval: false, expiresAfterMs: DAY, channel: undefined },
    ],
    ["the policy's approvals channel when the rule has none", { approvals_channel: 'C0POLICY' }, {}, { channel: 'C0POLICY' }],
    [
      "the rule's own channel before the policy's",
      { approvals_channel: 'C0POLICY' },
      { approvals_channel: 'C0RULE' },
      { channel: 'C0RULE' },
    ],
    ["the rule's own channel without one in the policy", {}, { approvals_channel: 'C0RULE' }, { channel: 'C0RULE' }],
    [
      'self-approval allowed, a 2 h expiry and a reason',
      {},
      { allow_self_approval: true, expires_after: '2h', reason: 'Costs money' },
      { allowSelfApproval: true, expiresAfterMs: 2 * HOUR, reason: 'Costs money' },
    ],
  ])('require_approval: %s', (_what, top, extra, expected) => {
    const d = decide(policy({ ...top, rules: [{ name: 'first', effect: 'allow' }, approval(extra)] }), WS, actor('U0X'));
    expect(d).toMatchObject({
      effect: 'require_approval',
      rule: { name: 'Needs a lead', index: 1 },
      approvers: { users: ['U0LEAD'], groups: ['S0LEADS'] },
      ...expected,
    });
    expect(Object.keys(d).sort()).toEqual(['allowSelfApproval', 'approvers', 'channel', 'effect', 'expiresAfterMs', 'reason', 'rule']);
  });

  it('the decision names the winning rule, not the first match', () => {
    const p = policy({
      rules: [
        { name: 'ok', effect: 'allow' },
        { name: 'careful', effect: 'require_approval', approvers: { users: ['U0LEAD'] } },
      ],
    });
    expect(decide(p, WS, actor('U0X')).rule).toEqual({ name: 'careful', index: 1 });
  });
});

describe('groups', () => {
  const p = policy({
    rules: [
      { name: 'interns', groups: ['S0INTERNS'], effect: 'deny' },
      { name: 'contractors', groups: ['S0CONTRACT', 'S0INTERNS'], effect: 'require_approval', approvers: { groups: ['S0LEADS'] } },
      { name: 'someone', users: ['U0ALICE'], effect: 'allow' },
    ],
    admins: { groups: ['S0ADMINS'] },
  });

  it('groupsInRules: each group a rule names, once, in file order; not approver or admin groups', () => {
    expect(groupsInRules(p)).toEqual(['S0INTERNS', 'S0CONTRACT']);
    expect(groupsInRules(policy({}))).toEqual([]);
  });

  it.each<[string, string[], string | undefined]>([
    ['in no group', [], undefined],
    ['in a group no rule names', ['S0ADMINS', 'S0LEADS'], undefined],
    ['a contractor', ['S0CONTRACT'], 'contractors'],
    ['an intern (deny wins over the approval rule)', ['S0INTERNS'], 'interns'],
    ['both', ['S0CONTRACT', 'S0INTERNS'], 'interns'],
  ])('membership as a Set: %s', (_what, groups, ruleName) => {
    expect(decide(p, WS, actor('U0BOB', groups)).rule?.name).toBe(ruleName);
  });

  it('membership is what the Set says, nothing else', () => {
    const groups = new Set<string>();
    const who: Actor = { userId: 'U0BOB', groups, channelId: 'C0GENERAL' };
    expect(decide(p, WS, who).effect).toBe('allow');
    groups.add('S0INTERNS');
    expect(decide(p, WS, who).effect).toBe('deny');
  });
});

describe('mayDecide (who may approve or deny)', () => {
  const APPROVERS: People = { users: ['U0LEAD'], groups: ['S0LEADS'] };
  const clicker = (userId: string, groups: string[] = []) => ({ userId, groups: new Set(groups) });
  const NOT_APPROVER = 'You are not one of the approvers for this request.';
  const OWN = 'You asked for this, so someone else among the approvers has to decide on it.';

  it.each<[string, People, boolean, string, ReturnType<typeof clicker>, string | undefined]>([
    ['an approver by user id', APPROVERS, false, 'U0DEV', clicker('U0LEAD'), undefined],
    ['an approver by group', APPROVERS, false, 'U0DEV', clicker('U0OTHER', ['S0LEADS']), undefined],
    ['an approver by group among other groups', APPROVERS, false, 'U0DEV', clicker('U0OTHER', ['S0X', 'S0LEADS']), undefined],
    ['someone in other groups', APPROVERS, false, 'U0DEV', clicker('U0OTHER', ['S0STAFF']), NOT_APPROVER],
    ['someone in no group', APPROVERS, false, 'U0DEV', clicker('U0OTHER'), NOT_APPROVER],
    ['the requester, an approver by id, self-approval off', APPROVERS, false, 'U0LEAD', clicker('U0LEAD'), OWN],
    ['the requester, an approver by group, self-approval off', APPROVERS, false, 'U0DEV', clicker('U0DEV', ['S0LEADS']), OWN],
    ['the requester, an approver by id, self-approval on', APPROVERS, true, 'U0LEAD', clicker('U0LEAD'), undefined],
    ['the requester, an approver by group, self-approval on', APPROVERS, true, 'U0DEV', clicker('U0DEV', ['S0LEADS']), undefined],
    ['the requester, not an approver, self-approval on', APPROVERS, true, 'U0DEV', clicker('U0DEV'), NOT_APPROVER],
    ['the requester, not an approver, self-approval off', APPROVERS, false, 'U0DEV', clicker('U0DEV'), NOT_APPROVER],
    ['anyone, when there are no approvers', { users: [], groups: [] }, true, 'U0DEV', clicker('U0LEAD', ['S0LEADS']), NOT_APPROVER],
    ['a group id passed as a user id', APPROVERS, false, 'U0DEV', clicker('S0LEADS'), NOT_APPROVER],
  ])('%s', (_what, approvers, allowSelfApproval, requesterId, who, why) => {
    expect(mayDecide({ approvers, allowSelfApproval, requesterId }, who)).toEqual(why === undefined ? { ok: true } : { ok: false, why });
  });

  it('works with what decide returns', () => {
    const p = policy({ rules: [{ name: 'r', effect: 'require_approval', approvers: { groups: ['S0LEADS'] } }] });
    const d = decide(p, WS, actor('U0DEV', ['S0LEADS']));
    if (d.effect !== 'require_approval') throw new Error(d.effect);
    const req = { approvers: d.approvers, allowSelfApproval: d.allowSelfApproval, requesterId: 'U0DEV' };
    expect(mayDecide(req, clicker('U0DEV', ['S0LEADS'])).ok).toBe(false);
    expect(mayDecide(req, clicker('U0LEAD', ['S0LEADS'])).ok).toBe(true);
  });
});

describe('admins', () => {
  const p = policy({ admins: { users: ['U0ADMIN'], groups: ['S0ADMINS'] } });
  it.each<[string, string, string[], boolean]>([
    ['by user id', 'U0ADMIN', [], true],
    ['by group', 'U0OTHER', ['S0ADMINS'], true],
    ['neither', 'U0OTHER', ['S0STAFF'], false],
  ])('isAdmin %s', (_what, userId, groups, expected) => {
    expect(isAdmin(p, { userId, groups: new Set(groups) })).toBe(expected);
  });

  it('hasAdmins: users or groups count; none means no admins (and nobody is one)', () => {
    expect(hasAdmins(p)).toBe(true);
    expect(hasAdmins(policy({ admins: { groups: ['S0ADMINS'] } }))).toBe(true);
    expect(hasAdmins(policy({ admins: { users: ['U0ADMIN'] } }))).toBe(true);
    expect(hasAdmins(policy({}))).toBe(false);
    expect(isAdmin(policy({}), { userId: 'U0ADMIN', groups: new Set(['S0ADMINS']) })).toBe(false);
  });
});

describe('rate limits', () => {
  const p = policy({
    rate_limits: [
      { action: 'workspace.create', max: 5, window: '1h' },
      { action: 'integration.create', max: 20, window: '1d', per: 'team' },
      { action: '*', max: 100, window: '1d', per: 'global' },
    ],
  });
  const ALICE = { userId: 'U0ALICE', teamId: 'T0ONE' };
  const BOB = { userId: 'U0BOB', teamId: 'T0ONE' };
  const ALICE_ELSEWHERE = { userId: 'U0ALICE', teamId: 'T0TWO' };
  const CAROL = { userId: 'U0CAROL', teamId: 'T0TWO' };

  it.each<[Action, string[]]>([
    ['workspace.create', ['workspace.create/user', '*/global']],
    ['integration.create', ['integration.create/team', '*/global']],
  ])('limitsFor %s picks the limits for that action and those for *, in file order', (action, expected) => {
    expect(limitsFor(p, action, ALICE).map((c) => `${c.limit.action}/${c.limit.per}`)).toEqual(expected);
  });

  it('no limits in the policy: nothing counted', () => {
    expect(limitsFor(policy({}), 'workspace.create', ALICE)).toEqual([]);
  });

  const keyOf = (action: Action, per: string, who: { userId: string; teamId: string }) => {
    const c = limitsFor(p, action, who).find((x) => x.limit.per === per);
    if (!c) throw new Error(`no ${per} limit for ${action}`);
    return c.key;
  };

  it.each<[string, Action, string, typeof ALICE, typeof ALICE, boolean]>([
    ['per user: the same person', 'workspace.create', 'user', ALICE, { ...ALICE }, true],
    ['per user: two people in one team', 'workspace.create', 'user', ALICE, BOB, false],
    ['per user: one user id in two teams', 'workspace.create', 'user', ALICE, ALICE_ELSEWHERE, false],
    ['per team: two people in one team', 'integration.create', 'team', ALICE, BOB, true],
    ['per team: two teams', 'integration.create', 'team', ALICE, CAROL, false],
    ['per team: one user id in two teams', 'integration.create', 'team', ALICE, ALICE_ELSEWHERE, false],
    ['global: two people in one team', 'workspace.create', 'global', ALICE, BOB, true],
    ['global: two teams', 'workspace.create', 'global', ALICE, CAROL, true],
  ])('counter keys, %s → equal: %s', (_what, action, per, a, b, equal) => {
    const [ka, kb] = [keyOf(action, per, a), keyOf(action, per, b)];
    if (equal) expect(ka).toBe(kb);
    else expect(ka).not.toBe(kb);
  });

  it('a * limit is one counter for every action', () => {
    expect(keyOf('workspace.create', 'global', ALICE)).toBe(keyOf('integration.create', 'global', ALICE));
    const perUser = policy({ rate_limits: [{ action: '*', max: 3, window: '1h' }] });
    const [ws] = limitsFor(perUser, 'workspace.create', ALICE);
    const [integ] = limitsFor(perUser, 'integration.create', ALICE);
    expect(ws?.key).toBeDefined();
    expect(ws?.key).toBe(integ?.key);
    expect(limitsFor(perUser, 'workspace.create', BOB)[0]?.key).not.toBe(ws?.key);
  });

  it('every limit has its own counter: same action and subject, different max, window, per or action', () => {
    const many = policy({
      rate_limits: [
        { action: 'workspace.create', max: 5, window: '1h' },
        { action: 'workspace.create', max: 50, window: '1h' },
        { action: 'workspace.create', max: 5, window: '1d' },
        { action: 'workspace.create', max: 5, window: '1h', per: 'team' },
        { action: 'workspace.create', max: 5, window: '1h', per: 'global' },
        { action: '*', max: 5, window: '1h' },
      ],
    });
    const keys = limitsFor(many, 'workspace.create', ALICE).map((c) => c.key);
    expect(keys).toHaveLength(6);
    expect(new Set(keys).size).toBe(6);
    // A team-wide counter can't be mistaken for a person's in a team with the same id, nor the global one.
    expect(keys.every((k) => k.startsWith('rate:'))).toBe(true);
  });

  // Regression (was a bug): a limit written twice (a copy-paste) gives two entries with one key; Governance reserves each, so every create
  // takes two from the same counter and "5 an hour" lets 2 through. Either the schema reports the duplicate or
  // limitsFor gives each key once; this test accepts either.
  it('a limit written twice is not counted twice', () => {
    const r = parsePolicy(
      'rate_limits:\n  - {action: workspace.create, max: 5, window: 1h}\n  - {action: workspace.create, max: 5, window: 1h}\n',
    );
    if (!r.ok) {
      expect(r.problems).toEqual([expect.stringMatching(/^rate_limits\[1\]/)]);
      return;
    }
    const keys = limitsFor(r.policy, 'workspace.create', ALICE).map((c) => c.key);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('limitsFor returns the limit itself with its key', () => {
    expect(limitsFor(p, 'integration.create', BOB)[0]?.limit).toBe(p.rate_limits[1]);
  });

  it.each<[RateLimit, string]>([
    [{ action: 'workspace.create', max: 5, window: HOUR, per: 'user' }, '5 workspaces per person every hour'],
    [{ action: 'integration.create', max: 20, window: DAY, per: 'team' }, '20 integrations for the whole team every day'],
    [{ action: '*', max: 100, window: 7 * DAY, per: 'global' }, '100 creates in total every 7 days'],
    [{ action: '*', max: 10, window: 60_000, per: 'user' }, '10 creates per person every minute'],
    [{ action: 'workspace.create', max: 3, window: 90_000, per: 'user' }, '3 workspaces per person every 90 seconds'],
    [{ action: 'workspace.create', max: 3, window: 90 * 60_000, per: 'user' }, '3 workspaces per person every 90 minutes'],
    [{ action: 'integration.create', max: 2, window: 2 * HOUR, per: 'global' }, '2 integrations in total every 2 hours'],
    [{ action: 'integration.create', max: 2, window: 1000, per: 'user' }, '2 integrations per person every second'],
    [{ action: 'integration.create', max: 2, window: 36 * HOUR, per: 'user' }, '2 integrations per person every 36 hours'],
  ])('describeLimit %j → %s', (limit, text) => {
    expect(describeLimit(limit)).toBe(text);
  });

  // Regression (was a bug): describeLimit does not make the noun singular for max 1: "1 workspaces per person every hour".
  it('describeLimit with max 1 uses the singular', () => {
    expect(describeLimit({ action: 'workspace.create', max: 1, window: HOUR, per: 'user' })).toBe('1 workspace per person every hour');
    expect(describeLimit({ action: 'integration.create', max: 1, window: DAY, per: 'team' })).toBe(
      '1 integration for the whole team every day',
    );
    expect(describeLimit({ action: '*', max: 1, window: 60_000, per: 'global' })).toBe('1 create in total every minute');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// What decides where a key goes: custom hosts, secret references, workspaces, the default-workspace flag.

const withParts = (parts: Partial<Subject>): Subject => ({ action: 'integration.create', providerId: 'groq', ...parts });
const PROD = { id: 'ws-prod-0001', slug: 'production' };
const SANDBOX = { id: 'ws-sbx-0002', slug: 'mallory-sandbox' };
const ORG_REF = { id: 'sr-org-0001', name: 'Org production OpenAI' };
const TEAM_REF = { id: 'sr-team-0002', name: 'Team-Research key' };

describe('ruleMatches: the parts of a request (ANY for deny and require_approval, EVERY for allow)', () => {
  const approval = { effect: 'require_approval', approvers: { users: ['U0BOSS'] } };
  const cases: Array<[string, Record<string, unknown>, Subject, boolean]> = [
    // custom hosts
    [
      'allow: the one host covered',
      { custom_hosts: ['https://*.internal.example.com/*'] },
      withParts({ hosts: ['https://llm.internal.example.com/v1'] }),
      true,
    ],
    [
      'allow: a deeper subdomain is covered by *',
      { custom_hosts: ['https://*.internal.example.com/*'] },
      withParts({ hosts: ['https://a.b.internal.example.com/v1'] }),
      true,
    ],
    [
      'allow: every host must be covered',
      { custom_hosts: ['https://*.internal.example.com/*'] },
      withParts({ hosts: ['https://llm.internal.example.com/v1', 'https://evil.example.net/'] }),
      false,
    ],
    ['allow: a rule about hosts is not about a request without one', { custom_hosts: ['*'] }, withParts({}), false],
    [
      'deny: any host covered is enough',
      { effect: 'deny', custom_hosts: ['https://api.openai.com/*'] },
      withParts({ hosts: ['https://llm.internal.example.com/', 'https://api.openai.com/v1'] }),
      true,
    ],
    [
      'deny: no host covered',
      { effect: 'deny', custom_hosts: ['https://api.openai.com/*'] },
      withParts({ hosts: ['https://api.groq.com/'] }),
      false,
    ],
    ['deny: no host at all', { effect: 'deny', custom_hosts: ['*'] }, withParts({ hosts: [] }), false],
    ['"*" covers any host', { custom_hosts: ['*'] }, withParts({ hosts: ['https://anything.example/'] }), true],
    [
      '* in the host never reaches into the path',
      { custom_hosts: ['https://*.internal.example.com/*'] },
      withParts({ hosts: ['https://evil.example.net/x.internal.example.com/'] }),
      false,
    ],
    [
      'a user part does not make another host look listed',
      { custom_hosts: ['https://api.openai.com/*'] },
      withParts({ hosts: ['https://api.openai.com@evil.example.net/v1'] }),
      false,
    ],
    ['the scheme must match', { custom_hosts: ['https://api.openai.com/*'] }, withParts({ hosts: ['http://api.openai.com/v1'] }), false],
    [
      'the port must match',
      { custom_hosts: ['https://api.openai.com/*'] },
      withParts({ hosts: ['https://api.openai.com:8443/v1'] }),
      false,
    ],
    [
      'the default port is the same host',
      { custom_hosts: ['https://api.openai.com:443/v1'] },
      withParts({ hosts: ['https://api.openai.com/v1'] }),
      true,
    ],
    [
      'an exact path, with or without the trailing slash',
      { custom_hosts: ['https://api.openai.com/v1'] },
      withParts({ hosts: ['https://api.openai.com/v1/'] }),
      true,
    ],
    [
      'an exact path: another path is not covered',
      { custom_hosts: ['https://api.openai.com/v1'] },
      withParts({ hosts: ['https://api.openai.com/v2'] }),
      false,
    ],
    [
      'no path in the pattern: any path on that host',
      { custom_hosts: ['https://api.openai.com'] },
      withParts({ hosts: ['https://API.OpenAI.com/v9/x'] }),
      true,
    ],
    [
      'a suffix is not a subdomain',
      { custom_hosts: ['https://*.example.com/*'] },
      withParts({ hosts: ['https://evilexample.com/'] }),
      false,
    ],
    // A deny rule on a host is about the host: another port on it is still that machine (a proxy on 8443 too).
    [
      'deny without a port: another port on that host',
      { effect: 'deny', custom_hosts: ['https://llm-proxy.example.com'] },
      withParts({ hosts: ['https://llm-proxy.example.com:8443/v1'] }),
      true,
    ],
    [
      'deny with an explicit port: only that port',
      { effect: 'deny', custom_hosts: ['https://llm-proxy.example.com:8443'] },
      withParts({ hosts: ['https://llm-proxy.example.com/v1'] }),
      false,
    ],
    // An allow rule's path is compared as the server will read it: an encoded slash or dot can climb out of it.
    [
      'allow with a path: an encoded slash that climbs out of it',
      { custom_hosts: ['https://proxy.example.com/team-a/*'] },
      withParts({ hosts: ['https://proxy.example.com/team-a/..%2fteam-b'] }),
      false,
    ],
    [
      'allow with a path: an encoded backslash',
      { custom_hosts: ['https://proxy.example.com/team-a/*'] },
      withParts({ hosts: ['https://proxy.example.com/team-a/..%5Cteam-b'] }),
      false,
    ],
    [
      'allow with a path: encoded dots',
      { custom_hosts: ['https://proxy.example.com/team-a/*'] },
      withParts({ hosts: ['https://proxy.example.com/team-a/.%2E/team-b'] }),
      false,
    ],
    [
      'allow with a path: a plain sub-path is still covered',
      { custom_hosts: ['https://proxy.example.com/team-a/*'] },
      withParts({ hosts: ['https://proxy.example.com/team-a/v1'] }),
      true,
    ],
    // The key reaches the host whatever the path: a restrictive rule's path can't be dodged by another spelling of it
    // (the gateway appends /chat/completions to "https://api.openai.com/v1"; a server may decode %76 to v).
    [
      'deny with a path: the path itself, without what follows',
      { effect: 'deny', custom_hosts: ['https://api.openai.com/v1/*'] },
      withParts({ hosts: ['https://api.openai.com/v1'] }),
      true,
    ],
    [
      'deny with a path: a doubled slash',
      { effect: 'deny', custom_hosts: ['https://api.openai.com/v1/*'] },
      withParts({ hosts: ['https://api.openai.com//v1'] }),
      true,
    ],
    [
      'deny with a path: a percent-encoded letter',
      { effect: 'deny', custom_hosts: ['https://api.openai.com/v1'] },
      withParts({ hosts: ['https://api.openai.com/%761'] }),
      true,
    ],
    [
      'require_approval with a path: another path on that host',
      { ...approval, custom_hosts: ['https://api.openai.com/v1'] },
      withParts({ hosts: ['https://api.openai.com/'] }),
      true,
    ],
    // secret references
    ['allow: the reference by id', { secret_references: ['sr-team-0002'] }, withParts({ secretRefs: [TEAM_REF] }), true],
    [
      'allow: the reference by a name pattern, case-insensitive',
      { secret_references: ['team-*'] },
      withParts({ secretRefs: [TEAM_REF] }),
      true,
    ],
    ['allow: another reference', { secret_references: ['team-*'] }, withParts({ secretRefs: [ORG_REF] }), false],
    ['allow: a rule about references is not about a typed key', { secret_references: ['*'] }, withParts({}), false],
    ['deny: the org reference by name', { effect: 'deny', secret_references: ['Org *'] }, withParts({ secretRefs: [ORG_REF] }), true],
    ['an id is compared exactly, not as a prefix', { secret_references: ['sr-team'] }, withParts({ secretRefs: [TEAM_REF] }), false],
    // workspaces
    [
      'allow: every workspace listed (by id and by slug)',
      { workspaces: ['ws-prod-0001', 'mallory-sandbox'] },
      withParts({ workspaces: [PROD, SANDBOX] }),
      true,
    ],
    ['allow: one workspace not listed', { workspaces: ['mallory-sandbox'] }, withParts({ workspaces: [SANDBOX, PROD] }), false],
    ['allow: no workspace at all', { workspaces: ['mallory-sandbox'] }, withParts({ workspaces: [] }), false],
    [
      'require_approval: any workspace listed',
      { ...approval, workspaces: ['ws-prod-0001'] },
      withParts({ workspaces: [SANDBOX, PROD] }),
      true,
    ],
    ['require_approval: none listed', { ...approval, workspaces: ['ws-prod-0001'] }, withParts({ workspaces: [SANDBOX] }), false],
    // the default-workspace flag
    [
      'default_workspace true: a default workspace',
      { default_workspace: true },
      { action: 'workspace.create', defaultWorkspace: true },
      true,
    ],
    [
      'default_workspace true: an ordinary one',
      { default_workspace: true },
      { action: 'workspace.create', defaultWorkspace: false },
      false,
    ],
    ['default_workspace false: an ordinary one (flag absent)', { default_workspace: false }, { action: 'workspace.create' }, true],
    ['default_workspace never matches an integration', { action: '*', default_workspace: false }, withParts({}), false],
  ];
  it.each(cases)('%s', (_what, fields, subject, expected) => {
    expect(ruleMatches(rule(fields), subject, actor('U0ANY'))).toBe(expected);
  });
});

describe('channels: a deny or approval rule holds for the same person everywhere, unless only_in_channels', () => {
  const deny = { effect: 'deny', channels: ['C0PROD'] };
  it.each<[string, Record<string, unknown>, string | null, boolean]>([
    ['deny, in its channel', deny, 'C0PROD', true],
    ['deny, in a DM', deny, 'D0DIRECT', true],
    ['deny, in another channel', deny, 'C0GENERAL', true],
    ['deny, no channel known', deny, null, true],
    ['require_approval, in a DM', { effect: 'require_approval', approvers: { users: ['U0BOSS'] }, channels: ['C0PROD'] }, 'D0DIRECT', true],
    ['deny with only_in_channels, in its channel', { ...deny, only_in_channels: true }, 'C0PROD', true],
    ['deny with only_in_channels, in a DM', { ...deny, only_in_channels: true }, 'D0DIRECT', false],
    ['allow, in its channel', { effect: 'allow', channels: ['C0PROD'] }, 'C0PROD', true],
    ['allow, in a DM: applies only in its channels', { effect: 'allow', channels: ['C0PROD'] }, 'D0DIRECT', false],
  ])('%s', (_what, fields, where, expected) => {
    expect(ruleMatches(rule(fields), WS, actor('U0ANY', [], where))).toBe(expected);
  });

  it('a channel-scoped deny decides a DM submission: still denied, by that rule', () => {
    const p = parsedPolicy(`rules:\n  - {name: no-ws, action: workspace.create, channels: [C0PROD], effect: deny, reason: Not you.}\n`);
    expect(decide(p, WS, actor('U0ANY', [], 'D0DIRECT'))).toEqual({
      effect: 'deny',
      rule: { name: 'no-ws', index: 0 },
      reason: 'Not you.',
    });
  });
});

describe('built-in guards: safe whatever the file says or leaves out', () => {
  const GUARDED = parsedPolicy(`approvals_channel: C0APPROVALS
admins:
  users: [U0ADMIN]
  groups: [S0SEC]
rules:
  - name: openai-needs-approval
    action: integration.create
    providers: [openai]
    effect: require_approval
    approvers: {groups: [S0PLATFORM]}
`);
  const guard = (name: string) => ({ name, index: -1, builtin: true });

  it('groq with custom host https://api.openai.com/v1 under "openai needs approval": approval by the admins (custom-host-needs-approval)', () => {
    const d = decide(GUARDED, withParts({ hosts: ['https://api.openai.com/v1'] }), actor('U0MALLORY'));
    expect(d).toEqual({
      effect: 'require_approval',
      rule: guard('custom-host-needs-approval'),
      reason: 'An integration with a custom host needs approval unless a policy rule allows that host (custom_hosts).',
      approvers: { users: ['U0ADMIN'], groups: ['S0SEC'] },
      allowSelfApproval: false,
      expiresAfterMs: DAY,
      channel: 'C0APPROVALS',
    });
    // Without the custom host the same request is allowed by the default.
    expect(decide(GUARDED, withParts({}), actor('U0MALLORY'))).toEqual({ effect: 'allow', rule: undefined });
  });

  it('a custom host with no admins to approve: denied, saying what the admin should add', () => {
    const d = decide(parsedPolicy('rules: []\n'), withParts({ hosts: ['https://api.openai.com/v1'] }), actor('U0ANY'));
    expect(d.effect).toBe('deny');
    expect(d.rule).toEqual(guard('custom-host-needs-approval'));
    if (d.effect === 'deny')
      expect(d.reason).toContain('an admin can add admins (users or groups) to the policy file, or a rule that allows it');
  });

  it('an allow rule covering every host lifts the guard; one host left out does not', () => {
    const p = parsedPolicy(`admins: {users: [U0ADMIN]}
rules:
  - {name: proxies, action: integration.create, custom_hosts: ["https://*.internal.example.com/*"], effect: allow}
`);
    expect(decide(p, withParts({ hosts: ['https://llm.internal.example.com/v1'] }), actor('U0ANY'))).toEqual({
      effect: 'allow',
      rule: { name: 'proxies', index: 0 },
    });
    const two = decide(p, withParts({ hosts: ['https://llm.internal.example.com/v1', 'https://api.openai.com/v1'] }), actor('U0ANY'));
    expect(two.rule).toEqual(guard('custom-host-needs-approval'));
  });

  it('guards never loosen: default deny stays deny with a custom host', () => {
    const p = parsedPolicy('default: deny\nadmins: {users: [U0ADMIN]}\n');
    expect(decide(p, withParts({ hosts: ['https://api.openai.com/v1'] }), actor('U0ANY'))).toMatchObject({
      effect: 'deny',
      rule: undefined,
    });
  });

  it('a tie keeps the file rule and its approvers (openai with a custom host: the platform approves)', () => {
    const d = decide(GUARDED, withParts({ providerId: 'openai', hosts: ['https://proxy.example.com/'] }), actor('U0ANY'));
    expect(d).toMatchObject({
      effect: 'require_approval',
      rule: { name: 'openai-needs-approval', index: 0 },
      approvers: { users: [], groups: ['S0PLATFORM'] },
    });
  });

  // A guard's approval is someone else's: a file rule that lets the requester approve themselves must not turn
  // "a secret reference sent to a custom host always needs approval" into "Mallory approves Mallory".
  it('a tie with a guard keeps the file rule and its approvers, but never self-approval', () => {
    const p = parsedPolicy(`admins: {users: [U0ADMIN]}
approvals_channel: C0APPROVALS
rules:
  - name: self-serve
    action: integration.create
    custom_hosts: ["*"]
    secret_references: ["team-*"]
    effect: require_approval
    approvers: {users: [U0MALLORY, U0BOSS]}
    allow_self_approval: true
`);
    const d = decide(p, withParts({ hosts: ['https://collector.mallory.example/'], secretRefs: [TEAM_REF] }), actor('U0MALLORY'));
    expect(d).toMatchObject({
      effect: 'require_approval',
      rule: { name: 'self-serve', index: 0 },
      approvers: { users: ['U0MALLORY', 'U0BOSS'], groups: [] },
      allowSelfApproval: false,
    });
  });

  it('a secret reference no rule names: denied (secret-reference-not-allowed), with and without a policy file', () => {
    for (const p of [GUARDED, DEFAULT_POLICY]) {
      const d = decide(p, withParts({ secretRefs: [ORG_REF] }), actor('U0ANY'));
      expect(d).toMatchObject({ effect: 'deny', rule: guard('secret-reference-not-allowed') });
    }
  });

  it('secret references: an allow rule naming it lets it be used; a require_approval rule naming it asks; a deny rule naming it does not lift the guard', () => {
    const p = parsedPolicy(`admins: {users: [U0ADMIN]}
rules:
  - {name: team-refs, action: integration.create, groups: [S0TEAM], secret_references: ["team-*"], effect: allow}
  - {name: org-ref-approval, action: integration.create, secret_references: [sr-org-0001], effect: require_approval, approvers: {users: [U0BOSS]}}
  - {name: no-legacy, action: integration.create, secret_references: ["legacy *"], effect: deny}
`);
    expect(decide(p, withParts({ secretRefs: [TEAM_REF] }), actor('U0ANY', ['S0TEAM']))).toEqual({
      effect: 'allow',
      rule: { name: 'team-refs', index: 0 },
    });
    expect(decide(p, withParts({ secretRefs: [TEAM_REF] }), actor('U0OUTSIDER')).rule).toEqual(guard('secret-reference-not-allowed'));
    expect(decide(p, withParts({ secretRefs: [ORG_REF] }), actor('U0ANY', ['S0TEAM']))).toMatchObject({
      effect: 'require_approval',
      rule: { name: 'org-ref-approval' },
    });
    expect(decide(p, withParts({ secretRefs: [{ id: 'sr-9', name: 'Legacy key' }] }), actor('U0ANY'))).toMatchObject({
      effect: 'deny',
      rule: { name: 'no-legacy' },
    });
  });

  it('the guards decide on the name Portkey holds: a crafted label is never part of the subject', () => {
    const p = parsedPolicy(`rules:\n  - {name: team-refs, action: integration.create, secret_references: ["team-*"], effect: allow}\n`);
    // The client labelled the org reference "Team-Research key"; resolution gives Portkey's name.
    expect(decide(p, withParts({ secretRefs: [ORG_REF] }), actor('U0ANY')).effect).toBe('deny');
  });

  it('a secret reference sent to a custom host needs approval even when allow rules cover both', () => {
    const p = parsedPolicy(`admins: {users: [U0ADMIN]}
rules:
  - {name: any-host, action: integration.create, custom_hosts: ["*"], effect: allow}
  - {name: team-refs, action: integration.create, secret_references: ["team-*"], effect: allow}
`);
    expect(decide(p, withParts({ hosts: ['https://mallory.example/'] }), actor('U0ANY'))).toEqual({
      effect: 'allow',
      rule: { name: 'any-host', index: 0 },
    });
    expect(decide(p, withParts({ secretRefs: [TEAM_REF] }), actor('U0ANY'))).toEqual({
      effect: 'allow',
      rule: { name: 'team-refs', index: 1 },
    });
    // Each allow rule is about one part only, so the combination also needs both (and then the guard).
    const both = parsedPolicy(`admins: {users: [U0ADMIN]}
rules:
  - {name: both, action: integration.create, custom_hosts: ["*"], secret_references: ["team-*"], effect: allow}
`);
    expect(decide(both, withParts({ hosts: ['https://mallory.example/'], secretRefs: [TEAM_REF] }), actor('U0ANY'))).toMatchObject({
      effect: 'require_approval',
      rule: guard('secret-reference-to-custom-host'),
      approvers: { users: ['U0ADMIN'], groups: [] },
    });
  });

  it('workspaces decide on ids: a rule naming Production holds whatever the option label said', () => {
    const p = parsedPolicy(`rules:\n  - {name: prod-denied, action: integration.create, workspaces: [ws-prod-0001], effect: deny}\n`);
    expect(decide(p, withParts({ workspaces: [{ id: 'ws-prod-0001' }] }), actor('U0MALLORY'))).toMatchObject({
      effect: 'deny',
      rule: { name: 'prod-denied' },
    });
  });
});
