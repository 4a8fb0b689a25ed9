import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { App, LogLevel } from '@slack/bolt';
import { createDriver, fillView, viewFrom } from './driver.js';
import type { FillableView } from './driver.js';
import { startFakeSlack } from './fake-slack.js';
import type { FakeSlack } from './fake-slack.js';

const SECRET = 'test-signing-secret';

interface Received {
  contentType: string | undefined;
  verified: boolean;
  fields: Record<string, string>;
  payload: Record<string, unknown> | undefined;
}

let server: Server;
let eventsUrl: string;
let received: Received[] = [];

function verify(rawBody: string, ts: string | undefined, sig: string | undefined): boolean {
  if (ts === undefined || sig === undefined) return false;
  if (Math.abs(Date.now() / 1000 - Number(ts)) > 300) return false;
  const expected = Buffer.from(`v0=${createHmac('sha256', SECRET).update(`v0:${ts}:${rawBody}`).digest('hex')}`);
  const given = Buffer.from(sig);
  return given.length === expected.length && timingSafeEqual(given, expected);
}

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const ts = req.headers['x-slack-request-timestamp'];
      const sig = req.headers['x-slack-signature'];
      const verified = verify(raw, typeof ts === 'string' ? ts : undefined, typeof sig === 'string' ? sig : undefined);
      const fields: Record<string, string> = {};
      for (const [k, v] of Object.entries(parseQuery(raw))) if (typeof v === 'string') fields[k] = v;
      const payload = fields.payload !== undefined ? (JSON.parse(fields.payload) as Record<string, unknown>) : undefined;
      received.push({ contentType: req.headers['content-type'], verified, fields, payload });
      res.writeHead(verified ? 200 : 401, { 'content-type': 'application/json' });
      res.end(verified ? JSON.stringify({ ok: true }) : 'invalid signature');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  eventsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
});
afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});
beforeEach(() => {
  received = [];
});

const formView: FillableView = {
  id: 'V0001',
  hash: '1700000000.abc',
  callback_id: 'integration_create',
  private_metadata: '{"channel_id":"C1"}',
  blocks: [
    { type: 'header', text: { type: 'plain_text', text: 'New integration' } },
    {
      type: 'input',
      block_id: 'name',
      label: { type: 'plain_text', text: 'Name' },
      element: { type: 'plain_text_input', action_id: 'value', initial_value: 'prefilled' },
    },
    {
      type: 'input',
      block_id: 'provider',
      dispatch_action: true,
      label: { type: 'plain_text', text: 'Provider' },
      element: {
        type: 'static_select',
        action_id: 'value',
        option_groups: [
          {
            label: { type: 'plain_text', text: 'Popular' },
            options: [
              { text: { type: 'plain_text', text: 'OpenAI' }, value: 'openai' },
              { text: { type: 'plain_text', text: 'Anthropic' }, value: 'anthropic' },
            ],
          },
          {
            label: { type: 'plain_text', text: 'Cloud' },
            options: [{ text: { type: 'plain_text', text: 'Azure OpenAI' }, value: 'azure-openai' }],
          },
        ],
      },
    },
    {
      type: 'input',
      block_id: 'flags',
      optional: true,
      label: { type: 'plain_text', text: 'Options' },
      element: {
        type: 'checkboxes',
        action_id: 'value',
        options: [
          { text: { type: 'plain_text', text: 'Share with all workspaces' }, value: 'global' },
          { text: { type: 'plain_text', text: 'Create default provider' }, value: 'default_provider' },
        ],
      },
    },
    {
      type: 'input',
      block_id: 'workspace',
      label: { type: 'plain_text', text: 'Workspace' },
      element: { type: 'external_select', action_id: 'value', min_query_length: 0 },
    },
  ],
};

