import type { App, BlockAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Deps } from '../../deps.js';
import type { OperationRecord } from '../../store/index.js';
import { formToRestore, submissionOf, submitGoverned } from '../create-flow.js';
import { allowedNote, governedView } from '../../features/approval/view.js';
import { escapeMrkdwn } from '../../slack/escape.js';
import { deliveryNote } from '../../slack/delivery.js';
import { errorText } from '../../slack/errors.js';
import { decodeContext, type ModalContext } from '../../slack/metadata.js';
import { updateView } from '../../slack/views.js';
import { createdWorkspace, storedWorkspaceDraft } from './executor.js';
import { EMPTY_DRAFT, readWorkspaceDraft, validateWorkspaceDraft } from './form.js';
import { WORKSPACE_CALLBACK, WORKSPACE_RESULT_CALLBACK, WS_ACTIONS, WS_FIELDS } from './ids.js';
import { WORKSPACE_TITLE, workspaceErrorView, workspaceModal, workspaceProgressView, workspaceSuccessView } from './view.js';

/** Opens the form. Called straight after ack: nothing slow may come before it (the trigger lasts 3 s). */
export async function openWorkspaceModal(client: WebClient, triggerId: string, p: { name?: string; context: ModalContext }) {
  await client.views.open({
    trigger_id: triggerId,
    view: workspaceModal({ draft: { ...EMPTY_DRAFT, name: p.name ?? '' }, context: p.context }),
  });
}

/** The modal for an operation's current state: progress, success or error. */
export function workspaceStateView(op: OperationRecord, context: ModalContext, deliveredTo?: string) {
  const name = storedWorkspaceDraft(op)?.name ?? 'workspace';
  const governed = governedView(op, { callbackId: WORKSPACE_RESULT_CALLBACK, title: WORKSPACE_TITLE, context, backActionId: WS_ACTIONS.back, what: `Workspace *${escapeMrkdwn(name)}*` });
  if (governed) return governed;
  if (op.status === 'succeeded') {
    return workspaceSuccessView({ ...createdWorkspace(op), deliveredTo: (deliveredTo ?? deliveryNote('channel', op.channelId || undefined)) + allowedNote(op), context });
  }
  if (op.status === 'failed') {
    return workspaceErrorView({ name, message: op.error ?? 'It failed.', operationId: op.id, context });
  }
  return workspaceProgressView({ name, context });
}

export function registerWorkspace(app: App, deps: Deps): void {
  const { log, service } = deps;

  app.view(WORKSPACE_CALLBACK, async ({ ack, body, view, client }) => {
    const draft = readWorkspaceDraft(view.state.values);
    const checked = validateWorkspaceDraft(draft);
    if (!checked.ok) {
      await ack({ response_action: 'errors', errors: checked.errors });
      return;
    }
    const context = decodeContext(view.private_metadata);
    const submitted = await submitGoverned(deps, {
      ...submissionOf(body, context, { action: 'workspace.create', request: { draft } }),
      subject: { defaultWorkspace: checked.value.isDefault },
    });
    if (!submitted.ok) {
      await ack({ response_action: 'errors', errors: { [WS_FIELDS.name.block]: submitted.error } });
      return;
    }
    const { operation, duplicate, queued } = submitted;
    // A second delivery of the same submission shows where the first one is; it never runs again.
    await ack({ response_action: 'update', view: workspaceStateView(operation, context) });
    await service.send(queued);
    if (duplicate || operation.status !== 'requested') return;

    const { operation: final, delivery, heldNotice } = await service.run(operation.id);
    if (!final || final.status === 'executing') return;
    const shown = await updateView(client, view.id, workspaceStateView(final, context, delivery && deliveryNote(delivery, context.channelId)), log);
    // A failure the modal couldn't show (closed meanwhile) is sent privately instead.
    if (heldNotice) await service.settleNotice(heldNotice, shown);
  });

  app.action<BlockAction>(WS_ACTIONS.back, async ({ ack, body, client }) => {
    await ack();
    if (!body.view) return;
    const { draft, context } = await formToRestore(deps, body, storedWorkspaceDraft);
    const notice = draft ? undefined : ':information_source: What you typed is no longer available. Please fill the form again.';
    await updateView(client, body.view.id, workspaceModal({ draft: draft ?? EMPTY_DRAFT, context, ...(notice ? { notice } : {}) }), log);
  });

  app.action<BlockAction>(WS_ACTIONS.open, async ({ ack, body, client }) => {
    await ack();
    const context: ModalContext = {
      ...(body.channel?.id ? { channelId: body.channel.id } : {}),
      ...(body.response_url ? { responseUrl: body.response_url } : {}),
    };
    try {
      await openWorkspaceModal(client, body.trigger_id, { context });
    } catch (err) {
      log.warn({ error: errorText(err) }, 'could not open the workspace modal');
    }
  });
}
