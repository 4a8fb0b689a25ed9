import { z } from 'zod';
import type { RateLimitBody, UsageLimitBody } from './limits.js';

// Portkey's responses, as far as this app relies on them. `.loose()` keeps us tolerant of extra fields.

/** An optional text field as the spec allows it: absent, null or '' all read as absent. */
const optionalText = z
  .string()
  .nullish()
  .transform((v) => (v ? v : undefined));

/**
 * A list answer, read item by item. The spec requires no field of a list item and `data` may be missing (an empty
 * result), so an item that can't be used (no `id`, or a field of the wrong type) is skipped and counted — the caller
 * logs it — never the whole list refused. A `total` that isn't a non-negative integer is ignored.
 */
export interface Listed<T> {
  total: number | undefined;
  data: T[];
  skipped: number;
}

function listOf<S extends z.ZodType>(item: S, key: 'data' | 'workspaces' = 'data') {
  return z
    .object({ total: z.unknown().optional(), [key]: z.array(z.unknown()).nullish() })
    .loose()
    .transform((raw): Listed<z.infer<S>> => {
      const items = (raw[key] as unknown[] | null | undefined) ?? [];
      const data: z.infer<S>[] = [];
      for (const it of items) {
        const parsed = item.safeParse(it);
        if (parsed.success) data.push(parsed.data);
      }
      const total = typeof raw.total === 'number' && Number.isInteger(raw.total) && raw.total >= 0 ? raw.total : undefined;
      return { total, data, skipped: items.length - data.length };
    });
}

// The spec's Workspace has no required field; its own list example has no `slug`. Only `id` is needed to use one.
export const workspaceSchema = z
  .object({
    id: z.string().min(1),
    slug: optionalText,
    name: optionalText,
    description: z.string().nullish(),
    created_at: z.string().nullish(),
  })
  .loose();
export type Workspace = z.infer<typeof workspaceSchema>;

/**
 * The answer to a create: what the app must report (id and slug). An answer without them is unreadable, so the
 * workspace is looked up (attempt.ts) and reported with what Portkey holds, as for a lost answer.
 */
export const createdWorkspaceSchema = workspaceSchema.extend({ slug: z.string().min(1) });

export const workspaceListSchema = listOf(workspaceSchema);
export type WorkspaceList = Listed<Workspace>;

/** What to call a workspace: its name, else its slug, else its id (the spec promises none of them but the id we need). */
export function workspaceLabel(w: { id: string; slug?: string | undefined; name?: string | undefined }): string {
  return w.name ?? w.slug ?? w.id;
}

export interface CreateWorkspaceBody {
  name: string;
  description?: string;
  // `slug` and `defaults.is_default` are not in the spec's request schema (which doesn't forbid extra fields). They are
  // sent on purpose: they are the seed tools' own parameters (a chosen slug, the default workspace), and Portkey answers
  // with the slug it really used, which is what the app shows.
  slug?: string;
  defaults?: { metadata?: Record<string, string>; is_default?: 1 };
}

export const createdIntegrationSchema = z.object({ id: z.string().min(1), slug: z.string().min(1) }).loose();
export type CreatedIntegration = z.infer<typeof createdIntegrationSchema>;

export const integrationSchema = z
  .object({
    id: z.string().min(1),
    slug: z.string().min(1),
    name: z.string(),
    ai_provider_id: z.string(),
    description: z.string().nullish(),
    status: z.string().nullish(),
    created_at: z.string().nullish(),
    type: z.string().nullish(),
    workspace_id: z.string().nullish(),
    masked_key: z.string().nullish(),
  })
  .loose();
export type Integration = z.infer<typeof integrationSchema>;

/**
 * An item of GET /integrations. The spec documents id, slug, name, ai_provider_id, status, description (none
 * required) — not `type` or `workspace_id`, which are read when present and never assumed.
 */
export const integrationListItemSchema = z
  .object({
    id: z.string().min(1),
    slug: optionalText,
    name: optionalText,
    ai_provider_id: optionalText,
    description: z.string().nullish(),
    status: z.string().nullish(),
    created_at: z.string().nullish(),
    type: optionalText,
    workspace_id: optionalText,
  })
  .loose();
export type IntegrationListItem = z.infer<typeof integrationListItemSchema>;

export const integrationListSchema = listOf(integrationListItemSchema);
export type IntegrationList = Listed<IntegrationListItem>;

/** An entry's `id` is the workspace's slug as Portkey answers it; its limits are read by portkey/limits.ts. */
export const integrationWorkspacesSchema = listOf(
  z.object({ id: z.string().min(1), enabled: z.boolean(), usage_limits: z.unknown(), rate_limits: z.unknown() }).loose(),
  'workspaces',
);
export type IntegrationWorkspaces = z.infer<typeof integrationWorkspacesSchema>;

// The spec's SecretReferenceListItem requires nothing; a reference without a name is shown by its slug or id.
export const secretReferenceSchema = z
  .object({ id: z.string().min(1), slug: optionalText, name: optionalText, description: z.string().nullish() })
  .loose();
export type SecretReference = z.infer<typeof secretReferenceSchema>;
export const secretReferenceListSchema = listOf(secretReferenceSchema);

