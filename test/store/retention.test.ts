import { describe, expect, it } from 'vitest';
import { pruneOnTick, type OperationState, type Pruned } from '../../src/store/index.js';
import { submissionKey } from '../../src/operations/keys.js';
import { describeEngines } from './harness.js';

// Retention on the dispatcher tick: what is finished and old goes; nothing unfinished or still owed ever does.

const DAY = 24 * 60 * 60_000;
let clock = Date.UTC(2026, 0, 1);

describeEngines(
  'pruning',
  (h) => {
    const op = async (viewId: string, status: OperationState, at: number, secrets = false) => {
      clock = at;
      const { operation } = await h.store.operations.create({
        idempotencyKey: submissionKey('T1', viewId, 0),
        teamId: 'T1',
        action: 'workspace.create',
        requesterId: 'U1',
        channelId: 'C1',
        request: { name: viewId },
        status,
        ...(secrets ? { secrets: { key: 'sk-leftover-0123456789' } } : {}),
      });
      return operation.id;
    };

    it('deletes finished operations and delivered notifications past RETENTION_DAYS, never unfinished ones', async () => {
      const start = Date.UTC(2026, 0, 1);
      const old = start;
      const ids: Record<string, string> = {};
      for (const s of ['succeeded', 'failed', 'denied', 'expired', 'cancelled'] as const) ids[s] = await op(`old-${s}`, s, old);
      for (const s of ['requested', 'awaiting_approval', 'approved', 'executing'] as const) ids[s] = await op(`old-${s}`, s, old);
      ids.recent = await op('recent', 'succeeded', start + 80 * DAY);
      ids.owed = await op('owed', 'succeeded', old);
      clock = old;
      const sent = await h.store.notifications.enqueue({ operationId: ids.succeeded ?? null, kind: 'result', payload: {} });
      await h.store.notifications.markSent(sent.id);
      const owed = await h.store.notifications.enqueue({ operationId: ids.owed ?? null, kind: 'result', payload: {} });
      await h.store.audit.append({ actorId: 'U1', action: 'workspace.create', target: 'x', outcome: 'submitted' });

      clock = start + 91 * DAY;
      const pruned = await h.store.prune({ retentionMs: 90 * DAY });

      expect(pruned).toEqual({ secrets: 0, operations: 5, notifications: 1, rateCounters: 0, audit: 0 } satisfies Pruned);
      const left = (await h.rawRows('operations')).map((r) => String(r.id)).sort();
      expect(left).toEqual([ids.requested, ids.awaiting_approval, ids.approved, ids.executing, ids.recent, ids.owed].map(String).sort());
      expect((await h.rawRows('notifications')).map((r) => r.id)).toEqual([owed.id]);
      // The audit log is kept whole unless AUDIT_RETENTION_DAYS says otherwise.
      expect(await h.rawRows('audit')).toHaveLength(1);
      expect((await h.store.prune({ retentionMs: 90 * DAY, auditRetentionMs: 30 * DAY })).audit).toBe(1);
    });

    it('wipes secrets a finished operation left behind (a crash between finishing and wiping), at once', async () => {
      const done = await op('leftover', 'succeeded', clock, true);
      const waiting = await op('waiting', 'awaiting_approval', clock, true);
      const pruned = await h.store.prune({ retentionMs: 90 * DAY });
      expect(pruned.secrets).toBe(1);
      expect((await h.rawRows('operation_secrets')).map((r) => r.operation_id)).toEqual([waiting]);
      expect(await h.store.secrets.readSecrets(done)).toBeUndefined();
    });

    it('deletes rate counters whose window has ended, and keeps the current ones', async () => {
      const t = Date.UTC(2026, 0, 1, 12);
      await h.store.rates.reserve('u:U1:minute', 60_000, 5, t);
      await h.store.rates.reserve('u:U1:day', DAY, 5, t);
      clock = t + 2 * 60_000;
      expect((await h.store.prune({ retentionMs: 90 * DAY })).rateCounters).toBe(1);
      expect((await h.rawRows('rate_counters')).map((r) => r.key)).toEqual(['u:U1:day']);
      expect(await h.store.rates.current('u:U1:day', DAY, clock)).toBe(1);
    });
  },
  { now: () => clock },
);

describe('pruneOnTick', () => {
  it('prunes at most once per interval, and logs a failure instead of throwing', async () => {
    let t = 0;
    let calls = 0;
    const warnings: string[] = [];
    const tick = pruneOnTick(
      async () => {
        calls += 1;
        if (calls === 2) throw new Error('database is locked');
        return { secrets: 0, operations: 0, notifications: 0, rateCounters: 0, audit: 0 };
      },
      { retentionMs: DAY },
      { info: () => {}, warn: (_o, msg) => warnings.push(msg ?? '') },
      60_000,
      () => t,
    );
    await tick();
    t = 30_000;
    await tick();
    expect(calls).toBe(1);
    t = 61_000;
    await tick();
    expect(calls).toBe(2);
    expect(warnings).toEqual(['store: pruning failed; will try again']);
  });
});
