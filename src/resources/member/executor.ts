import type { Log } from '../../log.js';
import type { Executor, Outcome, Plan, PlannedCall } from '../../operations/types.js';
import type { Summary, SummaryRow } from '../../operations/summary.js';
import type { PortkeyClient } from '../../portkey/client.js';
import type { WorkspaceRole } from '../../portkey/schemas.js';
import { describePortkeyError } from '../../portkey/errors.js';
import type { OperationRecord } from '../../store/index.js';
import { mayHaveBeenCreated } from '../../operations/failure.js';
import { addBody, addPeople, inviteBody, PAGE, type Report, type Target } from './add.js';
import { storedMembers, storedReport, type StoredMembers } from './stored.js';
import { membersAddedMessage, membersFailedMessage } from './view.js';

/** The people to look up in Portkey: those Slack gave an email for at submission (frozen: the list the approver saw). */
export function targetsOf(req: {
  people: ReadonlyArray<{ userId: string; email?: string | undefined; problem?: string | undefined }>;
}): Target[] {
  return req.people.flatMap((p) => (p.email && !p.problem ? [{ userId: p.userId, email: p.email }] : []));
}

function done(report: Report): number {
  return report.added.length + report.invited.length;
}

/** What a failure midway says: how far it got, and that submitting again finishes without doing anything twice. */
function partlyText(report: Report, step: string, error: unknown): string {
  const so = done(report) > 0 ? `${report.added.length} added and ${report.invited.length} invited, then ` : '';
  return (
    `Portkey failed while ${step} (${so}it stopped). ${describePortkeyError(error, 'request', { nothingCreated: false })} ` +
    'Go back to the form and submit again: people already added or invited are recognised and not added twice.'
  );
}

async function run(portkey: PortkeyClient, op: OperationRecord, log: Log): Promise<Outcome> {
  const req = storedMembers(op);
  if (!req) {
    return {
      ok: false,
      error: 'The stored request could not be read. Nothing was changed; please submit it again.',
      unknown: false,
      refund: true,
    };
  }
  // Not one budget for the whole run: addPeople gives each step its own deadline (see there).
  const result = await addPeople(portkey, { workspaceId: req.workspace.id, role: req.role, targets: targetsOf(req) }, log);
  if (!result.ok) {
    // Once something was sent, part may be done (a lost answer, or people added before the failure): a retry checks first.
    return { ok: false, error: partlyText(result.report, result.step, result.error), unknown: result.wrote };
  }
  return {
    ok: true,
    id: req.workspace.id,
    slug: req.workspace.slug ?? req.workspace.id,
    recovered: false,
    result: { report: result.report },
  };
}

export function memberExecutor(portkey: PortkeyClient): Executor {
  return {
    execute: (op, _secrets, log) => run(portkey, op, log),

    // After a crash the same idempotent run finishes it: what Portkey holds is read before anything is sent, so what
    // was done before the crash is recognised and only the rest is done — the request approved, not a new one.
    async find(op, _secrets, log) {
      const outcome = await run(portkey, op, log);
      return outcome.ok ? { ...outcome, recovered: true } : outcome;
    },

    subject(op) {
      const req = storedMembers(op);
      if (!req) return {};
      return subjectOf(req);
    },

    successMessage(op) {
      const req = storedMembers(op);
      if (!req) return { text: 'People were added to a Portkey workspace.' };
      return membersAddedMessage({ req, report: storedReport(op), userId: op.requesterId });
    },

    failureMessage(op) {
      return membersFailedMessage({
        workspace: storedMembers(op)?.workspace.name ?? 'workspace',
        error: op.error ?? 'It failed.',
        mayExist: mayHaveBeenCreated(op),
      });
    },

    describe: describeMembers,
    plan: planMembers,
  };
}

/**
 * The preview: the calls `execute` makes, in order, from the same body builders. Who is already in, in the
 * organisation or invited is only known once Portkey is read, so the writes say when each is made; an add names
 * Portkey's user ids, which the look-ups find (shown as placeholders).
 */
export function planMembers(op: Pick<OperationRecord, 'request'>): Plan | undefined {
  const req = storedMembers(op);
  if (!req) return undefined;
  const ws = encodeURIComponent(req.workspace.id);
  const calls: PlannedCall[] = [
    { method: 'GET', path: `/admin/workspaces/${ws}`, phase: 'submit', purpose: 'Reads the workspace, as approvers are shown it.' },
    ...planPeople(req.workspace.id, req.role, targetsOf(req)),
  ];
  // Nothing of a members request is secret (emails are personal data: not shown, see planPeople).
  return { calls, secrets: [] };
}

