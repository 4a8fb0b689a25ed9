import type { Deps } from '../../deps.js';
import type { Router } from '../../slack/dispatch.js';
import { DirectoryError } from '../../slack/directory.js';
import { errorText } from '../../slack/errors.js';
import { tellUser } from '../../slack/notify.js';
import { OB_ACTIONS, OB_FIELDS } from './ids.js';

// Options loads must answer within Slack's 3 s: one quick try, no retries.
const QUICK = { timeoutMs: 2500, retries: 0 } as const;
const GONE = 'That request is no longer known to the app. Finish the remaining steps in Portkey.';

/** The onboarding's own listeners: the integration picker, and "Retry the remaining steps" through the service. */
export function registerOnboard(app: Router, deps: Deps): void {
  const { log, service } = deps;

  app.options(OB_FIELDS.integrations.action, async ({ ack, body }) => {
    try {
      const listed = await deps.portkey.listIntegrations({ type: 'organisation', pageSize: 100 }, QUICK);
      const q = body.value.toLowerCase();
      await ack({
        options: listed.data
          .flatMap((i) => (i.slug && !i.workspace_id ? [{ slug: i.slug, name: i.name ?? i.slug }] : []))
          .filter((i) => !q || i.name.toLowerCase().includes(q) || i.slug.toLowerCase().includes(q))
          .slice(0, 100)
          .map((i) => ({ text: { type: 'plain_text' as const, text: `${i.name} (${i.slug})`.slice(0, 75) }, value: i.slug.slice(0, 150) })),
      });
    } catch (err) {
      log.warn({ error: errorText(err) }, 'integration search failed');
      await ack({ options: [] });
    }
  });

  // The service runs it: requester only, policy re-decided, leased, rate-limited, audited, told through the outbox.
  app.action(OB_ACTIONS.retry, async ({ ack, body, client, action }) => {
    await ack();
    const opId = action.type === 'button' ? action.value : undefined;
    const to = { userId: body.user.id, ...(body.response_url ? { responseUrl: body.response_url } : {}) };
    try {
      const res = opId
        ? await service.retryFollowUp(opId, body.user.id, { viewId: body.view?.id, responseUrl: body.response_url })
        : { kind: 'refused' as const, why: GONE };
      if (res.kind === 'refused') await tellUser(client, to, { text: res.why }, log);
      else await service.send(res.queued);
    } catch (err) {
      log.warn({ error: errorText(err) }, 'retry of the remaining steps failed');
      const text =
        err instanceof DirectoryError
          ? `Nothing was changed. ${err.forPeople}`
          : 'Something went wrong on our side. Nothing was changed; try again in a moment.';
      await tellUser(client, to, { text }, log);
    }
  });
}
