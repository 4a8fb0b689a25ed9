import { z } from 'zod';
import { EMPTY_LIMITS_DRAFT, limitsDraftSchema, limitsSubject, UNREADABLE_LIMITS } from '../../features/limits/form.js';
import { mayHaveBeenCreated } from '../../operations/failure.js';
import type { Executor, Outcome, Plan, Success } from '../../operations/service.js';
import type { PlannedCall } from '../../operations/types.js';
import type { Summary, SummaryRow } from '../../operations/summary.js';
import type { Subject } from '../../policy/decide.js';
import type { PortkeyClient } from '../../portkey/client.js';
import { describePortkeyError, lostAnswerStart, PortkeyError } from '../../portkey/errors.js';
import {
  accessLimitsSchema,
  budgetText,
  heldLimits,
  rateLimitsBody,
  rateText,
  sameLimits,
  usageLimitsBody,
  type AccessLimits,
} from '../../portkey/limits.js';
import { getProvider } from '../../portkey/providers.js';
import type { OperationRecord } from '../../store/index.js';
import { EMPTY_ACCESS_DRAFT, validateAccess, type AccessDraft } from './form.js';
import { accessResolvedSchema, entryFor, type AccessResolved } from './resolve.js';
import { accessChangedMessage, accessFailedMessage } from './view.js';

// What an access operation stores: the draft as typed and what Portkey held for its ids at submission. The PUT body
// is rebuilt from the draft at execution by the same check the form ran, for the workspace id Portkey gave.

const choice = z.object({ value: z.string(), label: z.string() });
const storedSchema = z.object({
  draft: z.object({ integration: choice.optional(), workspace: choice.optional(), limits: limitsDraftSchema.default(EMPTY_LIMITS_DRAFT) }),
  resolved: accessResolvedSchema,
});
const resultSchema = z.object({ limits: accessLimitsSchema, enabledBefore: z.boolean() });

export interface StoredAccess {
  draft: AccessDraft;
  resolved: AccessResolved;
}

export function storedAccess(op: Pick<OperationRecord, 'request'>): StoredAccess | undefined {
  const parsed = storedSchema.safeParse(op.request);
  if (!parsed.success) return undefined;
  const { draft, resolved } = parsed.data;
  // Labels as Portkey holds them, never the option text the client sent.
  const i = resolved.integration;
  const w = resolved.workspace;
  return {
    draft: {
      ...EMPTY_ACCESS_DRAFT,
      ...draft,
      integration: { value: i.slug, label: `${i.name} (${i.slug})` },
      workspace: { value: draft.workspace?.value ?? w.id, label: w.slug ? `${w.name} (${w.slug})` : w.name },
    },
    resolved,
  };
}

function limitsOf(stored: StoredAccess): AccessLimits | undefined {
  const checked = validateAccess(stored.draft);
  return checked.ok ? checked.value.limits : undefined;
}

/** The PUT body's one entry: enabled, exactly these limits (`null` clears the old ones), a default provider if new. */
export function accessBody(resolved: AccessResolved, limits: AccessLimits) {
  return {
    workspaces: [
      {
        id: resolved.workspace.id,
        enabled: true,
        usage_limits: usageLimitsBody(limits) ?? null,
        rate_limits: rateLimitsBody(limits) ?? null,
        // A workspace that had the integration already has its provider; a new one gets one it can use at once.
        create_default_provider: !resolved.before?.enabled,
      },
    ],
  };
}

/** Whether Portkey now holds what this request set: enabled in the workspace, with exactly its limits. */
async function applied(portkey: PortkeyClient, resolved: AccessResolved, limits: AccessLimits): Promise<boolean> {
  const entries = await portkey.getIntegrationWorkspaces(resolved.integration.slug);
  const entry = entryFor(entries.data, resolved.workspace);
  return entry?.enabled === true && sameLimits(heldLimits(entry), limits);
}

function success(stored: StoredAccess, limits: AccessLimits, recovered: boolean): Success {
  const i = stored.resolved.integration;
  return { ok: true, id: i.id, slug: i.slug, recovered, result: { limits, enabledBefore: stored.resolved.before?.enabled ?? false } };
}

export function accessSubject(op: Pick<OperationRecord, 'request'>): Omit<Subject, 'action'> {
  const stored = storedAccess(op);
  if (!stored) return { limits: UNREADABLE_LIMITS };
  const limits = limitsOf(stored);
  const w = stored.resolved.workspace;
  return {
    providerId: stored.resolved.integration.providerId,
    workspaces: [{ id: w.id, ...(w.slug ? { slug: w.slug } : {}) }],
    limits: limits ? limitsSubject(limits) : UNREADABLE_LIMITS,
  };
}

function beforeText(r: AccessResolved): string {
  const b = r.before;
  if (!b?.enabled) return 'not enabled in this workspace';
  if (!b.limits) return 'enabled, with limits this app does not read (see Portkey)';
  return `enabled — ${budgetText(b.limits)}; ${rateText(b.limits)}`;
}

