import { describe, expect, it } from 'vitest';
import {
  EMPTY_LIMITS_DRAFT,
  LIMIT_FIELDS,
  limitRows,
  limitsSubject,
  readLimitsDraft,
  validateLimits,
  type LimitsDraft,
} from '../../src/features/limits/form.js';
import { decide, type Actor, type Subject } from '../../src/policy/decide.js';
import { parsePolicy } from '../../src/policy/load.js';
import { policySchema, type Policy } from '../../src/policy/schema.js';
import { heldLimits, rateLimitsBody, sameLimits, usageLimitsBody, type AccessLimits } from '../../src/portkey/limits.js';
import { bodyErrors } from '../support/portkey-schema.js';
import { policyMessage } from '../../src/features/policy/view.js';
import { storedSubject } from '../../src/resources/integration/executor.js';
import type { OperationRecord } from '../../src/store/index.js';
import { onboardSubject } from '../../src/resources/onboard/resolve.js';
import { membersPart } from '../../src/resources/member/step.js';
import { serviceKeyPart } from '../../src/resources/key/step.js';

const ONBOARD_PARTS = { members: membersPart, serviceKey: serviceKeyPart };

// Budgets and rate limits on integration access: the form's fields read and checked, the spec's body built from
// them, what Portkey answers read back, and the policy's budget and rate_limit criteria as tables of cases.

const draft = (d: Partial<LimitsDraft>): LimitsDraft => ({ ...EMPTY_LIMITS_DRAFT, ...d });

describe('the budget fields', () => {
  it('reads what Slack sends, and falls back to the defaults for values no option has', () => {
    const values = {
      [LIMIT_FIELDS.type.block]: { [LIMIT_FIELDS.type.action]: { type: 'static_select', selected_option: { value: 'tokens' } } },
      [LIMIT_FIELDS.amount.block]: { [LIMIT_FIELDS.amount.action]: { type: 'plain_text_input', value: '2,000,000' } },
      [LIMIT_FIELDS.reset.block]: { [LIMIT_FIELDS.reset.action]: { type: 'static_select', selected_option: { value: 'yearly' } } },
      [LIMIT_FIELDS.rateUnit.block]: { [LIMIT_FIELDS.rateUnit.action]: { type: 'static_select', selected_option: { value: 'rpd' } } },
    };
    expect(readLimitsDraft(values)).toEqual({ type: 'tokens', amount: '2,000,000', alert: '', reset: 'none', rate: '', rateUnit: 'rpd' });
  });

  it.each<[string, Partial<LimitsDraft>, AccessLimits]>([
    ['nothing typed: no budget, no rate limit', {}, {}],
    ['a cost budget', { amount: '500' }, { budget: { type: 'cost', amount: 500, reset: 'none' } }],
    [
      'tokens, thousands separators, alert, monthly',
      { type: 'tokens', amount: '1,000,000', alert: '800 000', reset: 'monthly' },
      { budget: { type: 'tokens', amount: 1_000_000, alert: 800_000, reset: 'monthly' } },
    ],
    ['a dollar sign is fine', { amount: '$50' }, { budget: { type: 'cost', amount: 50, reset: 'none' } }],
    ['the alert may equal the budget', { amount: '10', alert: '10' }, { budget: { type: 'cost', amount: 10, alert: 10, reset: 'none' } }],
    ['a rate limit alone', { rate: '60', rateUnit: 'rph' }, { rate: { unit: 'rph', value: 60 } }],
  ])('%s', (_, d, expected) => {
    expect(validateLimits(draft(d), 1)).toEqual({ ok: true, value: expected });
  });

  it.each<[string, Partial<LimitsDraft>, string]>([
    ['a negative amount', { amount: '-5' }, LIMIT_FIELDS.amount.block],
    ['a decimal amount', { amount: '10.5' }, LIMIT_FIELDS.amount.block],
    ['NaN', { amount: 'NaN' }, LIMIT_FIELDS.amount.block],
    ['Infinity', { amount: 'Infinity' }, LIMIT_FIELDS.amount.block],
    ['exponent notation', { amount: '1e9' }, LIMIT_FIELDS.amount.block],
    ['zero', { amount: '0' }, LIMIT_FIELDS.amount.block],
    ['far beyond any budget', { amount: '99999999999999999999' }, LIMIT_FIELDS.amount.block],
    ['misplaced separators', { amount: '1,00' }, LIMIT_FIELDS.amount.block],
    ['longer than the field allows (a crafted payload)', { amount: '1'.repeat(100_000) }, LIMIT_FIELDS.amount.block],
    ['mrkdwn in the amount', { amount: '<!channel>' }, LIMIT_FIELDS.amount.block],
    ['an alert above the budget', { amount: '10', alert: '11' }, LIMIT_FIELDS.alert.block],
    ['an alert without a budget', { alert: '10' }, LIMIT_FIELDS.alert.block],
    ['a reset without a budget', { reset: 'weekly' }, LIMIT_FIELDS.reset.block],
    ['a rate limit of zero', { rate: '0' }, LIMIT_FIELDS.rate.block],
    ['a rate limit in words', { rate: 'lots' }, LIMIT_FIELDS.rate.block],
  ])('refuses %s, on its own block', (_, d, block) => {
    const r = validateLimits(draft(d), 1);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(Object.keys(r.errors)).toEqual([block]);
  });

  it('a budget or rate limit with no workspace to apply it to is an error, not dropped', () => {
    expect(validateLimits(draft({ amount: '5' }), 0)).toMatchObject({
      ok: false,
      errors: { [LIMIT_FIELDS.amount.block]: expect.any(String) },
    });
    expect(validateLimits(draft({ rate: '5' }), 0)).toMatchObject({ ok: false, errors: { [LIMIT_FIELDS.rate.block]: expect.any(String) } });
    expect(validateLimits(draft({}), 0)).toEqual({ ok: true, value: {} });
  });

  it('rows for approvers name the amounts and their units', () => {
    expect(limitRows(draft({ amount: '1500', alert: '1200', reset: 'monthly', rate: '100' }), 2, 'each workspace')).toEqual([
      { label: 'Budget in each workspace', value: '$1,500 of cost, reset monthly, alert at $1,200' },
      { label: 'Rate limit in each workspace', value: '100 requests a minute' },
    ]);
    expect(limitRows(draft({ type: 'tokens', amount: '5000' }), 1, 'X')[0]?.value).toBe('5,000 tokens, never reset');
    expect(limitRows(draft({}), 1, 'X').map((r) => r.value)).toEqual(['no budget', 'no rate limit']);
  });
});

