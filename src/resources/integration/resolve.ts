import type { Log } from '../../log.js';
import type { Subject } from '../../policy/decide.js';
import type { ResolvedRefs } from '../../operations/refs.js';
import type { PortkeyClient } from '../../portkey/client.js';
import { PortkeyError } from '../../portkey/errors.js';
import { fieldsFor, getProvider } from '../../portkey/providers.js';
import { errorText } from '../../slack/errors.js';
import type { IntegrationDraft, IntegrationRequest } from './form.js';
import { INT_FIELDS, secretRefBlock } from './ids.js';
import { limitsSubject, UNREADABLE_LIMITS, validateLimits } from '../../features/limits/form.js';

// The ids a submission names (workspaces, secret reference) looked up in Portkey before the policy decides: the
// policy, approvers and the audit see what Portkey holds, never the option labels the client sent. This runs
// before Slack's 3 s ack, so the calls go out together, once each, under one deadline — and fail closed.

/** The whole lookup's budget: what is left of Slack's 3 s is for the policy and the store. */
export const RESOLVE_DEADLINE_MS = 1500;

export type Resolution = { ok: true; resolved: ResolvedRefs } | { ok: false; errors: Record<string, string> };

type Looked<T> = { ok: true; value: T } | { ok: false; missing: boolean };

class Deadline extends Error {}

async function look<T>(call: () => Promise<T>): Promise<Looked<T>> {
  try {
    return { ok: true, value: await call() };
  } catch (err) {
    // 403 (unknown workspace, as the live API answers) and 404: Portkey has no such thing that this key can see.
    const missing = err instanceof PortkeyError && err.kind === 'api' && (err.status === 403 || err.status === 404);
    return { ok: false, missing };
  }
}

/** Looks up the request's workspaces and secret reference by id. Form errors on the block the person sees. */
export async function resolveRefs(
  portkey: PortkeyClient,
  req: IntegrationRequest,
  log: Log,
  deadlineMs = RESOLVE_DEADLINE_MS,
): Promise<Resolution> {
  const call = { timeoutMs: deadlineMs, retries: 0 };
  const secretId = req.body.secret_mappings?.[0]?.secret_reference_id;
  const work = Promise.all([
    req.workspace ? look(() => portkey.getWorkspace(req.workspace?.value ?? '', call)) : undefined,
    Promise.all(req.access.map((w) => look(() => portkey.getWorkspace(w.value, call)))),
    secretId ? look(() => portkey.getSecretReference(secretId, call)) : undefined,
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
  const [workspace, access, secretRef] = results;
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
  if (secretRef && !secretRef.ok) {
    errors[secretRefBlock(req.provider.id)] = secretRef.missing
      ? 'Portkey has no such secret reference that this app can see. Choose it from the list.'
      : retry('the secret reference');
  }
  if (Object.keys(errors).length > 0) return { ok: false, errors };

  // The spec promises neither a name nor a slug: a thing is called by its name, else its slug, else its id.
  const ref = (w: { id: string; name?: string | undefined; slug?: string | null | undefined }) => ({
    id: w.id,
    name: w.name ?? w.slug ?? w.id,
    ...(w.slug ? { slug: w.slug } : {}),
  });
  return {
    ok: true,
    resolved: {
      ...(workspace?.ok ? { workspace: ref(workspace.value) } : {}),
      access: access.flatMap((a) => (a.ok ? [ref(a.value)] : [])),
      ...(secretRef?.ok ? { secretRef: ref(secretRef.value) } : {}),
    },
  };
}

function unavailable(req: IntegrationRequest): Record<string, string> {
  const block = req.workspace
    ? INT_FIELDS.workspace.block
    : req.access.length > 0
      ? INT_FIELDS.access.block
      : secretRefBlock(req.provider.id);
  return { [block]: "Couldn't check the workspaces and secret reference with Portkey just now; submit again." };
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

/** What the policy decides an integration on: ids and names as Portkey knows them, never the client's labels. */
export function integrationSubject(
  req: { provider: { id: string } },
  draft: IntegrationDraft,
  resolved: ResolvedRefs,
): Omit<Subject, 'action'> {
  const workspaces = [...(resolved.workspace ? [resolved.workspace] : []), ...resolved.access];
  // "Enable in" workspaces get the form's limits; read from the draft with the same check the form ran.
  const limits = draft.scope === 'organisation' && draft.access.length > 0 ? validateLimits(draft.limits, draft.access.length) : undefined;
  return {
    ...(limits ? { limits: limits.ok ? limitsSubject(limits.value) : UNREADABLE_LIMITS } : {}),
    providerId: req.provider.id,
    hosts: keyHosts(req, draft),
    ...(resolved.secretRef ? { secretRef: { id: resolved.secretRef.id, name: resolved.secretRef.name } } : {}),
    workspaces: workspaces.map((w) => ({ id: w.id, ...(w.slug ? { slug: w.slug } : {}) })),
  };
}
