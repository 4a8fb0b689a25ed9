import type { IncomingMessage, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { type AckFn, HTTPResponseAck, RespondError, type Logger, type RespondArguments, type RespondFn } from '@slack/bolt';
import { type FetchFunction, WebClient, type WebClientOptions } from '@slack/web-api';
import type { Dispatch, ListenerArgs, PayloadType } from './dispatch.js';
import { prebuiltJson } from './prebuilt.js';

// The direct path (HTTP mode): a signed command, block action, view submission or options request whose id is in
// the dispatch table runs its handler here, without Bolt's processEvent. Bolt builds a context, an authorize result,
// a client-options copy, say() and respond(), then runs the global middleware chain and every listener's chain
// (spreading the whole argument object at each step). Without it the bench's CPU per ack went from 0.31 to 0.25 ms
// on a quieter machine (0.72-0.89 to 0.37-0.43 ms under load); at 100 requests in flight the tail is CPU queued up.
// What a listener gets is what Bolt gives it, built the same way: Bolt's own HTTPResponseAck (ack once, the response
// written at once, 404 and a logged error when nothing acks within 3 s), the per-team Web API client (calls carry
// the payload's team_id), respond() to the payload's response_url (through the clients' fetch, as Bolt's), and
// errors to the app's error handler. The request id and the origin check are the `guard` the app also gives Bolt
// as its global middleware.
// Anything else — ssl_check, url_verification, events, shortcuts, view_closed, an id nobody registered, a body
// Bolt would refuse to parse — goes to Bolt, which answers it as before. Socket Mode never comes here.

/** The app's global middleware as a function: runs `next` for a payload it admits; otherwise acks and drops it. */
export type Guard = (
  body: Record<string, unknown>,
  ack: (message?: { text: string }) => Promise<void>,
  next: () => Promise<void>,
) => Promise<void>;

export interface DirectOptions {
  dispatch: Dispatch;
  token: string;
  /** Bolt's Web API client options (app.webClientOptions: ours plus Bolt's logger), read once the app exists. */
  clientOptions: () => WebClientOptions;
  guard: Guard;
  /** The app's error handler (what app.error registered). */
  onError: (error: Error) => Promise<void>;
  logger: Logger;
}

/** Handles the request and returns true, or returns false (nothing written, nothing read) to leave it to Bolt. */
export type DirectHandler = (raw: string, contentType: string | undefined, req: IncomingMessage, res: ServerResponse) => boolean;

type Body = Record<string, unknown>;

const obj = (v: unknown): Body | undefined => (v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Body) : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** The body as Bolt's parseHTTPRequestBody reads it, or undefined where Bolt would throw (it answers that 400). */
export function parseBody(raw: string, contentType: string | undefined): Body | undefined {
  try {
    if (contentType === 'application/x-www-form-urlencoded') {
      const form = parseQuery(raw);
      return typeof form.payload === 'string' ? obj(JSON.parse(form.payload)) : (form as Body);
    }
    return obj(JSON.parse(raw));
  } catch {
    return undefined;
  }
}

/** The handler for a payload and what it is called with, chosen as Bolt's type checks and our one listener per type do. */
export function routeOf(dispatch: Dispatch, body: Body): ((tools: ListenerArgs) => Promise<void>) | undefined {
  const target = targetOf(body);
  const payload = target?.payload;
  const handler = payload && dispatch.handlerOf(target.type, str(target.id));
  return handler && ((tools: ListenerArgs) => handler({ ack: tools.ack, client: tools.client, respond: tools.respond, body, payload }));
}

/** Which table, which id and which part of the body a payload is for; undefined when it is none of ours. */
function targetOf(body: Body): { type: PayloadType; id: unknown; payload: Body | undefined } | undefined {
  // Answered by Bolt before any listener, or not a listener's payload at all.
  if (body.ssl_check === '1' || body.type === 'url_verification' || body.event !== undefined) return undefined;
  if (body.command !== undefined) return { type: 'command', id: body.command, payload: body };
  // Bolt takes anything with `name` (legacy dialogs) or a block_suggestion as an options request.
  if (body.name !== undefined || body.type === 'block_suggestion') {
    return body.type === 'block_suggestion' ? { type: 'options', id: body.action_id, payload: body } : undefined;
  }
  if (body.actions !== undefined || body.type === 'dialog_submission') {
    const action = Array.isArray(body.actions) ? obj(body.actions[0]) : undefined;
    return body.type === 'block_actions' ? { type: 'action', id: action?.action_id, payload: action } : undefined;
  }
  return body.type === 'view_submission' ? { type: 'view', id: obj(body.view)?.callback_id, payload: obj(body.view) } : undefined;
}

/**
 * The team whose client Bolt hands a listener (App.processEvent's buildSource): the command's team_id; for the
 * others the view's installing team, else `team.id`, else the user's team. Without one, the enterprise's.
 */
export function clientKeyOf(body: Body): { teamId?: string; enterpriseId?: string } {
  const team = obj(body.team);
  const teamId =
    body.command !== undefined
      ? str(body.team_id)
      : ((str(obj(body.view)?.app_installed_team_id) || undefined) ?? (team ? str(team.id) : str(obj(body.user)?.team_id)));
  const enterpriseId = body.command !== undefined ? str(body.enterprise_id) : (str(obj(body.enterprise)?.id) ?? str(team?.enterprise_id));
  return { ...(teamId !== undefined ? { teamId } : {}), ...(enterpriseId !== undefined ? { enterpriseId } : {}) };
}

/** respond() as Bolt's createRespond builds it: a POST of the message to the response URL, failing on a non-2xx. */
function respondTo(url: string | undefined, fetchFn: FetchFunction): RespondFn {
  return async (message: string | RespondArguments) => {
    // Bolt leaves respond out when the payload has no response URL; calling it then fails, here as there.
    if (url === undefined) throw new TypeError('respond is not available: the payload has no response_url');
    const response = await fetchFn(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(typeof message === 'string' ? { text: message } : message),
    });
    if (!response.ok)
      throw new RespondError(`Failed to respond to the response_url: ${response.status} ${response.statusText}`, response.status);
    return response;
  };
}

