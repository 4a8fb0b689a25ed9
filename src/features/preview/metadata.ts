import { z } from 'zod';
import { ACTIONS } from '../../actions.js';

// What a preview view carries for "Decide as someone else": the request and the policy subject, never a secret
// (a prepared request holds none; secrets stay in the form). Read back with zod: private_metadata is client input
// as far as this app is concerned, so the admin check on the click, not this, is what guards it.

const MAX = 3000;

// Every criterion a subject can carry (src/policy/decide.ts Subject): one left out would refuse that kind's picker.
const partFields = {
  providerId: z.string().optional(),
  hosts: z.array(z.string()).optional(),
  secretRefs: z.array(z.object({ id: z.string(), name: z.string(), field: z.string().optional() })).optional(),
  workspaces: z.array(z.object({ id: z.string(), slug: z.string().optional() })).optional(),
  defaultWorkspace: z.boolean().optional(),
  scopes: z.array(z.string()).optional(),
  role: z.enum(['member', 'manager', 'admin']).optional(),
  people: z.object({ count: z.number().int().min(0), userIds: z.array(z.string()) }).optional(),
  creates: z.literal(true).optional(),
};

export const previewMetaSchema = z.object({
  action: z.enum(ACTIONS),
  teamId: z.string().max(40),
  channelId: z
    .string()
    .regex(/^[CGD][A-Z0-9_]{1,39}$/)
    .optional(),
  request: z.unknown(),
  subject: z
    .object({
      ...partFields,
      // A bundle's parts, each decided as its own kind (team.onboard).
      parts: z.array(z.object({ action: z.enum(ACTIONS), ...partFields }).strict()).optional(),
    })
    .strict(),
});
export type PreviewMeta = z.infer<typeof previewMetaSchema>;

/** The metadata, or undefined when it wouldn't fit in Slack's 3000 characters (then no one else can be picked). */
export function encodePreviewMeta(meta: PreviewMeta): string | undefined {
  const text = JSON.stringify(meta);
  return text.length <= MAX ? text : undefined;
}

export function decodePreviewMeta(raw: string | undefined): PreviewMeta | undefined {
  if (!raw || raw.length > MAX) return undefined;
  try {
    const parsed = previewMetaSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
