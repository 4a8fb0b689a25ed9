import type { Deps } from '../deps.js';
import type { Router } from '../slack/dispatch.js';
import { DirectoryError } from '../slack/directory.js';
import { errorText } from '../slack/errors.js';
import { tellUser } from '../slack/notify.js';

// A follow-up button ("Retry enabling", "Retry the remaining steps"): the operation service runs it — requester only,
// the policy decided again, under a lease, rate-limited, audited, told through the outbox. A refusal or a failure
// is told privately to the person who clicked.

export function registerFollowUp(app: Router, deps: Deps, p: { actionId: string; gone: string; what: string }): void {
  const { log, service } = deps;
  app.action(p.actionId, async ({ ack, body, client, action }) => {
    await ack();
    const opId = action.type === 'button' ? action.value : undefined;
    const to = { userId: body.user.id, ...(body.response_url ? { responseUrl: body.response_url } : {}) };
    try {
      const res = opId
        ? await service.retryFollowUp(opId, body.user.id, { viewId: body.view?.id, responseUrl: body.response_url })
        : { kind: 'refused' as const, why: p.gone };
      if (res.kind === 'refused') await tellUser(client, to, { text: res.why }, log);
      else await service.send(res.queued);
    } catch (err) {
      log.warn({ error: errorText(err) }, `${p.what} failed`);
      const text = !(err instanceof DirectoryError)
        ? 'Something went wrong on our side. Nothing was changed; try again in a moment.'
        : err.failure === 'unavailable'
          ? "Slack couldn't say which user groups you are in, so the policy couldn't be checked. Nothing was changed; try again in a " +
            'moment.'
          : // A Free plan is not a moment's matter, and a rate limit says how long: the directory's own words.
            `Nothing was changed. ${err.forPeople}`;
      await tellUser(client, to, { text }, log);
    }
  });
}
