import type { Log } from '../../log.js';
import type { SecretRefPart, Subject } from '../../policy/decide.js';
import type { PortkeyRef, ResolvedRefs } from '../../operations/refs.js';
import type { PortkeyClient } from '../../portkey/client.js';
import { lookUp } from '../../portkey/errors.js';
import { authModeOf, fieldsFor, getProvider, KEY_TARGET, secretTargets, type Provider } from '../../portkey/providers.js';
import { errorText } from '../../slack/errors.js';
import type { IntegrationDraft, IntegrationRequest } from './form.js';
import { fieldSecretRefBlock, INT_FIELDS, secretRefBlock } from './ids.js';
import { limitsSubject, UNREADABLE_LIMITS, validateLimits } from '../../features/limits/form.js';

// The ids a submission names (workspaces, secret references) looked up in Portkey before the policy decides: the
// policy, approvers and the audit see what Portkey holds, never the option labels the client sent. This runs
// before Slack's 3 s ack, so the calls go out together, once each, under one deadline — and fail closed.

/** The whole lookup's budget: what is left of Slack's 3 s is for the policy and the store. */
export const RESOLVE_DEADLINE_MS = 1500;

export type Resolution = { ok: true; resolved: ResolvedRefs } | { ok: false; errors: Record<string, string> };

class Deadline extends Error {}

/** The picker block of a secret_mappings target (`key` or `configurations.<field>`). */
function targetBlock(provider: Provider, target: string): string {
  if (target === KEY_TARGET) return secretRefBlock(provider.id);
  const key = target.replace(/^configurations\./, '');
  const shared = provider.fields.some((f) => f.key === key);
  const mode = provider.authModes?.find((m) => m.fields.some((f) => f.key === key));
  return fieldSecretRefBlock(provider.id, shared ? undefined : mode?.id, key);
}

/** Looks up the request's workspaces and secret references by id (each once). Form errors on the block the person sees. */
export async function resolveRefs(
  portkey: PortkeyClient,
  req: IntegrationRequest,
  log: Log,
  deadlineMs = RESOLVE_DEADLINE_MS,
): Promise<Resolution> {
  const call = { timeoutMs: deadlineMs, retries: 0 };
  const mappings = req.body.secret_mappings ?? [];
  const secretIds = [...new Set(mappings.map((m) => m.secret_reference_id))];
  const work = Promise.all([
    req.workspace ? lookUp(() => portkey.getWorkspace(req.workspace?.value ?? '', call)) : undefined,
    Promise.all(req.access.map((w) => lookUp(() => portkey.getWorkspace(w.value, call)))),
    Promise.all(secretIds.map((id) => lookUp(() => portkey.getSecretReference(id, call)))),
  ]);
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Deadline()), deadlineMs);
  });
  let results: Awaited<typeof work>;
  try {
    results = await Promise.race([work, late]);
  } catch (err) {
    log.warn({ error: errorText(err) }, 'Portkey did not answer the id lookups in time');
    return { ok: false, errors: unavailable(req) };
  } finally {
    clearTimeout(timer);
  }
  const [workspace, access, secrets] = results;
  const secretOf = (id: string) => secrets[secretIds.indexOf(id)];
  const errors: Record<string, string> = {};
  const retry = (what: string) => `Couldn't check ${what} with Portkey just now; submit again.`;
  if (workspace && !workspace.ok) {
    errors[INT_FIELDS.workspace.block] = workspace.missing
      ? 'Portkey has no such workspace that this app can see. Choose it from the list.'
      : retry('the workspace');
  }
  const badAccess = access.find((a) => !a.ok);
  if (badAccess && !badAccess.ok) {
    errors[INT_FIELDS.access.block] = badAccess.missing
      ? 'Portkey has no such workspace that this app can see. Choose them from the list.'
      : retry('these workspaces');
  }
  for (const m of mappings) {
    const found = secretOf(m.secret_reference_id);
    if (found && !found.ok) {
      errors[targetBlock(req.provider, m.target_field)] = found.missing
        ? 'Portkey has no such secret reference that this app can see. Choose it from the list.'
        : retry('the secret reference');
    }
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  // The spec promises neither a name nor a slug: a thing is called by its name, else its slug, else its id.
  const ref = (w: { id: string; name?: string | undefined; slug?: string | null | undefined }) => ({
    id: w.id,
    name: w.name ?? w.slug ?? w.id,
    ...(w.slug ? { slug: w.slug } : {}),
  });
  // Every mapping's reference was found (else the errors above): the key's, and each field's by configurations key.
  let secretRef: PortkeyRef | undefined;
  const fieldRefs: Record<string, PortkeyRef> = {};
  for (const m of mappings) {
    const found = secretOf(m.secret_reference_id);
    if (!found?.ok) continue;
    if (m.target_field === KEY_TARGET) secretRef = ref(found.value);
    else fieldRefs[m.target_field.replace(/^configurations\./, '')] = ref(found.value);
  }
  return {
    ok: true,
    resolved: {
      ...(workspace?.ok ? { workspace: ref(workspace.value) } : {}),
      access: access.flatMap((a) => (a.ok ? [ref(a.value)] : [])),
      ...(secretRef ? { secretRef } : {}),
      ...(Object.keys(fieldRefs).length > 0 ? { fieldRefs } : {}),
    },
  };
}

