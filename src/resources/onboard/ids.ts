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
