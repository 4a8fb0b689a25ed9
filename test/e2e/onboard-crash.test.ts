import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { peekPostgres, peekSqlite, scratchPostgresDatabase, type DbPeek, type Row, type ScratchDatabase } from '../support/db.js';
import { viewFrom, type FillableView } from '../support/driver.js';
import { useFakes } from '../support/env.js';
import type { SlackCall } from '../support/fake-slack.js';
import { allText } from '../support/payload.js';
import { appEnv, killAll, spawnApp, type SpawnedApp } from '../support/process.js';
import { eventually } from '../support/wait.js';
import { fill } from './integration-helpers.js';

// Kill -9 between any two steps of an onboarding, then restart on the same database: it finishes, and no step is
// done twice. The app runs as its own process; the test-only PORTKEY_SLACK_FAULT_POINT makes it SIGKILL itself right
// after a step's record was written (`step.started:<key>`: before the step is sent; `step.finished:<key>`: after it
// is recorded done). One more case kills it while Portkey holds a step's answer (done there, not recorded here).
// SQLite always; PostgreSQL when TEST_DATABASE_URL points at a server.

const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL?.trim() || undefined;
const TEST_TIMEOUT = 90_000;
/** SQLite frees a dead process's leases at start; on PostgreSQL the 15 s lease must run out first. */
const RECOVERY_MS = { sqlite: 10_000, postgres: 35_000 } as const;
const SECRETS_KEY = randomBytes(32).toString('base64');
const CHANNEL = 'C_ONBOARD_CRASH';

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
      const dataDir = h.tempDir('portkey-onboard-crash-');
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
        env: { DATABASE_URL: db.url, SECRETS_KEY, DATA_DIR: h.tempDir('portkey-onboard-crash-pg-') },
        peek: () => peek,
        async close() {
          await peek.close();
          await db.drop();
        },
      };
    },
  },
];

/** Every point between two steps of an onboarding with people and two integrations, in order. */
const BETWEEN = [
  'step.started:workspace',
  'step.finished:workspace',
  'step.started:members',
  'step.finished:members',
  'step.started:integration:openai-prod',
  'step.finished:integration:openai-prod',
  'step.started:integration:anthropic-prod',
  'step.finished:integration:anthropic-prod',
];

let triggers = 0;
let alice: { id: string } | undefined;

