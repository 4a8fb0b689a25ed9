import type { App, BlockAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Deps } from '../../deps.js';
import { findProvider, getProvider } from '../../portkey/providers.js';
import { DirectoryError } from '../../slack/directory.js';
import type { OperationRecord } from '../../store/index.js';
import { formToRestore, submissionOf, submitGoverned } from '../create-flow.js';
import { allowedNote, governedView } from '../../features/approval/view.js';
import { createdIntegration, storedIntegrationDraft } from './executor.js';
import { errorText } from '../../slack/errors.js';
import { escapeMrkdwn } from '../../slack/escape.js';
import { decodeContext, type ModalContext } from '../../slack/metadata.js';
import { tellUser } from '../../slack/notify.js';
import { deliveryNote } from '../../slack/delivery.js';
import { updateView } from '../../slack/views.js';
import { FormRebuilds } from '../../slack/rebuild.js';
import { errorsOnShownBlocks, refreshedForm } from './consistency.js';
import { EMPTY_INTEGRATION_DRAFT, readIntegrationForm, validateIntegration } from './form.js';
import { integrationSubject, resolveRefs, type Resolution } from './resolve.js';
import { INT_ACTIONS, INT_FIELDS, INTEGRATION_CALLBACK, INTEGRATION_RESULT_CALLBACK, REBUILD_ACTIONS, SECRET_REF_ACTION } from './ids.js';
import {
  INTEGRATION_TITLE,
  integrationErrorView,
  integrationModal,
  integrationProgressView,
  integrationSuccessView,
  workspaceOptions,
} from './view.js';

// Options loads must answer within Slack's 3 s: one quick try, no retries.
const QUICK = { timeoutMs: 2500, retries: 0 } as const;

export async function openIntegrationModal(client: WebClient, triggerId: string, p: { provider?: string; context: ModalContext }) {
  const provider = p.provider ? findProvider(p.provider) : undefined;
  await client.views.open({
    trigger_id: triggerId,
    view: integrationModal({ draft: { ...EMPTY_INTEGRATION_DRAFT, providerId: provider?.id }, context: p.context }),
  });
}

