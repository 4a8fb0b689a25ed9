import slugify from 'slugify';
import { z } from 'zod';
import { buildConfigurations, type FieldErrors } from '../../portkey/configurations.js';
import {
  authModeOf,
  customHostField,
  getProvider,
  isSecretField,
  keyNeed,
  secretTargets,
  type Provider,
  type ProviderField,
} from '../../portkey/providers.js';
import type { CreateIntegrationBody, SecretMapping } from '../../portkey/schemas.js';
import { characterError } from '../../slack/characters.js';
import { readState, selectedChoice, selectedChoices, selectedValue, textValue, type Choice, type StateValues } from '../../slack/state.js';
import type { FormResult } from '../../features/kind.js';
import { EMPTY_LIMITS_DRAFT, readLimitsDraft, validateLimits, type LimitsDraft } from '../../features/limits/form.js';
import type { AccessLimits } from '../../portkey/limits.js';
import {
  AUTH_MODE_ACTION,
  authModeBlock,
  deploymentBlock,
  fieldBlock,
  fieldSecretRefBlock,
  INT_FIELDS,
  INT_LIMITS,
  KEY_ACTION,
  keyBlock,
  parseSecretRefBlock,
  SECRET_REF_ACTION,
  secretRefBlock,
  VALUE_ACTION,
  type Scope,
} from './ids.js';

/** What the person typed, without secrets: enough to rebuild or restore the form. */
export interface IntegrationDraft {
  providerId: string | undefined;
  authMode: string | undefined;
  name: string;
  slug: string;
  description: string;
  customHost: string;
  scope: Scope;
  workspace: Choice | undefined;
  access: Choice[];
  /** The budget and rate limit every "enable in" workspace gets, as typed. */
  limits: LimitsDraft;
  /** Non-secret provider fields, by configurations key. */
  fields: Record<string, string>;
  deployments: Array<Record<string, string>>;
  defaultDeployment: number;
  /** The secret reference standing in for the key. */
  secretRef: Choice | undefined;
  /** Secret references standing in for secret provider fields, by configurations key (aws_secret_access_key, …). */
  fieldRefs: Record<string, Choice>;
}

/** Secret values, kept apart from the draft so they can't reach a view, a log or a stored draft. */
export interface IntegrationSecrets {
  key: string;
  fields: Record<string, string>;
}

export interface IntegrationRequest {
  provider: Provider;
  /** The auth mode in effect (undefined: the provider has none). */
  authMode: string | undefined;
  body: CreateIntegrationBody;
  scope: Scope;
  workspace: Choice | undefined;
  /** Workspaces to enable an organisation-wide integration in, after the create. */
  access: Choice[];
  /** What each of them gets (none when `access` is empty). */
  limits: AccessLimits;
}

export const EMPTY_INTEGRATION_DRAFT: IntegrationDraft = {
  providerId: undefined,
  authMode: undefined,
  name: '',
  slug: '',
  description: '',
  customHost: '',
  scope: 'organisation',
  workspace: undefined,
  access: [],
  limits: EMPTY_LIMITS_DRAFT,
  fields: {},
  deployments: [],
  defaultDeployment: 0,
  secretRef: undefined,
  fieldRefs: {},
};

function fieldValue(s: StateValues, block: string, f: ProviderField): string {
  return (f.kind === 'select' ? selectedValue(s, block, VALUE_ACTION) : textValue(s, block, VALUE_ACTION)) ?? '';
}

