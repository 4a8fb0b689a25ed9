import type { ModalView } from '@slack/types';
import { allowedNote, governedView } from '../../features/approval/view.js';
import type { StateExtra } from '../../features/kind.js';
import { mayHaveBeenCreated } from '../../operations/failure.js';
import { deliveryNote } from '../../slack/delivery.js';
import { escapeMrkdwn } from '../../slack/escape.js';
import type { ModalContext } from '../../slack/metadata.js';
import type { OperationRecord } from '../../store/index.js';
import { shownKeyOf, storedKey, unseenReason } from './executor.js';
import { KEY_ACTIONS, KEY_RESULT_CALLBACK } from './ids.js';
import { KEY_TITLE, keyErrorView, keyProgressView, keyUnseenView } from './view.js';

/**
 * The modal for an operation's current state. Built from the store, so it never holds a key's value: a created key
 * shows what exists and a Rotate button. The value itself is shown only by the create flow's reveal (index.ts).
 */
export function keyStateView(op: OperationRecord, context: ModalContext, extra: StateExtra = {}): ModalView {
  const name = storedKey(op)?.draft.name ?? 'API key';
  const governed = governedView(op, {
    callbackId: KEY_RESULT_CALLBACK,
    title: KEY_TITLE,
    context,
    backActionId: KEY_ACTIONS.back,
    what: `API key *${escapeMrkdwn(name)}*`,
  });
  if (governed) return governed;
  if (op.status === 'succeeded') {
    return keyUnseenView({
      key: shownKeyOf(op),
      why: unseenReason(op),
      operationId: op.id,
      context,
      deliveredTo: (extra.deliveredTo ?? deliveryNote('channel', op.channelId || undefined)) + allowedNote(op),
    });
  }
  if (op.status === 'failed') {
    return keyErrorView({
      name,
      message: op.error ?? 'It failed.',
      operationId: op.id,
      context,
      mayExist: mayHaveBeenCreated(op),
      deliveredTo: extra.deliveredTo,
    });
  }
  return keyProgressView({ name, context });
}
