import type { SlackViewAction } from '@slack/bolt';
import type { Deps } from '../../deps.js';
import type { Prepared } from '../../features/kind.js';
import { PortkeyError } from '../../portkey/errors.js';
import { workspaceLabel } from '../../portkey/schemas.js';
import { errorText } from '../../slack/errors.js';
import { PeopleError, type SlackPeople, type SlackPerson } from '../../slack/people.js';
import { subjectOf } from './executor.js';
import { readMemberDraft, tooMany, validateMemberDraft, type MemberRequest } from './form.js';
import { MAX_PEOPLE, MB_FIELDS } from './ids.js';
import type { StoredMembers } from './stored.js';

// A submission checked with Slack and Portkey before the ack (Slack's 3 s), under one deadline, failing closed: the
// workspace as Portkey holds it (never the option label the client sent), the user group expanded and frozen, and each
// person's profile from users.info (a forged id is someone Slack doesn't know). The policy then sees all of it.

/** What is left of Slack's 3 s after this is for the policy and the store. */
export const RESOLVE_DEADLINE_MS = 2200;

const errors = (block: string, text: string): Prepared => ({ ok: false, ack: { response_action: 'errors', errors: { [block]: text } } });

export async function prepareMembers(deps: Deps, body: SlackViewAction): Promise<Prepared> {
  const draft = readMemberDraft(body.view.state.values);
  const checked = validateMemberDraft(draft);
  if (!checked.ok) return { ok: false, ack: { response_action: 'errors', errors: checked.errors } };
  const people = deps.people;
  if (!people) return errors(MB_FIELDS.users.block, "This app can't look people up in Slack here. Nothing was sent.");
  const req = checked.value;
  const started = Date.now();
  const left = () => RESOLVE_DEADLINE_MS - (Date.now() - started);
  const teamId = body.team?.id ?? body.user.team_id ?? '';

  const workspace = deps.portkey
    .getWorkspace(req.workspaceId, { timeoutMs: RESOLVE_DEADLINE_MS, retries: 0 })
    .then((w) => ({ ok: true as const, w }))
    .catch((err: unknown) => ({ ok: false as const, err }));
  const looked = await resolvePeople(people, req, teamId, left(), MB_FIELDS);
  if (!looked.ok) return errors(looked.block, looked.text);
  const { group, found } = looked;
  const ws = await workspace;
  if (!ws.ok) {
    const missing = ws.err instanceof PortkeyError && ws.err.kind === 'api' && (ws.err.status === 403 || ws.err.status === 404);
    if (!missing) deps.log.warn({ error: errorText(ws.err) }, 'members: the workspace lookup failed');
    return errors(
      MB_FIELDS.workspace.block,
      missing
        ? 'Portkey has no such workspace that this app can see. Pick it again from the list.'
        : "Portkey didn't answer in time, so the workspace couldn't be checked. Nothing was sent; try again in a moment.",
    );
  }
  const stored = storedOf(draft, req, found, group, { id: ws.w.id, name: workspaceLabel(ws.w), slug: ws.w.slug });
  if (!stored.people.some((p) => p.email)) {
    return errors(MB_FIELDS.users.block, nobodyText(stored));
  }
  return { ok: true, request: stored, subject: subjectOf(stored) };
}

export type PeopleFound = { ok: true; group: string[] | undefined; found: SlackPerson[] } | { ok: false; block: string; text: string };

/**
 * The user group expanded (frozen now) and each person's profile from users.info, within `deadlineMs`: at most
 * MAX_PEOPLE in all, or it is refused with the count. `blocks` name the form's fields an error is shown on.
 */
export async function resolvePeople(
  people: SlackPeople,
  req: { users: readonly string[]; groupId: string | undefined },
  teamId: string,
  deadlineMs: number,
  blocks: { users: { block: string }; group: { block: string } },
): Promise<PeopleFound> {
  const started = Date.now();
  const left = () => deadlineMs - (Date.now() - started);
  try {
    const group = req.groupId ? await people.groupMembers(req.groupId, left()) : undefined;
    const ids = [...new Set([...req.users, ...(group ?? [])])];
    if (ids.length > MAX_PEOPLE) {
      return {
        ok: false,
        block: req.groupId && req.users.length <= MAX_PEOPLE ? blocks.group.block : blocks.users.block,
        text: tooMany(ids.length),
      };
    }
    return { ok: true, group, found: await people.profiles(ids, teamId, left()) };
  } catch (err) {
    if (!(err instanceof PeopleError)) throw err;
    const block = err.failure === 'plan' || err.failure === 'unknown_group' ? blocks.group.block : blocks.users.block;
    return { ok: false, block, text: err.forPeople };
  }
}

/** Each person as stored: the email Slack gave, or why they can't be added. */
export function storedPeople(found: readonly SlackPerson[]): StoredMembers['people'] {
  return found.map((p) => ('email' in p ? { userId: p.id, email: p.email } : { userId: p.id, problem: p.problem }));
}

function storedOf(
  draft: StoredMembers['draft'],
  req: MemberRequest,
  found: SlackPerson[],
  group: string[] | undefined,
  workspace: { id: string; name: string; slug: string | undefined },
): StoredMembers {
  return {
    draft,
    workspace: { id: workspace.id, name: workspace.name, ...(workspace.slug ? { slug: workspace.slug } : {}) },
    role: req.role,
    ...(req.groupId && group ? { group: { id: req.groupId, size: group.length } } : {}),
    people: storedPeople(found),
  };
}

/** Why nobody picked can be added (no one has a usable email). */
export function nobodyText(s: { people: ReadonlyArray<{ problem?: string | undefined }> }): string {
  const counts = new Map<string, number>();
  for (const p of s.people) if (p.problem) counts.set(p.problem, (counts.get(p.problem) ?? 0) + 1);
  const words: Record<string, string> = {
    no_email: 'no email visible to the app',
    unconfirmed_email: 'email not confirmed',
    bot: 'a bot or app',
    deleted: 'deactivated',
    guest: 'a guest',
    unknown: 'unknown to Slack',
    other_team: 'from another Slack workspace',
  };
  const parts = [...counts].map(([k, n]) => `${words[k] ?? k}: ${n}`);
  // Nobody with an email at all is most often the app's token, not the people: say so.
  const scope =
    s.people.length > 0 && s.people.every((p) => p.problem === 'no_email')
      ? " If nobody's email shows, the app may lack Slack's users:read.email scope: ask whoever runs it."
      : '';
  return `None of these people can be added (${parts.join('; ') || 'nobody was picked'}). Nothing was sent.${scope}`;
}
