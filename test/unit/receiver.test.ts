import type { AddressInfo } from 'node:net';
import { request, type Server } from 'node:http';
import { App } from '@slack/bolt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDriver, type Driver } from '../support/driver.js';
import { slowUpload } from '../support/http.js';
import { BODY_LIMIT, strictHttpReceiver } from '../../src/slack/receiver.js';

// The receiver in front of Bolt: future timestamps and `null` bodies are refused; everything else is Bolt's.

const SECRET = 'receiver-test-secret';
let app: App;
let driver: Driver;
let base: string;
const ran: string[] = [];

beforeAll(async () => {
  const receiver = strictHttpReceiver({
    signingSecret: SECRET,
    processBeforeResponse: false,
    customRoutes: [{ path: '/healthz', method: ['GET'], handler: (_req, res) => res.end('ok') }],
  });
  app = new App({ receiver, token: 'xoxb-test', tokenVerificationEnabled: false, botId: 'B1', botUserId: 'U1' });
  app.command('/portkey', async ({ ack, command }) => {
    ran.push(command.text);
    await ack();
  });
  const server = (await app.start(0)) as Server;
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  driver = createDriver({ eventsUrl: `${base}/slack/events`, signingSecret: SECRET });
});

afterAll(async () => {
  await app.stop();
});

const command = (text: string) =>
  new URLSearchParams({ command: '/portkey', text, team_id: 'T1', user_id: 'U2', channel_id: 'C1', trigger_id: 't' }).toString();

describe('strictHttpReceiver', () => {
  it('passes a correctly signed request on to Bolt', async () => {
    expect((await driver.raw(command('fresh'))).status).toBe(200);
    expect(ran).toContain('fresh');
  });

  it('refuses a correctly signed request dated more than 5 minutes ahead, as Bolt does one 5 minutes old', async () => {
    const now = Math.floor(Date.now() / 1000);
    expect((await driver.raw(command('future'), { timestamp: now + 301 })).status).toBe(401);
    expect((await driver.raw(command('past'), { timestamp: now - 301 })).status).toBe(401);
    expect((await driver.raw(command('near future'), { timestamp: now + 60 })).status).toBe(200);
    expect(ran).not.toContain('future');
  });

  it('checks every spelling of the events path the URL parser reads as it, and no other path', async () => {
    // Unsigned and not an ssl_check: refused with 401 on the events path, however it is written, before Bolt. Sent
    // with node:http, which sends the path as written (fetch would resolve the dots first).
    const unsigned = (path: string) =>
      new Promise<number | undefined>((done, fail) => {
        const req = request(`${base}/`, { method: 'POST', path, headers: { 'content-length': '3' } }, (res) => {
          res.resume();
          done(res.statusCode);
        });
        req.on('error', fail);
        req.end('x=1');
      });
    expect(await unsigned('/slack/events')).toBe(401);
    expect(await unsigned('/slack/events?retry=1')).toBe(401);
    expect(await unsigned('/slack/./events')).toBe(401);
    expect(await unsigned('/slack/%65vents')).toBe(404);
    expect(await unsigned('/slack/events/')).toBe(404);
    expect(await unsigned('/slack/eventsx')).toBe(404);
    expect(await unsigned('/slack/x/../events')).toBe(401);
    expect(await unsigned('/slack//events')).toBe(404);
  });

  it('answers a signed `null` payload or JSON body with 400 at once', async () => {
    expect((await driver.raw('payload=null')).status).toBe(400);
    expect((await driver.raw('null', { contentType: 'application/json' })).status).toBe(400);
  });

  it('leaves the rest to Bolt: bad signatures, unparsable bodies, oversized bodies, other routes', async () => {
    expect((await driver.raw('payload=null', { signature: 'v0=00' })).status).toBe(401);
    expect((await driver.raw('payload=%7Bnot')).status).toBe(400);
    expect((await driver.raw(`payload=${'x'.repeat(BODY_LIMIT)}`)).status).toBe(413);
    expect((await driver.raw(command('after all that'))).status).toBe(200);
    const health = await fetch(`${base}/healthz`);
    expect(await health.text()).toBe('ok');
  });
});