export function registerIntegration(app: App, deps: Deps): void {
  const { log, service } = deps;

  // Provider, auth mode, scope and deployment rows change which blocks show: rebuild the view in place. Two quick
  // changes race; FormRebuilds makes the newest one win (see slack/rebuild.ts), the submission checks the rest.
  const rebuilds = new FormRebuilds(log);
  for (const actionId of REBUILD_ACTIONS) {
    app.action<BlockAction>(actionId, async ({ ack, body, client }) => {
      await ack();
      const view = body.view;
      if (!view) return;
      const context = decodeContext(view.private_metadata);
      const rows = context.rows ?? 1;
      const { draft } = readIntegrationForm(view.state.values, rows);
      const nextRows =
        actionId === INT_ACTIONS.addDeployment ? rows + 1 : actionId === INT_ACTIONS.removeDeployment ? rows - 1 : rows;
      if (nextRows < rows) draft.deployments = draft.deployments.slice(0, nextRows);
      await rebuilds.rebuild(client, {
        viewId: view.id,
        hash: view.hash,
        actionTs: body.actions[0]?.action_ts,
        build: () => integrationModal({ draft, context: { ...context, rows: Math.max(1, nextRows) } }),
      });
    });
  }

  app.options(INT_FIELDS.workspace.action, async ({ ack, body }) => {
    await ack({ options: await searchWorkspaces(deps, body.value) });
  });
  app.options(INT_FIELDS.access.action, async ({ ack, body }) => {
    await ack({ options: await searchWorkspaces(deps, body.value) });
  });
  app.options(SECRET_REF_ACTION, async ({ ack, body }) => {
    try {
      // As on submit: the person's groups are asked of Slack while Portkey lists, not after (Slack's 3 s).
      void deps.governance.groupsOf(body.user.id).catch(() => undefined);
      const refs = await deps.portkey.listSecretReferences({ ...(body.value ? { search: body.value } : {}) }, QUICK);
      const q = body.value.toLowerCase();
      // Only the references the policy lets this person use here (the block id names the provider).
      const providerId = 'block_id' in body && typeof body.block_id === 'string' ? body.block_id.replace(/^int_secretref__/, '') : undefined;
      const channelId = 'view' in body && body.view ? decodeContext(body.view.private_metadata).channelId : undefined;
      const usable = await deps.governance.usableSecretRefs(refs, { userId: body.user.id, channelId }, providerId);
      await ack({
        options: usable
          .filter((r) => !q || r.name.toLowerCase().includes(q) || (r.slug ?? '').toLowerCase().includes(q))
          .slice(0, 100)
          .map((r) => ({ text: { type: 'plain_text' as const, text: r.name.slice(0, 75) }, value: r.id.slice(0, 75) })),
      });
    } catch (err) {
      log.warn({ error: errorText(err) }, 'secret reference search failed');
      await ack({ options: [] });
    }
  });

  app.view(INTEGRATION_CALLBACK, async ({ ack, body, view, client }) => {
    const context = decodeContext(view.private_metadata);
    const { draft, secrets } = readIntegrationForm(view.state.values, context.rows ?? 1);
    // A rebuild that never landed: the fields shown belong to another choice. Show the right form, keep what was typed.
    const refreshed = refreshedForm(view.blocks, draft, context);
    if (refreshed) {
      await ack({ response_action: 'update', view: refreshed });
      return;
    }
    const checked = validateIntegration(draft, secrets);
    if (!checked.ok) {
      await ack({ response_action: 'errors', errors: errorsOnShownBlocks(checked.errors, view.blocks) });
      return;
    }
    // The person's groups are asked of Slack now, while Portkey answers the lookups below: the two deadlines (2 s,
    // 1.5 s) run side by side, not one after the other past Slack's 3 s. The decision reads the same (shared) lookup.
    void deps.governance.groupsOf(body.user.id).catch(() => undefined);
    // Ids are looked up in Portkey first: the policy decides on what Portkey holds, and a lookup that fails refuses.
    // Someone at a rate limit is refused anyway: their submission costs Portkey no lookup (up to 22 otherwise).
    const limited = await deps.governance.atLimit('integration.create', { userId: body.user.id, teamId: body.team?.id ?? body.user.team_id ?? 'unknown' });
    const looked: Resolution = limited ? { ok: true, resolved: { access: [] } } : await resolveRefs(deps.portkey, checked.value, log);
    if (!looked.ok) {
      await ack({ response_action: 'errors', errors: looked.errors });
      return;
    }
    const { resolved } = looked;
    const submitted = await submitGoverned(deps, {
      ...submissionOf(body, context, { action: 'integration.create', request: { draft, resolved }, secrets: { key: secrets.key, fields: secrets.fields } }),
      subject: integrationSubject(checked.value, draft, resolved),
      ...(limited ? { unresolved: true as const } : {}),
    });
    if (!submitted.ok) {
      await ack({ response_action: 'errors', errors: { [INT_FIELDS.name.block]: submitted.error } });
      return;
    }
    const { operation, duplicate, queued } = submitted;
    // A second delivery of the same submission shows where the first one is; it never runs again.
    await ack({ response_action: 'update', view: integrationStateView(operation, context) });
    await service.send(queued);
    if (duplicate || operation.status !== 'requested') return;

    const { operation: final, delivery, heldNotice } = await service.run(operation.id);
    if (!final || final.status === 'executing') return;
    const keyDropped = Boolean(secrets.key) || Object.values(secrets.fields).some(Boolean);
    const shown = await updateView(
      client,
      view.id,
      integrationStateView(final, context, { keyDropped, ...(delivery ? { deliveredTo: deliveryNote(delivery, context.channelId) } : {}) }),
      log,
    );
    if (heldNotice) await service.settleNotice(heldNotice, shown);
  });

  app.action<BlockAction>(INT_ACTIONS.back, async ({ ack, body, client }) => {
    await ack();
    if (!body.view) return;
    // Secrets were never kept, so they are the one thing not restored.
    const { draft, context } = await formToRestore(deps, body, storedIntegrationDraft);
    const notice = draft
      ? ':information_source: Your entries are back. Secrets (keys, passwords, JSON keys) are never kept: paste them again.'
      : ':information_source: What you typed is no longer available. Please fill the form again.';
    const restored = draft ?? EMPTY_INTEGRATION_DRAFT;
    await updateView(client, body.view.id, integrationModal({ draft: restored, context: { ...context, rows: Math.max(1, restored.deployments.length) }, notice }), log);
  });

  // "Retry enabling": the service runs it (requester only, policy re-decided, leased, audited, told via the outbox).
  app.action<BlockAction>(INT_ACTIONS.retryAccess, async ({ ack, body, client, action }) => {
    await ack();
    const opId = action.type === 'button' ? action.value : undefined;
    const to = { userId: body.user.id, ...(body.response_url ? { responseUrl: body.response_url } : {}) };
    try {
      const res = opId
        ? await service.retryFollowUp(opId, body.user.id, { viewId: body.view?.id, responseUrl: body.response_url })
        : { kind: 'refused' as const, why: "That request is no longer known to the app. Enable the workspaces in Portkey's integration settings." };
      if (res.kind === 'refused') await tellUser(client, to, { text: res.why }, log);
      else await service.send(res.queued);
    } catch (err) {
      log.warn({ error: errorText(err) }, 'retry enabling failed');
      const text =
        !(err instanceof DirectoryError)
          ? 'Something went wrong on our side. Nothing was changed; try again in a moment.'
          : err.failure === 'unavailable'
            ? "Slack couldn't say which user groups you are in, so the policy couldn't be checked. Nothing was changed; try again in a moment."
            : // A Free plan is not a moment's matter, and a rate limit says how long: the directory's own words.
              `Nothing was changed. ${err.forPeople}`;
      await tellUser(client, to, { text }, log);
    }
  });

  app.action<BlockAction>(INT_ACTIONS.open, async ({ ack, body, client }) => {
    await ack();
    const context: ModalContext = {
      ...(body.channel?.id ? { channelId: body.channel.id } : {}),
      ...(body.response_url ? { responseUrl: body.response_url } : {}),
    };
    await openIntegrationModal(client, body.trigger_id, { context }).catch((err: unknown) =>
      log.warn({ error: errorText(err) }, 'could not open the integration modal'),
    );
  });
}

