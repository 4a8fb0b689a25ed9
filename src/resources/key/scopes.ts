// The scopes a workspace service key can be given, as Portkey spells them. Source: Portkey's official OpenAPI
// (../shared/reference/portkey-openapi.yaml): the Api-Keys examples — "completions.write" in every create example
// (create_basic, create_with_rotation, …), "logs.view" beside it in the user-key example, and the full list in the
// `PUT /api-keys/{id}` example; "prompts.*" from the workspace member example's scopes. Organisation-level scopes
// (organisation_users.*, organisation_service_api_keys.*, workspaces.create/delete/list) are left out: a workspace
// key can't use them.

export const SCOPE_GROUPS: ReadonlyArray<{ label: string; scopes: readonly string[] }> = [
  { label: 'Gateway', scopes: ['completions.write'] },
  { label: 'Logs and analytics', scopes: ['logs.view', 'logs.list', 'logs.export', 'analytics.view'] },
  { label: 'Configs', scopes: ['configs.read', 'configs.list', 'configs.create', 'configs.update', 'configs.delete'] },
  { label: 'Prompts', scopes: ['prompts.read', 'prompts.list', 'prompts.create'] },
  {
    label: 'Providers (virtual keys)',
    scopes: [
      'virtual_keys.read',
      'virtual_keys.list',
      'virtual_keys.create',
      'virtual_keys.update',
      'virtual_keys.delete',
      'virtual_keys.duplicate',
      'virtual_keys.copy',
    ],
  },
  { label: 'Workspace', scopes: ['workspaces.read', 'workspaces.update'] },
  {
    label: 'Workspace members (admin)',
    scopes: ['workspace_users.read', 'workspace_users.list', 'workspace_users.create', 'workspace_users.update', 'workspace_users.delete'],
  },
  {
    label: 'API keys (admin)',
    scopes: [
      'workspace_service_api_keys.read',
      'workspace_service_api_keys.list',
      'workspace_service_api_keys.create',
      'workspace_service_api_keys.update',
      'workspace_service_api_keys.delete',
      'workspace_user_api_keys.read',
      'workspace_user_api_keys.list',
      'workspace_user_api_keys.create',
      'workspace_user_api_keys.update',
      'workspace_user_api_keys.delete',
    ],
  },
];

export const ALL_SCOPES: readonly string[] = SCOPE_GROUPS.flatMap((g) => g.scopes);

/** The sane choices; "custom" takes the scopes picked from the full list. */
export const PRESETS = {
  completions: { label: 'Completions only', scopes: ['completions.write'] },
  completions_logs: { label: 'Completions and reading its logs', scopes: ['completions.write', 'logs.view', 'logs.list'] },
  read_only: {
    label: 'Read only (logs, analytics, configs, providers)',
    scopes: ['logs.view', 'logs.list', 'analytics.view', 'configs.read', 'configs.list', 'virtual_keys.read', 'virtual_keys.list'],
  },
  custom: { label: 'Choose scopes from the full list (advanced)', scopes: [] },
} as const satisfies Record<string, { label: string; scopes: readonly string[] }>;
export type PresetId = keyof typeof PRESETS;

export function isPreset(id: string): id is PresetId {
  return Object.hasOwn(PRESETS, id);
}
