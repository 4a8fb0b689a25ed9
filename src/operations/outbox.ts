import type { WebClient } from '@slack/web-api';
import type { Log } from '../log.js';
import type { ModalView } from '@slack/types';
import { errorText, slackErrorCode } from '../slack/errors.js';
import { postWithFallbacks, tellUser, type Delivery, type Destination, type Message } from '../slack/notify.js';
import type { NotificationRecord, OperationRecord, Repositories, Store } from '../store/index.js';
import { governanceOf } from './governance.js';

/** What a queued notification delivers. Stored as JSON, so it must hold no secret. */
export type OutboxPayload =
  /** To the requester: the channel with fallbacks, or privately (response_url ephemeral or DM). */
  | { type?: 'notify'; to: Destination; message: Message; private: boolean }
  /** The approval request, drawn from the operation's state when sent: posted once (`post`), then updated. */
  | { type: 'approval'; operationId: string; post: boolean }
  /** A line in a fixed channel (the audit channel). */
  | { type: 'channel'; channel: string; message: Message }
  /** The requester's modal, if still open, brought up to date with the operation (after an approval decision). */
  | { type: 'view'; operationId: string };

/** Where a notification is queued: the store, or a transaction (the row then commits with the step that owes it). */
type Queue = Pick<Repositories, 'notifications'>;

const SEND_LEASE_MS = 15_000;
const MAX_SEND_ATTEMPTS = 8;
/**
 * An update waiting for a message that was never posted: checked again after 2 s, 4 s, … (at most 5 minutes
 * apart), 12 times — about half an hour, longer than the post itself is retried (8 attempts, about 20 minutes).
 * Then it is given up, and the audit says so.
 */
const MAX_WAITS = 12;
const waitBefore = (waits: number): number => Math.min(2000 * 2 ** Math.max(0, waits - 1), 5 * 60_000);

/**
 * The notification outbox: every message the app owes someone is stored first, then sent; a send that fails
 * is retried with backoff by whichever replica's dispatcher gets to it first (a claim makes it one sender).
 */
export class Outbox {
  private dispatching = false;

  constructor(
    private readonly store: Store,
    private readonly slack: WebClient,
    private readonly log: Log,
    /** The approval message and the requester's modal, for an operation's current state. */
    private readonly render: { approval(op: OperationRecord): Message; view(op: OperationRecord): ModalView },
    private readonly audit: (actorId: string, action: string, target: string, outcome: string) => Promise<void>,
  ) {}

  async enqueue(operationId: string | null, kind: string, payload: OutboxPayload, dueAt?: number): Promise<string> {
    return this.queue(this.store, operationId, kind, payload, dueAt);
  }

  /** Queues through `tx` (a transaction: the row commits with the step that owes it). Returns its id. */
  async queue(tx: Queue, operationId: string | null, kind: string, payload: OutboxPayload, dueAt?: number): Promise<string> {
    const note = await tx.notifications.enqueue({ operationId, kind, payload, ...(dueAt !== undefined ? { nextAttemptAt: dueAt } : {}) });
    return note.id;
  }

  /**
   * Queues a notification already claimed by this process (due only once the send lease ends), for sending at once
   * with {@link sendClaimed}: the claim and the read deliver() would make are saved. If the process dies first, it
   * is due when the lease ends (at once after an embedded restart), like any claimed notification.
   */
  queueClaimed(tx: Queue, operationId: string, kind: string, payload: OutboxPayload): Promise<NotificationRecord> {
    return tx.notifications.enqueue({ operationId, kind, payload, nextAttemptAt: Date.now() + SEND_LEASE_MS });
  }

  /** Sends one queued notification, if no one else is. Failures are retried later by the dispatcher. */
  async deliver(id: string, dueAt = Date.now()): Promise<Delivery | 'modal' | undefined> {
    if (!(await this.store.notifications.claim(id, SEND_LEASE_MS, Math.max(dueAt, Date.now())))) return undefined;
    const note = await this.store.notifications.get(id);
    if (!note) return undefined;
    return this.sendClaimed(note);
  }

