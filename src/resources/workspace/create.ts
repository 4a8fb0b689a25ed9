import { z } from 'zod';
import type { PortkeyClient } from '../../portkey/client.js';
import type { CreateWorkspaceBody, Workspace } from '../../portkey/schemas.js';
import type { Log } from '../../log.js';
import { createOnce, whenCreated, type AttemptWindow, type CreateOutcome, type KeepExisted } from '../../operations/attempt.js';

/** What a lookup after a lost answer found: ours, nothing, or more than one that could be ours (can't tell). */
export type WorkspaceLookup = { kind: 'found'; workspace: Workspace } | { kind: 'none' } | { kind: 'ambiguous'; count: number };

/**
 * Creates a workspace once. A create is never re-sent: when the answer is lost (timeout, reset, 5xx, an unreadable
 * 2xx), Portkey is asked for workspaces of that exact name made during this attempt (see `findCreatedWorkspace`);
 * those it held just before the create was sent are never credited.
 */
export async function createWorkspaceOnce(
  portkey: PortkeyClient,
  body: CreateWorkspaceBody,
  log: Log,
  keep?: KeepExisted,
): Promise<CreateOutcome<Workspace>> {
  return createOnce<Workspace>({
    what: 'workspace create',
    log,
    ...(keep ? { keep } : {}),
    // What already bears the name is someone else's, whatever its whole-second timestamp says.
    before: async () => new Set((await portkey.listWorkspaces(sameName(body))).data.map((w) => w.id)),
    send: () => portkey.createWorkspace(body),
    async lookup(window) {
      const found = await findCreatedWorkspace(portkey, body, window);
      if (found.kind === 'ambiguous')
        log.warn({ candidates: found.count }, 'workspace create: several workspaces could be ours; not crediting any');
      return found.kind === 'found' ? { kind: 'found', value: found.workspace } : { kind: found.kind };
    },
  });
}

const defaultsSchema = z
  .object({ metadata: z.record(z.string(), z.unknown()).nullish(), is_default: z.union([z.number(), z.boolean()]).nullish() })
  .loose();

/**
 * Workspace names aren't unique, so a workspace is credited only when it is the one workspace of that exact name
 * made inside this attempt's window whose slug (if we chose one), description and metadata are what we sent. Two such
 * candidates (someone made the same one at the same time), or one made just before we asked (see CLOCK_SKEW_MS): we
 * can't tell, so none is credited. A candidate with no created_at is never credited.
 */
export async function findCreatedWorkspace(
  portkey: PortkeyClient,
  body: CreateWorkspaceBody,
  window: AttemptWindow,
): Promise<WorkspaceLookup> {
  const list = await portkey.listWorkspaces(sameName(body));
  const matching = list.data.filter((w) => w.name === body.name && !window.existed?.has(w.id) && matchesBody(w, body));
  const inside = matching.filter((w) => whenCreated(w.created_at, window) === 'inside');
  // One made just before we asked (clock skew, or someone else's a moment earlier) makes any credit a guess.
  const doubtful = matching.filter((w) => whenCreated(w.created_at, window) === 'doubtful');
  const [only] = inside;
  if (only && inside.length === 1 && doubtful.length === 0) return { kind: 'found', workspace: only };
  const count = inside.length + doubtful.length;
  return count === 0 ? { kind: 'none' } : { kind: 'ambiguous', count };
}

/** The query for workspaces of this exact name (the look-up before a create and the one after a lost answer). */
export function sameName(body: CreateWorkspaceBody): { exactName: string; pageSize: number } {
  return { exactName: body.name, pageSize: 100 };
}

function matchesBody(w: Workspace, body: CreateWorkspaceBody): boolean {
  if (body.slug && w.slug !== body.slug) return false;
  if ((w.description ?? '') !== (body.description ?? '')) return false;
  const parsed = defaultsSchema.safeParse((w as Record<string, unknown>).defaults ?? {});
  if (!parsed.success) return false;
  const metadata = parsed.data.metadata ?? {};
  const sent = body.defaults?.metadata ?? {};
  const keys = new Set([...Object.keys(metadata), ...Object.keys(sent)]);
  for (const k of keys) if (metadata[k] !== sent[k]) return false;
  return true;
}
