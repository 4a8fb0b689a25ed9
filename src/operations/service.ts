import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { WebClient } from '@slack/web-api';
import type { Log } from '../log.js';
import type { Destination } from '../slack/notify.js';
import type { OperationRecord, Repositories, StepJournal, Store, StoredAction } from '../store/index.js';
import { errorText } from '../slack/errors.js';
import { mention } from '../slack/escape.js';
import { slackDate } from '../slack/format.js';
import { governanceOf, type Governance, type Verdict } from './governance.js';
import { submissionKey } from './keys.js';
import { failureResult } from './failure.js';
import { faultPoint } from './faults.js';
import { countedTransaction } from './endings.js';
import { Outbox, type OutboxPayload } from './outbox.js';
import type { Summary } from './summary.js';
import { maskPlan } from './plan.js';
import type {
  DecideResult,
  Executor,
  Finished,
  FollowUpResult,
  OperationCounts,
  Outcome,
  Previewed,
  Renderers,
  Submission,
  Submitted,
} from './types.js';

export type {
  DecideResult,
  Executor,
  Finished,
  FollowUp,
  FollowUpResult,
  OperationCounts,
  Outcome,
  Plan,
  PlannedCall,
  Previewed,
  Renderers,
  Submission,
  Submitted,
  Success,
} from './types.js';

// Short leases, renewed while the work runs: a replica that dies frees its work within seconds.
const LEASE_MS = 15_000;
const HEARTBEAT_MS = 5_000;
/** "Retry enabling" and the like: at most this many runs of one operation's follow-up step per hour (fixed window). */
const FOLLOW_UP_MAX = 3;
const FOLLOW_UP_WINDOW_MS = 3_600_000;
/** A 'requested' or 'approved' operation this old was left by a process that died before running it. */
const ORPHAN_AFTER_MS = 30_000;

/**
 * Every submission becomes a stored operation that runs once and always ends with the person told.
 * Exactly-once comes from the store: a unique idempotency key per submission and conditional status
 * transitions, so two deliveries, two clicks or two replicas can't both create.
 */
export class OperationService {
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private readonly inFlight = new Set<Promise<unknown>>();
  private timer: NodeJS.Timeout | undefined;
  private sweeping = false;
  readonly outbox: Outbox;
  private readonly render: Renderers;

  constructor(
    private readonly store: Store,
    private readonly executors: Record<StoredAction, Executor>,
    slack: WebClient,
    private readonly log: Log,
    readonly governance: Governance,
    private readonly opts: {
      auditChannel?: string | undefined;
      /** The approval message, the requester's notes and modal, audit lines: built by the app from the features. */
      renderers: Renderers;
      /** Retention: pruning run on the dispatcher tick (see store/retention.ts). */
      prune?: () => Promise<void>;
      /** Told after an operation's state changed and was committed (the Home tab republishes). Must not throw. */
      onChange?: (op: OperationRecord) => void;
      /** Metrics: operations by action and outcome (see `step`). */
      counts?: OperationCounts;
    },
  ) {
    this.render = opts.renderers;
    this.outbox = new Outbox(
      store,
      slack,
      log,
      { approval: (op) => this.render.approval(op, this.summary(op)), view: (op) => this.render.view(op) },
      (a, b, c, d) => this.audit(a, b, c, d),
    );
  }

  /**
   * Records the submission with the policy's verdict: ready to run, awaiting approval, or refused (denied or
   * over a rate limit, with nothing held). A second delivery of the same submission gets the first one back.
   * Throws DirectoryError when Slack can't say which groups the person is in: the caller asks them to retry.
   */
  async submit(s: Submission): Promise<Submitted> {
    // Slack re-delivers the same submission with the same view id and metadata: one operation for all.
    const idempotencyKey = submissionKey(s.teamId, s.viewId, s.attempt);
    const existing = await this.store.operations.getByIdempotencyKey(idempotencyKey);
    if (existing) {
      await this.audit(s.requesterId, s.action, existing.id, 'duplicate_submission');
      return { operation: existing, duplicate: true, queued: [] };
    }
    const verdict = await this.verdictOf(s, false);
    const reservations = verdict.governance.reservations;
    let stored: Submitted;
    try {
      stored = await this.step((tx) => this.recordSubmission(tx, s, idempotencyKey, verdict));
    } catch (err) {
      // Nothing was kept: the quota taken for it goes back.
      await this.governance.release(reservations).catch(() => undefined);
      throw err;
    }
    if (stored.duplicate) await this.governance.release(reservations);
    else this.changed(stored.operation);
    return stored;
  }

