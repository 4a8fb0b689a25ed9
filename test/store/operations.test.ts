import { expect, it } from 'vitest';
import { StoreError, type NewOperation, type OperationState } from '../../src/store/index.js';
import { submissionKey } from '../../src/operations/keys.js';
import { describeEngines } from './harness.js';

let seq = 0;
function newOp(over: Partial<NewOperation> = {}): NewOperation {
  seq += 1;
  return {
    idempotencyKey: submissionKey('T1', `V${seq}`, 0),
    teamId: 'T1',
    action: 'workspace.create',
    requesterId: 'U1',
    channelId: 'C1',
    responseUrl: 'https://hooks.slack.test/r/1',
    viewId: `V${seq}`,
    request: { name: `Team ${seq}`, description: 'x' },
    ...over,
  };
}

describeEngines('operations', (h) => {
  it('creates, and finds by id and by idempotency key', async () => {
    const { operation, created } = await h.store.operations.create(newOp({ request: { name: 'Growth', n: 2 } }));
    expect(created).toBe(true);
    expect(operation).toMatchObject({
      teamId: 'T1',
      action: 'workspace.create',
      status: 'requested',
      attempts: 0,
      request: { name: 'Growth', n: 2 },
      leaseOwner: null,
      leaseUntil: null,
      portkeyId: null,
      error: null,
    });
    expect(typeof operation.createdAt).toBe('number');
    expect(await h.store.operations.get(operation.id)).toEqual(operation);
    expect(await h.store.operations.getByIdempotencyKey(operation.idempotencyKey)).toEqual(operation);
    expect(await h.store.operations.get('nope')).toBeUndefined();
  });

  it('is idempotent on the idempotency key: the second create returns the first row', async () => {
    const first = await h.store.operations.create(newOp({ idempotencyKey: 'T1:VX', request: { name: 'one' } }));
    const second = await h.store.operations.create(newOp({ idempotencyKey: 'T1:VX', request: { name: 'two' } }));
    expect(first.created).toBe(true);
    expect(second.created).toBe(false);
    expect(second.operation).toEqual(first.operation);
    expect(await h.rawRows('operations')).toHaveLength(1);
  });

  it('creates once when the same submission arrives many times at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) => h.store.operations.create(newOp({ idempotencyKey: 'T1:VDUP', request: { i } }))),
    );
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(new Set(results.map((r) => r.operation.id)).size).toBe(1);
    expect(await h.rawRows('operations')).toHaveLength(1);
  });

  it('lets exactly one of 10 concurrent transitions win', async () => {
    const { operation } = await h.store.operations.create(newOp());
    const results = await Promise.all(
      Array.from({ length: 10 }, () => h.store.operations.transition(operation.id, 'requested', 'executing')),
    );
    expect(results.filter((r) => r.won)).toHaveLength(1);
    for (const r of results) if (!r.won) expect(r.current?.status).toBe('executing');
    expect((await h.store.operations.get(operation.id))?.status).toBe('executing');
  });

  it('lets exactly one of two processes move an operation', async () => {
    const other = await h.testDb.open();
    const { operation } = await h.store.operations.create(newOp());
    const results = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        (i % 2 ? other : h.store).operations.transition(operation.id, ['requested', 'approved'], i % 3 ? 'executing' : 'cancelled'),
      ),
    );
    expect(results.filter((r) => r.won)).toHaveLength(1);
  });

  it('moves only from the given states, and sets the patch with the status', async () => {
    const { operation } = await h.store.operations.create(newOp({ status: 'awaiting_approval' }));
    const wrong = await h.store.operations.transition(operation.id, 'requested', 'executing');
    expect(wrong).toEqual({ won: false, current: operation });

    const ok = await h.store.operations.transition(operation.id, ['requested', 'awaiting_approval'], 'approved');
    expect(ok.won).toBe(true);
    const done = await h.store.operations.transition(operation.id, 'approved', 'failed', { error: 'Portkey said no' });
    expect(done.won && done.operation).toMatchObject({ status: 'failed', error: 'Portkey said no' });
    expect(await h.store.operations.transition(operation.id, [], 'succeeded')).toMatchObject({ won: false });
    expect(await h.store.operations.transition('missing', 'requested', 'executing')).toEqual({ won: false, current: undefined });
  });

  it('leases executing operations: claim, renew, expire, take over, and fence the old owner', async () => {
    const t0 = 1_000_000;
    const { operation } = await h.store.operations.create(newOp());
    expect(await h.store.operations.claim(operation.id, 'A', 1000, t0)).toBeUndefined(); // not executing yet

    const started = await h.store.operations.transition(operation.id, 'requested', 'executing', {
      leaseOwner: 'A',
      leaseUntil: t0 + 1000,
    });
    expect(started.won && started.operation).toMatchObject({ leaseOwner: 'A', leaseUntil: t0 + 1000 });

    expect(await h.store.operations.claim(operation.id, 'B', 1000, t0 + 500)).toBeUndefined(); // A's lease is live
    const renewed = await h.store.operations.claim(operation.id, 'A', 1000, t0 + 600);
    expect(renewed).toMatchObject({ leaseOwner: 'A', leaseUntil: t0 + 1600, attempts: 0 });

    const taken = await h.store.operations.claim(operation.id, 'B', 1000, t0 + 1601); // expired
    expect(taken).toMatchObject({ leaseOwner: 'B', leaseUntil: t0 + 2601, attempts: 1 });

    // Only one of several takers at once gets an expired lease.
    const racers = await Promise.all(['C', 'D', 'E', 'F'].map((o) => h.store.operations.claim(operation.id, o, 1000, t0 + 5000)));
    expect(racers.filter(Boolean)).toHaveLength(1);
    const holder = racers.find(Boolean)?.leaseOwner;
    expect(holder).toBeDefined();

    // A lost its lease: it cannot record an outcome; the holder can, and the lease is cleared.
    expect((await h.store.operations.transition(operation.id, 'executing', 'succeeded', {}, { leaseOwner: 'A' })).won).toBe(false);
    const done = await h.store.operations.transition(
      operation.id,
      'executing',
      'succeeded',
      { portkeyId: 'ws-1', portkeySlug: 'growth' },
      { leaseOwner: holder ?? '' },
    );
    expect(done.won && done.operation).toMatchObject({
      status: 'succeeded',
      portkeyId: 'ws-1',
      portkeySlug: 'growth',
      leaseOwner: null,
      leaseUntil: null,
    });
    expect(await h.store.operations.claim(operation.id, 'A', 1000, t0 + 9000)).toBeUndefined();
  });

  it('leases a succeeded operation for a follow-up step: only when free or expired, renewable by its holder, fenced', async () => {
    const t0 = 2_000_000;
    const { operation } = await h.store.operations.create(newOp({ idempotencyKey: 'T1:VFOLLOW' }));
    expect(await h.store.operations.claimSucceeded(operation.id, 'A', 1000, t0)).toBeUndefined(); // not succeeded
    await h.store.operations.transition(operation.id, 'requested', 'executing', { leaseOwner: 'X', leaseUntil: t0 + 1000 });
    expect(await h.store.operations.claimSucceeded(operation.id, 'A', 1000, t0)).toBeUndefined(); // executing is claim()'s
    await h.store.operations.transition(
      operation.id,
      'executing',
      'succeeded',
      { portkeyId: 'i-1', portkeySlug: 's' },
      { leaseOwner: 'X' },
    );

    expect(await h.store.operations.claimSucceeded(operation.id, 'A', 1000, t0)).toMatchObject({
      leaseOwner: 'A',
      leaseUntil: t0 + 1000,
      status: 'succeeded',
    });
    expect(await h.store.operations.claimSucceeded(operation.id, 'B', 1000, t0 + 500)).toBeUndefined(); // A's lease is live
    expect(await h.store.operations.claimSucceeded(operation.id, 'A', 1000, t0 + 600)).toMatchObject({ leaseUntil: t0 + 1600 }); // renewed
    const racers = await Promise.all(['C', 'D', 'E'].map((o) => h.store.operations.claimSucceeded(operation.id, o, 1000, t0 + 5000)));
    expect(racers.filter(Boolean)).toHaveLength(1);
    const holder = racers.find(Boolean)?.leaseOwner ?? '';
    // The old holder can't record the step's result; the new one can, and that frees the lease.
    expect(
      (await h.store.operations.transition(operation.id, 'succeeded', 'succeeded', { result: { a: 1 } }, { leaseOwner: 'A' })).won,
    ).toBe(false);
    const saved = await h.store.operations.transition(operation.id, 'succeeded', 'succeeded', { result: { a: 2 } }, { leaseOwner: holder });
    expect(saved.won && saved.operation).toMatchObject({ result: { a: 2 }, leaseOwner: null, leaseUntil: null, portkeyId: 'i-1' });
    expect(await h.store.operations.claimSucceeded(operation.id, 'B', 1000, t0 + 5001)).toMatchObject({ leaseOwner: 'B' });
    await expect(h.store.operations.claimSucceeded('x', 'A', 0)).rejects.toBeInstanceOf(StoreError);
  });

  it('releases every executing lease at once (an embedded store at start)', async () => {
    const { operation } = await h.store.operations.create(newOp({ idempotencyKey: 'T1:VREL' }));
    await h.store.operations.transition(operation.id, 'requested', 'executing', { leaseOwner: 'dead', leaseUntil: Date.now() + 60_000 });
    expect(await h.store.operations.claim(operation.id, 'new', 1000)).toBeUndefined();
    expect(await h.store.operations.releaseLeases()).toBe(1);
    expect(await h.store.operations.claim(operation.id, 'new', 1000)).toMatchObject({ leaseOwner: 'new' });
  });

  it('rejects a non-positive lease', async () => {
    await expect(h.store.operations.claim('x', 'A', 0)).rejects.toBeInstanceOf(StoreError);
  });

  it('lists unfinished work: requested, and executing whose lease is gone', async () => {
    const now = Date.now();
    const make = async (status: OperationState, leaseUntil: number | null) => {
      const { operation } = await h.store.operations.create(newOp());
      if (status !== 'requested') {
        await h.store.operations.transition(operation.id, 'requested', status, leaseUntil === null ? {} : { leaseOwner: 'X', leaseUntil });
      }
      return operation.id;
    };
    const requested = await make('requested', null);
    const expired = await make('executing', now - 1);
    const noLease = await make('executing', null);
    await make('executing', now + 60_000);
    await make('succeeded', null);
    await make('awaiting_approval', null);
    const approved = await make('approved', null);
    const ids = (await h.store.operations.listUnfinished(now)).map((o) => o.id);
    expect(ids.sort()).toEqual([requested, expired, noLease, approved].sort());
  });

  it('keeps the policy decision, expiry, decider and approval message with the operation', async () => {
    const governance = { effect: 'require_approval', rule: 'llm', reservations: [{ key: 'rate:x', windowStart: 0 }] };
    const { operation } = await h.store.operations.create(newOp({ status: 'awaiting_approval', governance, expiresAt: 123_456 }));
    expect(operation).toMatchObject({ status: 'awaiting_approval', governance, expiresAt: 123_456, decidedBy: null, approvalTs: null });
    const posted = await h.store.operations.transition(operation.id, 'awaiting_approval', 'awaiting_approval', {
      approvalChannel: 'C9',
      approvalTs: '1.2',
    });
    expect(posted.won && posted.operation).toMatchObject({ approvalChannel: 'C9', approvalTs: '1.2' });
    const denied = await h.store.operations.transition(operation.id, 'awaiting_approval', 'denied', {
      decidedBy: 'U7',
      decisionReason: 'not now',
    });
    expect(denied.won && denied.operation).toMatchObject({
      status: 'denied',
      decidedBy: 'U7',
      decisionReason: 'not now',
      approvalTs: '1.2',
      governance,
    });
    const again = await h.store.operations.transition(operation.id, 'awaiting_approval', 'approved', { decidedBy: 'U8' });
    expect(again.won).toBe(false);
    expect(again.won ? undefined : again.current?.decidedBy).toBe('U7');
  });

  it('lists pending approvals whose time ran out, and operations by state', async () => {
    const now = Date.now();
    const late = await h.store.operations.create(newOp({ status: 'awaiting_approval', expiresAt: now - 1 }));
    const due = await h.store.operations.create(newOp({ status: 'awaiting_approval', expiresAt: now }));
    const pending = await h.store.operations.create(newOp({ status: 'awaiting_approval', expiresAt: now + 60_000, requesterId: 'U2' }));
    await h.store.operations.create(newOp({ status: 'denied', expiresAt: now - 1 }));
    expect((await h.store.operations.listExpired(now)).map((o) => o.id).sort()).toEqual([late, due].map((r) => r.operation.id).sort());
    const all = await h.store.operations.listByStatus('awaiting_approval');
    expect(all.map((o) => o.id).sort()).toEqual([late, due, pending].map((r) => r.operation.id).sort());
    expect((await h.store.operations.listByStatus('awaiting_approval', { requesterId: 'U2' })).map((o) => o.id)).toEqual([
      pending.operation.id,
    ]);
    expect(await h.store.operations.listByStatus('awaiting_approval', { teamId: 'T9' })).toEqual([]);
  });

  it('lists recent operations newest first, optionally for one team', async () => {
    let t = 5000;
    const store = await h.testDb.open({ now: () => (t += 10) });
    const a = await store.operations.create(newOp());
    const b = await store.operations.create(newOp({ teamId: 'T2', idempotencyKey: 'T2:V1' }));
    const c = await store.operations.create(newOp());
    expect((await store.operations.recent(10)).map((o) => o.id)).toEqual([c, b, a].map((r) => r.operation.id));
    expect((await store.operations.recent(2)).map((o) => o.id)).toEqual([c, b].map((r) => r.operation.id));
    expect((await store.operations.recent(10, 'T1')).map((o) => o.id)).toEqual([c, a].map((r) => r.operation.id));
    const d = await store.operations.create(newOp({ requesterId: 'U9', idempotencyKey: 'T1:V9' }));
    expect((await store.operations.recent(10, 'T1', 'U9')).map((o) => o.id)).toEqual([d.operation.id]);
    expect(await store.operations.recent(10, 'T2', 'U9')).toEqual([]);
  });

  it('refuses a request that still contains one of its secrets', async () => {
    const err = await h.store.operations
      .create(newOp({ request: { name: 'x', apiKey: 'sk-live-leaky-123' }, secrets: { apiKey: 'sk-live-leaky-123' } }))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StoreError);
    expect((err as StoreError).message).not.toContain('sk-live-leaky-123');
    expect(await h.rawRows('operations')).toHaveLength(0);
  });
});