/**
 * The calls `addPeople` makes for these people in this workspace, in order, from the same body builders. A preview
 * costs no quota and leaves no audit row: it must not read out anyone's Slack email (a workspace may hide emails from
 * its members). Each person stands in for their email; the run sends the email Slack gives.
 */
export function planPeople(workspaceId: string, role: WorkspaceRole, people: readonly Target[]): PlannedCall[] {
  const targets = people.map((t) => ({ ...t, email: `slack-email-of-${t.userId}` }));
  const ws = encodeURIComponent(workspaceId);
  const q = (o: Record<string, string>) => new URLSearchParams(o).toString();
  const calls: PlannedCall[] = [
    {
      method: 'GET',
      path: `/admin/workspaces/${ws}/users?${q({ current_page: '0', page_size: String(PAGE) })}`,
      phase: 'run',
      purpose: `Reads who is in the workspace already (each page of ${PAGE}).`,
    },
  ];
  for (const t of targets) {
    calls.push(
      {
        method: 'GET',
        path: `/admin/users?${q({ email: t.email, pageSize: '10', currentPage: '0' })}`,
        phase: 'run',
        purpose: 'Looks the person up in the organisation by their Slack email.',
        onlyIf: 'they are not in the workspace yet',
      },
      {
        method: 'GET',
        path: `/admin/users/invites?${q({ email: t.email, status: 'pending', pageSize: '10', currentPage: '0' })}`,
        phase: 'run',
        purpose: 'Looks for an invite already pending for them.',
        onlyIf: 'they are not in the organisation',
      },
    );
  }
  calls.push({
    method: 'POST',
    path: `/admin/workspaces/${ws}/users`,
    body: addBody(['<Portkey user id of each person found>'], role),
    phase: 'run',
    purpose: 'Adds everyone found in the organisation, in one request.',
    onlyIf: 'someone is in the organisation but not in the workspace',
  });
  for (const t of targets) {
    calls.push({
      method: 'POST',
      path: '/admin/users/invites',
      body: inviteBody(t.email, workspaceId, role),
      phase: 'run',
      purpose: 'Invites the person into the organisation and this workspace.',
      onlyIf: 'they are not in the organisation and have no pending invite',
    });
  }
  return calls;
}

/** What the policy sees: the workspace as Portkey holds it, the role, and the people who would be added (Slack's ids). */
export function subjectOf(req: StoredMembers) {
  const targets = targetsOf(req);
  return {
    workspaces: [{ id: req.workspace.id, ...(req.workspace.slug ? { slug: req.workspace.slug } : {}) }],
    role: req.role,
    people: { count: targets.length, userIds: targets.map((t) => t.userId) },
  };
}

/** For approvers and the audit channel: the workspace as Portkey holds it, the role, and the people as Slack mentions
 *  (no emails: the approvals channel may be public). */
export function describeMembers(op: Pick<OperationRecord, 'request'>): Summary {
  const req = storedMembers(op);
  if (!req) return { title: 'workspace members', rows: [] };
  const targets = targetsOf(req).map((t) => t.userId);
  const rows: SummaryRow[] = [
    { label: 'Workspace', value: `${req.workspace.name} (${req.workspace.id})`, critical: true },
    { label: 'Role', value: req.role, critical: true },
    { label: `People (${targets.length})`, value: targets.join(', '), critical: true, mentions: targets },
  ];
  if (req.group) {
    const size = req.group.size === 1 ? '1 person' : `${req.group.size} people`;
    // The id, not <!subteam^…>: a mention would notify the whole group from the approvals channel.
    rows.push({ label: 'From user group', value: `${req.group.id} (${size} when submitted; later joiners are not added)` });
  }
  const left = req.people.length - targets.length;
  if (left > 0) rows.push({ label: 'Left out', value: `${left} (no usable email, a bot, a guest or deactivated)` });
  // Read after "asks to create …": "workspace access for 3 people in Research as admin".
  const people = targets.length === 1 ? '1 person' : `${targets.length} people`;
  return { title: `workspace access for ${people} in ${req.workspace.name} as ${req.role}`, rows };
}
