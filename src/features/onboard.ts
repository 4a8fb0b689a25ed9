import type { Step } from '../operations/steps.js';
import type { PlannedCall } from '../operations/types.js';
import type { PortkeyClient } from '../portkey/client.js';
import type { CreateWorkspaceBody } from '../portkey/schemas.js';
import type { FormResult } from './kind.js';

// The parts other kinds lend the onboarding bundle (src/resources/onboard): each kind keeps its own Portkey calls, its
// own create-once and its own look-up after a lost answer in its folder, and hands the bundle a Step (see
// operations/steps.ts). The registry (src/resources/index.ts) passes them in, so no kind imports another. A new step
// (members, a service key) is one more entry here, implemented in its kind's folder, added to the chain in order.

/** The workspace the bundle creates: its result is `{ id, slug, name }`, which the later steps read. */
export interface WorkspacePart {
  /** The form's workspace fields checked, as the workspace form checks them; errors keyed by field. */
  validate(draft: { name: string; slug: string; description: string }): FormResult<CreateWorkspaceBody>;
  step(portkey: PortkeyClient, body: CreateWorkspaceBody): Step;
  /** The preview: the calls `step` makes, from the same body builder. */
  plan(body: CreateWorkspaceBody): PlannedCall[];
}

/** An existing organisation integration enabled in the workspace an earlier step (`workspaceStep`) created. */
export interface IntegrationAccessPart {
  step(portkey: PortkeyClient, integration: { slug: string; name: string }, workspaceStep: string): Step;
  /** The preview: the calls `step` makes (the workspace's id is known only once it exists: `workspaceId` stands in). */
  plan(integration: { slug: string; name: string }, workspaceId: string): PlannedCall[];
}

export interface OnboardParts {
  workspace: WorkspacePart;
  integrationAccess: IntegrationAccessPart;
}

/** What a step's result says about the workspace made by an earlier step. */
export interface CreatedWorkspaceRef {
  id: string;
  slug: string;
  name: string;
}

export function workspaceRefOf(result: Record<string, unknown> | undefined): CreatedWorkspaceRef | undefined {
  const { id, slug, name } = result ?? {};
  return typeof id === 'string' && typeof slug === 'string' && typeof name === 'string' ? { id, slug, name } : undefined;
}
