import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLog } from '../../src/log.js';
import { MASK, maskPlan, maskSecrets, secretStrings } from '../../src/operations/plan.js';
import type { Plan, PlannedCall } from '../../src/operations/types.js';
import { PortkeyClient } from '../../src/portkey/client.js';
import { integrationExecutor } from '../../src/resources/integration/executor.js';
import { EMPTY_INTEGRATION_DRAFT, validateIntegration, type IntegrationDraft } from '../../src/resources/integration/form.js';
import { resolveRefs } from '../../src/resources/integration/resolve.js';
import { keyExecutor } from '../../src/resources/key/executor.js';
import { EMPTY_KEY_DRAFT } from '../../src/resources/key/form.js';
import { workspaceExecutor } from '../../src/resources/workspace/executor.js';
import { EMPTY_DRAFT } from '../../src/resources/workspace/form.js';
import { startFakePortkey, type FakePortkey } from '../support/fake-portkey.js';
import { operationRecord } from '../support/records.js';

// The preview's plan comes from the executor's own body builders: for the same request, the calls the plan lists
// (those made every time, in order) are the calls the executor makes against the fake Portkey, bodies byte for byte.

const log = createLog('silent');
let fake: FakePortkey;
let portkey: PortkeyClient;

beforeAll(async () => {
  fake = await startFakePortkey();
  portkey = new PortkeyClient({ baseUrl: fake.baseUrl, apiKey: fake.adminKey, timeoutMs: 2000, sleep: async () => {} });
});
afterAll(async () => {
  await portkey.close();
  await fake.close();
});
beforeEach(() => fake.reset());

/** The calls a plan makes every time once allowed, as the fake Portkey records requests. */
function always(plan: Plan | undefined, phase: PlannedCall['phase'] = 'run') {
  if (!plan) throw new Error('no plan');
  return plan.calls.filter((c) => c.phase === phase && !c.onlyIf).map((c) => ({ method: c.method, path: c.path, body: c.body }));
}

/** What the fake Portkey received, in order, as method, path (with its query) and body. */
function received(from = 0) {
  return fake.requests.slice(from).map((r) => ({
    method: r.method,
    path: `${r.path}${r.query && Object.keys(r.query).length > 0 ? `?${new URLSearchParams(r.query).toString()}` : ''}`,
    body: r.body,
  }));
}

describe('the workspace plan', () => {
  it('is the create the executor sends, body for body', async () => {
    const draft = { ...EMPTY_DRAFT, name: 'Data Science', slug: 'data-science', description: 'ML', metadata: 'team=data', isDefault: true };
    const op = operationRecord({ request: { draft }, status: 'executing' });
    const executor = workspaceExecutor(portkey);
    const plan = executor.plan?.(op, undefined);
    const outcome = await executor.execute(op, undefined, log);
    expect(outcome.ok).toBe(true);
    expect(received()).toEqual(always(plan));
    expect(plan?.secrets).toEqual([]);
  });

  it('lists the lost-answer look-up as the query the executor sends then', async () => {
    const draft = { ...EMPTY_DRAFT, name: 'Lost & found' };
    const op = operationRecord({ request: { draft }, status: 'executing' });
    const executor = workspaceExecutor(portkey);
    const lookup = executor.plan?.(op, undefined)?.calls.find((c) => c.onlyIf);
    fake.fault({ method: 'POST', path: '/admin/workspaces' }, { status: 503 });
    await executor.execute(op, undefined, log);
    const gets = received().filter((r) => r.method === 'GET');
    expect(gets[0]?.path).toBe(lookup?.path);
  });

  it('is undefined for a request that can no longer be read', () => {
    expect(workspaceExecutor(portkey).plan?.(operationRecord({ request: { draft: { name: '' } } }), undefined)).toBeUndefined();
  });
});

const KEY = 'sk-plan-canary-0123456789abcdef';

