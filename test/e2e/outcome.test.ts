import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { peekSqlite } from '../support/db.js';
import { useTestEnv } from '../support/env.js';
import { allText, record } from '../support/payload.js';
import { eventually } from '../support/wait.js';
import {
  CREATE_PATH,
  isErrorView,
  isSuccessView,
  KINDS,
  newUser,
  openCreateForm,
  submitCreate,
  theOnlyResource,
  typed,
  viewText,
  viewUpdate,
  type Kind,
} from '../faults/harness.js';

// The progress view promises the result outside the modal too. Every outcome keeps it, exactly once, naming the
// request: a success is posted in the channel, a failure sent only to the person — whether the modal is still
// open or they closed it (Slack then answers views.update with not_found) — and a failure Slack couldn't take is
// sent once after a restart.

const h = useTestEnv();

const WHO: Record<Kind, string> = { workspace: 'workspace', integration: 'OpenAI integration' };
const REFUSAL =
  "Portkey refused: the admin key lacks permission for this, or your Portkey plan doesn't allow it. " +
  'Portkey said: "You do not have enough permissions to execute this request" Ask a Portkey org admin to check the key\'s scopes.';

/** The slug the create was sent with (an integration always has one), as the notice shows it. */
function slugShown(kind: Kind): string {
  if (kind === 'workspace') return '';
  const body = record(h.portkey.requestsTo('POST', CREATE_PATH[kind])[0]?.body, 'create body');
  return ` (slug \`${String(body.slug)}\`)`;
}

/** Every message the app sent anyone besides the modal: channel and DM posts, ephemerals, reply-link posts. */
function everythingSent() {
  return {
    posts: h.slack.callsTo('chat.postMessage').filter((c) => c.error === undefined),
    ephemerals: h.slack.callsTo('chat.postEphemeral'),
    replies: h.slack.responses,
  };
}

const cases = KINDS.flatMap((kind) => (['open', 'closed'] as const).map((modal) => ({ kind, modal })));

describe.each(cases)('$kind create, modal $modal', ({ kind, modal }) => {
  /** Submits; with `modal: 'closed'` the person closes the progress view before Portkey answers (it waits 300 ms). */
  async function submitted(name: string, outcome: 'created' | 'refused') {
    h.portkey.fault(
      { method: 'POST', path: CREATE_PATH[kind] },
      outcome === 'created' ? { afterHandling: true, delayMs: 300 } : { status: 403, delayMs: 300 },
    );
    const userId = newUser();
    const opened = await openCreateForm(h, kind, { userId, channelId: 'C_TOLD' });
    await submitCreate(h, opened, typed(kind, name));
    if (modal === 'closed') h.slack.closeView(opened.form.id);
    const update = await viewUpdate(h, opened.form.id, (v) => isSuccessView(v) || isErrorView(v));
    expect(update.error).toBe(modal === 'closed' ? 'not_found' : undefined);
    return { userId, opened, update };
  }

  it('created: posted once in the channel, naming it; nothing sent privately', async () => {
    const name = `Told ${newUser()}`;
    const { userId, update } = await submitted(name, 'created');
    const made = theOnlyResource(h, kind, name);

    const sent = everythingSent();
    expect(sent.posts.map((c) => c.args.channel)).toEqual(['C_TOLD']);
    expect(String(sent.posts[0]?.args.text)).toContain(name);
    expect(String(sent.posts[0]?.args.text)).toContain(made.slug);
    expect(allText(sent.posts[0]?.args.blocks)).toContain(`<@${userId}>`);
    expect(sent.ephemerals).toEqual([]);
    expect(sent.replies).toEqual([]);
    expect(viewText(update)).toContain('Posted in <#C_TOLD>.');
  });

  it('refused: sent once, only to the person, naming the request and what to do; nothing in the channel', async () => {
    const name = `Refused ${newUser()}`;
    const { opened, update } = await submitted(name, 'refused');

    const sent = everythingSent();
    expect(sent.posts).toEqual([]);
    expect(sent.ephemerals).toEqual([]);
    expect(sent.replies.map((r) => [r.url, r.body])).toEqual([
      [
        opened.responseUrl,
        { response_type: 'ephemeral', text: `:warning: Your ${WHO[kind]} *${name}*${slugShown(kind)} was not created. ${REFUSAL}` },
      ],
    ]);
    expect(viewText(update)).toContain('was not created.');
    expect(viewText(update)).toContain('This was also sent only to you in the channel.');
    expect(h.portkey.requestsTo('POST', CREATE_PATH[kind])).toHaveLength(1);
  });
});

describe('a failure notice Slack could not take', () => {
  it('stays queued, and is sent once, privately and naming the request, after a restart on the same DATA_DIR', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'portkey-told-restart-'));
    let first: TestApp | undefined;
    let second: TestApp | undefined;
    try {
      first = await startTestApp({ slack: h.slack, portkey: h.portkey, env: { DATA_DIR: dataDir } });
      const userId = newUser();
      const name = `Restart ${userId}`;
      const opened = await openCreateForm(h, 'workspace', { userId, app: first });
      h.portkey.fault({ method: 'POST', path: CREATE_PATH.workspace }, { status: 403 });
      // Slack's Web API is down and the reply link refuses: the reply link and the DM both fail.
      h.slack.down(true);
      h.slack.failResponseUrls(500);
      await submitCreate(h, opened, typed('workspace', name), first);

      const peek = peekSqlite(dataDir);
      const pending = await eventually(
        'a failed attempt at the failure notice',
        async () => {
          const [note] = (await peek.rows('notifications')).filter((n) => n.kind === 'result');
          return note && Number(note.attempts) >= 1 ? note : undefined;
        },
        { timeoutMs: 10_000 },
      );
      expect(pending).toMatchObject({ status: 'pending' });
      await first.stop();

      h.slack.down(false);
      h.slack.failResponseUrls(null);
      const before = h.slack.responses.filter((r) => r.status === 200).length;
      second = await startTestApp({ slack: h.slack, portkey: h.portkey, env: { DATA_DIR: dataDir } });

      const reply = await h.slack.waitForResponse((r) => r.url === opened.responseUrl && r.status === 200, 20_000);
      expect(reply.body).toEqual({ response_type: 'ephemeral', text: `:warning: Your workspace *${name}* was not created. ${REFUSAL}` });
      const sent = await eventually('the notice to be marked sent', async () => {
        const [note] = (await peek.rows('notifications')).filter((n) => n.kind === 'result');
        return note?.status === 'sent' ? note : undefined;
      });
      expect(sent.id).toBe(pending.id);
      // Exactly once: one reply that Slack took, no DM, nothing in the channel.
      expect(h.slack.responses.filter((r) => r.status === 200).length - before).toBe(1);
      expect(h.slack.callsTo('chat.postMessage').filter((c) => c.error === undefined)).toEqual([]);
      expect(h.portkey.requestsTo('POST', CREATE_PATH.workspace)).toHaveLength(1);
    } finally {
      await first?.stop();
      await second?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 45_000);
});
