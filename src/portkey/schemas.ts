import { z } from 'zod';

// Portkey's responses, as far as this app relies on them. `.loose()` keeps us tolerant of extra fields.

export const workspaceSchema = z
  .object({
    id: z.string().min(1),
    slug: z.string().min(1),
    name: z.string(),
    description: z.string().nullish(),
    created_at: z.string().nullish(),
  })
  .loose();
export type Workspace = z.infer<typeof workspaceSchema>;

export const workspaceListSchema = z.object({ total: z.number().int().nonnegative().optional(), data: z.array(workspaceSchema) }).loose();
export type WorkspaceList = z.infer<typeof workspaceListSchema>;

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

export const integrationListSchema = z
  .object({ total: z.number().int().nonnegative().optional(), data: z.array(integrationSchema) })
  .loose();
export type IntegrationList = z.infer<typeof integrationListSchema>;

export const integrationWorkspacesSchema = z
  .object({
    total: z.number().optional(),
    workspaces: z.array(z.object({ id: z.string(), enabled: z.boolean() }).loose()),
  })
  .loose();
export type IntegrationWorkspaces = z.infer<typeof integrationWorkspacesSchema>;

export const secretReferenceSchema = z
  .object({ id: z.string().min(1), slug: z.string().nullish(), name: z.string(), description: z.string().nullish() })
  .loose();
export type SecretReference = z.infer<typeof secretReferenceSchema>;
export const secretReferenceListSchema = z.object({ total: z.number().optional(), data: z.array(secretReferenceSchema) }).loose();

export const emptySchema = z.unknown();

export interface SecretMapping {
  target_field: string;
  secret_reference_id: string;
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
  workspaces: Array<{ id: string; enabled: boolean; create_default_provider?: boolean }>;
}
