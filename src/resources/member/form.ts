import { z } from 'zod';
import { WORKSPACE_ROLES, type WorkspaceRole } from '../../portkey/schemas.js';
import type { FormResult } from '../../features/kind.js';
import { readState, selectedChoice, type Choice } from '../../slack/state.js';
import { MAX_PEOPLE, MB_FIELDS } from './ids.js';

/** What the person picked, as picked: kept so "Back to the form" can restore it. Labels are the client's, shown only
 *  back to that person; approvers see what Slack and Portkey say for the ids. */
export interface MemberDraft {
  workspace: Choice | undefined;
  users: string[];
  group: Choice | undefined;
  role: string;
}

/** A request to check with Slack and Portkey: ids only. */
export interface MemberRequest {
  workspaceId: string;
  users: string[];
  groupId: string | undefined;
  role: WorkspaceRole;
}

export const EMPTY_DRAFT: MemberDraft = { workspace: undefined, users: [], group: undefined, role: 'member' };

const USER_ID = /^[UW][A-Z0-9]{2,30}$/;
const GROUP_ID = /^S[A-Z0-9]{2,30}$/;
const WORKSPACE_ID = /^[A-Za-z0-9_-]{1,100}$/;

// multi_users_select's state is `selected_users`, which slack/state.ts doesn't read.
const usersState = z.object({ selected_users: z.array(z.string()).nullish() }).loose();
const roleState = z.object({ selected_option: z.object({ value: z.string() }).loose().nullish() }).loose();

export function readMemberDraft(values: unknown): MemberDraft {
  const s = readState(values);
  return { workspace: selectedChoice(s, MB_FIELDS.workspace.block, MB_FIELDS.workspace.action), ...readPeopleDraft(values, MB_FIELDS) };
}

type Field = { block: string; action: string };

/** The people fields (users, user group, role) as picked, wherever they sit (the members form, the onboarding form). */
export function readPeopleDraft(values: unknown, fields: { users: Field; group: Field; role: Field }): Omit<MemberDraft, 'workspace'> {
  const s = readState(values);
  const raw = (values ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const users = usersState.safeParse(raw[fields.users.block]?.[fields.users.action]);
  const role = roleState.safeParse(raw[fields.role.block]?.[fields.role.action]);
  return {
    users: users.success ? (users.data.selected_users ?? []) : [],
    group: selectedChoice(s, fields.group.block, fields.group.action),
    role: role.success ? (role.data.selected_option?.value ?? '') : '',
  };
}

/** Checks the ids' shapes and the count (the ids themselves are checked with Slack and Portkey next). Pure. */
export function validateMemberDraft(draft: MemberDraft): FormResult<MemberRequest> {
  const errors: Record<string, string> = {};
  const workspaceId = draft.workspace?.value ?? '';
  if (!WORKSPACE_ID.test(workspaceId)) errors[MB_FIELDS.workspace.block] = 'Pick the workspace to add people to.';
  const people = validatePeople(draft, MB_FIELDS);
  if (people.ok && people.value === undefined) errors[MB_FIELDS.users.block] = 'Pick people, a user group, or both.';
  if (!people.ok) Object.assign(errors, people.errors);
  if (Object.keys(errors).length > 0 || !people.ok || !people.value) return { ok: false, errors };
  return { ok: true, value: { workspaceId, ...people.value } };
}

/** The people fields checked by shape; `undefined` when nobody was picked. Errors by the fields' block ids. Pure. */
export function validatePeople(
  draft: { users: readonly string[]; group?: Choice | undefined; role: string },
  fields: { users: Field; group: Field; role: Field },
): FormResult<Omit<MemberRequest, 'workspaceId'> | undefined> {
  const errors: Record<string, string> = {};
  const users = [...new Set(draft.users)];
  if (users.some((u) => !USER_ID.test(u))) errors[fields.users.block] = 'Pick people from the list.';
  else if (users.length > MAX_PEOPLE) errors[fields.users.block] = tooMany(users.length);
  const groupId = draft.group?.value;
  if (groupId !== undefined && !GROUP_ID.test(groupId)) errors[fields.group.block] = 'Pick a user group from the list.';
  const role = WORKSPACE_ROLES.find((r) => r === draft.role);
  if (!role) errors[fields.role.block] = 'Pick a role: member, manager or admin.';
  if (Object.keys(errors).length > 0 || !role) return { ok: false, errors };
  if (users.length === 0 && groupId === undefined) return { ok: true, value: undefined };
  return { ok: true, value: { users, groupId, role } };
}

export function tooMany(count: number, what = 'people'): string {
  return (
    `That is ${count.toLocaleString('en-US')} ${what}; at most ${MAX_PEOPLE} can be added in one request. ` +
    `Pick fewer people, or a smaller user group, and add the rest in another request.`
  );
}
