import { expect, it } from 'vitest';
import { submissionKey } from '../../src/operations/keys.js';
import type { Store } from '../../src/store/index.js';
import { describeEngines } from './harness.js';

let seq = 0;
async function executing(store: Store, owner: string) {
  seq += 1;
  const { operation } = await store.operations.create({
    idempotencyKey: submissionKey('T1', `VS${seq}`, 0),
    teamId: 'T1',
    action: 'workspace.create',
    requesterId: 'U1',
    channelId: 'C1',
    responseUrl: null,
    viewId: `VS${seq}`,
    request: {},
  });
  await store.operations.transition(operation.id, 'requested', 'executing', { leaseOwner: owner, leaseUntil: Date.now() + 60_000 });
  return operation.id;
}

describeEngines('operation steps', (h) => {
  it('records a step started and then done with its result, in one row', async () => {
    const id = await executing(h.store, 'A');
    const journal = h.store.steps.journal(id, 'A');
    expect(await journal.list()).toEqual([]);
    expect(await journal.start('workspace')).toBe(true);
    const [started] = await journal.list();
    expect(started).toMatchObject({ step: 'workspace', status: 'started', result: null, error: null });
    expect(await journal.finish('workspace', { ok: true, result: { id: 'ws-1', slug: 'research' } })).toBe(true);
    expect(await journal.list()).toEqual([
      expect.objectContaining({ step: 'workspace', status: 'done', result: { id: 'ws-1', slug: 'research' }, error: null }),
    ]);
  });

  it('records failures, and a lost answer as unknown; a restart of the step clears the error', async () => {
    const id = await executing(h.store, 'A');
    const journal = h.store.steps.journal(id, 'A');
    await journal.start('a');
    await journal.finish('a', { ok: false, error: 'HTTP 403', unknown: false });
    await journal.start('b');
    await journal.finish('b', { ok: false, error: 'timed out', unknown: true });
    const byStep = Object.fromEntries((await journal.list()).map((r) => [r.step, r]));
    expect(byStep.a).toMatchObject({ status: 'failed', error: 'HTTP 403' });
    expect(byStep.b).toMatchObject({ status: 'unknown', error: 'timed out' });
    expect(await journal.start('a')).toBe(true);
    expect((await journal.list()).find((r) => r.step === 'a')).toMatchObject({ status: 'started', error: null });
  });

  it('keeps what a step noted before it was sent, started if it was not; a new attempt clears it', async () => {
    const id = await executing(h.store, 'A');
    const journal = h.store.steps.journal(id, 'A');
    // A one-create operation notes without starting first: the row is made, started.
    expect(await journal.note('create', { existed: ['ws-theirs'] })).toBe(true);
    expect(await journal.list()).toEqual([
      expect.objectContaining({ step: 'create', status: 'started', result: null, evidence: { existed: ['ws-theirs'] } }),
    ]);
    // How it ends leaves the note (a look-up after an unknown ending reads it).
    await journal.finish('create', { ok: false, error: 'timed out', unknown: true });
    expect((await journal.list())[0]).toMatchObject({ status: 'unknown', evidence: { existed: ['ws-theirs'] } });
    await journal.start('create');
    expect((await journal.list())[0]).toMatchObject({ status: 'started', evidence: null });
    expect(await h.store.steps.journal(id, 'B').note('create', { existed: [] })).toBe(false);
    expect((await journal.list())[0]?.evidence).toBeNull();
  });

  it('writes nothing for a process that does not hold the lease (another replica took it)', async () => {
    const id = await executing(h.store, 'A');
    const stale = h.store.steps.journal(id, 'B');
    expect(await stale.start('workspace')).toBe(false);
    expect(await h.store.steps.list(id)).toEqual([]);
    await h.store.steps.journal(id, 'A').start('workspace');
    expect(await stale.finish('workspace', { ok: true, result: {} })).toBe(false);
    expect((await h.store.steps.list(id))[0]?.status).toBe('started');
  });

  it("keeps each operation's steps apart, and deletes them with the operation", async () => {
    const one = await executing(h.store, 'A');
    const two = await executing(h.store, 'A');
    await h.store.steps.journal(one, 'A').start('workspace');
    expect(await h.store.steps.list(two)).toEqual([]);
    await h.store.db.deleteFrom('operations').where('id', '=', one).execute();
    expect(await h.rawRows('operation_steps')).toEqual([]);
  });

  it('rolls a step write back with the transaction it is part of', async () => {
    const id = await executing(h.store, 'A');
    await expect(
      h.store.transaction(async (tx) => {
        await tx.steps.start(id, 'workspace', 'A');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await h.store.steps.list(id)).toEqual([]);
  });
});
