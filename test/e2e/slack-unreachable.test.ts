import { describe, expect, it } from 'vitest';
import { createDriver } from '../support/driver.js';
import { useFakes } from '../support/env.js';
import { record } from '../support/payload.js';
import { appEnv, launchApp, type LogLine } from '../support/process.js';
import { freePort, lateProxy } from '../support/tcp-proxy.js';

// Slack's Web API unreachable when the app starts (SLACK_API_URL at a port that refuses connections): the app says
// which host failed and why, keeps serving what needs no Slack, and recovers when Slack comes up — in HTTP mode and in
// Socket Mode (which keeps trying to connect instead of exiting). The real entry point, as a process.

const TEST_TIMEOUT = 60_000;
const h = useFakes();

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: record(await res.json(), url) };
}

describe('Slack unreachable at start', () => {
  it(
    'HTTP mode: names the host and the cause, answers /portkey help, says Slack is not connected, and recovers when Slack comes up',
    async () => {
      const fakeSlack = new URL(h.slack.apiUrl);
      const proxy = await lateProxy({ host: '127.0.0.1', port: Number(fakeSlack.port) });
      const port = await freePort();
      const apiUrl = `http://127.0.0.1:${proxy.port}${fakeSlack.pathname}`;
      const env = appEnv(h.slack, h.portkey, { SLACK_API_URL: apiUrl, PORT: String(port), DATA_DIR: h.tempDir('slack-down-') });
      const r = launchApp(env);

      const warning = await r.waitForLog('could not reach Slack to check SLACK_BOT_TOKEN', 20_000);
      expect(warning).toMatchObject({ level: 'warn', slack: `127.0.0.1:${proxy.port}`, error: 'refused (ECONNREFUSED)' });
      expect(String(warning.msg)).toContain(
        `127.0.0.1:${proxy.port} refused the connection (ECONNREFUSED) — check the host and port in SLACK_API_URL`,
      );
      await r.waitForLog('listening for Slack on /slack/events');
      const baseUrl = `http://127.0.0.1:${port}`;
      const driver = createDriver({ eventsUrl: `${baseUrl}/slack/events`, signingSecret: env.SLACK_SIGNING_SECRET ?? '' });

      // Help needs no Slack: answered in the ack, in full.
      const help = await driver.command({ text: 'help' });
      expect(help.status).toBe(200);
      const body = record(help.json, 'help ack');
      expect(body.response_type).toBe('ephemeral');
      expect(JSON.stringify(body.blocks)).toContain('/portkey workspace create');

      // What needs Slack (the workspace check, a modal) is refused with a sentence, logged with the request id.
      const create = await driver.command({ text: 'workspace create Later', triggerId: 'trigger-down' });
      expect(create.status).toBe(200);
      expect(record(create.json, 'create ack').text).toContain("can't reach Slack right now");
      const refused = await r.waitForLog((l) => l.msg === "refused a request: Slack can't be reached to confirm this workspace");
      expect(refused.req).toEqual(expect.stringMatching(/^[0-9a-f]{8}$/));
      expect(r.lines().filter((l) => l.msg === 'unhandled error in a listener')).toEqual([]);

      const health = await getJson(`${baseUrl}/healthz`);
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'ok', slack: { connected: false, error: 'refused (ECONNREFUSED)' } });
      expect(await getJson(`${baseUrl}/readyz`)).toEqual({
        status: 200,
        body: { ready: true, slack: { connected: false, error: 'refused (ECONNREFUSED)' } },
      });

      // Slack comes up: the next request after the app's 10 s back-off asks again, and then works.
      await proxy.open();
      let opened = false;
      for (let i = 0; i < 20 && !opened; i++) {
        await driver.command({ text: 'workspace create Later', triggerId: `trigger-up-${i}` });
        opened = h.slack.callsTo('views.open').length > 0;
        if (!opened) await new Promise((done) => setTimeout(done, 1000));
      }
      expect(opened).toBe(true);
      const open = await h.slack.waitFor('views.open', () => true);
      expect(open.error).toBeUndefined();
      expect(JSON.stringify(open.args.view)).toContain('"initial_value":"Later"');
      await r.waitForLog('Slack answers again: the bot token checks out');
      expect((await getJson(`${baseUrl}/healthz`)).body.slack).toEqual({ connected: true });
      expect(await getJson(`${baseUrl}/readyz`)).toEqual({ status: 200, body: { ready: true } });

      expect(r.kill('SIGTERM')).toBe(true);
      expect(await r.exit()).toEqual({ code: 0, signal: null });
      await proxy.close();
    },
    TEST_TIMEOUT,
  );

  it(
    'Socket Mode: keeps trying to connect with backoff (one line per try) while /healthz and /readyz answer, and stops cleanly',
    async () => {
      const closed = await freePort();
      const port = await freePort();
      const env = appEnv(h.slack, h.portkey, {
        SLACK_API_URL: `http://127.0.0.1:${closed}/api/`,
        SLACK_APP_TOKEN: 'xapp-1-A0TEST-0001-CANARYAPPTOKEN',
        PORT: String(port),
        DATA_DIR: h.tempDir('socket-down-'),
      });
      const r = launchApp(env);

      await r.waitForLog('serving /healthz and /readyz; connecting to Slack in Socket Mode', 20_000);
      const isFailure = (attempt: number) => (l: LogLine) =>
        l.attempt === attempt && String(l.msg).startsWith('Socket Mode: could not connect to Slack');
      const first = await r.waitForLog(isFailure(1));
      expect(first).toMatchObject({ level: 'warn', slack: 'refused (ECONNREFUSED)' });
      expect(String(first.msg)).toContain(
        `127.0.0.1:${closed} refused the connection (ECONNREFUSED) — check the host and port in SLACK_API_URL`,
      );
      // It does not exit: it waits, says when it tries next, and tries again.
      const waiting = await r.waitForLog(
        (l) => l.attempt === 2 && String(l.msg).startsWith('Socket Mode: not connected to Slack; next try in'),
      );
      expect(waiting.retry_in_ms).toEqual(expect.any(Number));
      await r.waitForLog(isFailure(2));
      await r.waitForLog(isFailure(3));
      const waits = r
        .lines()
        .filter((l) => String(l.msg).startsWith('Socket Mode: not connected'))
        .map((l) => Number(l.retry_in_ms));
      expect(waits[1]).toBeGreaterThan(waits[0] ?? Number.POSITIVE_INFINITY);

      const health = await getJson(`http://127.0.0.1:${port}/healthz`);
      expect(health.status).toBe(200);
      expect(health.body).toMatchObject({ status: 'ok', mode: 'socket', slack: { connected: false, error: 'refused (ECONNREFUSED)' } });
      expect(await getJson(`http://127.0.0.1:${port}/readyz`)).toEqual({
        status: 200,
        body: { ready: true, slack: { connected: false, error: 'refused (ECONNREFUSED)' } },
      });

      expect(r.kill('SIGTERM')).toBe(true);
      expect(await r.exit()).toEqual({ code: 0, signal: null });
      const { stdout, stderr } = r.output();
      expect(stdout + stderr).not.toContain('CANARYAPPTOKEN');
      expect(stdout + stderr).not.toContain('A request error occurred');
    },
    TEST_TIMEOUT,
  );
});
