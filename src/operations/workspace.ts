import type { PortkeyClient } from '../portkey/client.js';
import { PortkeyError } from '../portkey/errors.js';
import type { CreateWorkspaceBody, Workspace } from '../portkey/schemas.js';
import type { Log } from '../log.js';

export type CreateOutcome<T> =
  | { ok: true; value: T; recovered: boolean }
  | { ok: false; error: unknown; /** Portkey may have created it; we could not tell. */ unknown: boolean };

// Clocks differ; a workspace created this long before we asked still counts as ours.
const CLOCK_SKEW_MS = 120_000;

/**
 * Creates a workspace once. A create is never re-sent: when the answer is lost (timeout, reset, 5xx),
 * Portkey is asked whether a workspace of that exact name appeared since we asked, before anything is said.
 */
export async function createWorkspaceOnce(portkey: PortkeyClient, body: CreateWorkspaceBody, log: Log): Promise<CreateOutcome<Workspace>> {
  const askedAt = Date.now();
  try {
    return { ok: true, value: await portkey.createWorkspace(body), recovered: false };
  } catch (err) {
    if (!(err instanceof PortkeyError) || !err.outcomeUnknown) return { ok: false, error: err, unknown: false };
    log.warn({ err: err.message }, 'workspace create: answer lost, looking it up');
    try {
      const found = await findCreatedWorkspace(portkey, body, askedAt);
      if (found) {
        log.info({ workspace: found.id }, 'workspace create: found after a lost answer');
        return { ok: true, value: found, recovered: true };
      }
      return { ok: false, error: err, unknown: false };
    } catch (lookupErr) {
      log.error({ err: lookupErr instanceof Error ? lookupErr.message : String(lookupErr) }, 'workspace create: lookup failed too');
      return { ok: false, error: err, unknown: true };
    }
  }
}

export async function findCreatedWorkspace(portkey: PortkeyClient, body: CreateWorkspaceBody, askedAt: number): Promise<Workspace | undefined> {
  const list = await portkey.listWorkspaces({ exactName: body.name, pageSize: 100 });
  const candidates = list.data.filter((w) => {
    if (w.name !== body.name) return false;
    if (body.slug && w.slug !== body.slug) return false;
    const created = w.created_at ? Date.parse(w.created_at) : Number.NaN;
    return Number.isFinite(created) && created >= askedAt - CLOCK_SKEW_MS;
  });
  // Newest first: if two appeared (someone else made one too), ours is the latest one we can see.
  candidates.sort((a, b) => Date.parse(b.created_at ?? '') - Date.parse(a.created_at ?? ''));
  return candidates[0];
}
