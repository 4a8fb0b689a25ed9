import { expect, it } from 'vitest';
import { describeEngines } from './harness.js';

describeEngines('notification outbox', (h) => {
  it('enqueues, hands out what is due in order, and retries failures until given up', async () => {
    const t = 1_000_000;
    const { operation } = await h.store.operations.create({
      idempotencyKey: 'T1:V1',
      teamId: 'T1',
      action: 'workspace.create',
      requesterId: 'U1',
      channelId: 'C1',
      request: {},
    });
    const later = await h.store.notifications.enqueue({ kind: 'dm', payload: { text: 'later' }, nextAttemptAt: t + 500 });
    const first = await h.store.notifications.enqueue({
      operationId: operation.id,
      kind: 'response_url',
      payload: { text: 'hi' },
      nextAttemptAt: t,
    });
    expect(first).toMatchObject({ operationId: operation.id, status: 'pending', attempts: 0, payload: { text: 'hi' }, lastError: null });

    expect((await h.store.notifications.due(t)).map((n) => n.id)).toEqual([first.id]);
    expect((await h.store.notifications.due(t + 500)).map((n) => n.id)).toEqual([first.id, later.id]);
    expect(await h.store.notifications.due(t + 500, 1)).toHaveLength(1);

    expect(await h.store.notifications.markFailed(first.id, 'slack 500', t + 1000)).toBe(true);
    expect(await h.store.notifications.get(first.id)).toMatchObject({
      status: 'pending',
      attempts: 1,
      nextAttemptAt: t + 1000,
      lastError: 'slack 500',
    });
    expect((await h.store.notifications.due(t + 999)).map((n) => n.id)).toEqual([later.id]);

    expect(await h.store.notifications.markSent(later.id)).toBe(true);
    expect(await h.store.notifications.markSent(later.id)).toBe(false);
    expect(await h.store.notifications.get(later.id)).toMatchObject({ status: 'sent', attempts: 1 });

    expect(await h.store.notifications.markFailed(first.id, 'channel_not_found', null)).toBe(true);
    expect(await h.store.notifications.get(first.id)).toMatchObject({ status: 'failed', attempts: 2, lastError: 'channel_not_found' });
    expect(await h.store.notifications.due(t + 10_000)).toEqual([]);
    expect(await h.store.notifications.markFailed(first.id, 'again', t)).toBe(false);
  });

  it("lists what was given up since a time, newest first (the admins' Home tab)", async () => {
    let t = 2_000_000;
    const store = await h.testDb.open({ now: () => (t += 10) });
    const a = await store.notifications.enqueue({ kind: 'result', payload: {} });
    const b = await store.notifications.enqueue({ kind: 'approval', payload: {} });
    const c = await store.notifications.enqueue({ kind: 'dm', payload: {} });
    await store.notifications.markFailed(a.id, 'channel_not_found', null);
    const since = t + 1; // after a was given up
    await store.notifications.markFailed(b.id, 'not_in_channel', null);
    await store.notifications.markSent(c.id);
    expect((await store.notifications.givenUp(0, 10)).map((n) => n.id)).toEqual([b.id, a.id]);
    expect((await store.notifications.givenUp(since, 10)).map((n) => [n.kind, n.lastError])).toEqual([['approval', 'not_in_channel']]);
    expect(await store.notifications.givenUp(0, 1)).toHaveLength(1);
  });
});

describeEngines('notification claims', (h) => {
  it('gives a due notification to exactly one of many concurrent senders, and again after the lease', async () => {
    const t = 2_000_000;
    const n = await h.store.notifications.enqueue({ kind: 'post', payload: {}, nextAttemptAt: t });
    const other = await h.testDb.open();
    const wins = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? other : h.store).notifications.claim(n.id, 30_000, t)));
    expect(wins.filter(Boolean)).toHaveLength(1);
    expect(await h.store.notifications.due(t + 29_999)).toEqual([]);
    expect((await h.store.notifications.due(t + 30_000)).map((x) => x.id)).toEqual([n.id]);
    expect(await h.store.notifications.claim(n.id, 30_000, t + 30_000)).toBe(true);
    await h.store.notifications.markSent(n.id);
    expect(await h.store.notifications.claim(n.id, 30_000, t + 90_000)).toBe(false);
  });
});

describeEngines('notifications at start', (h) => {
  it('makes every pending notification due now, sent ones aside', async () => {
    const t = 3_000_000;
    const held = await h.store.notifications.enqueue({ kind: 'post', payload: {}, nextAttemptAt: t + 60_000 });
    const sent = await h.store.notifications.enqueue({ kind: 'post', payload: {}, nextAttemptAt: t });
    await h.store.notifications.markSent(sent.id);
    expect(await h.store.notifications.makeAllDue(t)).toBe(1);
    expect((await h.store.notifications.due(t)).map((n) => n.id)).toEqual([held.id]);
  });
});

describeEngines('audit log', (h) => {
  it('appends in order and reads newest first', async () => {
    const a = await h.store.audit.append({
      at: 100,
      actorId: 'U1',
      action: 'workspace.create',
      target: 'ws:growth',
      outcome: 'requested',
      detail: { n: 1 },
    });
    const b = await h.store.audit.append({ at: 100, actorId: 'U2', action: 'workspace.create', target: 'ws:growth', outcome: 'approved' });
    const c = await h.store.audit.append({ actorId: 'U1', action: 'workspace.create', outcome: 'succeeded' });
    expect(a.id).toBeLessThan(b.id);
    expect(b.id).toBeLessThan(c.id);
    expect(a).toMatchObject({ at: 100, actorId: 'U1', target: 'ws:growth', outcome: 'requested', detail: { n: 1 } });
    expect(c).toMatchObject({ target: null, detail: null });
    expect(c.at).toBeGreaterThan(1_600_000_000_000);
    expect((await h.store.audit.recent(10)).map((e) => e.outcome)).toEqual(['succeeded', 'approved', 'requested']);
    expect((await h.store.audit.recent(2)).map((e) => e.id)).toEqual([c.id, b.id]);
  });

  it('keeps order under concurrent appends', async () => {
    await Promise.all(Array.from({ length: 20 }, (_, i) => h.store.audit.append({ actorId: 'U', action: 'x', outcome: String(i) })));
    const ids = (await h.store.audit.recent(50)).map((e) => e.id);
    expect(ids).toHaveLength(20);
    expect([...ids].sort((x, y) => y - x)).toEqual(ids);
    expect(new Set(ids).size).toBe(20);
  });

  it('offers no way to change or remove an entry', () => {
    expect(Object.keys(h.store.audit).sort()).toEqual(['append', 'recent']);
  });
});
