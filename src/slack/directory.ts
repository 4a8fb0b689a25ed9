import { ErrorCode, type WebClient } from '@slack/web-api';
import type { Log } from '../log.js';
import { errorText, slackErrorCode } from './errors.js';

/**
 * Why Slack could not say who is in a group:
 * - `plan`: the workspace's Slack plan has no user groups (Free plan: `plan_upgrade_required`) — not transient.
 * - `rate_limited`: Slack answered 429; `retryAfterS` says when to ask again.
 * - `unavailable`: anything else (an error, Slack down, or no answer before the deadline).
 */
export type DirectoryFailure = 'plan' | 'rate_limited' | 'unavailable';

/** Slack could not tell us who is in a group; a decision that depends on it must not be guessed. */
export class DirectoryError extends Error {
  constructor(
    message: string,
    readonly failure: DirectoryFailure = 'unavailable',
    readonly retryAfterS?: number,
  ) {
    super(message);
  }

  /** What to tell the person whose request could not be decided (no group ids, nothing secret). */
  get forPeople(): string {
    switch (this.failure) {
      case 'plan':
        return (
          "The app's policy uses Slack user groups, but this Slack workspace's plan doesn't include user groups, so " +
          "nobody's groups can be checked and nothing is decided by guessing. This won't pass by trying again: " +
          'a Slack admin can move the workspace to a paid plan, or the policy can name people instead of groups.'
        );
      case 'rate_limited':
        return (
          `Slack is limiting how often the app may check user groups, so your permissions couldn't be checked. Please try again ` +
          `in ${Math.max(1, this.retryAfterS ?? 30)} seconds.`
        );
      default:
        return "Couldn't check your permissions with Slack just now. Please try again in a moment.";
    }
  }
}

interface Cached {
  members: ReadonlySet<string>;
  until: number;
}

/** What the start-up check found about the groups the policy names. */
export type GroupsCheck = 'ok' | 'plan_upgrade_required' | 'missing_scope' | 'unknown_group' | 'unavailable';

// After plan_upgrade_required Slack isn't asked again for this long: every decision would ask otherwise. A later
// upgrade of the plan is noticed after it, without a restart.
const PLAN_RECHECK_MS = 10 * 60_000;
/** At start, at most this many of the policy's groups are read (usergroups.users.list is Tier 2: ~20 a minute). */
const START_CHECK_GROUPS = 10;

/**
 * Who is in which Slack user group, read with usergroups.users.list and kept briefly (membership changes
 * rarely, and a decision must come within Slack's 3 s). Concurrent lookups of one group share one call.
 *
 * No lookup waits past `deadlineMs`: give it a WebClient with `rejectRateLimitedCalls` and no retries, so a 429
 * comes back at once instead of being waited out (a Tier-2 Retry-After is often 8–30 s, far past the ack).
 * While Slack's Retry-After runs, or after the plan said "no user groups", Slack isn't asked again; a fresh
 * cached group still answers.
 */
export class Directory {
  private readonly cache = new Map<string, Cached>();
  private readonly pending = new Map<string, Promise<ReadonlySet<string>>>();
  private rateLimitedUntil = 0;
  private planBlockedUntil = 0;

  constructor(
    private readonly client: WebClient,
    private readonly log: Log,
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
    private readonly deadlineMs = 2000,
  ) {}

