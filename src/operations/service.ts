import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { WebClient } from '@slack/web-api';
import type { Log } from '../log.js';
import { postWithFallbacks, tellUser, type Delivery, type Destination, type Message } from '../slack/notify.js';
import type { OperationRecord, Store, StoredAction } from '../store/index.js';
import { errorText } from '../slack/errors.js';

/** What an executor reports. `result` is kept with the operation, so it must hold no secret. */
export type Outcome =
  | { ok: true; id: string; slug: string; result: Record<string, unknown>; recovered: boolean }
  | { ok: false; error: string; unknown: boolean };
export type Success = Extract<Outcome, { ok: true }>;

/** One kind of operation: how to do it in Portkey, how to tell whether a crash left it done, what to say. */
export interface Executor {
  execute(op: OperationRecord, secrets: Record<string, unknown> | undefined, log: Log): Promise<Outcome>;
  /** After a crash mid-create: the resource if Portkey has it, undefined if not. Throws if it can't tell. */
  find(op: OperationRecord, secrets: Record<string, unknown> | undefined, log: Log): Promise<Success | undefined>;
  successMessage(op: OperationRecord, outcome: Success): Message;
}

export interface Submission {
  teamId: string;
  viewId: string;
  /** The form's generation within this modal (see ModalContext.attempt). */
  attempt: number;
  action: StoredAction;
  requesterId: string;
  channelId: string | undefined;
  responseUrl: string | undefined;
  /** The request as typed, without secrets. */
  request: unknown;
  secrets?: Record<string, unknown>;
}

export interface Finished {
  operation: OperationRecord | undefined;
  delivery?: Delivery;
  /** A failure notice held back while the modal shows the error; see {@link OperationService.settleNotice}. */
  heldNotice?: string;
}

interface OutboxPayload {
  to: Destination;
  message: Message;
  /** Private: to the requester only (response_url ephemeral or DM). Otherwise the channel, with fallbacks. */
  private: boolean;
}

// Short leases, renewed while the work runs: a replica that dies frees its work within seconds.
const LEASE_MS = 15_000;
const HEARTBEAT_MS = 5_000;
const SEND_LEASE_MS = 15_000;
/** A 'requested' operation this old was left by a process that died before running it. */
const ORPHAN_AFTER_MS = 30_000;
const MAX_SEND_ATTEMPTS = 8;
/** How long a failure shown in a modal waits before it is also sent privately (if not settled). */
const HOLD_MS = 30_000;

/**
 * Every submission becomes a stored operation that runs once and always ends with the person told.
 * Exactly-once comes from the store: a unique idempotency key per submission and conditional status
 * transitions, so two deliveries, two clicks or two replicas can't both create.
 */
export class OperationService {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly inFlight = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private dispatching = false;
  private sweeping = false;

  constructor(
    private readonly store: Store,
    private readonly executors: Record<StoredAction, Executor>,
    private readonly slack: WebClient,
    private readonly log: Log,
  ) {}

  /** Records the submission. A second delivery of the same one gets the existing operation back. */
  async submit(s: Submission): Promise<{ operation: OperationRecord; duplicate: boolean }> {
    const { operation, created } = await this.store.operations.create({
      // Slack re-delivers the same submission with the same view id and metadata: one operation for all.
      idempotencyKey: `${s.teamId}:${s.viewId}:${s.attempt}`,
      teamId: s.teamId,
      action: s.action,
      requesterId: s.requesterId,
      channelId: s.channelId ?? '',
      responseUrl: s.responseUrl ?? null,
      viewId: s.viewId,
      request: s.request,
      ...(s.secrets ? { secrets: s.secrets } : {}),
    });
    await this.audit(s.requesterId, s.action, operation.id, created ? 'submitted' : 'duplicate_submission');
    return { operation, duplicate: !created };
  }

  /** Runs a requested operation, if this process wins it. Resolves with the record and where the result went. */
  run(id: string): Promise<Finished> {
    return this.track(this.runOnce(id));
  }

