import { z } from 'zod';
import { WORKSPACE_ROLES } from '../../portkey/schemas.js';
import type { OperationRecord } from '../../store/index.js';
import { EMPTY_REPORT, type Report } from './add.js';
import type { MemberDraft } from './form.js';

// What a members operation stores: the draft (for "Back to the form"), the workspace as Portkey held it, and the
// people frozen at submission — the list the approver saw, with the email Slack gave for each. A user group is
// expanded once, then: people who join it after approval are not added by this request.

export const PROBLEMS = ['no_email', 'unconfirmed_email', 'bot', 'deleted', 'guest', 'unknown', 'other_team'] as const;

const choice = z.object({ value: z.string(), label: z.string() });
const draftSchema = z.object({
  workspace: choice.optional(),
  users: z.array(z.string()),
  group: choice.optional(),
  role: z.string(),
});
const personSchema = z.object({ userId: z.string(), email: z.string().optional(), problem: z.enum(PROBLEMS).optional() });
export type StoredPerson = z.infer<typeof personSchema>;

const storedSchema = z.object({
  draft: draftSchema,
  workspace: z.object({ id: z.string(), name: z.string(), slug: z.string().optional() }),
  role: z.enum(WORKSPACE_ROLES),
  /** The user group picked, and how many people Slack listed in it at submission. */
  group: z.object({ id: z.string(), size: z.number() }).optional(),
  people: z.array(personSchema),
});
export type StoredMembers = z.infer<typeof storedSchema>;

const reportSchema = z.object({
  added: z.array(z.string()),
  invited: z.array(z.string()),
  already: z.array(z.string()),
  alreadyInvited: z.array(z.string()),
  invitePending: z.array(z.string()),
});

export function storedMembers(op: Pick<OperationRecord, 'request'>): StoredMembers | undefined {
  const parsed = storedSchema.safeParse(op.request);
  return parsed.success ? parsed.data : undefined;
}

export function storedDraft(op: Pick<OperationRecord, 'request'>): MemberDraft | undefined {
  const d = storedMembers(op)?.draft;
  return d ? { workspace: d.workspace, users: d.users, group: d.group, role: d.role } : undefined;
}

/** The report a finished (or partly finished) operation keeps in its result. */
export function storedReport(op: Pick<OperationRecord, 'result'>): Report {
  const parsed = reportSchema.safeParse((op.result as { report?: unknown } | null)?.report);
  return parsed.success ? parsed.data : EMPTY_REPORT;
}