async function searchWorkspaces(deps: Deps, query: string) {
  try {
    const list = await deps.portkey.listWorkspaces({ ...(query ? { name: query } : {}), pageSize: 100 }, QUICK);
    return workspaceOptions(list.data);
  } catch (err) {
    deps.log.warn({ error: errorText(err) }, 'workspace search failed');
    return [];
  }
}

/** The modal for an operation's current state: progress, success or error. */
export function integrationStateView(
  op: OperationRecord,
  context: ModalContext,
  extra: { deliveredTo?: string; keyDropped?: boolean } = {},
) {
  const draft = storedIntegrationDraft(op);
  const name = draft?.name || 'integration';
  const governed = governedView(op, { callbackId: INTEGRATION_RESULT_CALLBACK, title: INTEGRATION_TITLE, context, backActionId: INT_ACTIONS.back, what: `Integration *${escapeMrkdwn(name)}*` });
  if (governed) return governed;
  const created = op.status === 'succeeded' ? createdIntegration(op) : undefined;
  if (created) {
    return integrationSuccessView({ summary: created, deliveredTo: (extra.deliveredTo ?? deliveryNote('channel', op.channelId || undefined)) + allowedNote(op), operationId: op.id, context });
  }
  if (op.status === 'failed') {
    return integrationErrorView({ name, message: op.error ?? 'It failed.', operationId: op.id, context, keyDropped: extra.keyDropped ?? true });
  }
  const provider = draft?.providerId ? getProvider(draft.providerId) : undefined;
  return integrationProgressView({ name, providerLabel: provider?.label ?? 'AI provider', context });
}
