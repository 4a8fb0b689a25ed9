import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Log } from '../../log.js';
import type { PortkeyClient } from '../../portkey/client.js';
import { PortkeyError, scrubSecrets } from '../../portkey/errors.js';
import { getProvider, isSecretField, fieldsFor } from '../../portkey/providers.js';
import type { CreatedIntegration, CreateIntegrationBody, Integration, WorkspaceAccessBody } from '../../portkey/schemas.js';
import { rateLimitsBody, usageLimitsBody, type AccessLimits } from '../../portkey/limits.js';
import { createOnce, whenCreated, type AttemptWindow, type CreateOutcome, type KeepExisted } from '../../operations/attempt.js';

/** Free-slug probes after a taken slug: `<slug>-2`, then one random suffix. Bounds what a refused create costs. */
const FREE_SLUG_PROBES = 2;

export type IntegrationOutcome =
  | CreateOutcome<CreatedIntegration>
  | { ok: false; error: unknown; unknown: false; slugTaken: { slug: string; suggestion: string | undefined } };

/**
 * Creates an integration once. A 409 (AB07) always means the slug is someone else's — never success: a create is
 * never re-sent, so a conflict can't be our own earlier attempt. Only when *this* attempt's answer was lost
 * (timeout, reset, 5xx, an unreadable 2xx) is the slug looked up, once, and the integration credited only if all
 * we can see of it matches what we sent (see `whose`) and it didn't hold the slug before we sent. At most 1 look-up
 * before, the create, 1 look-up after and 2 free-slug probes.
 */
export async function createIntegrationOnce(
  portkey: PortkeyClient,
  body: CreateIntegrationBody,
  log: Log,
  keep?: KeepExisted,
): Promise<IntegrationOutcome> {
  return createOnce<CreatedIntegration, IntegrationOutcome>({
    what: 'integration create',
    log,
    ...(keep ? { keep } : {}),
    // An integration that already holds the slug is someone else's, whatever its whole-second timestamp says.
    before: async () => {
      const held = await getIfExists(portkey, body.slug);
      return new Set(held ? [held.id] : []);
    },
    send: () => portkey.createIntegration(body),
    // Before anything logs or shows it: Portkey's text must not echo a secret we sent.
    clean: (raw) => scrubSecrets(raw, secretValues(body)),
    refused(err) {
      if (err.kind !== 'api' || (err.status !== 409 && err.code !== 'AB07')) return undefined;
      log.warn({ err: err.message, slug: body.slug }, 'integration slug taken');
      return slugTaken(portkey, body.slug, err);
    },
    async lookup(window, err) {
      const existing = await getIfExists(portkey, body.slug);
      if (!existing) return { kind: 'none' };
      const verdict = window.existed?.has(existing.id) ? 'not_ours' : whose(existing, body, window);
      if (verdict === 'ours') return { kind: 'found', value: { id: existing.id, slug: existing.slug } };
      if (verdict === 'doubtful') {
        log.warn({ slug: body.slug }, 'integration lookup: found one that fits but was made just before we asked; not crediting it');
        return { kind: 'ambiguous' };
      }
      // Slugs are unique: what holds ours now isn't what we sent, so our create can't have made it.
      log.warn({ slug: body.slug }, 'integration lookup: the slug holds an integration this request did not create');
      return { kind: 'settled', outcome: await slugTaken(portkey, body.slug, err) };
    },
  });
}

