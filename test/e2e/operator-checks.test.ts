import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { scratchPostgresDatabase, type ScratchDatabase } from '../support/db.js';
import { useFakes } from '../support/env.js';
import { appEnv, launchApp, spawnApp } from '../support/process.js';
import { freePort, lateProxy, type LateProxy } from '../support/tcp-proxy.js';

// What the operator is told at start, with the real entry point as a process: PostgreSQL that comes up after the app
// (and goes away and comes back later), a replica with another SECRETS_KEY, and the readable log format.

const TEST_TIMEOUT = 60_000;
const PG_URL = process.env.TEST_DATABASE_URL?.trim() || undefined;
const h = useFakes();
const newKey = () => randomBytes(32).toString('base64');

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function readyz(port: number): Promise<number> {
  return (await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(15_000) })).status;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((done) => setTimeout(done, 250));
  }
}

describe.skipIf(!PG_URL)('PostgreSQL not up yet at start (set TEST_DATABASE_URL to run)', () => {
  /** A scratch database reached through a port that refuses connections until `proxy.open()`. */
  async function lateDatabase(): Promise<{ db: ScratchDatabase; proxy: LateProxy; url: string }> {
    const db = await scratchPostgresDatabase(PG_URL ?? '');
    const server = new URL(PG_URL ?? '');
    const proxy = await lateProxy({ host: server.hostname, port: Number(server.port || 5432) });
    cleanups.push(
      () => db.drop(),
      () => proxy.close(),
    );
    const url = new URL(db.url);
    url.host = `127.0.0.1:${proxy.port}`;
    return { db, proxy, url: url.toString() };
  }

  it(
    'waits for it with backoff, logging each wait, comes up when it does, and logs once when it goes away and comes back',
    async () => {
      const { proxy, url } = await lateDatabase();
      const port = await freePort();
      const r = launchApp(
        appEnv(h.slack, h.portkey, { DATABASE_URL: url, SECRETS_KEY: newKey(), DATABASE_CONNECT_TIMEOUT_S: '40', PORT: String(port) }),
      );

      const first = await r.waitForLog((l) => l.attempt === 1 && String(l.msg).includes('is not reachable yet'), 20_000);
      expect(first).toMatchObject({ level: 'warn', cause: 'ECONNREFUSED', location: expect.stringContaining(`127.0.0.1:${proxy.port}`) });
      expect(String(first.msg)).toContain('DATABASE_CONNECT_TIMEOUT_S');
      await r.waitForLog((l) => l.attempt === 2 && String(l.msg).includes('is not reachable yet'));
      expect(r.lines().some((l) => l.msg === 'listening for Slack on /slack/events')).toBe(false);

      await proxy.open();
      await r.waitForLog('store: PostgreSQL is up');
      await r.waitForLog('listening for Slack on /slack/events');
      expect(await readyz(port)).toBe(200);

      // It goes away: /readyz says 503, and the log says so once, however often it is probed.
      await proxy.close();
      await until('/readyz 503', async () => (await readyz(port)) === 503);
      expect(await readyz(port)).toBe(503);
      await r.waitForLog('the database does not answer; /readyz is 503 until it does');
      // ... and comes back: once more, once.
      await proxy.open();
      await until('/readyz 200', async () => (await readyz(port)) === 200);
      expect(await readyz(port)).toBe(200);
      await r.waitForLog('the database answers again; /readyz is 200 again');
      const said = (msg: string) => r.lines().filter((l) => String(l.msg).startsWith(msg)).length;
      expect([said('the database does not answer'), said('the database answers again')]).toEqual([1, 1]);

      expect(r.kill('SIGTERM')).toBe(true);
      expect(await r.exit()).toEqual({ code: 0, signal: null });
    },
    TEST_TIMEOUT,
  );

  it(
    'gives up after DATABASE_CONNECT_TIMEOUT_S with the message it always gave',
    async () => {
      const { url } = await lateDatabase();
      const r = launchApp(appEnv(h.slack, h.portkey, { DATABASE_URL: url, SECRETS_KEY: newKey(), DATABASE_CONNECT_TIMEOUT_S: '2' }));

      const { code } = await r.exit(30_000);

      expect(code).toBe(1);
      expect(r.output().stderr).toMatch(
        /^The app can't start: Cannot reach PostgreSQL at postgres:\/\/postgres@127\.0\.0\.1:\d+\/portkey_e2e_\w+ \(DATABASE_URL\)/,
      );
      expect(r.lines().filter((l) => String(l.msg).includes('is not reachable yet')).length).toBeGreaterThanOrEqual(2);
    },
    TEST_TIMEOUT,
  );
});

