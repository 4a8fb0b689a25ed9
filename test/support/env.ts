import { afterAll, beforeAll, beforeEach } from 'vitest';
import { startTestApp, type TestApp } from './app.js';
import { startFakePortkey, type FakePortkey } from './fake-portkey.js';
import { startFakeSlack, type FakeSlack } from './fake-slack.js';

/** The fakes and the app of one test file; read them inside hooks and tests (they exist once `beforeAll` ran). */
export interface TestEnv {
  readonly slack: FakeSlack;
  readonly portkey: FakePortkey;
  readonly app: TestApp;
}

/**
 * Registers the file's hooks: starts a fake Slack, a fake Portkey and the app wired to them once (beforeAll),
 * stops them (afterAll) and resets the fakes before each test. `env` is added to the app's environment.
 */
export function useTestEnv(opts: { env?: Record<string, string> } = {}): TestEnv {
  let slack: FakeSlack | undefined;
  let portkey: FakePortkey | undefined;
  let app: TestApp | undefined;

  beforeAll(async () => {
    slack = await startFakeSlack();
    portkey = await startFakePortkey();
    app = await startTestApp({ slack, portkey, ...(opts.env ? { env: opts.env } : {}) });
  });

  afterAll(async () => {
    await app?.stop();
    await slack?.close();
    await portkey?.close();
  });

  beforeEach(() => {
    slack?.reset();
    portkey?.reset();
  });

  const started = <T>(value: T | undefined, what: string): T => {
    if (value === undefined) throw new Error(`the test ${what} is not started (useTestEnv's beforeAll has not run)`);
    return value;
  };
  return {
    get slack() {
      return started(slack, 'fake Slack');
    },
    get portkey() {
      return started(portkey, 'fake Portkey');
    },
    get app() {
      return started(app, 'app');
    },
  };
}
