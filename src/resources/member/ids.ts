// Block and action ids of the members modal, shared by the view builder and its listeners.
export const MEMBER_CALLBACK = 'member_add';
export const MEMBER_RESULT_CALLBACK = 'member_result';

export const MB_FIELDS = {
  workspace: { block: 'mb_workspace', action: 'mb_workspace_pick' },
  users: { block: 'mb_users', action: 'users' },
  group: { block: 'mb_group', action: 'mb_group_pick' },
  role: { block: 'mb_role', action: 'role' },
} as const;

/** The people fields the members kind lends the onboarding form: its own blocks there; the group picker is this kind's. */
export const MB_STEP_FIELDS = {
  users: { block: 'ob_users', action: 'users' },
  group: { block: 'ob_group', action: MB_FIELDS.group.action },
  role: { block: 'ob_role', action: 'role' },
} as const;

export const MB_ACTIONS = {
  /** "Back to the form" on the error view. */
  back: 'member_back',
  /** "Add people to a workspace" (help message). */
  open: 'member_open',
} as const;

/**
 * At most this many people per request. Each is one users.info before Slack's 3 s ack and one row an approver must
 * read; a user group of 5,000 is refused with this number, never cut silently.
 */
export const MAX_PEOPLE = 50;