/** Reads the modal's state. `rows` is how many deployment rows the view showed. */
export function readIntegrationForm(values: unknown, rows: number): { draft: IntegrationDraft; secrets: IntegrationSecrets } {
  const s = readState(values);
  const providerId = selectedValue(s, INT_FIELDS.provider.block, INT_FIELDS.provider.action);
  const provider = providerId ? getProvider(providerId) : undefined;
  const draft: IntegrationDraft = {
    ...EMPTY_INTEGRATION_DRAFT,
    providerId: provider?.id,
    name: textValue(s, INT_FIELDS.name.block, INT_FIELDS.name.action),
    slug: textValue(s, INT_FIELDS.slug.block, INT_FIELDS.slug.action),
    description: textValue(s, INT_FIELDS.description.block, INT_FIELDS.description.action),
    customHost: textValue(s, INT_FIELDS.customHost.block, INT_FIELDS.customHost.action),
    scope: selectedValue(s, INT_FIELDS.scope.block, INT_FIELDS.scope.action) === 'workspace' ? 'workspace' : 'organisation',
    workspace: selectedChoice(s, INT_FIELDS.workspace.block, INT_FIELDS.workspace.action),
    access: selectedChoices(s, INT_FIELDS.access.block, INT_FIELDS.access.action),
    limits: readLimitsDraft(values),
    fields: {},
    deployments: [],
  };
  const secrets: IntegrationSecrets = { key: '', fields: {} };
  if (!provider) return { draft, secrets };

  const mode = authModeOf(provider, selectedValue(s, authModeBlock(provider.id), AUTH_MODE_ACTION));
  draft.authMode = mode?.id;
  secrets.key = textValue(s, keyBlock(provider.id), KEY_ACTION).trim();
  draft.secretRef = selectedChoice(s, secretRefBlock(provider.id), SECRET_REF_ACTION);
  draft.fieldRefs = fieldRefsIn(s, provider.id);
  const read = (f: ProviderField, modeId: string | undefined) => {
    const v = fieldValue(s, fieldBlock(provider.id, modeId, f.key), f);
    if (isSecretField(f)) secrets.fields[f.key] = v;
    else draft.fields[f.key] = v;
  };
  for (const f of provider.fields) read(f, undefined);
  for (const f of mode?.fields ?? []) read(f, mode?.id);
  if (provider.deployments) {
    for (let i = 0; i < rows; i++) {
      draft.deployments.push(
        Object.fromEntries(provider.deployments.fields.map((f) => [f.key, textValue(s, deploymentBlock(i, f.key), VALUE_ACTION)])),
      );
    }
    const chosen = Number(selectedValue(s, INT_FIELDS.defaultDeployment.block, INT_FIELDS.defaultDeployment.action) ?? 0);
    draft.defaultDeployment = Number.isInteger(chosen) && chosen >= 0 && chosen < rows ? chosen : 0;
  }
  return { draft, secrets };
}

/**
 * Every field secret-reference picker of this provider in the submitted state, by the field its block names — also
 * one for a field that isn't secret, or not of this auth mode (a crafted payload): validation refuses those.
 */
function fieldRefsIn(s: StateValues, providerId: string): Record<string, Choice> {
  const out: Record<string, Choice> = {};
  for (const block of Object.keys(s)) {
    const parsed = parseSecretRefBlock(block);
    if (!parsed || parsed.providerId !== providerId || parsed.fieldKey === undefined) continue;
    const chosen = selectedChoice(s, block, SECRET_REF_ACTION);
    if (chosen) out[parsed.fieldKey] = chosen;
  }
  return out;
}

/** The block of a field's secret-reference picker, or — for a field that has none — where its error shows. */
function fieldRefBlock(provider: Provider, modeId: string | undefined, key: string): string {
  if (provider.fields.some((f) => f.key === key && isSecretField(f))) return fieldSecretRefBlock(provider.id, undefined, key);
  const mode = authModeOf(provider, modeId);
  if (mode?.fields.some((f) => f.key === key && isSecretField(f))) return fieldSecretRefBlock(provider.id, mode.id, key);
  return INT_FIELDS.provider.block;
}

/**
 * The field secret references: one for a field that isn't a secret field of this provider and mode is refused, so is
 * one beside a typed value. The rest, by configurations key, are what `secret_mappings` carries.
 */
function fieldRefErrors(provider: Provider, draft: IntegrationDraft, secrets: IntegrationSecrets): FieldErrors {
  const errors: FieldErrors = {};
  const secretKeys = new Set(secretTargets(provider, draft.authMode).flatMap((t) => (t.field ? [t.field.key] : [])));
  for (const [key, ref] of Object.entries(draft.fieldRefs)) {
    const block = fieldRefBlock(provider, draft.authMode, key);
    if (!secretKeys.has(key)) errors[block] = 'Only a secret field can come from a secret reference: type this value instead.';
    else if ((secrets.fields[key] ?? '').trim() !== '') errors[block] = 'Use either a typed value or a secret reference, not both.';
    else if (ref.value.length > OPTION_VALUE_MAX) errors[block] = 'Choose the secret reference from the list.';
  }
  return errors;
}

/** The secret_mappings of a valid draft: the key's reference first, then each secret field's, in the catalog's order. */
export function secretMappings(provider: Provider, draft: Pick<IntegrationDraft, 'authMode' | 'secretRef' | 'fieldRefs'>): SecretMapping[] {
  const out: SecretMapping[] = [];
  for (const t of secretTargets(provider, draft.authMode)) {
    const ref = t.field ? draft.fieldRefs[t.field.key] : draft.secretRef;
    if (!ref) continue;
    out.push({ target_field: t.target, secret_reference_id: ref.value, ...(t.valueFormat ? { value_format: t.valueFormat } : {}) });
  }
  return out;
}

/** Integration slugs Portkey accepts (spec: ^[a-zA-Z0-9_-]+$, ≤ 255). */
export const INTEGRATION_SLUG = /^[a-zA-Z0-9_-]+$/;

export function slugFromName(name: string): string {
  return slugify(name, { lower: true, strict: true, trim: true }).slice(0, INT_LIMITS.slug);
}

