import type { Deps } from '../../deps.js';
import { registerFollowUp } from '../../features/follow-up.js';
import type { Router } from '../../slack/dispatch.js';
import { errorText } from '../../slack/errors.js';
import { decodeContext, type ModalContext } from '../../slack/metadata.js';
import { FormRebuilds } from '../../slack/rebuild.js';
import type { ModalView } from '@slack/types';
import type { OnboardDraft } from './form.js';
import { OB_ACTIONS, OB_FIELDS } from './ids.js';

// Options loads must answer within Slack's 3 s: one quick try, no retries.
const QUICK = { timeoutMs: 2500, retries: 0 } as const;
const GONE = 'That request is no longer known to the app. Finish the remaining steps in Portkey.';

/** How the listeners rebuild the form: the kind's own builder and reader (index.ts), so both stay one. */
export interface OnboardForm {
  modal(draft: OnboardDraft, context: ModalContext): ModalView;
  read(values: unknown): OnboardDraft;
}

/** The onboarding's own listeners: the integration picker (its search, and the rebuild when a pick changes), and
 *  "Retry the remaining steps" through the service. */
export function registerOnboard(app: Router, deps: Deps, form: OnboardForm): void {
  const { log } = deps;

  // A pick added or removed: the form again with one budget per picked integration. What was typed stays, by Slack
  // (same block and action ids) and by the draft's initial values; two quick changes: the newest wins (rebuild.ts).
  const rebuilds = new FormRebuilds(log);
  app.action(OB_FIELDS.integrations.action, async ({ ack, body, client }) => {
    await ack();
    const view = body.view;
    if (!view) return;
    const context = decodeContext(view.private_metadata);
    const draft = form.read(view.state.values);
    await rebuilds.rebuild(client, {
      viewId: view.id,
      hash: view.hash,
      actionTs: body.actions[0]?.action_ts,
      build: () => form.modal(draft, context),
    });
  });

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

  registerFollowUp(app, deps, { actionId: OB_ACTIONS.retry, gone: GONE, what: 'retry of the remaining steps' });
}