  private async runOnce(id: string): Promise<Finished> {
    const won = await this.store.operations.transition(id, 'requested', 'executing', {
      leaseOwner: this.owner,
      leaseUntil: Date.now() + LEASE_MS,
    });
    if (!won.won) return { operation: won.current }; // another delivery or replica has it
    const op = won.operation;
    const log = this.log.child({ op: op.id, action: op.action });
    const executor = this.executors[op.action];
    let outcome: Outcome;
    const heartbeat = this.keepLease(op.id);
    try {
      const secrets = await this.store.secrets.takeSecrets(op.id);
      outcome = await executor.execute(op, secrets, log);
    } catch (err) {
      log.error({ error: errorText(err) }, 'operation failed unexpectedly');
      outcome = { ok: false, error: 'Something went wrong on our side. Nothing was created; please try again.', unknown: false };
    } finally {
      clearInterval(heartbeat);
    }
    return this.finish(op, outcome, log, true);
  }

  /**
   * Records the outcome (only while holding the lease), wipes the secrets and queues the notification.
   * A success is posted at once. A failure shown in the person's modal (`modal`) is held for a while:
   * the listener settles it when the modal showed the error, or sends it privately when it couldn't —
   * and if the process dies in between, the dispatcher sends it when the hold ends.
   */
  private async finish(op: OperationRecord, outcome: Outcome, log: Log, modal: boolean): Promise<Finished> {
    const done = await this.store.operations.transition(
      op.id,
      'executing',
      outcome.ok ? 'succeeded' : 'failed',
      outcome.ok
        ? { portkeyId: outcome.id, portkeySlug: outcome.slug, result: outcome.result, error: null }
        : { error: outcome.error },
      { leaseOwner: this.owner },
    );
    await this.store.secrets.wipeSecrets(op.id);
    if (!done.won) return { operation: done.current };
    const final = done.operation;
    await this.audit(final.requesterId, `${final.action}.portkey`, outcome.ok ? outcome.slug : final.id, outcome.ok ? 'succeeded' : 'failed', {
      ...(outcome.ok ? { id: outcome.id, slug: outcome.slug, recovered: outcome.recovered } : { error: outcome.error }),
    });
    const to: Destination = {
      userId: final.requesterId,
      ...(final.channelId ? { channelId: final.channelId } : {}),
      ...(final.responseUrl ? { responseUrl: final.responseUrl } : {}),
    };
    const payload: OutboxPayload = outcome.ok
      ? { to, message: this.executors[final.action].successMessage(final, outcome), private: false }
      : { to, message: { text: `Your request was not completed: ${outcome.error}` }, private: true };
    const hold = !outcome.ok && modal;
    const note = await this.store.notifications.enqueue({
      operationId: final.id,
      kind: 'result',
      payload,
      ...(hold ? { nextAttemptAt: Date.now() + HOLD_MS } : {}),
    });
    log.info({ status: final.status }, 'operation finished');
    if (hold) return { operation: final, heldNotice: note.id };
    const delivery = await this.deliver(note.id, payload);
    return { operation: final, ...(delivery ? { delivery } : {}) };
  }

  /** A held failure notice: done when the modal showed the error, else sent privately now. */
  async settleNotice(id: string, shownInModal: boolean): Promise<void> {
    const note = await this.store.notifications.get(id);
    if (!note || note.status !== 'pending') return;
    if (shownInModal) {
      if (await this.store.notifications.claim(id, SEND_LEASE_MS, note.nextAttemptAt)) await this.store.notifications.markSent(id);
      return;
    }
    await this.deliver(id, note.payload as OutboxPayload, note.nextAttemptAt);
  }

  /** Sends one queued notification, if no one else is. Failures are retried later by the dispatcher. */
  private async deliver(id: string, payload: OutboxPayload, dueAt = Date.now()): Promise<Delivery | undefined> {
    if (!(await this.store.notifications.claim(id, SEND_LEASE_MS, Math.max(dueAt, Date.now())))) return undefined;
    const delivery = payload.private
      ? (await tellUser(this.slack, payload.to, payload.message, this.log)) ? 'dm' : 'none'
      : await postWithFallbacks(this.slack, payload.to, payload.message, this.log);
    const note = await this.store.notifications.get(id);
    if (delivery !== 'none') {
      await this.store.notifications.markSent(id);
    } else {
      const attempts = (note?.attempts ?? 0) + 1;
      const retryAt = attempts >= MAX_SEND_ATTEMPTS ? null : Date.now() + Math.min(5000 * 2 ** attempts, 10 * 60_000);
      await this.store.notifications.markFailed(id, 'no route to the user worked', retryAt);
      if (retryAt === null) this.log.error({ notification: id }, 'gave up sending a notification');
    }
    await this.audit('app', 'notification', note?.operationId ?? id, delivery === 'none' ? 'failed' : `sent:${delivery}`);
    return delivery;
  }

