import type { ModalView } from '@slack/types';
import { allowedNote, governedView } from '../../features/approval/view.js';
import type { StateExtra } from '../../features/kind.js';
import { mayHaveBeenCreated } from '../../operations/failure.js';
import { deliveryNote } from '../../slack/delivery.js';
import { escapeMrkdwn } from '../../slack/escape.js';
import type { ModalContext } from '../../slack/metadata.js';
import type { OperationRecord } from '../../store/index.js';
import { MB_ACTIONS, MEMBER_RESULT_CALLBACK } from './ids.js';
import { storedMembers, storedReport } from './stored.js';
import { MEMBER_TITLE, memberErrorView, memberProgressView, memberSuccessView } from './view.js';

/** The requester's modal for an operation's current state: governed, progress, success or error. */
export function memberStateView(op: OperationRecord, context: ModalContext, extra: StateExtra = {}): ModalView {
  const req = storedMembers(op);
  const workspace = req?.workspace.name ?? 'workspace';
  const governed = governedView(op, {
    callbackId: MEMBER_RESULT_CALLBACK,
    title: MEMBER_TITLE,
    context,
    backActionId: MB_ACTIONS.back,
    what: `Adding people to workspace *${escapeMrkdwn(workspace)}*`,
  });
  if (governed) return governed;
  if (op.status === 'succeeded' && req) {
    return memberSuccessView({
      req,
      report: storedReport(op),
      deliveredTo: (extra.deliveredTo ?? deliveryNote('channel', op.channelId || undefined)) + allowedNote(op),
      context,
    });
  }
  if (op.status === 'failed' || op.status === 'succeeded') {
    return memberErrorView({
      workspace,
      message: op.error ?? 'It failed.',
      operationId: op.id,
      context,
      mayExist: mayHaveBeenCreated(op),
      deliveredTo: extra.deliveredTo,
    });
  }
  return memberProgressView({ workspace, context });
}
