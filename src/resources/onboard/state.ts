import type { KnownBlock, ModalView } from '@slack/types';
import { allowedNote, governedView } from '../../features/approval/view.js';
import type { StateExtra } from '../../features/kind.js';
import { mayHaveBeenCreated } from '../../operations/failure.js';
import { deliveryNote } from '../../slack/delivery.js';
import { escapeMrkdwn } from '../../slack/escape.js';
import type { ModalContext } from '../../slack/metadata.js';
import type { OperationRecord } from '../../store/index.js';
import { failedLines, shownSteps, storedOnboard } from './executor.js';
import { OB_ACTIONS, ONBOARD_RESULT_CALLBACK } from './ids.js';
import { ONBOARD_TITLE, onboardDoneView, onboardErrorView, onboardProgressView } from './view.js';

/** The requester's modal for the bundle's current state: governed, in progress, done (maybe partly), or stopped. */
export function onboardStateView(
  op: OperationRecord,
  context: ModalContext,
  extra: StateExtra = {},
  revealed?: KnownBlock[] | undefined,
): ModalView {
  const s = storedOnboard(op);
  const name = s?.draft.name.trim() || 'team';
  const governed = governedView(op, {
    callbackId: ONBOARD_RESULT_CALLBACK,
    title: ONBOARD_TITLE,
    context,
    backActionId: OB_ACTIONS.back,
    what: `Onboarding *${escapeMrkdwn(name)}*`,
  });
  if (governed) return governed;
  if (op.status === 'succeeded') {
    return onboardDoneView({
      name,
      operationId: op.id,
      steps: shownSteps(op),
      deliveredTo: (extra.deliveredTo ?? deliveryNote('channel', op.channelId || undefined)) + allowedNote(op),
      context,
      revealed,
    });
  }
  if (op.status === 'failed') {
    return onboardErrorView({
      name,
      operationId: op.id,
      steps: failedLines(op, s),
      error: op.error ?? 'It failed.',
      mayExist: mayHaveBeenCreated(op),
      deliveredTo: extra.deliveredTo,
      context,
    });
  }
  return onboardProgressView({ name, context });
}
