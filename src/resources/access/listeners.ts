import type { Deps } from '../../deps.js';
import type { Router } from '../../slack/dispatch.js';
import { errorText } from '../../slack/errors.js';
import { ACCESS_FIELDS } from './ids.js';
import { accessWorkspaceOptions, integrationOptions } from './view.js';

// The access form's pickers, loaded from Portkey. Options loads must answer within Slack's 3 s: one quick try.
const QUICK = { timeoutMs: 2500, retries: 0 } as const;

export function registerAccess(app: Router, deps: Deps): void {
  app.options(ACCESS_FIELDS.integration.action, async ({ ack, body }) => {
    try {
      // Only organisation-wide integrations can be enabled in workspaces.
      const list = await deps.portkey.listIntegrations({ type: 'organisation', pageSize: 100 }, QUICK);
      if (list.skipped > 0) deps.log.warn({ skipped: list.skipped }, "integration search: left out items this app can't read");
      const q = body.value.toLowerCase();
      const found = list.data.filter((i) => !i.workspace_id && (!q || `${i.name ?? ''} ${i.slug ?? ''}`.toLowerCase().includes(q)));
      await ack({ options: integrationOptions(found) });
    } catch (err) {
      deps.log.warn({ error: errorText(err) }, 'integration search failed');
      await ack({ options: [] });
    }
  });
  app.options(ACCESS_FIELDS.workspace.action, async ({ ack, body }) => {
    try {
      const list = await deps.portkey.listWorkspaces({ ...(body.value ? { name: body.value } : {}), pageSize: 100 }, QUICK);
      if (list.skipped > 0) deps.log.warn({ skipped: list.skipped }, "workspace search: left out items this app can't read");
      await ack({ options: accessWorkspaceOptions(list.data) });
    } catch (err) {
      deps.log.warn({ error: errorText(err) }, 'workspace search failed');
      await ack({ options: [] });
    }
  });
}