export function describeAccess(op: Pick<OperationRecord, 'request'>): Summary {
  const stored = storedAccess(op);
  if (!stored) return { title: 'integration access', rows: [] };
  const { integration: i, workspace: w } = stored.resolved;
  const limits = limitsOf(stored);
  const provider = getProvider(i.providerId);
  const rows: SummaryRow[] = [
    { label: 'Integration', value: `${i.name} (slug ${i.slug}, ${provider?.label ?? i.providerId})`, critical: true },
    { label: 'Workspace', value: `${w.name} (id ${w.id}${w.slug ? `, slug ${w.slug}` : ''})`, critical: true },
    { label: 'Now', value: beforeText(stored.resolved), critical: true },
    { label: 'Budget', value: limits ? budgetText(limits) : 'unreadable (the request will be refused)', critical: true },
    { label: 'Rate limit', value: limits ? rateText(limits) : 'unreadable', critical: true },
  ];
  return { title: `${i.name} in workspace ${w.name}`, rows };
}

/** The limits a succeeded operation set, for its messages. */
export function accessResult(op: OperationRecord): { limits: AccessLimits; enabledBefore: boolean } | undefined {
  const parsed = resultSchema.safeParse(op.result);
  return parsed.success ? parsed.data : undefined;
}

const at = (id: string) => encodeURIComponent(id);

/** The preview: the look-ups made at submission, then the one PUT `execute` sends (the same body builder). */
export function planAccess(op: Pick<OperationRecord, 'request'>): Plan | undefined {
  const stored = storedAccess(op);
  const limits = stored ? limitsOf(stored) : undefined;
  if (!stored || !limits) return undefined;
  const { integration: i, workspace: w } = stored.resolved;
  const slug = at(i.slug);
  const calls: PlannedCall[] = [
    { method: 'GET', path: `/integrations/${slug}`, phase: 'submit', purpose: `Looks the integration up: Portkey calls it ${i.name}.` },
    {
      method: 'GET',
      path: `/admin/workspaces/${at(w.id)}`,
      phase: 'submit',
      purpose: `Looks the workspace up: Portkey calls it ${w.name}.`,
    },
    {
      method: 'GET',
      path: `/integrations/${slug}/workspaces`,
      phase: 'submit',
      purpose: `Reads what the workspace has now: ${beforeText(stored.resolved)}.`,
    },
    {
      method: 'PUT',
      path: `/integrations/${slug}/workspaces`,
      body: accessBody(stored.resolved, limits),
      phase: 'run',
      purpose: `Enables it in ${w.name} with exactly ${budgetText(limits)}; ${rateText(limits)}.`,
    },
    {
      method: 'GET',
      path: `/integrations/${slug}/workspaces`,
      phase: 'run',
      purpose: 'Reads the workspaces back, to tell whether the change was made.',
      onlyIf: "Portkey's answer to the PUT is lost (a timeout, a reset, a 5xx)",
    },
  ];
  // An access request holds no secrets.
  return { calls, secrets: [] };
}

export function accessExecutor(portkey: PortkeyClient): Executor {
  return {
    describe: describeAccess,
    plan: planAccess,
    subject: accessSubject,

    async execute(op, _secrets, log): Promise<Outcome> {
      const stored = storedAccess(op);
      const limits = stored ? limitsOf(stored) : undefined;
      if (!stored || !limits) {
        return {
          ok: false,
          error: 'The stored request could not be read. Nothing was changed; please submit it again.',
          unknown: false,
          refund: true,
        };
      }
      const budgeted = portkey.budgeted('create');
      try {
        // Idempotent: the client retries it on a lost answer; then Portkey is asked what it holds.
        await budgeted.updateIntegrationWorkspaces(stored.resolved.integration.slug, accessBody(stored.resolved, limits));
        return success(stored, limits, false);
      } catch (err) {
        if (!(err instanceof PortkeyError) || (!err.outcomeUnknown && !err.unreadableSuccess)) {
          return {
            ok: false,
            error: `${describePortkeyError(err, 'workspace access', { nothingCreated: false })} Nothing was changed.`,
            unknown: false,
          };
        }
        log.warn({ err: err.message }, 'access change: answer lost, looking it up');
        try {
          if (await applied(budgeted, stored.resolved, limits)) return success(stored, limits, true);
          return {
            ok: false,
            error: `${lostAnswerStart(err)}, and Portkey doesn't show the change: nothing was changed. Try again.`,
            unknown: false,
          };
        } catch {
          return {
            ok: false,
            error:
              `${lostAnswerStart(err)}, and we couldn't check whether the change was made. Look at the integration's ` +
              `workspaces in Portkey.`,
            unknown: true,
          };
        }
      }
    },

    async find(op): Promise<Outcome | undefined> {
      const stored = storedAccess(op);
      const limits = stored ? limitsOf(stored) : undefined;
      if (!stored || !limits) return undefined;
      return (await applied(portkey.budgeted('create'), stored.resolved, limits)) ? success(stored, limits, true) : undefined;
    },

    successMessage(op) {
      const stored = storedAccess(op);
      const result = accessResult(op);
      if (!stored || !result) return { text: `Integration access changed: ${op.portkeySlug ?? '?'}` };
      return accessChangedMessage({ resolved: stored.resolved, ...result, userId: op.requesterId });
    },

    failureMessage(op) {
      const stored = storedAccess(op);
      return accessFailedMessage({
        integration: stored?.resolved.integration.slug ?? 'the integration',
        workspace: stored?.resolved.workspace.name ?? 'the workspace',
        error: op.error ?? 'It failed.',
        mayExist: mayHaveBeenCreated(op),
      });
    },
  };
}
