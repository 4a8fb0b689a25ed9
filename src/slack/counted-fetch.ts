import type { WebClientOptions } from '@slack/web-api';

// Every Web API call of every WebClient the app makes (Bolt's own included: they all take the same client options)
// goes through one fetch. Wrapping it is the one place that sees each call's outcome, so Slack API errors are
// counted here, by method and Slack's error code. Each HTTP attempt counts: a call the client retries after a
// network error or a 429 counts once per attempt.

type Fetch = NonNullable<WebClientOptions['fetch']>;
type Response = Awaited<ReturnType<Fetch>>;

/** A Web API method name (`chat.postMessage`); anything else (a URL we don't know) is `other`. */
export function methodOf(url: string | URL): string {
  const last = URL.canParse(String(url)) ? (new URL(String(url)).pathname.split('/').pop() ?? '') : '';
  return /^[a-z][a-zA-Z]*(\.[a-zA-Z]+)+$/.test(last) ? last : 'other';
}

/** Slack's error code as a label: its codes are snake_case words; anything else (a proxy's text) is `other`. */
function codeOf(error: unknown): string {
  return typeof error === 'string' && /^[a-z0-9_]{1,64}$/.test(error) ? error : 'other';
}

function cloneable(res: Response): res is Response & { clone(): Response } {
  return typeof (res as { clone?: unknown }).clone === 'function';
}

const NOT_OK = /"ok"\s*:\s*false/;

/** Slack's `{ok: false, error}` on an HTTP 200, read from a copy of the body (the client reads the original). */
async function platformError(res: Response): Promise<string | undefined> {
  if (!cloneable(res) || !res.headers.get('content-type')?.includes('json')) return undefined;
  try {
    const text = await res.clone().text();
    // Most answers are ok, and a view's answer is the whole view: text without `"ok"` then `false` can't be
    // {ok: false} (a key spelt with escapes, the one other way to write it, has a backslash-u: that is parsed).
    if (!NOT_OK.test(text) && !text.includes('\\u')) return undefined;
    const body = JSON.parse(text) as unknown;
    if (body && typeof body === 'object' && (body as { ok?: unknown }).ok === false) return codeOf((body as { error?: unknown }).error);
  } catch {
    // Not JSON after all: the client reports it; nothing to count here.
  }
  return undefined;
}

/** `inner` (the global fetch by default), telling `onError` of each failed Web API call: method and error code. */
export function countingFetch(onError: (method: string, error: string) => void, inner: Fetch = globalThis.fetch as Fetch): Fetch {
  return async (url, init) => {
    const method = methodOf(url);
    let res: Response;
    try {
      res = await inner(url, init);
    } catch (err) {
      onError(method, err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError') ? 'timeout' : 'request_error');
      throw err;
    }
    if (res.status === 429) onError(method, 'ratelimited');
    else if (res.status !== 200) onError(method, `http_${res.status}`);
    else {
      const code = await platformError(res);
      if (code !== undefined) onError(method, code);
    }
    return res;
  };
}
