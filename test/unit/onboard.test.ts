import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/commands/parse.js';
import { decide, type Actor, type Subject } from '../../src/policy/decide.js';
import { policySchema, type Policy } from '../../src/policy/schema.js';
import { describeOnboard, failedLines, shownSteps } from '../../src/resources/onboard/executor.js';
import { validateOnboard } from '../../src/resources/onboard/form.js';
import { onboardSubject } from '../../src/resources/onboard/resolve.js';
import { onboardModal, onboardSummaryMessage, stepLines } from '../../src/resources/onboard/view.js';
import { workspacePart } from '../../src/resources/workspace/step.js';
import { checkMessage, checkView } from '../support/view-limits.js';

const policy = (input: Record<string, unknown>): Policy => policySchema.parse({ version: 1, rate_limits: [], ...input });
const actor = (userId: string): Actor => ({ userId, groups: new Set(), channelId: 'C0GENERAL' });
const bundle = (providers: string[]): Subject => ({
  action: 'team.onboard',
  ...onboardSubject(providers.map((p) => ({ slug: `${p}-prod`, name: p, providerId: p }))),
});
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
    const bad = validateOnboard({ name: '', slug: 'Not A Slug', description: '', integrations: [] }, workspacePart);
    expect(bad.ok).toBe(false);
    if (!bad.ok) expect(Object.keys(bad.errors).sort()).toEqual(['ob_name', 'ob_slug']);
    const many = Array.from({ length: 11 }, (_, i) => ({ value: `s${i}`, label: `s${i}` }));
    const tooMany = validateOnboard({ name: 'R', slug: '', description: '', integrations: many }, workspacePart);
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
      },
      workspacePart,
    );
    expect(ok).toEqual({ ok: true, value: { workspace: { name: 'R', slug: 'r' }, integrations: ['a'] } });
  });

  it("keeps the form, the summary and the report within Slack's limits, and escapes what people typed", () => {
    const evil = '<!channel> *bold* <http://evil|x>';
    const form = onboardModal({
      draft: { name: evil, slug: '', description: evil, integrations: [{ value: 'a', label: evil }] },
      context: { channelId: 'C1' },
    });
    expect(checkView(form)).toEqual([]);
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
    draft: { name: 'Research', slug: 'research', description: '', integrations: [{ value: 'openai-prod', label: 'CLIENT LABEL' }] },
    integrations: [{ slug: 'openai-prod', name: 'OpenAI prod', providerId: 'openai' }],
  };

  it('shows approvers every step, with the names and providers Portkey holds (never a client label)', () => {
    const s = describeOnboard({ request });
    expect(s.rows).toEqual([
      { label: 'Step 1 · Create workspace', value: 'Research (slug: research)', critical: true },
      { label: 'Step 2 · Enable integration', value: 'OpenAI prod (openai-prod), provider openai', critical: true },
    ]);
    expect(JSON.stringify(s)).not.toContain('CLIENT LABEL');
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
    const error = 'Create workspace Research: failed — Portkey refused.\nEnable OpenAI prod (openai-prod): not run';
    expect(failedLines({ error }, request)).toEqual([
      { label: 'Create workspace Research', status: 'failed', error: 'Portkey refused.' },
      { label: 'Enable OpenAI prod (openai-prod)', status: 'not_run' },
    ]);
  });
});
