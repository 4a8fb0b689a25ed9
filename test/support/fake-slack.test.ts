import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { webApi } from '@slack/bolt';
import { startFakeSlack } from './fake-slack.js';
import type { FakeSlack } from './fake-slack.js';

let slack: FakeSlack;
let client: webApi.WebClient;

const noop = (): void => undefined;
const silent = {
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  setLevel: noop,
  getLevel: () => webApi.LogLevel.ERROR,
  setName: noop,
};

const modal = (title = 'Create workspace'): Record<string, unknown> => ({
  type: 'modal',
  callback_id: 'ws_create',
  title: { type: 'plain_text', text: title },
  private_metadata: JSON.stringify({ channel_id: 'C1' }),
  blocks: [
    {
      type: 'input',
      block_id: 'name',
      label: { type: 'plain_text', text: 'Name' },
      element: { type: 'plain_text_input', action_id: 'name' },
    },
  ],
});

function platformError(e: unknown): string | undefined {
  if (e instanceof Error && 'data' in e) {
    const data = (e as Error & { data: unknown }).data;
    if (typeof data === 'object' && data !== null && 'error' in data) return String((data as { error: unknown }).error);
  }
  return undefined;
}

async function errorOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
    return undefined;
  } catch (e) {
    return platformError(e) ?? (e instanceof Error ? e.message : String(e));
  }
}

beforeAll(async () => {
  slack = await startFakeSlack();
  client = new webApi.WebClient(slack.botToken, { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logger: silent });
});
afterAll(async () => {
  await slack.close();
});
beforeEach(() => slack.reset());

