import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SecretBox, parseSecretsKey } from '../../src/store/index.js';
import { startTestApp, type TestApp } from '../support/app.js';
import { peekSqlite, sqliteBytes, type Row } from '../support/db.js';
import { fillView, viewFrom, type FillableView } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import type { Workspace } from '../support/fake-portkey.js';
import type { SlackCall } from '../support/fake-slack.js';
import { allText, isRecord, record } from '../support/payload.js';
import { eventually } from '../support/wait.js';
import {
  chooseAuthMode,
  openForm as openIntegrationForm,
  submit as submitIntegration,
  submitForResult,
  theIntegration,
} from './integration-helpers.js';

// Durable operations in one process on the embedded store (SQLite in DATA_DIR): a submission delivered twice runs
// once, the operation, its audit trail and its outbox are in the database, secrets are sealed only while needed,
// and a notification Slack refused survives a restart.

// A long Portkey timeout, so a create held by a fault (delayMs) is still waited for rather than given up on.
const h = useTestEnv({ env: { PORTKEY_TIMEOUT_MS: '10000' } });

const CANARY_KEY = 'sk-DURABLE-CANARY-4b3c2d1e0f9a8b7c';
const CANARY_AWS_KEY_ID = 'AKIADURABLECANARY0F9';
const CANARY_AWS_SECRET = 'DURABLEcanaryAwsSecret/0f9e8d7c+Yy1';

// ---------------------------------------------------------------------------------------------------------------
// Helpers

let triggers = 0;

/** `/portkey workspace create <name>` in `channelId`; resolves with the form Slack shows. */
async function openWorkspaceForm(app: TestApp, name: string, channelId: string): Promise<FillableView> {
  const triggerId = `durable-trigger-${++triggers}`;
  const res = await app.driver.command({ text: `workspace create ${name}`, triggerId, channelId });
  expect(res.status).toBe(200);
  const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
  expect(open.error).toBeUndefined();
  return viewFrom(open, h.slack.views);
}

function isSuccessView(view: unknown): boolean {
  return isRecord(view) && view.callback_id === 'workspace_result' && JSON.stringify(view.blocks).includes(':white_check_mark:');
}

function onlyWorkspace(): Workspace {
  expect(h.portkey.workspaces).toHaveLength(1);
  const [ws] = h.portkey.workspaces;
  if (!ws) throw new Error('Portkey holds no workspace');
  return ws;
}

/** The message the app posts for a created workspace, exactly as chat.postMessage carries it. */
function workspaceMessage(p: { channel: string; name: string; ws: Workspace; userId?: string }): Record<string, unknown> {
  return {
    channel: p.channel,
    text: `Workspace ${p.name} created — id ${p.ws.id}, slug ${p.ws.slug}`,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `:white_check_mark: <@${p.userId ?? 'U_ALICE'}> created the Portkey workspace *${p.name}*.` },
      },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: `*ID*\n\`${p.ws.id}\`` },
          { type: 'mrkdwn', text: `*Slug*\n\`${p.ws.slug}\`` },
        ],
      },
    ],
    unfurl_links: 'false',
  };
}

/** The operation rows whose modal was `viewId`. */
async function operationsOf(dataDir: string, viewId: string): Promise<Row[]> {
  return (await peekSqlite(dataDir).rows('operations')).filter((r) => r.view_id === viewId);
}

async function theOperation(dataDir: string, viewId: string): Promise<Row> {
  const rows = await operationsOf(dataDir, viewId);
  expect(rows).toHaveLength(1);
  const [row] = rows;
  if (!row) throw new Error(`no operation for view ${viewId}`);
  return row;
}

/**
 * Strings that appear in any base64 text that encodes `secret` (whatever its alignment in the encoded bytes):
 * the inner part of base64(secret) at each of the three byte offsets.
 */
function base64Probes(secret: string): string[] {
  return [0, 1, 2].map((pad) => {
    const b64 = Buffer.from(`${'\0'.repeat(pad)}${secret}`).toString('base64');
    return b64.slice(pad === 0 ? 0 : 4, -4);
  });
}

