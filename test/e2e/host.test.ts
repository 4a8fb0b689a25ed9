import { describe, expect, it } from 'vitest';
import { useFakes } from '../support/env.js';
import { appEnv, launchApp } from '../support/process.js';

// HOST: the app listens on the address it is given and nowhere else. Linux routes all of 127.0.0.0/8 to loopback,
// so 127.0.0.1 and 127.0.0.2 are two addresses of this machine: one bound, one not.

const TEST_TIMEOUT = 25_000;
const h = useFakes();

/** The status of GET /healthz at `host`, or the connection error's code. */
async function probe(host: string, port: number): Promise<number | string> {
  try {
    const res = await fetch(`http://${host}:${port}/healthz`, { signal: AbortSignal.timeout(3000) });
    await res.arrayBuffer();
    return res.status;
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause;
    return cause?.code ?? String(err);
  }
}

async function listening(env: Record<string, string>): Promise<{ host: unknown; port: number }> {
  const app = launchApp(appEnv(h.slack, h.portkey, { LOG_LEVEL: 'info', ...env }));
  const line = await app.waitForLog('listening for Slack on /slack/events', 20_000);
  return { host: line.host, port: Number(line.port) };
}

describe('HOST: where the server listens', () => {
  it(
    'listens on loopback (127.0.0.1) by default, not on every interface',
    async () => {
      const { host, port } = await listening({});
      expect(host).toBe('127.0.0.1');
      expect(await probe('127.0.0.1', port)).toBe(200);
      expect(await probe('127.0.0.2', port)).toBe('ECONNREFUSED');
    },
    TEST_TIMEOUT,
  );

  it(
    'listens only on the address HOST names',
    async () => {
      const { host, port } = await listening({ HOST: '127.0.0.2' });
      expect(host).toBe('127.0.0.2');
      expect(await probe('127.0.0.2', port)).toBe(200);
      expect(await probe('127.0.0.1', port)).toBe('ECONNREFUSED');
    },
    TEST_TIMEOUT,
  );

  it(
    'HOST=0.0.0.0 (what the container image sets) listens on every interface',
    async () => {
      const { host, port } = await listening({ HOST: '0.0.0.0' });
      expect(host).toBe('0.0.0.0');
      expect(await probe('127.0.0.1', port)).toBe(200);
      expect(await probe('127.0.0.2', port)).toBe(200);
    },
    TEST_TIMEOUT,
  );
});
