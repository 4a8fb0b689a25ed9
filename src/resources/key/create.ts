import type { Log } from '../../log.js';
import { createOnce, whenCreated, type AttemptWindow, type CreateOutcome, type KeepExisted } from '../../operations/attempt.js';
import type { PortkeyClient } from '../../portkey/client.js';
import type { ApiKey, CreateApiKeyBody } from '../../portkey/schemas.js';

/** A key created once: its id, and its value only when Portkey's answer (the only place it is) was read. */
export interface CreatedKey {
  id: string;
  value: string | undefined;
}

export type KeyLookup = { kind: 'found'; key: ApiKey } | { kind: 'none' } | { kind: 'ambiguous'; count: number };

/**
 * Creates a key once. A create is never re-sent: when the answer is lost, Portkey is asked for keys of that name in
 * that workspace made during this attempt (none it held just before the create was sent). One found is credited —
 * but its value was in the lost answer (GET shows it masked), so it comes back without one and the owner is told to
 * rotate it.
 */
export async function createKeyOnce(
  portkey: PortkeyClient,
  body: CreateApiKeyBody,
  log: Log,
  keep?: KeepExisted,
): Promise<CreateOutcome<CreatedKey>> {
  return createOnce<CreatedKey>({
    what: 'API key create',
    log,
    ...(keep ? { keep } : {}),
    // The keys the workspace already has are someone else's, whatever their whole-second timestamps say.
    before: async () => new Set((await portkey.listApiKeys(inWorkspace(body))).data.map((k) => k.id)),
    async send() {
      const issued = await portkey.createWorkspaceServiceKey(body);
      return { id: issued.id, value: issued.key };
    },
    async lookup(window) {
      const found = await findCreatedKey(portkey, body, window);
      if (found.kind === 'ambiguous')
        log.warn({ candidates: found.count }, 'API key create: several keys could be ours; not crediting any');
      return found.kind === 'found' ? { kind: 'found', value: { id: found.key.id, value: undefined } } : { kind: found.kind };
    },
  });
}

/**
 * Key names aren't unique: a key is credited only when it is the one key in the workspace with this exact name,
 * description and scopes made inside this attempt's window (none made just before it: see CLOCK_SKEW_MS).
 */
export async function findCreatedKey(portkey: PortkeyClient, body: CreateApiKeyBody, window: AttemptWindow): Promise<KeyLookup> {
  const list = await portkey.listApiKeys(inWorkspace(body));
  const matching = list.data.filter((k) => k.name === body.name && !window.existed?.has(k.id) && matchesBody(k, body));
  const inside = matching.filter((k) => whenCreated(k.created_at, window) === 'inside');
  const doubtful = matching.filter((k) => whenCreated(k.created_at, window) === 'doubtful');
  const [only] = inside;
  if (only && inside.length === 1 && doubtful.length === 0) return { kind: 'found', key: only };
  const count = inside.length + doubtful.length;
  return count === 0 ? { kind: 'none' } : { kind: 'ambiguous', count };
}

/** The query for the workspace's keys (the look-up before a create and the one after a lost answer). */
export function inWorkspace(body: CreateApiKeyBody): { workspaceId: string; pageSize: number } {
  return { workspaceId: body.workspace_id, pageSize: 100 };
}

function matchesBody(k: ApiKey, body: CreateApiKeyBody): boolean {
  if ((k.description ?? '') !== (body.description ?? '')) return false;
  if (!k.scopes) return true;
  const mine = [...body.scopes].sort().join(' ');
  return [...k.scopes].sort().join(' ') === mine;
}
