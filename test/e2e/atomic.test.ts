import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { peekPostgres, peekSqlite, scratchPostgresDatabase, type DbPeek, type Row, type ScratchDatabase } from '../support/db.js';
import { fillView, viewFrom, type FillableView } from '../support/driver.js';
import { useFakes } from '../support/env.js';
import type { SlackCall } from '../support/fake-slack.js';
import { theButton } from '../support/payload.js';
import { appEnv, killAll, spawnApp, type SpawnedApp } from '../support/process.js';
import { eventually } from '../support/wait.js';

// A step's writes commit together or not at all. The app (src/main.ts, its own process) is started with the
// test-only PORTKEY_SLACK_FAULT_POINT, which makes it SIGKILL itself right after a step's status change and before
// the rest of the step (audit rows, outbox rows) — then it is started again on the same database, without it. On
// SQLite, and on PostgreSQL when TEST_DATABASE_URL points at a server.

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL?.trim() || undefined;
const TEST_TIMEOUT = 60_000;
/** SQLite frees a dead process's leases at start; on PostgreSQL the 15 s lease must run out first. */
const RECOVERY_MS = { sqlite: 8_000, postgres: 30_000 } as const;
const SECRETS_KEY = randomBytes(32).toString('base64');
const APPROVALS = 'C0ATOMICAPPR';
const APPROVAL_POLICY = [
  'version: 1',
  'default: allow',
  `approvals_channel: ${APPROVALS}`,
  'rules:',
  '  - name: workspaces-need-approval',
  '    action: workspace.create',
  '    effect: require_approval',
  '    approvers:',
  '      users: [UAPPROVER]',
  'rate_limits: []',
  '',
].join('\n');

const h = useFakes();

interface Backend {
  env: Record<string, string>;
  peek(): DbPeek;
  close(): Promise<void>;
}

const engines = [
  {
    engine: 'sqlite' as const,
    skip: false,
    async open(): Promise<Backend> {
      const dataDir = h.tempDir('portkey-atomic-');
      return { env: { DATA_DIR: dataDir }, peek: () => peekSqlite(dataDir), close: async () => {} };
    },
  },
  {
    engine: 'postgres' as const,
    skip: !TEST_DATABASE_URL,
    async open(): Promise<Backend> {
      const db: ScratchDatabase = await scratchPostgresDatabase(TEST_DATABASE_URL ?? '');
      const peek = await peekPostgres(db.url);
      return {
        env: { DATABASE_URL: db.url, SECRETS_KEY, DATA_DIR: h.tempDir('portkey-atomic-pg-') },
        peek: () => peek,
        async close() {
          await peek.close();
          await db.drop();
        },
      };
    },
  },
];

function postsTo(channel: string): SlackCall[] {
  return h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === channel && c.error === undefined);
}

let triggers = 0;

