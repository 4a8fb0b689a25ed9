// Requests whose signature is missing, wrong or stale, and replays: each is refused before any listener runs.
// (test/e2e/security.test.ts already covers a forged secret, a 6-minute-old timestamp, no headers at all and a
// signature over another body; these are the other ways to get it wrong.)
import { randomUUID } from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';
import { slackSignature } from '../support/driver.js';
import { forgedCommandBody } from '../support/forged.js';
import type { TestEnv } from '../support/env.js';
import { BOT_TOKEN } from '../support/app.js';
import { expectNothingSent } from './sent.js';
import type { Tally } from './tally.js';

function commandBody(h: TestEnv): string {
  return forgedCommandBody(`trigger-${randomUUID()}`, h.slack.responseUrl());
}

interface SignatureCase {
  name: string;
  /** Headers for `body` (content-type is added); `now` is the current Unix time. */
  headers(h: TestEnv, body: string, now: number): Array<[string, string]>;
  /** Default: the body is the command above. */
  body?(h: TestEnv): string;
  contentType?: string;
  /** Default 401. */
  status?: number;
}

const sign = (h: TestEnv, body: string, ts: number) => h.app.driver.sign(body, ts);

const CASES: SignatureCase[] = [
  { name: 'the timestamp header is missing', headers: (h, b, now) => [['x-slack-signature', sign(h, b, now)]] },
  { name: 'the signature header is missing', headers: (_h, _b, now) => [['x-slack-request-timestamp', String(now)]] },
  {
    name: 'the signature is empty',
    headers: (_h, _b, now) => [
      ['x-slack-request-timestamp', String(now)],
      ['x-slack-signature', ''],
    ],
  },
  {
    name: 'the right hash under another version (v1=)',
    headers: (h, b, now) => [
      ['x-slack-request-timestamp', String(now)],
      ['x-slack-signature', sign(h, b, now).replace(/^v0=/, 'v1=')],
    ],
  },
  {
    name: 'the right hash cut short',
    headers: (h, b, now) => [
      ['x-slack-request-timestamp', String(now)],
      ['x-slack-signature', sign(h, b, now).slice(0, 40)],
    ],
  },
  {
    name: 'the right hash in upper case',
    headers: (h, b, now) => [
      ['x-slack-request-timestamp', String(now)],
      ['x-slack-signature', `v0=${sign(h, b, now).slice(3).toUpperCase()}`],
    ],
  },
  {
    name: 'two signature headers, the first one valid',
    headers: (h, b, now) => [
      ['x-slack-request-timestamp', String(now)],
      ['x-slack-signature', sign(h, b, now)],
      ['x-slack-signature', `v0=${'0'.repeat(64)}`],
    ],
  },
  {
    name: 'the timestamp is not a number',
    headers: (_h, b) => [
      ['x-slack-request-timestamp', 'now'],
      ['x-slack-signature', slackSignature('test-signing-secret', Number.NaN, b)],
    ],
  },
  {
    name: 'signed for one timestamp, sent with the next second',
    headers: (h, b, now) => [
      ['x-slack-request-timestamp', String(now)],
      ['x-slack-signature', sign(h, b, now - 1)],
    ],
  },
  {
    name: 'correctly signed but 5 minutes and 1 second old',
    headers: (h, b, now) => [
      ['x-slack-request-timestamp', String(now - 301)],
      ['x-slack-signature', sign(h, b, now - 301)],
    ],
  },
  {
    name: 'signed with the bot token instead of the signing secret',
    headers: (_h, b, now) => [
      ['x-slack-request-timestamp', String(now)],
      ['x-slack-signature', slackSignature(BOT_TOKEN, now, b)],
    ],
  },
  {
    name: 'an unsigned url_verification challenge',
    body: () => JSON.stringify({ type: 'url_verification', challenge: 'unsigned', token: 'x' }),
    contentType: 'application/json',
    headers: (_h, _b, now) => [['x-slack-request-timestamp', String(now)]],
  },
  {
    // Bolt answers ssl_check without a signature, but must drop what was smuggled beside it.
    name: 'an unsigned ssl_check carrying a command',
    body: (h) => `ssl_check=1&${commandBody(h)}`,
    headers: () => [],
    status: 200,
  },
];

async function send(h: TestEnv, body: string, headers: Array<[string, string]>, contentType = 'application/x-www-form-urlencoded') {
  const sent = new Headers({ 'content-type': contentType });
  for (const [k, v] of headers) sent.append(k, v);
  const res = await fetch(h.app.eventsUrl, { method: 'POST', headers: sent, body, signal: AbortSignal.timeout(5000) });
  await res.text();
  return res.status;
}

export function signatureCases(h: TestEnv, tally: Tally): void {
  describe('signatures', () => {
    it.each(CASES)('refuses a request when $name', async (c) =>
      tally.run('signatures', 'refused', async () => {
        const body = c.body ? c.body(h) : commandBody(h);
        const status = await send(h, body, c.headers(h, body, Math.floor(Date.now() / 1000)), c.contentType);
        expect(status).toBe(c.status ?? 401);
        // A signed command sent afterwards runs, and is all that ran.
        const triggerId = `trigger-after-${randomUUID()}`;
        expect((await h.app.driver.command({ text: 'help', triggerId })).status).toBe(200);
        expectNothingSent(h);
      }),
    );

    it('refuses a captured request replayed, byte for byte, 5 minutes and 1 second later', async () =>
      tally.run('signatures', 'refused', async () => {
        const body = commandBody(h);
        const now = Math.floor(Date.now() / 1000);
        const headers: Array<[string, string]> = [
          ['x-slack-request-timestamp', String(now)],
          ['x-slack-signature', sign(h, body, now)],
        ];
        expect(await send(h, body, headers)).toBe(200);
        await h.slack.waitFor('views.open');
        h.slack.reset();
        vi.useFakeTimers({ toFake: ['Date'] });
        try {
          vi.setSystemTime((now + 301) * 1000);
          expect(await send(h, body, headers)).toBe(401);
        } finally {
          vi.useRealTimers();
        }
        expectNothingSent(h);
      }));
  });
}
