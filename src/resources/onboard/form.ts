import { z } from 'zod';
import type { FormResult } from '../../features/kind.js';
import { EMPTY_LIMITS_DRAFT, limitsDraftSchema, readLimitsDraft, validateLimits, type LimitsDraft } from '../../features/limits/form.js';
import type { AccessLimits } from '../../portkey/limits.js';
import type {
  MembersPart,
  PeopleDraft,
  PeoplePick,
  ServiceKeyDraft,
  ServiceKeyPart,
  ServiceKeyPick,
  WorkspacePart,
} from '../../features/onboard.js';
import type { CreateWorkspaceBody } from '../../portkey/schemas.js';
import { readState, selectedChoices, textValue } from '../../slack/state.js';
import { budgetFieldsOf, OB_FIELDS, OB_LIMITS } from './ids.js';

/** What the person typed and picked, as typed: kept so "Back to the form" can restore it. */
export interface OnboardDraft {
  name: string;
  slug: string;
  description: string;
  /** Picked organisation integrations: value = slug, label as the client sent it (never shown to approvers). */
  integrations: Array<{ value: string; label: string }>;
  /** The people to add to it, with a role (the members kind's fields). */
  people: PeopleDraft;
  /** The service key to make last (no name: none). */
  key: ServiceKeyDraft;
  /** Before budgets were per integration: the one budget every integration got. Kept so stored requests still read. */
  limits: LimitsDraft;
  /** Each picked integration's own budget and rate limit, as typed (by slug; an array, so no slug is an object key). */
  budgets: Array<{ slug: string; limits: LimitsDraft }>;
}

export const EMPTY_PEOPLE: PeopleDraft = { users: [], group: undefined, role: 'member' };
export const NO_KEY: ServiceKeyDraft = { name: '', preset: 'completions' };
export const EMPTY_ONBOARD_DRAFT: OnboardDraft = {
  name: '',
  slug: '',
  description: '',
  integrations: [],
  people: EMPTY_PEOPLE,
  key: NO_KEY,
  limits: EMPTY_LIMITS_DRAFT,
  budgets: [],
};

export const onboardDraftSchema = z.object({
  name: z.string(),
  slug: z.string(),
  description: z.string(),
  integrations: z.array(z.object({ value: z.string(), label: z.string() })),
  // Stored before onboarding had members: nobody.
  people: z
    .object({ users: z.array(z.string()), group: z.object({ value: z.string(), label: z.string() }).optional(), role: z.string() })
    .default(EMPTY_PEOPLE),
  // Stored before onboarding had a service key: none.
  key: z.object({ name: z.string(), preset: z.string() }).default(NO_KEY),
  // Stored before onboarding had budgets: none.
  limits: limitsDraftSchema.default(EMPTY_LIMITS_DRAFT),
  // Stored before budgets were per integration: each integration takes `limits`.
  budgets: z.array(z.object({ slug: z.string(), limits: limitsDraftSchema })).default([]),
});

/** The budget typed for this integration (a request stored before budgets were per integration: its one budget). */
export function budgetDraftOf(draft: Pick<OnboardDraft, 'limits' | 'budgets'>, slug: string): LimitsDraft {
  return draft.budgets.find((b) => b.slug === slug)?.limits ?? draft.limits;
}

/** The picks without repeats, in the order picked (repeated block ids would make the view invalid). */
export function uniquePicks(draft: Pick<OnboardDraft, 'integrations'>): Array<{ value: string; label: string }> {
  const seen = new Set<string>();
  return draft.integrations.filter((c) => !seen.has(c.value) && Boolean(seen.add(c.value)));
}

export interface OnboardRequest {
  workspace: CreateWorkspaceBody;
  /** Integration slugs, in the order picked, without repeats. */
  integrations: string[];
  /** Who to add, checked by shape; undefined when nobody was picked. */
  people: PeoplePick | undefined;
  /** The service key, checked as the key form checks it; undefined when none was asked for. */
  key: ServiceKeyPick | undefined;
  /** The budget and rate limit each integration gets in the workspace, by slug (none typed: none). */
  limits: ReadonlyMap<string, AccessLimits>;
}

export function readOnboardDraft(values: unknown, parts: { members: MembersPart; serviceKey: ServiceKeyPart }): OnboardDraft {
  const s = readState(values);
  const integrations = selectedChoices(s, OB_FIELDS.integrations.block, OB_FIELDS.integrations.action);
  return {
    name: textValue(s, OB_FIELDS.name.block, OB_FIELDS.name.action),
    slug: textValue(s, OB_FIELDS.slug.block, OB_FIELDS.slug.action),
    description: textValue(s, OB_FIELDS.description.block, OB_FIELDS.description.action),
    integrations,
    people: parts.members.readDraft(values),
    key: parts.serviceKey.readDraft(values),
    limits: EMPTY_LIMITS_DRAFT,
    budgets: uniquePicks({ integrations }).map((c) => ({ slug: c.value, limits: readLimitsDraft(values, budgetFieldsOf(c.value)) })),
  };
}

const SLUG = /^[a-zA-Z0-9_-]{1,255}$/;

/** The draft checked: the workspace as the workspace form checks it, the people as the members form does, the
 *  integrations as slugs Portkey could hold. */
export function validateOnboard(
  draft: OnboardDraft,
  parts: { workspace: WorkspacePart; members: MembersPart; serviceKey: ServiceKeyPart },
): FormResult<OnboardRequest> {
  const { workspace } = parts;
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
  const people = parts.members.validate(draft.people);
  if (!people.ok) Object.assign(errors, people.errors);
  const key = parts.serviceKey.validate(draft.key);
  if (!key.ok) Object.assign(errors, key.errors);
  // Each integration's own budget, as the integration form checks one, errors on that integration's fields.
  const limits = new Map<string, AccessLimits>();
  for (const slug of slugs) {
    const checked = validateLimits(budgetDraftOf(draft, slug), 1, budgetFieldsOf(slug));
    if (checked.ok) limits.set(slug, checked.value);
    else Object.assign(errors, checked.errors);
  }
  if (!ws.ok || !people.ok || !key.ok || Object.keys(errors).length > 0) return { ok: false, errors };
  return { ok: true, value: { workspace: ws.value, integrations: slugs, people: people.value, key: key.value, limits } };
}