  /** The groups among `groups` that `userId` belongs to. Throws DirectoryError when Slack can't say in time. */
  async groupsOf(userId: string, groups: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const all = Promise.all(
      [...new Set(groups)].map(async (g) => {
        if ((await this.members(g)).has(userId)) found.add(g);
      }),
    );
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new DirectoryError(`Slack didn't say in ${this.deadlineMs} ms who is in ${groups.join(', ')}`)),
        this.deadlineMs,
      );
    });
    try {
      await Promise.race([all, deadline]);
    } finally {
      clearTimeout(timer);
    }
    return found;
  }

  /**
   * Run once at start when the policy names groups: can this workspace answer for groups at all, and does Slack know
   * each group named? Reads each group (up to {@link START_CHECK_GROUPS}; nothing is cached, so a test or an admin may
   * still change it) and logs what the admin has to do, plainly. A plan or scope problem is the same for every group:
   * it stops at the first.
   */
  async checkAtStart(groups: readonly string[], where: string): Promise<GroupsCheck> {
    let result: GroupsCheck = 'ok';
    for (const group of groups.slice(0, START_CHECK_GROUPS)) {
      const found = await this.checkOne(group, groups, where);
      if (found === 'unknown_group') result = 'unknown_group';
      else if (found !== 'ok') return found;
    }
    return result;
  }

  private async checkOne(group: string, groups: readonly string[], where: string): Promise<GroupsCheck> {
    try {
      await this.client.usergroups.users.list({ usergroup: group });
      return 'ok';
    } catch (err) {
      const code = slackErrorCode(err);
      if (code === 'plan_upgrade_required') {
        this.planBlockedUntil = this.now() + PLAN_RECHECK_MS;
        this.log.error(
          { groups, policy: where, slack: code },
          "the policy names Slack user groups, but this Slack workspace's plan has no user groups (usergroups.users.list answered " +
            'plan_upgrade_required). ' +
            'Every decision that depends on a group is refused until this is fixed: move the workspace to a paid Slack plan, ' +
            "or replace `groups:` with `users:` (member ids) in the policy's rules, approvers and admins.",
        );
        return 'plan_upgrade_required';
      }
      if (code === 'missing_scope') {
        this.log.error(
          { groups, policy: where, slack: code },
          'the policy names Slack user groups, but the bot token lacks the usergroups:read scope: add it to the app and reinstall ' +
            'it. Decisions that depend on a group are refused until then.',
        );
        return 'missing_scope';
      }
      if (code === 'no_such_subteam') {
        this.log.warn({ group, policy: where }, 'the policy names a user group Slack does not know; it is treated as empty');
        return 'unknown_group';
      }
      this.log.warn(
        { group, error: errorText(err) },
        "couldn't check the policy's user groups with Slack at start; they are read when needed",
      );
      return 'unavailable';
    }
  }

  private members(group: string): Promise<ReadonlySet<string>> {
    const hit = this.cache.get(group);
    if (hit && hit.until > this.now()) return Promise.resolve(hit.members);
    if (this.planBlockedUntil > this.now()) return Promise.reject(planError());
    if (this.rateLimitedUntil > this.now()) {
      return Promise.reject(rateLimitedError(group, Math.ceil((this.rateLimitedUntil - this.now()) / 1000)));
    }
    let call = this.pending.get(group);
    if (!call) {
      call = this.fetch(group).finally(() => this.pending.delete(group));
      this.pending.set(group, call);
    }
    return call;
  }

  private async fetch(group: string): Promise<ReadonlySet<string>> {
    let members: ReadonlySet<string>;
    try {
      const res = await this.client.usergroups.users.list({ usergroup: group });
      members = new Set(res.users ?? []);
    } catch (err) {
      const code = slackErrorCode(err);
      if (code === 'no_such_subteam') {
        // A group the policy names that Slack doesn't have: nobody is in it. Worth fixing in the policy.
        this.log.warn({ group }, 'the policy names a user group Slack does not know; treating it as empty');
        members = new Set();
      } else if (code === 'plan_upgrade_required') {
        this.planBlockedUntil = this.now() + PLAN_RECHECK_MS;
        this.log.error(
          { group, slack: code },
          "this Slack workspace's plan has no user groups: decisions that depend on the policy's groups are refused (move to a paid " +
            'plan, or name users instead of groups)',
        );
        throw planError();
      } else if (retryAfterOf(err) !== undefined) {
        const retryAfterS = retryAfterOf(err) ?? 30;
        this.rateLimitedUntil = Math.max(this.rateLimitedUntil, this.now() + retryAfterS * 1000);
        this.log.warn({ group, retryAfterS }, 'Slack rate-limited a user group lookup');
        throw rateLimitedError(group, retryAfterS);
      } else {
        this.log.warn({ group, error: errorText(err) }, 'could not read a user group');
        throw new DirectoryError(`Slack didn't say who is in user group ${group}`);
      }
    }
    this.cache.set(group, { members, until: this.now() + this.ttlMs });
    return members;
  }
}

function planError(): DirectoryError {
  return new DirectoryError("this Slack workspace's plan has no user groups (plan_upgrade_required)", 'plan');
}

function rateLimitedError(group: string, retryAfterS: number): DirectoryError {
  return new DirectoryError(
    `Slack rate-limited the lookup of user group ${group} (retry after ${retryAfterS} s)`,
    'rate_limited',
    retryAfterS,
  );
}

/** Seconds Slack asked to wait, when the call was refused for a rate limit (WebClient's rejectRateLimitedCalls). */
function retryAfterOf(err: unknown): number | undefined {
  if (err && typeof err === 'object' && 'code' in err && err.code === ErrorCode.RateLimitedError && 'retryAfter' in err) {
    return typeof err.retryAfter === 'number' ? err.retryAfter : undefined;
  }
  return undefined;
}
