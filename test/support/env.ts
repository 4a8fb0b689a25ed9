import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { startTestApp, type TestApp } from './app.js';
import { startFakePortkey, type FakePortkey } from './fake-portkey.js';
import { startFakeSlack, type FakeSlack } from './fake-slack.js';
import { killAll } from './process.js';

/** The fakes of one test file; read them inside hooks and tests (they exist once `beforeAll` ran). */
export interface Fakes {
  readonly slack: FakeSlack;
  readonly portkey: FakePortkey;
  /** A new empty directory under the OS temp directory, named `prefix` and a random suffix; removed after the file's tests. */
  tempDir(prefix: string): string;
}

/** The fakes and the app of one test file; read them inside hooks and tests (they exist once `beforeAll` ran). */
export interface TestEnv {
  readonly slack: FakeSlack;
  readonly portkey: FakePortkey;
  readonly app: TestApp;
}

function started<T>(value: T | undefined, what: string, hook: string): T {
  if (value === undefined) throw new Error(`the test ${what} is not started (${hook}'s beforeAll has not run)`);
  return value;
}

/**
 * Registers the hooks of a file that starts the app itself, often as processes (./process.ts): starts a fake Slack
 * and a fake Portkey once (beforeAll) and resets them before each test. After each test it kills every app process
 * still running, unless `killAfterEach` is false (processes a `beforeAll` started for several tests); after the
 * file it kills them all, closes the fakes and removes the `tempDir`s.
 */
export function useFakes(opts: { killAfterEach?: boolean } = {}): Fakes {
  let slack: FakeSlack | undefined;
  let portkey: FakePortkey | undefined;
  const dirs: string[] = [];

  beforeAll(async () => {
    slack = await startFakeSlack();
    portkey = await startFakePortkey();
  });

  afterAll(async () => {
    await killAll();
    await slack?.close();
    await portkey?.close();
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(() => {
    slack?.reset();
    portkey?.reset();
  });

  if (opts.killAfterEach !== false) afterEach(() => killAll());

  return {
    get slack() {
      return started(slack, 'fake Slack', 'useFakes');
    },
    get portkey() {
      return started(portkey, 'fake Portkey', 'useFakes');
    },
    tempDir(prefix) {
      const dir = mkdtempSync(join(tmpdir(), prefix));
      dirs.push(dir);
      return dir;
    },
  };
}

/**
 * Registers the file's hooks: the fakes ({@link useFakes}) and the app wired to them, started once (beforeAll) and
 * stopped before the fakes are closed (afterAll). `env` is added to the app's environment.
 */
export function useTestEnv(opts: { env?: Record<string, string> } = {}): TestEnv {
  const fakes = useFakes();
  let app: TestApp | undefined;

  beforeAll(async () => {
    app = await startTestApp({ slack: fakes.slack, portkey: fakes.portkey, ...(opts.env ? { env: opts.env } : {}) });
  });

  // Registered after useFakes' afterAll, so it runs before it (vitest runs after-hooks in reverse).
  afterAll(async () => {
    await app?.stop();
  });

  return {
    get slack() {
      return fakes.slack;
    },
    get portkey() {
      return fakes.portkey;
    },
    get app() {
      return started(app, 'app', 'useTestEnv');
    },
  };
}