describe('driver: signed requests', () => {
  it('sends a slash command as Slack does, with a valid signature and bare content type', async () => {
    const driver = createDriver({ eventsUrl, signingSecret: SECRET });
    const res = await driver.command({ text: 'workspace create', responseUrl: 'http://127.0.0.1:1/response/1' });
    expect(res).toMatchObject({ status: 200, json: { ok: true } });
    const got = received[0];
    expect(got?.contentType).toBe('application/x-www-form-urlencoded');
    expect(got?.verified).toBe(true);
    expect(got?.fields).toEqual({
      token: expect.any(String),
      team_id: 'T0001',
      team_domain: 'acme',
      channel_id: 'C_GENERAL',
      channel_name: 'general',
      user_id: 'U_ALICE',
      user_name: 'alice',
      command: '/portkey',
      text: 'workspace create',
      api_app_id: 'A0APP',
      is_enterprise_install: 'false',
      response_url: 'http://127.0.0.1:1/response/1',
      trigger_id: expect.any(String),
    });
    await driver.command({ text: 'help' });
    expect(received[1]?.fields.trigger_id).not.toBe(got?.fields.trigger_id);
    expect(res.sent.trigger_id).toBe(got?.fields.trigger_id);
  });

  it('fails verification with a wrong secret, a stale timestamp or a forged signature', async () => {
    const wrong = createDriver({ eventsUrl, signingSecret: 'nope' });
    expect((await wrong.command({ text: 'x' })).status).toBe(401);
    const driver = createDriver({ eventsUrl, signingSecret: SECRET });
    const body = 'token=x&text=hi';
    const stale = Math.floor(Date.now() / 1000) - 600;
    expect((await driver.raw(body, { timestamp: stale })).status).toBe(401);
    expect((await driver.raw(body, { signature: 'v0=deadbeef' })).status).toBe(401);
    const ok = await driver.raw(body);
    expect(ok.status).toBe(200);
    expect(received.at(-1)?.fields).toEqual({ token: 'x', text: 'hi' });
    expect(driver.sign(body, 1700000000)).toMatch(/^v0=[0-9a-f]{64}$/);
  });

  it('sends block_actions, view_submission and block_suggestion payloads', async () => {
    const driver = createDriver({ eventsUrl, signingSecret: SECRET });
    const view = fillView(formView, { name: 'OpenAI Prod' });
    await driver.blockAction({
      actionId: 'value',
      blockId: 'provider',
      selectedOption: { value: 'azure-openai', text: 'Azure OpenAI' },
      view,
    });
    await driver.viewSubmission({ view, userId: 'U_BOB' });
    await driver.options({ actionId: 'value', blockId: 'workspace', value: 'ml', view });
    await driver.blockAction({
      actionId: 'retry',
      blockId: 'result',
      value: 'again',
      channelId: 'C9',
      messageTs: '1.2',
      responseUrl: 'http://127.0.0.1:1/r',
    });
    expect(received.every((r) => r.verified && r.contentType === 'application/x-www-form-urlencoded')).toBe(true);
    const [action, submission, suggestion, messageAction] = received.map((r) => r.payload);
    expect(action).toMatchObject({
      type: 'block_actions',
      user: { id: 'U_ALICE', team_id: 'T0001' },
      container: { type: 'view', view_id: 'V0001' },
      view: { id: 'V0001', hash: '1700000000.abc', callback_id: 'integration_create', private_metadata: '{"channel_id":"C1"}' },
      actions: [{ type: 'static_select', action_id: 'value', block_id: 'provider', selected_option: { value: 'azure-openai' } }],
      trigger_id: expect.any(String),
    });
    expect(submission).toMatchObject({
      type: 'view_submission',
      user: { id: 'U_BOB', username: 'bob' },
      view: { type: 'modal', state: { values: { name: { value: { type: 'plain_text_input', value: 'OpenAI Prod' } } } } },
    });
    expect(suggestion).toMatchObject({
      type: 'block_suggestion',
      action_id: 'value',
      block_id: 'workspace',
      value: 'ml',
      view: { id: 'V0001' },
    });
    expect(messageAction).toMatchObject({
      container: { type: 'message', message_ts: '1.2', channel_id: 'C9' },
      channel: { id: 'C9' },
      message: { ts: '1.2' },
      response_url: 'http://127.0.0.1:1/r',
      actions: [{ type: 'button', value: 'again' }],
    });
  });
});