describe('fake Slack Web API', () => {
  it('answers auth.test and records the call with the bearer token', async () => {
    const res = await client.auth.test();
    expect(res).toMatchObject({ ok: true, team_id: 'T0001', user_id: 'UBOT', bot_id: 'BBOT', team: 'Acme' });
    expect(slack.calls).toHaveLength(1);
    expect(slack.calls[0]).toMatchObject({ method: 'auth.test', token: 'xoxb-test-token' });
  });

  it('parses JSON-string form fields (blocks, view) back into objects', async () => {
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'hi' } }];
    const res = await client.chat.postMessage({ channel: 'C1', text: 'hello', blocks });
    expect(res.ts).toMatch(/^\d+\.000100$/);
    const call = await slack.waitFor('chat.postMessage');
    expect(call.args).toMatchObject({ channel: 'C1', text: 'hello', blocks });
    const second = await client.chat.postMessage({ channel: 'C1', text: 'again' });
    expect(second.ts).not.toBe(res.ts);
  });

  it('accepts JSON bodies too', async () => {
    const res = await fetch(`${slack.apiUrl}chat.postEphemeral`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-test-token' },
      body: JSON.stringify({ channel: 'C1', user: 'U1', text: 'psst' }),
    });
    expect(await res.json()).toMatchObject({ ok: true, message_ts: expect.any(String) });
    expect(slack.callsTo('chat.postEphemeral')[0]?.args).toEqual({ channel: 'C1', user: 'U1', text: 'psst' });
  });

  it('rejects a wrong token with invalid_auth', async () => {
    const other = new webApi.WebClient('xoxb-wrong', { slackApiUrl: slack.apiUrl, retryConfig: { retries: 0 }, logger: silent });
    expect(await errorOf(other.auth.test())).toBe('invalid_auth');
    expect(slack.calls[0]).toMatchObject({ token: 'xoxb-wrong', error: 'invalid_auth' });
  });

  it('stores views: open → update with current hash → stale hash gives hash_conflict', async () => {
    const opened = await client.views.open({ trigger_id: '123.456.abc', view: modal() as never });
    const view = opened.view;
    expect(view?.id).toMatch(/^V\d+/);
    expect(view?.state).toEqual({ values: { name: { name: { type: 'plain_text_input', value: null } } } });
    const id = view?.id ?? '';
    const firstHash = view?.hash ?? '';
    expect(slack.views.get(id)?.hash).toBe(firstHash);

    const updated = await client.views.update({ view_id: id, hash: firstHash, view: modal('Step 2') as never });
    expect(updated.view?.hash).not.toBe(firstHash);
    expect(slack.views.get(id)?.view).toMatchObject({ title: { text: 'Step 2' } });

    expect(await errorOf(client.views.update({ view_id: id, hash: firstHash, view: modal('Step 3') as never }))).toBe('hash_conflict');
    expect(slack.callsTo('views.update').at(-1)?.error).toBe('hash_conflict');
    expect(await errorOf(client.views.update({ view_id: 'V9999', view: modal() as never }))).toBe('not_found');
  });

  it('a view the person closed is gone: views.update answers not_found', async () => {
    const opened = await client.views.open({ trigger_id: 'close-1', view: modal() as never });
    const id = opened.view?.id ?? '';
    slack.closeView(id);
    expect(await errorOf(client.views.update({ view_id: id, view: modal('Too late') as never }))).toBe('not_found');
    expect(slack.views.get(id)?.view).toMatchObject({ title: { text: 'Create workspace' } });
  });

  it('a modal holds 3 views: a fourth views.push answers push_limit_reached, one closed makes room again', async () => {
    const root = await client.views.open({ trigger_id: 't-root', view: modal() as never });
    const second = await client.views.push({ trigger_id: 't-2', view: modal('Second') as never });
    await client.views.push({ trigger_id: 't-3', view: modal('Third') as never });
    expect(await errorOf(client.views.push({ trigger_id: 't-4', view: modal('Fourth') as never }))).toBe('push_limit_reached');
    slack.closeView(String(second.view?.id));
    const again = await client.views.push({ trigger_id: 't-5', view: modal('Again') as never });
    expect(again.view?.root_view_id).toBe(root.view?.id);
  });

  it('views.update by external_id; views.open needs a fresh trigger_id', async () => {
    await client.views.open({ trigger_id: 't1', view: { ...modal(), external_id: 'ext-1' } as never });
    const res = await client.views.update({ external_id: 'ext-1', view: modal('By external') as never });
    expect(res.ok).toBe(true);
    expect(await errorOf(client.views.open({ trigger_id: 'expired-trigger', view: modal() as never }))).toBe('expired_trigger_id');
    const noTrigger = await fetch(`${slack.apiUrl}views.open`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: 'Bearer xoxb-test-token' },
      body: new URLSearchParams({ view: JSON.stringify(modal()) }).toString(),
    });
    expect(await noTrigger.json()).toEqual({ ok: false, error: 'invalid_arguments' });
  });

  it('rejects views over Slack limits with invalid_arguments', async () => {
    const err = await errorOf(client.views.open({ trigger_id: 't', view: modal('x'.repeat(25)) as never }));
    expect(err).toBe('invalid_arguments');
    const call = slack.callsTo('views.open')[0];
    expect(JSON.stringify(call?.response)).toContain('/view/title/text');
  });

  it('fail() fails the next N calls, then answers normally', async () => {
    slack.fail('chat.postMessage', 'not_in_channel', { times: 2 });
    expect(await errorOf(client.chat.postMessage({ channel: 'C1', text: 'a' }))).toBe('not_in_channel');
    expect(await errorOf(client.chat.postMessage({ channel: 'C1', text: 'b' }))).toBe('not_in_channel');
    expect((await client.chat.postMessage({ channel: 'C1', text: 'c' })).ok).toBe(true);
    expect(slack.callsTo('chat.postMessage').map((c) => c.error)).toEqual(['not_in_channel', 'not_in_channel', undefined]);

    slack.fail('users.info', 'user_not_found', { times: Infinity });
    for (let i = 0; i < 3; i++) expect(await errorOf(client.users.info({ user: 'U1' }))).toBe('user_not_found');
  });

  it('delay() holds a call before processing it; a client that goes away first leaves it unprocessed', async () => {
    slack.delay('chat.postMessage', 150);
    const started = Date.now();
    const posting = client.chat.postMessage({ channel: 'C1', text: 'slow' });
    const waiting = await slack.waitForHeld('chat.postMessage');
    expect(waiting).toMatchObject({ state: 'holding', args: { channel: 'C1', text: 'slow' } });
    expect(slack.callsTo('chat.postMessage')).toEqual([]);
    expect((await posting).ok).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(waiting.state).toBe('released');
    expect(slack.callsTo('chat.postMessage').map((c) => c.args.text)).toEqual(['slow']);

    // Only `times` calls are held.
    expect((await client.chat.postMessage({ channel: 'C1', text: 'fast' })).ok).toBe(true);
    expect(slack.held).toHaveLength(1);

    slack.delay('chat.postMessage', 10_000);
    const abort = new AbortController();
    const request = fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer xoxb-test-token' },
      body: JSON.stringify({ channel: 'C1', text: 'never' }),
      signal: abort.signal,
    }).catch((e: unknown) => e);
    const gone = await slack.waitForHeld('chat.postMessage', (c) => c.args.text === 'never');
    abort.abort();
    await request;
    for (let i = 0; i < 100 && gone.state === 'holding'; i++) await new Promise((r) => setTimeout(r, 10));
    expect(gone.state).toBe('abandoned');
    expect(slack.callsTo('chat.postMessage').map((c) => c.args.text)).toEqual(['slow', 'fast']);
  });

  it('rate_limited answers HTTP 429 with Retry-After', async () => {
    slack.fail('chat.postMessage', 'rate_limited', { retryAfter: 7 });
    const strict = new webApi.WebClient(slack.botToken, {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logger: silent,
    });
    const e: unknown = await strict.chat.postMessage({ channel: 'C1', text: 'x' }).catch((x: unknown) => x);
    expect(e).toMatchObject({ code: 'slack_webapi_rate_limited_error', retryAfter: 7 });
    expect(slack.calls[0]).toMatchObject({ httpStatus: 429, error: 'rate_limited' });
  });

  it('down(true) answers 503 for every method', async () => {
    slack.down(true);
    const res = await fetch(`${slack.apiUrl}auth.test`, {
      method: 'POST',
      headers: { authorization: 'Bearer xoxb-test-token' },
    });
    expect(res.status).toBe(503);
    expect(slack.calls[0]).toMatchObject({ method: 'auth.test', httpStatus: 503 });
    slack.down(false);
    expect((await client.auth.test()).ok).toBe(true);
  });

  it('records response_url posts and can fail them', async () => {
    const url = slack.responseUrl();
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/response\/\d+$/);
    expect(slack.responseUrl()).not.toBe(url);
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'done', response_type: 'ephemeral' }),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok');
    expect(slack.responses).toEqual([{ url, body: { text: 'done', response_type: 'ephemeral' }, status: 200, at: expect.any(Number) }]);

    slack.failResponseUrls(404);
    const expired = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"text":"late"}' });
    expect(expired.status).toBe(404);
    expect((await slack.waitForResponse((r) => r.body.text === 'late')).status).toBe(404);
  });

  it('waitFor resolves on future calls and explains timeouts', async () => {
    const pending = slack.waitFor('chat.update', (c) => c.args.ts === '1.2');
    await client.chat.update({ channel: 'C1', ts: '1.1', text: 'no' });
    await client.chat.update({ channel: 'C1', ts: '1.2', text: 'yes' });
    expect((await pending).args.text).toBe('yes');
    await expect(slack.waitFor('views.open', undefined, 50)).rejects.toThrow(/views\.open.*chat\.update ×2/);
  });

  it('answers conversations.open, users.info and usergroups.users.list', async () => {
    expect((await client.conversations.open({ users: 'U_BOB' })).channel?.id).toBe('DU_BOB');
    const info = await client.users.info({ user: 'U_ALICE' });
    expect(info.user).toMatchObject({ id: 'U_ALICE', name: 'alice', tz: 'UTC', profile: { display_name: 'alice' } });
    slack.setUsergroup('S_ADMINS', ['U_ALICE', 'U_BOB']);
    expect((await client.usergroups.users.list({ usergroup: 'S_ADMINS' })).users).toEqual(['U_ALICE', 'U_BOB']);
    expect(await errorOf(client.usergroups.users.list({ usergroup: 'S_NOPE' }))).toBe('no_such_subteam');
    expect((await client.apiCall('team.info')).ok).toBe(true);
  });

  it('setPlan("free") answers usergroups.users.list with plan_upgrade_required; reset() restores the paid plan', async () => {
    slack.setUsergroup('S_ADMINS', ['U_ALICE']);
    slack.setPlan('free');
    expect(await errorOf(client.usergroups.users.list({ usergroup: 'S_ADMINS' }))).toBe('plan_upgrade_required');
    slack.reset();
    expect((await client.usergroups.users.list({ usergroup: 'S_ADMINS' })).users).toEqual(['U_ALICE']);
  });

  it('rateLimit() answers one method with 429 and a long Retry-After, other methods normally', async () => {
    slack.rateLimit('usergroups.users.list', 30, 2);
    const post = () =>
      fetch(`${slack.apiUrl}usergroups.users.list`, { method: 'POST', headers: { authorization: `Bearer ${slack.botToken}` } });
    for (let i = 0; i < 2; i++) {
      const res = await post();
      expect(res.status).toBe(429);
      expect(res.headers.get('retry-after')).toBe('30');
      expect(await res.json()).toEqual({ ok: false, error: 'ratelimited' });
    }
    expect((await client.auth.test()).ok).toBe(true);
    expect((await post()).status).toBe(200);
  });

  it('views.update keeps what the person entered in elements whose block_id, action_id and type persist', async () => {
    const select = (blockId: string, initial: string, options: string[], type = 'static_select') => ({
      type: 'input',
      block_id: blockId,
      label: { type: 'plain_text', text: blockId },
      element: {
        type,
        action_id: 'pick',
        options: options.map((o) => ({ text: { type: 'plain_text', text: o }, value: o })),
        initial_option: { text: { type: 'plain_text', text: initial }, value: initial },
      },
    });
    const text = (blockId: string, initial?: string) => ({
      type: 'input',
      block_id: blockId,
      label: { type: 'plain_text', text: blockId },
      element: { type: 'plain_text_input', action_id: 'v', ...(initial ? { initial_value: initial } : {}) },
    });
    const form = (blocks: unknown[]) => ({ type: 'modal', callback_id: 'f', title: { type: 'plain_text', text: 'Form' }, blocks });
    const opened = await client.views.open({
      trigger_id: 't-keep',
      view: form([select('kind', 'a', ['a', 'b']), text('name'), text('a_only')]) as never,
    });
    const id = opened.view?.id ?? '';
    expect(slack.viewState(id).state.values).toEqual({
      kind: { pick: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'a' }, value: 'a' } } },
      name: { v: { type: 'plain_text_input', value: null } },
      a_only: { v: { type: 'plain_text_input', value: null } },
    });

    slack.enter(id, {
      kind: { pick: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'b' }, value: 'b' } } },
      name: { v: { type: 'plain_text_input', value: 'typed' } },
    });
    // The new view asks for option "a" again and a new initial name: Slack keeps the person's "b" and "typed".
    const updated = await client.views.update({
      view_id: id,
      view: form([select('kind', 'a', ['a', 'b']), text('name', 'ignored'), text('b_only', 'start')]) as never,
    });
    const expected = {
      kind: { pick: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'b' }, value: 'b' } } },
      name: { v: { type: 'plain_text_input', value: 'typed' } },
      b_only: { v: { type: 'plain_text_input', value: 'start' } },
    };
    expect(slack.viewState(id).state.values).toEqual(expected);
    expect((updated.view as { state?: unknown }).state).toEqual({ values: expected });

    // Another element type under the same ids starts afresh.
    await client.views.update({ view_id: id, view: form([select('kind', 'a', ['a', 'b'], 'radio_buttons')]) as never });
    expect(slack.viewState(id).state.values).toEqual({
      kind: { pick: { type: 'radio_buttons', selected_option: { text: { type: 'plain_text', text: 'a' }, value: 'a' } } },
    });
  });
});
