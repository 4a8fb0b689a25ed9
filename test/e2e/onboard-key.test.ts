import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { peekSqlite } from '../support/db.js';
import { viewFrom, type FillableView } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import { allText, record, theButton } from '../support/payload.js';
import { clickInView, fill } from './integration-helpers.js';

// `/portkey onboard` with a service API key, the last step: the key kind's body (checked against Portkey's spec by
// the fake), and its value — in Portkey's answer only — shown once in the requester's own modal, and nowhere else:
// not the channel summary, the step record, the audit, the outbox or any other Slack call. After an approval or a
// retry no one waits at the modal: the value is not held, and the owner is told to rotate the key.

const APPROVALS = 'C0OBKAPPROVALS';
const POLICY = `version: 1
default: allow
approvals_channel: ${APPROVALS}
rules:
  - name: log-readers-need-approval
    action: key.create
    scopes: ["logs.*"]
    effect: require_approval
    approvers:
      users: [UAPPROVER]
`;
const dir = mkdtempSync(path.join(tmpdir(), 'portkey-onboard-key-'));
writeFileSync(path.join(dir, 'policy.yml'), POLICY);

const h = useTestEnv({ env: { POLICY_FILE: path.join(dir, 'policy.yml') } });

const canary = () => `pk-onboard-canary-${randomBytes(12).toString('hex')}`;

async function submitOnboard(key: { name: string; preset: string }): Promise<{ form: FillableView; ack: Record<string, unknown> }> {
  h.portkey.seedIntegration({ name: 'OpenAI prod', ai_provider_id: 'openai', slug: 'openai-prod', key: 'sk-openai-seeded-1234567890' });
  const triggerId = `trigger-${randomUUID()}`;
  expect((await h.app.driver.command({ text: 'onboard Research', triggerId })).status).toBe(200);
  const form = viewFrom(await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId), h.slack.views);
  const view = fill(
    form,
    { ob_slug: 'research', ob_key_name: key.name, ob_key_preset: { value: key.preset } },
    { ob_integrations: [{ value: 'openai-prod', text: 'OpenAI prod' }] },
  );
  const res = await h.app.driver.viewSubmission({ view });
  expect(res.status).toBe(200);
  return { form, ack: record(res.json, 'ack') };
}

const writes = () =>
  h.portkey.requests.filter((r) => r.method === 'POST' || r.method === 'PUT').map((r) => ({ call: `${r.method} ${r.path}`, body: r.body }));
const summary = () =>
  h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_GENERAL' && String(c.args.text).startsWith('Team workspace'), 10_000);

/** Every Slack call but the given ones, every response_url post, and every stored row: where the value must not be. */
async function elsewhere(except: ReadonlySet<number>): Promise<string> {
  const calls = h.slack.calls.flatMap((c, i) => (except.has(i) ? [] : [JSON.stringify({ args: c.args, response: c.response })]));
  const db = peekSqlite(h.app.dataDir);
  const tables = await Promise.all(['operations', 'operation_steps', 'audit', 'notifications'].map((t) => db.rows(t)));
  return [...calls, JSON.stringify(h.slack.responses), JSON.stringify(tables)].join('\n');
}

describe('onboarding a team with a service API key', () => {
  it("creates the key last, with the key kind's body; its value is shown once in the requester's modal, nowhere else", async () => {
    const value = canary();
    h.portkey.issueKeyValues(value);
    const { form } = await submitOnboard({ name: 'research-backend', preset: 'completions' });
    const shown = await h.slack.waitFor(
      'views.update',
      (c) => c.args.view_id === form.id && JSON.stringify(c.args).includes(value),
      10_000,
    );
    const ws = h.portkey.workspaces.find((w) => w.name === 'Research');
    expect(writes()).toEqual([
      { call: 'POST /admin/workspaces', body: { name: 'Research', slug: 'research' } },
      {
        call: 'PUT /integrations/openai-prod/workspaces',
        body: { workspaces: [{ id: ws?.id, enabled: true, create_default_provider: true }] },
      },
      { call: 'POST /api-keys/workspace/service', body: { name: 'research-backend', workspace_id: ws?.id, scopes: ['completions.write'] } },
    ]);
    const key = h.portkey.apiKeys.find((k) => k.name === 'research-backend');
    expect(key?.value).toBe(value);
    const text = allText(record(shown.args.view, 'view').blocks);
    expect(text).toContain('is ready');
    expect(text).toContain('shown once');

    const post = await summary();
    expect(allText(post.args.blocks)).toContain(`:white_check_mark: Create service API key research-backend — id \`${key?.id}\``);
    await new Promise((r) => setTimeout(r, 300));
    const carrying = h.slack.calls.flatMap((c, i) => (JSON.stringify(c.args).includes(value) ? [i] : []));
    expect(carrying).toHaveLength(1);
    expect(await elsewhere(new Set(carrying))).not.toContain(value);
    expect(await elsewhere(new Set(carrying))).not.toContain(value.slice(-16));
  });

  it('after an approval no one waits at the modal: the value is shown nowhere, and the summary says to rotate', async () => {
    const value = canary();
    h.portkey.issueKeyValues(value);
    const { ack } = await submitOnboard({ name: 'log-reader', preset: 'completions_logs' });
    expect(allText(record(ack.view, 'ack view').blocks)).toContain('sent for approval');
    const card = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === APPROVALS);
    expect(allText(card.args.blocks)).toContain('log-readers-need-approval');
    expect(allText(card.args.blocks)).toContain('completions.write, logs.view, logs.list');
    const approve = theButton(card.args.blocks, 'approval_approve');
    await h.app.driver.blockAction({
      actionId: 'approval_approve',
      blockId: approve.blockId,
      value: approve.value ?? '',
      userId: 'UAPPROVER',
      channelId: APPROVALS,
      responseUrl: h.slack.responseUrl(),
    });
    const post = await summary();
    expect(h.portkey.apiKeys.find((k) => k.name === 'log-reader')?.value).toBe(value);
    expect(allText(post.args.blocks)).toContain("its value couldn't be shown: rotate the key in Portkey");
    await new Promise((r) => setTimeout(r, 300));
    expect(await elsewhere(new Set())).not.toContain(value);
  });

  it('a failure at the key step: the retry creates it once, and does not hold its value (no one would take it)', async () => {
    const value = canary();
    h.portkey.issueKeyValues(value);
    h.portkey.fault({ method: 'POST', path: '/api-keys/workspace/service' }, { status: 403 });
    const { form } = await submitOnboard({ name: 'research-backend', preset: 'completions' });
    await summary();
    await h.slack.waitFor('views.update', (c) => c.args.view_id === form.id && allText(c.args.view).includes('Retry the remaining steps'));
    expect(h.portkey.apiKeys).toEqual([]);
    const after = await clickInView(h, form.id, 'onboard_retry');
    expect(writes().map((w) => w.call)).toEqual([
      'POST /admin/workspaces',
      'PUT /integrations/openai-prod/workspaces',
      'POST /api-keys/workspace/service',
      'POST /api-keys/workspace/service',
    ]);
    expect(h.portkey.apiKeys.map((k) => k.value)).toEqual([value]);
    expect(allText(after.blocks)).toContain("its value couldn't be shown: rotate the key in Portkey");
    await new Promise((r) => setTimeout(r, 300));
    expect(await elsewhere(new Set())).not.toContain(value);
  });
});