  /** Sends a notification whose claim this process holds (deliver took it, or queueClaimed queued it so). */
  async sendClaimed(note: NotificationRecord): Promise<Delivery | 'modal' | undefined> {
    const { id } = note;
    const payload = note.payload as OutboxPayload;
    let delivery: Delivery | 'modal' | 'later';
    try {
      delivery = await this.send(payload);
    } catch (err) {
      this.log.warn({ notification: id, error: errorText(err) }, 'could not send a notification');
      delivery = 'none';
    }
    if (delivery === 'later') {
      // Waiting on something else (the approval message isn't posted yet): not a failed send, but not forever.
      const waits = note.attempts + 1;
      if (waits < MAX_WAITS) {
        await this.store.notifications.markFailed(id, 'waiting', Date.now() + waitBefore(waits));
        return undefined;
      }
      await this.store.notifications.markFailed(id, 'gave up waiting: the message it updates was never posted', null);
      this.log.error({ notification: id, kind: note.kind, waits }, 'gave up a notification that waited for a message never posted');
      await this.audit('app', 'notification', note.operationId ?? id, 'gave_up:waiting');
      return undefined;
    }
    if (delivery !== 'none') {
      await this.store.notifications.markSent(id);
    } else {
      const attempts = note.attempts + 1;
      const retryAt = attempts >= MAX_SEND_ATTEMPTS ? null : Date.now() + Math.min(5000 * 2 ** attempts, 10 * 60_000);
      await this.store.notifications.markFailed(id, 'no route worked', retryAt);
      if (retryAt === null) {
        this.log.error({ notification: id, kind: note.kind }, 'gave up sending a notification');
        if (payload.type === 'approval' && payload.post) await this.approvalUndeliverable(payload.operationId);
      }
    }
    await this.audit('app', 'notification', note.operationId ?? id, delivery === 'none' ? 'failed' : `sent:${delivery}`);
    return delivery;
  }

  private async send(payload: OutboxPayload): Promise<Delivery | 'modal' | 'later'> {
    switch (payload.type) {
      case 'view':
        return this.sendView(payload.operationId);
      case 'approval':
        return this.sendApproval(payload.operationId, payload.post);
      case 'channel':
        await this.slack.chat.postMessage({
          channel: payload.channel,
          text: payload.message.text,
          blocks: payload.message.blocks,
          unfurl_links: false,
          unfurl_media: false,
        });
        return 'channel';
      default:
        return payload.private
          ? ((await tellUser(this.slack, payload.to, payload.message, this.log)) ?? 'none')
          : postWithFallbacks(this.slack, payload.to, payload.message, this.log);
    }
  }

  /** Updates the requester's modal; a modal they closed meanwhile is nothing to retry. */
  private async sendView(operationId: string): Promise<'modal'> {
    const op = await this.store.operations.get(operationId);
    if (!op?.viewId) return 'modal';
    try {
      await this.slack.views.update({ view_id: op.viewId, view: this.render.view(op) });
    } catch (err) {
      const code = slackErrorCode(err);
      if (code !== 'not_found' && code !== 'view_not_found') throw err;
    }
    return 'modal';
  }

  /** Posts the approval request, or brings it up to date with the operation's state. */
  private async sendApproval(operationId: string, post: boolean): Promise<Delivery | 'later'> {
    const op = await this.store.operations.get(operationId);
    if (!op) return 'channel'; // nothing left to show
    let at: { channel: string; ts: string };
    if (op.approvalTs && op.approvalChannel) {
      at = { channel: op.approvalChannel, ts: op.approvalTs };
      await this.showApproval(op, at);
    } else {
      if (!post) return 'later';
      const channel = governanceOf(op)?.channel;
      if (!channel) {
        this.log.error({ op: op.id }, 'no approvals channel for a request that needs approval');
        return 'none';
      }
      const m = this.render.approval(op);
      const res = await this.slack.chat.postMessage({ channel, text: m.text, blocks: m.blocks, unfurl_links: false, unfurl_media: false });
      if (!res.ts) return 'none';
      at = { channel: res.channel ?? channel, ts: res.ts };
      await this.store.operations.setApprovalMessage(op.id, at.channel, at.ts);
    }
    // Decided while this was on its way? The last word must be the newest state.
    const now = await this.store.operations.get(op.id);
    if (now && now.status !== op.status) await this.showApproval(now, at);
    return 'channel';
  }

  private async showApproval(op: OperationRecord, at: { channel: string; ts: string }): Promise<void> {
    const m = this.render.approval(op);
    await this.slack.chat.update({ channel: at.channel, ts: at.ts, text: m.text, blocks: m.blocks ?? [] });
  }

  /** The approvers were never asked: the requester learns it now rather than when the request expires. */
  private async approvalUndeliverable(operationId: string): Promise<void> {
    const op = await this.store.operations.get(operationId);
    if (op?.status !== 'awaiting_approval') return;
    const channel = governanceOf(op)?.channel;
    const text =
      `:warning: Your request couldn't be posted for approval${channel ? ` in <#${channel}>` : ''} (the app may not be a member there). ` +
      'It is still pending: an approver can decide on it with `/portkey pending`, or an admin can invite the app to the approvals channel.';
    const note = await this.enqueue(op.id, 'approval_undeliverable', {
      to: { userId: op.requesterId, ...(op.responseUrl ? { responseUrl: op.responseUrl } : {}) },
      message: { text },
      private: true,
    });
    await this.deliver(note);
  }

  /** Sends what is due (after a restart, or after a failed attempt). */
  async dispatch(): Promise<void> {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (const n of await this.store.notifications.due(Date.now(), 20)) await this.deliver(n.id);
    } catch (err) {
      this.log.warn({ error: errorText(err) }, 'notification dispatch failed');
    } finally {
      this.dispatching = false;
    }
  }
}
