import { describe, expect, it } from 'vitest';
import { startTestApp } from '../support/app.js';
import { fillView, viewFrom } from '../support/driver.js';
import { useFakes } from '../support/env.js';
import { record } from '../support/payload.js';
import { appEnv, spawnApp } from '../support/process.js';

// Running it: /healthz reports the database and Portkey apart, /readyz says whether to send traffic, every log
// line of a request carries its id, and SIGTERM lets a create in flight finish before the process exits.

const h = useFakes();

async function getJson(url: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return { status: res.status, body: record(await res.json(), url) };
}

describe('health and readiness', () => {
  it('reports the database and Portkey separately; Portkey down degrades nothing else', async () => {
    const app = await startTestApp({ slack: h.slack, portkey: h.portkey });
    try {
      const healthy = await getJson(`${app.baseUrl}/healthz`);
      expect(healthy.status).toBe(200);
      expect(healthy.body).toMatchObject({
        status: 'ok',
        mode: 'http',
        database: { ok: true, engine: 'sqlite', latency_ms: expect.any(Number) },
        portkey: { ok: true, latency_ms: expect.any(Number), checked_at: expect.any(String) },
      });
      expect(h.portkey.requestsTo('GET', '/admin/workspaces')).toHaveLength(1);
      // Probes don't hammer Portkey: the last answer is reused for a while.
      await getJson(`${app.baseUrl}/healthz`);
      expect(h.portkey.requestsTo('GET', '/admin/workspaces')).toHaveLength(1);
      expect(await getJson(`${app.baseUrl}/readyz`)).toEqual({ status: 200, body: { ready: true } });
      expect(JSON.stringify(healthy.body)).not.toContain(h.portkey.adminKey);
    } finally {
      await app.stop();
    }

    h.portkey.fault({ method: 'GET', path: '/admin/workspaces' }, { status: 503 }, 1);
    const down = await startTestApp({ slack: h.slack, portkey: h.portkey });
    try {
      const report = await getJson(`${down.baseUrl}/healthz`);
      expect(report.status).toBe(200);
      expect(report.body).toMatchObject({ status: 'ok', database: { ok: true }, portkey: { ok: false, error: 'HTTP 503' } });
      // Still ready: creates are refused with a clear message or queued, not lost, while Portkey is down.
      expect((await getJson(`${down.baseUrl}/readyz`)).status).toBe(200);
    } finally {
      await down.stop();
    }
  });

  it('every log line of a request carries its request id, and the operation id where there is one', async () => {
    const app = await startTestApp({ slack: h.slack, portkey: h.portkey });
    try {
      await app.driver.command({ text: 'workspace create Traced', triggerId: 'trace-1', channelId: 'C_TRACE' });
      const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === 'trace-1');
      await app.driver.viewSubmission({ view: fillView(viewFrom(open, h.slack.views), {}) });
      await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_TRACE');
      const lines = app.logs.map((l) => JSON.parse(l) as Record<string, unknown>);
      const finished = lines.find((l) => l.msg === 'operation finished');
      expect(finished).toMatchObject({
        req: expect.stringMatching(/^[0-9a-f]{8}$/),
        op: expect.any(String),
        level: 'info',
        app: 'portkey-slack',
      });
      // Lines outside any request (start-up) have none.
      expect(lines.find((l) => l.msg === 'listening for Slack on /slack/events')?.req).toBeUndefined();
    } finally {
      await app.stop();
    }
  });
});

describe('SIGTERM', () => {
  it('stops taking requests, lets the create in flight finish and post its result, then exits 0', { timeout: 30_000 }, async () => {
    const app = await spawnApp(appEnv(h.slack, h.portkey, { DATA_DIR: '' }), { slack: h.slack });
    h.portkey.fault({ method: 'POST', path: '/admin/workspaces' }, { delayMs: 1500, afterHandling: true }, 1);
    await app.driver.command({ text: 'workspace create Drained', triggerId: 'drain-1', channelId: 'C_DRAIN' });
    const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === 'drain-1');
    const submitted = app.driver.viewSubmission({ view: fillView(viewFrom(open, h.slack.views), {}) });
    await (await submitted).text;
    // The create is at Portkey now; stop the process.
    await new Promise((r) => setTimeout(r, 300));
    expect(app.kill('SIGTERM')).toBe(true);
    const { code, signal } = await app.exit();
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    const post = h.slack.callsTo('chat.postMessage').find((c) => c.args.channel === 'C_DRAIN');
    expect(post?.error).toBeUndefined();
    expect(String(post?.args.text)).toContain('Drained');
    expect(h.portkey.workspaces.map((w) => w.name)).toEqual(['Drained']);
    // New requests are refused once it stopped (the port is closed).
    await expect(fetch(`${app.baseUrl}/readyz`, { signal: AbortSignal.timeout(2000) })).rejects.toThrow();
  });
});
