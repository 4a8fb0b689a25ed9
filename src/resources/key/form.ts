import { z } from 'zod';
import type { FormResult } from '../../features/kind.js';
import type { CreateApiKeyBody, UsageLimitsBody } from '../../portkey/schemas.js';
import { characterError, type TextKind } from '../../slack/characters.js';
import { readState, selectedChoice, selectedValue, selectedValues, textValue, type Choice } from '../../slack/state.js';
import { KEY_FIELDS, KEY_LIMITS } from './ids.js';
import { ALL_SCOPES, isPreset, PRESETS, type PresetId } from './scopes.js';

/** What the person typed and chose, as typed: kept so "Back to the form" can restore it. It holds no secret. */
export interface KeyDraft {
  name: string;
  description: string;
  /** The workspace option as the client sent it: the value is looked up in Portkey, the label only re-shown. */
  workspace?: Choice | undefined;
  preset: string;
  scopes: string[];
  limitType: string;
  creditLimit: string;
  alertThreshold: string;
  periodicReset: string;
  rateValue: string;
  rateUnit: string;
  /** YYYY-MM-DD from the date picker, or ''. */
  expiresOn: string;
  rotation: string;
}

export const EMPTY_KEY_DRAFT: KeyDraft = {
  name: '',
  description: '',
  workspace: undefined,
  preset: 'completions',
  scopes: [],
  limitType: '',
  creditLimit: '',
  alertThreshold: '',
  periodicReset: '',
  rateValue: '',
  rateUnit: 'rpm',
  expiresOn: '',
  rotation: '',
};

/** A checked request: what the body and the policy are built from. */
export interface KeyRequest {
  name: string;
  description?: string;
  /** The workspace id or slug the person picked (looked up in Portkey before the policy sees it). */
  workspace: string;
  preset: PresetId;
  scopes: string[];
  usageLimits?: UsageLimitsBody;
  rateLimit?: { unit: 'rpm' | 'rph' | 'rpd'; value: number };
  expiresAt?: string;
  rotation?: 'weekly' | 'monthly';
}

export function readKeyDraft(values: unknown): KeyDraft {
  const s = readState(values);
  const f = KEY_FIELDS;
  const date = s[f.expiresOn.block]?.[f.expiresOn.action] as { selected_date?: unknown } | undefined;
  return {
    name: textValue(s, f.name.block, f.name.action),
    description: textValue(s, f.description.block, f.description.action),
    workspace: selectedChoice(s, f.workspace.block, f.workspace.action),
    preset: selectedValue(s, f.preset.block, f.preset.action) ?? 'completions',
    scopes: selectedValues(s, f.scopes.block, f.scopes.action),
    limitType: selectedValue(s, f.limitType.block, f.limitType.action) ?? '',
    creditLimit: textValue(s, f.creditLimit.block, f.creditLimit.action),
    alertThreshold: textValue(s, f.alertThreshold.block, f.alertThreshold.action),
    periodicReset: selectedValue(s, f.periodicReset.block, f.periodicReset.action) ?? '',
    rateValue: textValue(s, f.rateValue.block, f.rateValue.action),
    rateUnit: selectedValue(s, f.rateUnit.block, f.rateUnit.action) ?? 'rpm',
    expiresOn: typeof date?.selected_date === 'string' ? date.selected_date : '',
    rotation: selectedValue(s, f.rotation.block, f.rotation.action) ?? '',
  };
}

const cleanText = (kind: TextKind, what: string) => (s: z.ZodString) =>
  s.superRefine((v, ctx) => {
    const error = characterError(v, kind, what);
    if (error) ctx.addIssue({ code: 'custom', message: error });
  });

/** A whole number typed in a box: '' is absent; anything else must be 1…max. */
function wholeNumber(raw: string, max: number): number | undefined | 'bad' {
  const t = raw.trim();
  if (t === '') return undefined;
  if (!/^\d{1,12}$/.test(t)) return 'bad';
  const n = Number(t);
  return n >= 1 && n <= max ? n : 'bad';
}

const MAX_AMOUNT = 1_000_000_000;
/** Portkey's spec gives no bound; a key that expires more than this far ahead is most likely a typo. */
const MAX_EXPIRY_DAYS = 5 * 366;
const DAY_MS = 86_400_000;

