import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { peekPostgres, scratchPostgresDatabase, type DbPeek, type Row, type ScratchDatabase } from '../support/db.js';
import { fillView, viewFrom, type FillableView } from '../support/driver.js';
import { useFakes } from '../support/env.js';
import type { SlackCall } from '../support/fake-slack.js';
import { allText, record } from '../support/payload.js';
import { appEnv, killAll, launchApp, spawnApp, type SpawnedApp } from '../support/process.js';
import { eventually } from '../support/wait.js';

// Several replicas: two app processes (src/main.ts) on one PostgreSQL database, behind the same fake Slack and fake
// Portkey. Runs only when TEST_DATABASE_URL points at a server (CI sets it); each run uses its own scratch database.

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL?.trim() || undefined;
const TEST_TIMEOUT = 60_000;
/**
 * How long a replica may take to finish what a dead one left. It can't tell a dead peer from a slow one but by its
 * lease: 15 s, renewed every 5 s while working, checked by every replica's sweep every 5 s — so at most ~20 s.
 */
const RECOVERY_MS = 30_000;
/** Every replica shares it: they seal and open each other's secrets. */
const SECRETS_KEY = randomBytes(32).toString('base64');

const h = useFakes();
const dataDir = () => h.tempDir('portkey-replica-');

let triggers = 0;

async function openForm(app: SpawnedApp, name: string, channelId: string): Promise<FillableView> {
  const triggerId = `replica-trigger-${++triggers}`;
  const res = await app.driver.command({ text: `workspace create ${name}`, triggerId, channelId });
  expect(res.status).toBe(200);
  const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
  expect(open.error).toBeUndefined();
  return viewFrom(open, h.slack.views);
}

function postsTo(channel: string): SlackCall[] {
  return h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && c.error === undefined);
}

function expectIdAndSlug(post: SlackCall, id: string, slug: string): void {
  expect(String(post.args.text)).toContain(id);
  expect(String(post.args.text)).toContain(slug);
  expect(allText(post.args.blocks)).toContain(`\`${id}\``);
  expect(allText(post.args.blocks)).toContain(`\`${slug}\``);
}

