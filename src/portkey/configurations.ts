// Catalog-driven validation and the `configurations` body for POST /integrations, plus masked
// summaries for Slack. Pure: no I/O. The provider `key` is handled elsewhere (keyNeed() says if it is needed).
import { z } from 'zod';
import type { Provider, ProviderField } from './providers.js';
import { DEPLOYMENTS_KEY, authModeOf, customHostField, fieldsFor, getProvider, isSecretField } from './providers.js';

export interface ProviderInput {
  // raw strings as typed in the modal, keyed by configurations key
  providerId: string;
  authMode?: string;
  values: Record<string, string | undefined>; // fields of the provider & mode (blank = undefined or '')
  deployments?: Array<Record<string, string | undefined>>; // azure-openai rows, in order
  defaultDeployment?: number; // index of the default deployment (default 0)
  customHost?: string;
  /** Secret fields a secret reference stands in for (secret_mappings): neither required nor sent in `configurations`. */
  mapped?: ReadonlySet<string>;
}
/** key → message. Keys: a field key, `deployments` / `deployments.<i>.<fieldKey>`, `custom_host`, or `provider`. */
export type FieldErrors = Record<string, string>;
export type ConfigResult = { ok: true; configurations: Record<string, unknown> | undefined } | { ok: false; errors: FieldErrors };

export const SECRET_MASK = '••••';
const DEFAULT_MAX = 1000;

// ---------------------------------------------------------------------------------------------
// Messages

// Words kept capitalised when a label is used mid-sentence.
const PROPER = /^(Azure|AWS|IAM|Entra|Google|GCP|Vertex|OpenAI|Snowflake|Cloudflare|Hugging|BytePlus|Anthropic|SageMaker|API)\b/;
const inSentence = (label: string): string =>
  PROPER.test(label) || /^[A-Z]{2}/.test(label) ? label : label.charAt(0).toLowerCase() + label.slice(1);
const eg = (f: ProviderField): string => (f.placeholder && !f.placeholder.includes('…') ? `, e.g. ${f.placeholder}` : '');

function requiredMessage(f: ProviderField): string {
  const what = inSentence(f.label.replace(/\s*\([^)]*\)$/, '')); // drop a trailing '(…)'
  if (f.kind === 'select') return `Choose the ${what}.`;
  if (f.kind === 'json') return `Paste the ${what} (the whole JSON file).`;
  if (f.kind === 'url') return `Enter the ${what}: a public https:// URL${eg(f)}.`;
  return `Enter the ${what}${eg(f)}.`;
}

const httpsMessage = (example = 'https://llm.example.com/v1'): string =>
  `Enter a public https:// URL with a hostname, e.g. ${example}. Portkey rejects http://, local or private addresses, and #fragments.`;

// ---------------------------------------------------------------------------------------------
// URL check: Portkey SSRF-validates hosts, so catch the obvious rejections here.

function isPrivateHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  if (h === 'localhost' || /\.(localhost|local|internal|lan|home\.arpa)$/.test(h)) return true;
  if (h.includes(':')) return true; // IPv6 literal: almost always local/link-local; use a DNS name
  const m = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(h);
  if (!m) return false;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return (
    a === 0 ||
    a === 10 ||
    a === 127 ||
    (a === 169 && b === 254) ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 100 && b >= 64 && b <= 127) ||
    a >= 224
  );
}

export function isPublicHttpsUrl(value: string): boolean {
  let u: URL;
  try {
    u = new URL(value);
  } catch {
    return false;
  }
  return (
    u.protocol === 'https:' &&
    u.hostname.includes('.') &&
    !u.hostname.endsWith('.') &&
    !isPrivateHost(u.hostname) &&
    u.hash === '' &&
    !value.includes('#') &&
    u.username === '' &&
    u.password === ''
  );
}

// ---------------------------------------------------------------------------------------------
// Schemas derived from the catalog

