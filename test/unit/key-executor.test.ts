import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLog } from '../../src/log.js';
import { PortkeyClient } from '../../src/portkey/client.js';
import { keyExecutor } from '../../src/resources/key/executor.js';
import { EMPTY_KEY_DRAFT } from '../../src/resources/key/form.js';
import { heldKeys, takeKey } from '../../src/resources/key/reveal.js';
import type { OperationRecord } from '../../src/store/index.js';
import { startFakePortkey, type FakePortkey } from '../support/fake-portkey.js';
import { operationRecord } from '../support/records.js';

// The key executor against the fake Portkey: when the returned value is held (someone waits for it) and when not,
// what the requester is told privately, and the lookup after a crash.

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
  const ws = fake.workspaces[0] ?? fake.seedWorkspace({ name: 'Team', slug: 'ws-team' });
  return operationRecord({
    action: 'key.create',
    requesterId: 'U_ALICE',
    request: {
      draft: { ...EMPTY_KEY_DRAFT, name: 'svc', workspace: { value: ws.id, label: 'Team' } },
      workspace: { id: ws.id, name: 'Team', slug: 'ws-team' },
    },
    status: 'executing',
    attempts: 1,
    createdAt: Date.now(),
    ...fields,
  });
}

const succeeded = (o: OperationRecord, result: Record<string, unknown>, id: string): OperationRecord => ({
  ...o,
  status: 'succeeded',
  portkeyId: id,
  portkeySlug: id,
  result,
});

describe('the key executor', () => {
  it('a fresh submission: the value is held for its modal (once), the result holds no value, no private note', async () => {
    fake.issueKeyValues('pk-live-fresh-1');
    const o = op({});
    const out = await keyExecutor(portkey).execute(o, undefined, log);
    if (!out.ok) throw new Error(out.error);
    expect(JSON.stringify(out)).not.toContain('pk-live-fresh-1');
    expect(takeKey(o.id)).toBe('pk-live-fresh-1');
    expect(heldKeys()).toBe(0);
    expect(keyExecutor(portkey).privateNote?.(succeeded(o, out.result, out.id), out)).toBeUndefined();
  });

  it('picked up late by recovery: not held; the requester is told privately, without the value, with Rotate', async () => {
    fake.issueKeyValues('pk-live-late-1');
    const o = op({ createdAt: Date.now() - 60_000 });
    const out = await keyExecutor(portkey).execute(o, undefined, log);
    if (!out.ok) throw new Error(out.error);
    expect(heldKeys()).toBe(0);
    expect(out.result).toMatchObject({ notHeld: true });
    const note = keyExecutor(portkey).privateNote?.(succeeded(o, out.result, out.id), out);
    const text = JSON.stringify(note);
    expect(text).toContain('created late');
    expect(text).toContain('"action_id":"key_rotate"');
    expect(text).not.toContain('pk-live-late-1');
  });

  it('after an approval: not held; the private note says so', async () => {
    fake.issueKeyValues('pk-live-approved-1');
    const o = op({ governance: { effect: 'require_approval', rule: 'r', reservations: [] }, decidedBy: 'UAPPROVER' });
    const out = await keyExecutor(portkey).execute(o, undefined, log);
    if (!out.ok) throw new Error(out.error);
    expect(heldKeys()).toBe(0);
    expect(JSON.stringify(keyExecutor(portkey).privateNote?.(succeeded(o, out.result, out.id), out))).toContain('after the approval');
  });

  it('after a crash mid-create: the one key of that name made during the operation is credited, its value lost', async () => {
    const o = op({ createdAt: Date.now() - 1000 });
    fake.issueKeyValues('pk-live-crash-1');
    await portkey.createWorkspaceServiceKey({ name: 'svc', workspace_id: fake.workspaces[0]?.id ?? '', scopes: ['completions.write'] });
    const found = await keyExecutor(portkey).find(o, undefined, log);
    expect(found).toMatchObject({ ok: true, recovered: true, result: { valueLost: true } });
    expect(JSON.stringify(found)).not.toContain('pk-live-crash-1');
    expect(heldKeys()).toBe(0);
  });

  // Before, any error was thrown and recovery asked again at every sweep: the person was never told.
  it('after a crash, a 403 to the list of the workspace’s keys closes it as "could not tell", not a retry forever', async () => {
    fake.fault(
      { method: 'GET', path: '/api-keys' },
      { status: 403, body: { success: false, data: { message: 'Not allowed', errorCode: 'AB03' } } },
    );
    const found = await keyExecutor(portkey).find(op({ createdAt: Date.now() - 1000 }), undefined, log);
    expect(found).toMatchObject({ ok: false, unknown: true });
    expect(found && !found.ok ? found.error : '').toContain("Portkey refused to list the workspace's keys");
  });

  it('rotate: the new value is held for the rotate window only, the result counts the rotation', async () => {
    fake.issueKeyValues('pk-live-r0', 'pk-live-r1');
    const o = op({});
    const out = await keyExecutor(portkey).execute(o, undefined, log);
    if (!out.ok) throw new Error(out.error);
    takeKey(o.id);
    const done = succeeded(o, out.result, out.id);
    const ran = await keyExecutor(portkey).followUp?.run(done, log);
    expect(ran).toMatchObject({ ok: true, result: { rotations: 1 } });
    expect(JSON.stringify(ran)).not.toContain('pk-live-r1');
    expect(takeKey(`${o.id}:rotate`)).toBe('pk-live-r1');
  });
});
