// Correctly signed requests that are broken or aimed at nothing: malformed bodies, unknown callback and action
// ids, oversized bodies, forged button values. Each is refused with a 4xx/5xx or acknowledged and ignored.
import { request } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { TestEnv } from '../support/env.js';
import { expectNothingSent } from './sent.js';
import { settle } from './flows.js';
import type { Tally } from './tally.js';

const team = { id: 'T0001', domain: 'acme' };
const user = { id: 'U_MALLORY', username: 'mallory', name: 'mallory', team_id: 'T0001' };
const form = (payload: unknown) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;
const view = (callbackId: string, extra: Record<string, unknown> = {}) => ({
  id: 'V_FORGED',
  team_id: 'T0001',
  type: 'modal',
  callback_id: callbackId,
  private_metadata: '',
  blocks: [],
  hash: '1.forged',
  ...extra,
});

interface PayloadCase {
  name: string;
  body: string;
  contentType?: string;
  /** What the app answers: a refusal, or 200 for a request acknowledged and ignored. */
  status: number;
}

const MALFORMED: PayloadCase[] = [
  { name: 'a payload field that is not JSON', body: 'payload=%7Bnot%20json', status: 400 },
  { name: 'a JSON body that is not JSON', body: '{"type":', contentType: 'application/json', status: 400 },
  {
    name: 'a form body labelled with a charset',
    body: 'command=%2Fportkey&text=workspace%20create%20x&user_id=U_MALLORY&team_id=T0001&trigger_id=t',
    contentType: 'application/x-www-form-urlencoded; charset=utf-8',
    status: 400,
  },
  {
    name: 'a workspace submission whose state is a string',
    body: form({ type: 'view_submission', team, user, view: view('workspace_create', { state: { values: 'ws_name=x' } }) }),
    status: 200,
  },
  {
    name: 'a workspace submission whose values have the wrong types',
    body: form({
      type: 'view_submission',
      team,
      user,
      view: view('workspace_create', {
        state: { values: { ws_name: { name: { value: 42 } }, ws_default: { is_default: { selected_options: 'all' } } } },
      }),
    }),
    status: 200,
  },
  {
    name: 'an integration submission whose provider is not in the catalog',
    body: form({
      type: 'view_submission',
      team,
      user,
      view: view('integration_create', {
        state: {
          values: {
            int_provider: { int_provider_select: { selected_option: { value: '../../admin' } } },
            int_name: { name: { value: 'x' } },
          },
        },
      }),
    }),
    status: 200,
  },
  {
    name: 'an Events API callback (no event listeners)',
    body: JSON.stringify({
      type: 'event_callback',
      team_id: 'T0001',
      event: { type: 'app_mention', text: '<@UBOT> workspace create x', user: 'U_MALLORY' },
    }),
    contentType: 'application/json',
    status: 200,
  },
];

/** Nothing listens for these (or can read them): Bolt leaves them unacknowledged and answers 404 after its 3 s wait. */
const UNKNOWN: PayloadCase[] = [
  {
    name: 'a workspace submission without a view state',
    body: form({ type: 'view_submission', team, user, view: view('workspace_create', { state: undefined }) }),
    status: 404,
  },
  {
    name: 'a submission of an unknown modal',
    body: form({ type: 'view_submission', team, user, view: view('evil_callback', { state: { values: {} } }) }),
    status: 404,
  },
  {
    name: 'a click on an unknown button in a modal',
    body: form({
      type: 'block_actions',
      team,
      user,
      trigger_id: 't',
      container: { type: 'view', view_id: 'V_FORGED' },
      view: view('workspace_create'),
      actions: [{ type: 'button', action_id: 'evil_action', block_id: 'b', action_ts: '1' }],
    }),
    status: 404,
  },
  {
    name: 'a click on an unknown button in a message',
    body: form({
      type: 'block_actions',
      team,
      user,
      trigger_id: 't',
      channel: { id: 'C_GENERAL' },
      container: { type: 'message', channel_id: 'C_GENERAL', message_ts: '1.1' },
      response_url: 'http://127.0.0.1:9/none',
      actions: [{ type: 'button', action_id: 'workspace_delete', block_id: 'b', value: 'all', action_ts: '1' }],
    }),
    status: 404,
  },
  {
    name: 'an options load for an unknown menu',
    body: form({
      type: 'block_suggestion',
      team,
      user,
      action_id: 'evil_options',
      block_id: 'b',
      value: '',
      container: { type: 'view', view_id: 'V_FORGED' },
      view: view('integration_create'),
    }),
    status: 404,
  },
  {
    name: 'an unknown slash command',
    body: new URLSearchParams({
      command: '/portkey-admin',
      text: 'delete everything',
      team_id: 'T0001',
      user_id: 'U_MALLORY',
      channel_id: 'C_GENERAL',
      trigger_id: 't',
      response_url: 'http://127.0.0.1:9/none',
    }).toString(),
    status: 404,
  },
  { name: 'a global shortcut', body: form({ type: 'shortcut', team, user, callback_id: 'evil_shortcut', trigger_id: 't' }), status: 404 },
  {
    name: 'a modal closed (no view_closed listener)',
    body: form({ type: 'view_closed', team, user, view: view('workspace_create'), is_cleared: false }),
    status: 404,
  },
  { name: 'a payload that is a JSON array', body: form([]), status: 404 },
  { name: 'a payload that is a JSON string', body: form('workspace create x'), status: 404 },
  {
    name: 'a payload of an unknown type',
    body: form({ type: 'dialog_submission', team, user, callback_id: 'workspace_create', submission: { name: 'x' } }),
    status: 404,
  },
];

