import { z } from 'zod';
import type { Log } from '../../log.js';
import { createIntegrationOnce, getIfExists, grantWorkspaceAccess, whose } from './create.js';
import type { Executor, FollowUp, Outcome, Success } from '../../operations/service.js';
import type { Summary } from '../../operations/summary.js';
import type { PortkeyClient } from '../../portkey/client.js';
import { summarize } from '../../portkey/configurations.js';
import { describePortkeyError, lostAnswerStart } from '../../portkey/errors.js';
import { authModeOf, getProvider, KEY_TARGET, secretTargets } from '../../portkey/providers.js';
import type { CreateIntegrationBody } from '../../portkey/schemas.js';
import type { Subject } from '../../policy/decide.js';
import type { OperationRecord } from '../../store/index.js';
import {
  EMPTY_INTEGRATION_DRAFT,
  secretMappings,
  slugFromName,
  validateIntegration,
  type IntegrationDraft,
  type IntegrationRequest,
  type IntegrationSecrets,
} from './form.js';
import { integrationSummary, resolvedOf } from './summary.js';
import { integrationSubject } from './resolve.js';
import { integrationPlan } from './plan.js';
import type { PortkeyRef } from '../../operations/refs.js';
import { EMPTY_LIMITS_DRAFT, limitsDraftSchema, validateLimits } from '../../features/limits/form.js';
import { accessLimitsSchema, type AccessLimits } from '../../portkey/limits.js';
import { mayHaveBeenCreated } from '../../operations/failure.js';
import { CREATE_STEP, createWindow, keepIn, unlessRefused } from '../../operations/attempt.js';
import { integrationCreatedMessage, integrationFailedMessage, type CreatedIntegrationSummary } from './view.js';

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
  // Stored before budgets existed: none.
  limits: limitsDraftSchema.default(EMPTY_LIMITS_DRAFT),
  fields: z.record(z.string(), z.string()),
  deployments: z.array(z.record(z.string(), z.string())),
  defaultDeployment: z.number().int(),
  secretRef: choice.optional(),
  // Absent in operations stored before field references existed.
  fieldRefs: z.record(z.string(), choice).default({}),
});
const storedSchema = z.object({ draft: draftSchema });
const secretsSchema = z.object({ key: z.string(), fields: z.record(z.string(), z.string()) });
const resultSchema = z.object({
  providerId: z.string(),
  name: z.string(),
  scope: z.enum(['organisation', 'workspace']),
  workspace: choice.optional(),
  enabled: z.array(choice),
  /** What each enabled workspace got. */
  limits: accessLimitsSchema.optional(),
  accessError: z.string().optional(),
  maskedKey: z.string().optional(),
  usesSecretReference: z.boolean(),
  /** The secret provider fields taken from secret references, by label (absent before field references existed). */
  fromReferences: z.array(z.string()).optional(),
  details: z.array(z.object({ label: z.string(), value: z.string() })),
});
type StoredResult = z.infer<typeof resultSchema>;

/**
 * The stored draft, its workspaces and secret reference labelled with the names Portkey held for their ids at
 * submission (the id itself where none was looked up): results, channel messages and a restored form never repeat
 * an option label the client sent.
 */
export function storedIntegrationDraft(op: Pick<OperationRecord, 'request'>): IntegrationDraft | undefined {
  const parsed = storedSchema.safeParse(op.request);
  if (!parsed.success) return undefined;
  const draft: IntegrationDraft = { ...EMPTY_INTEGRATION_DRAFT, ...parsed.data.draft };
  const resolved = resolvedOf(op.request);
  // As the pickers label them: "Research (research)". A picker's value may be the slug when the id is too long.
  const named = (c: { value: string }, refs: readonly PortkeyRef[]) => {
    const r = refs.find((x) => x.id === c.value || (x.slug !== undefined && x.slug === c.value));
    return { value: c.value, label: r ? (r.slug ? `${r.name} (${r.slug})` : r.name) : c.value };
  };
  const all = [...(resolved?.workspace ? [resolved.workspace] : []), ...(resolved?.access ?? [])];
  return {
    ...draft,
    ...(draft.workspace ? { workspace: named(draft.workspace, all) } : {}),
    access: draft.access.map((w) => named(w, all)),
    ...(draft.secretRef ? { secretRef: named(draft.secretRef, resolved?.secretRef ? [resolved.secretRef] : []) } : {}),
    fieldRefs: Object.fromEntries(
      Object.entries(draft.fieldRefs).map(([key, c]) => {
        const found = resolved?.fieldRefs?.[key];
        return [key, named(c, found ? [found] : [])];
      }),
    ),
  };
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
    limits: r.limits,
    accessError: r.accessError,
    maskedKey: r.maskedKey,
    usesSecretReference: r.usesSecretReference,
    fromReferences: r.fromReferences,
    details: r.details,
  };
}

