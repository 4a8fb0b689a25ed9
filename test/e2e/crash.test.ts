import { rmSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { peekSqlite, type Row } from '../support/db.js';
import { fillView, viewFrom, type FillableView, type FillValue } from '../support/driver.js';
import { useFakes } from '../support/env.js';
import type { SlackCall } from '../support/fake-slack.js';
import { allText, record } from '../support/payload.js';
import { appEnv, killAll, spawnApp, type SpawnedApp } from '../support/process.js';
import { eventually } from '../support/wait.js';

// Crash and restart for real: the app runs as its own process (src/main.ts) on a SQLite DATA_DIR, is killed with
// SIGKILL at the worst moments, and is started again on the same DATA_DIR. The person must be told, and nothing
// may be created twice.

const TEST_TIMEOUT = 45_000;
/** How long a restarted app may take to finish what the crash left (it has nothing else to do). */
const RECOVERY_MS = 8_000;

const h = useFakes();
/** A fresh DATA_DIR for each test, removed once its processes are gone. */
let dataDir: string;

beforeEach(() => {
  dataDir = h.tempDir('portkey-crash-');
});

afterEach(async () => {
  await killAll();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Same DATA_DIR for every start in a test; a Portkey timeout long enough that a held answer is still awaited. */
function start(): Promise<SpawnedApp> {
  return spawnApp(appEnv(h.slack, h.portkey, { DATA_DIR: dataDir, PORTKEY_TIMEOUT_MS: '15000' }), { slack: h.slack });
}

let triggers = 0;

async function openForm(app: SpawnedApp, text: string, channelId: string): Promise<FillableView> {
  const triggerId = `crash-trigger-${++triggers}`;
  const res = await app.driver.command({ text, triggerId, channelId });
  expect(res.status).toBe(200);
  const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
  expect(open.error).toBeUndefined();
  return viewFrom(open, h.slack.views);
}

async function submit(app: SpawnedApp, form: FillableView, inputs: Record<string, FillValue>): Promise<void> {
  const ack = await app.driver.viewSubmission({ view: fillView(form, inputs) });
  expect(ack.status).toBe(200);
  expect(record(ack.json, 'submission ack').response_action).toBe('update');
}

async function kill9(app: SpawnedApp): Promise<void> {
  expect(app.kill('SIGKILL')).toBe(true);
  expect(await app.exit()).toEqual({ code: null, signal: 'SIGKILL' });
}

async function operationOf(viewId: string): Promise<Row> {
  const rows = (await peekSqlite(dataDir).rows('operations')).filter((r) => r.view_id === viewId);
  expect(rows).toHaveLength(1);
  const [row] = rows;
  if (!row) throw new Error(`no operation for view ${viewId}`);
  return row;
}

/** Waits until the operation's result notification is marked sent; returns the operation and the notification. */
async function delivered(viewId: string): Promise<{ op: Row; note: Row }> {
  return eventually('the result notification to be marked sent', async () => {
    const op = await operationOf(viewId);
    const notes = (await peekSqlite(dataDir).rows('notifications')).filter((n) => n.operation_id === op.id);
    const [note] = notes;
    return notes.length === 1 && note?.status === 'sent' ? { op, note } : undefined;
  });
}

/** The channel's successful posts. */
function postsTo(channel: string): SlackCall[] {
  return h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && c.error === undefined);
}

function expectIdAndSlug(post: SlackCall, id: string, slug: string): void {
  expect(String(post.args.text)).toContain(id);
  expect(String(post.args.text)).toContain(slug);
  const shown = allText(post.args.blocks);
  expect(shown).toContain(`\`${id}\``);
  expect(shown).toContain(`\`${slug}\``);
}

describe('a crash mid-operation, then a restart on the same DATA_DIR', () => {
  it(
    'killed while Portkey creates the workspace: the restart looks it up, marks it succeeded and posts id and slug',
    async () => {
      const first = await start();
      const form = await openForm(first, 'workspace create Crash While Creating', 'C_CRASH_WS');
      // Portkey creates it at once but answers only after 5 s: the app is killed while it waits.
      h.portkey.fault({ method: 'POST', path: '/admin/workspaces' }, { afterHandling: true, delayMs: 5000 });
      await submit(first, form, {});
      await eventually('Portkey to create the workspace', () => h.portkey.workspaces.length === 1);
      await kill9(first);

      const before = await operationOf(form.id);
      expect(before.status).toBe('executing');
      expect(postsTo('C_CRASH_WS')).toEqual([]);

      const second = await start();
      const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_CRASH_WS' && c.error === undefined, RECOVERY_MS);

      const [ws] = h.portkey.workspaces;
      if (!ws) throw new Error('no workspace');
      expect(h.portkey.workspaces).toHaveLength(1);
      expect(h.portkey.requestsTo('POST', '/admin/workspaces')).toHaveLength(1);
      // Found by its exact name, not re-sent.
      expect(h.portkey.requestsTo('GET', '/admin/workspaces').map((r) => r.query.exact_name)).toContain('Crash While Creating');
      expectIdAndSlug(post, ws.id, ws.slug);
      const { op } = await delivered(form.id);
      expect(op).toMatchObject({ status: 'succeeded', portkey_id: ws.id, portkey_slug: ws.slug, error: null, lease_owner: null });
      expect(await peekSqlite(dataDir).rows('operation_secrets')).toEqual([]);
      const audit = (await peekSqlite(dataDir).rows('audit')).filter((a) => a.action === 'workspace.create.portkey');
      expect(audit).toEqual([
        expect.objectContaining({ outcome: 'succeeded', detail_json: JSON.stringify({ id: ws.id, slug: ws.slug, recovered: true }) }),
      ]);
      expect(postsTo('C_CRASH_WS')).toHaveLength(1);
      await second.waitForLog('recovered unfinished operations');
    },
    TEST_TIMEOUT,
  );

  // Portkey stamps times to the whole second: theirs, made a moment before, can read as new as the one being made.
  it(
    'killed while the create is in flight, with a same-named workspace someone made just before: the restart never credits theirs',
    async () => {
      const theirs = h.portkey.seedWorkspace({ name: 'Crash Namesake', slug: 'crash-namesake-theirs' });
      const first = await start();
      const form = await openForm(first, 'workspace create Crash Namesake', 'C_CRASH_NAMESAKE');
      // The create reaches Portkey but is never handled: the app is killed while it waits.
      h.portkey.fault({ method: 'POST', path: '/admin/workspaces' }, { hang: true });
      await submit(first, form, {});
      await eventually('the create to reach Portkey', () => h.portkey.requestsTo('POST', '/admin/workspaces').length === 1);
      await kill9(first);
      // What existed just before the create was sent was kept with the operation, for this restart.
      const op = await operationOf(form.id);
      const [kept] = (await peekSqlite(dataDir).rows('operation_steps')).filter((r) => r.operation_id === op.id);
      expect(kept).toMatchObject({ step: 'create', status: 'started', evidence_json: JSON.stringify({ existed: [theirs.id] }) });

      const second = await start();
      await second.waitForLog('recovered unfinished operations');
      const after = await eventually('the operation to be closed', async () => {
        const row = await operationOf(form.id);
        return row.status === 'failed' ? row : undefined;
      });
      expect(after).toMatchObject({ portkey_id: null, portkey_slug: null });
      expect(String(after.error)).toContain('Portkey has no record of it');
      expect(h.portkey.workspaces.map((w) => w.id)).toEqual([theirs.id]);
      expect(JSON.stringify([...h.slack.calls, ...h.slack.responses])).not.toContain(theirs.id);
      expect(postsTo('C_CRASH_NAMESAKE')).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'killed between Portkey’s answer and the Slack post: the restart posts it, and nothing is created twice',
    async () => {
      const first = await start();
      const form = await openForm(first, 'workspace create Crash Before Posting', 'C_CRASH_POST');
      // Slack holds the channel post; the app is killed while it waits for Slack's answer.
      h.slack.delay('chat.postMessage', 30_000);
      await submit(first, form, {});
      const held = await h.slack.waitForHeld('chat.postMessage', (c) => c.args.channel === 'C_CRASH_POST', 10_000);
      await kill9(first);
      await eventually('Slack to drop the held post', () => held.state === 'abandoned');

      const [ws] = h.portkey.workspaces;
      if (!ws) throw new Error('no workspace');
      expect(await operationOf(form.id)).toMatchObject({ status: 'succeeded', portkey_id: ws.id });
      expect(postsTo('C_CRASH_POST')).toEqual([]);

      await start();
      const post = await h.slack.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === 'C_CRASH_POST' && c.error === undefined,
        RECOVERY_MS,
      );

      expectIdAndSlug(post, ws.id, ws.slug);
      expect(h.portkey.workspaces).toHaveLength(1);
      expect(h.portkey.requestsTo('POST', '/admin/workspaces')).toHaveLength(1);
      const { note } = await delivered(form.id);
      expect(note.status).toBe('sent');
      expect(postsTo('C_CRASH_POST')).toHaveLength(1);
    },
    TEST_TIMEOUT,
  );

  it(
    'an integration killed while Portkey creates it: the restart finds it by slug, posts id and slug, wipes the key',
    async () => {
      const first = await start();
      const form = await openForm(first, 'integration create openai', 'C_CRASH_INT');
      h.portkey.fault({ method: 'POST', path: '/integrations' }, { afterHandling: true, delayMs: 5000 });
      await submit(first, form, { int_name: 'Crash Integration', int_key__openai: 'sk-crash-test-0123456789' });
      await eventually('Portkey to create the integration', () => h.portkey.integrations.length === 1);
      await kill9(first);
      expect((await operationOf(form.id)).status).toBe('executing');
      // The key is still sealed: the restart may need it to finish the follow-up steps.
      expect(await peekSqlite(dataDir).rows('operation_secrets')).toHaveLength(1);

      await start();
      const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_CRASH_INT' && c.error === undefined, RECOVERY_MS);

      const [integration] = h.portkey.integrations;
      if (!integration) throw new Error('no integration');
      expect(integration.slug).toBe('crash-integration');
      expect(h.portkey.integrations).toHaveLength(1);
      expect(h.portkey.requestsTo('POST', '/integrations')).toHaveLength(1);
      expect(h.portkey.requestsTo('GET', '/integrations/crash-integration').length).toBeGreaterThanOrEqual(1);
      expectIdAndSlug(post, integration.id, integration.slug);
      const { op } = await delivered(form.id);
      expect(op).toMatchObject({ status: 'succeeded', portkey_id: integration.id, portkey_slug: 'crash-integration' });
      expect(await peekSqlite(dataDir).rows('operation_secrets')).toEqual([]);
      expect(postsTo('C_CRASH_INT')).toHaveLength(1);
    },
    TEST_TIMEOUT,
  );
});
