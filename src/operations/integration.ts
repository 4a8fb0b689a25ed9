import type { Log } from '../log.js';
import type { PortkeyClient } from '../portkey/client.js';
import { PortkeyError, scrubSecrets } from '../portkey/errors.js';
import { getProvider, isSecretField, fieldsFor } from '../portkey/providers.js';
import type { CreatedIntegration, CreateIntegrationBody, Integration } from '../portkey/schemas.js';
import type { CreateOutcome } from './workspace.js';

const CLOCK_SKEW_MS = 120_000;

export type IntegrationOutcome =
  | CreateOutcome<CreatedIntegration>
  | { ok: false; error: unknown; unknown: false; slugTaken: { slug: string; suggestion: string | undefined } };

/**
 * Creates an integration once. We always send a slug, so when the answer is lost (timeout, reset, 5xx)
 * `GET /integrations/{slug}` tells whether it was created — nothing is re-sent. A 409 for a slug that
 * holds *this* integration (a double submit) counts as success; for another one, a free slug is suggested.
 */
export async function createIntegrationOnce(portkey: PortkeyClient, body: CreateIntegrationBody, log: Log): Promise<IntegrationOutcome> {
  const askedAt = Date.now();
  try {
    return { ok: true, value: await portkey.createIntegration(body), recovered: false };
  } catch (raw) {
    // Before anything logs or shows it: Portkey's text must not echo a secret we sent.
    const err = scrubSecrets(raw, secretValues(body));
    if (!(err instanceof PortkeyError)) return { ok: false, error: err, unknown: false };
    const conflict = err.kind === 'api' && (err.status === 409 || err.code === 'AB07');
    if (!conflict && !err.outcomeUnknown) return { ok: false, error: err, unknown: false };

    log.warn({ err: err.message, slug: body.slug }, conflict ? 'integration slug exists, checking whose' : 'integration create: answer lost, looking it up');
    let existing: Integration | undefined;
    try {
      existing = await getIfExists(portkey, body.slug);
    } catch (lookupErr) {
      log.error({ err: String(lookupErr) }, 'integration lookup failed');
      return { ok: false, error: err, unknown: !conflict };
    }
    if (existing && isOurs(existing, body, askedAt)) {
      log.info({ slug: existing.slug }, 'integration found: it was created by this request');
      return { ok: true, value: { id: existing.id, slug: existing.slug }, recovered: true };
    }
    if (conflict || existing) {
      return { ok: false, error: err, unknown: false, slugTaken: { slug: body.slug, suggestion: await freeSlug(portkey, body.slug) } };
    }
    return { ok: false, error: err, unknown: false };
  }
}

/** Every secret string in a create body: the key and the catalog's secret fields (nested strings too). */
export function secretValues(body: CreateIntegrationBody): string[] {
  const out: string[] = body.key ? [body.key] : [];
  const provider = getProvider(body.ai_provider_id);
  const config = body.configurations ?? {};
  const collect = (v: unknown): void => {
    if (typeof v === 'string') out.push(v);
    else if (v && typeof v === 'object') Object.values(v).forEach(collect);
  };
  if (provider) {
    const mode = provider.authField ? config[provider.authField] : undefined;
    for (const f of fieldsFor(provider, typeof mode === 'string' ? mode : undefined)) if (isSecretField(f)) collect(config[f.key]);
  }
  return out;
}

export function isOurs(found: Integration, body: Pick<CreateIntegrationBody, 'name' | 'ai_provider_id'>, askedAt: number): boolean {
  if (found.name !== body.name || found.ai_provider_id !== body.ai_provider_id) return false;
  const created = found.created_at ? Date.parse(found.created_at) : Number.NaN;
  return !Number.isFinite(created) || created >= askedAt - CLOCK_SKEW_MS;
}

/** The integration with this slug, or undefined when Portkey says there is none (404 / AB08). A 403 may mean
 *  "no permission" as well as "unknown", so it is not taken as absence. */
export async function getIfExists(portkey: PortkeyClient, slug: string): Promise<Integration | undefined> {
  try {
    return await portkey.getIntegration(slug);
  } catch (err) {
    if (err instanceof PortkeyError && err.kind === 'api' && (err.status === 404 || err.code === 'AB08')) return undefined;
    throw err;
  }
}

async function freeSlug(portkey: PortkeyClient, slug: string): Promise<string | undefined> {
  for (let n = 2; n <= 6; n++) {
    const candidate = `${slug.slice(0, 250)}-${n}`;
    try {
      if (!(await getIfExists(portkey, candidate))) return candidate;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Enables an organisation-wide integration in workspaces, each with a default provider. Idempotent. */
export async function grantWorkspaceAccess(portkey: PortkeyClient, slug: string, workspaceIds: string[]): Promise<void> {
  await portkey.updateIntegrationWorkspaces(slug, {
    workspaces: workspaceIds.map((id) => ({ id, enabled: true, create_default_provider: true })),
  });
}
