import type { Deps } from '../../deps.js';
import type { WebClient } from '@slack/web-api';
import type { ResourceKind, StateExtra } from '../../features/kind.js';
import type { ModalContext } from '../../slack/metadata.js';
import { decisionText } from '../../features/policy/view.js';
import { decide } from '../../policy/decide.js';
import { isMissing } from '../../portkey/errors.js';
import { errorText } from '../../slack/errors.js';
import { updateView } from '../../slack/views.js';
import type { OperationRecord } from '../../store/index.js';
import { keyExecutor, shownKeyOf, storedKey } from './executor.js';
import { EMPTY_KEY_DRAFT, readKeyDraft, validateKeyDraft } from './form.js';
import { KEY_ACTIONS, KEY_CALLBACK, KEY_FIELDS } from './ids.js';
import { registerKey } from './listeners.js';
import { takeKey } from './reveal.js';
import { keyStateView } from './state.js';
import { keyModal, keyShownView, keyUnseenMessage } from './view.js';

// The workspace API key kind: everything the app does with a key, from this folder.

const GONE = ':information_source: What you typed is no longer available. Please fill the form again.';
/** The workspace look-up runs before Slack's 3 s ack: one quick try. */
const LOOKUP = { timeoutMs: 1500, retries: 0 } as const;

/**
 * The one place a created key's value is shown: the modal the submission came from, right after the create, in
 * this process. If Slack can't update it (the person closed it), the value is dropped and they are told privately
 * that the key exists, without it, with Rotate.
 */
async function reveal(
  deps: Deps,
  client: WebClient,
  viewId: string,
  op: OperationRecord,
  context: ModalContext,
  extra: StateExtra,
): Promise<void> {
  const value = op.status === 'succeeded' ? takeKey(op.id) : undefined;
  if (!value) {
    await updateView(client, viewId, keyStateView(op, context, extra), deps.log);
    return;
  }
  const shown = await updateView(
    client,
    viewId,
    keyShownView({ key: shownKeyOf(op), value, context, deliveredTo: extra.deliveredTo }),
    deps.log,
  );
  if (shown) return;
  const message = keyUnseenMessage({ key: shownKeyOf(op), why: 'closed', operationId: op.id });
  const to = { userId: op.requesterId, ...(op.responseUrl ? { responseUrl: op.responseUrl } : {}) };
  const note = await deps.service.outbox.enqueue(op.id, 'key_unseen', { to, message, private: true });
  await deps.service.send([note]);
}

export const keyKind: ResourceKind = {
  action: 'key.create',
  noun: { one: 'API key', many: 'API keys' },
  command: { words: ['key', 'apikey'], usage: 'key create [name]', about: 'Create a workspace service API key', typos: 1 },
  help: { button: 'Create an API key' },
  ids: { callback: KEY_CALLBACK, back: KEY_ACTIONS.back, open: KEY_ACTIONS.open },
  form: {
    open: (name, context) => keyModal({ draft: { ...EMPTY_KEY_DRAFT, name }, context }),
    async prepare(deps, body) {
      const draft = readKeyDraft(body.view.state.values);
      const checked = validateKeyDraft(draft);
      if (!checked.ok) return { ok: false, ack: { response_action: 'errors', errors: checked.errors } };
      // The policy and the approvers see the workspace as Portkey holds it, never the option label the client sent.
      let found: Awaited<ReturnType<Deps['portkey']['getWorkspace']>>;
      try {
        found = await deps.portkey.getWorkspace(checked.value.workspace, LOOKUP);
      } catch (err) {
        const missing = isMissing(err);
        if (!missing) deps.log.warn({ error: errorText(err) }, "couldn't look up the key's workspace");
        const error = missing
          ? 'Portkey has no such workspace that this app can see. Choose it from the list.'
          : "Couldn't check the workspace with Portkey just now; submit again.";
        return { ok: false, ack: { response_action: 'errors', errors: { [KEY_FIELDS.workspace.block]: error } } };
      }
      const workspace = { id: found.id, name: found.name ?? found.slug ?? found.id, ...(found.slug ? { slug: found.slug } : {}) };
      return {
        ok: true,
        request: { draft, workspace },
        subject: { scopes: checked.value.scopes, workspaces: [{ id: workspace.id, ...(workspace.slug ? { slug: workspace.slug } : {}) }] },
      };
    },
    errorBlock: KEY_FIELDS.name.block,
    restore(op, context) {
      const draft = op ? storedKey(op)?.draft : undefined;
      return keyModal({ draft: draft ?? EMPTY_KEY_DRAFT, context, ...(draft ? {} : { notice: GONE }) });
    },
  },
  views: { state: keyStateView, reveal },
  // A completions-only key is what most ask for; rules on other scopes or workspaces are shown by `/portkey policy`'s rules.
  policyText: (policy, actor) =>
    `*API keys (completions only):* ${decisionText(decide(policy, { action: 'key.create', scopes: ['completions.write'] }, actor))}`,
  executor: keyExecutor,
  register: registerKey,
};