/** Trim strings; blank → undefined (so blank optional fields are omitted, blank required ones fail). */
function blankToUndefined(v: unknown): unknown {
  if (typeof v !== 'string') return v;
  const t = v.trim();
  return t === '' ? undefined : t;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fieldSchema(f: ProviderField): z.ZodType {
  const missing = requiredMessage(f);
  const max = f.maxLength ?? DEFAULT_MAX;
  let s = z
    .string({ error: (iss) => (iss.input === undefined ? missing : 'Enter text here.') })
    .max(max, `Keep the ${inSentence(f.label)} to ${max} characters or fewer${eg(f)}.`);
  if (f.pattern) s = s.regex(f.pattern, f.patternMessage ?? `That does not look like a valid ${inSentence(f.label)}${eg(f)}.`);

  let out: z.ZodType;
  switch (f.kind) {
    case 'select': {
      const allowed = new Set((f.choices ?? []).map((c) => c.value));
      out = s.refine((v) => allowed.has(v), `Choose the ${inSentence(f.label)} from the list${f.initial ? ` (e.g. ${f.initial})` : ''}.`);
      break;
    }
    case 'url':
      // The gateway appends paths: no trailing slash, so no '//'.
      out = s.refine(isPublicHttpsUrl, httpsMessage(f.placeholder)).transform((v) => v.replace(/\/+$/, ''));
      break;
    case 'json':
      // Never put the pasted text (a secret) or JSON.parse's message (which quotes it) in an error.
      out = s.transform((textValue, ctx) => {
        let parsed: unknown;
        try {
          parsed = JSON.parse(textValue);
        } catch {
          ctx.addIssue('That is not valid JSON. Paste the whole file, from the opening { to the closing }.');
          return z.NEVER;
        }
        if (!isPlainObject(parsed)) {
          ctx.addIssue('Paste a JSON object ({ … }), not a list or a single value.');
          return z.NEVER;
        }
        for (const [k, want] of Object.entries(f.jsonRequires ?? {})) {
          const got = parsed[k];
          const name = f.jsonName ?? 'the expected JSON';
          if (want === true && (typeof got !== 'string' || got.trim() === '')) {
            ctx.addIssue(`This is not ${name}: "${k}" is missing.`);
            return z.NEVER;
          }
          if (want !== true && got !== want) {
            ctx.addIssue(`This is not ${name}: "${k}" should be "${want}".`);
            return z.NEVER;
          }
        }
        return parsed;
      });
      break;
    default:
      out = s;
  }
  return z.preprocess(blankToUndefined, f.required ? out : out.optional());
}

function shapeOf(fields: readonly ProviderField[]): Record<string, z.ZodType> {
  return Object.fromEntries(fields.map((f) => [f.key, fieldSchema(f)]));
}

const withoutUndefined = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

/**
 * The zod schema for one provider + auth mode, derived from the catalog.
 * Input: raw strings keyed by configurations key, `custom_host`, and for Azure OpenAI
 * `azure_deployment_config: [{ …row strings, is_default: boolean }]`. Unknown keys (e.g. another
 * mode's fields) are dropped. Output: the `configurations` object, or undefined when nothing is set.
 */
export function providerSchema(
  provider: Provider,
  modeId?: string,
  mapped: ReadonlySet<string> = new Set(),
): z.ZodType<Record<string, unknown> | undefined> {
  const mode = authModeOf(provider, modeId);
  const own = fieldsFor(provider, mode?.id).filter((f) => !(isSecretField(f) && mapped.has(f.key)));
  const shape = shapeOf([...own, customHostField(provider)]);
  const spec = provider.deployments;
  if (spec) {
    const row = z.object({ ...shapeOf(spec.fields), is_default: z.boolean() });
    shape[DEPLOYMENTS_KEY] = z
      .array(row, { error: `Add at least ${spec.min === 1 ? 'one deployment' : `${spec.min} deployments`}.` })
      .min(spec.min, `Add at least ${spec.min === 1 ? 'one deployment' : `${spec.min} deployments`}.`)
      .max(spec.max, `At most ${spec.max} deployments — remove ${spec.max === 1 ? 'the extra one' : 'the extra ones'}.`)
      .refine((rows) => rows.filter((r) => r.is_default).length === 1, 'Choose which filled-in deployment is the default.')
      .transform((rows) => rows.map(withoutUndefined));
  }
  return z.object(shape).transform((values) => {
    const body = withoutUndefined(values);
    // The auth field is always sent (the spec requires it), first for readability.
    const out = provider.authField && mode ? { [provider.authField]: mode.id, ...body } : body;
    return Object.keys(out).length > 0 ? out : undefined;
  });
}

// ---------------------------------------------------------------------------------------------
// Body

const isBlankRow = (row: Record<string, string | undefined>): boolean =>
  Object.values(row).every((v) => v === undefined || v.trim() === '');

/** Validate modal input against the catalog and build `configurations` (undefined = omit it from the body). */
export function buildConfigurations(input: ProviderInput): ConfigResult {
  const provider = getProvider(input.providerId);
  if (!provider) return { ok: false, errors: { provider: 'Choose a provider from the list.' } };
  if (input.authMode !== undefined && provider.authModes && !provider.authModes.some((m) => m.id === input.authMode)) {
    return { ok: false, errors: { [provider.authField ?? 'auth_mode']: 'Choose how Portkey should sign in to the provider.' } };
  }
  const mode = authModeOf(provider, input.authMode);
  const raw: Record<string, unknown> = {};
  for (const f of fieldsFor(provider, mode?.id)) raw[f.key] = input.values[f.key];
  raw.custom_host = input.customHost;

  // Fully blank rows (unused slots in the modal) are skipped; error indexes stay those of the input rows.
  const rowIndex: number[] = [];
  if (provider.deployments) {
    const defaultIdx = input.defaultDeployment ?? 0;
    const rows = (input.deployments ?? []).map((row, i) => ({ row, i })).filter(({ row }) => !isBlankRow(row));
    rowIndex.push(...rows.map(({ i }) => i));
    raw[DEPLOYMENTS_KEY] = rows.map(({ row, i }) => ({
      ...Object.fromEntries(provider.deployments?.fields.map((f) => [f.key, row[f.key]]) ?? []),
      is_default: i === defaultIdx,
    }));
  }

  const parsed = providerSchema(provider, mode?.id, input.mapped).safeParse(raw);
  if (parsed.success) return { ok: true, configurations: parsed.data };

  const errors: FieldErrors = {};
  for (const issue of parsed.error.issues) {
    const [head, idx, sub] = issue.path;
    let key: string;
    if (head === DEPLOYMENTS_KEY) {
      key = typeof idx === 'number' && typeof sub === 'string' ? `deployments.${rowIndex[idx] ?? idx}.${sub}` : 'deployments';
    } else {
      key = typeof head === 'string' ? head : 'provider';
    }
    errors[key] ??= issue.message;
  }
  return { ok: false, errors };
}

// ---------------------------------------------------------------------------------------------
// Masking and summaries

function display(v: unknown): string {
  if (typeof v === 'string') return v.length > 200 ? `${v.slice(0, 199)}…` : v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return '(set)';
}

/**
 * Label/value rows for Slack messages (plain text: escape before putting into mrkdwn).
 * Only catalog fields of the stored auth mode are shown; secret fields show exactly '••••'.
 */
export function summarize(
  provider: Provider,
  configurations: Record<string, unknown> | undefined,
): Array<{ label: string; value: string }> {
  const rows: Array<{ label: string; value: string }> = [];
  if (!configurations) return rows;
  const stored = provider.authField ? configurations[provider.authField] : undefined;
  const mode = authModeOf(provider, typeof stored === 'string' ? stored : undefined);
  if (mode) rows.push({ label: 'Authentication', value: mode.label });

  for (const f of fieldsFor(provider, mode?.id)) {
    const v = configurations[f.key];
    if (v === undefined || v === null || v === '') continue;
    rows.push({ label: f.label, value: isSecretField(f) ? SECRET_MASK : display(v) });
  }

  const deployments = configurations[DEPLOYMENTS_KEY];
  if (provider.deployments && Array.isArray(deployments)) {
    deployments.forEach((d: unknown, i) => {
      if (!isPlainObject(d)) return;
      const name = display(d.azure_deployment_name);
      const model =
        d.azure_model_slug !== undefined && d.azure_model_slug !== d.azure_deployment_name ? ` → ${display(d.azure_model_slug)}` : '';
      const alias = typeof d.alias === 'string' && d.alias !== '' ? ` as ${display(d.alias)}` : '';
      rows.push({
        label: deployments.length === 1 ? 'Deployment' : `Deployment ${i + 1}`,
        value: `${name}${model} (${display(d.azure_api_version)})${alias}${d.is_default === true ? ' ← default' : ''}`,
      });
    });
  }

  const host = configurations.custom_host;
  if (typeof host === 'string' && host !== '') rows.push({ label: 'Custom host', value: display(host) });
  return rows;
}