  /**
   * The policy's verdict on a submission, quota reserved — or, `dry` (the preview), read only. Decided without
   * Portkey's view of its ids, or beyond what approvers can be shown whole, it is refused.
   */
  private async verdictOf(s: Submission, dry: boolean): Promise<Verdict> {
    const who = { userId: s.requesterId, teamId: s.teamId, channelId: s.channelId };
    let verdict: Verdict = dry
      ? await this.governance.dryCheck(s.action, s.subject ?? {}, who)
      : await this.governance.check(s.action, s.subject ?? {}, who);
    if (s.unresolved && verdict.status !== 'denied') {
      // Decided without Portkey's view of its ids: never allowed or sent for approval on that.
      await this.governance.release(verdict.governance.reservations);
      verdict = {
        status: 'denied',
        governance: {
          effect: 'deny',
          rule: null,
          reason: 'The rate limit window just turned over while this was checked. Submit it again.',
          reservations: [],
        },
      };
    }
    // An approval that couldn't show approvers where the key goes, whole, is refused before anything is posted.
    const fits =
      verdict.status === 'awaiting_approval'
        ? this.render.approvalFits(this.executors[s.action].describe({ request: s.request }))
        : { ok: true as const };
    if (!fits.ok) {
      await this.governance.release(verdict.governance.reservations);
      verdict = { status: 'denied', governance: { effect: 'deny', rule: verdict.governance.rule, reason: fits.why, reservations: [] } };
    }
    return verdict;
  }

  /**
   * A dry run of a submission: the policy's verdict now and the Portkey calls it would make, secrets masked.
   * Nothing is stored, no quota is taken, nothing is sent. Throws DirectoryError, like submit.
   */
  async preview(s: Submission): Promise<Previewed> {
    const verdict = await this.verdictOf(s, true);
    const plan = this.executors[s.action].plan?.({ request: s.request }, s.secrets);
    return { verdict, calls: plan ? maskPlan(plan, s.secrets) : undefined };
  }

  private changed(op: OperationRecord): void {
    try {
      this.opts.onChange?.(op);
    } catch (err) {
      this.log.warn({ error: errorText(err) }, 'a change listener failed');
    }
  }

  /** The submission's writes, one transaction: the operation (and its sealed secrets), its audit rows, its outbox rows. */
  private async recordSubmission(tx: Repositories, s: Submission, idempotencyKey: string, verdict: Verdict): Promise<Submitted> {
    const { operation, created } = await tx.operations.create({
      idempotencyKey,
      teamId: s.teamId,
      action: s.action,
      requesterId: s.requesterId,
      channelId: s.channelId ?? '',
      responseUrl: s.responseUrl ?? null,
      viewId: s.viewId,
      request: s.request,
      status: verdict.status,
      governance: verdict.governance,
      ...(verdict.status === 'awaiting_approval' ? { expiresAt: verdict.expiresAt } : {}),
      // A refused request never needs its secrets: they are not stored at all.
      ...(s.secrets && verdict.status !== 'denied' ? { secrets: s.secrets } : {}),
    });
    faultPoint('submit.stored');
    if (!created) {
      await this.auditIn(tx, s.requesterId, s.action, operation.id, 'duplicate_submission');
      return { operation, duplicate: true, queued: [] };
    }
    const g = verdict.governance;
    await this.auditIn(tx, s.requesterId, s.action, operation.id, 'submitted');
    const policyOutcome = g.effect === 'require_approval' ? 'approval_required' : g.effect === 'allow' ? 'allowed' : g.effect;
    await this.auditIn(tx, s.requesterId, `${s.action}.policy`, operation.id, policyOutcome, {
      rule: g.rule,
      ...(g.reason ? { reason: g.reason } : {}),
      ...(g.retryAt ? { retryAt: new Date(g.retryAt).toISOString() } : {}),
    });
    const queued: string[] = [];
    if (verdict.status === 'awaiting_approval') {
      queued.push(await this.outbox.queue(tx, operation.id, 'approval', { type: 'approval', operationId: operation.id, post: true }));
      const note = this.render.pending(operation, this.summary(operation));
      queued.push(await this.outbox.queue(tx, operation.id, 'pending', { to: destinationOf(operation), message: note, private: false }));
    }
    if (verdict.status !== 'requested') queued.push(...(await this.auditToChannel(tx, operation)));
    return { operation, duplicate: false, queued };
  }

