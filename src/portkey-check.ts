import type { Log } from './log.js';
import { hostOf } from './log.js';
import type { PortkeyClient } from './portkey/client.js';
import { PortkeyError } from './portkey/errors.js';

// The Portkey admin key, checked once at start with the cheapest read there is (one workspace), so a wrong key is
// an error line at start rather than a failure the first person to submit a form runs into.

/** The Admin API key scopes the app uses, feature by feature (docs/operator-checks.md has the table). */
export const PORTKEY_SCOPES = [
  'workspaces.list',
  'workspaces.read',
  'workspaces.create',
  'organisation_integrations.create',
  'organisation_integrations.read',
  'organisation_integrations.update',
  'organisation_integrations.list',
  'workspace_integrations.create',
  'workspace_integrations.list',
] as const;

const SCOPES = `${PORTKEY_SCOPES.join(', ')} (docs/operator-checks.md says which feature needs which)`;

export type PortkeyCheck = 'ok' | 'unauthorized' | 'forbidden' | 'unreachable' | 'error';

/** One cheap read: a page of one workspace. */
export const probePortkey = (portkey: PortkeyClient, timeoutMs: number): Promise<unknown> =>
  portkey.listWorkspaces({ pageSize: 1 }, { timeoutMs, retries: 0 });

/** Logs what Portkey's answer to {@link probePortkey} says about PORTKEY_API_KEY. Never throws: the app starts anyway. */
export async function checkPortkeyKey(answer: Promise<unknown>, baseUrl: string, log: Log): Promise<PortkeyCheck> {
  const host = hostOf(baseUrl);
  try {
    await answer;
    log.info({ portkey: host, check: 'portkey' }, 'Portkey accepted PORTKEY_API_KEY');
    return 'ok';
  } catch (err) {
    if (!(err instanceof PortkeyError)) {
      log.error(
        { portkey: host, check: 'portkey', error: err instanceof Error ? err.message : String(err) },
        'could not check PORTKEY_API_KEY',
      );
      return 'error';
    }
    if (err.status === 401) {
      log.error(
        { portkey: host, check: 'portkey', status: 401 },
        `Portkey rejected PORTKEY_API_KEY (401 unauthorized): set it to an organisation Admin API key (Portkey ` +
          `→ Admin Settings → API Keys) with the scopes ${SCOPES}. Every create and list fails until then.`,
      );
      return 'unauthorized';
    }
    if (err.status === 403) {
      log.error(
        { portkey: host, check: 'portkey', status: 403 },
        `Portkey refused PORTKEY_API_KEY listing workspaces (403): the key lacks the workspaces.list ` +
          `scope, or is not an organisation Admin API key. Give it the scopes ${SCOPES}.`,
      );
      return 'forbidden';
    }
    if (err.kind === 'network' || err.kind === 'timeout') {
      log.warn(
        { portkey: host, check: 'portkey', cause: err.netCause?.code },
        `could not reach Portkey to check PORTKEY_API_KEY — ${err.message.replace(/^Portkey (network|timeout): /, '')}; ` +
          `starting anyway (creates and lists fail until Portkey answers)`,
      );
      return 'unreachable';
    }
    log.warn(
      { portkey: host, check: 'portkey', error: err.message },
      'Portkey answered the PORTKEY_API_KEY check with an error; starting anyway',
    );
    return 'error';
  }
}
