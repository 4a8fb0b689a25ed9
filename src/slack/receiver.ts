import type { IncomingMessage, ServerOptions, ServerResponse } from 'node:http';
import type { ListenOptions } from 'node:net';
import { parse as parseQuery } from 'node:querystring';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HTTPReceiver, type HTTPReceiverOptions } from '@slack/bolt';
import type { DirectHandler } from './direct.js';

// Bolt's HTTPReceiver checks a request's signature and that its timestamp is not more than 5 minutes old — but
// only after it has read the whole body (up to 4 MB, from anyone). Closed here, before Bolt sees the request:
// - a request without the signature headers, or with a timestamp more than 5 minutes off (either way: Bolt only
//   looks back, so a clock running ahead could replay for longer), is refused from its headers, body unread
//   (but for a body of at most 1 KiB, read to tell whether it is Slack's unsigned ssl_check);
// - a body declared or found larger than what Slack sends is refused (413), and all bodies being read at once
//   may hold at most TOTAL_BUFFERED bytes (503 past it), so slow uploads can't pile up memory;
// - the server itself gives headers and whole requests a deadline (a trickled body is cut off);
// - a signed body whose JSON is `null` (`payload=null`, or a JSON body `null`) makes Bolt read `null.ssl_check`:
//   an unhandled rejection, and a request left without an answer.
// The signature is checked here, once, and Bolt's own check is off: Bolt's compares through tsscmp (two more HMACs
// and random bytes per request) and parses a form body an extra time to look for ssl_check.

const MAX_SKEW_S = 5 * 60;
/**
 * The largest body Slack sends. A view submission carries the view (at most 100 blocks; Slack caps a
 * plain_text_input at 3 000 characters) with each input's value twice (initial_value and state), URL-encoded:
 * 100 × 6 000 characters at up to 3 bytes each is 1.8 MB. Our own views are far smaller; 2 MiB covers the worst.
 */
export const BODY_LIMIT = 2 * 1024 * 1024;
/** An unsigned body is read only if it is at most this big (Slack's ssl_check), and for at most this long. */
const SSL_CHECK_MAX = 1024;
const SSL_CHECK_WAIT_MS = 2000;
/** What all the bodies being read at one moment may hold together. */
const TOTAL_BUFFERED = 32 * 1024 * 1024;
/** Slack sends a request in well under a second; these bound what a slow client can hold open. */
export const SERVER_TIMEOUTS = { headersTimeoutMs: 10_000, requestTimeoutMs: 15_000 } as const;

function refuse(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  // The body may be unread: close the connection rather than read (or wait for) the rest of it.
  res.writeHead(status, { connection: 'close', ...headers });
  res.end(() => res.req.destroy());
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return typeof v === 'string' ? v : undefined;
}

/**
 * Whether Bolt would parse the body into JSON `null`: the JSON text (or a form's `payload`) is `null` with white
 * space around it. Checked on the text, so ordinary requests are not parsed an extra time.
 */
function isNullBody(raw: string, contentType: string | undefined): boolean {
  if (contentType === 'application/x-www-form-urlencoded') {
    const { payload } = parseQuery(raw);
    return typeof payload === 'string' && payload.trim() === 'null';
  }
  return raw.trim() === 'null';
}

/**
 * Slack's v0 signature, checked as Bolt checks it (the timestamp as a number, the hash after the first `=`), with a
 * constant-time compare of equal-length digests.
 */
function signedBySlack(secret: string, ts: number, signature: string, raw: string): boolean {
  const [version, hash] = signature.split('=');
  if (version !== 'v0' || !hash) return false;
  const expected = createHmac('sha256', secret).update(`v0:${ts}:${raw}`).digest();
  const given = Buffer.from(hash, 'hex');
  // Buffer.from drops what isn't hex, so the round trip must give the same text back (Bolt compares the text).
  return given.length === expected.length && given.toString('hex') === hash && timingSafeEqual(given, expected);
}

/** The request's path as the URL parser gives it; a plain path (Slack's) is taken as it is, without parsing. */
function pathOf(url: string | undefined): string {
  if (url !== undefined && PLAIN_PATH.test(url)) return url;
  return new URL(url ?? '/', 'http://localhost').pathname;
}
/** Letters, digits, `/`, `-` and `_` after a leading `/`, with no `//`: nothing the URL parser would change. */
const PLAIN_PATH = /^(\/[A-Za-z0-9_-]+)+$/;

/** The bytes held by the bodies one receiver is reading right now, across requests, and how many it may hold. */
interface Pool {
  held: number;
  readonly max: number;
}

/**
 * One body being read. A class rather than closures: the bundle keeps function names (esbuild's keepNames), which
 * costs an Object.defineProperty for every named closure made per request; methods are named once.
 */
class BodyReader {
  private chunks: Buffer[] = [];
  private size = 0;
  private settled = false;

  constructor(
    private readonly limit: number,
    private readonly pool: Pool,
    private readonly resolve: (result: Buffer | 'too large' | 'busy') => void,
  ) {}

  data(chunk: Buffer): void {
    // After the answer, what still arrives is dropped (the request is refused or answered, and then destroyed).
    if (this.settled) return;
    if (this.size + chunk.length > this.limit) {
      this.done('too large');
      return;
    }
    if (this.pool.held + chunk.length > this.pool.max) {
      this.done('busy');
      return;
    }
    this.size += chunk.length;
    this.pool.held += chunk.length;
    this.chunks.push(chunk);
  }

