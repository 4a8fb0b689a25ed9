import { z } from 'zod';
import type { Log } from '../../log.js';
import { portkeyRefSchema } from '../../operations/refs.js';
import type { PortkeyClient } from '../../portkey/client.js';
import { lookUp } from '../../portkey/errors.js';
import { accessLimitsSchema, heldLimits } from '../../portkey/limits.js';
import type { AccessRequest } from './form.js';
import { ACCESS_FIELDS } from './ids.js';

// The integration and workspace a submission names, and what the workspace has of it now, looked up in Portkey
// before the policy decides (approvers and the channel see what Portkey holds, never a label the client sent).
// Before Slack's 3 s ack: the three calls go out together, once each, under one deadline, and fail closed.

export const RESOLVE_DEADLINE_MS = 1500;

export const accessResolvedSchema = z.object({
  integration: z.object({ id: z.string(), slug: z.string(), name: z.string(), providerId: z.string() }),
  workspace: portkeyRefSchema,
  /** The workspace's entry before this request: absent when it had none (not enabled). */
  before: z.object({ enabled: z.boolean(), limits: accessLimitsSchema.optional(), unreadable: z.boolean().optional() }).optional(),
});
export type AccessResolved = z.infer<typeof accessResolvedSchema>;

export type AccessResolution = { ok: true; resolved: AccessResolved } | { ok: false; errors: Record<string, string> };

/** The entry of GET /integrations/{slug}/workspaces for this workspace: Portkey names it by slug, or by id. */
export function entryFor<T extends { id: string }>(entries: readonly T[], ws: { id: string; slug?: string | undefined }): T | undefined {
  return entries.find((e) => e.id === ws.id || (ws.slug !== undefined && e.id === ws.slug));
}

export async function resolveAccess(
  portkey: PortkeyClient,
  req: AccessRequest,
  log: Log,
  deadlineMs = RESOLVE_DEADLINE_MS,
): Promise<AccessResolution> {
  const call = { timeoutMs: deadlineMs, retries: 0 };
  const work = Promise.all([
    lookUp(() => portkey.getIntegration(req.slug, call)),
    lookUp(() => portkey.getWorkspace(req.workspace, call)),
    lookUp(() => portkey.getIntegrationWorkspaces(req.slug, call)),
  ]);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), deadlineMs);
  });
  const retry = "Couldn't check this with Portkey just now; submit again.";
  let results: Awaited<typeof work> | 'late';
  try {
    results = await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
  if (results === 'late') {
    log.warn({}, 'Portkey did not answer the access lookups in time');
    return { ok: false, errors: { [ACCESS_FIELDS.integration.block]: retry } };
  }
  const [integration, workspace, entries] = results;
  const errors: Record<string, string> = {};
  if (!integration.ok) {
    errors[ACCESS_FIELDS.integration.block] = integration.missing
      ? 'Portkey has no such integration that this app can see. Choose it from the list.'
      : retry;
  } else if (integration.value.type === 'workspace' || integration.value.workspace_id) {
    errors[ACCESS_FIELDS.integration.block] =
      'This integration belongs to one workspace: only an organisation-wide integration can be enabled in workspaces.';
  }
  if (!workspace.ok) {
    errors[ACCESS_FIELDS.workspace.block] = workspace.missing
      ? 'Portkey has no such workspace that this app can see. Choose it from the list.'
      : retry;
  }
  if (!entries.ok && !errors[ACCESS_FIELDS.integration.block]) errors[ACCESS_FIELDS.integration.block] = retry;
  if (Object.keys(errors).length > 0 || !integration.ok || !workspace.ok || !entries.ok) {
    log.warn({ errors: Object.keys(errors) }, 'access lookups refused the submission');
    return { ok: false, errors };
  }
  const i = integration.value;
  const w = workspace.value;
  const ws = { id: w.id, name: w.name ?? w.slug ?? w.id, ...(w.slug ? { slug: w.slug } : {}) };
  const entry = entryFor(entries.value.data, ws);
  const held = entry ? heldLimits(entry) : undefined;
  return {
    ok: true,
    resolved: {
      integration: { id: i.id, slug: i.slug, name: i.name, providerId: i.ai_provider_id },
      workspace: ws,
      ...(entry ? { before: { enabled: entry.enabled, ...(held ? { limits: held } : { unreadable: true }) } } : {}),
    },
  };
}
