import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Deps } from '../../src/deps.js';
import { Health } from '../../src/health.js';
import { createLog } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { PortkeyClient } from '../../src/portkey/client.js';
import { serveRoutes } from '../../src/slack/routes-server.js';
import { openStore } from '../../src/store/index.js';
import { parseExposition, sampleValue } from '../support/prometheus.js';

// In Socket Mode there is no /slack/events: the app serves its routes (/healthz, /readyz, /metrics) from a server of
// its own on PORT (serveRoutes), before and while it connects to Slack. That server is started here on its own,
// without connecting to Slack: /metrics must be among the routes.

it('serves /metrics beside /healthz on the Socket Mode HTTP server', async () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'portkey-socket-metrics-'));
  const loaded = loadConfig({
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_APP_TOKEN: 'xapp-1-test',
    PORTKEY_API_KEY: 'pk-test',
    PORTKEY_BASE_URL: 'http://127.0.0.1:1/v1',
    DATA_DIR: dataDir,
    SECRETS_KEY: Buffer.alloc(32, 7).toString('base64'),
  });
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  expect(loaded.config.slack.mode).toBe('socket');
  const log = createLog('silent');
  const store = await openStore({ dataDir, secretsKey: loaded.config.store.secretsKey });
  const portkey = new PortkeyClient({ ...loaded.config.portkey, retries: 0 });
  const metrics = new Metrics({ store });
  metrics.ended('integration.create', 'expired');
  // The listeners' dependencies are only used when a request comes, and none comes over Slack here.
  const deps = { log, store, portkey } as unknown as Deps;
  const { routes } = createApp(loaded.config, deps, new Health(store, portkey), {}, undefined, undefined, metrics);
  const server: Server = await serveRoutes(routes, '127.0.0.1', 0);
  try {
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const res = await fetch(`${base}/metrics`, { signal: AbortSignal.timeout(5000) });
    expect(res.status).toBe(200);
    const e = parseExposition(await res.text());
    expect(sampleValue(e, 'portkey_slack_operations_total', { action: 'integration.create', outcome: 'expired' })).toBe(1);
    expect(sampleValue(e, 'portkey_slack_store_up')).toBe(1);
    expect((await fetch(`${base}/healthz`, { signal: AbortSignal.timeout(5000) })).status).toBe(200);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
    await portkey.close();
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