  done(result: Buffer | 'too large' | 'busy' | 'whole'): void {
    if (this.settled) return;
    this.settled = true;
    this.pool.held -= this.size;
    this.size = 0;
    const chunks = this.chunks;
    this.chunks = [];
    this.resolve(result === 'whole' ? Buffer.concat(chunks) : result);
  }
}

function readBody(req: IncomingMessage, limit: number, pool: Pool): Promise<Buffer | 'too large' | 'busy'> {
  return new Promise((resolve) => {
    const reader = new BodyReader(limit, pool, resolve);
    req.on('data', (chunk: Buffer) => reader.data(chunk));
    req.on('end', () => reader.done('whole'));
    // The client went away (or the server's request timeout cut it off): nothing to answer, memory given back.
    req.on('close', () => reader.done('too large'));
    req.on('error', () => reader.done('too large'));
  });
}

export interface StrictReceiverOptions {
  /** Largest body accepted (default {@link BODY_LIMIT}). */
  bodyLimit?: number;
  /** What all bodies being read at once may hold (default 32 MiB). */
  totalBuffered?: number;
  /** Node's headersTimeout and requestTimeout (defaults {@link SERVER_TIMEOUTS}). */
  headersTimeoutMs?: number;
  requestTimeoutMs?: number;
  /** Handles a verified request without Bolt when it can (slack/direct.ts); what it declines goes to Bolt. */
  direct?: DirectHandler | undefined;
}

/** Bolt's HTTPReceiver, with the checks above in front of `endpoints` (default `/slack/events`). */
export function strictHttpReceiver(options: HTTPReceiverOptions & { signingSecret: string } & StrictReceiverOptions): HTTPReceiver {
  const limit = options.bodyLimit ?? BODY_LIMIT;
  const pool: Pool = { held: 0, max: options.totalBuffered ?? TOTAL_BUFFERED };
  const requestTimeout = options.requestTimeoutMs ?? SERVER_TIMEOUTS.requestTimeoutMs;
  const headersTimeout = Math.min(options.headersTimeoutMs ?? SERVER_TIMEOUTS.headersTimeoutMs, requestTimeout);
  const receiver = new HTTPReceiver({ ...options, signatureVerification: false });
  const warn = (message: string) => options.logger?.warn(message);
  const endpoints = new Set(Array.isArray(options.endpoints) ? options.endpoints : [options.endpoints ?? '/slack/events']);
  const bolt = receiver.requestListener;
  receiver.requestListener = (req, res) => {
    const path = pathOf(req.url);
    if (req.method !== 'POST' || !endpoints.has(path)) {
      bolt(req, res);
      return;
    }
    // From the headers alone: no body is read for a request that can't be Slack's.
    const ts = Number(header(req, 'x-slack-request-timestamp'));
    const signature = header(req, 'x-slack-signature');
    const declared = Number(header(req, 'content-length'));
    if (!signature || !Number.isFinite(ts)) {
      // The one unsigned request Slack sends is `ssl_check=1` (a few dozen bytes): a body that small is read, briefly,
      // to tell; Bolt answers it and drops anything smuggled beside it. Anything else unsigned is refused now.
      if (!(declared <= SSL_CHECK_MAX)) return refuse(res, 401);
      const deadline = setTimeout(() => req.destroy(), SSL_CHECK_WAIT_MS);
      void readBody(req, SSL_CHECK_MAX, pool)
        .then((body) => {
          if (typeof body === 'string' || parseQuery(body.toString('utf8')).ssl_check !== '1') return refuse(res, 401);
          // Only the check itself reaches Bolt: nothing smuggled beside it (Bolt stripped it when it verified).
          Object.assign(req, { rawBody: Buffer.from('ssl_check=1') });
          bolt(req, res);
        })
        .catch(() => refuse(res, 401))
        .finally(() => clearTimeout(deadline));
      return;
    }
    if (Math.abs(Date.now() / 1000 - ts) > MAX_SKEW_S) {
      refuse(res, 401);
      return;
    }
    if (Number.isFinite(declared) && declared > limit) {
      refuse(res, 413);
      return;
    }
    void readBody(req, limit, pool)
      .then((body) => {
        if (body === 'too large') return refuse(res, 413);
        if (body === 'busy') return refuse(res, 503, { 'retry-after': '1' });
        const raw = body.toString('utf8');
        if (!signedBySlack(options.signingSecret, ts, signature, raw)) {
          warn('Failed to parse and verify the request data: signature mismatch');
          return refuse(res, 401);
        }
        const contentType = header(req, 'content-type');
        // First, so that a body it handles is parsed once (it declines a `null` body).
        if (options.direct?.(raw, contentType, req, res)) return;
        // A signed `null` body would make Bolt read `null.ssl_check`.
        if (isNullBody(raw, contentType)) return refuse(res, 400);
        // Bolt reads the body from here instead of the (consumed) stream.
        Object.assign(req, { rawBody: body });
        bolt(req, res);
      })
      .catch(() => refuse(res, 400));
  };
  // The HTTP server's own deadlines: headers, then the whole request, checked every second (Node's default is 30 s).
  const start = receiver.start.bind(receiver) as (listen: number | ListenOptions, serverOptions?: ServerOptions) => Promise<unknown>;
  receiver.start = ((port: number | ListenOptions, serverOptions: ServerOptions = {}) =>
    start(port, {
      headersTimeout: headersTimeout,
      requestTimeout,
      connectionsCheckingInterval: Math.min(1000, requestTimeout),
      ...serverOptions,
    })) as HTTPReceiver['start'];
  return receiver;
}
