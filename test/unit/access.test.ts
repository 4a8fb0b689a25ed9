import { describe, expect, it } from 'vitest';
import { EMPTY_LIMITS_DRAFT } from '../../src/features/limits/form.js';
import { accessBody, accessSubject, describeAccess, planAccess, storedAccess } from '../../src/resources/access/executor.js';
import { validateAccess } from '../../src/resources/access/form.js';
import type { AccessResolved } from '../../src/resources/access/resolve.js';
import { accessChangedMessage, accessModal, accessSuccessView } from '../../src/resources/access/view.js';
import type { ModalContext } from '../../src/slack/metadata.js';
import { bodyErrors } from '../support/portkey-schema.js';
import { checkMessage, checkView } from '../support/view-limits.js';

// The access request alone: its form checked, the PUT body, what approvers and the policy see, and its views within
// Slack's limits with Portkey's names escaped.

const CONTEXT: ModalContext = { channelId: 'C0123ABC' };
const RESOLVED: AccessResolved = {
  integration: { id: 'int-1', slug: 'openai-prod', name: 'OpenAI *prod* <!channel>', providerId: 'openai' },
  workspace: { id: 'ws-uuid-1', name: 'Research <@U0BOSS>', slug: 'research' },
  before: { enabled: true, limits: { budget: { type: 'cost', amount: 80, reset: 'none' } } },
};
const draft = (limits = {}) => ({
  integration: { value: 'openai-prod', label: 'Harmless' },
  workspace: { value: 'ws-uuid-1', label: 'Sandbox' },
  limits: { ...EMPTY_LIMITS_DRAFT, ...limits },
});

describe('the access form', () => {
  it('needs an integration and a workspace from the pickers', () => {
    expect(validateAccess({ integration: undefined, workspace: undefined, limits: EMPTY_LIMITS_DRAFT })).toEqual({
      ok: false,
      errors: { acc_integration: 'Choose the integration.', acc_workspace: 'Choose the workspace.' },
    });
    const crafted = validateAccess({
      ...draft(),
      integration: { value: '../admin', label: 'x' },
      workspace: { value: 'a'.repeat(80), label: 'y' },
    });
    expect(crafted).toEqual({
      ok: false,
      errors: { acc_integration: 'Choose the integration from the list.', acc_workspace: 'Choose the workspace from the list.' },
    });
    expect(validateAccess(draft({ amount: '100', rate: '10', rateUnit: 'rph' }))).toEqual({
      ok: true,
      value: {
        slug: 'openai-prod',
        workspace: 'ws-uuid-1',
        limits: { budget: { type: 'cost', amount: 100, reset: 'none' }, rate: { unit: 'rph', value: 10 } },
      },
    });
  });
});

describe('the PUT body', () => {
  it('sets exactly the limits asked for: none clears them (null), and an enabled workspace gets no second provider', () => {
    const body = accessBody(RESOLVED, {});
    expect(body).toEqual({
      workspaces: [{ id: 'ws-uuid-1', enabled: true, usage_limits: null, rate_limits: null, create_default_provider: false }],
    });
    expect(bodyErrors('PUT /integrations/{slug}/workspaces', body)).toEqual([]);
    const fresh = accessBody({ ...RESOLVED, before: undefined }, { budget: { type: 'tokens', amount: 5, reset: 'weekly' } });
    expect(fresh.workspaces[0]).toMatchObject({
      usage_limits: [{ type: 'tokens', credit_limit: 5, periodic_reset: 'weekly' }],
      create_default_provider: true,
    });
    expect(bodyErrors('PUT /integrations/{slug}/workspaces', fresh)).toEqual([]);
  });
});

describe('what approvers and the policy see', () => {
  it('Portkey names, never the client labels, and the amounts now and after', () => {
    const op = { request: { draft: draft({ amount: '1000', alert: '900', reset: 'monthly' }), resolved: RESOLVED } };
    const summary = describeAccess(op);
    expect(summary.rows).toEqual([
      { label: 'Integration', value: 'OpenAI *prod* <!channel> (slug openai-prod, OpenAI)', critical: true },
      { label: 'Workspace', value: 'Research <@U0BOSS> (id ws-uuid-1, slug research)', critical: true },
      { label: 'Now', value: 'enabled — $80 of cost, never reset; no rate limit', critical: true },
      { label: 'Budget', value: '$1,000 of cost, reset monthly, alert at $900', critical: true },
      { label: 'Rate limit', value: 'no rate limit', critical: true },
    ]);
    expect(JSON.stringify(summary)).not.toMatch(/Harmless|Sandbox/);
    expect(storedAccess(op)?.draft.integration).toEqual({ value: 'openai-prod', label: 'OpenAI *prod* <!channel> (openai-prod)' });
    expect(accessSubject(op)).toEqual({
      providerId: 'openai',
      workspaces: [{ id: 'ws-uuid-1', slug: 'research' }],
      limits: { budget: { type: 'cost', amount: 1000 }, perMinute: undefined },
    });
  });

  it('a stored request tampered into an unreadable budget is judged as having none (a required budget still holds)', () => {
    const op = { request: { draft: draft({ amount: '-1' }), resolved: RESOLVED } };
    expect(accessSubject(op).limits).toEqual({ budget: undefined, perMinute: undefined });
    expect(accessSubject({ request: { nonsense: true } }).limits).toEqual({ budget: undefined, perMinute: undefined });
  });
});

describe('the views', () => {
  it('the form and the result stay within Slack limits; names from Portkey are escaped in the channel', () => {
    expect(checkView(accessModal({ draft: draft({ amount: '5' }), context: CONTEXT, notice: 'Back.' }))).toEqual([]);
    const limits = { budget: { type: 'cost' as const, amount: 5, reset: 'none' as const } };
    expect(
      checkView(accessSuccessView({ resolved: RESOLVED, limits, enabledBefore: true, deliveredTo: 'Posted.', context: CONTEXT })),
    ).toEqual([]);
    const message = accessChangedMessage({ resolved: RESOLVED, limits, enabledBefore: false, userId: 'U0ALICE' });
    expect(checkMessage(message)).toEqual([]);
    const text = JSON.stringify(message);
    expect(text).not.toContain('<!channel>');
    expect(text).not.toContain('<@U0BOSS>');
    expect(text).toContain('$5 of cost');
  });
});

describe('the preview', () => {
  it('lists the look-ups, then the one PUT execute sends (same builder), and the read-back after a lost answer', () => {
    const op = { request: { draft: draft({ amount: '200', rate: '60', rateUnit: 'rph' }), resolved: RESOLVED } };
    const plan = planAccess(op);
    expect(plan?.secrets).toEqual([]);
    expect(plan?.calls.map((c) => `${c.phase} ${c.method} ${c.path}`)).toEqual([
      'submit GET /integrations/openai-prod',
      'submit GET /admin/workspaces/ws-uuid-1',
      'submit GET /integrations/openai-prod/workspaces',
      'run PUT /integrations/openai-prod/workspaces',
      'run GET /integrations/openai-prod/workspaces',
    ]);
    const put = plan?.calls[3];
    expect(put?.body).toEqual(
      accessBody(RESOLVED, { budget: { type: 'cost', amount: 200, reset: 'none' }, rate: { unit: 'rph', value: 60 } }),
    );
    expect(bodyErrors('PUT /integrations/{slug}/workspaces', put?.body)).toEqual([]);
    expect(put?.purpose).toContain('$200 of cost, never reset; 60 requests an hour');
    expect(planAccess({ request: { draft: draft({ amount: 'x' }), resolved: RESOLVED } })).toBeUndefined();
  });
});
