import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { HTTPReceiver, isValidSlackRequest, type HTTPReceiverOptions } from '@slack/bolt';

// Bolt's HTTPReceiver checks a request's signature and that its timestamp is not more than 5 minutes old.
// Two gaps remain, closed here before Bolt sees the request:
// - a timestamp in the future passes (Bolt only looks back), so a request signed with a clock running ahead
//   could be replayed for longer than 5 minutes;
// - a signed body whose JSON is `null` (`payload=null`, or a JSON body `null`) makes Bolt read `null.ssl_check`:
//   an unhandled rejection, and a request left without an answer.

const MAX_SKEW_S = 5 * 60;
/** Bolt's own limit (it answers 413 past it). */
const BODY_LIMIT = 4 * 1024 * 1024;

function refuse(res: ServerResponse, status: number): void {
  res.writeHead(status);
  res.end();
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

function readBody(req: IncomingMessage): Promise<Buffer | 'too large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > BODY_LIMIT) {
        req.removeAllListeners('data');
        req.resume();
        resolve('too large');
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Bolt's HTTPReceiver, with the two checks above in front of `endpoints` (default `/slack/events`). */
export function strictHttpReceiver(options: HTTPReceiverOptions & { signingSecret: string }): HTTPReceiver {
  const receiver = new HTTPReceiver(options);
  const endpoints = new Set(Array.isArray(options.endpoints) ? options.endpoints : [options.endpoints ?? '/slack/events']);
  const bolt = receiver.requestListener;
  receiver.requestListener = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'POST' || !endpoints.has(path)) {
      bolt(req, res);
      return;
    }
    const ts = Number(header(req, 'x-slack-request-timestamp'));
    if (Number.isFinite(ts) && ts > Date.now() / 1000 + MAX_SKEW_S) {
      refuse(res, 401);
      return;
    }
    void readBody(req)
      .then((body) => {
        if (body === 'too large') return refuse(res, 413);
        const raw = body.toString('utf8');
        // Only a `null` body needs a decision here; the signature is checked (again, by Bolt) for everything else.
        if (isNullBody(raw, header(req, 'content-type'))) {
          const signed = isValidSlackRequest({
            signingSecret: options.signingSecret,
            body: raw,
            headers: { 'x-slack-signature': header(req, 'x-slack-signature') ?? '', 'x-slack-request-timestamp': ts },
          });
          return refuse(res, signed ? 400 : 401);
        }
        // Bolt reads the body from here instead of the (consumed) stream.
        Object.assign(req, { rawBody: body });
        bolt(req, res);
      })
      .catch(() => refuse(res, 400));
  };
  return receiver;
}
