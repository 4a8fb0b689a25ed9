import type { BlockAction, SlackViewAction } from '@slack/bolt';
import type { Router } from '../slack/dispatch.js';
import type { Deps } from '../deps.js';
import type { Submission, Submitted } from '../operations/service.js';
import { deliveryNote, privateNote } from '../slack/delivery.js';
import { DirectoryError } from '../slack/directory.js';
import { errorText } from '../slack/errors.js';
import { decodeContext, type ModalContext } from '../slack/metadata.js';
import { updateView } from '../slack/views.js';
import type { OperationRecord, StoredAction } from '../store/index.js';
import type { ResourceKind } from './kind.js';

// The one create flow every kind's modal goes through: submit → govern → ack → run → update the modal → settle the
// private notice, plus "Back to the form" and "open the form". What differs per kind comes from its ResourceKind.

export function registerCreateFlow(app: Router, deps: Deps, kind: ResourceKind): void {
  const { log, service } = deps;

  app.view(kind.ids.callback, async ({ ack, body, view, client }) => {
    const context = decodeContext(view.private_metadata);
    const prepared = await kind.form.prepare(deps, body, context);
    if (!prepared.ok) {
      await ack(prepared.ack);
      return;
    }
    const submitted = await submitGoverned(deps, {
      ...submissionOf(body, context, {
        action: kind.action,
        request: prepared.request,
        ...(prepared.secrets ? { secrets: prepared.secrets } : {}),
      }),
      subject: prepared.subject,
      ...(prepared.unresolved ? { unresolved: true as const } : {}),
    });
    if (!submitted.ok) {
      await ack({ response_action: 'errors', errors: { [kind.form.errorBlock]: submitted.error } });
      return;
    }
    const { operation, duplicate, queued } = submitted;
    // A second delivery of the same submission shows where the first one is; it never runs again.
    await ack({ response_action: 'update', view: kind.views.state(operation, context) });
    await service.send(queued);
    if (duplicate || operation.status !== 'requested') return;

    // The outcome was sent outside the modal already (a success to the channel, a failure privately): the modal,
    // if still open, shows it too, and says where else it went.
    const { operation: final, delivery } = await service.run(operation.id);
    if (!final || final.status === 'executing') return;
    const note = delivery ? (final.status === 'failed' ? privateNote(delivery) : deliveryNote(delivery, context.channelId)) : undefined;
    const extra = { ...prepared.extra, ...(note ? { deliveredTo: note } : {}) };
    if (kind.views.reveal) await kind.views.reveal(deps, client, view.id, final, context, extra);
    else await updateView(client, view.id, kind.views.state(final, context, extra), log);
  });

  app.action(kind.ids.back, async ({ ack, body, client }) => {
    await ack();
    if (!body.view) return;
    const { op, context } = await formToRestore(deps, body);
    await updateView(client, body.view.id, kind.form.restore(op, context), log);
  });

  app.action(kind.ids.open, async ({ ack, body, client }) => {
    await ack();
    const context: ModalContext = {
      ...(body.channel?.id ? { channelId: body.channel.id } : {}),
      ...(body.response_url ? { responseUrl: body.response_url } : {}),
    };
    await client.views
      .open({ trigger_id: body.trigger_id, view: kind.form.open('', context) })
      .catch((err: unknown) => log.warn({ error: errorText(err) }, `could not open the ${kind.noun.one} modal`));
  });
}

/** The operation input for a modal submission: who, where to answer, and the form's identity. */
export function submissionOf(
  body: SlackViewAction,
  context: ModalContext,
  p: { action: StoredAction; request: unknown; secrets?: Record<string, unknown> },
): Submission {
  return {
    teamId: body.team?.id ?? body.user.team_id ?? 'unknown',
    viewId: body.view.id,
    attempt: context.attempt ?? 0,
    action: p.action,
    requesterId: body.user.id,
    channelId: context.channelId,
    responseUrl: context.responseUrl,
    request: p.request,
    ...(p.secrets ? { secrets: p.secrets } : {}),
  };
}

/**
 * For "Back to the form": the operation (only for the person who submitted it) and the context of the form shown
 * again — a new generation, so submitting it again is a new operation, not a duplicate.
 */
export async function formToRestore(deps: Deps, body: BlockAction): Promise<{ op: OperationRecord | undefined; context: ModalContext }> {
  const context = decodeContext(body.view?.private_metadata);
  const found = context.operationId ? await deps.store.operations.get(context.operationId) : undefined;
  const op = found && found.requesterId === body.user.id ? found : undefined;
  const { operationId: _drop, ...kept } = context;
  return { op, context: { ...kept, attempt: (context.attempt ?? 0) + 1 } };
}

/**
 * Submits through the policy. When Slack can't say which groups the person is in, the decision is not guessed:
 * the form stays open with what they typed and a line saying why — try again in a moment, in N seconds (rate
 * limit), or, on a Slack plan without user groups, that it's a workspace plan matter that retrying won't fix.
 */
export async function submitGoverned(deps: Deps, s: Submission): Promise<({ ok: true } & Submitted) | { ok: false; error: string }> {
  try {
    const submitted = await deps.service.submit(s);
    // The view id comes with the payload: a submission under someone else's view is never shown their operation.
    if (submitted.duplicate && submitted.operation.requesterId !== s.requesterId) {
      return { ok: false, error: 'This form was already submitted by someone else. Open a new one with /portkey.' };
    }
    return { ok: true, ...submitted };
  } catch (err) {
    if (!(err instanceof DirectoryError)) throw err;
    return { ok: false, error: err.forPeople };
  }
}