/** What to call a secret reference: its name, else its slug, else its id. */
export function secretReferenceLabel(r: SecretReference): string {
  return r.name ?? r.slug ?? r.id;
}

export const emptySchema = z.unknown();

export interface SecretMapping {
  /** `key` or `configurations.<field>` (spec: SecretMapping). */
  target_field: string;
  secret_reference_id: string;
  /** `json` for a field that holds an object (the Vertex service-account key): the secret is parsed before it is applied. */
  value_format?: 'json' | 'string';
}

/** The body of POST /integrations (spec: CreateIntegrationRequest). */
export interface CreateIntegrationBody {
  name: string;
  slug: string;
  ai_provider_id: string;
  key?: string;
  description?: string;
  workspace_id?: string;
  configurations?: Record<string, unknown>;
  secret_mappings?: SecretMapping[];
}

/** The body of PUT /integrations/{slug}/workspaces (spec: BulkUpdateWorkspacesRequest). */
export interface WorkspaceAccessBody {
  workspaces: Array<{
    id: string;
    enabled: boolean;
    create_default_provider?: boolean;
    /** At most one item each; `null` clears what the workspace had. */
    usage_limits?: UsageLimitBody[] | null;
    rate_limits?: RateLimitBody[] | null;
  }>;
}

// Members (issue 13 §3). The spec's User, Invite and WorkspaceMember require no field; only what the app uses is
// read, and an item without it is skipped (and counted) by listOf.

export const WORKSPACE_ROLES = ['member', 'manager', 'admin'] as const;
export type WorkspaceRole = (typeof WORKSPACE_ROLES)[number];

/** An organisation user (GET /admin/users): the id to add, found by email. */
export const orgUserSchema = z.object({ id: z.string().min(1), email: optionalText, role: optionalText }).loose();
export type OrgUser = z.infer<typeof orgUserSchema>;
export const orgUserListSchema = listOf(orgUserSchema);

/** An invite (GET /admin/users/invites). `workspaces` is in the spec's example, not its schema: read when present. */
export const inviteSchema = z
  .object({
    id: z.string().min(1),
    email: optionalText,
    status: optionalText,
    workspaces: z
      .array(z.object({ workspace_id: z.string().nullish(), id: z.string().nullish(), role: z.string().nullish() }).loose())
      .nullish(),
  })
  .loose();
export type Invite = z.infer<typeof inviteSchema>;
export const inviteListSchema = listOf(inviteSchema);

export const createdInviteSchema = z.object({ id: z.string().min(1) }).loose();

/** A member of a workspace (GET /admin/workspaces/{id}/users): matched by email, as the person is known in Slack. */
export const workspaceMemberSchema = z.object({ id: z.string().min(1), email: optionalText, role: optionalText }).loose();
export type WorkspaceMember = z.infer<typeof workspaceMemberSchema>;
export const workspaceMemberListSchema = listOf(workspaceMemberSchema);

/** The body of POST /admin/users/invites (spec: CreateInvite): an organisation member invited into one workspace. */
export interface CreateInviteBody {
  email: string;
  role: 'member';
  workspaces: Array<{ id: string; role: WorkspaceRole }>;
}

/** The body of POST /admin/workspaces/{workspaceId}/users. */
export interface AddMembersBody {
  users: Array<{ id: string; role: WorkspaceRole }>;
}

// API keys ------------------------------------------------------------------------------------

/**
 * The answer to a create or a rotate: the id and the key's value. The value is a secret of its own: it is held only
 * in memory, for the one view that shows it (see src/resources/key/reveal.ts), and never logged or stored.
 */
export const issuedApiKeySchema = z.object({ id: z.string().min(1), key: z.string().min(1) }).loose();
export type IssuedApiKey = z.infer<typeof issuedApiKeySchema>;

/** A key as GET /api-keys lists it (the value masked). Only `id` is needed to use one. */
export const apiKeySchema = z
  .object({
    id: z.string().min(1),
    name: optionalText,
    description: z.string().nullish(),
    workspace_id: z.string().nullish(),
    scopes: z.array(z.string()).nullish(),
    created_at: z.string().nullish(),
  })
  .loose();
export type ApiKey = z.infer<typeof apiKeySchema>;
export const apiKeyListSchema = listOf(apiKeySchema);

/** A usage limit (CreateApiKeyObject.usage_limits, the spec's UsageLimits). */
export interface UsageLimitsBody {
  type: 'cost' | 'tokens';
  credit_limit: number;
  alert_threshold?: number;
  periodic_reset?: 'monthly' | 'weekly';
}

/** POST /api-keys/workspace/service: the spec's CreateApiKeyObject, as far as this app sends it. */
export interface CreateApiKeyBody {
  name: string;
  description?: string;
  workspace_id: string;
  scopes: string[];
  usage_limits?: UsageLimitsBody;
  rate_limits?: Array<{ type: 'requests' | 'tokens'; unit: 'rpm' | 'rph' | 'rpd'; value: number }>;
  expires_at?: string;
  rotation_policy?: { rotation_period: 'weekly' | 'monthly'; key_transition_period_ms?: number };
}

/** POST /api-keys/{id}/rotate: the spec's RotateApiKeyRequest. */
export interface RotateApiKeyBody {
  key_transition_period_ms?: number;
}