  /** Sends notifications a submission or decision queued (they stay queued for the dispatcher if this fails). */
  async send(queued: readonly string[]): Promise<void> {
    for (const id of queued)
      await this.outbox.deliver(id).catch((err: unknown) => this.log.warn({ error: errorText(err) }, 'could not send a notification'));
  }

  /**
   * An approver's Approve or Deny. Exactly one decision wins, however many clicks, approvers or replicas: the
   * store moves the operation out of 'awaiting_approval' once. Eligibility comes from the stored decision and
   * the clicker's groups, never from the message. An approved operation starts at once (tracked); the
   * notifications are left for the caller to send after answering Slack.
   */
  async decide(id: string, userId: string, verdict: 'approve' | 'deny', reason?: string): Promise<DecideResult> {
    const op = await this.store.operations.get(id);
    if (op?.status !== 'awaiting_approval') return { kind: 'closed', operation: op };
    if (op.expiresAt !== null && op.expiresAt <= Date.now()) {
      await this.expire(op);
      return { kind: 'closed', operation: await this.store.operations.get(id) };
    }
    const allowed = await this.governance.mayDecide(op, userId);
    if (!allowed.ok) {
      // Told every time, audited once a minute per clicker and request: a flood of clicks can't grow the log.
      const first = await this.store.rates.reserve(`audit.refused:${op.id}:${userId}`, 60_000, 1).catch(() => ({ allowed: true }));
      if (first.allowed) await this.audit(userId, `${op.action}.${verdict}`, op.id, 'refused', { why: allowed.why });
      return { kind: 'not_allowed', why: allowed.why };
    }
    const to = verdict === 'approve' ? 'approved' : 'denied';
    // The decision, its audit row, the secret wipe of a denial and what it owes people: one transaction.
    const result = await this.step(async (tx): Promise<DecideResult> => {
      const decisionReason = reason?.trim() ? reason.trim() : null;
      const moved = await tx.operations.transition(id, 'awaiting_approval', to, { decidedBy: userId, decisionReason });
      if (!moved.won) return { kind: 'closed', operation: moved.current };
      faultPoint('decide.moved');
      const decided = moved.operation;
      await this.auditIn(tx, userId, `${op.action}.${verdict}`, op.id, to, reason ? { reason } : undefined);
      // An approval's modal refresh comes with its result (see finish).
      const queued = [...(await this.refreshed(tx, op.id, to === 'denied')), ...(await this.auditToChannel(tx, decided))];
      if (to === 'denied') {
        await this.closeUnrun(tx, decided);
        const note = this.render.decided(decided, this.summary(decided));
        queued.push(await this.outbox.queue(tx, op.id, 'decision', { to: destinationOf(decided), message: note, private: true }));
      }
      return { kind: 'decided', operation: decided, queued };
    });
    if (result.kind === 'decided') this.changed(result.operation);
    if (result.kind === 'decided' && to === 'approved') void this.run(op.id);
    return result;
  }

