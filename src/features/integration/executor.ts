import { z } from 'zod';
import type { Log } from '../../log.js';
import { createIntegrationOnce, getIfExists, grantWorkspaceAccess, isOurs, type IntegrationOutcome } from '../../operations/integration.js';
import type { Executor, Outcome, Success } from '../../operations/service.js';
import type { PortkeyClient } from '../../portkey/client.js';
import { summarize } from '../../portkey/configurations.js';
import { describePortkeyError, PortkeyError } from '../../portkey/errors.js';
import { getProvider } from '../../portkey/providers.js';
import type { Summary } from '../approval/messages.js';
import type { CreateIntegrationBody } from '../../portkey/schemas.js';
import type { OperationRecord } from '../../store/index.js';
import { EMPTY_INTEGRATION_DRAFT, slugFromName, validateIntegration, type IntegrationDraft, type IntegrationRequest, type IntegrationSecrets } from './form.js';
import { integrationSummary, resolvedOf } from './summary.js';
import { integrationCreatedMessage, type CreatedIntegrationSummary } from './view.js';

// What an integration operation stores: the draft without secrets. The secrets (key, secret fields) are
// sealed separately and only while the operation needs them; the body is rebuilt from both at execution.
const choice = z.object({ value: z.string(), label: z.string() });
const draftSchema = z.object({
  providerId: z.string().optional(),
  authMode: z.string().optional(),
  name: z.string(),
  slug: z.string(),
  description: z.string(),
  customHost: z.string(),
  scope: z.enum(['organisation', 'workspace']),
  workspace: choice.optional(),
  access: z.array(choice),
  fields: z.record(z.string(), z.string()),
  deployments: z.array(z.record(z.string(), z.string())),
  defaultDeployment: z.number().int(),
  secretRef: choice.optional(),
});
const storedSchema = z.object({ draft: draftSchema });
const secretsSchema = z.object({ key: z.string(), fields: z.record(z.string(), z.string()) });
const resultSchema = z.object({
  providerId: z.string(),
  name: z.string(),
  scope: z.enum(['organisation', 'workspace']),
  workspace: choice.optional(),
  enabled: z.array(choice),
  accessError: z.string().optional(),
  maskedKey: z.string().optional(),
  usesSecretReference: z.boolean(),
  details: z.array(z.object({ label: z.string(), value: z.string() })),
});
type StoredResult = z.infer<typeof resultSchema>;

export function storedIntegrationDraft(op: Pick<OperationRecord, 'request'>): IntegrationDraft | undefined {
  const parsed = storedSchema.safeParse(op.request);
  return parsed.success ? { ...EMPTY_INTEGRATION_DRAFT, ...parsed.data.draft } : undefined;
}

/** The summary of a succeeded operation, for messages and views (no secrets are stored in it). */
export function createdIntegration(op: OperationRecord): CreatedIntegrationSummary | undefined {
  const parsed = resultSchema.safeParse(op.result);
  const provider = parsed.success ? getProvider(parsed.data.providerId) : undefined;
  if (!parsed.success || !provider || !op.portkeyId || !op.portkeySlug) return undefined;
  const r = parsed.data;
  return {
    provider,
    name: r.name,
    id: op.portkeyId,
    slug: op.portkeySlug,
    scope: r.scope,
    workspace: r.workspace,
    enabled: r.enabled,
    accessError: r.accessError,
    maskedKey: r.maskedKey,
    usesSecretReference: r.usesSecretReference,
    details: r.details,
  };
}

function requestOf(op: OperationRecord, secrets: unknown): IntegrationRequest | undefined {
  const draft = storedIntegrationDraft(op);
  const parsedSecrets = secretsSchema.safeParse(secrets ?? { key: '', fields: {} });
  if (!draft || !parsedSecrets.success) return undefined;
  const checked = validateIntegration(draft, parsedSecrets.data satisfies IntegrationSecrets);
  return checked.ok ? checked.value : undefined;
}

/** Enables the integration in the chosen workspaces; returns the error sentence if that failed. */
export async function grantAccess(portkey: PortkeyClient, slug: string, workspaceIds: string[], log: Log): Promise<string | undefined> {
  if (workspaceIds.length === 0) return undefined;
  try {
    await grantWorkspaceAccess(portkey, slug, workspaceIds);
    return undefined;
  } catch (err) {
    log.warn({ error: err instanceof Error ? err.message : String(err) }, 'integration created, access grant failed');
    return describePortkeyError(err, 'workspace access', { nothingCreated: false });
  }
}

