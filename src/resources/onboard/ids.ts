import { createHash } from 'node:crypto';
import { limitFieldsWith, type LimitFieldIds } from '../../features/limits/form.js';

// Block and action ids of the onboarding modal and messages, shared by the view builders and the listeners.
export const ONBOARD_CALLBACK = 'onboard_submit';
export const ONBOARD_RESULT_CALLBACK = 'onboard_result';

export const OB_FIELDS = {
  name: { block: 'ob_name', action: 'name' },
  slug: { block: 'ob_slug', action: 'slug' },
  description: { block: 'ob_description', action: 'description' },
  integrations: { block: 'ob_integrations', action: 'ob_integrations_pick' },
} as const;

export const OB_ACTIONS = {
  back: 'onboard_back',
  open: 'onboard_open',
  /** "Retry the remaining steps", on the summary and the requester's modal. */
  retry: 'onboard_retry',
} as const;

export const OB_BLOCKS = { retry: 'ob_retry' } as const;

export const OB_LIMITS = { name: 255, slug: 255, description: 1000, integrations: 10 } as const;

/**
 * Each picked integration's budget fields: block ids made from its slug, so Slack keeps what was typed in them when
 * the form is rebuilt after another pick is added or removed (it keeps values by block and action id). A slug too
 * long for Slack's 255-character block ids is named by a hash of it instead.
 */
export function budgetFieldsOf(slug: string): LimitFieldIds {
  // '#' is never in a slug, so a hashed name can't be some other slug's.
  const key = slug.length <= 200 ? slug : `#${createHash('sha256').update(slug).digest('hex').slice(0, 40)}`;
  return limitFieldsWith(`ob_${key}:`);
}
