import type { WebClient } from '@slack/web-api';
import type { Deps } from '../../deps.js';
import type { StateExtra } from '../../features/kind.js';
import type { OnboardParts } from '../../features/onboard.js';
import { escapeMrkdwn } from '../../slack/escape.js';
import type { ModalContext } from '../../slack/metadata.js';
import { updateView } from '../../slack/views.js';
import type { OperationRecord } from '../../store/index.js';
import { storedOnboard } from './executor.js';
import { onboardStateView } from './state.js';

/**
 * The one place an onboarding's service key value is shown: the modal the submission came from, right after the run,
 * in this process (the key kind holds it in memory only). If Slack can't update that modal (the person closed it),
 * the value is dropped and they are told privately that the key exists without it: rotate it in Portkey.
 */
export async function revealOnboard(
  parts: OnboardParts,
  deps: Deps,
  client: WebClient,
  viewId: string,
  op: OperationRecord,
  context: ModalContext,
  extra: StateExtra,
): Promise<void> {
  const value = op.status === 'succeeded' ? parts.serviceKey.take(op.id) : undefined;
  const view = onboardStateView(op, context, extra, value ? parts.serviceKey.shownBlocks(value) : undefined);
  const shown = await updateView(client, viewId, view, deps.log);
  if (shown || !value) return;
  const name = escapeMrkdwn(storedOnboard(op)?.draft.key.name.trim() ?? 'the service key');
  const text =
    `:warning: The service API key *${name}* was created, but its window closed before its value could be shown, and ` +
    'the app keeps no copy. To get a value you can use, rotate the key in Portkey (Workspace → API Keys).';
  const to = { userId: op.requesterId, ...(op.responseUrl ? { responseUrl: op.responseUrl } : {}) };
  const note = await deps.service.outbox.enqueue(op.id, 'key_unseen', { to, message: { text }, private: true });
  await deps.service.send([note]);
}
