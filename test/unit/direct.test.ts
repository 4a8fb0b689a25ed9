import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { App, asCodedError, type Logger } from '@slack/bolt';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDriver, type Driver } from '../support/driver.js';
import { clientKeyOf, directHandler, type Guard } from '../../src/slack/direct.js';
import { Dispatch } from '../../src/slack/dispatch.js';
import { prebuilt } from '../../src/slack/prebuilt.js';
import { strictHttpReceiver } from '../../src/slack/receiver.js';

// The direct path: what the dispatch table handles runs without Bolt's processEvent, with what Bolt would have given
// the handler; everything else still reaches Bolt (whose global middleware records it here).

const SECRET = 'direct-test-secret';
/** A constant answer, as the help is: its JSON kept, written by the direct path's ack. */
const CONSTANT = prebuilt({ response_type: 'ephemeral' as const, text: 'always the same — “quoted”', blocks: [{ type: 'divider' }] });
let app: App;
let driver: Driver;
let respondServer: Server;
let respondUrl: string;
/** What reached the response URL, in order. */
const responded: unknown[] = [];
/** Web API calls the handlers' clients made (the same server stands in for Slack's API): method and team_id. */
const apiCalls: Array<{ method: string | undefined; teamId: string | null }> = [];
/** Which way each payload went: 'direct' (the guard, called by the direct path) or 'bolt' (Bolt's middleware). */
const path: string[] = [];
const ran: Array<{ id: string; args: Record<string, unknown> }> = [];
const errors: Array<{ message: string; code: string }> = [];
const logged: string[] = [];
let refuse = false;

const logger: Logger = {
  debug: () => undefined,
  info: (...m: unknown[]) => void logged.push(m.join(' ')),
  warn: (...m: unknown[]) => void logged.push(m.join(' ')),
  error: (...m: unknown[]) => void logged.push(m.join(' ')),
  setLevel: () => undefined,
  getLevel: () => 'info' as never,
  setName: () => undefined,
};