async function slugTaken(portkey: PortkeyClient, slug: string, error: PortkeyError): Promise<IntegrationOutcome> {
  return { ok: false, error, unknown: false, slugTaken: { slug, suggestion: await freeSlug(portkey, slug) } };
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

// What an integration's detail shows beyond the fields the client schema names; read only as evidence.
const evidenceSchema = z
  .object({
    configurations: z.record(z.string(), z.unknown()).nullish(),
    secret_mappings: z.array(z.object({ target_field: z.string(), secret_reference_id: z.string() }).loose()).nullish(),
  })
  .loose();

/**
 * Whether an integration found after a lost answer is the one this attempt sent. Each check that can be made must
 * hold, else it is not ours (no created_at, another workspace, other secret references, a masked key that can't be
 * ours, a different non-secret setting): the name and provider alone never suffice, anyone can send those. One that
 * fits but was made just before we asked is 'doubtful' (see CLOCK_SKEW_MS): neither credited nor called taken.
 */
export function whose(found: Integration, body: CreateIntegrationBody, window: AttemptWindow): 'ours' | 'doubtful' | 'not_ours' {
  const when = whenCreated(found.created_at, window);
  if (when === 'outside' || !fits(found, body)) return 'not_ours';
  return when === 'inside' ? 'ours' : 'doubtful';
}

function fits(found: Integration, body: CreateIntegrationBody): boolean {
  if (found.slug !== body.slug || found.name !== body.name || found.ai_provider_id !== body.ai_provider_id) return false;
  // Portkey reports the workspace by id; we send the id the picker gave.
  if ((found.workspace_id ?? null) !== (body.workspace_id ?? null)) return false;
  if (found.description !== undefined && (found.description ?? '') !== (body.description ?? '')) return false;
  if (found.masked_key && body.key && !maskFits(found.masked_key, body.key)) return false;
  const extra = evidenceSchema.safeParse(found);
  if (!extra.success) return false;
  const mappings = extra.data.secret_mappings;
  if (mappings) {
    const key = (m: { target_field: string; secret_reference_id: string }) => `${m.target_field}=${m.secret_reference_id}`;
    const theirs = mappings.map(key).sort().join(',');
    const ours = (body.secret_mappings ?? []).map(key).sort().join(',');
    if (theirs !== ours) return false;
  }
  // Non-secret settings come back as sent (secret ones as masked_<field>): they must be ours.
  const config = extra.data.configurations;
  if (config) {
    for (const [k, v] of Object.entries(body.configurations ?? {})) {
      if (typeof v === 'string' && k in config && config[k] !== v) return false;
    }
  }
  return true;
}

/** Whether a masked key (`sk-****`, `sk-****cdef`) can be the mask of `key`: its visible ends must be the key's. */
export function maskFits(masked: string, key: string): boolean {
  const first = masked.indexOf('*');
  if (first < 0) return masked === key;
  const head = masked.slice(0, first);
  const tail = masked.slice(masked.lastIndexOf('*') + 1);
  return key.length >= head.length + tail.length && key.startsWith(head) && key.endsWith(tail);
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

/** A slug that is free right now: `<slug>-2`, else one random suffix (which almost surely is). */
async function freeSlug(portkey: PortkeyClient, slug: string): Promise<string | undefined> {
  const base = slug.slice(0, 250);
  const candidates = [`${base}-2`, `${base}-${randomBytes(2).toString('hex')}`].slice(0, FREE_SLUG_PROBES);
  for (const candidate of candidates) {
    try {
      if (!(await getIfExists(portkey, candidate))) return candidate;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Enables an organisation-wide integration in workspaces, each with a default provider and the same limits. Idempotent. */
export async function grantWorkspaceAccess(
  portkey: PortkeyClient,
  slug: string,
  workspaceIds: string[],
  limits: AccessLimits,
): Promise<void> {
  await portkey.updateIntegrationWorkspaces(slug, workspaceAccessBody(workspaceIds, limits));
}

/** The body of PUT /integrations/{slug}/workspaces: each workspace enabled, with a default provider and the limits. */
export function workspaceAccessBody(workspaceIds: readonly string[], limits: AccessLimits): WorkspaceAccessBody {
  const usage = usageLimitsBody(limits);
  const rate = rateLimitsBody(limits);
  return {
    workspaces: workspaceIds.map((id) => ({
      id,
      enabled: true,
      create_default_provider: true,
      ...(usage ? { usage_limits: usage } : {}),
      ...(rate ? { rate_limits: rate } : {}),
    })),
  };
}
