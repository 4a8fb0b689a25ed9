import { ErrorCode, type WebClient } from '@slack/web-api';
import { z } from 'zod';
import type { Log } from '../log.js';
import { errorText, slackErrorCode } from './errors.js';

// Who a Slack person is, as Slack says it (users.info, usergroups.users.list), for adding people to Portkey by email.
// Used before Slack's 3 s ack: every lookup has one deadline, a 429 comes back at once, and nothing is guessed.

/** Why a person can't be added: said to people plainly (see member/view.ts). */
export type PersonProblem = 'no_email' | 'unconfirmed_email' | 'bot' | 'deleted' | 'guest' | 'unknown' | 'other_team';

/** One person as Slack described them: an email Portkey can be asked about, or why there is none. */
export type SlackPerson = { id: string; name: string; email: string } | { id: string; name: string; problem: PersonProblem };

export type PeopleFailure = 'plan' | 'unknown_group' | 'rate_limited' | 'unavailable';

export class PeopleError extends Error {
  constructor(
    message: string,
    readonly failure: PeopleFailure,
    readonly retryAfterS?: number,
  ) {
    super(message);
  }

  /** What to tell the person on the form (no secret, nothing of Slack's internals). */
  get forPeople(): string {
    switch (this.failure) {
      case 'plan':
        return "This Slack workspace's plan has no user groups: pick the people instead.";
      case 'unknown_group':
        return 'Slack does not know that user group. Pick it again from the list.';
      case 'rate_limited':
        return `Slack is limiting how often the app may look people up. Try again in ${Math.max(1, this.retryAfterS ?? 30)} seconds.`;
      default:
        return "Slack didn't say in time who these people are. Nothing was sent; try again in a moment.";
    }
  }
}

// users.info as far as it decides anything. `is_email_confirmed` false: an address someone typed and never proved.
const userSchema = z
  .object({
    id: z.string(),
    team_id: z.string().optional(),
    name: z.string().optional(),
    real_name: z.string().optional(),
    deleted: z.boolean().optional(),
    is_bot: z.boolean().optional(),
    is_restricted: z.boolean().optional(),
    is_ultra_restricted: z.boolean().optional(),
    is_email_confirmed: z.boolean().optional(),
    profile: z.object({ email: z.string().optional(), real_name: z.string().optional() }).loose().optional(),
  })
  .loose();

/** Slack's users.info is Tier 4; a few at a time keeps a group of 50 inside the deadline without a burst of 50. */
const CONCURRENCY = 8;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export interface UserGroupOption {
  id: string;
  label: string;
}

export class SlackPeople {
  constructor(
    private readonly client: WebClient,
    private readonly log: Log,
    private readonly deadlineMs = 2000,
  ) {}

  /** The members of a user group, as Slack lists them now (the caller freezes the list). */
  async groupMembers(groupId: string, deadlineMs = this.deadlineMs): Promise<string[]> {
    try {
      const res = await this.withDeadline(this.client.usergroups.users.list({ usergroup: groupId }), deadlineMs);
      return (res.users ?? []).filter((u): u is string => typeof u === 'string');
    } catch (err) {
      throw this.failure(err, 'usergroups.users.list');
    }
  }

  /** User groups for the form's picker (usergroups.list). Empty when Slack can't say (the picker shows nothing). */
  async userGroups(query: string): Promise<UserGroupOption[]> {
    try {
      const res = await this.withDeadline(this.client.usergroups.list({ include_disabled: false }));
      const q = query.toLowerCase();
      return (res.usergroups ?? [])
        .flatMap((g) => (g.id ? [{ id: g.id, label: g.handle ? `@${g.handle} (${g.name ?? g.handle})` : (g.name ?? g.id) }] : []))
        .filter((g) => !q || g.label.toLowerCase().includes(q));
    } catch (err) {
      this.log.warn({ error: errorText(err) }, 'could not list user groups');
      return [];
    }
  }

  /** Each person as Slack says they are now, in the order asked. Throws PeopleError when Slack can't say in time. */
  async profiles(ids: readonly string[], teamId: string, deadlineMs = this.deadlineMs): Promise<SlackPerson[]> {
    const out: SlackPerson[] = new Array(ids.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < ids.length; i = next++) out[i] = await this.profile(ids[i] ?? '', teamId);
    };
    await this.withDeadline(Promise.all(Array.from({ length: Math.min(CONCURRENCY, ids.length) }, worker)), deadlineMs);
    return out;
  }

  private async profile(id: string, teamId: string): Promise<SlackPerson> {
    let raw: unknown;
    try {
      raw = (await this.client.users.info({ user: id })).user;
    } catch (err) {
      // An id Slack doesn't know (a forged one, or someone removed): they can't be added, the others still can.
      if (slackErrorCode(err) === 'user_not_found') return { id, name: id, problem: 'unknown' };
      throw this.failure(err, 'users.info');
    }
    const parsed = userSchema.safeParse(raw);
    if (!parsed.success || parsed.data.id !== id) return { id, name: id, problem: 'unknown' };
    const u = parsed.data;
    const name = u.profile?.real_name || u.real_name || u.name || id;
    if (u.deleted) return { id, name, problem: 'deleted' };
    // (`is_app_user` is not a bot: it means the person authorised this app.)
    if (u.is_bot || id === 'USLACKBOT') return { id, name, problem: 'bot' };
    // Guests (single- and multi-channel) are outsiders to this Slack workspace; they aren't given Portkey access from here.
    if (u.is_restricted || u.is_ultra_restricted) return { id, name, problem: 'guest' };
    // Someone from another workspace (Slack Connect): their email is another organisation's to vouch for.
    if (u.team_id && u.team_id !== teamId) return { id, name, problem: 'other_team' };
    const email = u.profile?.email?.trim().toLowerCase();
    if (!email || !EMAIL.test(email)) return { id, name, problem: 'no_email' };
    if (u.is_email_confirmed === false) return { id, name, problem: 'unconfirmed_email' };
    return { id, name, email };
  }

  private failure(err: unknown, method: string): PeopleError {
    if (err instanceof PeopleError) return err;
    const code = slackErrorCode(err);
    if (code === 'plan_upgrade_required') return new PeopleError(`${method}: plan_upgrade_required`, 'plan');
    if (code === 'no_such_subteam') return new PeopleError(`${method}: no_such_subteam`, 'unknown_group');
    if (err && typeof err === 'object' && 'code' in err && err.code === ErrorCode.RateLimitedError) {
      const after = 'retryAfter' in err && typeof err.retryAfter === 'number' ? err.retryAfter : 30;
      this.log.warn({ method, retryAfterS: after }, 'Slack rate-limited a people lookup');
      return new PeopleError(`${method}: rate limited`, 'rate_limited', after);
    }
    this.log.warn({ method, error: errorText(err) }, 'a people lookup failed');
    return new PeopleError(`${method}: ${errorText(err)}`, 'unavailable');
  }

  private async withDeadline<T>(work: Promise<T>, ms = this.deadlineMs): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new PeopleError(`no answer within ${ms} ms`, 'unavailable')), Math.max(0, ms));
    });
    try {
      return await Promise.race([work, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}
