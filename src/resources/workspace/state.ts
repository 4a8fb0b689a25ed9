import type { ModalView } from '@slack/types';
import { allowedNote, governedView } from '../../features/approval/view.js';
import { deliveryNote } from '../../slack/delivery.js';
import { escapeMrkdwn } from '../../slack/escape.js';
import type { ModalContext } from '../../slack/metadata.js';
import { mayHaveBeenCreated } from '../../operations/failure.js';
import type { OperationRecord } from '../../store/index.js';
import type { StateExtra } from '../../features/kind.js';
import { createdWorkspace, storedWorkspaceDraft } from './executor.js';
import { WORKSPACE_RESULT_CALLBACK, WS_ACTIONS } from './ids.js';
import { WORKSPACE_TITLE, workspaceErrorView, workspaceProgressView, workspaceSuccessView } from './view.js';

/** The modal for an operation's current state: progress, success or error. */
export function workspaceStateView(op: OperationRecord, context: ModalContext, extra: StateExtra = {}): ModalView {
  const name = storedWorkspaceDraft(op)?.name ?? 'workspace';
  const governed = governedView(op, {
    callbackId: WORKSPACE_RESULT_CALLBACK,
    title: WORKSPACE_TITLE,
    context,
    backActionId: WS_ACTIONS.back,
    what: `Workspace *${escapeMrkdwn(name)}*`,
  });
  if (governed) return governed;
  if (op.status === 'succeeded') {
    return workspaceSuccessView({
      ...createdWorkspace(op),
      deliveredTo: (extra.deliveredTo ?? deliveryNote('channel', op.channelId || undefined)) + allowedNote(op),
      context,
    });
  }
  if (op.status === 'failed') {
    return workspaceErrorView({
      name,
      message: op.error ?? 'It failed.',
      operationId: op.id,
      context,
      mayExist: mayHaveBeenCreated(op),
      deliveredTo: extra.deliveredTo,
    });
  }
  return workspaceProgressView({ name, context });
}
