import { decide } from '../../policy/decide.js';
import { decisionText } from '../../features/policy/view.js';
import type { ResourceKind } from '../../features/kind.js';
import { storedWorkspaceDraft, workspaceExecutor } from './executor.js';
import { EMPTY_DRAFT, readWorkspaceDraft, validateWorkspaceDraft } from './form.js';
import { WORKSPACE_CALLBACK, WS_ACTIONS, WS_FIELDS } from './ids.js';
import { workspaceStateView } from './state.js';
import { workspaceModal } from './view.js';

// The workspace kind: everything the app does with a workspace, from this folder.

const GONE = ':information_source: What you typed is no longer available. Please fill the form again.';

export const workspaceKind: ResourceKind = {
  action: 'workspace.create',
  noun: { one: 'workspace', many: 'workspaces' },
  command: { words: ['workspace', 'ws'], usage: 'workspace create [name]', about: 'Create a Portkey workspace', typos: 2 },
  list: { words: ['workspaces'], usage: 'workspaces [filter]', about: 'List workspaces', listing: 'workspaces' },
  help: { button: 'Create a workspace', primary: true },
  ids: { callback: WORKSPACE_CALLBACK, back: WS_ACTIONS.back, open: WS_ACTIONS.open },
  form: {
    open: (name, context) => workspaceModal({ draft: { ...EMPTY_DRAFT, name }, context }),
    async prepare(_deps, body) {
      const draft = readWorkspaceDraft(body.view.state.values);
      const checked = validateWorkspaceDraft(draft);
      if (!checked.ok) return { ok: false, ack: { response_action: 'errors', errors: checked.errors } };
      return { ok: true, request: { draft }, subject: { defaultWorkspace: checked.value.isDefault } };
    },
    errorBlock: WS_FIELDS.name.block,
    restore(op, context) {
      const draft = op ? storedWorkspaceDraft(op) : undefined;
      return workspaceModal({ draft: draft ?? EMPTY_DRAFT, context, ...(draft ? {} : { notice: GONE }) });
    },
  },
  views: { state: workspaceStateView },
  policyText: (policy, actor) => `*Workspaces:* ${decisionText(decide(policy, { action: 'workspace.create' }, actor))}`,
  executor: workspaceExecutor,
};
