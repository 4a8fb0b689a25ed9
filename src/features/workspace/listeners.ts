import type { App } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Deps } from '../../deps.js';
import { describePortkeyError } from '../../portkey/errors.js';
import { createWorkspaceOnce } from '../../operations/workspace.js';
import { errorText } from '../../slack/errors.js';
import { escapeMrkdwn } from '../../slack/escape.js';
import { decodeContext, type ModalContext } from '../../slack/metadata.js';
import { deliveryNote } from '../../slack/delivery.js';
import { postWithFallbacks, tellUser } from '../../slack/notify.js';
import { updateView } from '../../slack/views.js';
import { EMPTY_DRAFT, readWorkspaceDraft, validateWorkspaceDraft, workspaceCreateBody, type WorkspaceDraft } from './form.js';
import { WORKSPACE_CALLBACK, WS_ACTIONS } from './ids.js';
import {
  workspaceCreatedMessage,
  workspaceErrorView,
  workspaceModal,
  workspaceProgressView,
  workspaceSuccessView,
} from './view.js';

/** Opens the form. Called straight after ack: nothing slow may come before it (the trigger lasts 3 s). */
export async function openWorkspaceModal(client: WebClient, triggerId: string, p: { name?: string; context: ModalContext }) {
  await client.views.open({
    trigger_id: triggerId,
    view: workspaceModal({ draft: { ...EMPTY_DRAFT, name: p.name ?? '' }, context: p.context }),
  });
}

export function registerWorkspace(app: App, deps: Deps): void {
  const { log } = deps;

  app.view(WORKSPACE_CALLBACK, async ({ ack, body, view, client }) => {
    const draft = readWorkspaceDraft(view.state.values);
    const checked = validateWorkspaceDraft(draft);
    if (!checked.ok) {
      await ack({ response_action: 'errors', errors: checked.errors });
      return;
    }
    const context = decodeContext(view.private_metadata);
    const userId = body.user.id;
    const op = deps.operations.begin<WorkspaceDraft>({ action: 'workspace.create', userId, draft });
    await ack({ response_action: 'update', view: workspaceProgressView({ name: checked.value.name, context }) });

    await deps.operations.run(
      (async () => {
        const request = checked.value;
        const outcome = await createWorkspaceOnce(deps.portkey, workspaceCreateBody(request), log.child({ op: op.id }));
        if (outcome.ok) {
          deps.operations.finish(op.id, 'succeeded');
          const message = workspaceCreatedMessage({ workspace: outcome.value, requestedSlug: request.slug, userId });
          const delivery = await postWithFallbacks(client, { ...context, userId }, message, log);
          log.info({ op: op.id, workspace: outcome.value.id, slug: outcome.value.slug, delivery }, 'workspace created');
          await updateView(client, view.id, workspaceSuccessView({
            workspace: outcome.value,
            requestedSlug: request.slug,
            deliveredTo: deliveryNote(delivery, context.channelId),
            context,
          }), log);
          return;
        }
        deps.operations.finish(op.id, 'failed');
        const message = outcome.unknown
          ? "Portkey didn't answer, and we couldn't check whether the workspace was created. Look for it in Portkey before trying again."
          : describePortkeyError(outcome.error, 'workspace');
        log.warn({ op: op.id, error: outcome.error instanceof Error ? outcome.error.message : String(outcome.error) }, 'workspace create failed');
        const shown = await updateView(client, view.id, workspaceErrorView({ name: request.name, message, operationId: op.id, context }), log);
        // The modal may have been closed meanwhile: then say it privately, so the failure isn't silent.
        if (!shown) await tellUser(client, { ...context, userId }, { text: `Workspace ${escapeMrkdwn(request.name)} was not created: ${escapeMrkdwn(message)}` }, log);
      })(),
    );
  });

  app.action(WS_ACTIONS.back, async ({ ack, body, client }) => {
    await ack();
    if (body.type !== 'block_actions' || !body.view) return;
    const context = decodeContext(body.view.private_metadata);
    const opId = context.operationId;
    const op = opId ? deps.operations.get<WorkspaceDraft>(opId, 'workspace.create') : undefined;
    // Only the person who submitted gets their draft back.
    const draft = op && op.userId === body.user.id ? op.draft : EMPTY_DRAFT;
    const notice = op ? undefined : ":information_source: What you typed is no longer available (the app restarted). Please fill the form again.";
    const { operationId: _drop, ...rest } = context;
    await updateView(client, body.view.id, workspaceModal({ draft, context: rest, ...(notice ? { notice } : {}) }), log);
  });

  app.action(WS_ACTIONS.open, async ({ ack, body, client }) => {
    await ack();
    if (body.type !== 'block_actions') return;
    const context: ModalContext = {
      ...(body.channel?.id ? { channelId: body.channel.id } : {}),
      ...(body.response_url ? { responseUrl: body.response_url } : {}),
    };
    try {
      await openWorkspaceModal(client, body.trigger_id, { context });
    } catch (err) {
      log.warn({ error: errorText(err) }, 'could not open the workspace modal');
    }
  });
}