function requestOf(op: Pick<OperationRecord, 'request'>, secrets: unknown): IntegrationRequest | undefined {
  const draft = storedIntegrationDraft(op);
  const parsedSecrets = secretsSchema.safeParse(secrets ?? { key: '', fields: {} });
  if (!draft || !parsedSecrets.success) return undefined;
  const checked = validateIntegration(draft, parsedSecrets.data satisfies IntegrationSecrets);
  return checked.ok ? checked.value : undefined;
}

/** Enables the integration in the chosen workspaces; returns the error sentence if that failed. */
export async function grantAccess(
  portkey: PortkeyClient,
  slug: string,
  workspaceIds: string[],
  limits: AccessLimits,
  log: Log,
): Promise<string | undefined> {
  if (workspaceIds.length === 0) return undefined;
  try {
    await grantWorkspaceAccess(portkey, slug, workspaceIds, limits);
    return undefined;
  } catch (err) {
    log.warn({ error: err instanceof Error ? err.message : String(err) }, 'integration created, access grant failed');
    return describePortkeyError(err, 'workspace access', { nothingCreated: false });
  }
}

async function succeed(
  portkey: PortkeyClient,
  request: IntegrationRequest,
  id: string,
  slug: string,
  recovered: boolean,
  log: Log,
): Promise<Success> {
  const accessError = await grantAccess(
    portkey,
    slug,
    request.access.map((w) => w.value),
    request.limits,
    log,
  );
  const targets = secretTargets(request.provider, authModeOf(request.provider, request.authMode)?.id);
  const referenced = (request.body.secret_mappings ?? []).flatMap(
    (m) => targets.find((t) => t.field && t.target === m.target_field)?.label ?? [],
  );
  // Portkey's create answers only {id, slug}; the detail has the masked key to show. Optional.
  const detail = await getIfExists(portkey, slug).catch(() => undefined);
  const result: StoredResult = {
    providerId: request.provider.id,
    name: request.body.name,
    scope: request.scope,
    ...(request.workspace ? { workspace: request.workspace } : {}),
    enabled: accessError ? [] : request.access,
    ...(request.access.length > 0 ? { limits: request.limits } : {}),
    ...(accessError ? { accessError } : {}),
    ...(detail?.masked_key ? { maskedKey: detail.masked_key } : {}),
    usesSecretReference: (request.body.secret_mappings ?? []).some((m) => m.target_field === KEY_TARGET),
    ...(referenced.length > 0 ? { fromReferences: referenced } : {}),
    details: summarize(request.provider, request.body.configurations),
  };
  return { ok: true, id, slug, recovered, result };
}

/** The labels of the secret fields a draft takes from secret references. */
function fieldLabels(draft: IntegrationDraft): string[] {
  const provider = draft.providerId ? getProvider(draft.providerId) : undefined;
  const targets = provider ? secretTargets(provider, authModeOf(provider, draft.authMode)?.id) : [];
  return Object.keys(draft.fieldRefs).map((key) => targets.find((t) => t.field?.key === key)?.label ?? key);
}

function slugTakenText(slug: string, suggestion: string | undefined): string {
  return `The slug ${slug} is already used by another integration.${suggestion ? ` Try ${suggestion}.` : ' Choose another slug.'}`;
}