/** Checks a draft. Errors are keyed by block id, worded for the person. `now` for tests. */
export function validateKeyDraft(d: KeyDraft, now = Date.now()): FormResult<KeyRequest> {
  const f = KEY_FIELDS;
  const errors: Record<string, string> = {};
  const name = cleanText('line', 'the name')(z.string().trim().min(1).max(KEY_LIMITS.name)).safeParse(d.name);
  if (!name.success) {
    const issue = name.error.issues[0];
    errors[f.name.block] =
      issue?.code === 'custom'
        ? issue.message
        : d.name.trim() === ''
          ? 'Give the key a name.'
          : `Keep the name under ${KEY_LIMITS.name} characters.`;
  }
  const description = cleanText('multiline', 'the description')(z.string().trim().max(KEY_LIMITS.description)).safeParse(d.description);
  if (!description.success) {
    const issue = description.error.issues[0];
    errors[f.description.block] =
      issue?.code === 'custom' ? issue.message : `Keep the description under ${KEY_LIMITS.description} characters.`;
  }
  const workspace = d.workspace?.value.trim() ?? '';
  if (!/^[A-Za-z0-9_-]{1,100}$/.test(workspace)) errors[f.workspace.block] = 'Choose the workspace the key is for.';

  let scopes: string[] = [];
  const preset = isPreset(d.preset) ? d.preset : undefined;
  if (!preset) errors[f.preset.block] = 'Choose what the key may do.';
  else if (preset === 'custom') {
    const unknown = d.scopes.filter((s) => !ALL_SCOPES.includes(s));
    if (d.scopes.length === 0) errors[f.scopes.block] = 'Choose at least one scope, or pick a preset above.';
    else if (unknown.length > 0) errors[f.scopes.block] = 'Choose the scopes from the list.';
    scopes = [...new Set(d.scopes)];
  } else {
    scopes = [...PRESETS[preset].scopes];
    if (d.scopes.length > 0)
      errors[f.scopes.block] = 'These scopes apply only with "Choose scopes from the full list". Clear them, or pick it above.';
  }

  let usageLimits: UsageLimitsBody | undefined;
  const credit = wholeNumber(d.creditLimit, MAX_AMOUNT);
  const alert = wholeNumber(d.alertThreshold, MAX_AMOUNT);
  if (credit === 'bad') errors[f.creditLimit.block] = `A whole number from 1 to ${MAX_AMOUNT}.`;
  if (alert === 'bad') errors[f.alertThreshold.block] = `A whole number from 1 to ${MAX_AMOUNT}.`;
  const type = d.limitType === 'cost' || d.limitType === 'tokens' ? d.limitType : undefined;
  const reset = d.periodicReset === 'monthly' || d.periodicReset === 'weekly' ? d.periodicReset : undefined;
  if (typeof credit === 'number') {
    if (!type) errors[f.limitType.block] = 'Say what the limit counts: cost or tokens.';
    if (typeof alert === 'number' && alert >= credit)
      errors[f.alertThreshold.block] = 'The alert must come before the limit: less than it.';
    if (type)
      usageLimits = {
        type,
        credit_limit: credit,
        ...(typeof alert === 'number' ? { alert_threshold: alert } : {}),
        ...(reset ? { periodic_reset: reset } : {}),
      };
  } else if (credit === undefined && (type || typeof alert === 'number' || reset)) {
    errors[f.creditLimit.block] = 'Give the limit itself, or clear the other usage limit fields.';
  }

  let rateLimit: KeyRequest['rateLimit'];
  const rate = wholeNumber(d.rateValue, MAX_AMOUNT);
  if (rate === 'bad') errors[f.rateValue.block] = `A whole number of requests from 1 to ${MAX_AMOUNT}.`;
  const unit = d.rateUnit === 'rpm' || d.rateUnit === 'rph' || d.rateUnit === 'rpd' ? d.rateUnit : undefined;
  if (typeof rate === 'number') {
    if (!unit) errors[f.rateUnit.block] = 'Per minute, hour or day.';
    else rateLimit = { unit, value: rate };
  }

  let expiresAt: string | undefined;
  if (d.expiresOn) {
    const t = /^\d{4}-\d{2}-\d{2}$/.test(d.expiresOn) ? Date.parse(`${d.expiresOn}T23:59:59Z`) : Number.NaN;
    if (!Number.isFinite(t)) errors[f.expiresOn.block] = 'Pick a date.';
    else if (t <= now) errors[f.expiresOn.block] = 'Pick a date in the future.';
    else if (t > now + MAX_EXPIRY_DAYS * DAY_MS) errors[f.expiresOn.block] = 'Pick a date within five years.';
    else expiresAt = new Date(t).toISOString().replace('.000Z', 'Z');
  }
  const rotation = d.rotation === 'weekly' || d.rotation === 'monthly' ? d.rotation : undefined;
  if (d.rotation && !rotation) errors[f.rotation.block] = 'Weekly, monthly, or none.';

  if (Object.keys(errors).length > 0 || !preset || !name.success || !description.success) return { ok: false, errors };
  return {
    ok: true,
    value: {
      name: name.data,
      ...(description.data ? { description: description.data } : {}),
      workspace,
      preset,
      scopes,
      ...(usageLimits ? { usageLimits } : {}),
      ...(rateLimit ? { rateLimit } : {}),
      ...(expiresAt ? { expiresAt } : {}),
      ...(rotation ? { rotation } : {}),
    },
  };
}

/** How long the previous value keeps working after a rotation: an hour, the spec's own example (its minimum is 30 min). */
export const TRANSITION_MS = 3_600_000;

/** The body of POST /api-keys/workspace/service (the spec's CreateApiKeyObject), for the workspace as Portkey holds it. */
export function keyCreateBody(r: KeyRequest, workspaceId: string): CreateApiKeyBody {
  return {
    name: r.name,
    ...(r.description ? { description: r.description } : {}),
    workspace_id: workspaceId,
    scopes: [...r.scopes],
    ...(r.usageLimits ? { usage_limits: { ...r.usageLimits } } : {}),
    ...(r.rateLimit ? { rate_limits: [{ type: 'requests' as const, unit: r.rateLimit.unit, value: r.rateLimit.value }] } : {}),
    ...(r.expiresAt ? { expires_at: r.expiresAt } : {}),
    ...(r.rotation ? { rotation_policy: { rotation_period: r.rotation, key_transition_period_ms: TRANSITION_MS } } : {}),
  };
}
