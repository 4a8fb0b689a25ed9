import { STATUS_CODES } from 'node:http';
import type { FetchFunction } from '@slack/web-api';
import { request } from 'undici';

// The Web API client (and Bolt's respond()) call Node's fetch. For the small string bodies they send, fetch turns
// the body into a web stream and writes it as an async iterable, with AbortSignal and Request objects around it:
// about twice the CPU of undici's own request() for the same exchange, on every views.open, chat.postMessage and
// views.update. This is fetch's contract as those clients use it, through request(): status, headers, text().
// Anything else (FormData: file uploads, which this app doesn't make) still goes through fetch.

type Init = Parameters<FetchFunction>[1];
type FetchResponse = Awaited<ReturnType<FetchFunction>>;
type FetchHeaders = FetchResponse['headers'];

function headersOf(raw: Record<string, string | string[] | undefined>): FetchHeaders {
  const joined = (v: string | string[] | undefined) => (Array.isArray(v) ? v.join(', ') : v);
  return {
    get: (name: string) => joined(raw[name.toLowerCase()]) ?? null,
    entries: () => Object.entries(raw).flatMap(([k, v]) => (v === undefined ? [] : ([[k, joined(v) ?? '']] as Array<[string, string]>))),
  };
}

export const slackFetch: FetchFunction = async (url, init?: Init) => {
  if (typeof init?.body !== 'string') return fetch(url, init);
  const href = String(url);
  let res: Awaited<ReturnType<typeof request>>;
  try {
    res = await request(href, {
      method: (init.method ?? 'POST') as 'POST',
      headers: init.headers ?? {},
      body: init.body,
      ...(init.signal ? { signal: init.signal } : {}),
    });
  } catch (err) {
    // As fetch fails: the signal's reason when it was aborted (a timeout), else TypeError('fetch failed').
    if (init.signal?.aborted) throw init.signal.reason;
    throw new TypeError('fetch failed', { cause: err });
  }
  // The clients ask for redirect: 'error' (Slack's API never redirects); fetch then fails the call.
  if (res.statusCode >= 300 && res.statusCode < 400 && init.redirect !== 'follow' && init.redirect !== 'manual') {
    await res.body.dump();
    throw new TypeError('fetch failed', { cause: new Error(`unexpected redirect (${res.statusCode})`) });
  }
  const text = await res.body.text();
  // clone(): the body is read already, so a copy is the same answer (the metrics' fetch reads Slack's error from one).
  const response: FetchResponse & { clone(): FetchResponse } = {
    ok: res.statusCode >= 200 && res.statusCode < 300,
    status: res.statusCode,
    statusText: STATUS_CODES[res.statusCode] ?? '',
    url: href,
    headers: headersOf(res.headers),
    text: async () => text,
    json: async () => JSON.parse(text) as unknown,
    arrayBuffer: async () => new TextEncoder().encode(text).buffer as ArrayBuffer,
    clone: () => response,
  };
  return response;
};