describe.skipIf(!TEST_DATABASE_URL)('two replicas on one PostgreSQL database', () => {
  let db: ScratchDatabase | undefined;
  let peek: DbPeek | undefined;

  beforeEach(async () => {
    db = await scratchPostgresDatabase(TEST_DATABASE_URL ?? '');
    peek = await peekPostgres(db.url);
  });

  afterEach(async () => {
    await killAll();
    await peek?.close();
    await db?.drop();
    db = undefined;
    peek = undefined;
  });

  const replica = () => {
    if (!db) throw new Error('no scratch database');
    return spawnApp(appEnv(h.slack, h.portkey, { DATABASE_URL: db.url, SECRETS_KEY, DATA_DIR: dataDir(), PORTKEY_TIMEOUT_MS: '15000' }), {
      slack: h.slack,
    });
  };
  const rows = (table: string): Promise<Row[]> => {
    if (!peek) throw new Error('no database');
    return peek.rows(table);
  };
  const operationOf = async (viewId: string): Promise<Row> => {
    const found = (await rows('operations')).filter((r) => r.view_id === viewId);
    expect(found).toHaveLength(1);
    const [row] = found;
    if (!row) throw new Error(`no operation for view ${viewId}`);
    return row;
  };
  const delivered = (viewId: string) =>
    eventually('the result notification to be marked sent', async () => {
      const op = await operationOf(viewId);
      const notes = (await rows('notifications')).filter((n) => n.operation_id === op.id);
      return notes.length === 1 && notes[0]?.status === 'sent' ? { op, note: notes[0] } : undefined;
    });

  it(
    'the same signed submission delivered to both at once: one create, one notification, both answered',
    async () => {
      // Started together: both migrate the fresh database at the same time.
      const [a, b] = await Promise.all([replica(), replica()]);
      const form = await openForm(a, 'Replicated Space', 'C_REPLICAS');
      const filled = fillView(form, {});

      const acks = await Promise.all([a.driver.viewSubmission({ view: filled }), b.driver.viewSubmission({ view: filled })]);

      for (const ack of acks) {
        expect(ack.status).toBe(200);
        expect(record(ack.json, 'ack')).toMatchObject({ response_action: 'update', view: { callback_id: 'workspace_result' } });
      }
      const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_REPLICAS' && c.error === undefined, 10_000);
      const { op } = await delivered(form.id);

      const [ws] = h.portkey.workspaces;
      if (!ws) throw new Error('no workspace');
      expect(h.portkey.workspaces).toHaveLength(1);
      expect(h.portkey.requestsTo('POST', '/admin/workspaces')).toHaveLength(1);
      expectIdAndSlug(post, ws.id, ws.slug);
      expect(op).toMatchObject({ status: 'succeeded', portkey_id: ws.id, portkey_slug: ws.slug, idempotency_key: `T0001:${form.id}:0` });
      expect(postsTo('C_REPLICAS')).toHaveLength(1);
      const audit = (await rows('audit')).filter((r) => r.target === op.id && r.action === 'workspace.create');
      expect(audit.map((r) => r.outcome).sort()).toEqual(['duplicate_submission', 'submitted']);
      // Exactly one of the two ran it.
      const ran = [a, b].filter((r) => r.lines().some((l) => l.msg === 'operation finished' && l.op === op.id));
      expect(ran).toHaveLength(1);
      // Neither stored a secret or lost its store.
      expect(await rows('operation_secrets')).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it(
    'a replica killed while Portkey holds its answer is recovered after its restart; nothing is created twice',
    async () => {
      const [a, b] = await Promise.all([replica(), replica()]);
      const form = await openForm(a, 'Replica Crash', 'C_REPLICA_CRASH');
      h.portkey.fault({ method: 'POST', path: '/admin/workspaces' }, { afterHandling: true, delayMs: 5000 });
      const ack = await a.driver.viewSubmission({ view: fillView(form, {}) });
      expect(record(ack.json, 'ack').response_action).toBe('update');
      await eventually('Portkey to create the workspace', () => h.portkey.workspaces.length === 1);
      expect(a.kill('SIGKILL')).toBe(true);
      expect(await a.exit()).toEqual({ code: null, signal: 'SIGKILL' });
      expect((await operationOf(form.id)).status).toBe('executing');

      await replica();
      const post = await h.slack.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === 'C_REPLICA_CRASH' && c.error === undefined,
        RECOVERY_MS,
      );

      const [ws] = h.portkey.workspaces;
      if (!ws) throw new Error('no workspace');
      expect(h.portkey.workspaces).toHaveLength(1);
      expect(h.portkey.requestsTo('POST', '/admin/workspaces')).toHaveLength(1);
      expectIdAndSlug(post, ws.id, ws.slug);
      const { op } = await delivered(form.id);
      expect(op).toMatchObject({ status: 'succeeded', portkey_id: ws.id, portkey_slug: ws.slug });
      expect(postsTo('C_REPLICA_CRASH')).toHaveLength(1);
      expect(b.child.exitCode).toBeNull();
    },
    TEST_TIMEOUT,
  );
  it(
    'an integration key through PostgreSQL: sealed while needed, then absent from every table and every log line',
    async () => {
      const CANARY = 'sk-PG-CANARY-7d6c5b4a3f2e1d0c';
      const app = await replica();
      const triggerId = `replica-trigger-${++triggers}`;
      await app.driver.command({ text: 'integration create openai', triggerId, channelId: 'C_PG_CANARY' });
      const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
      const form = viewFrom(open, h.slack.views);
      const ack = await app.driver.viewSubmission({ view: fillView(form, { int_name: 'PG Canary', int_key__openai: CANARY }) });
      expect(record(ack.json, 'ack').response_action).toBe('update');
      await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_PG_CANARY' && c.error === undefined, 10_000);
      await delivered(form.id);
      expect(h.portkey.integrations.find((i) => i.name === 'PG Canary')?.key).toBe(CANARY);

      if (!peek) throw new Error('no database');
      const dump = JSON.stringify(await peek.dump());
      for (const encoded of [CANARY, Buffer.from(CANARY).toString('base64'), Buffer.from(CANARY).toString('hex')]) {
        expect(dump).not.toContain(encoded);
      }
      expect(await rows('operation_secrets')).toEqual([]);
      const { stdout, stderr } = app.output();
      expect(stdout + stderr).not.toContain(CANARY);
    },
    TEST_TIMEOUT,
  );
});

describe('an unreachable DATABASE_URL', () => {
  it(
    'stops the app with a message naming DATABASE_URL, without the password',
    async () => {
      const app = launchApp(
        appEnv(h.slack, h.portkey, {
          DATABASE_URL: 'postgres://u:SECRETPW@127.0.0.1:1/x',
          SECRETS_KEY,
          DATA_DIR: dataDir(),
          // No wait for a database that may still be starting: this one never will.
          DATABASE_CONNECT_TIMEOUT_S: '0',
        }),
      );

      const { code, signal } = await app.exit();

      expect(signal).toBeNull();
      expect(code).not.toBeNull();
      expect(code).not.toBe(0);
      const { stdout, stderr } = app.output();
      expect(stderr).toContain('DATABASE_URL');
      expect(stderr).toContain('127.0.0.1:1');
      expect(stdout + stderr).not.toContain('SECRETPW');
      // It never started half-working: not listening, and Slack was not even asked about the token.
      expect(stdout).not.toContain('listening for Slack');
      expect(h.slack.calls).toEqual([]);
    },
    TEST_TIMEOUT,
  );
});
