import type { InputBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/commands/parse.js';
import { decide, type Actor, type Subject } from '../../src/policy/decide.js';
import { policySchema, type Policy } from '../../src/policy/schema.js';
import { describeOnboard, failedLines, planOnboard, shownSteps } from '../../src/resources/onboard/executor.js';
import { readOnboardDraft, validateOnboard } from '../../src/resources/onboard/form.js';
import { budgetFieldsOf } from '../../src/resources/onboard/ids.js';
import { onboardSubject } from '../../src/resources/onboard/resolve.js';
import { onboardModal, onboardSummaryMessage, stepLines } from '../../src/resources/onboard/view.js';
import { integrationAccessPart } from '../../src/resources/integration/step.js';
import { serviceKeyPart } from '../../src/resources/key/step.js';
import { membersPart, peopleNote } from '../../src/resources/member/step.js';
import { workspacePart } from '../../src/resources/workspace/step.js';
import { EMPTY_LIMITS_DRAFT } from '../../src/features/limits/form.js';
import { checkMessage, checkView } from '../support/view-limits.js';
import { escapeMrkdwn } from '../../src/slack/escape.js';

const policy = (input: Record<string, unknown>): Policy => policySchema.parse({ version: 1, rate_limits: [], ...input });
const actor = (userId: string): Actor => ({ userId, groups: new Set(), channelId: 'C0GENERAL' });
const PARTS = { workspace: workspacePart, members: membersPart, serviceKey: serviceKeyPart };
const PARTS_ALL = { ...PARTS, integrationAccess: integrationAccessPart };
const people = (role: 'member' | 'manager' | 'admin', ids: string[]) => ({
  role,
  people: [...ids.map((userId) => ({ userId, email: `${userId.toLowerCase()}@acme.test` })), { userId: 'UBOT', problem: 'bot' }],
});
const bundle = (providers: string[], members?: ReturnType<typeof people>): Subject => ({
  action: 'team.onboard',
  ...onboardSubject(PARTS, { integrations: providers.map((p) => ({ slug: `${p}-prod`, name: p, providerId: p })), members }),
});
const NOBODY = { users: [], role: 'member' };
const opt = (value: string) => ({ text: { type: 'plain_text', text: value }, value });
const NO_KEY = { name: '', preset: 'completions' };
const APPROVERS = { users: ['UAPPROVER'] };

describe('the bundle decision: the strictest of its own and its parts', () => {
  const p = policy({
    rules: [
      {
        name: 'anthropic-approval',
        action: 'integration.create',
        providers: ['anthropic'],
        effect: 'require_approval',
        approvers: APPROVERS,
      },
      {
        name: 'bedrock-approval',
        action: 'integration.create',
        providers: ['bedrock'],
        effect: 'require_approval',
        approvers: APPROVERS,
        allow_self_approval: true,
        expires_after: '1h',
      },
      { name: 'no-groq', action: 'integration.create', providers: ['groq'], effect: 'deny' },
      { name: 'no-ws-for-mallory', action: 'workspace.create', users: ['UMALLORY'], effect: 'deny' },
      { name: 'onboard-approval-for-bob', action: 'team.onboard', users: ['UBOB'], effect: 'require_approval', approvers: APPROVERS },
    ],
  });

  it('allows when every part and the bundle are allowed', () => {
    expect(decide(p, bundle(['openai']), actor('UALICE')).effect).toBe('allow');
  });

  it('needs approval when any part does, naming that part’s rule', () => {
    expect(decide(p, bundle(['openai', 'anthropic']), actor('UALICE'))).toMatchObject({
      effect: 'require_approval',
      rule: { name: 'anthropic-approval' },
    });
  });

  it('is denied when any part is, even if another needs approval', () => {
    expect(decide(p, bundle(['anthropic', 'groq']), actor('UALICE'))).toMatchObject({ effect: 'deny', rule: { name: 'no-groq' } });
    expect(decide(p, bundle([]), actor('UMALLORY'))).toMatchObject({ effect: 'deny', rule: { name: 'no-ws-for-mallory' } });
  });

  it("applies the bundle's own rules", () => {
    expect(decide(p, bundle([]), actor('UBOB'))).toMatchObject({ effect: 'require_approval', rule: { name: 'onboard-approval-for-bob' } });
  });

  it('of two approvals keeps the tighter terms: no self-approval unless both allow it, the shorter expiry', () => {
    const d = decide(p, bundle(['bedrock', 'anthropic']), actor('UALICE'));
    expect(d).toMatchObject({ effect: 'require_approval', rule: { name: 'bedrock-approval' }, allowSelfApproval: false });
    if (d.effect === 'require_approval') expect(d.expiresAfterMs).toBe(3_600_000);
  });

  it('decides the people as a member.add of them with that role: roles, the count, the self-promotion guard', () => {
    const q = policy({
      admins: { users: ['UADMIN'] },
      rules: [
        { name: 'admins-need-approval', action: 'member.add', roles: ['admin'], effect: 'require_approval', approvers: APPROVERS },
        { name: 'not-so-many', action: 'member.add', min_people: 3, effect: 'deny' },
      ],
    });
    expect(decide(q, bundle(['openai'], people('member', ['UALICE'])), actor('UREQ')).effect).toBe('allow');
    expect(decide(q, bundle([], people('admin', ['UALICE'])), actor('UREQ'))).toMatchObject({ rule: { name: 'admins-need-approval' } });
    // Only the people with an email count (the bot is left out): two are allowed, three denied.
    expect(decide(q, bundle([], people('member', ['UA', 'UB'])), actor('UREQ')).effect).toBe('allow');
    expect(decide(q, bundle([], people('member', ['UA', 'UB', 'UC'])), actor('UREQ'))).toMatchObject({ rule: { name: 'not-so-many' } });
    // Adding yourself as a manager needs someone else's approval, whoever decides it.
    const self = bundle([], people('manager', ['UREQ']));
    expect(decide(q, self, actor('UREQ'))).toMatchObject({
      effect: 'require_approval',
      rule: { name: 'self-promotion-needs-approval' },
      allowSelfApproval: false,
    });
    expect(decide(q, self, actor('USOMEONE')).effect).toBe('allow');
    expect(bundle([], people('manager', ['UREQ'])).parts?.[1]).toEqual({
      action: 'member.add',
      role: 'manager',
      people: { count: 1, userIds: ['UREQ'] },
    });
  });

  it('decides the service key as a key.create of its scopes, counted against key limits', () => {
    const q = policy({
      rules: [
        { name: 'logs-keys-need-approval', action: 'key.create', scopes: ['logs.*'], effect: 'require_approval', approvers: APPROVERS },
      ],
    });
    const key = (preset: string) => {
      const checked = serviceKeyPart.validate({ name: 'backend', preset });
      if (!checked.ok || !checked.value) throw new Error('not a key');
      return { action: 'team.onboard' as const, ...onboardSubject(PARTS, { integrations: [], key: checked.value }) };
    };
    expect(decide(q, key('completions'), actor('UREQ')).effect).toBe('allow');
    expect(decide(q, key('completions_logs'), actor('UREQ'))).toMatchObject({ rule: { name: 'logs-keys-need-approval' } });
    expect(key('completions').parts?.at(-1)).toEqual({ action: 'key.create', scopes: ['completions.write'], creates: true });
    expect(serviceKeyPart.validate({ name: '  ', preset: 'completions' })).toEqual({ ok: true, value: undefined });
    expect(serviceKeyPart.validate({ name: 'x', preset: 'custom' }).ok).toBe(false);
  });

  it('counts the workspace it creates (not the integrations it only enables) against their kinds’ limits', () => {
    const parts = bundle(['openai']).parts ?? [];
    expect(parts.filter((x) => x.creates).map((x) => x.action)).toEqual(['workspace.create']);
  });
});

describe('the onboarding form and command', () => {
  it('opens from `/portkey onboard [name]` and `onboard create`', () => {
    expect(parseCommand('onboard Research team')).toEqual({ kind: 'create', action: 'team.onboard', argument: 'Research team' });
    expect(parseCommand('onboard')).toEqual({ kind: 'create', action: 'team.onboard', argument: '' });
    expect(parseCommand('onboard create X')).toEqual({ kind: 'create', action: 'team.onboard', argument: 'X' });
  });

  it('checks the workspace as the workspace form does, and the picks', () => {
    const bad = validateOnboard(
      {
        name: '',
        slug: 'Not A Slug',
        description: '',
        integrations: [],
        people: NOBODY,
        key: NO_KEY,
        limits: EMPTY_LIMITS_DRAFT,
        budgets: [],
      },
      PARTS,
    );
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(Object.keys(bad.errors).sort()).toEqual(['ob_name', 'ob_slug']);
    const many = Array.from({ length: 11 }, (_, i) => ({ value: `s${i}`, label: `s${i}` }));
    const tooMany = validateOnboard(
      { name: 'R', slug: '', description: '', integrations: many, people: NOBODY, key: NO_KEY, limits: EMPTY_LIMITS_DRAFT, budgets: [] },
      PARTS,
    );
    expect(tooMany.ok ? {} : tooMany.errors).toEqual({ ob_integrations: 'Pick at most 10 integrations.' });
    const ok = validateOnboard(
      {
        name: ' R ',
        slug: 'r',
        description: '',
        integrations: [
          { value: 'a', label: 'A' },
          { value: 'a', label: 'A' },
        ],
        people: { users: ['UALICE', 'UALICE', 'UBOB'], group: { value: 'S123', label: 'x' }, role: 'admin' },
        key: NO_KEY,
        limits: EMPTY_LIMITS_DRAFT,
        budgets: [],
      },
      PARTS,
    );
    expect(ok).toEqual({
      ok: true,
      value: {
        workspace: { name: 'R', slug: 'r' },
        integrations: ['a'],
        people: { users: ['UALICE', 'UBOB'], groupId: 'S123', role: 'admin' },
        key: undefined,
        limits: new Map([['a', {}]]),
      },
    });
    const badPeople = validateOnboard(
      {
        name: 'R',
        slug: '',
        description: '',
        integrations: [],
        people: { users: ['not-a-user'], group: { value: 'x', label: 'x' }, role: 'owner' },
        key: { name: 'k', preset: 'custom' },
        limits: EMPTY_LIMITS_DRAFT,
        budgets: [],
      },
      PARTS,
    );
    expect(Object.keys(badPeople.ok ? {} : badPeople.errors).sort()).toEqual(['ob_group', 'ob_key_preset', 'ob_role', 'ob_users']);
  });

  it("keeps the form, the summary and the report within Slack's limits, and escapes what people typed", () => {
    const evil = '<!channel> *bold* <http://evil|x>';
    // The most the picker allows (10), each with its own budget fields, a notice and every other field: ≤ 100 blocks.
    const ten = Array.from({ length: 10 }, (_, i) => ({ value: `int-${i}`, label: `${evil} ${i}` }));
    const form = onboardModal({
      draft: {
        name: evil,
        slug: '',
        description: evil,
        integrations: ten,
        people: NOBODY,
        key: NO_KEY,
        limits: EMPTY_LIMITS_DRAFT,
        budgets: [],
      },
      context: { channelId: 'C1' },
      people: membersPart.fields({ users: ['U1'], group: { value: 'S1', label: evil }, role: 'admin' }),
      key: serviceKeyPart.fields({ name: evil, preset: 'read_only' }),
      notice: 'A notice',
    });
    expect(checkView(form)).toEqual([]);
    expect(form.blocks.length).toBeLessThanOrEqual(100);
    expect(form.blocks.filter((b) => b.block_id?.endsWith(':lim_amount'))).toHaveLength(10);
    // The picker's labels head each integration's fields, escaped (mrkdwn): no mention, no link.
    const headings = JSON.stringify(form.blocks.filter((b) => b.type === 'context'));
    for (const c of ten) expect(headings).toContain(`*${escapeMrkdwn(c.label)}* in the new workspace`);
    expect(headings).not.toContain('<!channel>');
    expect(headings).not.toContain('<http://evil');
    const message = onboardSummaryMessage({
      workspaceName: evil,
      userId: 'U1',
      operationId: 'op-1',
      steps: [
        { label: `Create workspace ${evil}`, status: 'done', detail: 'id `w`' },
        { label: 'Enable x', status: 'failed', error: evil },
        { label: 'Enable y', status: 'not_run' },
      ],
    });
    expect(checkMessage(message)).toEqual([]);
    expect(JSON.stringify(message)).not.toContain('<!channel>');
    expect(JSON.stringify(message)).not.toContain('<http://evil');
    expect(stepLines([{ label: 'Enable y', status: 'not_run' }])).toBe(':white_circle: Enable y — not run');
  });
});

describe('what the bundle says about itself', () => {
  const request = {
    draft: {
      name: 'Research',
      slug: 'research',
      description: '',
      integrations: [{ value: 'openai-prod', label: 'CLIENT LABEL' }],
      people: { users: ['UALICE'], group: { value: 'S1', label: 'CLIENT GROUP' }, role: 'admin' },
      key: { name: 'research-backend', preset: 'completions_logs' },
      limits: EMPTY_LIMITS_DRAFT,
      budgets: [{ slug: 'openai-prod', limits: { ...EMPTY_LIMITS_DRAFT, amount: '500', reset: 'monthly' as const, rate: '60' } }],
    },
    integrations: [{ slug: 'openai-prod', name: 'OpenAI prod', providerId: 'openai' }],
    members: { ...people('admin', ['UALICE', 'UBOB']), group: { id: 'S1', size: 2 } },
  };

  it('shows approvers every step, with the names and providers Portkey holds (never a client label), people as mentions', () => {
    const s = describeOnboard(PARTS_ALL, { request });
    expect(s.title).toBe('team workspace Research with 2 people and 1 integration enabled in it and a service API key');
    expect(s.rows).toEqual([
      { label: 'Step 1 · Create workspace', value: 'Research (slug: research)', critical: true },
      { label: 'Step 2 · Members · role', value: 'admin', critical: true },
      { label: 'Step 2 · Members · people (2)', value: 'UALICE, UBOB', critical: true, mentions: ['UALICE', 'UBOB'] },
      { label: 'Step 2 · Members · from user group', value: 'S1 (2 people when submitted; later joiners are not added)' },
      { label: 'Step 2 · Members · left out', value: '1 (no usable email, a bot, a guest or deactivated)' },
      { label: 'Step 3 · Enable integration', value: 'OpenAI prod (openai-prod), provider openai', critical: true },
      { label: 'Budget in the workspace, OpenAI prod (openai-prod)', value: '$500 of cost, reset monthly', critical: true },
      { label: 'Rate limit in the workspace, OpenAI prod (openai-prod)', value: '60 requests a minute', critical: true },
      { label: 'Step 4 · Service API key', value: 'research-backend', critical: true },
      { label: 'Step 4 · Key scopes', value: 'completions.write, logs.view, logs.list', critical: true },
    ]);
    expect(JSON.stringify(s)).not.toContain('CLIENT');
    // No emails on the approval card: the approvals channel may be public.
    expect(JSON.stringify(s)).not.toContain('@acme.test');
  });

  it('a stored onboarding from before members had people reads as having none', () => {
    const { members: _, ...old } = request;
    const { people: __, key: ___, limits: ____, budgets: _____, ...draft } = old.draft;
    expect(describeOnboard(PARTS_ALL, { request: { ...old, draft } }).rows.map((r) => r.label)).toEqual([
      'Step 1 · Create workspace',
      'Step 2 · Enable integration',
      'Budget in the workspace, OpenAI prod (openai-prod)',
      'Rate limit in the workspace, OpenAI prod (openai-prod)',
    ]);
  });

  const two = {
    draft: {
      ...request.draft,
      people: NOBODY,
      key: NO_KEY,
      integrations: [
        { value: 'openai-prod', label: 'CLIENT A' },
        { value: 'anthropic-prod', label: 'CLIENT B' },
      ],
      budgets: [
        { slug: 'openai-prod', limits: { ...EMPTY_LIMITS_DRAFT, amount: '500' } },
        { slug: 'anthropic-prod', limits: { ...EMPTY_LIMITS_DRAFT, type: 'tokens' as const, amount: '2,000,000', rate: '30' } },
      ],
    },
    integrations: [
      { slug: 'openai-prod', name: 'OpenAI prod', providerId: 'openai' },
      { slug: 'anthropic-prod', name: 'Claude', providerId: 'anthropic' },
    ],
  };

  it('gives each integration its own budget: on the card, in the policy subject, in each access call', () => {
    const rows = describeOnboard(PARTS_ALL, { request: two }).rows.filter((r) => /^(Budget|Rate limit) in/.test(r.label));
    expect(rows.map((r) => `${r.label}: ${r.value}`)).toEqual([
      'Budget in the workspace, OpenAI prod (openai-prod): $500 of cost, never reset',
      'Rate limit in the workspace, OpenAI prod (openai-prod): no rate limit',
      'Budget in the workspace, Claude (anthropic-prod): 2,000,000 tokens, never reset',
      'Rate limit in the workspace, Claude (anthropic-prod): 30 requests a minute',
    ]);
    const checked = validateOnboard(two.draft, PARTS);
    if (!checked.ok) throw new Error('expected the draft to check');
    const subject = onboardSubject(PARTS, { integrations: two.integrations, limits: checked.value.limits });
    const access = subject.parts?.filter((p) => p.action === 'integration.access').map((p) => [p.providerId, p.limits]);
    expect(access).toEqual([
      ['openai', { budget: { type: 'cost', amount: 500 }, perMinute: undefined }],
      ['anthropic', { budget: { type: 'tokens', amount: 2_000_000 }, perMinute: 30 }],
    ]);
    const plan = planOnboard(PARTS_ALL, { request: two });
    const puts = plan?.calls.filter((c) => c.method === 'PUT').map((c) => JSON.stringify(c.body));
    expect(puts).toHaveLength(2);
    expect(puts?.[0]).toContain('"credit_limit":500');
    expect(puts?.[0]).not.toContain('rate_limits');
    expect(puts?.[1]).toContain('"credit_limit":2000000');
    expect(puts?.[1]).toContain('"value":30');
  });

  it('builds one set of budget fields per distinct pick, filled from what was typed for it', () => {
    const draft = {
      ...two.draft,
      integrations: [...two.draft.integrations, { value: 'openai-prod', label: 'again' }],
    };
    const form = onboardModal({ draft, context: { channelId: 'C1' }, people: [], key: [] });
    const ids = form.blocks.flatMap((b) => (b.block_id ? [b.block_id] : []));
    expect(new Set(ids).size).toBe(ids.length);
    const amount = (slug: string) => {
      const block = form.blocks.find((b) => b.block_id === `ob_${slug}:lim_amount`) as InputBlock | undefined;
      return block?.element.type === 'plain_text_input' ? block.element.initial_value : 'missing';
    };
    expect([amount('openai-prod'), amount('anthropic-prod')]).toEqual(['500', '2,000,000']);
    const none = onboardModal({ draft: { ...draft, integrations: [] }, context: {}, people: [], key: [] });
    expect(none.blocks.some((b) => b.block_id?.includes(':lim_'))).toBe(false);
  });

  it("reports a wrong amount on that integration's own field, and reads each integration's fields back", () => {
    const bad = { ...two.draft, budgets: [{ slug: 'anthropic-prod', limits: { ...EMPTY_LIMITS_DRAFT, amount: '-5' } }] };
    const checked = validateOnboard(bad, PARTS);
    expect(checked.ok ? {} : Object.keys(checked.errors)).toEqual(['ob_anthropic-prod:lim_amount']);
    const values = {
      ob_integrations: { ob_integrations_pick: { type: 'multi_external_select', selected_options: [opt('a-1'), opt('b-2'), opt('a-1')] } },
      'ob_a-1:lim_amount': { amount: { type: 'plain_text_input', value: '100' } },
      'ob_b-2:lim_rate': { rate: { type: 'plain_text_input', value: '9' } },
    };
    const draft = readOnboardDraft(values, PARTS);
    expect(draft.budgets.map((b) => [b.slug, b.limits.amount, b.limits.rate])).toEqual([
      ['a-1', '100', ''],
      ['b-2', '', '9'],
    ]);
    // A slug longer than Slack's block ids allow is named by a hash; still one set of fields per slug.
    const long = 'x'.repeat(255);
    expect(budgetFieldsOf(long).amount.block.length).toBeLessThanOrEqual(255);
    expect(budgetFieldsOf(long).amount.block).not.toBe(budgetFieldsOf(`${'x'.repeat(254)}y`).amount.block);
  });

  it('reads the per-step report back from a stored result and from a failure', () => {
    const result = {
      steps: [
        {
          key: 'workspace',
          label: 'Create workspace Research',
          status: 'done',
          result: { id: 'ws-1', slug: 'research', name: 'Research' },
        },
        { key: 'integration:openai-prod', label: 'Enable OpenAI prod (openai-prod)', status: 'failed', error: 'HTTP 403' },
      ],
    };
    expect(shownSteps({ result })).toEqual([
      { label: 'Create workspace Research', status: 'done', detail: 'id `ws-1`, slug `research`' },
      { label: 'Enable OpenAI prod (openai-prod)', status: 'failed', error: 'HTTP 403' },
    ]);
    const error =
      'Create workspace Research: failed — Portkey refused.\nAdd 2 people as admin: not run\nEnable OpenAI prod (openai-prod): not run';
    expect(failedLines({ error }, request)).toEqual([
      { label: 'Create workspace Research', status: 'failed', error: 'Portkey refused.' },
      { label: 'Add 2 people as admin', status: 'not_run' },
      { label: 'Enable OpenAI prod (openai-prod)', status: 'not_run' },
    ]);
    expect(failedLines({ error: 'The stored request could not be read.' }, request)).toEqual([
      { label: 'Create workspace Research', status: 'failed', error: 'The stored request could not be read.' },
    ]);
  });

  it("the members step's note says who was added, invited and who couldn't be, as mentions, no emails", () => {
    const note = peopleNote(
      {
        role: 'manager',
        people: [
          { userId: 'UA', email: 'a@x.test' },
          { userId: 'UB', email: 'b@x.test' },
          { userId: 'UG', problem: 'guest' },
        ],
      },
      { added: ['UA'], invited: ['UB'], already: [], alreadyInvited: [], invitePending: [] },
    );
    expect(note).toBe("as *manager*: added <@UA>; invited <@UB>; couldn't be added: <@UG> (a guest)");
    const shown = shownSteps({
      result: { steps: [{ key: 'members', label: 'Add 2 people as manager', status: 'done', result: { workspaceId: 'w', note } }] },
    });
    expect(shown).toEqual([{ label: 'Add 2 people as manager', status: 'done', detail: note }]);
  });
});
