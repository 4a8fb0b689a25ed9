import type { Router } from '../../slack/dispatch.js';
import type { Deps } from '../../deps.js';
import { registerFollowUp } from '../../features/follow-up.js';
import { errorText } from '../../slack/errors.js';
import { decodeContext } from '../../slack/metadata.js';
import { FormRebuilds } from '../../slack/rebuild.js';
import { readIntegrationForm } from './form.js';
import { INT_ACTIONS, INT_FIELDS, parseSecretRefBlock, REBUILD_ACTIONS, SECRET_REF_ACTION } from './ids.js';
import { integrationModal, workspaceOptions } from './view.js';
import { secretReferenceLabel } from '../../portkey/schemas.js';

// Options loads must answer within Slack's 3 s: one quick try, no retries.
const QUICK = { timeoutMs: 2500, retries: 0 } as const;

/** The integration's own listeners: form rebuilds, options loads and "Retry enabling". */
export function registerIntegration(app: Router, deps: Deps): void {
  const { log } = deps;

  // Provider, auth mode, scope and deployment rows change which blocks show: rebuild the view in place. Two quick
  // changes race; FormRebuilds makes the newest one win (see slack/rebuild.ts), the submission checks the rest.
  const rebuilds = new FormRebuilds(log);
  for (const actionId of REBUILD_ACTIONS) {
    app.action(actionId, async ({ ack, body, client }) => {
      await ack();
      const view = body.view;
      if (!view) return;
      const context = decodeContext(view.private_metadata);
      const rows = context.rows ?? 1;
      const { draft } = readIntegrationForm(view.state.values, rows);
      const nextRows = actionId === INT_ACTIONS.addDeployment ? rows + 1 : actionId === INT_ACTIONS.removeDeployment ? rows - 1 : rows;
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
      const listed = await deps.portkey.listSecretReferences({ ...(body.value ? { search: body.value } : {}) }, QUICK);
      // A reference without a name (the spec doesn't promise one) is called, and judged by the policy, by its slug or id.
      if (listed.skipped > 0) log.warn({ skipped: listed.skipped }, "secret reference search: left out items this app can't read");
      const refs = listed.data.map((r) => ({ ...r, name: secretReferenceLabel(r) }));
      const q = body.value.toLowerCase();
      // Only the references the policy lets this person use here (the block id names the provider, and the field).
      const providerId =
        'block_id' in body && typeof body.block_id === 'string' ? parseSecretRefBlock(body.block_id)?.providerId : undefined;
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

  registerFollowUp(app, deps, {
    actionId: INT_ACTIONS.retryAccess,
    gone: "That request is no longer known to the app. Enable the workspaces in Portkey's integration settings.",
    what: 'retry enabling',
  });
}

async function searchWorkspaces(deps: Deps, query: string) {
  try {
    const list = await deps.portkey.listWorkspaces({ ...(query ? { name: query } : {}), pageSize: 100 }, QUICK);
    if (list.skipped > 0) deps.log.warn({ skipped: list.skipped }, "workspace search: left out items this app can't read");
    return workspaceOptions(list.data);
  } catch (err) {
    deps.log.warn({ error: errorText(err) }, 'workspace search failed');
    return [];
  }
}
