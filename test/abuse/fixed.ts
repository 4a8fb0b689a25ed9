// Cases that needed fixes in the app's shell (receiver, service, modal flow), each refused or neutralised.
import { stringify } from 'node:querystring';
import { describe, expect, it } from 'vitest';
import type { TestEnv } from '../support/env.js';
import { filled, newUser, openModal, submitAccepted } from './flows.js';
import { expectNothingSent, INJECTION, INJECTION_ESCAPED, liveMarkup, renderedEverywhere } from './sent.js';
import type { Tally } from './tally.js';

export function fixedCases(h: TestEnv, tally: Tally): void {
  describe('the receiver refuses what Bolt would let through', () => {
    it.each([
      {
        name: 'a correctly signed command dated 10 minutes ahead',
        body: () =>
          stringify({
            command: '/portkey',
            text: 'workspace create Future',
            team_id: 'T0001',
            user_id: 'U_M',
            channel_id: 'C_GENERAL',
            trigger_id: 't-future',
            response_url: h.slack.responseUrl(),
          }),
        ahead: 600,
        status: 401,
      },
      { name: 'a signed payload that is JSON null', body: () => 'payload=null', ahead: 0, status: 400 },
    ])('$name is refused at once', (c) =>
      tally.run('signatures', 'refused', async () => {
        const res = await h.app.driver.raw(c.body(), { timestamp: Math.floor(Date.now() / 1000) + c.ahead });
        expect(res.status).toBe(c.status);
        expectNothingSent(h);
      }),
    );
  });

  describe('echoes that bypassed the views', () => {
    it("a failure the closed modal couldn't show is sent privately with Portkey's words escaped", () =>
      tally.run('mrkdwn injection', 'neutralised', async () => {
        h.portkey.fault(
          { method: 'POST', path: '/admin/workspaces' },
          { status: 409, body: { success: false, data: { message: `Workspace ${INJECTION} exists`, errorCode: 'AB07' } } },
        );
        h.slack.fail('views.update', 'not_found');
        const userId = newUser();
        const view = await openModal(h, 'workspace create', userId);
        const ack = await h.app.driver.viewSubmission({ view: filled(view, { ws_name: 'Closed modal' }), userId });
        const notice = await h.slack.waitForResponse();
        expect(String(notice.body.text)).toContain(INJECTION_ESCAPED);
        expect(liveMarkup(renderedEverywhere(h, [ack]))).toEqual([]);
      }));

    it("a submission carrying someone else's view id is not shown their operation", () =>
      tally.run('tampered metadata', 'refused', async () => {
        const alice = newUser();
        const hers = await openModal(h, 'workspace create', alice);
        await submitAccepted(h, filled(hers, { ws_name: 'Alice secret acquisition' }), alice);
        const mallory = newUser();
        const own = await openModal(h, 'workspace create', mallory);
        const ack = await h.app.driver.viewSubmission({ view: { ...filled(own, { ws_name: 'Mallory' }), id: hers.id }, userId: mallory });
        expect(ack.status).toBe(200);
        expect(JSON.stringify(ack.json)).not.toContain('Alice secret acquisition');
        expect(JSON.stringify(ack.json)).toContain('already submitted by someone else');
      }));
  });
}
