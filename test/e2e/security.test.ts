import { describe, expect, it } from 'vitest';
import { slackSignature } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import { forgedCommandBody } from '../support/forged.js';

// Requests to /slack/events must carry a valid, fresh Slack signature; anything else is refused before a listener runs.

const h = useTestEnv();

/**
 * Proves a refused request ran no listener: a valid command sent afterwards reaches views.open, and it is the only
 * views.open (and nothing was posted to any response_url), so the refused one did nothing before or after it.
 */
async function expectOnlyTheValidCommandRan(): Promise<void> {
  const res = await h.app.driver.command({ text: 'workspace create Real', triggerId: 'trigger-valid' });
  expect(res.status).toBe(200);
  await h.slack.waitFor('views.open', (c) => c.args.trigger_id === 'trigger-valid');
  expect(h.slack.calls.map((c) => `${c.method} ${String(c.args.trigger_id)}`)).toEqual(['views.open trigger-valid']);
  expect(h.slack.responses).toEqual([]);
  expect(h.portkey.requests).toEqual([]);
}

describe('request signing', () => {
  it('refuses a forged signature with 401 and runs no listener', async () => {
    const body = forgedCommandBody('trigger-forged', h.slack.responseUrl());
    const now = Math.floor(Date.now() / 1000);
    const forged = slackSignature('not-the-signing-secret', now, body);

    const res = await h.app.driver.raw(body, { timestamp: now, signature: forged });

    expect(res.status).toBe(401);
    await expectOnlyTheValidCommandRan();
  });

  it('refuses a correctly signed request whose timestamp is 6 minutes old', async () => {
    const body = forgedCommandBody('trigger-stale', h.slack.responseUrl());
    const stale = Math.floor(Date.now() / 1000) - 6 * 60;

    // The driver signs with the app's real secret and the stale timestamp.
    const res = await h.app.driver.raw(body, { timestamp: stale });

    expect(res.status).toBe(401);
    await expectOnlyTheValidCommandRan();
  });

  it('refuses a request without the signature headers', async () => {
    const body = forgedCommandBody('trigger-unsigned', h.slack.responseUrl());
    const res = await fetch(h.app.eventsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body,
      signal: AbortSignal.timeout(5000),
    });
    await res.text();

    expect(res.status).toBe(401);
    await expectOnlyTheValidCommandRan();
  });

  it('refuses a signature computed over a different body', async () => {
    const now = Math.floor(Date.now() / 1000);
    const signedFor = forgedCommandBody('trigger-original', h.slack.responseUrl());
    const tampered = forgedCommandBody('trigger-tampered', h.slack.responseUrl());

    const res = await h.app.driver.raw(tampered, { timestamp: now, signature: h.app.driver.sign(signedFor, now) });

    expect(res.status).toBe(401);
    await expectOnlyTheValidCommandRan();
  });
});

describe('GET /healthz', () => {
  it('answers 200 with JSON status ok, without a signature', async () => {
    const res = await fetch(`${h.app.baseUrl}/healthz`, { signal: AbortSignal.timeout(5000) });

    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    const body: unknown = await res.json();
    expect(body).toEqual({
      status: 'ok',
      mode: 'http',
      uptime_s: expect.any(Number),
      database: { ok: true, engine: 'sqlite', latency_ms: expect.any(Number) },
      portkey: { ok: true, latency_ms: expect.any(Number), checked_at: expect.any(String) },
      // What auth.test said at start: a probe asks Slack nothing.
      slack: { connected: true },
    });
    expect(h.slack.calls).toEqual([]);
  });
});
