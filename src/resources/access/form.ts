import type { FormResult } from '../../features/kind.js';
import { EMPTY_LIMITS_DRAFT, readLimitsDraft, validateLimits, type LimitsDraft } from '../../features/limits/form.js';
import type { AccessLimits } from '../../portkey/limits.js';
import { readState, selectedChoice, type Choice } from '../../slack/state.js';
import { ACCESS_FIELDS } from './ids.js';

// "Enable integration X in workspace Y with budget Z", or change that budget: the form read and checked. Pure.

export interface AccessDraft {
  /** The picker's value is the integration's slug. */
  integration: Choice | undefined;
  /** The picker's value is the workspace's id (or its slug when the id is longer than Slack allows). */
  workspace: Choice | undefined;
  limits: LimitsDraft;
}

export interface AccessRequest {
  slug: string;
  workspace: string;
  limits: AccessLimits;
}

export const EMPTY_ACCESS_DRAFT: AccessDraft = { integration: undefined, workspace: undefined, limits: EMPTY_LIMITS_DRAFT };

export function readAccessForm(values: unknown): AccessDraft {
  const s = readState(values);
  return {
    integration: selectedChoice(s, ACCESS_FIELDS.integration.block, ACCESS_FIELDS.integration.action),
    workspace: selectedChoice(s, ACCESS_FIELDS.workspace.block, ACCESS_FIELDS.workspace.action),
    limits: readLimitsDraft(values),
  };
}

/** Slack's limit on an option's value: a longer one did not come from a picker. */
const OPTION_VALUE_MAX = 75;
const SLUG = /^[a-zA-Z0-9_-]{1,255}$/;

export function validateAccess(d: AccessDraft): FormResult<AccessRequest> {
  const errors: Record<string, string> = {};
  const slug = d.integration?.value ?? '';
  if (!d.integration) errors[ACCESS_FIELDS.integration.block] = 'Choose the integration.';
  else if (!SLUG.test(slug) || slug.length > OPTION_VALUE_MAX)
    errors[ACCESS_FIELDS.integration.block] = 'Choose the integration from the list.';
  const ws = d.workspace?.value ?? '';
  if (!d.workspace) errors[ACCESS_FIELDS.workspace.block] = 'Choose the workspace.';
  else if (!/^[A-Za-z0-9_-]+$/.test(ws) || ws.length > OPTION_VALUE_MAX)
    errors[ACCESS_FIELDS.workspace.block] = 'Choose the workspace from the list.';
  const limits = validateLimits(d.limits, 1);
  if (!limits.ok) Object.assign(errors, limits.errors);
  if (Object.keys(errors).length > 0 || !limits.ok) return { ok: false, errors };
  return { ok: true, value: { slug, workspace: ws, limits: limits.value } };
}
