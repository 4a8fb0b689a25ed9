// Claiming what someone else created (issue 10 §1) and flooding through refunds (§4): an ordinary member
// submits another person's integration name, slug and provider, or replays "Retry enabling" on an operation
// that created nothing, or that has nothing left to do. Each is refused, and Portkey is sent no grant.
import { describe, expect, it } from 'vitest';
import { peekSqlite } from '../support/db.js';
import type { TestEnv } from '../support/env.js';
import { allText, record } from '../support/payload.js';
import { filled, newUser, openModal, submitAccepted } from './flows.js';
import type { Tally } from './tally.js';

const ALICE_KEY = 'sk-abuse-claims-alice-0123456789';

/** The operation id a view's metadata carries (set once the submission was stored). */
function operationOf(h: TestEnv, viewId: string): string {
  const raw = h.slack.views.get(viewId)?.view.private_metadata;
  return String(record(JSON.parse(typeof raw === 'string' ? raw : '{}') as unknown, 'private_metadata').operationId);
}

async function retryAs(h: TestEnv, userId: string, operationId: string): Promise<string> {
  const responseUrl = h.slack.responseUrl();
  const res = await h.app.driver.blockAction({
    actionId: 'integration_retry_access',
    blockId: 'int_access_actions',
    value: operationId,
    userId,
    responseUrl,
  });
  expect(res.status).toBe(200);
  return String((await h.slack.waitForResponse((r) => r.url === responseUrl)).body.text);
}

export function claimCases(h: TestEnv, tally: Tally): void {
  describe('claiming someone else’s integration', () => {
    it('the same name, slug and provider as an existing integration, with a junk key and the attacker’s workspace → slug taken, no grant', async () =>
      tally.run('claims', 'refused', async () => {
        const alice = newUser();
        const hers = await openModal(h, 'integration create openai', alice);
        await submitAccepted(h, filled(hers, { int_name: 'Abuse prod', int_slug: 'abuse-prod', int_key__openai: ALICE_KEY }), alice);
        const [stored] = h.portkey.integrations;
        if (!stored) throw new Error('no integration');
        const sandbox = h.portkey.seedWorkspace({ name: 'Sandbox', slug: 'abuse-sandbox' });

        const mallory = newUser();
        const view = await openModal(h, 'integration create openai', mallory);
        const { result } = await submitAccepted(
          h,
          filled(
            view,
            { int_name: 'Abuse prod', int_slug: 'abuse-prod', int_key__openai: 'junk' },
            { int_access: [{ value: sandbox.id, text: 'Sandbox (abuse-sandbox)' }] },
          ),
          mallory,
        );
        const shown = allText(record(result.args.view, 'result').blocks);
        expect(shown).toContain('The slug abuse-prod is already used by another integration.');
        expect(JSON.stringify(result.args)).not.toContain(stored.id);
        expect(h.portkey.requests.filter((r) => r.method === 'PUT')).toEqual([]);

        // Her own (failed) operation's id in a forged "Retry enabling" grants nothing either.
        const told = await retryAs(h, mallory, operationOf(h, view.id));
        expect(told).toContain('no longer known');
        expect(h.portkey.requests.filter((r) => r.method === 'PUT')).toEqual([]);
        expect(stored.workspaceAccess.size).toBe(0);
      }));

    it('the same claim when Portkey’s 409 is lost on the way back → the lookup finds nothing of the attacker’s, no grant', async () =>
      tally.run('claims', 'refused', async () => {
        const alice = newUser();
        const hers = await openModal(h, 'integration create openai', alice);
        await submitAccepted(h, filled(hers, { int_name: 'Abuse lost', int_slug: 'abuse-lost', int_key__openai: ALICE_KEY }), alice);
        const [stored] = h.portkey.integrations;
        if (!stored) throw new Error('no integration');
        const sandbox = h.portkey.seedWorkspace({ name: 'Sandbox lost', slug: 'abuse-sandbox-lost' });
        h.portkey.fault({ method: 'POST', path: '/integrations' }, { afterHandling: true, drop: true });
        const mallory = newUser();
        const view = await openModal(h, 'integration create openai', mallory);
        const { result } = await submitAccepted(
          h,
          filled(
            view,
            { int_name: 'Abuse lost', int_slug: 'abuse-lost', int_key__openai: 'junk-0000' },
            { int_access: [{ value: sandbox.id, text: 'Sandbox lost' }] },
          ),
          mallory,
        );
        expect(JSON.stringify(result.args)).not.toContain(stored.id);
        expect(allText(record(result.args.view, 'result').blocks)).toContain('already used by another integration');
        expect(h.portkey.requests.filter((r) => r.method === 'PUT')).toEqual([]);
      }));

    it('a workspace of the same name someone else made just before a lost create is never credited to the attacker', async () =>
      tally.run('claims', 'refused', async () => {
        const theirs = h.portkey.seedWorkspace({ name: 'Abuse lake', slug: 'abuse-lake-owner' });
        h.portkey.fault({ method: 'POST', path: '/admin/workspaces' }, { drop: true });
        const mallory = newUser();
        const view = await openModal(h, 'workspace create Abuse lake', mallory);
        const { result } = await submitAccepted(h, filled(view, {}), mallory);
        // Theirs bears the name before Mallory's create is sent: never hers, whatever its whole-second timestamp says.
        const text = allText(record(result.args.view, 'result').blocks);
        expect(text).toContain('was not created');
        expect(text).not.toContain('is ready');
        expect(JSON.stringify(result.args)).not.toContain(theirs.id);
        expect(h.slack.callsTo('chat.postMessage')).toEqual([]);
      }));

    it('"Retry enabling" replayed by the requester when the grant never failed → nothing left to retry, no PUT', async () =>
      tally.run('claims', 'refused', async () => {
        const alice = newUser();
        const ws = h.portkey.seedWorkspace({ name: 'Granted', slug: 'abuse-granted' });
        const view = await openModal(h, 'integration create openai', alice);
        await submitAccepted(
          h,
          filled(
            view,
            { int_name: 'Abuse granted', int_key__openai: ALICE_KEY },
            { int_access: [{ value: ws.id, text: 'Granted (abuse-granted)' }] },
          ),
          alice,
        );
        const puts = () => h.portkey.requestsTo('PUT', '/integrations/abuse-granted/workspaces');
        expect(puts()).toHaveLength(1);
        expect(await retryAs(h, alice, operationOf(h, view.id))).toBe('There is nothing left to retry: this step already succeeded.');
        expect(puts()).toHaveLength(1);
      }));

    // Issue 10 §6: refused clicks are told every time but audited at most once a minute per clicker and request.
    it('"Retry enabling" clicked 20 times by someone who is not the requester → refused each time, one audit row', async () =>
      tally.run('claims', 'refused', async () => {
        const alice = newUser();
        const view = await openModal(h, 'integration create openai', alice);
        await submitAccepted(h, filled(view, { int_name: 'Abuse flood', int_key__openai: ALICE_KEY }), alice);
        const opId = operationOf(h, view.id);
        const mallory = newUser();
        for (let i = 0; i < 20; i += 1)
          expect(await retryAs(h, mallory, opId)).toMatch(/^Only <@.+>, who created the integration, can retry this\.$/);
        const rows = (await peekSqlite(h.app.dataDir).rows('audit')).filter((r) => r.target === opId && r.actor_id === mallory);
        expect(rows.map((r) => r.outcome)).toEqual(['refused']);
      }));
  });
}
