import type { Log } from '../../log.js';
import type { PortkeyClient } from '../../portkey/client.js';
import { PortkeyError } from '../../portkey/errors.js';
import type { AddMembersBody, CreateInviteBody, Invite, WorkspaceRole } from '../../portkey/schemas.js';

// Adding people to a Portkey workspace, idempotently: what Portkey already holds is read first (the workspace's
// members, the organisation's users, pending invites), so a retry or a restart after a crash does only what is left
// and never sends an invite or an add twice. Portkey is matched on the email frozen at submission.

/** Someone to add: the Slack id (for messages) and the email Slack gave at submission (for Portkey). */
export interface Target {
  userId: string;
  email: string;
}

/** How each person ended, by Slack id. */
export interface Report {
  added: string[];
  invited: string[];
  /** Already in the workspace (any role: it is not changed). */
  already: string[];
  /** A pending invite to this workspace was there already (an earlier attempt's, or someone's). */
  alreadyInvited: string[];
  /** Invited to the organisation already, for other workspaces: a second invite would be refused. */
  invitePending: string[];
}

export const EMPTY_REPORT: Report = { added: [], invited: [], already: [], alreadyInvited: [], invitePending: [] };

export type AddResult = { ok: true; report: Report } | { ok: false; report: Report; error: unknown; step: string; wrote: boolean };

/** The add's body: organisation users by their Portkey id, each with the role asked for. */
export function addBody(userIds: readonly string[], role: WorkspaceRole): AddMembersBody {
  return { users: userIds.map((id) => ({ id, role })) };
}

/** An invite into the organisation as a plain member, into this one workspace with the role asked for. */
export function inviteBody(email: string, workspaceId: string, role: WorkspaceRole): CreateInviteBody {
  return { email, role: 'member', workspaces: [{ id: workspaceId, role }] };
}

/** Workspace members are read in pages of this size, up to MAX_PAGES (a workspace of 5,000 people). */
export const PAGE = 100;
const MAX_PAGES = 50;

export async function addPeople(
  portkey: PortkeyClient,
  p: { workspaceId: string; role: WorkspaceRole; targets: readonly Target[] },
  log: Log,
): Promise<AddResult> {
  const report: Report = { added: [], invited: [], already: [], alreadyInvited: [], invitePending: [] };
  const toAdd: Array<Target & { portkeyId: string }> = [];
  const toInvite: Target[] = [];
  let step = 'reading who is in the workspace';
  try {
    // Each step has its own deadline (portkey/budget.ts): a request of 50 people makes ~100 reads, which one
    // create's budget could not hold, while a Portkey that hangs still fails the first read in one timeout.
    const members = await memberEmails(portkey.budgeted('list'), p.workspaceId);
    step = 'looking people up in Portkey';
    const newcomers = p.targets.filter((t) => !members.has(t.email));
    const found = await inOrder(newcomers, LOOKUPS_AT_ONCE, (t) => lookUp(portkey.budgeted('list'), t, p.workspaceId));
    for (const t of p.targets) if (members.has(t.email)) report.already.push(t.userId);
    newcomers.forEach((t, i) => {
      const f = found[i];
      if (f?.kind === 'user') toAdd.push({ ...t, portkeyId: f.id });
      else if (f?.kind === 'invited_here') report.alreadyInvited.push(t.userId);
      else if (f?.kind === 'invited_elsewhere') report.invitePending.push(t.userId);
      else toInvite.push(t);
    });
  } catch (error) {
    return { ok: false, report, error, step, wrote: false };
  }

  if (toAdd.length > 0) {
    step = 'adding people to the workspace';
    try {
      await portkey.budgeted('create').addWorkspaceMembers(
        p.workspaceId,
        addBody(
          toAdd.map((t) => t.portkeyId),
          p.role,
        ),
      );
      report.added.push(...toAdd.map((t) => t.userId));
    } catch (error) {
      // A lost answer, or 409 because someone was added meanwhile: what Portkey now holds says what is done.
      const landed = await settled(() => memberEmails(portkey.budgeted('list'), p.workspaceId));
      if (!landed || !toAdd.every((t) => landed.has(t.email))) return { ok: false, report, error, step, wrote: true };
      log.warn({ error: error instanceof Error ? error.message : String(error) }, 'members add: answer lost, but everyone is in');
      report.added.push(...toAdd.map((t) => t.userId));
    }
  }

  for (const t of toInvite) {
    step = 'inviting people to Portkey';
    try {
      await portkey.budgeted('create').createInvite(inviteBody(t.email, p.workspaceId, p.role));
      report.invited.push(t.userId);
    } catch (error) {
      const pending = await settled(() => portkey.budgeted('list').findPendingInvites(t.email));
      if (!pending?.data.some((i) => sameEmail(i.email, t.email) && invitesTo(i, p.workspaceId))) {
        return { ok: false, report, error, step, wrote: true };
      }
      report.invited.push(t.userId);
    }
  }
  return { ok: true, report };
}

/** Lookups in flight at once: quick for 50 people, gentle on Portkey's rate limits. */
const LOOKUPS_AT_ONCE = 5;

type Found = { kind: 'user'; id: string } | { kind: 'invited_here' } | { kind: 'invited_elsewhere' } | { kind: 'nobody' };

/** Who this email is to Portkey: an organisation user, someone with a pending invite (here or elsewhere), or nobody. */
async function lookUp(portkey: PortkeyClient, t: Target, workspaceId: string): Promise<Found> {
  const user = (await portkey.findUsersByEmail(t.email)).data.find((u) => sameEmail(u.email, t.email));
  if (user) return { kind: 'user', id: user.id };
  const pending = (await portkey.findPendingInvites(t.email)).data.filter((i) => sameEmail(i.email, t.email));
  if (pending.some((i) => invitesTo(i, workspaceId))) return { kind: 'invited_here' };
  return pending.length > 0 ? { kind: 'invited_elsewhere' } : { kind: 'nobody' };
}

/** `work` for each item, at most `limit` at a time; the results in the items' order. The first failure rejects. */
async function inOrder<T, R>(items: readonly T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) out[i] = await work(items[i] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/** The emails of a workspace's members, lowercased. Throws when Portkey can't say (nothing is guessed). */
async function memberEmails(portkey: PortkeyClient, workspaceId: string): Promise<Set<string>> {
  const emails = new Set<string>();
  for (let page = 0; page < MAX_PAGES; page++) {
    const list = await portkey.listWorkspaceMembers(workspaceId, { page, pageSize: PAGE });
    for (const m of list.data) if (m.email) emails.add(m.email.toLowerCase());
    if (list.data.length + list.skipped < PAGE) return emails;
  }
  throw new PortkeyError({ kind: 'invalid_response', portkeyMessage: `more than ${PAGE * MAX_PAGES} workspace members` });
}

async function settled<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch {
    return undefined;
  }
}

function sameEmail(a: string | undefined, b: string): boolean {
  return a !== undefined && a.toLowerCase() === b;
}

/** Whether an invite names this workspace. The list's example shows `workspaces[].workspace_id`; the create uses `id`. */
function invitesTo(invite: Invite, workspaceId: string): boolean {
  return (invite.workspaces ?? []).some((w) => w.workspace_id === workspaceId || w.id === workspaceId);
}
