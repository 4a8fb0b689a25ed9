import { ACTIONS, type Action } from '../actions.js';
import type { Executor } from '../operations/types.js';
import type { PortkeyClient } from '../portkey/client.js';
import { accessKind } from './access/index.js';
import { integrationKind } from './integration/index.js';
import { memberKind } from './member/index.js';
import { keyKind } from './key/index.js';
import type { ResourceKind } from '../features/kind.js';
import { workspaceKind } from './workspace/index.js';
import { onboardKind } from './onboard/index.js';
import { workspacePart } from './workspace/step.js';
import { integrationAccessPart } from './integration/step.js';
import { membersPart } from './member/step.js';
import { serviceKeyPart } from './key/step.js';

// The registry: one line per resource kind. Keyed by the core's action list (src/actions.ts), so the compiler
// refuses an action with no kind, or a kind for an action the store and the policy don't know.

const BY_ACTION = {
  'workspace.create': workspaceKind,
  'integration.create': integrationKind,
  'member.add': memberKind,
  'key.create': keyKind,
  // The bundle's steps are lent by the kinds that own them (see features/onboard.ts).
  'team.onboard': onboardKind({
    workspace: workspacePart,
    members: membersPart,
    integrationAccess: integrationAccessPart,
    serviceKey: serviceKeyPart,
  }),
  'integration.access': accessKind,
} as const satisfies Record<Action, ResourceKind>;

/** Every kind, in the order help and `/portkey policy` list them. */
export const KINDS: readonly ResourceKind[] = ACTIONS.map((a) => BY_ACTION[a]);

export function kindOf(action: Action): ResourceKind {
  return BY_ACTION[action];
}

/** What the operation service runs for each action. */
export function executorsOf(portkey: PortkeyClient): Record<Action, Executor> {
  const entries = ACTIONS.map((a) => [a, BY_ACTION[a].executor(portkey)] as const);
  return Object.fromEntries(entries) as Record<Action, Executor>;
}