/** What we sent, as far as the draft (no secrets) says: enough to tell our integration from someone else's. */
function evidenceBody(draft: IntegrationDraft, providerId: string): CreateIntegrationBody {
  const description = draft.description.trim();
  const body: CreateIntegrationBody = {
    name: draft.name.trim(),
    slug: draft.slug.trim() || slugFromName(draft.name),
    ai_provider_id: providerId,
    ...(description ? { description } : {}),
    ...(draft.scope === 'workspace' && draft.workspace ? { workspace_id: draft.workspace.value } : {}),
  };
  const provider = getProvider(providerId);
  const mappings = provider ? secretMappings(provider, draft) : [];
  return { ...body, ...(mappings.length > 0 ? { secret_mappings: mappings } : {}) };
}

/**
 * What the policy decides a stored integration request on (a follow-up step re-checks it): the same subject the
 * submission was decided on, from the draft and what Portkey held for its ids. An operation stored before ids were
 * resolved is judged on the ids it named.
 */
export function storedSubject(op: OperationRecord): Omit<Subject, 'action'> {
  const draft = storedIntegrationDraft(op);
  if (!draft?.providerId) return {};
  const named = (c: { value: string }) => ({ id: c.value, name: '' });
  const resolved = resolvedOf(op.request) ?? {
    ...(draft.scope === 'workspace' && draft.workspace ? { workspace: named(draft.workspace) } : {}),
    access: draft.access.map(named),
    ...(draft.secretRef ? { secretRef: named(draft.secretRef) } : {}),
    fieldRefs: Object.fromEntries(Object.entries(draft.fieldRefs).map(([key, c]) => [key, named(c)])),
  };
  return integrationSubject({ provider: { id: draft.providerId } }, draft, resolved);
}

/**
 * "Retry enabling": the workspace grant of a created organisation-wide integration, when it failed and hasn't
 * succeeded since. Only the workspaces of the original request, never others.
 */
function accessFollowUp(portkey: PortkeyClient): FollowUp {
  return {
    what: 'the integration',
    pending(op) {
      const created = createdIntegration(op);
      const draft = storedIntegrationDraft(op);
      if (!created?.accessError || !draft || draft.scope !== 'organisation' || draft.access.length === 0) return undefined;
      return `enable it in ${draft.access.map((w) => w.label).join(', ')}`;
    },
    async run(op, log) {
      const draft = storedIntegrationDraft(op);
      const slug = op.portkeySlug;
      const parsed = resultSchema.safeParse(op.result);
      // The same budget as the request asked for (and the policy re-decided on), checked by the same function.
      const limits = draft ? validateLimits(draft.limits, draft.access.length) : undefined;
      if (!draft || !slug || !parsed.success || !limits?.ok)
        return { ok: false, result: (op.result ?? {}) as Record<string, unknown>, error: 'The request is no longer readable.' };
      const accessError = await grantAccess(
        portkey.budgeted('create'),
        slug,
        draft.access.map((w) => w.value),
        limits.value,
        log,
      );
      const { accessError: _old, ...rest } = parsed.data;
      const result: StoredResult = {
        ...rest,
        enabled: accessError ? [] : draft.access,
        limits: limits.value,
        ...(accessError ? { accessError } : {}),
      };
      return { ok: !accessError, result, ...(accessError ? { error: accessError } : {}) };
    },
  };
}

/** What an integration request asks for, for approvers and the audit channel (see summary.ts). Secrets are never in the draft. */
export function describeIntegration(op: Pick<OperationRecord, 'request'>): Summary {
  return integrationSummary(storedIntegrationDraft(op), resolvedOf(op.request));
}