describe('fillView', () => {
  it('builds state.values like Slack for text, grouped static select, checkboxes and external select', () => {
    const filled = fillView(formView, {
      provider: 'anthropic',
      flags: ['global', 'default_provider'],
      workspace: { value: 'ws-ml-123abc', text: 'ML' },
    });
    expect(filled.state?.values).toEqual({
      name: { value: { type: 'plain_text_input', value: 'prefilled' } },
      provider: {
        value: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'Anthropic' }, value: 'anthropic' } },
      },
      flags: {
        value: {
          type: 'checkboxes',
          selected_options: [
            { text: { type: 'plain_text', text: 'Share with all workspaces' }, value: 'global' },
            { text: { type: 'plain_text', text: 'Create default provider' }, value: 'default_provider' },
          ],
        },
      },
      workspace: {
        value: {
          type: 'external_select',
          selected_option: { text: { type: 'plain_text', text: 'ML', emoji: true }, value: 'ws-ml-123abc' },
        },
      },
    });
    expect(filled).toMatchObject({ id: 'V0001', hash: '1700000000.abc', callback_id: 'integration_create' });
  });

  it('handles empty values, single checkbox booleans and reports mistakes', () => {
    const empty = fillView(formView, { name: '', flags: true });
    expect(empty.state?.values.name?.value).toEqual({ type: 'plain_text_input', value: null });
    expect(empty.state?.values.provider?.value).toEqual({ type: 'static_select', selected_option: null });
    expect(empty.state?.values.flags?.value).toMatchObject({ selected_options: [{ value: 'global' }] });
    expect(empty.state?.values.workspace?.value).toEqual({ type: 'external_select', selected_option: null });
    expect(() => fillView(formView, { provider: 'aws-bedrock' })).toThrow(/'aws-bedrock'.*openai, anthropic, azure-openai/);
    expect(() => fillView(formView, { nmae: 'typo' })).toThrow(/'nmae'.*name, provider, flags, workspace/);
    expect(() => fillView(formView, { name: ['a'] })).toThrow(/plain_text_input needs a string/);
  });
});

describe('driver + fake Slack + Bolt end to end', () => {
  let slack: FakeSlack;
  let app: App;
  let appUrl: string;
  const submissions: Record<string, unknown>[] = [];

  beforeAll(async () => {
    slack = await startFakeSlack();
    app = new App({
      token: slack.botToken,
      signingSecret: SECRET,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 } },
    });
    app.command('/portkey', async ({ ack, body, client }) => {
      await ack();
      await client.views.open({
        trigger_id: body.trigger_id,
        view: {
          type: 'modal',
          callback_id: 'ws_create',
          title: { type: 'plain_text', text: 'New workspace' },
          submit: { type: 'plain_text', text: 'Create' },
          private_metadata: JSON.stringify({ channel_id: body.channel_id }),
          blocks: [
            {
              type: 'input',
              block_id: 'name',
              label: { type: 'plain_text', text: 'Name' },
              element: { type: 'plain_text_input', action_id: 'value' },
            },
          ],
        },
      });
    });
    app.view('ws_create', async ({ ack, view }) => {
      submissions.push(view.state.values);
      const name = view.state.values.name?.value?.value;
      if (!name) {
        await ack({ response_action: 'errors', errors: { name: 'Required' } });
        return;
      }
      await ack();
    });
    const started: unknown = await app.start(0);
    appUrl = `http://127.0.0.1:${((started as Server).address() as AddressInfo).port}/slack/events`;
  });
  afterAll(async () => {
    await app.stop();
    await slack.close();
  });

  it('a command opens a modal; submitting it through viewFrom + fillView reaches the view handler', async () => {
    const driver = createDriver({ eventsUrl: appUrl, signingSecret: SECRET, responseUrlFactory: () => slack.responseUrl() });
    const res = await driver.command({ text: 'workspace create' });
    expect(res.status).toBe(200);
    const open = await slack.waitFor('views.open');
    expect(open.args.trigger_id).toBe(res.sent.trigger_id);
    const view = viewFrom(open, slack.views);
    expect(view).toMatchObject({ id: slack.views.keys().next().value, callback_id: 'ws_create' });

    const invalid = await driver.viewSubmission({ view: fillView(view, { name: '' }) });
    expect(invalid.json).toEqual({ response_action: 'errors', errors: { name: 'Required' } });
    const valid = await driver.viewSubmission({ view: fillView(view, { name: 'Research' }) });
    expect(valid.status).toBe(200);
    expect(submissions.at(-1)).toEqual({ name: { value: { type: 'plain_text_input', value: 'Research' } } });

    const forged = await driver.raw('payload=%7B%7D', { signature: 'v0=00' });
    expect(forged.status).toBe(401);
  });
});
