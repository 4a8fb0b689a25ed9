import type { KnownBlock } from '@slack/types';
import type { Deps } from '../deps.js';
import type { Step } from '../operations/steps.js';
import type { SummaryRow } from '../operations/summary.js';
import type { PlannedCall } from '../operations/types.js';
import type { Subject } from '../policy/decide.js';
import type { PortkeyClient } from '../portkey/client.js';
import type { AccessLimits } from '../portkey/limits.js';
import type { CreateWorkspaceBody, WorkspaceRole } from '../portkey/schemas.js';
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

/**
 * An existing organisation integration enabled in the workspace an earlier step (`workspaceStep`) created, with the
 * budget and rate limit asked for there (`limits`: sent as the access's usage_limits / rate_limits).
 */
export interface IntegrationAccessPart {
  step(portkey: PortkeyClient, integration: { slug: string; name: string }, workspaceStep: string, limits: AccessLimits): Step;
  /** The preview: the calls `step` makes (the workspace's id is known only once it exists: `workspaceId` stands in). */
  plan(integration: { slug: string; name: string }, workspaceId: string, limits: AccessLimits): PlannedCall[];
}

/** The people fields of the bundle's form, as picked (ids; labels are the client's, shown only back to that person). */
export interface PeopleDraft {
  users: string[];
  group?: { value: string; label: string } | undefined;
  role: string;
}

/** The people checked by shape: who was picked, before Slack is asked. */
export interface PeoplePick {
  users: string[];
  groupId: string | undefined;
  role: WorkspaceRole;
}

/** The people frozen at submission: each with the email Slack gave, or why they can't be added. Stored with the bundle. */
export interface PeopleRequest {
  role: WorkspaceRole;
  /** The user group picked, and how many people Slack listed in it at submission. */
  group?: { id: string; size: number } | undefined;
  people: Array<{ userId: string; email?: string | undefined; problem?: string | undefined }>;
}

/** People added to (or invited into) the workspace an earlier step created, with a role: the members kind's step. */
export interface MembersPart {
  /** The form's people fields (block ids the part owns), filled from the draft. */
  fields(draft: PeopleDraft): KnownBlock[];
  readDraft(values: unknown): PeopleDraft;
  /** Checked by shape; `undefined` when nobody was picked (the bundle then has no members step). Errors by block id. */
  validate(draft: PeopleDraft): FormResult<PeoplePick | undefined>;
  /** The user group expanded and frozen, each person's email from users.info, within `deadlineMs`; errors by block id. */
  resolve(
    deps: Deps,
    pick: PeoplePick,
    teamId: string,
    deadlineMs: number,
  ): Promise<{ ok: true; request: PeopleRequest } | { ok: false; errors: Record<string, string> }>;
  /** The part as a `member.add` of these people would be decided (the workspace is new: it has no id yet). */
  subject(request: PeopleRequest): Omit<Subject, 'parts'>;
  /** For approvers: the role and the people as mentions (no emails: the approvals channel may be public). */
  describe(request: PeopleRequest): SummaryRow[];
  step(portkey: PortkeyClient, request: PeopleRequest, workspaceStep: string): Step;
  /** The preview: the calls `step` makes (`workspaceId` stands in for the new workspace's id). */
  plan(request: PeopleRequest, workspaceId: string): PlannedCall[];
}

/** The service key fields of the bundle's form, as typed: a name (none: no key) and what it may do. */
export interface ServiceKeyDraft {
  name: string;
  preset: string;
}

/** A workspace service key checked: its name and the scopes its preset gives. */
export interface ServiceKeyPick {
  name: string;
  preset: string;
  scopes: string[];
}

/**
 * A service API key made in the workspace an earlier step created: the key kind's step. Portkey's answer holds the
 * key's value: it is held in memory for the requester's modal only (never in the step's result, the store, the audit,
 * a log line or a message), and taken once.
 */
export interface ServiceKeyPart {
  fields(draft: ServiceKeyDraft): KnownBlock[];
  readDraft(values: unknown): ServiceKeyDraft;
  /** `undefined` when no name was given (the bundle then has no key step). Errors by block id. */
  validate(draft: ServiceKeyDraft): FormResult<ServiceKeyPick | undefined>;
  /** The part as a `key.create` of these scopes would be decided (the workspace is new: no id yet). It creates a key. */
  subject(pick: ServiceKeyPick): Omit<Subject, 'parts'>;
  describe(pick: ServiceKeyPick): SummaryRow[];
  /** `holdFor`: the operation whose requester's modal may show the value, when someone waits for it; else not held. */
  step(portkey: PortkeyClient, pick: ServiceKeyPick, workspaceStep: string, holdFor: string | undefined): Step;
  plan(pick: ServiceKeyPick, workspaceId: string): PlannedCall[];
  /** The value held for this operation, once (a second take gets nothing). */
  take(operationId: string): string | undefined;
  /** What shows it to its owner, in the one modal that may. */
  shownBlocks(value: string): KnownBlock[];
}

export interface OnboardParts {
  workspace: WorkspacePart;
  members: MembersPart;
  integrationAccess: IntegrationAccessPart;
  serviceKey: ServiceKeyPart;
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
