import { z } from 'zod';
import type { MembersPart, PeopleRequest } from '../../features/onboard.js';
import { workspaceRefOf } from '../../features/onboard.js';
import type { Step, StepOutcome, StepResults } from '../../operations/steps.js';
import type { SummaryRow } from '../../operations/summary.js';
import type { Log } from '../../log.js';
import type { PortkeyClient } from '../../portkey/client.js';
import { describePortkeyError } from '../../portkey/errors.js';
import { WORKSPACE_ROLES } from '../../portkey/schemas.js';
import { mention } from '../../slack/escape.js';
import { addPeople, type Report } from './add.js';
import { planPeople, targetsOf } from './executor.js';
import { readPeopleDraft, validatePeople } from './form.js';
import { MB_STEP_FIELDS } from './ids.js';
import { nobodyText, resolvePeople, storedPeople } from './resolve.js';
import { PROBLEMS } from './stored.js';
import { peopleBlocks } from './view.js';

// The members as a step of the onboarding bundle: the people frozen at submission (a user group expanded then, each
// email from users.info), added to or invited into the workspace the first step created, with the same idempotent
// addPeople as `/portkey members add` — what Portkey holds is read first, so a retry or a restart never adds twice.

const requestSchema = z.object({
  role: z.enum(WORKSPACE_ROLES),
  group: z.object({ id: z.string(), size: z.number() }).optional(),
  people: z.array(z.object({ userId: z.string(), email: z.string().optional(), problem: z.enum(PROBLEMS).optional() })),
});

const SHORT_PROBLEM: Record<(typeof PROBLEMS)[number], string> = {
  no_email: 'no email visible',
  unconfirmed_email: 'email not confirmed',
  bot: 'a bot',
  deleted: 'deactivated',
  guest: 'a guest',
  unknown: 'unknown to Slack',
  other_team: 'another Slack workspace',
};

/** Who was added, invited, already there, and who couldn't be (and why), as mentions: no emails (it goes to the channel). */
export function peopleNote(request: z.infer<typeof requestSchema>, report: Report): string {
  const parts: string[] = [];
  const list = (label: string, ids: readonly string[]) => {
    if (ids.length > 0) parts.push(`${label} ${ids.map(mention).join(', ')}`);
  };
  list('added', report.added);
  list('invited', report.invited);
  list('already members:', report.already);
  list('already invited:', report.alreadyInvited);
  const couldNot = [
    ...report.invitePending.map((id) => `${mention(id)} (pending invite to other workspaces)`),
    ...request.people.flatMap((p) => (p.problem ? [`${mention(p.userId)} (${SHORT_PROBLEM[p.problem]})`] : [])),
  ];
  if (couldNot.length > 0) parts.push(`couldn't be added: ${couldNot.join(', ')}`);
  return `as *${request.role}*: ${parts.join('; ') || 'nobody'}`;
}

function label(request: PeopleRequest): string {
  const n = targetsOf(request).length;
  return `Add ${n === 1 ? '1 person' : `${n} people`} as ${request.role}`;
}

async function add(
  portkey: PortkeyClient,
  request: PeopleRequest,
  workspaceStep: string,
  done: StepResults,
  log: Log,
): Promise<StepOutcome> {
  const ws = workspaceRefOf(done.get(workspaceStep));
  if (!ws) return { ok: false, unknown: false, error: 'The workspace to add them to was not created.' };
  const req = requestSchema.safeParse(request);
  if (!req.success) return { ok: false, unknown: false, error: 'The stored people could not be read. Nothing was sent.' };
  const result = await addPeople(portkey, { workspaceId: ws.id, role: req.data.role, targets: targetsOf(req.data) }, log);
  if (!result.ok) {
    const so = result.report.added.length + result.report.invited.length > 0 ? ' after adding or inviting some' : '';
    const why = describePortkeyError(result.error, 'request', { nothingCreated: false });
    return { ok: false, unknown: result.wrote, error: `Portkey failed while ${result.step}${so}. ${why}` };
  }
  // Slack ids only (the result is stored and audited): the emails stay in the request.
  return { ok: true, result: { workspaceId: ws.id, role: req.data.role, ...result.report, note: peopleNote(req.data, result.report) } };
}

export const membersPart: MembersPart = {
  fields: (draft) => peopleBlocks(draft, MB_STEP_FIELDS),
  readDraft: (values) => readPeopleDraft(values, MB_STEP_FIELDS),
  validate: (draft) => validatePeople(draft, MB_STEP_FIELDS),

  async resolve(deps, pick, teamId, deadlineMs) {
    const block = MB_STEP_FIELDS.users.block;
    if (!deps.people) return { ok: false, errors: { [block]: "This app can't look people up in Slack here. Nothing was sent." } };
    const looked = await resolvePeople(deps.people, pick, teamId, deadlineMs, MB_STEP_FIELDS);
    if (!looked.ok) return { ok: false, errors: { [looked.block]: looked.text } };
    const request: PeopleRequest = {
      role: pick.role,
      ...(pick.groupId && looked.group ? { group: { id: pick.groupId, size: looked.group.length } } : {}),
      people: storedPeople(looked.found),
    };
    if (!request.people.some((p) => p.email)) return { ok: false, errors: { [block]: nobodyText(request) } };
    return { ok: true, request };
  },

  // As a `member.add` of these people with this role is decided: the role, the count, and whether the requester is
  // among them (the self-promotion guard). The workspace is the bundle's new one: it has no id to match on yet.
  subject(request) {
    const targets = targetsOf(request);
    return { action: 'member.add', role: request.role, people: { count: targets.length, userIds: targets.map((t) => t.userId) } };
  },

  describe(request): SummaryRow[] {
    const targets = targetsOf(request).map((t) => t.userId);
    const rows: SummaryRow[] = [
      { label: 'Members · role', value: request.role, critical: true },
      { label: `Members · people (${targets.length})`, value: targets.join(', '), critical: true, mentions: targets },
    ];
    if (request.group) {
      const size = request.group.size === 1 ? '1 person' : `${request.group.size} people`;
      // The id, not <!subteam^…>: a mention would notify the whole group from the approvals channel.
      rows.push({ label: 'Members · from user group', value: `${request.group.id} (${size} when submitted; later joiners are not added)` });
    }
    const left = request.people.length - targets.length;
    if (left > 0) rows.push({ label: 'Members · left out', value: `${left} (no usable email, a bot, a guest or deactivated)` });
    return rows;
  },

  plan: (request, workspaceId) => planPeople(workspaceId, request.role, targetsOf(request)),

  step(portkey, request, workspaceStep): Step {
    return {
      key: 'members',
      label: label(request),
      run: (done, log) => add(portkey, request, workspaceStep, done, log),
      // After a crash or a lost answer the same idempotent add finishes it: what Portkey holds is read before anything
      // is sent, so who was added or invited before is recognised and only the rest is done.
      find: (done, _window, log) => add(portkey, request, workspaceStep, done, log),
    };
  },
};
