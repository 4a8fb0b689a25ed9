import { z } from 'zod';
import {
  decide,
  describeLimit,
  groupsInRules,
  hasAdmins,
  isAdmin,
  limitsFor,
  mayDecide,
  type CountedLimit,
  type Eligibility,
  type Subject,
} from '../policy/decide.js';
import type { LoadedPolicy } from '../policy/load.js';
import { ACTIONS, type Policy, type RateLimit } from '../policy/schema.js';
import type { Directory } from '../slack/directory.js';
import { escapeMrkdwn } from '../slack/escape.js';
import type { OperationRecord, RateCounters, StoredAction } from '../store/index.js';

// The policy step of a submission: who is asking (their groups, from Slack), what the policy says, and the
// rate-limit quota reserved in the store before anything is created. What was decided is stored with the
// operation, so approvals, expiry and refunds work the same on every replica and after a restart.

const people = z.object({ users: z.array(z.string()), groups: z.array(z.string()) });
export const storedGovernanceSchema = z.object({
  effect: z.enum(['allow', 'deny', 'require_approval', 'rate_limited']),
  /** The rule's name; null when the policy's default applied. */
  rule: z.string().nullable(),
  reason: z.string().optional(),
  approvers: people.optional(),
  /** A bundle's parts that need other approvers: the one who decides must be named in each of these too. */
  alsoApprovers: z.array(people).optional(),
  allowSelfApproval: z.boolean().optional(),
  /** Where the approval request is posted. */
  channel: z.string().optional(),
  /** Quota taken for this request; kept whatever becomes of it, given back only when Portkey was never asked. */
  reservations: z.array(z.object({ key: z.string(), windowStart: z.number() })),
  /** Rate limited: when the window resets. */
  retryAt: z.number().optional(),
});
export type StoredGovernance = z.infer<typeof storedGovernanceSchema>;

export function governanceOf(op: OperationRecord): StoredGovernance | undefined {
  const parsed = storedGovernanceSchema.safeParse(op.governance);
  return parsed.success ? parsed.data : undefined;
}

export interface LimitUsage {
  limit: RateLimit;
  used: number;
  /** When the current window ends. */
  resetAt: number;
}

export type Verdict =
  | { status: 'requested'; governance: StoredGovernance }
  | { status: 'awaiting_approval'; governance: StoredGovernance; expiresAt: number }
  | { status: 'denied'; governance: StoredGovernance };

export interface Requester {
  userId: string;
  teamId: string;
  channelId: string | undefined;
}

/** What the policy step reports for metrics (see src/metrics.ts): each submission's decision. */
export interface PolicyCounts {
  decided(action: StoredAction, effect: StoredGovernance['effect']): void;
}

export class Governance {
  constructor(
    readonly loaded: LoadedPolicy,
    private readonly directory: Directory,
    private readonly rates: RateCounters,
    /** APPROVALS_CHANNEL: where approval requests go unless the policy names its own channel. */
    private readonly approvalsChannel: string | undefined,
    private readonly now: () => number = Date.now,
    private readonly counts?: PolicyCounts,
  ) {}

  get policy(): Policy {
    return this.loaded.policy;
  }

  /** The groups a person belongs to among those the policy's rules name. Throws DirectoryError. */
  groupsOf(userId: string, groups: readonly string[] = groupsInRules(this.policy)): Promise<Set<string>> {
    return groups.length === 0 ? Promise.resolve(new Set()) : this.directory.groupsOf(userId, groups);
  }

  /** Decides a submission and reserves its quota. Throws DirectoryError when group membership can't be read. */
  async check(action: StoredAction, subject: Omit<Subject, 'action'>, who: Requester): Promise<Verdict> {
    const verdict = await this.verdict(action, subject, who);
    this.counts?.decided(action, verdict.governance.effect);
    return verdict;
  }

  /**
   * The preview's decision: the same verdict `check` would give now, but no quota is taken (each limit is only
   * read) and no decision is counted. Throws DirectoryError.
   */
  dryCheck(action: StoredAction, subject: Omit<Subject, 'action'>, who: Requester): Promise<Verdict> {
    return this.verdict(action, subject, who, true);
  }

