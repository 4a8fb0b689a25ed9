import type { App, BlockAction } from '@slack/bolt';
import type { WebClient } from '@slack/web-api';
import type { Deps } from '../../deps.js';
import { createIntegrationOnce, getIfExists, grantWorkspaceAccess } from '../../operations/integration.js';
import { describePortkeyError } from '../../portkey/errors.js';
import { findProvider } from '../../portkey/providers.js';
import { errorText, slackErrorCode } from '../../slack/errors.js';
import { escapeMrkdwn } from '../../slack/escape.js';
import { decodeContext, type ModalContext } from '../../slack/metadata.js';
import { postToResponseUrl, postWithFallbacks, tellUser } from '../../slack/notify.js';
import { deliveryNote } from '../../slack/delivery.js';
import { updateView } from '../../slack/views.js';
import { EMPTY_INTEGRATION_DRAFT, readIntegrationForm, validateIntegration, type IntegrationDraft, type IntegrationRequest } from './form.js';
import { INT_ACTIONS, INT_FIELDS, INTEGRATION_CALLBACK, REBUILD_ACTIONS, SECRET_REF_ACTION } from './ids.js';
import {
  integrationCreatedMessage,
  integrationErrorView,
  integrationModal,
  integrationProgressView,
  integrationSuccessView,
  workspaceOptions,
  type CreatedIntegrationSummary,
} from './view.js';