describe.each(engines)('onboarding killed between steps, restarted on the same data ($engine)', ({ engine, skip, open }) => {
  let backend: Backend | undefined;

  beforeEach(async () => {
    if (skip) return;
    backend = await open();
    h.portkey.seedIntegration({ name: 'OpenAI prod', ai_provider_id: 'openai', slug: 'openai-prod', key: 'sk-openai-seeded-1234567890' });
    h.portkey.seedIntegration({ name: 'Claude', ai_provider_id: 'anthropic', slug: 'anthropic-prod', key: 'sk-ant-seeded-1234567890' });
    // One person Portkey knows (added), one it doesn't (invited).
    h.slack.setUser('UALICE', { profile: { real_name: 'Alice', email: 'alice@acme.test' } });
    h.slack.setUser('UBOB', { profile: { real_name: 'Bob', email: 'bob@acme.test' } });
    alice = h.portkey.members.seedUser({ email: 'alice@acme.test' });
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
  const submitOnboarding = async (app: SpawnedApp): Promise<FillableView> => {
    const triggerId = `onboard-crash-${++triggers}`;
    expect((await app.driver.command({ text: 'onboard Crash Team', triggerId, channelId: CHANNEL })).status).toBe(200);
    const opened = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
    const form = viewFrom(opened, h.slack.views);
    const picked = [
      { value: 'openai-prod', text: 'OpenAI prod' },
      { value: 'anthropic-prod', text: 'Claude' },
    ];
    // The process may die before it answers.
    const inputs = { ob_slug: 'crash-team', ob_users: ['UALICE', 'UBOB'], ob_role: { value: 'manager' } };
    await app.driver.viewSubmission({ view: fill(form, inputs, { ob_integrations: picked }) }).catch(() => undefined);
    return form;
  };

  /** After the restart: the summary posted once, each write done once, every step recorded done, the operation closed. */
  const expectFinishedOnce = async (form: FillableView) => {
    const isSummary = (c: SlackCall) => c.args.channel === CHANNEL && c.error === undefined;
    const post = await h.slack.waitFor('chat.postMessage', isSummary, RECOVERY_MS[engine]);
    const ws = h.portkey.workspaces.find((w) => w.name === 'Crash Team');
    if (!ws) throw new Error('no workspace');
    expect(h.portkey.workspaces).toHaveLength(1);
    const writes = h.portkey.requests.filter((r) => r.method === 'POST' || r.method === 'PUT').map((r) => `${r.method} ${r.path}`);
    expect(writes).toEqual([
      'POST /admin/workspaces',
      `POST /admin/workspaces/${ws.id}/users`,
      'POST /admin/users/invites',
      'PUT /integrations/openai-prod/workspaces',
      'PUT /integrations/anthropic-prod/workspaces',
    ]);
    expect(h.portkey.members.memberships.get(ws.id)?.get(alice?.id ?? '')).toBe('manager');
    expect(h.portkey.members.invites.map((i) => i.email)).toEqual(['bob@acme.test']);
    expect(h.portkey.integration('openai-prod')?.workspaceAccess.get(ws.slug)?.enabled).toBe(true);
    expect(h.portkey.integration('anthropic-prod')?.workspaceAccess.get(ws.slug)?.enabled).toBe(true);
    const summary = allText(post.args.blocks);
    expect(summary).toContain(`\`${ws.id}\``);
    expect(summary).toContain('`anthropic-prod`');
    expect(summary).toMatch(
      /Add 2 people as manager — as \*manager\*: (added <@UALICE>; invited <@UBOB>|invited <@UBOB>; already members: <@UALICE>)$/m,
    );
    const op = await eventually('the onboarding to be closed and its summary marked sent', async () => {
      const [found, ...more] = (await rows('operations')).filter((r) => r.view_id === form.id);
      const notes = (await rows('notifications')).filter((n) => n.operation_id === found?.id && n.kind === 'result');
      return more.length === 0 && found?.status === 'succeeded' && notes.length === 1 && notes[0]?.status === 'sent' ? found : undefined;
    });
    expect(op).toMatchObject({ status: 'succeeded', portkey_id: ws.id, lease_owner: null });
    const steps = (await rows('operation_steps')).filter((s) => s.operation_id === op.id);
    expect(steps.map((s) => [s.step, s.status]).sort()).toEqual([
      ['integration:anthropic-prod', 'done'],
      ['integration:openai-prod', 'done'],
      ['members', 'done'],
      ['workspace', 'done'],
    ]);
    expect(h.slack.callsTo('chat.postMessage').filter(isSummary)).toHaveLength(1);
    // Each step ended once, on record.
    const ended = (await rows('audit')).filter((a) => a.action === 'team.onboard.step' && a.target === op.id);
    expect(ended.map((a) => `${a.outcome} ${JSON.parse(String(a.detail_json)).step}`).sort()).toEqual([
      'done integration:anthropic-prod',
      'done integration:openai-prod',
      'done members',
      'done workspace',
    ]);
  };

  // PostgreSQL waits out a lease per case: its cases are the ones on either side of each step boundary.
  const points =
    engine === 'sqlite' ? BETWEEN : ['step.finished:workspace', 'step.started:members', 'step.started:integration:anthropic-prod'];
  for (const point of points) {
    it.skipIf(skip)(
      `killed at ${point}: the restart finishes it, no step twice`,
      async () => {
        const first = await start({ PORTKEY_SLACK_FAULT_POINT: point });
        const form = await submitOnboarding(first);
        expect(await first.exit(20_000)).toEqual({ code: null, signal: 'SIGKILL' });
        expect(h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === CHANNEL)).toEqual([]);
        await start();
        await expectFinishedOnce(form);
      },
      TEST_TIMEOUT,
    );
  }

  // Two replicas on one database: the one running the chain dies between two steps; the other, already running,
  // takes the operation once its lease runs out and finishes it.
  it.skipIf(skip || engine !== 'postgres')(
    'two replicas: the one running it dies between steps, the other finishes it — no step twice',
    async () => {
      const dying = await start({ PORTKEY_SLACK_FAULT_POINT: 'step.finished:integration:openai-prod' });
      await start();
      const form = await submitOnboarding(dying);
      expect(await dying.exit(20_000)).toEqual({ code: null, signal: 'SIGKILL' });
      await expectFinishedOnce(form);
    },
    TEST_TIMEOUT,
  );

  it.skipIf(skip || engine !== 'sqlite')(
    'killed while Portkey holds the answer of the members add: the restart finds them in the workspace, adds nobody twice',
    async () => {
      const first = await start();
      h.portkey.fault({ method: 'POST', path: /^\/admin\/workspaces\/[^/]+\/users$/ }, { afterHandling: true, delayMs: 5000 });
      const form = await submitOnboarding(first);
      await eventually('Portkey to add the people Portkey knows', () =>
        h.portkey.requests.some((r) => r.method === 'POST' && /^\/admin\/workspaces\/[^/]+\/users$/.test(r.path)),
      );
      expect(first.kill('SIGKILL')).toBe(true);
      await first.exit();
      await start();
      await expectFinishedOnce(form);
    },
    TEST_TIMEOUT,
  );

  it.skipIf(skip)(
    'killed while Portkey holds the answer of a step it did: the restart finds it done there, and does not send it again',
    async () => {
      const first = await start();
      // Portkey enables the first integration at once but answers only after 5 s: the app is killed while it waits.
      h.portkey.fault({ method: 'PUT', path: '/integrations/openai-prod/workspaces' }, { afterHandling: true, delayMs: 5000 });
      const form = await submitOnboarding(first);
      await eventually(
        'Portkey to enable the first integration',
        () => h.portkey.requestsTo('PUT', '/integrations/openai-prod/workspaces').length === 1,
      );
      expect(first.kill('SIGKILL')).toBe(true);
      await first.exit();
      await start();
      await expectFinishedOnce(form);
      // It was looked for (the integration's workspaces), not re-sent.
      expect(h.portkey.requestsTo('GET', '/integrations/openai-prod/workspaces').length).toBeGreaterThanOrEqual(1);
    },
    TEST_TIMEOUT,
  );
});