/** Slack's limit on an option's value: a longer one did not come from a picker. */
const OPTION_VALUE_MAX = 75;
/** How many workspaces the access picker lets people choose (its max_selected_items in view.ts). */
const MAX_ACCESS_WORKSPACES = 20;

const commonSchema = z.object({
  name: z
    .string()
    .trim()
    .min(1, { error: 'Give the integration a name.' })
    .max(INT_LIMITS.name, { error: `Keep the name under ${INT_LIMITS.name} characters.` })
    .superRefine((v, ctx) => {
      const error = characterError(v, 'line', 'the name');
      if (error) ctx.addIssue({ code: 'custom', message: error });
    }),
  slug: z
    .string()
    .trim()
    .max(INT_LIMITS.slug, { error: `Keep the slug under ${INT_LIMITS.slug} characters.` })
    .refine((v) => v === '' || INTEGRATION_SLUG.test(v), {
      error: 'Use only letters, digits, hyphens and underscores (e.g. openai-prod), or leave it blank.',
    }),
  description: z
    .string()
    .trim()
    .max(INT_LIMITS.description, { error: `Keep the description under ${INT_LIMITS.description} characters.` })
    .superRefine((v, ctx) => {
      const error = characterError(v, 'multiline', 'the description');
      if (error) ctx.addIssue({ code: 'custom', message: error });
    }),
});

/**
 * What Slack's own limits would have stopped, checked again here (a payload is only as good as its sender):
 * the key's length, picker values and the number of workspaces chosen, and characters that have no place
 * in the typed fields (control, bidirectional-override and invisible ones).
 */
function beyondSlackLimits(provider: Provider, draft: IntegrationDraft, secrets: IntegrationSecrets): FieldErrors {
  const errors: FieldErrors = {};
  if (secrets.key.length > INT_LIMITS.key)
    errors[keyBlock(provider.id)] = `That is longer than any key (${INT_LIMITS.key} characters at most): paste the key alone.`;
  if (draft.secretRef && draft.secretRef.value.length > OPTION_VALUE_MAX)
    errors[secretRefBlock(provider.id)] = 'Choose the secret reference from the list.';
  if (draft.workspace && draft.workspace.value.length > OPTION_VALUE_MAX)
    errors[INT_FIELDS.workspace.block] = 'Choose the workspace from the list.';
  if (draft.access.length > MAX_ACCESS_WORKSPACES || draft.access.some((w) => w.value.length > OPTION_VALUE_MAX)) {
    errors[INT_FIELDS.access.block] = `Choose at most ${MAX_ACCESS_WORKSPACES} workspaces from the list.`;
  }
  const host = characterError(draft.customHost, 'line', 'the custom host');
  if (host) errors[INT_FIELDS.customHost.block] = host;
  const mode = authModeOf(provider, draft.authMode);
  const check = (f: ProviderField, block: string, value: string | undefined) => {
    const error = isSecretField(f)
      ? undefined
      : characterError(value ?? '', f.kind === 'json' || f.kind === 'multiline' ? 'multiline' : 'line', 'this field');
    if (error) errors[block] = error;
  };
  for (const f of provider.fields) check(f, fieldBlock(provider.id, undefined, f.key), draft.fields[f.key]);
  for (const f of mode?.fields ?? []) check(f, fieldBlock(provider.id, mode?.id, f.key), draft.fields[f.key]);
  draft.deployments.forEach((row, i) => {
    for (const f of provider.deployments?.fields ?? []) check(f, deploymentBlock(i, f.key), row[f.key]);
  });
  return errors;
}

