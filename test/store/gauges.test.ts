import { expect, it } from 'vitest';
import type { Store } from '../../src/store/index.js';
import { describeEngines } from './harness.js';

// What /metrics reads from the store at each scrape: approvals pending by action, and the outbox backlog.

async function operation(
  store: Store,
  key: string,
  action: 'workspace.create' | 'integration.create',
  status: 'awaiting_approval' | 'requested',
) {
  const { operation } = await store.operations.create({
    idempotencyKey: key,
    teamId: 'T1',
    action,
    requesterId: 'U1',
    channelId: 'C1',
    request: {},
    status,
  });
  return operation;
}

describeEngines('store gauges', (h) => {
  it('counts operations in one state by action, leaving out actions with none', async () => {
    expect(await h.store.operations.countByAction('awaiting_approval')).toEqual({});
    await operation(h.store, 'K1', 'workspace.create', 'awaiting_approval');
    await operation(h.store, 'K2', 'workspace.create', 'awaiting_approval');
    await operation(h.store, 'K3', 'integration.create', 'awaiting_approval');
    const decided = await operation(h.store, 'K4', 'integration.create', 'awaiting_approval');
    await operation(h.store, 'K5', 'integration.create', 'requested');
    await h.store.operations.transition(decided.id, 'awaiting_approval', 'cancelled');
    expect(await h.store.operations.countByAction('awaiting_approval')).toEqual({ 'workspace.create': 2, 'integration.create': 1 });
    expect(await h.store.operations.countByAction('requested')).toEqual({ 'integration.create': 1 });
  });

  it('reports the outbox backlog: pending ones (due or not) with the oldest, and those given up', async () => {
    expect(await h.store.notifications.backlog()).toEqual({ pending: 0, oldestPendingAt: null, failed: 0 });
    let t = 5_000_000;
    const store = await h.testDb.open({ now: () => t });
    const sent = await store.notifications.enqueue({ kind: 'result', payload: {} });
    t += 1000;
    const held = await store.notifications.enqueue({ kind: 'result', payload: {}, nextAttemptAt: t + 30_000 });
    t += 1000;
    await store.notifications.enqueue({ kind: 'view', payload: {} });
    const givenUp = await store.notifications.enqueue({ kind: 'approval', payload: {} });
    await store.notifications.markSent(sent.id);
    await store.notifications.markFailed(givenUp.id, 'not_in_channel', null);
    expect(await store.notifications.backlog()).toEqual({ pending: 2, oldestPendingAt: held.createdAt, failed: 1 });
    expect(held.createdAt).toBe(5_001_000);
  });
});