  /** The requester withdraws a pending request. */
  async cancel(id: string, userId: string): Promise<DecideResult> {
    const op = await this.store.operations.get(id);
    if (!op) return { kind: 'closed', operation: undefined };
    if (op.requesterId !== userId) return { kind: 'not_allowed', why: 'Only the person who asked can cancel this request.' };
    const result = await this.step(async (tx): Promise<DecideResult> => {
      const moved = await tx.operations.transition(id, 'awaiting_approval', 'cancelled', { decidedBy: userId });
      if (!moved.won) return { kind: 'closed', operation: moved.current };
      await this.closeUnrun(tx, moved.operation);
      await this.auditIn(tx, userId, `${op.action}.cancel`, op.id, 'cancelled');
      const queued = [...(await this.refreshed(tx, op.id)), ...(await this.auditToChannel(tx, moved.operation))];
      return { kind: 'decided', operation: moved.operation, queued };
    });
    if (result.kind === 'decided') this.changed(result.operation);
    return result;
  }

  /** A pending approval whose time ran out: closed once, its secrets wiped, the requester told (its quota stays used). */
  private async expire(op: OperationRecord): Promise<void> {
    let expired: OperationRecord | undefined;
    const queued = await this.step(async (tx) => {
      const moved = await tx.operations.transition(op.id, 'awaiting_approval', 'expired');
      if (!moved.won) return [];
      expired = moved.operation;
      await this.closeUnrun(tx, expired);
      await this.auditIn(tx, 'app', `${op.action}.approval`, op.id, 'expired');
      return [
        ...(await this.refreshed(tx, op.id)),
        await this.outbox.queue(tx, op.id, 'decision', {
          to: destinationOf(expired),
          message: this.render.decided(expired, this.summary(expired)),
          private: true,
        }),
        ...(await this.auditToChannel(tx, expired)),
      ];
    });
    if (expired) this.changed(expired);
    await this.send(queued);
  }

  /**
   * Ends an operation that will never run: its secrets are wiped. Its quota is kept: the request reached the
   * approvers (denied, cancelled or expired alike), so submit → Cancel can't be repeated to flood them.
   */
  private async closeUnrun(tx: Repositories, op: OperationRecord): Promise<void> {
    await tx.secrets.wipeSecrets(op.id);
  }

  /** What a succeeded operation still has to do (a failed follow-up step, the remaining steps of a chain), if anything. */
  stepsLeft(op: OperationRecord): string | undefined {
    return op.status === 'succeeded' ? this.executors[op.action].followUp?.pending(op) : undefined;
  }

  /** What a request asks for, for approvers, notes and the audit channel. */
  summary(op: OperationRecord): Summary {
    return this.executors[op.action].describe(op);
  }

  /**
   * After a governed request moved on: its approval message, and (`view`) the requester's modal if still open,
   * brought up to date from the operation's state when they are sent.
   */
  private async refreshed(tx: Repositories, id: string, view = true): Promise<string[]> {
    const ids = [await this.outbox.queue(tx, id, 'approval', { type: 'approval', operationId: id, post: false })];
    if (view) ids.push(await this.outbox.queue(tx, id, 'view', { type: 'view', operationId: id }));
    return ids;
  }

  /** One line in the audit channel, when there is one. */
  private async auditToChannel(tx: Repositories, op: OperationRecord): Promise<string[]> {
    const channel = this.opts.auditChannel;
    if (!channel) return [];
    return [
      await this.outbox.queue(tx, op.id, 'audit_line', { type: 'channel', channel, message: this.render.auditLine(op, this.summary(op)) }),
    ];
  }

  /** Runs a requested operation, if this process wins it. Resolves with the record and where the result went. */
  run(id: string): Promise<Finished> {
    return this.track(this.runOnce(id));
  }

