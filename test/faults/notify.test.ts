import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLog } from '../../src/log.js';
import { postWithFallbacks } from '../../src/slack/notify.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';

// Posting a result when Slack rate-limits the channel post, with a client that hands rate limits back to the
// caller (rejectRateLimitedCalls) instead of pausing for Retry-After: a short wait is worth it to land in the
// channel itself; a long one must not hold the result, so the reply link takes it at once.

let slack: FakeSlack;
let client: WebClient;
const log = createLog('silent');
const message = { text: 'Workspace Data created — id ws-1, slug data' };

beforeAll(async () => {
  slack = await startFakeSlack();
  client = new WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, rejectRateLimitedCalls: true, retryConfig: { retries: 0 } });
});
afterAll(async () => {
  await slack.close();
});
beforeEach(() => slack.reset());

describe('postWithFallbacks when chat.postMessage is rate_limited', () => {
  it('a Retry-After of 1 s is waited out once, and the message lands in the channel', async () => {
    slack.fail('chat.postMessage', 'rate_limited', { retryAfter: 1 });
    const responseUrl = slack.responseUrl();

    const delivery = await postWithFallbacks(client, { channelId: 'C_DATA', responseUrl, userId: 'U_ALICE' }, message, log);

    expect(delivery).toBe('channel');
    const posts = slack.callsTo('chat.postMessage');
    expect(posts.map((c) => [c.args.channel, c.args.text, c.httpStatus, c.error])).toEqual([
      ['C_DATA', message.text, 429, 'rate_limited'],
      ['C_DATA', message.text, 200, undefined],
    ]);
    expect((posts[1]?.at ?? 0) - (posts[0]?.at ?? 0)).toBeGreaterThanOrEqual(1000);
    expect(slack.responses).toEqual([]);
  });

  it('a Retry-After of 30 s is not waited for: the reply link posts it in the channel now', async () => {
    slack.fail('chat.postMessage', 'rate_limited', { retryAfter: 30 });
    const responseUrl = slack.responseUrl();
    const startedAt = Date.now();

    const delivery = await postWithFallbacks(client, { channelId: 'C_DATA', responseUrl, userId: 'U_ALICE' }, message, log);

    expect(delivery).toBe('response_url');
    expect(Date.now() - startedAt).toBeLessThan(1000);
    expect(slack.callsTo('chat.postMessage').map((c) => c.error)).toEqual(['rate_limited']);
    expect(slack.responses.map((r) => [r.url, r.body])).toEqual([[responseUrl, { ...message, response_type: 'in_channel' }]]);
  });

  it('rate-limited twice in a row: one wait only, then the reply link', async () => {
    slack.fail('chat.postMessage', 'rate_limited', { retryAfter: 1, times: 2 });
    const responseUrl = slack.responseUrl();

    const delivery = await postWithFallbacks(client, { channelId: 'C_DATA', responseUrl, userId: 'U_ALICE' }, message, log);

    expect(delivery).toBe('response_url');
    expect(slack.callsTo('chat.postMessage').map((c) => c.error)).toEqual(['rate_limited', 'rate_limited']);
    expect(slack.responses).toHaveLength(1);
  });
});