  /** Sends what is due (after a restart, or after a failed attempt). */
  async dispatch(): Promise<void> {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (const n of await this.store.notifications.due(Date.now(), 20)) {
        await this.deliver(n.id, n.payload as OutboxPayload);
      }
    } catch (err) {
      this.log.warn({ error: errorText(err) }, 'notification dispatch failed');
    } finally {
      this.dispatching = false;
    }
  }

  /** Renews this process's lease on an operation while it works on it. */
  private keepLease(id: string): NodeJS.Timeout {
    const timer = setInterval(() => {
      this.store.operations.claim(id, this.owner, LEASE_MS).catch((err: unknown) => this.log.warn({ op: id, error: errorText(err) }, 'could not renew a lease'));
    }, HEARTBEAT_MS);
    timer.unref();
    return timer;
  }

  /**
   * At start: an embedded store belongs to this process alone, so every lease in it is stale (its
   * holder died) and every pending notification may go now. Then the usual sweep.
   */
  async start(): Promise<number> {
    if (this.store.engine === 'sqlite') {
      await this.store.operations.releaseLeases();
      await this.store.notifications.makeAllDue();
    }
    return this.recover();
  }

  /**
   * Finish what a crash left behind (at start, then on every dispatcher tick). Operations still 'requested' run now (their secrets are
   * sealed in the store). Ones caught 'executing' are never re-sent blindly: Portkey is asked whether
   * the resource exists, and the operation is closed as succeeded or failed accordingly.
   */
  async recover(): Promise<number> {
    const now = Date.now();
    // A fresh 'requested' one is about to be run by the listener that stored it.
    const unfinished = (await this.store.operations.listUnfinished(now)).filter(
      (op) => op.status !== 'requested' || op.createdAt < now - ORPHAN_AFTER_MS,
    );
    for (const op of unfinished) {
      const log = this.log.child({ op: op.id, action: op.action, recovery: true });
      if (op.status === 'requested') {
        await this.run(op.id);
        continue;
      }
      const claimed = await this.store.operations.claim(op.id, this.owner, LEASE_MS);
      if (!claimed) continue;
      log.warn('found an operation a stopped process left mid-create; checking Portkey');
      let outcome: Outcome;
      const heartbeat = this.keepLease(op.id);
      try {
        const secrets = await this.store.secrets.takeSecrets(op.id);
        const found = await this.executors[op.action].find(claimed, secrets, log);
        outcome = found ?? {
          ok: false,
          error: 'The app restarted while this was being created, and Portkey has no record of it. Nothing was created; please submit it again.',
          unknown: false,
        };
      } catch (err) {
        log.warn({ error: errorText(err) }, 'recovery lookup failed; will try again when the lease ends');
        continue;
      } finally {
        clearInterval(heartbeat);
      }
      await this.track(this.finish(claimed, outcome, log, false));
    }
    await this.dispatch();
    return unfinished.length;
  }

  /** Every few seconds: pick up work whose holder died (another replica, or a crash) and send what is due. */
  startDispatcher(everyMs = 5000): void {
    this.timer ??= setInterval(() => void this.track(this.sweep()), everyMs);
    this.timer.unref();
  }

  private async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      await this.recover();
    } catch (err) {
      this.log.warn({ error: errorText(err) }, 'recovery sweep failed');
    } finally {
      this.sweeping = false;
    }
  }

  /** Stops the dispatcher and waits (bounded) for work in flight. Returns how many were still running. */
  async stop(timeoutMs: number): Promise<number> {
    clearInterval(this.timer);
    this.timer = undefined;
    let t: NodeJS.Timeout | undefined;
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => (t = setTimeout(r, timeoutMs)))]);
    clearTimeout(t);
    return this.inFlight.size;
  }

  async audit(actorId: string, action: string, target: string, outcome: string, detail?: Record<string, unknown>): Promise<void> {
    try {
      await this.store.audit.append({ actorId, action, target, outcome, ...(detail ? { detail } : {}) });
    } catch (err) {
      this.log.error({ error: errorText(err) }, 'could not write the audit log');
    }
  }

  private track<T>(work: Promise<T>): Promise<T> {
    this.inFlight.add(work);
    const forget = () => this.inFlight.delete(work);
    work.then(forget, forget);
    return work;
  }
}