/** Checks the form against the catalog and builds Portkey's request body. Errors are keyed by block id. */
export function validateIntegration(draft: IntegrationDraft, secrets: IntegrationSecrets): FormResult<IntegrationRequest> {
  const provider = draft.providerId ? getProvider(draft.providerId) : undefined;
  if (!provider) return { ok: false, errors: { [INT_FIELDS.provider.block]: 'Choose the AI provider.' } };
  const errors: FieldErrors = {};

  const common = commonSchema.safeParse(draft);
  if (!common.success) {
    for (const issue of common.error.issues) {
      const field = String(issue.path[0]) as 'name' | 'slug' | 'description';
      errors[INT_FIELDS[field].block] ??= issue.message;
    }
  }
  const slug = common.success ? common.data.slug || slugFromName(common.data.name) : '';
  if (common.success && slug === '') {
    errors[INT_FIELDS.slug.block] = 'The name has no letters or digits to make a slug from; type one (e.g. my-provider).';
  }

  const need = keyNeed(provider, draft.authMode);
  if (secrets.key && draft.secretRef) {
    errors[secretRefBlock(provider.id)] = 'Use either a pasted key or a secret reference, not both.';
  } else if (need === 'required' && !secrets.key && !draft.secretRef) {
    errors[keyBlock(provider.id)] = `Paste the ${provider.keyLabel ?? 'API key'}, or choose a secret reference below.`;
  }

  // A secret field a reference stands in for is neither required nor sent in `configurations`.
  Object.assign(errors, fieldRefErrors(provider, draft, secrets));
  const mapped = new Set(Object.keys(draft.fieldRefs));
  const config = buildConfigurations({
    providerId: provider.id,
    ...(draft.authMode ? { authMode: draft.authMode } : {}),
    values: { ...draft.fields, ...secrets.fields },
    deployments: draft.deployments,
    defaultDeployment: draft.defaultDeployment,
    customHost: draft.customHost,
    mapped,
  });
  if (!config.ok) {
    for (const [block, message] of Object.entries(configErrorsToBlocks(provider, draft.authMode, draft.deployments, config.errors))) {
      // A required secret field left blank can come from a reference instead: say so.
      const secret = secretTargets(provider, draft.authMode).find(
        (t) =>
          t.field &&
          !mapped.has(t.field.key) &&
          block === fieldBlock(provider.id, fieldMode(provider, draft.authMode, t.field.key), t.field.key),
      );
      const blank = secret?.field && (secrets.fields[secret.field.key] ?? '').trim() === '';
      errors[block] ??= blank ? `${message} Or choose a secret reference for it below.` : message;
    }
  }

  if (draft.scope === 'workspace' && !draft.workspace)
    errors[INT_FIELDS.workspace.block] = 'Choose the workspace, or make it organisation-wide.';
  Object.assign(errors, beyondSlackLimits(provider, draft, secrets));
  // The budget blocks show with "enable in" only (an organisation-wide integration).
  const limits = draft.scope === 'organisation' ? validateLimits(draft.limits, draft.access.length) : { ok: true as const, value: {} };
  if (!limits.ok) Object.assign(errors, limits.errors);

  if (Object.keys(errors).length > 0 || !common.success || !config.ok || !limits.ok) return { ok: false, errors };

  const useKey = need !== 'none' && secrets.key !== '';
  const mappings = secretMappings(provider, draft);
  const body: CreateIntegrationBody = {
    name: common.data.name,
    slug,
    ai_provider_id: provider.id,
    ...(useKey ? { key: secrets.key } : {}),
    ...(common.data.description ? { description: common.data.description } : {}),
    ...(draft.scope === 'workspace' && draft.workspace ? { workspace_id: draft.workspace.value } : {}),
    ...(config.configurations ? { configurations: config.configurations } : {}),
    ...(mappings.length > 0 ? { secret_mappings: mappings } : {}),
  };
  return {
    ok: true,
    value: {
      provider,
      authMode: authModeOf(provider, draft.authMode)?.id,
      body,
      scope: draft.scope,
      workspace: draft.scope === 'workspace' ? draft.workspace : undefined,
      access: draft.scope === 'organisation' ? draft.access : [],
      limits: limits.value,
    },
  };
}

/** The auth mode a field's block is namespaced by: undefined for a field every mode shares. */
function fieldMode(provider: Provider, modeId: string | undefined, key: string): string | undefined {
  return provider.fields.some((f) => f.key === key) ? undefined : authModeOf(provider, modeId)?.id;
}

/** The catalog reports errors by configurations key; Slack wants them by block id. */
function configErrorsToBlocks(
  provider: Provider,
  modeId: string | undefined,
  deployments: Array<Record<string, string>>,
  errors: FieldErrors,
): FieldErrors {
  const rows = deployments.length;
  const filledRows = deployments.filter((row) => Object.values(row).some((v) => v.trim() !== '')).length;
  const out: FieldErrors = {};
  const mode = authModeOf(provider, modeId);
  for (const [key, message] of Object.entries(errors)) {
    const dep = /^deployments\.(\d+)\.(.+)$/.exec(key);
    let block: string;
    if (dep) block = deploymentBlock(Number(dep[1]), dep[2] ?? '');
    else if (key === 'deployments') {
      // None filled in → on the first row; otherwise it is about which row is default → on that picker.
      block =
        filledRows > 0 && rows > 1 ? INT_FIELDS.defaultDeployment.block : deploymentBlock(0, provider.deployments?.fields[0]?.key ?? '');
    } else if (key === customHostField(provider).key) block = INT_FIELDS.customHost.block;
    else if (key === provider.authField) block = authModeBlock(provider.id);
    else if (provider.fields.some((f) => f.key === key)) block = fieldBlock(provider.id, undefined, key);
    else if (mode?.fields.some((f) => f.key === key)) block = fieldBlock(provider.id, mode.id, key);
    else block = INT_FIELDS.provider.block;
    out[block] ??= message;
  }
  return out;
}