describe('a replica started with another secrets key', () => {
  it.skipIf(!PG_URL)(
    'PostgreSQL: the second replica refuses to start, naming SECRETS_KEY and what to do; the first keeps running',
    async () => {
      const db = await scratchPostgresDatabase(PG_URL ?? '');
      cleanups.push(() => db.drop());
      const key = newKey();
      const first = await spawnApp(appEnv(h.slack, h.portkey, { DATABASE_URL: db.url, SECRETS_KEY: key }));

      const other = newKey();
      const second = launchApp(appEnv(h.slack, h.portkey, { DATABASE_URL: db.url, SECRETS_KEY: other }));
      const { code } = await second.exit(30_000);

      expect(code).toBe(1);
      const { stdout, stderr } = second.output();
      expect(stderr).toContain("The app can't start: SECRETS_KEY is not the key this database's secrets are sealed with");
      expect(stderr).toContain('copy it from a replica that runs');
      expect(stdout + stderr).not.toContain(other);
      expect(stdout + stderr).not.toContain(key);
      // The same key starts.
      const third = await spawnApp(appEnv(h.slack, h.portkey, { DATABASE_URL: db.url, SECRETS_KEY: key }));
      expect(await readyz(first.port)).toBe(200);
      expect(await readyz(third.port)).toBe(200);
    },
    TEST_TIMEOUT,
  );

  it(
    'SQLite: a generated key file other than the one the data was sealed with is refused, naming the file',
    async () => {
      const dataDir = h.tempDir('key-check-');
      const keys = h.tempDir('key-files-');
      const first = await spawnApp(appEnv(h.slack, h.portkey, { DATA_DIR: dataDir, SECRETS_KEY_FILE: join(keys, 'a.key') }));
      first.kill('SIGTERM');
      await first.exit();

      const second = launchApp(appEnv(h.slack, h.portkey, { DATA_DIR: dataDir, SECRETS_KEY_FILE: join(keys, 'b.key') }));
      const { code } = await second.exit(30_000);

      expect(code).toBe(1);
      expect(second.output().stderr).toContain(
        `The secrets key file ${join(keys, 'b.key')} (SECRETS_KEY_FILE) is not the key this database's secrets are sealed with`,
      );
    },
    TEST_TIMEOUT,
  );
});

describe('LOG_FORMAT=pretty', () => {
  it(
    'writes readable lines (not JSON), with the same redaction',
    async () => {
      const r = launchApp(appEnv(h.slack, h.portkey, { LOG_FORMAT: 'pretty', LOG_LEVEL: 'info', DATA_DIR: h.tempDir('pretty-') }));
      const line = await r.waitForLog('listening for Slack on /slack/events', 20_000);

      // Not JSON: the whole line comes back as text, with the time, the level and the message.
      expect(String(line.msg)).toMatch(/^\[\d\d:\d\d:\d\d\.\d{3}\] INFO: listening for Slack on \/slack\/events \{.*"mode":"http"/);
      expect(r.lines().every((l) => Object.keys(l).length === 1)).toBe(true);
      r.kill('SIGTERM');
      expect(await r.exit()).toEqual({ code: 0, signal: null });
      const { stdout, stderr } = r.output();
      expect(stdout + stderr).not.toContain(h.portkey.adminKey);
      expect(stdout + stderr).not.toContain('xoxb-test-token');
    },
    TEST_TIMEOUT,
  );
});