  private async verdict(action: StoredAction, subject: Omit<Subject, 'action'>, who: Requester, dry = false): Promise<Verdict> {
    const groups = await this.groupsOf(who.userId);
    const decision = decide(this.policy, { action, ...subject }, { userId: who.userId, groups, channelId: who.channelId });
    const rule = decision.rule?.name ?? null;
    if (decision.effect === 'deny')
      return { status: 'denied', governance: { effect: 'deny', rule, reason: decision.reason, reservations: [] } };
    // File rules are checked for a channel at start; a built-in guard's approval may have nowhere to go.
    if (decision.effect === 'require_approval' && decision.rule.builtin && !(decision.channel ?? this.approvalsChannel)) {
      const reason =
        `${decision.reason ?? 'This needs approval.'} There is no approvals channel to ask in: an admin can set ` +
        `APPROVALS_CHANNEL, or approvals_channel in the policy.`;
      return { status: 'denied', governance: { effect: 'deny', rule, reason, reservations: [] } };
    }

    const now = this.now();
    const reservations: StoredGovernance['reservations'] = [];
    try {
      for (const counted of bundleLimits(this.policy, action, subject, who)) {
        const r = dry ? await this.peek(counted, now) : await this.rates.reserve(counted.key, counted.limit.window, counted.limit.max, now);
        if (!r.allowed) {
          await this.release(reservations);
          return {
            status: 'denied',
            governance: {
              effect: 'rate_limited',
              rule,
              reason: `The limit is ${describeLimit(counted.limit)}.`,
              retryAt: r.resetAt,
              reservations: [],
            },
          };
        }
        if (!dry) reservations.push({ key: counted.key, windowStart: r.windowStart });
      }
    } catch (err) {
      // Nothing will be created: quota already taken for this request goes back.
      await this.release(reservations).catch(() => undefined);
      throw err;
    }
    if (decision.effect === 'allow') return { status: 'requested', governance: { effect: 'allow', rule, reservations } };
    return {
      status: 'awaiting_approval',
      expiresAt: now + decision.expiresAfterMs,
      governance: {
        effect: 'require_approval',
        rule,
        ...(decision.reason ? { reason: decision.reason } : {}),
        approvers: decision.approvers,
        ...(decision.alsoApprovers ? { alsoApprovers: decision.alsoApprovers } : {}),
        allowSelfApproval: decision.allowSelfApproval,
        ...((decision.channel ?? this.approvalsChannel) ? { channel: decision.channel ?? this.approvalsChannel } : {}),
        reservations,
      },
    };
  }

  /** What `reserve` would answer now, without taking anything. */
  private async peek(counted: CountedLimit, now: number): Promise<{ allowed: boolean; resetAt: number; windowStart: number }> {
    const windowStart = Math.floor(now / counted.limit.window) * counted.limit.window;
    const used = await this.rates.current(counted.key, counted.limit.window, now);
    return { allowed: used < counted.limit.max, resetAt: windowStart + counted.limit.window, windowStart };
  }

  /**
   * The secret references this person may pick here for `providerId`: those the policy does not deny them
   * (see the secret-reference-not-allowed guard). Throws DirectoryError.
   */
  async usableSecretRefs<R extends { id: string; name: string }>(
    refs: readonly R[],
    who: { userId: string; channelId: string | undefined },
    providerId: string | undefined,
  ): Promise<R[]> {
    const groups = await this.groupsOf(who.userId);
    const actor = { userId: who.userId, groups, channelId: who.channelId };
    return refs.filter(
      (r) =>
        decide(this.policy, { action: 'integration.create', providerId, secretRefs: [{ id: r.id, name: r.name }] }, actor).effect !==
        'deny',
    );
  }

