// The one list of resource actions. It sits below everything: the store and the policy read it, and neither may
// import a kind. src/resources/index.ts is checked against it at compile time (a kind for every action, no kind
// without one), so a new kind adds its action here and its folder there.

export const ACTIONS = [
  'workspace.create',
  'integration.create',
  'member.add',
  'key.create',
  'team.onboard',
  'integration.access',
] as const;
export type Action = (typeof ACTIONS)[number];

/** 'workspace.create' → 'workspace': limit wording names the kind from the action itself, with no list per kind. */
export function nounOf(action: Action): string {
  return action.slice(0, action.indexOf('.'));
}