async function succeed(portkey: PortkeyClient, request: IntegrationRequest, id: string, slug: string, recovered: boolean, log: Log): Promise<Success> {
  const accessError = await grantAccess(portkey, slug, request.access.map((w) => w.value), log);
  // Portkey's create answers only {id, slug}; the detail has the masked key to show. Optional.
  const detail = await getIfExists(portkey, slug).catch(() => undefined);
  const result: StoredResult = {
    providerId: request.provider.id,
    name: request.body.name,
    scope: request.scope,
    ...(request.workspace ? { workspace: request.workspace } : {}),
    enabled: accessError ? [] : request.access,
    ...(accessError ? { accessError } : {}),
    ...(detail?.masked_key ? { maskedKey: detail.masked_key } : {}),
    usesSecretReference: Boolean(request.body.secret_mappings?.length),
    details: summarize(request.provider, request.body.configurations),
  };
  return { ok: true, id, slug, recovered, result };
}

/**
 * Portkey answered the create 2xx but its answer couldn't be read: it most likely made the integration. Look it
 * up by the slug we sent rather than tell the person it wasn't created.
 */
async function lookUpAfterUnreadableAnswer(
  portkey: PortkeyClient,
  body: CreateIntegrationBody,
  askedAt: number,
  error: PortkeyError,
  log: Log,
): Promise<IntegrationOutcome> {
  log.warn({ err: error.message, slug: body.slug }, 'integration create: answer unreadable, looking it up');
  try {
    const found = await getIfExists(portkey, body.slug);
    return found && isOurs(found, body, askedAt)
      ? { ok: true, value: { id: found.id, slug: found.slug }, recovered: true }
      : { ok: false, error, unknown: false };
  } catch (lookupErr) {
    log.error({ err: lookupErr instanceof Error ? lookupErr.message : String(lookupErr) }, 'integration lookup failed');
    return { ok: false, error, unknown: true };
  }
}

/** What an integration request asks for, for approvers and the audit channel (see summary.ts). Secrets are never in the draft. */
export function describeIntegration(op: Pick<OperationRecord, 'request'>): Summary {
  return integrationSummary(storedIntegrationDraft(op), resolvedOf(op.request));
}

export function integrationExecutor(portkey: PortkeyClient): Executor {
  return {
    describe: describeIntegration,

    async execute(op, secrets, log): Promise<Outcome> {
      const request = requestOf(op, secrets);
      if (!request) {
        return { ok: false, error: 'The stored request could not be read (its secrets may have been wiped). Nothing was created; please submit it again.', unknown: false };
      }
      const askedAt = Date.now();
      let outcome = await createIntegrationOnce(portkey, request.body, log);
      if (!outcome.ok && outcome.error instanceof PortkeyError && outcome.error.unreadableSuccess) {
        outcome = await lookUpAfterUnreadableAnswer(portkey, request.body, askedAt, outcome.error, log);
      }
      if (outcome.ok) return succeed(portkey, request, outcome.value.id, outcome.value.slug, outcome.recovered, log);
      let error: string;
      if ('slugTaken' in outcome) {
        const s = outcome.slugTaken;
        error = `The slug ${s.slug} is already used by another integration.${s.suggestion ? ` Try ${s.suggestion}.` : ' Choose another slug.'}`;
      } else if (outcome.unknown) {
        error = `Portkey didn't answer, and we couldn't check whether the integration was created. Look for the slug ${request.body.slug} in Portkey before trying again.`;
      } else {
        error = describePortkeyError(outcome.error, 'integration');
      }
      return { ok: false, error, unknown: outcome.unknown };
    },

    async find(op, secrets, log): Promise<Success | undefined> {
      // The draft alone says which slug to look for; the secrets (if still sealed) rebuild the summary.
      const draft = storedIntegrationDraft(op);
      if (!draft?.providerId) return undefined;
      const slug = draft.slug.trim() || slugFromName(draft.name);
      const existing = await getIfExists(portkey, slug);
      if (!existing || !isOurs(existing, { name: draft.name.trim(), ai_provider_id: draft.providerId }, op.createdAt)) return undefined;
      const request = requestOf(op, secrets);
      if (request) return succeed(portkey, request, existing.id, existing.slug, true, log);
      const result: StoredResult = {
        providerId: draft.providerId,
        name: existing.name,
        scope: draft.scope,
        ...(draft.workspace ? { workspace: draft.workspace } : {}),
        enabled: [],
        ...(draft.access.length > 0 ? { accessError: 'The app restarted before enabling the workspaces; enable them in Portkey.' } : {}),
        ...(existing.masked_key ? { maskedKey: existing.masked_key } : {}),
        usesSecretReference: Boolean(draft.secretRef),
        details: [],
      };
      return { ok: true, id: existing.id, slug: existing.slug, recovered: true, result };
    },

    successMessage(op) {
      const summary = createdIntegration(op);
      return summary
        ? integrationCreatedMessage({ summary, userId: op.requesterId, operationId: op.id })
        : { text: `Integration created: id ${op.portkeyId ?? '?'}, slug ${op.portkeySlug ?? '?'}` };
    },
  };
}