describe('strictHttpReceiver: slow and oversized uploads', () => {
  let slowApp: App;
  let url: string;
  const seen: string[] = [];

  beforeAll(async () => {
    const receiver = strictHttpReceiver({
      signingSecret: SECRET,
      processBeforeResponse: false,
      requestTimeoutMs: 1000,
      headersTimeoutMs: 1000,
      totalBuffered: 4096,
    });
    slowApp = new App({ receiver, token: 'xoxb-test', tokenVerificationEnabled: false, botId: 'B1', botUserId: 'U1' });
    slowApp.command('/portkey', async ({ ack, command: c }) => {
      seen.push(c.text);
      await ack();
    });
    const server = (await slowApp.start(0)) as Server;
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
  });

  afterAll(async () => {
    await slowApp.stop();
  });

  const fresh = () => String(Math.floor(Date.now() / 1000));

  it('refuses an upload without the signature headers at once, from its headers, without waiting for the body', async () => {
    const res = await slowUpload(url, {});
    expect(res.status).toBe(401);
    expect(res.ms).toBeLessThan(500);
    const noSignature = await slowUpload(url, { 'x-slack-request-timestamp': fresh() });
    expect(noSignature.status).toBe(401);
    const noTimestamp = await slowUpload(url, { 'x-slack-signature': 'v0=abc' });
    expect(noTimestamp.status).toBe(401);
  });

  it("still answers Slack's unsigned ssl_check (a tiny body, read to tell), and runs nothing smuggled beside it", async () => {
    const post = (body: string) =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
        signal: AbortSignal.timeout(5000),
      });
    expect((await post('ssl_check=1&token=abc')).status).toBe(200);
    expect((await post(`ssl_check=1&${command('smuggled')}`)).status).toBe(200);
    expect((await post(command('unsigned'))).status).toBe(401);
    expect(seen).toEqual([]);
  });

  it('refuses an upload with a stale or far-future timestamp at once', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const ts of [now - 301, now + 301, Number.NaN]) {
      const res = await slowUpload(url, { 'x-slack-request-timestamp': String(ts), 'x-slack-signature': 'v0=abc' });
      expect(res.status).toBe(401);
      expect(res.ms).toBeLessThan(500);
    }
  });

  it('refuses a declared body larger than Slack sends (413) before reading it', async () => {
    const res = await slowUpload(url, {
      'x-slack-request-timestamp': fresh(),
      'x-slack-signature': 'v0=abc',
      'content-length': String(BODY_LIMIT + 1),
    });
    expect(res.status).toBe(413);
    expect(res.ms).toBeLessThan(500);
  });

  it('cuts off a trickled body that looks signed once the request deadline passes', async () => {
    const res = await slowUpload(url, { 'x-slack-request-timestamp': fresh(), 'x-slack-signature': 'v0=abc' });
    // Node answers 408 (or just closes); either way within the deadline plus its 1-second check.
    expect(res.status === 408 || res.status === undefined).toBe(true);
    expect(res.ms).toBeGreaterThan(800);
    expect(res.ms).toBeLessThan(3500);
  });

  it('holds at most the total buffer across slow uploads: past it, 503 at once, and the memory is given back', async () => {
    const headers = () => ({ 'x-slack-request-timestamp': fresh(), 'x-slack-signature': 'v0=abc' });
    const first = slowUpload(url, headers(), { first: `payload=${'a'.repeat(3000)}` });
    await new Promise((r) => setTimeout(r, 100));
    const second = await slowUpload(url, headers(), { first: `payload=${'b'.repeat(3000)}` });
    expect(second.status).toBe(503);
    expect(second.ms).toBeLessThan(500);
    await first;
    // Once the first is cut off its bytes are released: a real request goes through.
    const ok = await createDriver({ eventsUrl: url, signingSecret: SECRET }).raw(command('after the slow ones'));
    expect(ok.status).toBe(200);
    expect(seen).toEqual(['after the slow ones']);
  });
});
