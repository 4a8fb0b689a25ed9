import type { ModalView } from '@slack/types';
import type { Log } from '../log.js';
import type { Verdict } from './governance.js';
import type { Subject } from '../policy/decide.js';
import type { Delivery, Message } from '../slack/notify.js';
import type { OperationRecord, OperationState, StepJournal, StoredAction } from '../store/index.js';
import type { Fit, Summary } from './summary.js';

// The values that move between the listeners, the operation service and the executors.

/**
 * What an executor reports. `result` is kept with the operation, so it must hold no secret. A failure keeps the
 * quota it took (a refused attempt counts against the limit) unless `refund`: Portkey was never asked.
 */
export type Outcome =
  | { ok: true; id: string; slug: string; result: Record<string, unknown>; recovered: boolean }
  | { ok: false; error: string; unknown: boolean; refund?: boolean };
export type Success = Extract<Outcome, { ok: true }>;

/** A step after a create that can be retried (enabling an integration in workspaces), run by the service. */
export interface FollowUp {
  /** What the operation created, for refusals ("the integration"). */
  readonly what: string;
  /** What to do instead when it is refused, for its refusals (default: the integration's "enable it in the workspaces"). */
  readonly otherwise?: string;
  /** The click's verb in refusals ("retry", "rotate"); default "retry". */
  readonly verb?: string;
  /** What is still left to do for this succeeded operation (e.g. "enable it in Research"), or undefined. */
  pending(op: OperationRecord): string | undefined;
  /** Does it once; the new result replaces the operation's (no secret in it). `steps`: its step records, under the run's lease. */
  run(op: OperationRecord, log: Log, steps?: StepJournal): Promise<{ ok: boolean; result: Record<string, unknown>; error?: string }>;
}

/** One kind of operation: how to do it in Portkey, how to tell whether a crash left it done, what to say. */
export interface Executor {
  /** `steps`: the operation's step records (steps.ts), written under this run's lease; kinds of one step ignore it. */
  execute(op: OperationRecord, secrets: Record<string, unknown> | undefined, log: Log, steps?: StepJournal): Promise<Outcome>;
  /**
   * After a crash mid-create: success if Portkey has the resource and it provably came from this operation,
   * a failure when Portkey shows it wasn't (or that it can't tell), undefined if there is no trace. Throws if
   * Portkey can't be asked.
   */
  find(op: OperationRecord, secrets: Record<string, unknown> | undefined, log: Log, steps?: StepJournal): Promise<Outcome | undefined>;
  /** What the policy looks at besides the action, from the stored request (re-decided for follow-up steps). */
  subject(op: OperationRecord): Omit<Subject, 'action'>;
  followUp?: FollowUp;
  successMessage(op: OperationRecord, outcome: Success): Message;
  /**
   * To the requester, privately, beside the success message, when they must hear something no channel may (an API
   * key's value that was never shown to them). Queued with the outcome. Undefined: nothing to say.
   */
  privateNote?(op: OperationRecord, outcome: Success): Message | undefined;
  /** To the requester, privately, for a failed operation: which request (kind and name), what is known, what to do. */
  failureMessage(op: OperationRecord): Message;
  /** What was asked for, for approvers and the audit channel: plain label/value rows, secrets masked. Reads
   *  only the request, so it can run at submission, before the operation is stored. */
  describe(op: Pick<OperationRecord, 'request'>): Summary;
  /**
   * The preview: the Portkey calls the stored request makes, in order, from the same body builders `execute` uses
   * (so the two can't drift), and every secret value in them, for masking. Undefined: the request can't be read.
   * Pure; reads only the request and the secrets.
   */
  plan?(op: Pick<OperationRecord, 'request'>, secrets: Record<string, unknown> | undefined): Plan | undefined;
}

/** One Portkey call a request would make (see Executor.plan and the preview feature). */
export interface PlannedCall {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  /** Below the Admin API's base URL, with its query string. */
  path: string;
  /** The JSON body, exactly as the executor sends it (secrets included until `maskPlan`). */
  body?: unknown;
  /** 'submit': a look-up before the policy decides (the preview makes it too); 'run': once allowed or approved. */
  phase: 'submit' | 'run';
  /** What it is for, plain text (the view escapes it). */
  purpose: string;
  /** Made only in some cases ("Portkey's answer to the create is lost"). */
  onlyIf?: string;
}

/** A dry run of a submission (OperationService.preview): nothing stored, sent or counted. */
export interface Previewed {
  /** What submitting it now would be decided, quota only read (`reservations` empty). */
  verdict: Verdict;
  /** The calls, secrets masked; undefined when the kind has no plan (or the request can't be read). */
  calls: PlannedCall[] | undefined;
}

export interface Plan {
  calls: PlannedCall[];
  /** Every secret string the bodies may hold (keys, secret fields, their nested values). */
  secrets: string[];
}

/**
 * How the service words what it sends about an operation. The app builds it from the features and hands it in,
 * so the core never imports them; each is pure and escapes the user text it shows.
 */
export interface Renderers {
  /** The approval request for the operation's current state: posted once, then updated in place. */
  approval(op: OperationRecord, summary: Summary): Message;
  /** Whether approvers can be shown the request whole; one that can't is refused at submission, nothing posted. */
  approvalFits(summary: Summary): Fit;
  /** In the requester's channel: sent for approval, where and until when. */
  pending(op: OperationRecord, summary: Summary): Message;
  /** To the requester, privately: denied or expired. */
  decided(op: OperationRecord, summary: Summary): Message;
  /** One line for the audit channel. Never a secret. */
  auditLine(op: OperationRecord, summary: Summary): Message;
  /** The requester's modal for the operation's current state, refreshed after an approval decision. */
  view(op: OperationRecord): ModalView;
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
  /**
   * What the policy looks at besides the action and the person: provider, URLs the key goes to, the secret
   * reference and workspaces as Portkey knows them (resolved by id), the default-workspace flag.
   */
  subject?: Omit<Subject, 'action'>;
  /**
   * The subject's ids were not looked up in Portkey (the person was at a rate limit, so the lookups were spared):
   * the submission may only be refused. Should the window have turned meanwhile, it is refused with "submit again".
   */
  unresolved?: true;
}

export interface Submitted {
  operation: OperationRecord;
  duplicate: boolean;
  /** Notifications queued by the submission; send them after acking Slack (see `OperationService.send`). */
  queued: string[];
}

/** How a click on Approve or Deny (or Cancel) ended. */
export type DecideResult =
  /** `queued`: notifications to send once Slack has its answer (`OperationService.send`). */
  | { kind: 'decided'; operation: OperationRecord; queued: string[] }
  | { kind: 'not_allowed'; why: string }
  /** Already decided, expired or cancelled — or unknown (`operation` undefined). */
  | { kind: 'closed'; operation: OperationRecord | undefined };

export interface Finished {
  operation: OperationRecord | undefined;
  /** Where the outcome was sent outside the modal (the channel for a success; privately for a failure). */
  delivery?: Delivery;
}

/** How a follow-up click ("Retry enabling") ended. `queued`: notifications to send once Slack has its answer. */
export type FollowUpResult = { kind: 'done'; ok: boolean; operation: OperationRecord; queued: string[] } | { kind: 'refused'; why: string };

/** What the service reports for metrics (see src/metrics.ts): each operation that reached an end state, once it committed. */
export interface OperationCounts {
  ended(action: StoredAction, outcome: OperationState): void;
}
