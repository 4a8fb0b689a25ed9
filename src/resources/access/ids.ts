// Block and action ids of the integration-access modal, shared by the view builder and its listeners. The budget
// blocks' ids are features/limits' own.

export const ACCESS_CALLBACK = 'integration_access';
export const ACCESS_RESULT_CALLBACK = 'integration_access_result';

export const ACCESS_FIELDS = {
  integration: { block: 'acc_integration', action: 'acc_integration_search' },
  workspace: { block: 'acc_workspace', action: 'acc_workspace_search' },
} as const;

export const ACCESS_ACTIONS = { back: 'access_back', open: 'access_open' } as const;
