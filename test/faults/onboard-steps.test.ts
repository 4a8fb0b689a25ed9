import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { viewFrom, type FillableView } from '../support/driver.js';
import type { Fault } from '../support/fake-portkey.js';
import { allText, record } from '../support/payload.js';
import { clickInView, fill, storedView } from '../e2e/integration-helpers.js';
import { useFaultEnv } from './harness.js';

// Portkey misbehaving at each step of an onboarding (workspace → members → integration → service key): the chain
// stops at that step with a report naming it, nothing after it is sent, the app keeps serving; and "Retry the
// remaining steps" after a failed last step makes it once, repeating nothing (the e2e tests retry the others).

const h = useFaultEnv();

const STEPS: Array<{ step: string; label: RegExp; match: { method: string; path: string | RegExp } }> = [
  {
    step: 'members',
    label: /:x: Add 1 person as member — failed: /,
    match: { method: 'POST', path: /^\/admin\/workspaces\/[^/]+\/users$/ },
  },
  {
    step: 'integration',
    label: /:x: Enable OpenAI prod \(openai-prod\) — failed: /,
    match: { method: 'PUT', path: '/integrations/openai-prod/workspaces' },
  },
  {
    step: 'service key',
    label: /:x: Create service API key svc — failed: /,
    match: { method: 'POST', path: '/api-keys/workspace/service' },
  },
];

const FAULTS: Array<{ label: string; fault: Fault }> = [
  { label: 'a 500', fault: { status: 500 } },
  { label: 'a connection reset', fault: { drop: true } },
];

async function onboard(): Promise<FillableView> {
  h.portkey.seedIntegration({ name: 'OpenAI prod', ai_provider_id: 'openai', slug: 'openai-prod', key: 'sk-openai-seeded-1234567890' });
  h.portkey.members.seedUser({ email: 'alice@acme.test' });
  h.slack.setUser('UALICE', { profile: { real_name: 'Alice', email: 'alice@acme.test' } });
  const triggerId = `trigger-${randomUUID()}`;
  expect((await h.app.driver.command({ text: 'onboard Faulty', triggerId })).status).toBe(200);
  const form = viewFrom(await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId), h.slack.views);
  const view = fill(form, { ob_users: ['UALICE'], ob_key_name: 'svc' }, { ob_integrations: [{ value: 'openai-prod', text: 'x' }] });
  const res = await h.app.driver.viewSubmission({ view });
  expect(record(res.json, 'ack').response_action).toBe('update');
  await h.slack.waitFor(
    'views.update',
    (c) => c.args.view_id === form.id && /white_check_mark|:warning:/.test(allText(record(c.args.view, 'view').blocks)),
    15_000,
  );
  return form;
}

const writes = () => h.portkey.requests.filter((r) => r.method === 'POST' || r.method === 'PUT').map((r) => `${r.method} ${r.path}`);

describe('Portkey failing at each step of an onboarding', () => {
  for (const s of STEPS) {
    for (const f of FAULTS) {
      it(`${f.label} at the ${s.step} step: the chain stops there, the report names it, nothing after it is sent`, async () => {
        const mark = h.mark();
        // Every try of the step fails (the client's own retries included), so the chain stops there.
        h.portkey.fault(s.match, f.fault, 5);
        const form = await onboard();
        const report = allText(storedView(h.slack, form.id).blocks);
        expect(report).toContain(':white_check_mark: Create workspace Faulty');
        expect(report).toMatch(s.label);
        const sent = writes();
        const at = sent.findIndex((w) =>
          typeof s.match.path === 'string' ? w.endsWith(s.match.path) : s.match.path.test(w.split(' ')[1] ?? ''),
        );
        expect(at).toBeGreaterThan(0);
        // Nothing after the failed step was sent.
        expect(sent.slice(at).every((w) => w === sent[at])).toBe(true);
        await h.expectStillServing(mark);
      });
    }
  }

  it('a failed key step, retried: the key is made once, and the other steps are not repeated', async () => {
    h.portkey.fault({ method: 'POST', path: '/api-keys/workspace/service' }, { status: 503 });
    const form = await onboard();
    expect(allText(storedView(h.slack, form.id).blocks)).toContain('Retry the remaining steps');
    const before = writes().filter((w) => !w.includes('/api-keys'));
    const after = await clickInView(h, form.id, 'onboard_retry');
    expect(allText(after.blocks)).toContain('is ready');
    expect(writes().filter((w) => !w.includes('/api-keys'))).toEqual(before);
    expect(h.portkey.apiKeys).toHaveLength(1);
    expect(h.portkey.workspaces).toHaveLength(1);
  });
});