/** What an integration operation keeps in memory: the draft (no secrets) and, once created, the summary. */
interface IntegrationOp {
  draft: IntegrationDraft;
  created?: CreatedIntegrationSummary;
  access: string[];
  context: ModalContext;
}

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
  const { log } = deps;

  // Provider, auth mode, scope and deployment rows change which blocks show: rebuild the view in place.
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
      try {
        await client.views.update({
          view_id: view.id,
          hash: view.hash,
          view: integrationModal({ draft, context: { ...context, rows: Math.max(1, nextRows) } }),
        });
      } catch (err) {
        // A lost race means a newer change is already on its way; nothing to do.
        if (slackErrorCode(err) === 'hash_conflict') log.debug('integration modal: hash_conflict, skipped');
        else log.warn({ error: errorText(err) }, 'could not update the integration modal');
      }
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
      const refs = await deps.portkey.listSecretReferences({ ...(body.value ? { search: body.value } : {}) }, QUICK);
      const q = body.value.toLowerCase();
      await ack({
        options: refs
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
    const checked = validateIntegration(draft, secrets);
    if (!checked.ok) {
      await ack({ response_action: 'errors', errors: checked.errors });
      return;
    }
    const request = checked.value;
    const userId = body.user.id;
    const opData: IntegrationOp = { draft, access: request.access.map((w) => w.value), context };
    const op = deps.operations.begin<IntegrationOp>({ action: 'integration.create', userId, draft: opData });
    await ack({
      response_action: 'update',
      view: integrationProgressView({ name: request.body.name, providerLabel: request.provider.label, context }),
    });
    await deps.operations.run(runCreate({ deps, client, request, opData, opId: op.id, userId, viewId: view.id, context, keyDropped: Boolean(secrets.key) || Object.values(secrets.fields).some(Boolean) }));
  });

  app.action<BlockAction>(INT_ACTIONS.back, async ({ ack, body, client }) => {
    await ack();
    if (!body.view) return;
    const context = decodeContext(body.view.private_metadata);
    const op = context.operationId ? deps.operations.get<IntegrationOp>(context.operationId, 'integration.create') : undefined;
    const draft = op && op.userId === body.user.id ? op.draft.draft : EMPTY_INTEGRATION_DRAFT;
    const notice = op
      ? ':information_source: Your entries are back. Secrets (keys, passwords, JSON keys) are never kept: paste them again.'
      : ':information_source: What you typed is no longer available (the app restarted). Please fill the form again.';
    const { operationId: _drop, ...rest } = context;
    await updateView(client, body.view.id, integrationModal({ draft, context: { ...rest, rows: Math.max(1, draft.deployments.length) }, notice }), log);
  });

  app.action<BlockAction>(INT_ACTIONS.retryAccess, async ({ ack, body, client, action }) => {
    await ack();
    const opId = action.type === 'button' ? action.value : undefined;
    const op = opId ? deps.operations.get<IntegrationOp>(opId, 'integration.create') : undefined;
    const created = op?.draft.created;
    const to = { userId: body.user.id, ...(body.response_url ? { responseUrl: body.response_url } : {}) };
    if (!op || !created) {
      await tellUser(client, to, { text: "That request is no longer known to the app (it restarted). Enable the workspaces in Portkey's integration settings." }, log);
      return;
    }
    if (op.userId !== body.user.id) {
      await tellUser(client, to, { text: `Only <@${op.userId}>, who created the integration, can retry this.` }, log);
      return;
    }
    try {
      await grantWorkspaceAccess(deps.portkey, created.slug, op.draft.access);
      created.accessError = undefined;
      created.enabled = op.draft.draft.access;
    } catch (err) {
      created.accessError = describePortkeyError(err, 'workspace access', { nothingCreated: false });
    }
    if (body.view) {
      await updateView(client, body.view.id, integrationSuccessView({ summary: created, deliveredTo: 'Retried enabling the workspaces.', operationId: op.id, context: op.draft.context }), log);
    } else if (body.response_url) {
      await postToResponseUrl(body.response_url, { ...integrationCreatedMessage({ summary: created, userId: op.userId, operationId: op.id }), replace_original: true }, log);
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

async function runCreate(p: {
  deps: Deps;
  client: WebClient;
  request: IntegrationRequest;
  opData: IntegrationOp;
  opId: string;
  userId: string;
  viewId: string;
  context: ModalContext;
  /** The person typed secrets that "Back to the form" won't restore. */
  keyDropped: boolean;
}): Promise<void> {
  const { deps, client, request, opData, opId, userId, context, keyDropped } = p;
  const log = deps.log.child({ op: opId });
  const outcome = await createIntegrationOnce(deps.portkey, request.body, log);
  if (!outcome.ok) {
    deps.operations.finish(opId, 'failed');
    let message: string;
    if ('slugTaken' in outcome) {
      const s = outcome.slugTaken;
      message = `The slug ${s.slug} is already used by another integration.${s.suggestion ? ` Try ${s.suggestion}.` : ' Choose another slug.'}`;
    } else if (outcome.unknown) {
      message = `Portkey didn't answer, and we couldn't check whether the integration was created. Look for the slug ${request.body.slug} in Portkey before trying again.`;
    } else {
      message = describePortkeyError(outcome.error, 'integration');
    }
    log.warn({ error: outcome.error instanceof Error ? outcome.error.message : String(outcome.error) }, 'integration create failed');
    const shown = await updateView(client, p.viewId, integrationErrorView({ name: request.body.name, message, operationId: opId, context, keyDropped }), log);
    if (!shown) await tellUser(client, { ...context, userId }, { text: `Integration ${escapeMrkdwn(request.body.name)} was not created: ${escapeMrkdwn(message)}` }, log);
    return;
  }

  const { id, slug } = outcome.value;
  let accessError: string | undefined;
  let enabled = request.access;
  if (request.access.length > 0) {
    try {
      await grantWorkspaceAccess(deps.portkey, slug, request.access.map((w) => w.value));
    } catch (err) {
      accessError = describePortkeyError(err, 'workspace access', { nothingCreated: false });
      enabled = [];
      log.warn({ error: err instanceof Error ? err.message : String(err) }, 'integration created, access grant failed');
    }
  }
  // Portkey's create answers only {id, slug}; the detail has the masked key to show. Optional.
  const detail = await getIfExists(deps.portkey, slug).catch(() => undefined);
  const summary: CreatedIntegrationSummary = {
    provider: request.provider,
    name: request.body.name,
    id,
    slug,
    scope: request.scope,
    workspace: request.workspace,
    enabled,
    accessError,
    maskedKey: detail?.masked_key ?? undefined,
    usesSecretReference: Boolean(request.body.secret_mappings?.length),
    configurations: request.body.configurations,
  };
  opData.created = summary;
  deps.operations.finish(opId, 'succeeded');
  const delivery = await postWithFallbacks(client, { ...context, userId }, integrationCreatedMessage({ summary, userId, operationId: opId }), log);
  log.info({ integration: id, slug, provider: request.provider.id, delivery, recovered: outcome.recovered }, 'integration created');
  await updateView(client, p.viewId, integrationSuccessView({ summary, deliveredTo: deliveryNote(delivery, context.channelId), operationId: opId, context }), log);
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