  private async runOnce(id: string): Promise<Finished> {
    const won = await this.store.operations.transition(id, ['requested', 'approved'], 'executing', {
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
      const secrets = await this.store.secrets.readSecrets(op.id);
      outcome = await executor.execute(op, secrets, log, this.journal(op, this.owner));
    } catch (err) {
      log.error({ error: errorText(err) }, 'operation failed unexpectedly');
      outcome = { ok: false, error: 'Something went wrong on our side. Nothing was created; please try again.', unknown: false };
    } finally {
      clearInterval(heartbeat);
    }
    return this.finish(op, outcome, log);
  }

  /**
   * Records the outcome (only while holding the lease), wipes the secrets and queues the notification: a success
   * posted where the person asked, a failure sent to them privately — whether or not their modal shows it too (it
   * may be closed), so every outcome reaches them outside the modal once. Queued in the outcome's transaction and
   * sent right after it; if the process dies in between, the dispatcher sends it when the claim ends.
   */
  private async finish(op: OperationRecord, outcome: Outcome, log: Log): Promise<Finished> {
    // The outcome, the secret wipe, a refund, the audit row and every notification it owes: one transaction, so a
    // crash leaves the operation 'executing' (recovery looks it up) or finished with its notices queued — never between.
    const step = await this.step(async (tx) => {
      const done = await tx.operations.transition(
        op.id,
        'executing',
        outcome.ok ? 'succeeded' : 'failed',
        outcome.ok
          ? { portkeyId: outcome.id, portkeySlug: outcome.slug, result: outcome.result, error: null }
          : { error: outcome.error, result: failureResult(outcome.unknown) },
        { leaseOwner: this.owner },
      );
      faultPoint('finish.moved');
      await tx.secrets.wipeSecrets(op.id);
      if (!done.won) return { won: false as const, lost: done.current };
      const final = done.operation;
      const governance = governanceOf(final);
      // A refused create counts against the limit like a created one (it cost Portkey calls); only a failure that
      // never reached Portkey gives its quota back.
      if (!outcome.ok && outcome.refund) await this.governance.release(governance?.reservations ?? [], tx.rates);
      const target = outcome.ok ? outcome.slug : final.id;
      await this.auditIn(tx, final.requesterId, `${final.action}.portkey`, target, outcome.ok ? 'succeeded' : 'failed', {
        ...(outcome.ok ? { id: outcome.id, slug: outcome.slug, recovered: outcome.recovered } : { error: outcome.error }),
      });
      const to = destinationOf(final);
      const executor = this.executors[final.action];
      const payload: OutboxPayload = outcome.ok
        ? { to, message: executor.successMessage(final, outcome), private: false }
        : { to, message: executor.failureMessage(final), private: true };
      // Approved requests: the approval message shows the result too.
      const also = governance?.effect === 'require_approval' ? await this.refreshed(tx, final.id) : [];
      also.push(...(await this.auditToChannel(tx, final)));
      const aside = outcome.ok ? executor.privateNote?.(final, outcome) : undefined;
      if (aside) {
        const privately = { userId: final.requesterId, ...(final.responseUrl ? { responseUrl: final.responseUrl } : {}) };
        also.push(await this.outbox.queue(tx, final.id, 'private_note', { to: privately, message: aside, private: true }));
      }
      // Claimed already, so it is sent right after the commit with no more reads.
      const note = await this.outbox.queueClaimed(tx, final.id, 'result', payload);
      return { won: true as const, final, also, note };
    });
    if (!step.won) return { operation: step.lost };
    const { final, also, note } = step;
    log.info({ status: final.status }, 'operation finished');
    this.changed(final);
    const delivered = await this.outbox.sendClaimed(note);
    await this.send(also);
    const delivery = delivered === 'modal' ? undefined : delivered;
    return { operation: final, ...(delivery ? { delivery } : {}) };
  }

  /**
   * A follow-up step of a created resource ("Retry enabling"): only for the operation that created it, only while
   * something is left to do, only for its requester, re-decided by the current policy, under a lease so it runs once
   * at a time, audited, and the result told through the outbox: in the operation's own modal when the click came
   * from there (`from.viewId`), else privately (the message's reply link, or a DM).
   */
  async retryFollowUp(
    id: string,
    userId: string,
    from: { viewId?: string | undefined; responseUrl?: string | undefined },
  ): Promise<FollowUpResult> {
    const op = await this.store.operations.get(id);
    const executor = op ? this.executors[op.action] : undefined;
    const followUp = executor?.followUp;
    if (!op || !executor || !followUp || op.status !== 'succeeded') {
      const otherwise = followUp?.otherwise ?? "Enable the workspaces in Portkey's integration settings.";
      return { kind: 'refused', why: `That request is no longer known to the app. ${otherwise}` };
    }
    const refuse = async (why: string, detail?: Record<string, unknown>): Promise<FollowUpResult> => {
      // As for approvals: told every time, audited once a minute per clicker and request (a click flood can't grow the log).
      const first = await this.store.rates
        .reserve(`audit.refused.follow_up:${op.id}:${userId}`, 60_000, 1)
        .catch(() => ({ allowed: true }));
      if (first.allowed) await this.audit(userId, `${op.action}.follow_up`, op.id, 'refused', { why, ...detail });
      return { kind: 'refused', why };
    };
    if (op.requesterId !== userId)
      return refuse(`Only ${mention(op.requesterId)}, who created ${followUp.what}, can ${followUp.verb ?? 'retry'} this.`);
    const left = followUp.pending(op);
    if (!left) return refuse('There is nothing left to retry: this step already succeeded.');
    const verdict = await this.governance.recheck(op, executor.subject(op), followUp.otherwise);
    if (!verdict.ok) return refuse(verdict.why, { rule: verdict.rule });
    // One owner per run: a second click in this same process must not share (and renew) the first one's lease.
    const runner = `${this.owner}:${randomUUID().slice(0, 8)}`;
    const claimed = await this.store.operations.claimSucceeded(id, runner, LEASE_MS);
    if (!claimed) return { kind: 'refused', why: 'This is already being retried.' };
    // Another click may have finished the step between our read and our lease: ask again, from the leased record.
    if (!followUp.pending(claimed)) {
      await this.store.operations.transition(id, 'succeeded', 'succeeded', {}, { leaseOwner: runner });
      return refuse('There is nothing left to retry: this step already succeeded.');
    }
    // Each run costs Portkey calls with the admin key: a step that keeps failing can't be retried without end.
    const slot = await this.store.rates.reserve(`follow_up:${op.id}`, FOLLOW_UP_WINDOW_MS, FOLLOW_UP_MAX);
    if (!slot.allowed) {
      await this.store.operations.transition(id, 'succeeded', 'succeeded', {}, { leaseOwner: runner });
      return refuse(
        `This was retried ${FOLLOW_UP_MAX} times already this hour. Try again after ${slackDate(slot.resetAt)}, or ask a Portkey ` +
          `admin to finish it in Portkey.`,
      );
    }
    const log = this.log.child({ op: id, action: op.action, followUp: true });
    await this.audit(userId, `${op.action}.follow_up`, op.id, 'started', { step: left });
    const heartbeat = setInterval(() => {
      this.store.operations
        .claimSucceeded(id, runner, LEASE_MS)
        .catch((err: unknown) => log.warn({ error: errorText(err) }, 'could not renew a follow-up lease'));
    }, HEARTBEAT_MS);
    heartbeat.unref();
    let ran: Awaited<ReturnType<typeof followUp.run>>;
    try {
      ran = await followUp.run(claimed, log, this.journal(claimed, runner));
    } catch (err) {
      log.error({ error: errorText(err) }, 'follow-up failed unexpectedly');
      ran = {
        ok: false,
        result: (claimed.result ?? {}) as Record<string, unknown>,
        error: 'Something went wrong on our side; please try again.',
      };
    } finally {
      clearInterval(heartbeat);
    }
    // The step's result, its audit row and the notice: one transaction.
    return this.step(async (tx): Promise<FollowUpResult> => {
      const saved = await tx.operations.transition(id, 'succeeded', 'succeeded', { result: ran.result }, { leaseOwner: runner });
      const final = saved.won ? saved.operation : claimed;
      const detail = { step: left, ...(ran.error ? { error: ran.error } : {}) };
      await this.auditIn(tx, userId, `${op.action}.follow_up`, op.id, ran.ok ? 'succeeded' : 'failed', detail);
      const inOwnModal = Boolean(from.viewId) && from.viewId === final.viewId;
      const success = { ok: true as const, id: final.portkeyId ?? '', slug: final.portkeySlug ?? '', result: ran.result, recovered: false };
      const queued = [
        inOwnModal
          ? await this.outbox.queue(tx, id, 'view', { type: 'view', operationId: id })
          : await this.outbox.queue(tx, id, 'follow_up', {
              to: { userId, ...(from.responseUrl ? { responseUrl: from.responseUrl } : {}) },
              message: executor.successMessage(final, success),
              private: true,
            }),
      ];
      return { kind: 'done', ok: ran.ok, operation: final, queued };
    });
  }

  /**
   * The step records of a chained operation for the holder of its lease (`owner`): how each step ended is recorded
   * with its audit row, in one transaction (ids and slugs only: a step's result holds no secret).
   */
  private journal(op: OperationRecord, owner: string): StepJournal {
    const steps = this.store.steps.journal(op.id, owner);
    return {
      list: () => steps.list(),
      start: (step) => steps.start(step),
      note: (step, evidence) => steps.note(step, evidence),
      finish: (step, outcome) =>
        this.store.transaction(async (tx) => {
          if (!(await tx.steps.finish(op.id, step, owner, outcome))) return false;
          const { id, slug } = outcome.ok ? outcome.result : {};
          const detail = outcome.ok
            ? { step, ...(typeof id === 'string' ? { id } : {}), ...(typeof slug === 'string' ? { slug } : {}) }
            : { step, error: outcome.error };
          await this.auditIn(
            tx,
            op.requesterId,
            `${op.action}.step`,
            op.id,
            outcome.ok ? 'done' : outcome.unknown ? 'unknown' : 'failed',
            detail,
          );
          return true;
        }),
    };
  }

  /** Renews this process's lease on an operation while it works on it. */
  private keepLease(id: string): NodeJS.Timeout {
    const timer = setInterval(() => {
      this.store.operations
        .claim(id, this.owner, LEASE_MS)
        .catch((err: unknown) => this.log.warn({ op: id, error: errorText(err) }, 'could not renew a lease'));
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
    // A fresh 'requested' or 'approved' one is about to be run by the listener that stored or approved it.
    const unfinished = (await this.store.operations.listUnfinished(now)).filter(
      (op) => op.status === 'executing' || op.updatedAt < now - ORPHAN_AFTER_MS,
    );
    for (const op of await this.store.operations.listExpired(now)) await this.expire(op);
    for (const op of unfinished) {
      const log = this.log.child({ op: op.id, action: op.action, recovery: true });
      if (op.status === 'requested' || op.status === 'approved') {
        await this.run(op.id);
        continue;
      }
      const claimed = await this.store.operations.claim(op.id, this.owner, LEASE_MS);
      if (!claimed) continue;
      log.warn('found an operation a stopped process left mid-create; checking Portkey');
      let outcome: Outcome;
      const heartbeat = this.keepLease(op.id);
      try {
        const secrets = await this.store.secrets.readSecrets(op.id);
        const found = await this.executors[op.action].find(claimed, secrets, log, this.journal(claimed, this.owner));
        outcome = found ?? {
          ok: false,
          error:
            'The app restarted while this was being created, and Portkey has no record of it. Nothing was created; please submit it again.',
          unknown: false,
        };
      } catch (err) {
        log.warn({ error: errorText(err) }, 'recovery lookup failed; will try again when the lease ends');
        continue;
      } finally {
        clearInterval(heartbeat);
      }
      await this.track(this.finish(claimed, outcome, log));
    }
    await this.outbox.dispatch();
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
      await this.opts.prune?.();
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

  /** One step's transaction; every move of an operation into an end state happens in one, and is counted there. */
  private step<T>(fn: (tx: Repositories) => Promise<T>): Promise<T> {
    return countedTransaction(this.store, this.opts.counts, fn);
  }

  /** An audit row that is part of a step's transaction: if it can't be written, the step isn't either. */
  private async auditIn(tx: Repositories, actor: string, action: string, target: string, outcome: string, detail?: object): Promise<void> {
    await tx.audit.append({ actorId: actor, action, target, outcome, ...(detail ? { detail } : {}) });
  }

  /** An audit row on its own (refusals, notification outcomes): a failure to write it is logged, not thrown. */
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

/** Where the requester is told: the channel they asked in, the command's reply link, or a DM. */
function destinationOf(op: OperationRecord): Destination {
  return {
    userId: op.requesterId,
    ...(op.channelId ? { channelId: op.channelId } : {}),
    ...(op.responseUrl ? { responseUrl: op.responseUrl } : {}),
  };
}
