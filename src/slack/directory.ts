import type { WebClient } from '@slack/web-api';
import type { Log } from '../log.js';
import { errorText, slackErrorCode } from './errors.js';

/** Slack could not tell us who is in a group; a decision that depends on it must not be guessed. */
export class DirectoryError extends Error {}

interface Cached {
  members: ReadonlySet<string>;
  until: number;
}

/**
 * Who is in which Slack user group, read with usergroups.users.list and kept briefly (membership changes
 * rarely, and a decision must come within Slack's 3 s). Concurrent lookups of one group share one call.
 */
export class Directory {
  private readonly cache = new Map<string, Cached>();
  private readonly pending = new Map<string, Promise<ReadonlySet<string>>>();

  constructor(
    private readonly client: WebClient,
    private readonly log: Log,
    private readonly ttlMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The groups among `groups` that `userId` belongs to. Throws DirectoryError when Slack can't say. */
  async groupsOf(userId: string, groups: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    await Promise.all(
      [...new Set(groups)].map(async (g) => {
        if ((await this.members(g)).has(userId)) found.add(g);
      }),
    );
    return found;
  }

  private members(group: string): Promise<ReadonlySet<string>> {
    const hit = this.cache.get(group);
    if (hit && hit.until > this.now()) return Promise.resolve(hit.members);
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
      if (slackErrorCode(err) === 'no_such_subteam') {
        // A group the policy names that Slack doesn't have: nobody is in it. Worth fixing in the policy.
        this.log.warn({ group }, 'the policy names a user group Slack does not know; treating it as empty');
        members = new Set();
      } else {
        this.log.warn({ group, error: errorText(err) }, 'could not read a user group');
        throw new DirectoryError(`Slack didn't say who is in user group ${group}`);
      }
    }
    this.cache.set(group, { members, until: this.now() + this.ttlMs });
    return members;
  }
}