describe('the integration plan', () => {
  it('is the look-ups, the create and the grant the executor sends, bodies for bodies', async () => {
    const research = fake.seedWorkspace({ name: 'Research', slug: 'research' });
    const ml = fake.seedWorkspace({ name: 'ML', slug: 'ml' });
    const draft: IntegrationDraft = {
      ...EMPTY_INTEGRATION_DRAFT,
      providerId: 'openai',
      name: 'OpenAI prod',
      description: 'the main account',
      access: [
        { value: research.id, label: 'whatever the client said' },
        { value: ml.id, label: 'ML' },
      ],
    };
    const secrets = { key: KEY, fields: {} };
    const checked = validateIntegration(draft, secrets);
    if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
    const looked = await resolveRefs(portkey, checked.value, log);
    if (!looked.ok) throw new Error('lookup failed');
    const reads = received();
    const op = operationRecord({ action: 'integration.create', request: { draft, resolved: looked.resolved }, status: 'executing' });
    const executor = integrationExecutor(portkey);
    const plan = executor.plan?.(op, secrets);
    expect(reads).toEqual(always(plan, 'submit'));
    const outcome = await executor.execute(op, secrets, log);
    expect(outcome.ok).toBe(true);
    expect(received(reads.length)).toEqual(always(plan));
    expect(plan?.secrets).toContain(KEY);
    // The look-ups say what Portkey holds, not the client's label.
    expect(plan?.calls[0]?.purpose).toContain('Research (slug research)');
    expect(JSON.stringify(plan?.calls)).not.toContain('whatever the client said');
  });

  it('names the secret reference by its id and Portkey name', async () => {
    const ref = fake.seedSecretReference({ name: 'team-openai', slug: 'team-openai' });
    const draft: IntegrationDraft = {
      ...EMPTY_INTEGRATION_DRAFT,
      providerId: 'openai',
      name: 'Via ref',
      secretRef: { value: ref.id, label: 'x' },
    };
    const secrets = { key: '', fields: {} };
    const checked = validateIntegration(draft, secrets);
    if (!checked.ok) throw new Error(JSON.stringify(checked.errors));
    const looked = await resolveRefs(portkey, checked.value, log);
    if (!looked.ok) throw new Error('lookup failed');
    const plan = integrationExecutor(portkey).plan?.({ request: { draft, resolved: looked.resolved } }, secrets);
    const create = plan?.calls.find((c) => c.method === 'POST');
    expect(create?.purpose).toContain(`secret reference team-openai (id ${ref.id})`);
    expect(create?.body).toMatchObject({ secret_mappings: [{ target_field: 'key', secret_reference_id: ref.id }] });
  });
});

describe('masking', () => {
  const SERVICE_ACCOUNT = { type: 'service_account', private_key: '-----BEGIN PRIVATE KEY-----\nMIIEcanary\n-----END PRIVATE KEY-----\n' };

  it('replaces every secret, nested JSON ones too, wherever it appears, and leaves the rest', () => {
    const secrets = secretStrings({ key: KEY, fields: { vertex_service_account_json: JSON.stringify(SERVICE_ACCOUNT) } });
    const masked = maskSecrets(
      { key: KEY, configurations: { vertex_service_account_json: SERVICE_ACCOUNT }, note: `a ${KEY} inside`, name: 'OpenAI' },
      secrets,
    );
    expect(masked).toEqual({
      key: MASK,
      configurations: { vertex_service_account_json: { type: MASK, private_key: MASK } },
      note: `a ${MASK} inside`,
      name: 'OpenAI',
    });
  });

  it("masks the submission's secrets even when the plan names none, in paths and notes too", () => {
    const plan: Plan = {
      calls: [{ method: 'POST', path: `/x/${KEY}`, phase: 'run', purpose: `sends ${KEY}`, body: { nested: [{ k: KEY }] } }],
      secrets: [],
    };
    const masked = maskPlan(plan, { key: KEY, fields: {} });
    expect(JSON.stringify(masked)).not.toContain(KEY);
    expect(masked[0]).toEqual({
      method: 'POST',
      path: `/x/${MASK}`,
      phase: 'run',
      purpose: `sends ${MASK}`,
      body: { nested: [{ k: MASK }] },
    });
  });
});

describe('the API key plan', () => {
  function keyOp() {
    const ws = fake.seedWorkspace({ name: 'Team', slug: 'ws-team' });
    const draft = { ...EMPTY_KEY_DRAFT, name: 'svc', description: 'the batch job', workspace: { value: ws.id, label: 'Team' } };
    return operationRecord({
      action: 'key.create',
      request: { draft, workspace: { id: ws.id, name: 'Team', slug: 'ws-team' } },
      status: 'executing',
      createdAt: Date.now(),
    });
  }

  it('is the create the executor sends, body for body, after the workspace look-up made at submission', async () => {
    const op = keyOp();
    const executor = keyExecutor(portkey);
    const plan = executor.plan?.(op, undefined);
    expect(always(plan, 'submit').map((c) => c.path)).toEqual([`/admin/workspaces/${encodeURIComponent(fake.workspaces[0]?.id ?? '')}`]);
    const outcome = await executor.execute(op, undefined, log);
    expect(outcome.ok).toBe(true);
    expect(received()).toEqual(always(plan));
    expect(plan?.secrets).toEqual([]);
  });

  it('lists the lost-answer look-up as the query the executor sends then', async () => {
    const op = keyOp();
    const executor = keyExecutor(portkey);
    const lookup = executor.plan?.(op, undefined)?.calls.find((c) => c.onlyIf);
    fake.fault({ method: 'POST', path: '/api-keys/workspace/service' }, { status: 503 });
    await executor.execute(op, undefined, log);
    const gets = received().filter((r) => r.method === 'GET');
    expect(gets[0]?.path).toBe(lookup?.path);
  });
});
