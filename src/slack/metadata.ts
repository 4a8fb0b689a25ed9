import { z } from 'zod';

// What a modal carries from the slash command to its submission: where to answer. It never decides who
// may do what — the acting user always comes from the signed payload itself.
export const modalContextSchema = z.object({
  /** A conversation (C…, G…, D…): never a user id, which chat.postMessage would turn into a DM to that user. */
  channelId: z
    .string()
    .regex(/^[CGD][A-Z0-9_]{1,39}$/)
    .optional(),
  responseUrl: z.string().url().max(500).optional(),
  /** An operation this view is showing (progress, result or error), e.g. for "Back to the form". */
  operationId: z.string().max(64).optional(),
  /** Bumped each time "Back to the form" shows the form again in the same modal: a new submission. */
  attempt: z.number().int().min(0).max(1000).optional(),
  /** How many Azure deployment rows the integration form shows. */
  rows: z.number().int().min(1).max(5).optional(),
});
export type ModalContext = z.infer<typeof modalContextSchema>;

export function encodeContext(ctx: ModalContext): string {
  return JSON.stringify(ctx);
}

/** Slack keeps at most this much private_metadata: anything longer was not written by this app. */
const MAX_METADATA = 3000;

export function decodeContext(raw: string | undefined): ModalContext {
  if (!raw || raw.length > MAX_METADATA) return {};
  try {
    const parsed = modalContextSchema.safeParse(JSON.parse(raw));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}