  /**
   * Re-decides a created request's follow-up step (e.g. enabling it in the workspaces it asked for) with the
   * current policy and the requester's current groups. Allowed when the policy allows the request now, or when it
   * needs approval and this very request was approved (the approvers saw those workspaces). A denial, or an
   * approval this request never had, refuses: no new approval flow for a retry. No quota is taken (nothing is
   * created). Throws DirectoryError.
   */
  async recheck(
    op: OperationRecord,
    subject: Omit<Subject, 'action'>,
    otherwise = 'Ask a Portkey admin to enable it in the workspaces.',
  ): Promise<{ ok: true } | { ok: false; why: string; rule: string | null }> {
    const groups = await this.groupsOf(op.requesterId);
    const decision = decide(
      this.policy,
      { action: op.action, ...subject },
      { userId: op.requesterId, groups, channelId: op.channelId || undefined },
    );
    const rule = decision.rule?.name ?? null;
    if (decision.effect === 'allow') return { ok: true };
    if (decision.effect === 'require_approval' && governanceOf(op)?.effect === 'require_approval' && op.decidedBy !== null)
      return { ok: true };
    // Slack mrkdwn: the policy's own text is escaped like everywhere it is shown.
    const because =
      decision.effect === 'deny'
        ? escapeMrkdwn(decision.reason)
        : `it now needs approval${rule ? ` (rule \`${escapeMrkdwn(rule)}\`)` : ''}.`;
    return { ok: false, rule, why: `The policy no longer allows this: ${because} ${otherwise}` };
  }

  /**
   * Whether a file rule denies this request whatever its looked-up parts (workspaces, secret reference) turn out to
   * be: a deny rule that names neither matches with or without them, and nothing outranks a deny. Then the
   * submission is decided without spending Portkey calls on its ids. False when groups can't be read (check() asks).
   */
  async deniedWhateverParts(
    action: StoredAction,
    subject: Omit<Subject, 'action' | 'workspaces' | 'secretRefs'>,
    who: Requester,
  ): Promise<boolean> {
    const groups = await this.groupsOf(who.userId).catch(() => undefined);
    if (!groups) return false;
    const d = decide(this.policy, { action, ...subject }, { userId: who.userId, groups, channelId: who.channelId });
    if (d.effect !== 'deny' || !d.rule || d.rule.builtin) return false;
    const rule = this.policy.rules[d.rule.index];
    return rule !== undefined && rule.workspaces === undefined && rule.secret_references === undefined;
  }

  /** How much of each limit on creates this person (or their team, or everyone) has used in the current window. */
  async usage(who: { userId: string; teamId: string }): Promise<LimitUsage[]> {
    const now = this.now();
    const seen = new Map<string, LimitUsage>();
    for (const action of ACTIONS) {
      for (const counted of limitsFor(this.policy, action, who)) {
        if (seen.has(counted.key)) continue;
        const used = await this.rates.current(counted.key, counted.limit.window, now);
        const resetAt = Math.floor(now / counted.limit.window) * counted.limit.window + counted.limit.window;
        seen.set(counted.key, { limit: counted.limit, used, resetAt });
      }
    }
    return [...seen.values()];
  }

  /** Whether a limit on `action` is used up for this person now (a submission would be refused: spare its lookups). */
  async atLimit(action: StoredAction, who: { userId: string; teamId: string }): Promise<boolean> {
    const now = this.now();
    for (const counted of limitsFor(this.policy, action, who)) {
      if ((await this.rates.current(counted.key, counted.limit.window, now)) >= counted.limit.max) return true;
    }
    return false;
  }

  /**
   * Gives quota back: the request it was taken for was never decided or never reached Portkey. `rates`: the
   * counters of a transaction, so the refund commits with the step that decided it.
   */
  async release(reservations: StoredGovernance['reservations'], rates: RateCounters = this.rates): Promise<void> {
    for (const r of reservations) await rates.release(r.key, r.windowStart);
  }

  /** Whether `userId` may approve or deny this pending operation. Throws DirectoryError. */
  async mayDecide(op: OperationRecord, userId: string): Promise<Eligibility> {
    const g = governanceOf(op);
    if (!g?.approvers) return { ok: false, why: 'This request has no approvers on record.' };
    const named = [...new Set([g.approvers, ...(g.alsoApprovers ?? [])].flatMap((p) => p.groups))];
    const groups = await this.groupsOf(userId, named);
    return mayDecide(
      {
        approvers: g.approvers,
        alsoApprovers: g.alsoApprovers,
        allowSelfApproval: g.allowSelfApproval ?? false,
        requesterId: op.requesterId,
      },
      { userId, groups },
    );
  }

  /** Admins see the audit and every pending approval. Without admins in the policy, everyone may read the audit. */
  async isAdmin(userId: string): Promise<boolean> {
    if (!hasAdmins(this.policy)) return false;
    return isAdmin(this.policy, { userId, groups: await this.groupsOf(userId, this.policy.admins.groups) });
  }

  async mayReadAudit(userId: string): Promise<boolean> {
    return !hasAdmins(this.policy) || this.isAdmin(userId);
  }
}

/**
 * The limits a request counts against: its action's, and a bundle's parts' (onboarding a team creates a workspace,
 * so it counts against the workspace limit too: a bundle is no way around it). Each counter once.
 */
function bundleLimits(policy: Policy, action: StoredAction, subject: Omit<Subject, 'action'>, who: { userId: string; teamId: string }) {
  const actions = [action, ...(subject.parts ?? []).flatMap((p) => (p.creates ? [p.action] : []))];
  const all = actions.flatMap((a) => limitsFor(policy, a, who));
  return all.filter((c, i) => all.findIndex((o) => o.key === c.key) === i);
}
