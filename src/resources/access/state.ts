import type { ModalView } from '@slack/types';
import { allowedNote, governedView } from '../../features/approval/view.js';
import type { StateExtra } from '../../features/kind.js';
import { mayHaveBeenCreated } from '../../operations/failure.js';
import { deliveryNote } from '../../slack/delivery.js';
import { escapeMrkdwn } from '../../slack/escape.js';
import type { ModalContext } from '../../slack/metadata.js';
import type { OperationRecord } from '../../store/index.js';
import { accessResult, storedAccess } from './executor.js';
import { ACCESS_ACTIONS, ACCESS_RESULT_CALLBACK } from './ids.js';
import { ACCESS_TITLE, accessErrorView, accessProgressView, accessSuccessView } from './view.js';

/** The modal for an operation's current state: progress, success, error or governed. */
export function accessStateView(op: OperationRecord, context: ModalContext, extra: StateExtra = {}): ModalView {
  const stored = storedAccess(op);
  const what = stored ? `${stored.resolved.integration.name} in ${stored.resolved.workspace.name}` : 'integration access';
  const governed = governedView(op, {
    callbackId: ACCESS_RESULT_CALLBACK,
    title: ACCESS_TITLE,
    context,
    backActionId: ACCESS_ACTIONS.back,
    what: `Access for *${escapeMrkdwn(what)}*`,
  });
  if (governed) return governed;
  const result = op.status === 'succeeded' ? accessResult(op) : undefined;
  if (stored && result) {
    return accessSuccessView({
      resolved: stored.resolved,
      ...result,
      deliveredTo: (extra.deliveredTo ?? deliveryNote('channel', op.channelId || undefined)) + allowedNote(op),
      context,
    });
  }
  if (op.status === 'failed') {
    return accessErrorView({
      what: `Access for ${what}`,
      message: op.error ?? 'It failed.',
      operationId: op.id,
      mayExist: mayHaveBeenCreated(op),
      deliveredTo: extra.deliveredTo,
      context,
    });
  }
  return accessProgressView({ what, context });
}
