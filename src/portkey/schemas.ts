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

export const workspaceListSchema = z
  .object({ total: z.number().int().nonnegative().optional(), data: z.array(workspaceSchema) })
  .loose();
export type WorkspaceList = z.infer<typeof workspaceListSchema>;

export interface CreateWorkspaceBody {
  name: string;
  description?: string;
  slug?: string;
  defaults?: { metadata?: Record<string, string>; is_default?: 1 };
}