describe.each(engines)('a crash between the writes of one step ($engine)', ({ engine, skip, open }) => {
  let backend: Backend | undefined;

  beforeEach(async () => {
    if (!skip) backend = await open();
  });

  afterEach(async () => {
    await killAll();
    await backend?.close();
    backend = undefined;
  });

  const rows = (table: string): Promise<Row[]> => {
    if (!backend) throw new Error('no database');
    return backend.peek().rows(table);
  };
  const start = (extra: Record<string, string> = {}): Promise<SpawnedApp> => {
    if (!backend) throw new Error('no database');
    return spawnApp(appEnv(h.slack, h.portkey, { ...backend.env, PORTKEY_TIMEOUT_MS: '15000', ...extra }), { slack: h.slack });
  };
  const openForm = async (app: SpawnedApp, text: string, channelId: string): Promise<FillableView> => {
    const triggerId = `atomic-trigger-${++triggers}`;
    expect((await app.driver.command({ text, triggerId, channelId })).status).toBe(200);
    const opened = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
    expect(opened.error).toBeUndefined();
    return viewFrom(opened, h.slack.views);
  };
  /** Submits; the process may die before it answers, so the answer is not awaited for its content. */
  const submitAndDie = async (app: SpawnedApp, form: FillableView): Promise<void> => {
    await app.driver.viewSubmission({ view: fillView(form, {}) }).catch(() => undefined);
    expect(await app.exit(20_000)).toEqual({ code: null, signal: 'SIGKILL' });
  };

  it.skipIf(skip)(
    'killed between a create’s success and its notification: the restart tells the person once, and creates nothing twice',
    async () => {
      const first = await start({ PORTKEY_SLACK_FAULT_POINT: 'finish.moved' });
      const form = await openForm(first, 'workspace create Torn Finish', 'C_ATOMIC_FINISH');
      await submitAndDie(first, form);
      expect(h.portkey.workspaces).toHaveLength(1);
      expect(postsTo('C_ATOMIC_FINISH')).toEqual([]);

      await start();
      const isResult = (c: SlackCall) => c.args.channel === 'C_ATOMIC_FINISH' && c.error === undefined;
      const post = await h.slack.waitFor('chat.postMessage', isResult, RECOVERY_MS[engine]);

      const [ws] = h.portkey.workspaces;
      if (!ws) throw new Error('no workspace');
      expect(String(post.args.text)).toContain(ws.slug);
      expect(h.portkey.workspaces).toHaveLength(1);
      expect(h.portkey.requestsTo('POST', '/admin/workspaces')).toHaveLength(1);
      const op = await eventually('the result notification to be marked sent', async () => {
        const [found, ...more] = (await rows('operations')).filter((r) => r.view_id === form.id);
        const notes = (await rows('notifications')).filter((n) => n.operation_id === found?.id);
        return more.length === 0 && notes.length === 1 && notes[0]?.status === 'sent' ? found : undefined;
      });
      expect(op).toMatchObject({ status: 'succeeded', portkey_id: ws.id, portkey_slug: ws.slug, lease_owner: null });
      // One outcome on record, the one the restart found.
      const outcomes = (await rows('audit')).filter((a) => a.action === 'workspace.create.portkey');
      const found = JSON.stringify({ id: ws.id, slug: ws.slug, recovered: true });
      expect(outcomes).toEqual([expect.objectContaining({ outcome: 'succeeded', detail_json: found })]);
      expect(await rows('operation_secrets')).toEqual([]);
      expect(postsTo('C_ATOMIC_FINISH')).toHaveLength(1);
    },
    TEST_TIMEOUT,
  );

  it.skipIf(skip)(
    'killed between storing a request that needs approval and queueing its approval: nothing is kept, and submitting again asks the approvers once',
    async () => {
      const policy = path.join(h.tempDir('portkey-atomic-policy-'), 'policy.yml');
      writeFileSync(policy, APPROVAL_POLICY);
      const first = await start({ POLICY_FILE: policy, PORTKEY_SLACK_FAULT_POINT: 'submit.stored' });
      const form = await openForm(first, 'workspace create Torn Submit', 'C_ATOMIC_SUBMIT');
      await submitAndDie(first, form);

      // All or nothing: no request is left waiting for approvers who were never asked.
      expect(await rows('operations')).toEqual([]);
      expect(await rows('notifications')).toEqual([]);
      expect((await rows('audit')).filter((a) => String(a.action).startsWith('workspace.create'))).toEqual([]);

      // Slack showed the person an error (no answer came); the same modal submitted again is a fresh request.
      const second = await start({ POLICY_FILE: policy });
      const ack = await second.driver.viewSubmission({ view: fillView(form, {}) });
      expect(ack.status).toBe(200);
      await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && c.error === undefined, 10_000);
      const [op, ...more] = await rows('operations');
      expect(more).toEqual([]);
      expect(op).toMatchObject({ status: 'awaiting_approval', view_id: form.id });
      expect(postsTo(APPROVALS)).toHaveLength(1);
      expect(h.portkey.requestsTo('POST', '/admin/workspaces')).toEqual([]);
    },
    TEST_TIMEOUT,
  );

  it.skipIf(skip)(
    'killed between an approval and its audit row and notices: the request still waits, and the next Approve creates it once',
    async () => {
      const policy = path.join(h.tempDir('portkey-atomic-policy-'), 'policy.yml');
      writeFileSync(policy, APPROVAL_POLICY);
      const first = await start({ POLICY_FILE: policy, PORTKEY_SLACK_FAULT_POINT: 'decide.moved' });
      const form = await openForm(first, 'workspace create Torn Decision', 'C_ATOMIC_DECIDE');
      expect((await first.driver.viewSubmission({ view: fillView(form, {}) })).status).toBe(200);
      const request = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS && c.error === undefined, 10_000);
      const approve = theButton(request.args.blocks, 'approval_approve');
      const ts = String(request.response?.ts);
      const click = (app: SpawnedApp) =>
        app.driver.blockAction({
          actionId: 'approval_approve',
          blockId: approve.blockId,
          value: approve.value,
          userId: 'UAPPROVER',
          channelId: APPROVALS,
          messageTs: ts,
        });
      await click(first).catch(() => undefined);
      expect(await first.exit(20_000)).toEqual({ code: null, signal: 'SIGKILL' });

      // The decision went with its audit row: neither was kept.
      const [waiting] = await rows('operations');
      expect(waiting).toMatchObject({ status: 'awaiting_approval', decided_by: null });
      expect((await rows('audit')).filter((a) => a.action === 'workspace.create.approve')).toEqual([]);

      const second = await start({ POLICY_FILE: policy });
      expect((await click(second)).status).toBe(200);
      const ws = await eventually('Portkey to create the workspace', () => h.portkey.workspaces[0]);
      await h.slack.waitFor(
        'chat.postMessage',
        (c) => c.args.channel === 'C_ATOMIC_DECIDE' && !c.error && String(c.args.text).includes(ws.slug),
      );
      expect(h.portkey.requestsTo('POST', '/admin/workspaces')).toHaveLength(1);
      const approvals = (await rows('audit')).filter((a) => a.action === 'workspace.create.approve');
      expect(approvals).toEqual([expect.objectContaining({ actor_id: 'UAPPROVER', outcome: 'approved' })]);
      const done = await eventually('the operation to succeed', async () => {
        const [op] = await rows('operations');
        return op?.status === 'succeeded' ? op : undefined;
      });
      expect(done).toMatchObject({ decided_by: 'UAPPROVER', portkey_id: ws.id });
    },
    TEST_TIMEOUT,
  );
});
