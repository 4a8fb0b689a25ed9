// Slow and oversized uploads (refused from their headers, or cut off), and payloads signed by Slack but sent from
// another workspace or Enterprise Grid org than the bot's own (dropped before any listener).
import { stringify } from 'node:querystring';
import { describe, expect, it } from 'vitest';
import { SIGNING_SECRET } from '../support/app.js';
import { createDriver } from '../support/driver.js';
import { slowUpload } from '../support/http.js';
import type { TestEnv } from '../support/env.js';
import { peekSqlite } from '../support/db.js';
import { filled, newUser, openModal, settle, submitAccepted } from './flows.js';
import { expectNothingSent } from './sent.js';
import type { Tally } from './tally.js';

const now = () => Math.floor(Date.now() / 1000);

const SLOW: Array<{ name: string; headers: () => Record<string, string>; status: number }> = [
  { name: 'a slow upload without signature headers', headers: () => ({}), status: 401 },
  { name: 'a slow upload with a signature but no timestamp', headers: () => ({ 'x-slack-signature': 'v0=00' }), status: 401 },
  {
    name: 'a slow upload with a 6-minute-old timestamp',
    headers: () => ({ 'x-slack-signature': 'v0=00', 'x-slack-request-timestamp': String(now() - 360) }),
    status: 401,
  },
  {
    name: 'a slow upload dated an hour ahead',
    headers: () => ({ 'x-slack-signature': 'v0=00', 'x-slack-request-timestamp': String(now() + 3600) }),
    status: 401,
  },
  {
    name: 'a slow upload declaring 100 MB',
    headers: () => ({
      'x-slack-signature': 'v0=00',
      'x-slack-request-timestamp': String(now()),
      'content-length': String(100 * 1024 * 1024),
    }),
    status: 413,
  },
];

export function originCases(h: TestEnv, tally: Tally): void {
  describe('slow uploads: refused from the headers, at once', () => {
    it.each(SLOW)('$name → $status before the body arrives', (c) =>
      tally.run('slow uploads', 'refused', async () => {
        const res = await slowUpload(h.app.eventsUrl, c.headers(), { declared: 4 * 1024 * 1024 });
        expect(res.status).toBe(c.status);
        expect(res.ms).toBeLessThan(1000);
        expectNothingSent(h);
      }),
    );
  });

  describe('signed payloads from another workspace or org', () => {
    const foreign = () =>
      createDriver({
        eventsUrl: h.app.eventsUrl,
        signingSecret: SIGNING_SECRET,
        teamId: 'T0EVIL',
        teamDomain: 'evil',
        responseUrlFactory: () => h.slack.responseUrl(),
      });

    it('a command from another team → acknowledged, nothing done', () =>
      tally.run('foreign origins', 'refused', async () => {
        expect((await foreign().command({ text: 'workspace create Elsewhere', triggerId: 'trigger-evil' })).status).toBe(200);
        await settle();
        expectNothingSent(h);
      }));

    it('a command from our team id but another enterprise → acknowledged, nothing done', () =>
      tally.run('foreign origins', 'refused', async () => {
        const body = stringify({
          team_id: 'T0001',
          enterprise_id: 'E0EVIL',
          channel_id: 'C_GENERAL',
          user_id: 'U_MALLORY',
          command: '/portkey',
          text: 'workspace create Grid',
          api_app_id: 'A0APP',
          response_url: h.slack.responseUrl(),
          trigger_id: 't-evil-grid',
        });
        expect((await h.app.driver.raw(body)).status).toBe(200);
        await settle();
        expectNothingSent(h);
      }));

    it('a "More" button pressed from another team → nothing read, nothing posted', () =>
      tally.run('foreign origins', 'refused', async () => {
        const res = await foreign().blockAction({
          actionId: 'list_more',
          blockId: 'list_actions',
          value: JSON.stringify({ kind: 'workspaces', filter: '', page: 1 }),
          responseUrl: h.slack.responseUrl(),
        });
        expect(res.status).toBe(200);
        await settle();
        expectNothingSent(h);
      }));

    it('a form opened here and submitted from another team → nothing reaches Portkey', () =>
      tally.run('foreign origins', 'refused', async () => {
        const view = await openModal(h, 'workspace create', 'U_ABUSE_ORIGIN');
        h.slack.reset();
        const res = await foreign().viewSubmission({ view: filled(view, { ws_name: 'Foreign' }), userId: 'U_ABUSE_ORIGIN' });
        expect(res.status).toBe(200);
        expect(res.text).toBe('');
        await settle();
        expectNothingSent(h);
      }));

    // Searching Portkey's secret references or workspaces from another org would read the org's names with our admin key.
    it.each([
      ['int_secret_ref_search', 'int_secretref__openai'],
      ['int_access_search', 'int_access'],
    ])('an options load (%s) from another team → no options, Portkey not asked', (actionId, blockId) =>
      tally.run('foreign origins', 'refused', async () => {
        const res = await foreign().options({ actionId, blockId, value: 'prod' });
        expect(res.status).toBe(200);
        expect(res.text).not.toContain('prod');
        await settle();
        expectNothingSent(h);
      }),
    );

    // Slack Connect: a channel shared with another org. Our team id in `team`, the clicker's own org in user.team_id.
    it('a shared-channel member of another org clicks "Retry enabling" on our message → dropped, not even audited', () =>
      tally.run('foreign origins', 'refused', async () => {
        const alice = newUser();
        const view = await openModal(h, 'integration create openai', alice);
        await submitAccepted(h, filled(view, { int_name: 'Shared channel', int_key__openai: 'sk-abuse-shared-0123456789' }), alice);
        const raw = h.slack.views.get(view.id)?.view.private_metadata;
        const opId = String((JSON.parse(typeof raw === 'string' ? raw : '{}') as { operationId?: unknown }).operationId);
        h.slack.reset();
        const before = h.portkey.requests.length;
        const payload = {
          type: 'block_actions',
          user: { id: 'U_EXTERNAL', username: 'ext', name: 'ext', team_id: 'T0OTHERORG' },
          api_app_id: 'A0APP',
          token: 'verification-token',
          trigger_id: 'trigger-external',
          team: { id: 'T0001', domain: 'test' },
          enterprise: null,
          is_enterprise_install: false,
          container: { type: 'message', message_ts: '1.000100', channel_id: 'C_SHARED', is_ephemeral: false },
          channel: { id: 'C_SHARED', name: 'shared' },
          message: { type: 'message', ts: '1.000100', user: 'UBOT', bot_id: 'BBOT', text: '' },
          state: { values: {} },
          response_url: h.slack.responseUrl(),
          actions: [
            { type: 'button', action_id: 'integration_retry_access', block_id: 'int_access_actions', value: opId, action_ts: '1.000200' },
          ],
        };
        expect((await h.app.driver.raw(`payload=${encodeURIComponent(JSON.stringify(payload))}`)).status).toBe(200);
        await settle();
        expect(h.slack.calls.map((c) => c.method)).toEqual([]);
        expect(h.slack.responses).toEqual([]);
        expect(h.portkey.requests.length).toBe(before);
        expect((await peekSqlite(h.app.dataDir).rows('audit')).filter((r) => r.actor_id === 'U_EXTERNAL')).toEqual([]);
      }));
  });
}
