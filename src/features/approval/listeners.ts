import type { BlockAction, RespondFn } from '@slack/bolt';
import type { Router } from '../../slack/dispatch.js';
import type { ModalView } from '@slack/types';
import { z } from 'zod';
import type { Deps } from '../../deps.js';
import type { DecideResult } from '../../operations/service.js';
import type { Eligibility } from '../../policy/decide.js';
import { DirectoryError } from '../../slack/directory.js';
import { errorText } from '../../slack/errors.js';
import { updateView } from '../../slack/views.js';
import type { OperationRecord } from '../../store/index.js';
import { APPROVAL_ACTIONS, DENY_CALLBACK, DENY_REASON } from './ids.js';
import { closedText } from './messages.js';
import { decodeContext, type ModalContext } from '../../slack/metadata.js';
import { denyReasonModal } from './view.js';

// Approve, Deny (with an optional reason) and Cancel. Who may click is decided by the service from the stored
// request and the clicker's signed user id; a button's value only says which request it is about.

const denyMetadata = z.object({ operationId: z.string().max(64) });

const CHECK_FAILED = "Couldn't check with Slack whether you may decide on this. Please try again in a moment.";
/** A plan without user groups or a rate limit says so; anything else is the usual "try again". */
const checkFailed = (err: DirectoryError): string => (err.failure === 'unavailable' ? CHECK_FAILED : err.forPeople);

async function whisper(respond: RespondFn, text: string): Promise<void> {
  await respond({ response_type: 'ephemeral', replace_original: false, text }).catch(() => undefined);
}

function buttonValue(body: BlockAction): string | undefined {
  const action = body.actions[0];
  return action?.type === 'button' ? action.value : undefined;
}

/**
 * `stateView`: the requester's modal for an operation's state, from the operation's own kind (given by the app, so
 * this feature imports no other).
 */
export function registerApproval(app: Router, deps: Deps, stateView: (op: OperationRecord, context: ModalContext) => ModalView): void {
  const { service, store, log } = deps;

  /** Runs a decision; an ineligible or late click is told privately and changes nothing. */
  const settle = async (respond: RespondFn, run: () => Promise<DecideResult>): Promise<DecideResult | undefined> => {
    let result: DecideResult;
    try {
      result = await run();
    } catch (err) {
      if (!(err instanceof DirectoryError)) log.error({ error: errorText(err) }, 'approval decision failed');
      await whisper(
        respond,
        err instanceof DirectoryError ? checkFailed(err) : 'Something went wrong on our side; nothing changed. Please try again.',
      );
      return undefined;
    }
    if (result.kind === 'not_allowed') await whisper(respond, result.why);
    if (result.kind === 'closed') await whisper(respond, closedText(result.operation));
    if (result.kind === 'decided') await service.send(result.queued);
    return result;
  };

  app.action(APPROVAL_ACTIONS.approve, async ({ ack, body, respond }) => {
    await ack();
    const id = buttonValue(body);
    if (!id) return;
    await settle(respond, () => service.decide(id, body.user.id, 'approve'));
  });

  // Deny asks for a reason first — but only someone who may deny is shown that form.
  app.action(APPROVAL_ACTIONS.deny, async ({ ack, body, client, respond }) => {
    await ack();
    const id = buttonValue(body);
    const op = id ? await store.operations.get(id) : undefined;
    if (op?.status !== 'awaiting_approval') {
      await whisper(respond, closedText(op));
      return;
    }
    let allowed: Eligibility;
    try {
      allowed = await deps.governance.mayDecide(op, body.user.id);
    } catch (err) {
      await whisper(respond, err instanceof DirectoryError ? checkFailed(err) : 'Something went wrong on our side; nothing changed.');
      return;
    }
    if (!allowed.ok) {
      await whisper(respond, allowed.why);
      return;
    }
    try {
      await client.views.open({ trigger_id: body.trigger_id, view: denyReasonModal(op.id, op.requesterId) });
    } catch (err) {
      log.warn({ error: errorText(err) }, 'could not open the deny form');
      await whisper(respond, "The form to give a reason couldn't open. Please click Deny again.");
    }
  });

  app.view(DENY_CALLBACK, async ({ ack, body, view }) => {
    let meta: z.infer<typeof denyMetadata> | undefined;
    try {
      meta = denyMetadata.parse(JSON.parse(view.private_metadata));
    } catch {
      meta = undefined;
    }
    if (!meta) {
      await ack({ response_action: 'errors', errors: { [DENY_REASON.block]: 'This form is damaged; close it and click Deny again.' } });
      return;
    }
    const reason = view.state.values[DENY_REASON.block]?.[DENY_REASON.action]?.value ?? '';
    let result: DecideResult;
    try {
      result = await service.decide(meta.operationId, body.user.id, 'deny', reason.slice(0, 500));
    } catch (err) {
      if (!(err instanceof DirectoryError)) log.error({ error: errorText(err) }, 'deny failed');
      await ack({
        response_action: 'errors',
        errors: {
          [DENY_REASON.block]:
            err instanceof DirectoryError ? checkFailed(err) : 'Something went wrong; nothing changed. Please try again.',
        },
      });
      return;
    }
    if (result.kind === 'not_allowed') {
      await ack({ response_action: 'errors', errors: { [DENY_REASON.block]: result.why } });
      return;
    }
    if (result.kind === 'closed') {
      await ack({ response_action: 'errors', errors: { [DENY_REASON.block]: closedText(result.operation) } });
      return;
    }
    await ack();
    await service.send(result.queued);
  });

  // The requester withdraws: from the channel note, /portkey pending, or the modal.
  app.action(APPROVAL_ACTIONS.cancel, async ({ ack, body, client, respond }) => {
    await ack();
    const id = buttonValue(body);
    if (!id) return;
    if (body.view) {
      const result = await service.cancel(id, body.user.id).catch((err: unknown) => {
        log.error({ error: errorText(err) }, 'cancel failed');
        return undefined;
      });
      if (result?.kind === 'decided') await service.send(result.queued);
      // The modal shows where the request stands now, whoever's click won.
      const op = await store.operations.get(id);
      if (op && op.requesterId === body.user.id) {
        await updateView(client, body.view.id, stateView(op, decodeContext(body.view.private_metadata)), log);
      }
      return;
    }
    const result = await settle(respond, () => service.cancel(id, body.user.id));
    if (result?.kind === 'decided') await whisper(respond, 'Your request was cancelled. Nothing was created.');
  });
}