function unavailable(req: IntegrationRequest): Record<string, string> {
  const block = req.workspace
    ? INT_FIELDS.workspace.block
    : req.access.length > 0
      ? INT_FIELDS.access.block
      : secretRefBlock(req.provider.id);
  return { [block]: "Couldn't check the workspaces and secret references with Portkey just now; submit again." };
}

/** The URLs the key is sent to, as typed: the custom host and any base-URL field of the provider. */
export function keyHosts(req: { provider: { id: string } }, draft: IntegrationDraft): string[] {
  const provider = getProvider(req.provider.id);
  const urls = provider
    ? fieldsFor(provider, draft.authMode)
        .filter((f) => f.kind === 'url')
        .map((f) => draft.fields[f.key] ?? '')
    : [];
  return [draft.customHost, ...urls].map((u) => u.trim()).filter((u) => u !== '');
}

/** Every secret reference a request uses, each with what it stands in for, in the form's order (the key first). */
export function secretRefParts(providerId: string, draft: Pick<IntegrationDraft, 'authMode'>, resolved: ResolvedRefs): SecretRefPart[] {
  const provider = getProvider(providerId);
  const part = (r: PortkeyRef, field: string): SecretRefPart => ({ id: r.id, name: r.name, field });
  const out: SecretRefPart[] = [];
  if (resolved.secretRef) out.push(part(resolved.secretRef, provider?.keyLabel ?? 'API key'));
  const targets = provider ? secretTargets(provider, authModeOf(provider, draft.authMode)?.id) : [];
  for (const [key, r] of Object.entries(resolved.fieldRefs ?? {})) {
    out.push(part(r, targets.find((t) => t.field?.key === key)?.label ?? key));
  }
  return out;
}

/** What the policy decides an integration on: ids and names as Portkey knows them, never the client's labels. */
export function integrationSubject(
  req: { provider: { id: string } },
  draft: IntegrationDraft,
  resolved: ResolvedRefs,
): Omit<Subject, 'action'> {
  const workspaces = [...(resolved.workspace ? [resolved.workspace] : []), ...resolved.access];
  // "Enable in" workspaces get the form's limits; read from the draft with the same check the form ran.
  const limits = draft.scope === 'organisation' && draft.access.length > 0 ? validateLimits(draft.limits, draft.access.length) : undefined;
  const refs = secretRefParts(req.provider.id, draft, resolved);
  return {
    ...(limits ? { limits: limits.ok ? limitsSubject(limits.value) : UNREADABLE_LIMITS } : {}),
    providerId: req.provider.id,
    hosts: keyHosts(req, draft),
    ...(refs.length > 0 ? { secretRefs: refs } : {}),
    workspaces: workspaces.map((w) => ({ id: w.id, ...(w.slug ? { slug: w.slug } : {}) })),
  };
}