/** Where `secret` (in clear, JSON-escaped or base64) shows up in a dump of tables; empty when nowhere. */
function findInDump(dump: Record<string, Row[]>, secret: string): string[] {
  const probes = [secret, JSON.stringify(secret).slice(1, -1), ...base64Probes(secret)];
  const found: string[] = [];
  for (const [table, rows] of Object.entries(dump)) {
    rows.forEach((row, i) => {
      const text = JSON.stringify(row);
      for (const p of probes) if (text.includes(p)) found.push(`${table} row #${i} contains ${p}`);
    });
  }
  return found;
}

function auditRows(rows: Row[], ...targets: string[]): Array<Pick<Row, 'actor_id' | 'action' | 'target' | 'outcome' | 'detail_json'>> {
  return rows
    .filter((r) => typeof r.target === 'string' && targets.includes(r.target))
    .sort((a, b) => Number(a.id) - Number(b.id))
    .map(({ actor_id, action, target, outcome, detail_json }) => ({ actor_id, action, target, outcome, detail_json }));
}

// ---------------------------------------------------------------------------------------------------------------

describe('durable operations (embedded SQLite store)', () => {
  it('the same submission delivered twice at once creates one workspace, posts once and answers both deliveries', async () => {
    const form = await openWorkspaceForm(h.app, 'Twice Delivered', 'C_TWICE');
    const filled = fillView(form, {});

    const acks = await Promise.all([h.app.driver.viewSubmission({ view: filled }), h.app.driver.viewSubmission({ view: filled })]);

    for (const ack of acks) {
      expect(ack.status).toBe(200);
      const body = record(ack.json, 'submission ack');
      expect(body.response_action).toBe('update');
      expect(record(body.view, 'ack view')).toMatchObject({ type: 'modal', callback_id: 'workspace_result' });
    }
    await h.slack.waitFor('views.update', (c) => c.args.view_id === form.id && isSuccessView(c.args.view), 10_000);
    const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_TWICE');
    const op = await eventually('the operation to succeed', async () => {
      const row = await theOperation(h.app.dataDir, form.id);
      return row.status === 'succeeded' ? row : undefined;
    });

    const ws = onlyWorkspace();
    expect(h.portkey.requestsTo('POST', '/admin/workspaces').map((r) => r.body)).toEqual([{ name: 'Twice Delivered' }]);
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
    expect(post.error).toBeUndefined();
    expect(post.args).toEqual(workspaceMessage({ channel: 'C_TWICE', name: 'Twice Delivered', ws }));
    expect(op).toMatchObject({ portkey_id: ws.id, portkey_slug: ws.slug, idempotency_key: `T0001:${form.id}:0` });
    // The second delivery was recorded as a duplicate of the first, not as a second operation.
    const audit = auditRows(await peekSqlite(h.app.dataDir).rows('audit'), String(op.id));
    expect(audit.map((a) => a.outcome).sort()).toEqual(['allowed', 'duplicate_submission', 'sent:channel', 'submitted']);
  });

  it('keeps the operation, wipes its secrets, audits each step, and /portkey audit shows them privately', async () => {
    const form = await openWorkspaceForm(h.app, 'Audited Space', 'C_AUDIT');
    const ack = await h.app.driver.viewSubmission({ view: fillView(form, { ws_description: 'for the audit', ws_metadata: 'team=audit' }) });
    expect(record(ack.json, 'ack').response_action).toBe('update');
    await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_AUDIT');
    const ws = onlyWorkspace();
    const peek = peekSqlite(h.app.dataDir);
    const op = await eventually('the notification to be marked sent', async () => {
      const row = await theOperation(h.app.dataDir, form.id);
      const notes = (await peek.rows('notifications')).filter((n) => n.operation_id === row.id);
      return notes.length === 1 && notes[0]?.status === 'sent' ? row : undefined;
    });

    expect(op).toEqual({
      id: expect.any(String),
      idempotency_key: `T0001:${form.id}:0`,
      team_id: 'T0001',
      action: 'workspace.create',
      requester_id: 'U_ALICE',
      channel_id: 'C_AUDIT',
      response_url: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/response\/\d+$/),
      view_id: form.id,
      request_json: JSON.stringify({
        draft: { name: 'Audited Space', slug: '', description: 'for the audit', metadata: 'team=audit', isDefault: false },
      }),
      status: 'succeeded',
      portkey_id: ws.id,
      portkey_slug: ws.slug,
      error: null,
      result_json: JSON.stringify({ name: 'Audited Space' }),
      governance_json: JSON.stringify({ effect: 'allow', rule: null, reservations: [] }),
      expires_at: null,
      decided_by: null,
      decision_reason: null,
      approval_channel: null,
      approval_ts: null,
      attempts: 0,
      lease_owner: null,
      lease_until: null,
      created_at: expect.any(Number),
      updated_at: expect.any(Number),
    });
    expect(await peek.rows('operation_secrets')).toEqual([]);
    const notes = (await peek.rows('notifications')).filter((n) => n.operation_id === op.id);
    expect(notes).toEqual([expect.objectContaining({ kind: 'result', status: 'sent', attempts: 1, last_error: null })]);
    const opId = String(op.id);
    expect(auditRows(await peek.rows('audit'), opId, ws.slug)).toEqual([
      { actor_id: 'U_ALICE', action: 'workspace.create', target: opId, outcome: 'submitted', detail_json: null },
      {
        actor_id: 'U_ALICE',
        action: 'workspace.create.policy',
        target: opId,
        outcome: 'allowed',
        detail_json: JSON.stringify({ rule: null }),
      },
      {
        actor_id: 'U_ALICE',
        action: 'workspace.create.portkey',
        target: ws.slug,
        outcome: 'succeeded',
        detail_json: JSON.stringify({ id: ws.id, slug: ws.slug, recovered: false }),
      },
      { actor_id: 'app', action: 'notification', target: opId, outcome: 'sent:channel', detail_json: null },
    ]);

    const shownCount = Math.min(5, (await peek.rows('audit')).length);
    const url = h.slack.responseUrl();
    const res = await h.app.driver.command({ text: 'audit 5', responseUrl: url, userId: 'U_BOB' });
    expect(res.status).toBe(200);
    const answer = await h.slack.waitForResponse((r) => r.url === url);
    expect(answer.body.response_type).toBe('ephemeral');
    expect(answer.body.text).toBe('Audit log');
    const blocks = Array.isArray(answer.body.blocks) ? answer.body.blocks : [];
    expect(allText(blocks[0])).toBe(`*Audit log* — the last ${shownCount} entries, newest first`);
    const lines = allText(blocks.slice(1)).split('\n');
    expect(lines).toHaveLength(shownCount);
    // The newest four are this operation's, newest first.
    expect(lines.slice(0, 4)).toEqual([
      expect.stringMatching(
        new RegExp(`^\`\\d{4}-\\d\\d-\\d\\d \\d\\d:\\d\\d:\\d\\d\` app notification \`${opId}\` → \\*sent:channel\\*$`),
      ),
      expect.stringMatching(new RegExp(`^\`[^\`]+\` <@U_ALICE> workspace\\.create\\.portkey \`${ws.slug}\` → \\*succeeded\\*$`)),
      expect.stringMatching(new RegExp(`^\`[^\`]+\` <@U_ALICE> workspace\\.create\\.policy \`${opId}\` → \\*allowed\\* · policy default$`)),
      expect.stringMatching(new RegExp(`^\`[^\`]+\` <@U_ALICE> workspace\\.create \`${opId}\` → \\*submitted\\*$`)),
    ]);
    // Only the person who asked sees it: nothing in the channel.
    expect(h.slack.callsTo('chat.postMessage')).toHaveLength(1);
  });

  it('/portkey audit escapes what it shows (a slug Portkey answered with markup)', async () => {
    const evil = 'ws-<!channel>&`x`*b*';
    h.portkey.fault(
      { method: 'POST', path: '/admin/workspaces' },
      { status: 200, body: { id: randomUUID(), slug: evil, name: 'Markup', created_at: new Date().toISOString(), object: 'workspace' } },
    );
    const form = await openWorkspaceForm(h.app, 'Markup', 'C_MARKUP');
    await h.app.driver.viewSubmission({ view: fillView(form, {}) });
    await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_MARKUP');
    await eventually('the audit entry of the create', async () =>
      (await peekSqlite(h.app.dataDir).rows('audit')).some((r) => r.target === evil && r.outcome === 'succeeded'),
    );

    const url = h.slack.responseUrl();
    await h.app.driver.command({ text: 'audit 3', responseUrl: url });
    const answer = await h.slack.waitForResponse((r) => r.url === url);

    const shown = allText(answer.body.blocks);
    expect(shown).toContain('workspace.create.portkey `ws-&lt;!channel&gt;&amp;ˋxˋ*b*` → *succeeded*');
    expect(shown).not.toContain('<!channel>');
    expect(answer.body.response_type).toBe('ephemeral');
  });

  it('keeps secrets sealed while an integration is created, and nowhere once it is done', async () => {
    // 1. An OpenAI key, with Portkey holding the create: look at the database while the operation runs.
    h.portkey.fault({ method: 'POST', path: '/integrations' }, { afterHandling: true, delayMs: 1500 });
    const view = await openIntegrationForm(h, 'integration create openai', { channelId: 'C_SECRETS' });
    const submitting = submitIntegration(h, view, { int_name: 'Sealed Key', int_key__openai: CANARY_KEY });
    await eventually('Portkey to receive the create', () => h.portkey.requestsTo('POST', '/integrations').length === 1);

    const dataDir = h.app.dataDir;
    const peek = peekSqlite(dataDir);
    const during = await peek.dump();
    const op = await theOperation(dataDir, view.id);
    expect(op.status).toBe('executing');
    const sealed = during.operation_secrets ?? [];
    expect(sealed).toEqual([
      {
        operation_id: op.id,
        key_id: expect.stringMatching(/^[0-9a-f]{16}$/),
        ciphertext: expect.any(String),
        created_at: expect.any(Number),
      },
    ]);
    // It is the secret, sealed with the app's key (AES-256-GCM, bound to this operation) — and only there.
    const key = parseSecretsKey(readFileSync(h.app.keyFile, 'utf8'));
    const [row] = sealed;
    expect(row?.key_id).toBe(key.id);
    expect(new SecretBox([key]).open(String(row?.key_id), String(row?.ciphertext), `operation:${String(op.id)}`)).toEqual({
      key: CANARY_KEY,
      fields: {},
    });
    expect(findInDump(during, CANARY_KEY)).toEqual([]);
    expect(sqliteBytes(dataDir).includes(CANARY_KEY)).toBe(false);

    const ack = await submitting;
    expect(record(ack.json, 'ack').response_action).toBe('update');
    await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_SECRETS', 10_000);
    expect(theIntegration(h.portkey).key).toBe(CANARY_KEY);

    // 2. An AWS access key pair, straight through.
    let bedrock = await openIntegrationForm(h, 'integration create bedrock', { channelId: 'C_SECRETS' });
    bedrock = await chooseAuthMode(h, bedrock, 'bedrock', 'accessKey', { int_name: 'Sealed AWS' });
    await submitForResult(h, bedrock, {
      int_f__bedrock__accessKey__aws_access_key_id: CANARY_AWS_KEY_ID,
      int_f__bedrock__accessKey__aws_secret_access_key: CANARY_AWS_SECRET,
    });
    await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_SECRETS' && String(c.args.text).includes('Sealed AWS'), 10_000);
    expect(h.portkey.integrations.find((i) => i.name === 'Sealed AWS')?.configurations).toMatchObject({
      aws_secret_access_key: CANARY_AWS_SECRET,
    });
    await eventually('both operations to finish', async () =>
      (await peek.rows('operations')).filter((r) => r.action === 'integration.create').every((r) => r.status === 'succeeded'),
    );

    // Every row of every table, the raw file and every log line: no canary, in clear or in base64.
    const after = await peek.dump();
    expect(Object.keys(after).sort()).toEqual(
      expect.arrayContaining(['audit', 'notifications', 'operation_secrets', 'operations', 'rate_counters']),
    );
    expect(after.operation_secrets).toEqual([]);
    expect((after.operations ?? []).length).toBeGreaterThanOrEqual(2);
    const bytes = sqliteBytes(dataDir);
    for (const secret of [CANARY_KEY, CANARY_AWS_SECRET]) {
      expect(findInDump(after, secret)).toEqual([]);
      expect(bytes.includes(secret)).toBe(false);
      expect(h.app.logs.filter((l) => l.includes(secret) || base64Probes(secret).some((p) => l.includes(p)))).toEqual([]);
    }
  });

  it('outbox: a result Slack refused everywhere stays pending and is delivered after a restart on the same DATA_DIR', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'portkey-durable-outbox-'));
    let first: TestApp | undefined;
    let second: TestApp | undefined;
    try {
      first = await startTestApp({ slack: h.slack, portkey: h.portkey, env: { DATA_DIR: dataDir } });
      expect(first.dataDir).toBe(dataDir);
      const form = await openWorkspaceForm(first, 'Outbox Space', 'C_OUTBOX');

      // Slack's Web API is down and the command's reply link has expired: channel, response_url and DM all fail.
      h.slack.down(true);
      h.slack.failResponseUrls(404);
      const ack = await first.driver.viewSubmission({ view: fillView(form, {}) });
      expect(record(ack.json, 'ack').response_action).toBe('update');

      const peek = peekSqlite(dataDir);
      const pending = await eventually(
        'a failed delivery attempt',
        async () => {
          const op = await theOperation(dataDir, form.id);
          const [note] = (await peek.rows('notifications')).filter((n) => n.operation_id === op.id);
          return note && Number(note.attempts) >= 1 ? { op, note } : undefined;
        },
        { timeoutMs: 10_000 },
      );
      const ws = onlyWorkspace();
      expect(pending.op).toMatchObject({ status: 'succeeded', portkey_id: ws.id, portkey_slug: ws.slug });
      expect(pending.note).toMatchObject({ status: 'pending', kind: 'result', last_error: expect.any(String) });
      const tried = (m: string) => h.slack.callsTo(m).filter((c: SlackCall) => c.error !== undefined).length;
      expect(tried('chat.postMessage')).toBeGreaterThanOrEqual(1);
      expect(tried('conversations.open')).toBeGreaterThanOrEqual(1);
      expect(h.slack.responses.filter((r) => r.status === 404)).not.toEqual([]);
      expect(h.slack.callsTo('chat.postMessage').filter((c) => c.error === undefined)).toEqual([]);
      await first.stop();

      // Slack is back; the app starts again on the same data.
      h.slack.down(false);
      h.slack.failResponseUrls(null);
      second = await startTestApp({ slack: h.slack, portkey: h.portkey, env: { DATA_DIR: dataDir } });

      const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_OUTBOX' && c.error === undefined, 20_000);
      expect(post.args).toEqual(workspaceMessage({ channel: 'C_OUTBOX', name: 'Outbox Space', ws }));
      const sent = await eventually('the notification to be marked sent', async () => {
        const [note] = (await peek.rows('notifications')).filter((n) => n.operation_id === pending.op.id);
        return note?.status === 'sent' ? note : undefined;
      });
      expect(Number(sent.attempts)).toBeGreaterThanOrEqual(2);
      expect(h.portkey.requestsTo('POST', '/admin/workspaces')).toHaveLength(1);
      expect(h.slack.callsTo('chat.postMessage').filter((c) => c.error === undefined && c.args.channel === 'C_OUTBOX')).toHaveLength(1);
    } finally {
      await first?.stop();
      await second?.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 45_000);
});
