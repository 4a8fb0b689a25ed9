import type { KnownBlock } from '@slack/types';
import { ErrorCode, type WebClient } from '@slack/web-api';
import { request } from 'undici';
import type { Log } from '../log.js';
import { errorText } from './errors.js';

export interface Message {
  text: string;
  blocks?: KnownBlock[];
}

export interface Destination {
  channelId?: string | undefined;
  responseUrl?: string | undefined;
  userId: string;
}

export type Delivery = 'channel' | 'response_url' | 'dm' | 'none';

/**
 * Posts a message where the person asked, falling back to the command's response_url and then to a DM,
 * so a result is never silently lost. Returns where it landed.
 */
export async function postWithFallbacks(client: WebClient, to: Destination, message: Message, log: Log): Promise<Delivery> {
  if (to.channelId) {
    try {
      await postInChannel(client, to.channelId, message);
      return 'channel';
    } catch (err) {
      // not_in_channel and channel_not_found are the usual causes; after any failure (even an outage)
      // the fallbacks are still better than silence.
      log.warn({ channel: to.channelId, error: errorText(err) }, 'could not post to the channel, trying fallbacks');
    }
  }
  if (to.responseUrl && (await postToResponseUrl(to.responseUrl, { ...message, response_type: 'in_channel' }, log))) {
    return 'response_url';
  }
  try {
    const dm = await client.conversations.open({ users: to.userId });
    const channel = dm.channel?.id;
    if (channel) {
      await client.chat.postMessage({ channel, text: message.text, blocks: message.blocks, unfurl_links: false });
      return 'dm';
    }
  } catch (err) {
    log.error({ user: to.userId, error: errorText(err) }, 'could not DM the user either');
  }
  return 'none';
}

/** Slack asks to wait at most this long: the result is worth a short wait to land in the channel itself. */
const MAX_RATE_LIMIT_WAIT_S = 3;

/**
 * Posts in the channel. With a client that rejects rate-limited calls (rejectRateLimitedCalls), a short
 * Retry-After is waited out once; a longer one is thrown, so the caller's fallbacks answer the person now.
 */
async function postInChannel(client: WebClient, channel: string, message: Message): Promise<void> {
  const post = () => client.chat.postMessage({ channel, text: message.text, blocks: message.blocks, unfurl_links: false });
  try {
    await post();
  } catch (err) {
    const wait = rateLimitedFor(err);
    if (wait === undefined || wait > MAX_RATE_LIMIT_WAIT_S) throw err;
    await new Promise((r) => setTimeout(r, wait * 1000));
    await post();
  }
}

/** Slack's Retry-After (seconds) when the client rejected a call for rate limiting. */
function rateLimitedFor(err: unknown): number | undefined {
  if (!(err instanceof Error) || !('code' in err) || err.code !== ErrorCode.RateLimitedError) return undefined;
  return 'retryAfter' in err && typeof err.retryAfter === 'number' ? err.retryAfter : undefined;
}

/**
 * Tells one person something privately: the response_url (ephemeral) if we have one, else a DM. Resolves with
 * the route that worked, or undefined when none did.
 */
export async function tellUser(client: WebClient, to: Destination, message: Message, log: Log): Promise<'response_url' | 'dm' | undefined> {
  if (to.responseUrl && (await postToResponseUrl(to.responseUrl, { ...message, response_type: 'ephemeral' }, log))) return 'response_url';
  try {
    const dm = await client.conversations.open({ users: to.userId });
    if (dm.channel?.id) {
      await client.chat.postMessage({ channel: dm.channel.id, text: message.text, blocks: message.blocks });
      return 'dm';
    }
  } catch (err) {
    log.error({ user: to.userId, error: errorText(err) }, 'could not reach the user');
  }
  return undefined;
}

export async function postToResponseUrl(
  url: string,
  body: Message & { response_type?: 'in_channel' | 'ephemeral'; replace_original?: boolean },
  log: Log,
): Promise<boolean> {
  try {
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    await res.body.dump();
    if (res.statusCode >= 200 && res.statusCode < 300) return true;
    log.warn({ status: res.statusCode }, 'response_url refused the message (expired?)');
  } catch (err) {
    log.warn({ error: errorText(err) }, 'response_url could not be reached');
  }
  return false;
}