describe('the body of PUT /integrations/{slug}/workspaces', () => {
  const full: AccessLimits = {
    budget: { type: 'tokens', amount: 10_000, alert: 9000, reset: 'weekly' },
    rate: { unit: 'rpd', value: 5000 },
  };

  it('maps to the spec shapes, one item each, and validates against the official schema', () => {
    expect(usageLimitsBody(full)).toEqual([{ type: 'tokens', credit_limit: 10_000, alert_threshold: 9000, periodic_reset: 'weekly' }]);
    expect(rateLimitsBody(full)).toEqual([{ type: 'requests', unit: 'rpd', value: 5000 }]);
    const body = { workspaces: [{ id: 'ws-1', enabled: true, usage_limits: usageLimitsBody(full), rate_limits: rateLimitsBody(full) }] };
    expect(bodyErrors('PUT /integrations/{slug}/workspaces', body)).toEqual([]);
    // A reset of none sends no periodic_reset; no budget sends nothing (the caller sends null to clear).
    expect(usageLimitsBody({ budget: { type: 'cost', amount: 5, reset: 'none' } })).toEqual([{ type: 'cost', credit_limit: 5 }]);
    expect(usageLimitsBody({})).toBeUndefined();
    expect(rateLimitsBody({})).toBeUndefined();
  });

  it('reads back what Portkey holds, and compares it exactly', () => {
    const held = heldLimits({ id: 'ws-1', enabled: true, usage_limits: usageLimitsBody(full), rate_limits: rateLimitsBody(full) });
    expect(held).toEqual(full);
    expect(sameLimits(held, full)).toBe(true);
    expect(sameLimits(held, { ...full, rate: { unit: 'rpm', value: 5000 } })).toBe(false);
    expect(sameLimits(held, { rate: full.rate })).toBe(false);
    expect(sameLimits(heldLimits({ usage_limits: null, rate_limits: null }), {})).toBe(true);
    // A shape this app doesn't set matches nothing.
    expect(heldLimits({ usage_limits: [{ type: 'cost', credit_limit: 1.5 }] })).toBeUndefined();
    expect(heldLimits({ usage_limits: [{ type: 'cost', credit_limit: 5, periodic_reset_days: 30 }] })).toBeUndefined();
    expect(heldLimits({ rate_limits: [{ type: 'tokens', unit: 'rpm', value: 5 }] })).toBeUndefined();
    expect(sameLimits(undefined, {})).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The policy

function policy(input: Record<string, unknown>): Policy {
  const r = policySchema.safeParse(input);
  if (!r.success) throw new Error(`test policy is invalid: ${JSON.stringify(r.error.issues)}`);
  return r.data;
}
const ALICE: Actor = { userId: 'U0ALICE', groups: new Set(), channelId: 'C0GENERAL' };
const BOSS = { users: ['U0BOSS'] };

const budgetPolicy = policy({
  rules: [
    {
      name: 'big or no budgets need approval',
      action: ['integration.create', 'integration.access'],
      effect: 'require_approval',
      approvers: BOSS,
      budget: { max_cost: 100, max_tokens: 1_000_000, required: true },
    },
    { name: 'fast rate limits are denied', action: 'integration.access', effect: 'deny', rate_limit: { max_per_minute: 1000 } },
  ],
});

const access = (limits: Subject['limits']): Subject => ({ action: 'integration.access', limits });
const withLimits = (l: AccessLimits) => limitsSubject(l);

describe('budget and rate_limit criteria', () => {
  it.each<[string, Subject, string, string | undefined]>([
    ['a cost budget within the bound', access(withLimits({ budget: { type: 'cost', amount: 100, reset: 'none' } })), 'allow', undefined],
    [
      'a cost budget above it',
      access(withLimits({ budget: { type: 'cost', amount: 101, reset: 'none' } })),
      'require_approval',
      'big or no budgets need approval',
    ],
    ['no budget at all', access(withLimits({})), 'require_approval', 'big or no budgets need approval'],
    [
      'a budget changed to "none"',
      access({ budget: undefined, perMinute: undefined }),
      'require_approval',
      'big or no budgets need approval',
    ],
    [
      'tokens within the tokens bound',
      access(withLimits({ budget: { type: 'tokens', amount: 1_000_000, reset: 'monthly' } })),
      'allow',
      undefined,
    ],
    [
      'tokens above it',
      access(withLimits({ budget: { type: 'tokens', amount: 1_000_001, reset: 'monthly' } })),
      'require_approval',
      'big or no budgets need approval',
    ],
    [
      'a rate limit above 1000 a minute on average (a day of 1 440 001)',
      access(withLimits({ budget: { type: 'cost', amount: 5, reset: 'none' }, rate: { unit: 'rpd', value: 1_440_001 } })),
      'deny',
      'fast rate limits are denied',
    ],
    [
      'a day of exactly 1000 a minute',
      access(withLimits({ budget: { type: 'cost', amount: 5, reset: 'none' }, rate: { unit: 'rpd', value: 1_440_000 } })),
      'allow',
      undefined,
    ],
    ['integration.create enabling no workspace: the budget rule is not about it', { action: 'integration.create' }, 'allow', undefined],
    [
      'integration.create with "enable in" and no budget',
      { action: 'integration.create', limits: withLimits({}) },
      'require_approval',
      'big or no budgets need approval',
    ],
    ['workspace.create is never about budgets', { action: 'workspace.create', limits: withLimits({}) }, 'allow', undefined],
  ])('%s → %s', (_, subject, effect, rule) => {
    const d = decide(budgetPolicy, subject, ALICE);
    expect(d.effect).toBe(effect);
    expect(d.rule?.name).toBe(rule);
  });

  it('a bound on one type holds against the other: tokens cannot slip past max_cost', () => {
    const p = policy({ rules: [{ name: 'cost only', effect: 'require_approval', approvers: BOSS, budget: { max_cost: 100 } }] });
    const tokens = access(withLimits({ budget: { type: 'tokens', amount: 1, reset: 'none' } }));
    expect(decide(p, tokens, ALICE).effect).toBe('require_approval');
    // Without required, no budget is not what this rule is about.
    expect(decide(p, access(withLimits({})), ALICE).effect).toBe('allow');
    expect(decide(p, access(withLimits({ budget: { type: 'cost', amount: 100, reset: 'none' } })), ALICE).effect).toBe('allow');
  });

  it('providers and workspaces rules also decide access requests', () => {
    const p = policy({
      rules: [{ name: 'no openai in research', providers: ['openai'], workspaces: ['research'], effect: 'deny' }],
    });
    const s: Subject = {
      action: 'integration.access',
      providerId: 'openai',
      workspaces: [{ id: 'ws-1', slug: 'research' }],
      limits: withLimits({}),
    };
    expect(decide(p, s, ALICE)).toMatchObject({ effect: 'deny', rule: { name: 'no openai in research' } });
    expect(decide(p, { ...s, providerId: 'anthropic' }, ALICE).effect).toBe('allow');
  });
});

describe('the policy file: budget and rate_limit mistakes, with their paths', () => {
  const problems = (text: string): string[] => {
    const r = parsePolicy(text);
    if (r.ok) throw new Error('expected problems');
    return r.problems;
  };
  const oneRule = (...lines: string[]) => `rules:\n  - ${lines.join('\n    ')}\n`;
  it.each<[string, string, string[]]>([
    [
      'an unknown key',
      oneRule('name: a', 'effect: deny', 'budget: {max_dollars: 5}'),
      ['rules[0].budget: unknown field "max_dollars"', 'rules[0].budget: budget needs max_cost, max_tokens or required: true'],
    ],
    [
      'a negative max',
      oneRule('name: a', 'effect: deny', 'budget: {max_cost: -1}'),
      ['rules[0].budget.max_cost: budget.max_cost must be a whole number, 0 or more'],
    ],
    [
      'NaN',
      oneRule('name: a', 'effect: deny', 'budget: {max_cost: .nan}'),
      ['rules[0].budget.max_cost: budget.max_cost must be a whole number, 0 or more'],
    ],
    [
      'text',
      oneRule('name: a', 'effect: deny', 'budget: {max_tokens: lots}'),
      ['rules[0].budget.max_tokens: budget.max_tokens must be a whole number, 0 or more'],
    ],
    [
      'an empty bound',
      oneRule('name: a', 'effect: deny', 'budget: {}'),
      ['rules[0].budget: budget needs max_cost, max_tokens or required: true'],
    ],
    [
      'on workspace.create',
      oneRule('name: a', 'action: workspace.create', 'effect: deny', 'budget: {required: true}'),
      ['rules[0].budget: budget only apply to integration.create and integration.access'],
    ],
    [
      'on an allow rule',
      oneRule('name: a', 'effect: allow', 'rate_limit: {max_per_minute: 5}'),
      [
        'rules[0].rate_limit: only applies to deny and require_approval rules (say what needs approval beyond it; an allow rule without it covers the rest)',
      ],
    ],
    [
      'a rate bound of zero',
      oneRule('name: a', 'effect: deny', 'rate_limit: {max_per_minute: 0}'),
      ['rules[0].rate_limit.max_per_minute: rate_limit.max_per_minute must be a number above 0'],
    ],
  ])('%s', (_, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });
});

describe('"Retry enabling" is re-decided on the budget it will send', () => {
  const stored = (limits: Record<string, unknown> | undefined) =>
    ({
      request: {
        draft: {
          providerId: 'groq',
          name: 'Groq',
          slug: '',
          description: '',
          customHost: '',
          scope: 'organisation',
          access: [{ value: 'ws-1', label: 'Research' }],
          ...(limits ? { limits: { ...EMPTY_LIMITS_DRAFT, ...limits } } : {}),
          fields: {},
          deployments: [],
          defaultDeployment: 0,
        },
        resolved: { access: [{ id: 'ws-1', name: 'Research', slug: 'research' }] },
      },
    }) as unknown as OperationRecord;

  it('the stored budget is what the policy sees again; a request stored before budgets is judged as having none', () => {
    expect(storedSubject(stored({ amount: '5000' })).limits).toEqual({ budget: { type: 'cost', amount: 5000 }, perMinute: undefined });
    expect(decide(budgetPolicy, { action: 'integration.create', ...storedSubject(stored({ amount: '5000' })) }, ALICE).effect).toBe(
      'require_approval',
    );
    expect(storedSubject(stored(undefined)).limits).toEqual({ budget: undefined, perMinute: undefined });
    expect(decide(budgetPolicy, { action: 'integration.create', ...storedSubject(stored(undefined)) }, ALICE).effect).toBe(
      'require_approval',
    );
    expect(decide(budgetPolicy, { action: 'integration.create', ...storedSubject(stored({ amount: '50' })) }, ALICE).effect).toBe('allow');
  });
});

describe('/portkey policy', () => {
  it('words each budget rule about this person', () => {
    const m = policyMessage({ policy: budgetPolicy, source: undefined }, { ...ALICE, isAdmin: false }, undefined, []);
    const text = JSON.stringify(m.blocks);
    expect(text).toContain(
      '• *Budgets:* needs approval when a workspace gets no budget or a cost budget above $100 or a tokens budget above 1000000 ' +
        '(rule `big or no budgets need approval`)',
    );
    expect(text).toContain(
      '• *Budgets:* not allowed when a workspace gets a rate limit above 1000 requests a minute (rule `fast rate limits are denied`)',
    );
  });
});

describe('an onboarding bundle enables its integrations with no budget', () => {
  it('so a rule that requires a budget holds inside the bundle too', () => {
    const subject: Subject = {
      action: 'team.onboard',
      ...onboardSubject(ONBOARD_PARTS, { integrations: [{ slug: 'openai-prod', name: 'OpenAI prod', providerId: 'openai' }] }),
    };
    expect(decide(budgetPolicy, subject, ALICE)).toMatchObject({
      effect: 'require_approval',
      rule: { name: 'big or no budgets need approval' },
    });
    expect(decide(budgetPolicy, { action: 'team.onboard', ...onboardSubject(ONBOARD_PARTS, { integrations: [] }) }, ALICE).effect).toBe(
      'allow',
    );
  });
});