beforeAll(async () => {
  respondServer = createServer((req, res) => {
    let text = '';
    req.on('data', (c: Buffer) => {
      text += c.toString();
    });
    req.on('end', () => {
      if (req.url?.startsWith('/api/')) {
        apiCalls.push({ method: req.url.slice(5), teamId: new URLSearchParams(text).get('team_id') });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
        return;
      }
      responded.push({ contentType: req.headers['content-type'], body: JSON.parse(text) as unknown });
      res.writeHead(req.url === '/gone' ? 404 : 200).end();
    });
  });
  await new Promise<void>((r) => respondServer.listen(0, '127.0.0.1', r));
  respondUrl = `http://127.0.0.1:${(respondServer.address() as AddressInfo).port}/respond`;

  const dispatch = new Dispatch();
  const guard =
    (via: string): Guard =>
    async (_body, ack, next) => {
      path.push(via);
      if (refuse) return ack();
      return next();
    };
  dispatch.command('/portkey', async ({ ack, command, body, client, respond }) => {
    ran.push({ id: 'command', args: { command, same: command === body } });
    if (command.text === 'hello') await client.api.test();
    if (command.text === 'twice') {
      await ack();
      await ack();
      return;
    }
    if (command.text === 'constant') {
      await ack(CONSTANT);
      return;
    }
    if (command.text === 'constant twice') {
      await ack(CONSTANT);
      await ack(CONSTANT);
      return;
    }
    if (command.text === 'throw') throw new Error('listener broke');
    if (command.text === 'silent') return;
    await ack({ response_type: 'ephemeral', text: `you said ${command.text}` });
    if (command.text === 'respond') await respond({ response_type: 'ephemeral', text: 'later' });
    if (command.text === 'respond gone') await respond('to nowhere');
  });
  dispatch.action('a1', async ({ ack, action, body, client }) => {
    ran.push({ id: 'a1', args: { action, type: body.type } });
    await ack();
    await client.api.test();
  });
  dispatch.view('v1', async ({ ack, view, body, client }) => {
    ran.push({ id: 'v1', args: { callback: view.callback_id, same: view === body.view } });
    await client.api.test();
    await ack({ response_action: 'errors', errors: { b: 'no' } });
  });
  dispatch.options('o1', async ({ ack, options, body }) => {
    ran.push({ id: 'o1', args: { value: options.value, same: options === body } });
    await ack({ options: [{ text: { type: 'plain_text', text: 'One' }, value: '1' }] });
  });

  let bolt: App | undefined;
  const direct = directHandler({
    dispatch,
    token: 'xoxb-test',
    clientOptions: () => ({ ...bolt?.webClientOptions, slackApiUrl: `${respondUrl.replace('/respond', '')}/api/` }),
    guard: guard('direct'),
    onError: async (error) => void errors.push({ message: error.message, code: asCodedError(error).code }),
    logger,
  });
  const receiver = strictHttpReceiver({ signingSecret: SECRET, processBeforeResponse: false, logger, direct });
  bolt = new App({ receiver, token: 'xoxb-test', tokenVerificationEnabled: false, botId: 'B1', botUserId: 'U1', logger });
  bolt.use((args) => guard('bolt')(args.body as Record<string, unknown>, async () => undefined, args.next));
  dispatch.mount(bolt);
  app = bolt;
  const server = (await app.start(0)) as Server;
  driver = createDriver({
    eventsUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`,
    signingSecret: SECRET,
    responseUrlFactory: () => respondUrl,
  });
});

afterAll(async () => {
  await app.stop();
  await new Promise((r) => respondServer.close(r));
});

beforeEach(() => {
  path.length = 0;
  ran.length = 0;
  errors.length = 0;
  responded.length = 0;
  apiCalls.length = 0;
  logged.length = 0;
  refuse = false;
});

const waitUntil = async (ok: () => boolean, ms = 2000) => {
  const deadline = Date.now() + ms;
  while (!ok() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
};

describe('the direct path', () => {
  it('runs a registered command without Bolt and answers with the ack, as JSON', async () => {
    const res = await driver.command({ text: 'hello', userId: 'U2', channelId: 'C1' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json).toEqual({ response_type: 'ephemeral', text: 'you said hello' });
    expect(path).toEqual(['direct']);
    expect(ran).toEqual([
      {
        id: 'command',
        args: {
          command: expect.objectContaining({ command: '/portkey', text: 'hello', user_id: 'U2', channel_id: 'C1', team_id: 'T0001' }),
          same: true,
        },
      },
    ]);
    // Bolt's per-team client: its Web API calls carry the payload's team_id.
    await waitUntil(() => apiCalls.length > 0);
    expect(apiCalls).toEqual([{ method: 'api.test', teamId: 'T0001' }]);
  });

  it('writes a prebuilt answer as Bolt writes any other: 200, JSON, the same text; a second ack is refused', async () => {
    const res = await driver.command({ text: 'constant' });
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.text).toBe(JSON.stringify(CONSTANT));
    expect(errors).toEqual([]);

    const twice = await driver.command({ text: 'constant twice' });
    expect([twice.status, twice.text]).toEqual([200, JSON.stringify(CONSTANT)]);
    await waitUntil(() => errors.length > 0);
    expect(errors).toEqual([
      { message: "The receiver's `ack` function was called multiple times.", code: 'slack_bolt_receiver_ack_multiple_error' },
    ]);
  });

  it('gives respond() that posts JSON to the response URL, and a failed post reaches the error handler', async () => {
    await driver.command({ text: 'respond' });
    await waitUntil(() => responded.length > 0);
    expect(responded).toEqual([{ contentType: 'application/json', body: { response_type: 'ephemeral', text: 'later' } }]);

    respondUrl = respondUrl.replace('/respond', '/gone');
    try {
      await driver.command({ text: 'respond gone' });
      await waitUntil(() => errors.length > 0);
    } finally {
      respondUrl = respondUrl.replace('/gone', '/respond');
    }
    expect(responded.at(-1)).toEqual({ contentType: 'application/json', body: { text: 'to nowhere' } });
    expect(errors).toEqual([{ message: 'Failed to respond to the response_url: 404 Not Found', code: 'slack_bolt_respond_error' }]);
  });

  it('hands block actions, view submissions and options requests to their handlers, with what Bolt names', async () => {
    const view = { id: 'V1', callback_id: 'v1', blocks: [], state: { values: {} } };
    const action = await driver.blockAction({ actionId: 'a1', blockId: 'b1', value: 'x', userId: 'U2' });
    const submitted = await driver.viewSubmission({ view, userId: 'U2' });
    const options = await driver.options({ actionId: 'o1', blockId: 'b1', value: 'typed', view, userId: 'U2' });
    expect([action.status, action.text]).toEqual([200, '']);
    expect(submitted.json).toEqual({ response_action: 'errors', errors: { b: 'no' } });
    expect(options.json).toEqual({ options: [{ text: { type: 'plain_text', text: 'One' }, value: '1' }] });
    expect(path).toEqual(['direct', 'direct', 'direct']);
    expect(ran).toEqual([
      { id: 'a1', args: { action: expect.objectContaining({ action_id: 'a1', block_id: 'b1', value: 'x' }), type: 'block_actions' } },
      { id: 'v1', args: { callback: 'v1', same: true } },
      { id: 'o1', args: { value: 'typed', same: true } },
    ]);
    await waitUntil(() => apiCalls.length === 2);
    expect(apiCalls).toEqual([
      { method: 'api.test', teamId: 'T0001' },
      { method: 'api.test', teamId: 'T0001' },
    ]);
  });

  it('leaves to Bolt what it does not handle: unknown ids, other commands, ssl_check, malformed payloads', async () => {
    const unknown = driver.blockAction({ actionId: 'nobody', blockId: 'b1' });
    await waitUntil(() => path.length > 0);
    expect(path).toEqual(['bolt']); // Bolt's middleware ran; no listener answers, as before (Bolt times it out)
    void unknown.catch(() => undefined);

    path.length = 0;
    expect((await driver.raw('ssl_check=1&token=x')).status).toBe(200);
    expect((await driver.raw('payload=%7Bnot%20json')).status).toBe(400);
    expect(path).toEqual([]);
    expect(ran).toEqual([]);
  });

  it('drops what the guard refuses: acked with an empty 200, no handler run', async () => {
    refuse = true;
    const res = await driver.command({ text: 'hello' });
    expect([res.status, res.text]).toEqual([200, '']);
    expect(path).toEqual(['direct']);
    expect(ran).toEqual([]);
  });

  it('sends a listener error, or a second ack, to the error handler as Bolt does', async () => {
    const twice = await driver.command({ text: 'twice' });
    expect(twice.status).toBe(200);
    await waitUntil(() => errors.length > 0);
    expect(errors).toEqual([
      { message: "The receiver's `ack` function was called multiple times.", code: 'slack_bolt_receiver_ack_multiple_error' },
    ]);

    errors.length = 0;
    void driver.command({ text: 'throw' }).catch(() => undefined);
    await waitUntil(() => errors.length > 0);
    expect(errors).toEqual([{ message: 'listener broke', code: 'slack_bolt_unknown_error' }]);
  });

  it('answers 404 and logs Bolt’s error when nothing acks within 3 s', async () => {
    const res = await driver.command({ text: 'silent' });
    expect(res.status).toBe(404);
    expect(logged).toContain(
      'An incoming event was not acknowledged within 3 seconds. Ensure that the ack() argument is called in a listener.',
    );
  }, 10_000);
});

describe('clientKeyOf (the team whose client Bolt gives a listener)', () => {
  it('follows Bolt: the command’s team_id; the view’s installing team, else team.id, else the user’s team', () => {
    expect(clientKeyOf({ command: '/portkey', team_id: 'T1', enterprise_id: 'E1' })).toEqual({ teamId: 'T1', enterpriseId: 'E1' });
    expect(clientKeyOf({ type: 'view_submission', view: { app_installed_team_id: 'T9' }, team: { id: 'T1' } })).toEqual({ teamId: 'T9' });
    expect(clientKeyOf({ type: 'view_submission', view: { app_installed_team_id: '' }, team: { id: 'T1' } })).toEqual({ teamId: 'T1' });
    expect(clientKeyOf({ type: 'block_actions', team: null, user: { team_id: 'T2' }, enterprise: { id: 'E2' } })).toEqual({
      teamId: 'T2',
      enterpriseId: 'E2',
    });
    expect(clientKeyOf({ type: 'block_actions', team: { id: 'T3', enterprise_id: 'E3' } })).toEqual({ teamId: 'T3', enterpriseId: 'E3' });
  });
});
