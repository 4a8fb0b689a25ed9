import type { Step } from '../../operations/steps.js';
import { describePortkeyError } from '../../portkey/errors.js';
import { type IntegrationAccessPart, workspaceRefOf } from '../../features/onboard.js';
import { budgetText, heldLimits, rateText, sameLimits } from '../../portkey/limits.js';
import { grantWorkspaceAccess, workspaceAccessBody } from './create.js';

// An existing integration enabled in the bundle's new workspace, with its budget and rate limit: the same
// PUT /integrations/{slug}/workspaces as "enable in" of `/portkey integration create`. The PUT is idempotent; after
// a lost answer Portkey's list of the integration's workspaces says whether it landed, with those limits.

export const integrationAccessPart: IntegrationAccessPart = {
  plan(integration, workspaceId, limits) {
    const path = `/integrations/${encodeURIComponent(integration.slug)}/workspaces`;
    return [
      {
        method: 'PUT',
        path,
        body: workspaceAccessBody([workspaceId], limits),
        phase: 'run',
        purpose:
          `Enables ${integration.name} in the new workspace, with a default provider there ` +
          `(${budgetText(limits)}; ${rateText(limits)}).`,
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

  step(portkey, integration, workspaceStep, limits): Step {
    const label = `Enable ${integration.name} (${integration.slug})`;
    return {
      key: `integration:${integration.slug}`,
      label,
      async run(done, log) {
        const ws = workspaceRefOf(done.get(workspaceStep));
        if (!ws) return { ok: false, unknown: false, error: 'The workspace to enable it in was not created.' };
        try {
          // No budget or rate limit in a bundle yet (the policy sees that: onboard/resolve.ts).
          await grantWorkspaceAccess(portkey.budgeted('create'), integration.slug, [ws.id], limits);
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
        // Done only if enabled there with the limits asked for (else the PUT, idempotent, is sent again).
        const on = listed.data.some((w) => w.enabled && (w.id === ws.id || w.id === ws.slug) && sameLimits(heldLimits(w), limits));
        return on ? { ok: true, result: { slug: integration.slug, name: integration.name, workspaceId: ws.id } } : undefined;
      },
    };
  },
};
