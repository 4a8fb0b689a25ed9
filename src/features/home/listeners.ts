import type { BlockAction } from '@slack/bolt';
import type { Deps } from '../../deps.js';
import type { DecideResult } from '../../operations/service.js';
import { DirectoryError } from '../../slack/directory.js';
import type { Router } from '../../slack/dispatch.js';
import { errorText } from '../../slack/errors.js';
import { escapeMrkdwn, clip } from '../../slack/escape.js';
import { closedText } from '../approval/messages.js';
import { denyReasonModal } from '../approval/view.js';
import { HOME_ACTIONS } from './ids.js';
import type { HomeTab } from './publish.js';

// The Home tab's listeners. It has no reply link, so every click is answered by republishing the tab with a line at
// the top saying what happened. Who may decide is the service's call, exactly as for the approvals channel.

const TRY_AGAIN = 'Something went wrong on our side; nothing changed. Please try again.';

function buttonValue(body: BlockAction): string | undefined {
  const action = body.actions[0];
  return action?.type === 'button' ? action.value : undefined;
}

const teamOf = (body: BlockAction): string => body.team?.id ?? body.user.team_id ?? 'unknown';

export function registerHome(app: Router, deps: Deps, home: HomeTab): void {
  const { service, store, log } = deps;

  app.homeOpened(async ({ event, body }) => {
    // The Messages and About tabs open this event too; only the Home tab is ours to draw.
    if (event.tab !== 'home') return;
    await home.publish(event.user, body.team_id);
  });

  app.action(HOME_ACTIONS.refresh, async ({ ack, body }) => {
    await ack();
    await home.publish(body.user.id, teamOf(body));
  });

  /** The line a decision from the Home tab ends with, for the person who clicked. */
  const outcome = async (run: () => Promise<DecideResult>, done: (r: Extract<DecideResult, { kind: 'decided' }>) => string) => {
    let result: DecideResult;
    try {
      result = await run();
    } catch (err) {
      if (err instanceof DirectoryError) return `:warning: ${escapeMrkdwn(err.forPeople)}`;
      log.error({ error: errorText(err) }, 'a decision from the Home tab failed');
      return `:warning: ${TRY_AGAIN}`;
    }
    if (result.kind === 'not_allowed') return `:no_entry_sign: ${escapeMrkdwn(result.why)}`;
    if (result.kind === 'closed') return `:information_source: ${closedText(result.operation)}`;
    await service.send(result.queued);
    return done(result);
  };

  const titleOf = (r: Extract<DecideResult, { kind: 'decided' }>) => escapeMrkdwn(clip(service.summary(r.operation).title, 150));

  app.action(HOME_ACTIONS.approve, async ({ ack, body }) => {
    await ack();
    const id = buttonValue(body);
    if (!id) return;
    const notice = await outcome(
      () => service.decide(id, body.user.id, 'approve'),
      (r) => `:white_check_mark: You approved ${titleOf(r)}. It is being created; the requester is told the result.`,
    );
    await home.publish(body.user.id, teamOf(body), notice);
  });

  // Deny asks for a reason first, in the same form as from the approvals channel — only for someone who may deny.
  app.action(HOME_ACTIONS.deny, async ({ ack, body, client }) => {
    await ack();
    const id = buttonValue(body);
    const op = id ? await store.operations.get(id) : undefined;
    if (op?.status !== 'awaiting_approval') {
      await home.publish(body.user.id, teamOf(body), `:information_source: ${closedText(op)}`);
      return;
    }
    try {
      const allowed = await deps.governance.mayDecide(op, body.user.id);
      if (!allowed.ok) {
        await home.publish(body.user.id, teamOf(body), `:no_entry_sign: ${escapeMrkdwn(allowed.why)}`);
        return;
      }
      await client.views.open({ trigger_id: body.trigger_id, view: denyReasonModal(op.id, op.requesterId) });
    } catch (err) {
      const why = err instanceof DirectoryError ? err.forPeople : "The form to give a reason couldn't open. Please click Deny again.";
      if (!(err instanceof DirectoryError)) log.warn({ error: errorText(err) }, 'could not open the deny form');
      await home.publish(body.user.id, teamOf(body), `:warning: ${escapeMrkdwn(why)}`);
    }
  });

  app.action(HOME_ACTIONS.cancel, async ({ ack, body }) => {
    await ack();
    const id = buttonValue(body);
    if (!id) return;
    const notice = await outcome(
      () => service.cancel(id, body.user.id),
      (r) => `:leftwards_arrow_with_hook: You cancelled ${titleOf(r)}. Nothing was created.`,
    );
    await home.publish(body.user.id, teamOf(body), notice);
  });
}
