import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ModalView } from '@slack/types';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLog } from '../../src/log.js';
import { Outbox } from '../../src/operations/outbox.js';
import { openStore, type OperationRecord, type Store } from '../../src/store/index.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';

// The outbox's approval deliveries against a real store and the fake Slack.

let slack: FakeSlack;
let store: Store;
let outbox: Outbox;
const audited: string[] = [];

beforeAll(async () => {
  slack = await startFakeSlack();
  const dir = mkdtempSync(path.join(tmpdir(), 'outbox-'));
  store = await openStore({ dataDir: path.join(dir, 'data'), secretsKeyFile: path.join(dir, 'secrets.key') });
  const client = new WebClient('xoxb-test-token', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } });
  const render = {
    approval: (op: OperationRecord) => ({ text: `approval for ${op.id}: ${op.status}` }),
    view: (op: OperationRecord): ModalView => ({ type: 'modal', title: { type: 'plain_text', text: op.status }, blocks: [] }),
  };
  outbox = new Outbox(store, client, createLog('silent'), render, async (actor, action, target, outcome) => {
    audited.push(`${actor} ${action} ${target} ${outcome}`);
  });
});

afterAll(async () => {
  await store.close();
  await slack.close();
});

async function pending(n: number) {
  const { operation } = await store.operations.create({
    idempotencyKey: `T1:V${n}:0`,
    teamId: 'T1',
    action: 'workspace.create',
    requesterId: 'UREQ',
    channelId: 'C0REQ',
    request: { draft: { name: 'x' } },
    status: 'awaiting_approval',
    expiresAt: Date.now() + 60_000,
    governance: {
      effect: 'require_approval',
      rule: 'r',
      approvers: { users: ['UAPP'], groups: [] },
      channel: 'C0PRIVATE',
      reservations: [],
    },
  });
  return operation;
}

describe('approval messages', () => {
  it('posts once, records where, then updates the same message', async () => {
    const op = await pending(1);
    const post = await outbox.enqueue(op.id, 'approval', { type: 'approval', operationId: op.id, post: true });
    expect(await outbox.deliver(post)).toBe('channel');
    const posted = slack.callsTo('chat.postMessage').at(-1);
    expect(posted?.args).toMatchObject({ channel: 'C0PRIVATE', text: `approval for ${op.id}: awaiting_approval` });
    const stored = await store.operations.get(op.id);
    expect(stored).toMatchObject({ approvalChannel: 'C0PRIVATE', approvalTs: posted?.response?.ts });

    await store.operations.transition(op.id, 'awaiting_approval', 'denied', { decidedBy: 'UAPP' });
    const update = await outbox.enqueue(op.id, 'approval', { type: 'approval', operationId: op.id, post: false });
    expect(await outbox.deliver(update)).toBe('channel');
    expect(slack.callsTo('chat.update').at(-1)?.args).toMatchObject({
      channel: 'C0PRIVATE',
      ts: posted?.response?.ts,
      text: `approval for ${op.id}: denied`,
    });
    expect(slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0PRIVATE')).toHaveLength(1);
  });

  it('an update before the message exists waits for it, without counting a failed attempt', async () => {
    const op = await pending(2);
    const update = await outbox.enqueue(op.id, 'approval', { type: 'approval', operationId: op.id, post: false });
    expect(await outbox.deliver(update)).toBeUndefined();
    expect(await store.notifications.get(update)).toMatchObject({ status: 'pending', lastError: 'waiting' });
  });

  it('an update whose message is never posted waits longer each time, then is given up, and the audit says so', async () => {
    const op = await pending(4);
    const update = await outbox.enqueue(op.id, 'approval', { type: 'approval', operationId: op.id, post: false });
    const gaps: number[] = [];
    for (let i = 0; i < 11; i += 1) {
      const before = Date.now();
      expect(await outbox.deliver(update)).toBeUndefined();
      const note = await store.notifications.get(update);
      expect(note).toMatchObject({ status: 'pending', lastError: 'waiting' });
      gaps.push(Math.round(((note?.nextAttemptAt ?? 0) - before) / 1000));
      await store.db.updateTable('notifications').set({ next_attempt_at: Date.now() }).where('id', '=', update).execute();
    }
    // 2 s, 4 s, 8 s, … capped at 5 minutes.
    expect(gaps).toEqual([2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]);
    expect(audited.filter((a) => a.includes(op.id))).toEqual([]);

    expect(await outbox.deliver(update)).toBeUndefined();
    expect(await store.notifications.get(update)).toMatchObject({
      status: 'failed',
      lastError: 'gave up waiting: the message it updates was never posted',
    });
    expect(audited.filter((a) => a.includes(op.id))).toEqual([`app notification ${op.id} gave_up:waiting`]);
    // Nothing is due any more: the dispatcher stops asking.
    expect((await store.notifications.due(Date.now() + 24 * 60 * 60_000)).map((n) => n.id)).not.toContain(update);
    expect(slack.callsTo('chat.update').filter((c) => String(c.args.text).includes(op.id))).toEqual([]);
  });

  it('tells the requester when the approval request could never be posted', async () => {
    const op = await pending(3);
    const post = await outbox.enqueue(op.id, 'approval', { type: 'approval', operationId: op.id, post: true });
    // Seven attempts already failed; the eighth is the last.
    for (let i = 0; i < 7; i += 1) await store.notifications.markFailed(post, 'no route worked', Date.now());
    slack.fail('chat.postMessage', 'not_in_channel', { times: 1 });
    expect(await outbox.deliver(post)).toBe('none');
    expect(await store.notifications.get(post)).toMatchObject({ status: 'failed' });
    const dm = slack.callsTo('chat.postMessage').at(-1);
    expect(dm?.args.channel).toBe('DUREQ');
    expect(String(dm?.args.text)).toBe(
      ":warning: Your request couldn't be posted for approval in <#C0PRIVATE> (the app may not be a member there). It is still pending: an approver can decide on it with `/portkey pending`, or an admin can invite the app to the approvals channel.",
    );
  });
});

describe('a notice queued already claimed', () => {
  it('commits with its transaction, is not due to anyone else during the send lease, and is sent from the record in hand', async () => {
    const op = await pending(50);
    const payload = { type: 'channel' as const, channel: 'C0RESULT', message: { text: 'created' } };
    const note = await store.transaction((tx) => outbox.queueClaimed(tx, op.id, 'result', payload));
    expect(note.nextAttemptAt).toBeGreaterThan(Date.now() + 10_000);
    expect((await store.notifications.due(Date.now())).map((n) => n.id)).not.toContain(note.id);
    // Another sender (the dispatcher, a replica) can't take it while this one holds it.
    expect(await outbox.deliver(note.id)).toBeUndefined();

    expect(await outbox.sendClaimed(note)).toBe('channel');
    expect(slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C0RESULT')).toHaveLength(1);
    expect(await store.notifications.get(note.id)).toMatchObject({ status: 'sent', attempts: 1 });
  });

  it('is not kept when its transaction rolls back', async () => {
    const op = await pending(51);
    let queued: string | undefined;
    await expect(
      store.transaction(async (tx) => {
        queued = (await outbox.queueClaimed(tx, op.id, 'result', { type: 'channel', channel: 'C0RESULT', message: { text: 'x' } })).id;
        throw new Error('the step failed after queueing');
      }),
    ).rejects.toThrow('the step failed');
    expect(queued).toBeDefined();
    expect(await store.notifications.get(queued ?? '')).toBeUndefined();
  });
});
