import { z } from 'zod';

// What Portkey holds for the ids a request names (workspaces, secret references), looked up by id when the request
// is submitted. Approvers, channels and the policy are shown these, never the option labels the client sent: a
// crafted label can hide any id.

export const portkeyRefSchema = z.object({
  id: z.string(),
  /** The name as Portkey knows it. */
  name: z.string(),
  slug: z.string().optional(),
});
export type PortkeyRef = z.infer<typeof portkeyRefSchema>;

/** Stored with an integration operation's request as `resolved`, beside its `draft`. */
export const resolvedRefsSchema = z.object({
  /** The workspace of a workspace-scoped integration. */
  workspace: portkeyRefSchema.optional(),
  /** "Enable it in these workspaces" of an organisation-wide integration. */
  access: z.array(portkeyRefSchema).default([]),
  /** The secret reference standing in for the key. */
  secretRef: portkeyRefSchema.optional(),
  /** Those standing in for secret provider fields, by configurations key (absent when there are none). */
  fieldRefs: z.record(z.string(), portkeyRefSchema).optional(),
});
export type ResolvedRefs = z.infer<typeof resolvedRefsSchema>;
