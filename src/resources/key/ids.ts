// Block and action ids of the API key modal and messages, shared by the view builders and the listeners.
export const KEY_CALLBACK = 'key_create';
export const KEY_RESULT_CALLBACK = 'key_result';
/** The modal a "Rotate" click opens, where the new value is shown once. */
export const KEY_ROTATED_CALLBACK = 'key_rotated';

export const KEY_FIELDS = {
  name: { block: 'key_name', action: 'name' },
  description: { block: 'key_description', action: 'description' },
  workspace: { block: 'key_workspace', action: 'key_workspace_search' },
  preset: { block: 'key_preset', action: 'preset' },
  scopes: { block: 'key_scopes', action: 'scopes' },
  limitType: { block: 'key_limit_type', action: 'limit_type' },
  creditLimit: { block: 'key_credit_limit', action: 'credit_limit' },
  alertThreshold: { block: 'key_alert', action: 'alert_threshold' },
  periodicReset: { block: 'key_reset', action: 'periodic_reset' },
  rateValue: { block: 'key_rate', action: 'rate_value' },
  rateUnit: { block: 'key_rate_unit', action: 'rate_unit' },
  expiresOn: { block: 'key_expiry', action: 'expires_on' },
  rotation: { block: 'key_rotation', action: 'rotation' },
} as const;

export const KEY_ACTIONS = {
  /** "Back to the form" on the error view. */
  back: 'key_back',
  /** "Create an API key" (help message). */
  open: 'key_open',
  /** "Rotate key": a governed rotate whose new value is shown once in the modal the click opens. */
  rotate: 'key_rotate',
} as const;

export const KEY_LIMITS = { name: 255, description: 1000, number: 12 } as const;

/** The service key fields the key kind lends the onboarding form. */
export const KEY_STEP_FIELDS = {
  name: { block: 'ob_key_name', action: 'name' },
  preset: { block: 'ob_key_preset', action: 'preset' },
} as const;
