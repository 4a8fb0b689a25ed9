import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { integrationExecutor } from '../../src/resources/integration/executor.js';
import { EMPTY_INTEGRATION_DRAFT } from '../../src/resources/integration/form.js';
import { workspaceExecutor } from '../../src/resources/workspace/executor.js';
import { createLog } from '../../src/log.js';
import { PortkeyClient } from '../../src/portkey/client.js';
import type { OperationRecord } from '../../src/store/index.js';
import { startFakePortkey, type FakePortkey } from '../support/fake-portkey.js';
import { operationRecord } from '../support/records.js';

// Crash recovery (`find` of an operation a stopped process left 'executing') follows the same rule as a lost answer:
// Portkey's resource is credited only when it provably came from this operation. Against the fake Portkey.

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

function op(fields: Partial<OperationRecord>): OperationRecord {
  return operationRecord({
    action: 'integration.create',
    requesterId: 'U_MALLORY',
    request: null,
    status: 'executing',
    attempts: 1,
    createdAt: Date.now(),
    ...fields,
  });
}

const draft = { ...EMPTY_INTEGRATION_DRAFT, providerId: 'openai', name: 'OpenAI prod', slug: 'openai-prod' };

describe('integration find after a crash', () => {
  it('an integration of the same name, slug and provider made before this operation existed is not ours', async () => {
    const alice = fake.seedIntegration({ name: 'OpenAI prod', slug: 'openai-prod', ai_provider_id: 'openai', key: 'sk-alice-0123456789' });
    // Mallory's operation was stored a minute after Alice's integration was made.
    const mallory = op({ request: { draft }, createdAt: Date.now() + 60_000 });
    const found = await integrationExecutor(portkey).find(mallory, { key: 'sk-alice-0123456789', fields: {} }, log);
    expect(found).toEqual({
      ok: false,
      unknown: false,
      error: 'The slug openai-prod is already used by another integration. Choose another slug.',
    });
    expect(JSON.stringify(found)).not.toContain(alice.id);
    expect(fake.requests.filter((r) => r.method !== 'GET')).toEqual([]);
  });

  it('one whose masked key is not the mask of the key this operation sent is not ours, even when just made', async () => {
    fake.seedIntegration({ name: 'OpenAI prod', slug: 'openai-prod', ai_provider_id: 'openai', key: 'sk-alice-0123456789' });
    const found = await integrationExecutor(portkey).find(
      op({ request: { draft }, createdAt: Date.now() - 1000 }),
      { key: 'junk-0123456789', fields: {} },
      log,
    );
    expect(found).toMatchObject({ ok: false, unknown: false });
  });

  // The live API may answer an unknown slug 403 AB03. Before, that was thrown and recovery asked again at every
  // sweep, so the person was never told.
  it('a 403 to the slug look-up closes it as "could not tell", not a retry forever', async () => {
    fake.fault(
      { method: 'GET', path: '/integrations/openai-prod' },
      { status: 403, body: { success: false, data: { message: 'Not allowed', errorCode: 'AB03' } } },
    );
    const found = await integrationExecutor(portkey).find(op({ request: { draft } }), { key: 'sk-mine-0123456789', fields: {} }, log);
    expect(found).toEqual({
      ok: false,
      unknown: true,
      error:
        'The app restarted while this was being created, and Portkey refused to show the slug openai-prod (HTTP 403). ' +
        'Look for it in Portkey before trying again.',
    });
  });

  it('the one this operation made (in its window, everything fits) is credited and its grant done', async () => {
    const ws = fake.seedWorkspace({ name: 'Research', slug: 'research' });
    const mine = op({
      request: { draft: { ...draft, access: [{ value: ws.id, label: 'Research (research)' }] } },
      createdAt: Date.now() - 1000,
    });
    const created = fake.seedIntegration({ name: 'OpenAI prod', slug: 'openai-prod', ai_provider_id: 'openai', key: 'sk-mine-0123456789' });
    const found = await integrationExecutor(portkey).find(mine, { key: 'sk-mine-0123456789', fields: {} }, log);
    expect(found).toMatchObject({ ok: true, id: created.id, slug: 'openai-prod', recovered: true });
    expect(fake.requestsTo('PUT', '/integrations/openai-prod/workspaces').map((r) => r.body)).toEqual([
      { workspaces: [{ id: ws.id, enabled: true, create_default_provider: true }] },
    ]);
  });
});

describe('workspace find after a crash', () => {
  const wsOp = (createdAt: number) =>
    op({
      action: 'workspace.create',
      request: { draft: { name: 'Data', slug: '', description: '', metadata: '', isDefault: false } },
      createdAt,
    });

  it('two workspaces of that name made since the operation was stored: neither is credited, the outcome is unknown', async () => {
    fake.seedWorkspace({ name: 'Data', slug: 'data-a' });
    fake.seedWorkspace({ name: 'Data', slug: 'data-b' });
    const found = await workspaceExecutor(portkey).find(wsOp(Date.now() - 1000), undefined, log);
    expect(found).toEqual({
      ok: false,
      unknown: true,
      error:
        "Portkey's answer was lost, and someone else's workspace named Data was made at about the same time, so we can't tell whether yours was created. Look in Portkey before trying again.",
    });
  });

  it('one made before the operation was stored is someone else’s: no trace of ours', async () => {
    fake.seedWorkspace({ name: 'Data', slug: 'data-a' });
    expect(await workspaceExecutor(portkey).find(wsOp(Date.now() + 60_000), undefined, log)).toBeUndefined();
  });

  it('exactly one that fits is ours', async () => {
    const ws = fake.seedWorkspace({ name: 'Data', slug: 'data-a' });
    expect(await workspaceExecutor(portkey).find(wsOp(Date.now() - 1000), undefined, log)).toMatchObject({
      ok: true,
      id: ws.id,
      slug: 'data-a',
    });
  });
});
