import { z } from 'zod';
import type { FormResult } from '../../features/kind.js';
import type { WorkspacePart } from '../../features/onboard.js';
import type { CreateWorkspaceBody } from '../../portkey/schemas.js';
import { readState, selectedChoices, textValue } from '../../slack/state.js';
import { OB_FIELDS, OB_LIMITS } from './ids.js';

/** What the person typed and picked, as typed: kept so "Back to the form" can restore it. */
export interface OnboardDraft {
  name: string;
  slug: string;
  description: string;
  /** Picked organisation integrations: value = slug, label as the client sent it (never shown to approvers). */
  integrations: Array<{ value: string; label: string }>;
}

export const EMPTY_ONBOARD_DRAFT: OnboardDraft = { name: '', slug: '', description: '', integrations: [] };

export const onboardDraftSchema = z.object({
  name: z.string(),
  slug: z.string(),
  description: z.string(),
  integrations: z.array(z.object({ value: z.string(), label: z.string() })),
});

export interface OnboardRequest {
  workspace: CreateWorkspaceBody;
  /** Integration slugs, in the order picked, without repeats. */
  integrations: string[];
}

export function readOnboardDraft(values: unknown): OnboardDraft {
  const s = readState(values);
  return {
    name: textValue(s, OB_FIELDS.name.block, OB_FIELDS.name.action),
    slug: textValue(s, OB_FIELDS.slug.block, OB_FIELDS.slug.action),
    description: textValue(s, OB_FIELDS.description.block, OB_FIELDS.description.action),
    integrations: selectedChoices(s, OB_FIELDS.integrations.block, OB_FIELDS.integrations.action),
  };
}

const SLUG = /^[a-zA-Z0-9_-]{1,255}$/;

/** The draft checked: the workspace as the workspace form checks it, the integrations as slugs Portkey could hold. */
export function validateOnboard(draft: OnboardDraft, workspace: WorkspacePart): FormResult<OnboardRequest> {
  const errors: Record<string, string> = {};
  const ws = workspace.validate({ name: draft.name, slug: draft.slug, description: draft.description });
  if (!ws.ok) {
    for (const field of ['name', 'slug', 'description'] as const) {
      const message = ws.errors[field];
      if (message) errors[OB_FIELDS[field].block] = message;
    }
  }
  const slugs = [...new Set(draft.integrations.map((c) => c.value))];
  if (slugs.length > OB_LIMITS.integrations) errors[OB_FIELDS.integrations.block] = `Pick at most ${OB_LIMITS.integrations} integrations.`;
  else if (slugs.some((s) => !SLUG.test(s))) errors[OB_FIELDS.integrations.block] = 'Pick the integrations from the list.';
  if (!ws.ok || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { workspace: ws.value, integrations: slugs } };
}
