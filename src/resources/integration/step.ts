import type { Step } from '../../operations/steps.js';
import { describePortkeyError } from '../../portkey/errors.js';
import { type IntegrationAccessPart, workspaceRefOf } from '../../features/onboard.js';
import { grantWorkspaceAccess, workspaceAccessBody } from './create.js';

// An existing integration enabled in the bundle's new workspace: the same PUT /integrations/{slug}/workspaces as
// "enable in" of `/portkey integration create`. The PUT is idempotent; after a lost answer Portkey's list of the
// integration's workspaces says whether it landed.

export const integrationAccessPart: IntegrationAccessPart = {
  plan(integration, workspaceId) {
    const path = `/integrations/${encodeURIComponent(integration.slug)}/workspaces`;
    return [
      {
        method: 'PUT',
        path,
        body: workspaceAccessBody([workspaceId], {}),
        phase: 'run',
        purpose: `Enables ${integration.name} in the new workspace, with a default provider there.`,
      },
      {
        method: 'GET',
        path,
        phase: 'run',
        purpose: 'Reads where it is enabled.',
        onlyIf: 'the app restarted, or lost the answer, mid-step',
      },
    ];
  },

  step(portkey, integration, workspaceStep): Step {
    const label = `Enable ${integration.name} (${integration.slug})`;
    return {
      key: `integration:${integration.slug}`,
      label,
      async run(done, log) {
        const ws = workspaceRefOf(done.get(workspaceStep));
        if (!ws) return { ok: false, unknown: false, error: 'The workspace to enable it in was not created.' };
        try {
          // No budget or rate limit in a bundle yet (the policy sees that: onboard/resolve.ts).
          await grantWorkspaceAccess(portkey.budgeted('create'), integration.slug, [ws.id], {});
          return { ok: true, result: { slug: integration.slug, name: integration.name, workspaceId: ws.id } };
        } catch (err) {
          log.warn({ error: err instanceof Error ? err.message : String(err) }, 'onboard: enabling an integration failed');
          return { ok: false, unknown: false, error: describePortkeyError(err, 'workspace access', { nothingCreated: false }) };
        }
      },
      async find(done) {
        const ws = workspaceRefOf(done.get(workspaceStep));
        if (!ws) return undefined;
        const listed = await portkey.budgeted('create').getIntegrationWorkspaces(integration.slug);
        const on = listed.data.some((w) => w.enabled && (w.id === ws.id || w.id === ws.slug));
        return on ? { ok: true, result: { slug: integration.slug, name: integration.name, workspaceId: ws.id } } : undefined;
      },
    };
  },
};