function responseUrlOf(body: Body): string | undefined {
  const urls = body.response_urls;
  return str(body.response_url) || (Array.isArray(urls) ? str(obj(urls[0])?.response_url) : undefined);
}

/**
 * Bolt's ack, except that a body made by prebuilt() (the help) is written from its kept JSON: the same status, header
 * and text Bolt's buildContentResponse writes, and the same bookkeeping (acknowledged once, the 3 s timer cleared).
 */
function ackWith(responder: HTTPResponseAck, res: ServerResponse): AckFn<unknown> {
  const boltAck = responder.bind();
  let answered = false;
  return async (message) => {
    // Only a first ack is written here; a second goes to Bolt's, which refuses it as before.
    const json = answered ? undefined : prebuiltJson(message);
    answered = true;
    if (json === undefined) return boltAck(message);
    responder.ack();
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(json);
  };
}

export function directHandler(options: DirectOptions): DirectHandler {
  // One client per team (or enterprise), as Bolt pools them: the token is the app's only one.
  const clients = new Map<string, WebClient>();
  const clientFor = (body: Body): WebClient => {
    const { teamId, enterpriseId } = clientKeyOf(body);
    const key = teamId ?? enterpriseId ?? '';
    let client = clients.get(key);
    if (client === undefined) {
      client = new WebClient(options.token, { ...options.clientOptions(), ...(teamId !== undefined ? { teamId } : {}) });
      clients.set(key, client);
    }
    return client;
  };

  return (raw, contentType, req, res) => {
    const body = parseBody(raw, contentType);
    const route = body && routeOf(options.dispatch, body);
    if (!body || !route) return false;
    const responder = new HTTPResponseAck({
      logger: options.logger,
      processBeforeResponse: false,
      httpRequest: req,
      httpRequestBody: body,
      httpResponse: res,
    });
    const ack = ackWith(responder, res);
    const args: ListenerArgs = {
      ack,
      client: clientFor(body),
      respond: respondTo(responseUrlOf(body), options.clientOptions().fetch ?? fetch),
    };
    void options
      .guard(
        body,
        () => ack(),
        () => route(args),
      )
      .catch((error: unknown) => options.onError(error instanceof Error ? error : new Error(String(error))))
      .catch(() => undefined);
    return true;
  };
}
