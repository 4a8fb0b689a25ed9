import type { ModalView } from '@slack/types';
import { allowedNote, governedView } from '../../features/approval/view.js';
import { getProvider } from '../../portkey/providers.js';
import { deliveryNote } from '../../slack/delivery.js';
import { escapeMrkdwn } from '../../slack/escape.js';
import type { ModalContext } from '../../slack/metadata.js';
import { mayHaveBeenCreated } from '../../operations/failure.js';
import type { OperationRecord } from '../../store/index.js';
import type { StateExtra } from '../../features/kind.js';
import { createdIntegration, storedIntegrationDraft } from './executor.js';
import { INT_ACTIONS, INTEGRATION_RESULT_CALLBACK } from './ids.js';
import { INTEGRATION_TITLE, integrationErrorView, integrationProgressView, integrationSuccessView } from './view.js';

/** The modal for an operation's current state: progress, success or error. */
export function integrationStateView(op: OperationRecord, context: ModalContext, extra: StateExtra = {}): ModalView {
  const draft = storedIntegrationDraft(op);
  const name = draft?.name || 'integration';
  const governed = governedView(op, {
    callbackId: INTEGRATION_RESULT_CALLBACK,
    title: INTEGRATION_TITLE,
    context,
    backActionId: INT_ACTIONS.back,
    what: `Integration *${escapeMrkdwn(name)}*`,
  });
  if (governed) return governed;
  const created = op.status === 'succeeded' ? createdIntegration(op) : undefined;
  if (created) {
    return integrationSuccessView({
      summary: created,
      deliveredTo: (extra.deliveredTo ?? deliveryNote('channel', op.channelId || undefined)) + allowedNote(op),
      operationId: op.id,
      context,
    });
  }
  if (op.status === 'failed') {
    return integrationErrorView({
      name,
      message: op.error ?? 'It failed.',
      operationId: op.id,
      context,
      keyDropped: extra.keyDropped ?? true,
      mayExist: mayHaveBeenCreated(op),
      deliveredTo: extra.deliveredTo,
    });
  }
  const provider = draft?.providerId ? getProvider(draft.providerId) : undefined;
  return integrationProgressView({ name, providerLabel: provider?.label ?? 'AI provider', context });
}