/** "More" on a list: the button's value says which list and page. Forged, it must lead nowhere. */
const FORGED_PAGES: Array<{ name: string; value: string }> = [
  { name: 'not JSON', value: 'workspaces;page=2' },
  { name: 'a negative page', value: JSON.stringify({ kind: 'workspaces', filter: '', page: -1 }) },
  { name: 'a page past every limit', value: JSON.stringify({ kind: 'workspaces', filter: '', page: 1e9 }) },
  { name: 'a 10 000-character filter', value: JSON.stringify({ kind: 'integrations', filter: 'x'.repeat(10_000), page: 1 }) },
  { name: 'an unknown kind of list', value: JSON.stringify({ kind: 'secret-references', filter: '', page: 0 }) },
];

/**
 * POSTs on a connection of its own, closed afterwards: the server stops reading an oversized body half-way,
 * and that socket must not go back into a pool other requests share.
 */
function postOnce(url: string, body: string, headers: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers, agent: false, timeout: 10_000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    // The server may answer 413 and close before the whole body is written: the answer is what counts.
    req.on('error', (err) => (req.writableFinished ? reject(err) : undefined));
    req.on('timeout', () => req.destroy(new Error('no answer in 10 s')));
    req.end(body);
  });
}

export function payloadCases(h: TestEnv, tally: Tally): void {
  describe('malformed and unknown payloads', () => {
    it.each(MALFORMED)('$name → $status, nothing done', async (c) =>
      tally.run('payloads', 'refused', async () => {
        const res = await h.app.driver.raw(c.body, c.contentType ? { contentType: c.contentType } : {});
        expect(res.status).toBe(c.status);
        if (c.status === 200 && typeof res.json === 'object') expect(res.json).toMatchObject({ response_action: 'errors' });
        await settle();
        expectNothingSent(h);
      }),
    );

    it(`unknown or unreadable callbacks, actions and commands (${UNKNOWN.length} at once) → 404, nothing done`, async () => {
      await Promise.all(
        UNKNOWN.map((c) =>
          tally.run('unknown ids', 'refused', async () => {
            const res = await h.app.driver.raw(c.body);
            expect(res.status, c.name).toBe(c.status);
          }),
        ),
      );
      expectNothingSent(h);
    });

    it.each([
      { name: 'a signed body one byte over 4 MiB', bytes: 4 * 1024 * 1024 + 1, signed: true },
      { name: 'an unsigned 8 MiB body', bytes: 8 * 1024 * 1024, signed: false },
    ])('$name → 413', async (c) =>
      tally.run('oversized bodies', 'refused', async () => {
        const body = `payload=${'x'.repeat(c.bytes - 8)}`;
        const now = Math.floor(Date.now() / 1000);
        const status = await postOnce(h.app.eventsUrl, body, {
          'content-type': 'application/x-www-form-urlencoded',
          'x-slack-request-timestamp': String(now),
          'x-slack-signature': c.signed ? h.app.driver.sign(body, now) : 'v0=unsigned',
        });
        expect(status).toBe(413);
        expectNothingSent(h);
      }),
    );

    it.each(FORGED_PAGES)('a "More" button whose value is $name → nothing read, nothing posted', async (c) =>
      tally.run('forged button values', 'refused', async () => {
        const res = await h.app.driver.blockAction({
          actionId: 'list_more',
          blockId: 'list_actions',
          value: c.value,
          responseUrl: h.slack.responseUrl(),
        });
        expect(res.status).toBe(200);
        await settle();
        expectNothingSent(h);
      }),
    );

    it('"Retry enabling" for an operation that does not exist → told so, nothing sent to Portkey', async () =>
      tally.run('forged button values', 'refused', async () => {
        const res = await h.app.driver.blockAction({
          actionId: 'integration_retry_access',
          blockId: 'int_access_actions',
          value: '00000000-0000-0000-0000-000000000000',
          responseUrl: h.slack.responseUrl(),
          userId: 'U_MALLORY',
        });
        expect(res.status).toBe(200);
        const told = await h.slack.waitForResponse();
        expect(String(told.body.text)).toContain('no longer known');
        expect(h.portkey.requests).toEqual([]);
      }));
  });
}
