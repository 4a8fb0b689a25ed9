import { z } from 'zod';

// "Create an API key" on a workspace's result: the workspace kind shows the button, the key kind listens for it and
// opens its form with that workspace chosen. The id and the value's shape live here, so neither kind imports the other.

export const CREATE_KEY_FOR_WORKSPACE = 'key_for_workspace';

const linkSchema = z.object({ id: z.string().regex(/^[A-Za-z0-9_-]{1,100}$/) });
export type KeyLink = z.infer<typeof linkSchema>;

/** The button's value: the workspace's id only (its name is read from Portkey, never carried through Slack). */
export function encodeKeyLink(link: KeyLink): string {
  return JSON.stringify({ id: link.id });
}

/** A value from Slack: anything this app didn't write reads as undefined. */
export function decodeKeyLink(raw: string | undefined): KeyLink | undefined {
  try {
    const parsed = linkSchema.safeParse(JSON.parse(raw ?? ''));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
