// Block and action ids of the workspace modal, shared by the view builder and its listeners.
export const WORKSPACE_CALLBACK = 'workspace_create';
export const WORKSPACE_RESULT_CALLBACK = 'workspace_result';

export const WS_FIELDS = {
  name: { block: 'ws_name', action: 'name' },
  slug: { block: 'ws_slug', action: 'slug' },
  description: { block: 'ws_description', action: 'description' },
  metadata: { block: 'ws_metadata', action: 'metadata' },
  isDefault: { block: 'ws_default', action: 'is_default' },
} as const;

export const WS_ACTIONS = {
  /** "Back to the form" on the error view. */
  back: 'workspace_back',
  /** "Create a workspace" button (help message). */
  open: 'workspace_open',
} as const;

export const WS_LIMITS = { name: 255, slug: 255, description: 1000, metadata: 2500 } as const;
