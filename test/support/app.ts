import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import { startApp, type RunningApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { createLog } from '../../src/log.js';
import { createDriver, type Driver } from './driver.js';
import type { FakePortkey } from './fake-portkey.js';
import type { FakeSlack } from './fake-slack.js';

export const SIGNING_SECRET = 'test-signing-secret';
/** No rules and no rate limits (see the file). A test that is about the policy sets its own POLICY_FILE; '' runs the default. */
export const OPEN_POLICY = fileURLToPath(new URL('./policies/open.yml', import.meta.url));
export const BOT_TOKEN = 'xoxb-test-token';

export interface TestApp {
  running: RunningApp;
  baseUrl: string;
  eventsUrl: string;
  driver: Driver;
  /** The app's DATA_DIR (absolute): its SQLite file; pass it as DATA_DIR to a later app to restart on the same data. */
  dataDir: string;
  /** Its generated secrets key file (absolute): beside DATA_DIR, not in it, unless the test set SECRETS_KEY_FILE. */
  keyFile: string;
  /** Every log line the app wrote, as raw JSON text. */
  logs: string[];
  stop(): Promise<void>;
}

/** Starts the real app in HTTP mode on a random port, wired to the fakes, with its logs captured. */
export async function startTestApp(p: { slack: FakeSlack; portkey: FakePortkey; env?: Record<string, string> }): Promise<TestApp> {
  // A fresh embedded store per app, unless the test shares one (DATA_DIR) or uses PostgreSQL (DATABASE_URL).
  const dataDir = p.env?.DATA_DIR ?? mkdtempSync(path.join(tmpdir(), 'portkey-slack-test-'));
  const loaded = loadConfig({
    SLACK_BOT_TOKEN: BOT_TOKEN,
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: p.slack.apiUrl,
    PORTKEY_API_KEY: p.portkey.adminKey,
    PORTKEY_BASE_URL: p.portkey.baseUrl,
    PORTKEY_TIMEOUT_MS: '1500',
    PORT: '0',
    LOG_LEVEL: 'debug',
    DATA_DIR: dataDir,
    // The key is kept apart from DATA_DIR (as by default), and per store, so a restart on the same DATA_DIR finds it.
    SECRETS_KEY_FILE: `${path.resolve(dataDir)}.secrets.key`,
    POLICY_FILE: OPEN_POLICY,
    ...p.env,
  });
  if (!loaded.ok) throw new Error(`test config invalid: ${loaded.problems.join('; ')}`);
  const logs: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      logs.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
  const running = await startApp(loaded.config, createLog(loaded.config.logLevel, sink));
  // The start-up check of the admin key is one request to Portkey: done before a test counts Portkey's requests.
  await running.portkeyChecked;
  const baseUrl = `http://127.0.0.1:${running.port}`;
  const eventsUrl = `${baseUrl}/slack/events`;
  return {
    running,
    baseUrl,
    eventsUrl,
    driver: createDriver({ eventsUrl, signingSecret: SIGNING_SECRET, responseUrlFactory: () => p.slack.responseUrl() }),
    dataDir: path.resolve(loaded.config.store.dataDir),
    keyFile: path.resolve(loaded.config.store.secretsKeyFile),
    logs,
    stop: () => running.stop(),
  };
}
