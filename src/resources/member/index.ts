import { decide } from '../../policy/decide.js';
import { decisionText } from '../../features/policy/view.js';
import type { ResourceKind } from '../../features/kind.js';
import { WORKSPACE_ROLES } from '../../portkey/schemas.js';
import { memberExecutor } from './executor.js';
import { EMPTY_DRAFT } from './form.js';
import { MB_ACTIONS, MB_FIELDS, MEMBER_CALLBACK } from './ids.js';
import { registerMembers } from './listeners.js';
import { prepareMembers } from './resolve.js';
import { memberStateView } from './state.js';
import { storedDraft } from './stored.js';
import { memberModal } from './view.js';

// The members kind: adding Slack people to a Portkey workspace with a role, from this folder.

const GONE = ':information_source: What you picked is no longer available. Please fill the form again.';

export const memberKind: ResourceKind = {
  action: 'member.add',
  noun: { one: 'member', many: 'members' },
  command: { words: ['members', 'member'], usage: 'members add', about: 'Add Slack people to a Portkey workspace', typos: 1 },
  help: { button: 'Add workspace members' },
  ids: { callback: MEMBER_CALLBACK, back: MB_ACTIONS.back, open: MB_ACTIONS.open },
  form: {
    open: (_argument, context) => memberModal({ draft: EMPTY_DRAFT, context }),
    prepare: (deps, body) => prepareMembers(deps, body),
    errorBlock: MB_FIELDS.users.block,
    restore(op, context) {
      const draft = op ? storedDraft(op) : undefined;
      return memberModal({ draft: draft ?? EMPTY_DRAFT, context, ...(draft ? {} : { notice: GONE }) });
    },
  },
  views: { state: memberStateView },
  // One line per role: "adding admins requires approval" is the usual rule.
  policyText: (policy, actor) =>
    `*Adding workspace members:* ${WORKSPACE_ROLES.map(
      (role) => `${role}: ${decisionText(decide(policy, { action: 'member.add', role, people: { count: 1, userIds: [] } }, actor))}`,
    ).join(' · ')}`,
  executor: memberExecutor,
  register: registerMembers,
};
