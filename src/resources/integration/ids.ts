// Block and action ids of the integration modal, shared by the view builder and its listeners.
// Provider-specific blocks are namespaced by provider (and auth mode), so switching never carries a
// stale value into a different field: Slack keeps what was typed only for identical block ids.

export const INTEGRATION_CALLBACK = 'integration_create';
export const INTEGRATION_RESULT_CALLBACK = 'integration_result';

export const INT_FIELDS = {
  provider: { block: 'int_provider', action: 'int_provider_select' },
  name: { block: 'int_name', action: 'name' },
  slug: { block: 'int_slug', action: 'slug' },
  description: { block: 'int_description', action: 'description' },
  customHost: { block: 'int_custom_host', action: 'custom_host' },
  scope: { block: 'int_scope', action: 'int_scope_select' },
  workspace: { block: 'int_workspace', action: 'int_workspace_search' },
  access: { block: 'int_access', action: 'int_access_search' },
  defaultDeployment: { block: 'int_dep_default', action: 'default_deployment' },
} as const;

export const VALUE_ACTION = 'value';
export const KEY_ACTION = 'key';
export const SECRET_REF_ACTION = 'int_secret_ref_search';
export const AUTH_MODE_ACTION = 'int_auth_mode_select';

export const keyBlock = (provider: string) => `int_key__${provider}`;
export const secretRefBlock = (provider: string) => `int_secretref__${provider}`;
/** The secret-reference picker beside a secret provider field (a mode's own field: namespaced by the mode too). */
export const fieldSecretRefBlock = (provider: string, mode: string | undefined, key: string) =>
  mode ? `int_secretref__${provider}__${mode}__${key}` : `int_secretref__${provider}__${key}`;
/** Which provider a secret-reference picker's block is for, and which configurations field (undefined: the key). */
export function parseSecretRefBlock(blockId: string): { providerId: string; fieldKey: string | undefined } | undefined {
  const m = /^int_secretref__(.+)$/.exec(blockId);
  if (!m?.[1]) return undefined;
  const parts = m[1].split('__');
  const providerId = parts[0] ?? '';
  return providerId === '' ? undefined : { providerId, fieldKey: parts.length > 1 ? parts[parts.length - 1] : undefined };
}
export const authModeBlock = (provider: string) => `int_auth__${provider}`;
/** Fields every auth mode shares are namespaced by provider; a mode's own fields by provider and mode. */
export const fieldBlock = (provider: string, mode: string | undefined, key: string) =>
  mode ? `int_f__${provider}__${mode}__${key}` : `int_f__${provider}__${key}`;
export const deploymentBlock = (row: number, key: string) => `int_dep__${row}__${key}`;

export const INT_ACTIONS = {
  addDeployment: 'int_add_deployment',
  removeDeployment: 'int_remove_deployment',
  back: 'integration_back',
  retryAccess: 'integration_retry_access',
  open: 'integration_open',
} as const;

/** Actions that change which blocks the modal shows; one listener rebuilds the view for all of them. */
export const REBUILD_ACTIONS = [
  INT_FIELDS.provider.action,
  AUTH_MODE_ACTION,
  INT_FIELDS.scope.action,
  INT_ACTIONS.addDeployment,
  INT_ACTIONS.removeDeployment,
] as const;

export const INT_LIMITS = { name: 255, slug: 255, description: 1000, key: 3000, customHost: 2048 } as const;
export const SCOPE = { organisation: 'organisation', workspace: 'workspace' } as const;
export type Scope = keyof typeof SCOPE;
