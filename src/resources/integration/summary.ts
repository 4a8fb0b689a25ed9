import { resolvedRefsSchema, type PortkeyRef, type ResolvedRefs } from '../../operations/refs.js';
import type { Summary, SummaryRow } from '../../operations/summary.js';
import { authModeOf, fieldsFor, getProvider, isSecretField, keyNeed, secretTargets, type ProviderField } from '../../portkey/providers.js';
import { slugFromName, type IntegrationDraft } from './form.js';
import { limitRows } from '../../features/limits/form.js';

// What an integration request asks for, for approvers, /portkey pending and the audit channel. Pure.
// Workspaces and secret references are named as Portkey knows them (`resolved`, looked up by id at submission),
// with the id beside the name — never by the option label the client sent, which anyone can craft.

/** Provider fields that decide where the key is sent or whose account it acts in, beside `url` fields. */
const WHERE_FIELDS: ReadonlySet<string> = new Set([
  'azure_resource_name',
  'aws_region',
  'aws_role_arn',
  'vertex_project_id',
  'vertex_region',
  'workers_ai_account_id',
  'snowflake_account',
  'anthropic_aws_workspace_id',
  'byteplus_region',
]);

function decidesWhere(f: ProviderField): boolean {
  return f.kind === 'url' || WHERE_FIELDS.has(f.key);
}

/** The stored `resolved`, or undefined for an operation stored before lookups existed (or an unreadable one). */
export function resolvedOf(request: unknown): ResolvedRefs | undefined {
  const raw = request && typeof request === 'object' && 'resolved' in request ? (request as { resolved: unknown }).resolved : undefined;
  if (raw === undefined) return undefined;
  const parsed = resolvedRefsSchema.safeParse(raw);
  return parsed.success ? parsed.data : undefined;
}

/** "Production (id ws-1)"; without a lookup, the id alone and said so — never the client's label. */
export function refText(id: string, found: PortkeyRef | undefined): string {
  // A picker's value is the slug when Portkey's id is too long for Slack: either names the same workspace.
  const same = found && (found.id === id || found.slug === id);
  return same ? `${found.name} (id ${found.id})` : `id ${id} (name not looked up)`;
}

/**
 * A URL as typed and, when its host has characters outside ASCII, as it will be reached: "api.оpenai.com" (a
 * Cyrillic о) reads as OpenAI's host but is api.xn--penai-iye.com, someone else's.
 */
function urlText(typed: string): string {
  if (/^\p{ASCII}*$/u.test(typed)) return typed;
  let reached: string;
  try {
    reached = new URL(typed.trim()).href.replace(/\/$/, '');
  } catch {
    return typed;
  }
  return `${typed} (reached as ${reached}: the name has characters outside ASCII)`;
}

export function integrationSummary(d: IntegrationDraft | undefined, resolved: ResolvedRefs | undefined): Summary {
  const provider = d?.providerId ? getProvider(d.providerId) : undefined;
  if (!d || !provider) return { title: 'an integration', rows: [] };
  const mode = authModeOf(provider, d.authMode);
  const critical: SummaryRow[] = [
    { label: 'Provider', value: `${provider.label} (${provider.id})` },
    { label: 'Custom host', value: d.customHost ? urlText(d.customHost) : "none (the provider's own endpoint)" },
  ];
  const free: SummaryRow[] = [
    { label: 'Name', value: d.name },
    { label: 'Slug', value: d.slug || slugFromName(d.name) },
  ];
  for (const f of fieldsFor(provider, mode?.id)) {
    const v = d.fields[f.key];
    if (v && !isSecretField(f)) (decidesWhere(f) ? critical : free).push({ label: f.label, value: f.kind === 'url' ? urlText(v) : v });
  }
  if (mode) critical.push({ label: 'Authentication', value: mode.label });
  if (d.secretRef) critical.push({ label: 'Key', value: `from secret reference ${refText(d.secretRef.value, resolved?.secretRef)}` });
  else if (keyNeed(provider, d.authMode) !== 'none') critical.push({ label: 'Key', value: 'provided (never shown)' });
  else critical.push({ label: 'Key', value: 'none (this authentication needs no key)' });
  // Each secret field: which reference (as Portkey names it) stands in for it, or that it was typed.
  for (const t of secretTargets(provider, mode?.id)) {
    if (!t.field) continue;
    const ref = d.fieldRefs[t.field.key];
    critical.push({
      label: t.label,
      value: ref ? `from secret reference ${refText(ref.value, resolved?.fieldRefs?.[t.field.key])}` : 'typed (never shown)',
    });
  }
  if (d.scope === 'workspace') {
    critical.push({
      label: 'Scope',
      value: `workspace ${d.workspace ? refText(d.workspace.value, resolved?.workspace) : '(none chosen)'}`,
    });
  } else {
    critical.push({ label: 'Scope', value: 'whole organisation' });
    const enabled = d.access.map((w) =>
      refText(
        w.value,
        resolved?.access.find((r) => r.id === w.value || r.slug === w.value),
      ),
    );
    critical.push({ label: 'Enable in', value: enabled.length > 0 ? enabled.join(', ') : 'no workspace' });
    if (enabled.length > 0) critical.push(...limitRows(d.limits, d.access.length, 'each workspace'));
  }
  d.deployments.forEach((row, i) => {
    const name = row.azure_deployment_name;
    if (name) free.push({ label: d.deployments.length === 1 ? 'Deployment' : `Deployment ${i + 1}`, value: name });
  });
  if (d.description) free.push({ label: 'Description', value: d.description });
  return { title: `${provider.label} integration ${d.name}`, rows: [...critical.map((r) => ({ ...r, critical: true })), ...free] };
}
