// Tampered private_metadata. It only says where to answer and which operation a view shows; who may do what
// always comes from the signed payload's user. Another person's operation id must not reveal or retry their
// work; a channel that is no conversation, or that can't be read, must not become a place to post.
import { describe, expect, it } from 'vitest';
import type { FillableView, ViewLike } from '../support/driver.js';
import type { TestEnv } from '../support/env.js';
import { allText, record } from '../support/payload.js';
import { filled, newUser, openModal, settle, submitAccepted } from './flows.js';
import type { Tally } from './tally.js';

const KEY = 'sk-abuse-metadata-0123456789';
const SECRET_NAME = 'Alice secret acquisition';

/** The private_metadata of the view the fake Slack holds now. */
function metadataOf(h: TestEnv, viewId: string): Record<string, unknown> {
  const raw = h.slack.views.get(viewId)?.view.private_metadata;
  const parsed: unknown = JSON.parse(typeof raw === 'string' ? raw : '{}');
  return record(parsed, 'private_metadata');
}

/** Submits a form that Portkey refuses (403); resolves with the operation id the error view carries. */
async function failedSubmission(h: TestEnv, userId: string, form: 'workspace' | 'integration'): Promise<string> {
  if (form === 'workspace') {
    h.portkey.fault(
      { method: 'POST', path: '/admin/workspaces' },
      { status: 403, body: { success: false, data: { message: 'no', errorCode: 'AB03' } } },
    );
    const view = await openModal(h, 'workspace create', userId);
    await submitAccepted(h, filled(view, { ws_name: SECRET_NAME, ws_description: 'confidential target' }), userId);
    return String(metadataOf(h, view.id).operationId);
  }
  h.portkey.fault(
    { method: 'POST', path: '/integrations' },
    { status: 403, body: { success: false, data: { message: 'no', errorCode: 'AB03' } } },
  );
  const view = await openModal(h, 'integration create openai', userId);
  await submitAccepted(h, filled(view, { int_name: SECRET_NAME, int_description: 'confidential target', int_key__openai: KEY }), userId);
  return String(metadataOf(h, view.id).operationId);
}

/** Clicks "Back to the form" in `view` as `userId`, the view's metadata set to `metadata`; resolves with the form shown. */
async function clickBack(
  h: TestEnv,
  view: FillableView,
  userId: string,
  actionId: string,
  metadata: string,
): Promise<Record<string, unknown>> {
  const seen = h.slack.callsTo('views.update').length;
  const res = await h.app.driver.blockAction({
    actionId,
    blockId: actionId === 'workspace_back' ? 'ws_error_actions' : 'int_error_actions',
    view: { ...view, private_metadata: metadata },
    userId,
  });
  expect(res.status).toBe(200);
  const update = await h.slack.waitFor(
    'views.update',
    (c) => c.args.view_id === view.id && h.slack.callsTo('views.update').indexOf(c) >= seen,
  );
  return record(update.args.view, 'restored form');
}

/** Submits `view` with forged metadata as `userId`; resolves with where the result was posted. */
async function submitWithMetadata(h: TestEnv, view: FillableView, userId: string, metadata: string, name: string): Promise<string> {
  const forged: ViewLike = { ...filled(view, { ws_name: name }), private_metadata: metadata };
  await submitAccepted(h, forged, userId);
  const post = await h.slack.waitFor('chat.postMessage');
  expect(allText(post.args.blocks), 'the signed user is the one credited').toContain(`<@${userId}>`);
  return String(post.args.channel);
}

export function metadataCases(h: TestEnv, tally: Tally): void {
  describe('tampered private_metadata', () => {
    it.each([
      { form: 'workspace' as const, back: 'workspace_back' },
      { form: 'integration' as const, back: 'integration_back' },
    ])('$form: "Back to the form" with someone else\'s operation id shows an empty form, not their draft', async (c) =>
      tally.run('tampered metadata', 'refused', async () => {
        const alice = newUser();
        const mallory = newUser();
        const operationId = await failedSubmission(h, alice, c.form);
        expect(operationId).toMatch(/^[0-9a-f-]{36}$/);
        h.slack.reset();

        const own = await openModal(h, c.form === 'workspace' ? 'workspace create' : 'integration create openai', mallory);
        const shown = await clickBack(h, own, mallory, c.back, JSON.stringify({ channelId: 'C_GENERAL', operationId }));
        expect(JSON.stringify(shown)).not.toContain(SECRET_NAME);
        expect(JSON.stringify(shown)).not.toContain('confidential target');
        expect(allText(shown.blocks)).toContain('no longer available');

        // The same metadata in Alice's hands brings her draft back: the id was the right one.
        const hers = await openModal(h, c.form === 'workspace' ? 'workspace create' : 'integration create openai', alice);
        expect(JSON.stringify(await clickBack(h, hers, alice, c.back, JSON.stringify({ operationId })))).toContain(SECRET_NAME);
      }),
    );

    it('"Retry enabling" on someone else\'s integration is refused and sends Portkey nothing', async () =>
      tally.run('tampered metadata', 'refused', async () => {
        const alice = newUser();
        const view = await openModal(h, 'integration create openai', alice);
        await submitAccepted(h, filled(view, { int_name: 'Alice retry target', int_key__openai: KEY }), alice);
        const operationId = String(metadataOf(h, view.id).operationId);
        h.slack.reset();
        h.portkey.reset();

        const res = await h.app.driver.blockAction({
          actionId: 'integration_retry_access',
          blockId: 'int_access_actions',
          value: operationId,
          userId: newUser(),
          responseUrl: h.slack.responseUrl(),
        });
        expect(res.status).toBe(200);
        const told = await h.slack.waitForResponse();
        expect(String(told.body.text)).toBe(`Only <@${alice}>, who created the integration, can retry this.`);
        expect(h.portkey.requests).toEqual([]);
      }));

    it.each([
      { name: 'not JSON', metadata: '{"channelId":"C_GENERAL"' },
      { name: 'a megabyte of JSON', metadata: JSON.stringify({ channelId: 'C_GENERAL', pad: 'x'.repeat(1_000_000) }) },
      { name: 'a channel with markup in it', metadata: JSON.stringify({ channelId: 'C1> <!channel' }) },
      { name: "a user's id as the channel (the bot would DM them)", metadata: JSON.stringify({ channelId: 'U_BOB' }) },
      { name: "someone else's operation id", metadata: JSON.stringify({ operationId: '00000000-0000-4000-8000-000000000000' }) },
    ])('a submission whose metadata is $name: created for the signed user, told by DM', async (c) =>
      tally.run('tampered metadata', 'neutralised', async () => {
        const userId = newUser();
        const view = await openModal(h, 'workspace create', userId);
        const channel = await submitWithMetadata(h, view, userId, c.metadata, `Tampered ${userId}`);
        expect(channel).toBe(`D${userId}`);
      }),
    );

    it('a submission naming another channel: one post there, crediting only the signed user', async () =>
      tally.run('tampered metadata', 'neutralised', async () => {
        const userId = newUser();
        const view = await openModal(h, 'workspace create', userId);
        const channel = await submitWithMetadata(h, view, userId, JSON.stringify({ channelId: 'C_ELSEWHERE' }), `Elsewhere ${userId}`);
        expect(channel).toBe('C_ELSEWHERE');
        await settle();
        const posts = h.slack.callsTo('chat.postMessage');
        expect(posts).toHaveLength(1);
        expect(JSON.stringify(posts[0]?.args).match(/<@[A-Z0-9_]+>/g)).toEqual([`<@${userId}>`]);
      }));
  });
}
