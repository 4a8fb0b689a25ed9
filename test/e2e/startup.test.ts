import { describe, expect, it } from 'vitest';
import { createDriver } from '../support/driver.js';
import { useFakes } from '../support/env.js';
import { launchApp } from '../support/process.js';
import { freePort } from '../support/tcp-proxy.js';

// The real entry point (`src/main.ts`) as a separate process: configuration errors, a rejected token, and a full
// start → request → SIGTERM cycle against the fakes. launchApp runs it with exactly the given env (plus PATH),
// in an empty directory (no .env to pick up).

const TEST_TIMEOUT = 20_000;

// A test that failed half-way must not leave its process running: useFakes kills them all after each test.
const h = useFakes();

function validEnv(port: number): Record<string, string> {
  return {
    SLACK_BOT_TOKEN: h.slack.botToken,
    SLACK_SIGNING_SECRET: 'startup-signing-secret',
    SLACK_API_URL: h.slack.apiUrl,
    PORTKEY_API_KEY: h.portkey.adminKey,
    PORTKEY_BASE_URL: h.portkey.baseUrl,
    PORT: String(port),
    LOG_LEVEL: 'info',
  };
}

describe('starting the app from src/main.ts', () => {
  it(
    'refuses to start without configuration and names every missing variable',
    async () => {
      const r = launchApp({});

      const { code } = await r.exit();

      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      const { stderr } = r.output();
      expect(stderr).toContain('SLACK_BOT_TOKEN');
      expect(stderr).toContain('SLACK_SIGNING_SECRET');
      expect(stderr).toContain('PORTKEY_API_KEY');
      expect(h.slack.calls).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'rejects a token that is not a bot token without printing it',
    async () => {
      const canary = 'xoxp-CANARY-1234';
      const r = launchApp({ ...validEnv(await freePort()), SLACK_BOT_TOKEN: canary });

      const { code } = await r.exit();

      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      const { stdout, stderr } = r.output();
      expect(stderr).toContain('SLACK_BOT_TOKEN');
      expect(stderr).toContain('xoxb-');
      expect(stdout + stderr).not.toContain('CANARY');
      // Checked before any network call.
      expect(h.slack.calls).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'stops with a clear message when Slack rejects the bot token',
    async () => {
      const rejected = 'xoxb-REJECTED-CANARY-5678';
      const r = launchApp({ ...validEnv(await freePort()), SLACK_BOT_TOKEN: rejected });

      const { code } = await r.exit();

      expect(code).not.toBe(0);
      expect(code).not.toBeNull();
      const { stdout, stderr } = r.output();
      expect(stderr).toContain('SLACK_BOT_TOKEN');
      expect(stderr).toContain('invalid_auth');
      expect(stdout + stderr).not.toContain('REJECTED-CANARY');
      const checks = h.slack.callsTo('auth.test');
      expect(checks.length).toBeGreaterThanOrEqual(1);
      expect(checks.every((c) => c.token === rejected && c.error === 'invalid_auth')).toBe(true);
    },
    TEST_TIMEOUT,
  );

  it(
    'with a valid environment: listens, answers /healthz, handles a signed command and exits 0 on SIGTERM',
    async () => {
      const port = await freePort();
      const env = validEnv(port);
      const signingSecret = 'startup-signing-secret';
      expect(env.SLACK_SIGNING_SECRET).toBe(signingSecret);
      const r = launchApp(env);

      await r.waitForLog('listening for Slack on /slack/events');
      await r.waitForLog('Portkey accepted PORTKEY_API_KEY');
      const baseUrl = `http://127.0.0.1:${port}`;
      expect(h.slack.callsTo('auth.test').map((c) => [c.token, c.error])).toEqual([[h.slack.botToken, undefined]]);

      const health = await fetch(`${baseUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual(expect.objectContaining({ status: 'ok', mode: 'http' }));

      const driver = createDriver({
        eventsUrl: `${baseUrl}/slack/events`,
        signingSecret,
        responseUrlFactory: () => h.slack.responseUrl(),
      });
      const res = await driver.command({ text: 'workspace create From A Process', triggerId: 'trigger-process' });
      expect(res.status).toBe(200);
      const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === 'trigger-process');
      expect(open.error).toBeUndefined();
      expect(open.token).toBe(h.slack.botToken);
      expect(JSON.stringify(open.args.view)).toContain('"initial_value":"From A Process"');

      expect(r.kill('SIGTERM')).toBe(true);
      const { code, signal } = await r.exit();
      expect({ code, signal }).toEqual({ code: 0, signal: null });
      const { stdout, stderr } = r.output();
      expect(stdout + stderr).not.toContain(h.portkey.adminKey);
      expect(stdout + stderr).not.toContain(h.slack.botToken);
      expect(stdout + stderr).not.toContain(signingSecret);
    },
    TEST_TIMEOUT,
  );

  it(
    'checks the Portkey admin key at start: a rejected key is an error naming PORTKEY_API_KEY and its scopes; /healthz says unauthorized',
    async () => {
      const port = await freePort();
      const wrongKey = 'pk-WRONG-CANARY-4242';
      const r = launchApp({ ...validEnv(port), PORTKEY_API_KEY: wrongKey });

      const line = await r.waitForLog('Portkey rejected PORTKEY_API_KEY');
      expect(line).toMatchObject({ level: 'error', status: 401, portkey: new URL(h.portkey.baseUrl).host });
      expect(String(line.msg)).toContain('organisation Admin API key');
      expect(String(line.msg)).toContain('workspaces.list');
      expect(String(line.msg)).toContain('organisation_integrations.create');
      // One cheap read: a page of one workspace, with the key the app was given.
      const checks = h.portkey.requestsTo('GET', '/admin/workspaces');
      expect(checks[0]).toMatchObject({ query: expect.objectContaining({ page_size: '1' }) });
      expect(checks[0]?.headers['x-portkey-api-key']).toBe(wrongKey);

      await r.waitForLog('listening for Slack on /slack/events');
      const health = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) });
      const body = (await health.json()) as { status: string; portkey: { ok: boolean; error?: string } };
      expect(body.status).toBe('ok');
      expect(body.portkey).toMatchObject({ ok: false, error: 'unauthorized' });

      const { stdout, stderr } = r.output();
      expect(stdout + stderr).not.toContain('WRONG-CANARY');
    },
    TEST_TIMEOUT,
  );

  it(
    'Portkey unreachable at start: a warning naming the host and the cause, and the app starts',
    async () => {
      const port = await freePort();
      const closed = await freePort();
      const r = launchApp({ ...validEnv(port), PORTKEY_BASE_URL: `http://127.0.0.1:${closed}/v1` });

      const line = await r.waitForLog('could not reach Portkey to check PORTKEY_API_KEY');
      expect(line).toMatchObject({ level: 'warn', portkey: `127.0.0.1:${closed}`, cause: 'ECONNREFUSED' });
      expect(String(line.msg)).toContain(
        `127.0.0.1:${closed} refused the connection (ECONNREFUSED) — check the host and port in PORTKEY_BASE_URL`,
      );
      await r.waitForLog('listening for Slack on /slack/events');
      const health = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(5000) });
      expect(((await health.json()) as { portkey: unknown }).portkey).toMatchObject({
        ok: false,
        error: 'network: refused (ECONNREFUSED)',
      });
    },
    TEST_TIMEOUT,
  );
});