export function integrationExecutor(portkey: PortkeyClient): Executor {
  return {
    describe: describeIntegration,
    plan(op, secrets) {
      const request = requestOf(op, secrets);
      return request ? integrationPlan(request, op.request) : undefined;
    },

    async execute(op, secrets, log, steps): Promise<Outcome> {
      const request = requestOf(op, secrets);
      if (!request) {
        // Portkey is never asked: the quota goes back.
        return {
          ok: false,
          error: 'The stored request could not be read (its secrets may have been wiped). Nothing was created; please submit it again.',
          unknown: false,
          refund: true,
        };
      }
      // The create, its lookup or slug probes, and the workspace grant after it share one deadline (portkey/budget.ts).
      const budgeted = portkey.budgeted('create');
      const outcome = await createIntegrationOnce(budgeted, request.body, log, keepIn(steps, CREATE_STEP));
      if (outcome.ok) return succeed(budgeted, request, outcome.value.id, outcome.value.slug, outcome.recovered, log);
      let error: string;
      if ('slugTaken' in outcome) {
        error = slugTakenText(outcome.slugTaken.slug, outcome.slugTaken.suggestion);
      } else if (outcome.unknown) {
        error =
          `${lostAnswerStart(outcome.error)}, and we couldn't check whether the integration was created. Look for the slug ` +
          `${request.body.slug} in Portkey before trying again.`;
      } else {
        error = describePortkeyError(outcome.error, 'integration');
      }
      return { ok: false, error, unknown: outcome.unknown };
    },

    async find(op, secrets, log, steps): Promise<Outcome | undefined> {
      // The draft alone says which slug to look for and what we sent; the secrets (if still sealed) add the key
      // to compare with Portkey's masked key, and rebuild the summary.
      const draft = storedIntegrationDraft(op);
      if (!draft?.providerId) return undefined;
      const request = requestOf(op, secrets);
      const body = request?.body ?? evidenceBody(draft, draft.providerId);
      const budgeted = portkey.budgeted('create');
      // A 403: an unknown slug, as the live API may answer, or a missing read scope.
      const looked = await unlessRefused(
        () => getIfExists(budgeted, body.slug),
        `The app restarted while this was being created, and Portkey refused to show the slug ${body.slug} (HTTP 403). ` +
          'Look for it in Portkey before trying again.',
      );
      if ('refused' in looked) return looked.refused;
      const existing = looked.value;
      if (!existing) return undefined;
      // The create was sent after the operation was stored, and before now; what held the slug just before is not ours.
      const window = await createWindow(op.createdAt, steps);
      const verdict = window.existed?.has(existing.id) ? 'not_ours' : whose(existing, body, window);
      if (verdict === 'not_ours') {
        log.warn({ slug: body.slug }, 'recovery: the slug holds an integration this operation did not create');
        return { ok: false, error: slugTakenText(body.slug, undefined), unknown: false };
      }
      if (verdict === 'doubtful') {
        return {
          ok: false,
          unknown: true,
          error:
            `The app restarted while this was being created, and we can't tell whether the integration under the slug ` +
            `${body.slug} is yours. Look for it in Portkey before trying again.`,
        };
      }
      if (request) return succeed(budgeted, request, existing.id, existing.slug, true, log);
      const result: StoredResult = {
        providerId: draft.providerId,
        name: existing.name,
        scope: draft.scope,
        ...(draft.workspace ? { workspace: draft.workspace } : {}),
        enabled: [],
        ...(draft.access.length > 0 ? { accessError: 'The app restarted before enabling the workspaces; enable them in Portkey.' } : {}),
        ...(existing.masked_key ? { maskedKey: existing.masked_key } : {}),
        usesSecretReference: Boolean(draft.secretRef),
        ...(Object.keys(draft.fieldRefs).length > 0 ? { fromReferences: fieldLabels(draft) } : {}),
        details: [],
      };
      return { ok: true, id: existing.id, slug: existing.slug, recovered: true, result };
    },

    subject: storedSubject,
    followUp: accessFollowUp(portkey),

    successMessage(op) {
      const summary = createdIntegration(op);
      return summary
        ? integrationCreatedMessage({ summary, userId: op.requesterId, operationId: op.id })
        : { text: `Integration created: id ${op.portkeyId ?? '?'}, slug ${op.portkeySlug ?? '?'}` };
    },

    failureMessage(op) {
      const draft = storedIntegrationDraft(op);
      const name = draft?.name.trim() || 'integration';
      return integrationFailedMessage({
        providerLabel: (draft?.providerId ? getProvider(draft.providerId)?.label : undefined) ?? 'AI provider',
        name,
        slug: draft?.slug.trim() || slugFromName(name),
        error: op.error ?? 'It failed.',
        mayExist: mayHaveBeenCreated(op),
      });
    },
  };
}
