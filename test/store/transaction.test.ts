import { expect, it } from 'vitest';
import type { Repositories } from '../../src/store/index.js';
import { submissionKey } from '../../src/operations/keys.js';
import { describeEngines } from './harness.js';

// store.transaction: the repositories over one transaction, so a step's writes commit together or not at all.

describeEngines('transactions', (h) => {
  /** One step of the service, as it writes: operation + secrets, status change, wipe, audit row, outbox row. */
  async function step(tx: Repositories, viewId: string): Promise<string> {
    const { operation } = await tx.operations.create({
      idempotencyKey: submissionKey('T1', viewId, 0),
      teamId: 'T1',
      action: 'workspace.create',
      requesterId: 'U1',
      channelId: 'C1',
      request: { name: viewId },
      secrets: { apiKey: 'sk-transaction-0123456789' },
    });
    await tx.operations.transition(operation.id, 'requested', 'executing', { leaseOwner: 'me', leaseUntil: Date.now() + 60_000 });
    const created = { portkeyId: 'ws-1', portkeySlug: 'ws-1' };
    await tx.operations.transition(operation.id, 'executing', 'succeeded', created, { leaseOwner: 'me' });
    await tx.secrets.wipeSecrets(operation.id);
    await tx.audit.append({ actorId: 'U1', action: 'workspace.create.portkey', target: operation.id, outcome: 'succeeded' });
    await tx.notifications.enqueue({ operationId: operation.id, kind: 'result', payload: { text: 'done' } });
    await tx.rates.reserve('k', 60_000, 5);
    return operation.id;
  }

  const tables = ['operations', 'operation_secrets', 'audit', 'notifications', 'rate_counters'];
  const counts = async () => Object.fromEntries(await Promise.all(tables.map(async (t) => [t, (await h.rawRows(t)).length] as const)));

  it('commits every write of the step together', async () => {
    const id = await h.store.transaction((tx) => step(tx, 'V1'));
    expect(await h.store.operations.get(id)).toMatchObject({ status: 'succeeded', portkeyId: 'ws-1', leaseOwner: null });
    expect(await counts()).toEqual({ operations: 1, operation_secrets: 0, audit: 1, notifications: 1, rate_counters: 1 });
  });

  it('keeps none of them when the step throws after its last write', async () => {
    await expect(
      h.store.transaction(async (tx) => {
        await step(tx, 'V2');
        throw new Error('crash after the writes');
      }),
    ).rejects.toThrow('crash after the writes');
    expect(await counts()).toEqual({ operations: 0, operation_secrets: 0, audit: 0, notifications: 0, rate_counters: 0 });
  });

  it('keeps none of them when a write in the middle fails (a duplicate primary key)', async () => {
    const first = await h.store.transaction((tx) => step(tx, 'V3'));
    await expect(
      h.store.transaction(async (tx) => {
        await tx.audit.append({ actorId: 'U1', action: 'x', target: first, outcome: 'kept?' });
        const sameId = { id: first, idempotencyKey: 'another', teamId: 'T1', requesterId: 'U1', channelId: 'C1', request: {} };
        await tx.operations.create({ ...sameId, action: 'workspace.create' });
      }),
    ).rejects.toThrow(/UNIQUE constraint|duplicate key/);
    expect((await h.rawRows('audit')).map((a) => a.outcome)).toEqual(['succeeded']);
  });

  it('leaves the store usable outside, and the step sees its own writes inside', async () => {
    const seen = await h.store.transaction(async (tx) => {
      const id = await step(tx, 'V4');
      return (await tx.operations.get(id))?.status;
    });
    expect(seen).toBe('succeeded');
    expect(await h.store.audit.recent(5)).toHaveLength(1);
  });
});
