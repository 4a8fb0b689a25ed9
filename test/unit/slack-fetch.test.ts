import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { slackFetch } from '../../src/slack/fetch.js';

// slack/fetch.ts stands in for fetch under the Web API client: each case is run through both, and the client must
// end the same way (result, or error code, status, message and headers), with the same request reaching the server.

let server: Server;
let base: string;
const received: Array<{ url: string | undefined; auth: string | undefined; contentType: string | undefined; body: string }> = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString();
    });
    req.on('end', () => {
      received.push({ url: req.url, auth: req.headers.authorization, contentType: req.headers['content-type'], body });
      const method = req.url?.replace('/api/', '');
      if (method === 'chat.postMessage') {
        res.writeHead(200, { 'content-type': 'application/json', 'x-oauth-scopes': 'chat:write,commands' });
        res.end(JSON.stringify({ ok: true, channel: 'C1', ts: '1.2' }));
      } else if (method === 'views.open') {
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: false, error: 'expired_trigger_id' }));
      } else if (method === 'limited') {
        res.writeHead(429, { 'retry-after': '30' }).end();
      } else if (method === 'broken') {
        res.writeHead(500, { 'content-type': 'text/plain' }).end('down');
      } else if (method === 'moved') {
        res.writeHead(302, { location: '/api/chat.postMessage' }).end();
      } else if (method === 'silent') {
        // Never answers: the client's timeout ends the call.
      } else {
        req.socket.destroy();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

const clients = (timeout = 10_000) =>
  [undefined, slackFetch].map(
    (fetch) =>
      new WebClient('xoxb-test', {
        slackApiUrl: base,
        retryConfig: { retries: 0 },
        rejectRateLimitedCalls: true,
        timeout,
        ...(fetch ? { fetch } : {}),
      }),
  );

/** What a call ends with, in terms a caller can see. */
async function outcome(call: () => Promise<unknown>): Promise<unknown> {
  try {
    return { result: await call() };
  } catch (err) {
    const e = err as { code?: string; message?: string; statusCode?: number; statusMessage?: string; headers?: unknown; body?: unknown };
    return { code: e.code, message: e.message, statusCode: e.statusCode, statusMessage: e.statusMessage, headers: e.headers, body: e.body };
  }
}

describe('slackFetch under the Web API client', () => {
  it('gives the same results and errors as fetch', async () => {
    const cases: Array<(c: WebClient) => Promise<unknown>> = [
      (c) => c.chat.postMessage({ channel: 'C1', text: 'hello', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }] }),
      (c) => c.views.open({ trigger_id: 't', view: { type: 'modal', title: { type: 'plain_text', text: 'x' }, blocks: [] } }),
      (c) => c.apiCall('limited'),
      (c) => c.apiCall('broken'),
      (c) => c.apiCall('moved'),
      (c) => c.apiCall('hangup'),
    ];
    const [viaFetch, viaUndici] = clients();
    const [fetchQuick, undiciQuick] = clients(300);
    if (!viaFetch || !viaUndici || !fetchQuick || !undiciQuick) throw new Error('two clients expected');
    const pairs = [
      ...cases.map((run) => [run, viaFetch, viaUndici] as const),
      [(c: WebClient) => c.apiCall('silent'), fetchQuick, undiciQuick] as const,
    ];
    for (const [run, viaFetch, viaUndici] of pairs) {
      received.length = 0;
      const expected = await outcome(() => run(viaFetch));
      const sentByFetch = [...received];
      received.length = 0;
      const got = await outcome(() => run(viaUndici));
      expect(got).toEqual(expected);
      expect(received).toEqual(sentByFetch);
    }
  });

  it('sends the form body and the token, and reads the answer', async () => {
    received.length = 0;
    const [, client] = clients();
    const result = await client?.chat.postMessage({ channel: 'C1', text: 'hello' });
    expect(result).toMatchObject({ ok: true, channel: 'C1', ts: '1.2', response_metadata: { scopes: ['chat:write', 'commands'] } });
    expect(received).toEqual([
      {
        url: '/api/chat.postMessage',
        auth: 'Bearer xoxb-test',
        contentType: 'application/x-www-form-urlencoded',
        body: 'channel=C1&text=hello',
      },
    ]);
  });
});
