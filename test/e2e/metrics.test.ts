import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BOT_TOKEN, SIGNING_SECRET, startTestApp } from '../support/app.js';
import { fillView, viewFrom } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import { parseExposition, sampleValue, seriesOf, type Exposition } from '../support/prometheus.js';
import { record } from '../support/payload.js';
import { eventually } from '../support/wait.js';

// GET /metrics end to end: the real app, driven by signed requests — a create, a denied request, a create Portkey
// refuses, one waiting for approval whose approval post Slack refuses — then /metrics scraped over HTTP and read
// with a strict parser of the exposition format.

const POLICY = `
version: 1
default: allow
approvals_channel: C0METRICSAPPROVALS
rules:
  - name: no-workspaces-for-mallory
    action: workspace.create
    users: [U0METRICSMALLORY]
    effect: deny
    reason: "Not for you."
  - name: slow-lane
    action: workspace.create
    channels: [C0METRICSSLOW]
    only_in_channels: true
    effect: require_approval
    approvers:
      users: [U0METRICSAPPROVER]
`;
const policyFile = path.join(mkdtempSync(path.join(tmpdir(), 'portkey-policy-')), 'policy.yml');
writeFileSync(policyFile, POLICY);

const h = useTestEnv({ env: { POLICY_FILE: policyFile } });

const PEOPLE = ['U0METRICSALICE', 'U0METRICSMALLORY', 'U0METRICSBOB', 'U0METRICSCAROL', 'U0METRICSAPPROVER'];
const CHANNELS = ['C0METRICSGENERAL', 'C0METRICSSLOW', 'C0METRICSAPPROVALS'];

async function scrape(baseUrl = h.app.baseUrl): Promise<{ res: Response; text: string; e: Exposition }> {
  const res = await fetch(`${baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
  const text = await res.text();
  return { res, text, e: parseExposition(text) };
}

async function submitWorkspace(userId: string, channelId: string, name: string): Promise<Record<string, unknown>> {
  const triggerId = `metrics-trigger-${name}`;
  const opened = await h.app.driver.command({ text: `workspace create ${name}`, triggerId, userId, channelId });
  expect(opened.status).toBe(200);
  const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
  const res = await h.app.driver.viewSubmission({ view: fillView(viewFrom(open, h.slack.views), {}), userId });
  expect(res.status).toBe(200);
  return record(res.json, 'the ack');
}

const operations = (e: Exposition) => seriesOf(e, 'portkey_slack_operations_total', ['action', 'outcome']);

describe('GET /metrics', () => {
  it('counts a create, a denial, a failed create and a pending approval, with Portkey and Slack errors, and no ids', async () => {
    const before = await scrape();
    expect(before.res.status).toBe(200);
    expect(before.res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(Object.values(operations(before.e)).every((v) => v === 0)).toBe(true);

    // A create that works, one the policy denies, one Portkey refuses (400).
    await submitWorkspace('U0METRICSALICE', 'C0METRICSGENERAL', 'metrics-one');
    await eventually('the first create to succeed', async () => operations((await scrape()).e)['workspace.create succeeded'] === 1);
    const denied = await submitWorkspace('U0METRICSMALLORY', 'C0METRICSGENERAL', 'metrics-two');
    expect(JSON.stringify(denied)).toContain('Not for you.');
    h.portkey.fault(
      { method: 'POST', path: '/admin/workspaces' },
      { status: 400, body: { success: false, data: { message: 'bad name' } } },
    );
    await submitWorkspace('U0METRICSBOB', 'C0METRICSGENERAL', 'metrics-three');
    await eventually('the refused create to fail', async () => operations((await scrape()).e)['workspace.create failed'] === 1);

    // One for approval, while Slack refuses every post: the approval request stays in the outbox.
    h.slack.fail('chat.postMessage', 'not_in_channel', { times: Number.POSITIVE_INFINITY });
    await submitWorkspace('U0METRICSCAROL', 'C0METRICSSLOW', 'metrics-four');
    await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0METRICSAPPROVALS');

    const { text, e } = await eventually('the approval post to be counted as a Slack error', async () => {
      const s = await scrape();
      return (seriesOf(s.e, 'portkey_slack_slack_api_errors_total', ['method', 'error'])['chat.postMessage not_in_channel'] ?? 0) >= 1 && s;
    });

    expect(operations(e)).toEqual({
      'workspace.create succeeded': 1,
      'workspace.create failed': 1,
      'workspace.create denied': 1,
      'workspace.create expired': 0,
      'workspace.create cancelled': 0,
      'integration.create succeeded': 0,
      'integration.create failed': 0,
      'integration.create denied': 0,
      'integration.create expired': 0,
      'integration.create cancelled': 0,
      'member.add succeeded': 0,
      'member.add failed': 0,
      'member.add denied': 0,
      'member.add expired': 0,
      'member.add cancelled': 0,
      'key.create succeeded': 0,
      'key.create failed': 0,
      'key.create denied': 0,
      'key.create expired': 0,
      'key.create cancelled': 0,
      'team.onboard succeeded': 0,
      'team.onboard failed': 0,
      'team.onboard denied': 0,
      'team.onboard expired': 0,
      'team.onboard cancelled': 0,
      'integration.access succeeded': 0,
      'integration.access failed': 0,
      'integration.access denied': 0,
      'integration.access expired': 0,
      'integration.access cancelled': 0,
    });
    expect(seriesOf(e, 'portkey_slack_policy_decisions_total', ['action', 'effect'])).toEqual({
      'workspace.create allow': 2,
      'workspace.create deny': 1,
      'workspace.create require_approval': 1,
      'workspace.create rate_limited': 0,
      'integration.create allow': 0,
      'integration.create deny': 0,
      'integration.create require_approval': 0,
      'integration.create rate_limited': 0,
      'member.add allow': 0,
      'member.add deny': 0,
      'member.add require_approval': 0,
      'member.add rate_limited': 0,
      'key.create allow': 0,
      'key.create deny': 0,
      'key.create require_approval': 0,
      'key.create rate_limited': 0,
      'team.onboard allow': 0,
      'team.onboard deny': 0,
      'team.onboard require_approval': 0,
      'team.onboard rate_limited': 0,
      'integration.access allow': 0,
      'integration.access deny': 0,
      'integration.access require_approval': 0,
      'integration.access rate_limited': 0,
    });
    expect(seriesOf(e, 'portkey_slack_approvals_pending', ['action'])).toEqual({
      'workspace.create': 1,
      'integration.create': 0,
      'member.add': 0,
      'key.create': 0,
      'team.onboard': 0,
      'integration.access': 0,
    });
    expect(sampleValue(e, 'portkey_slack_outbox_pending')).toBeGreaterThanOrEqual(1);
    expect(sampleValue(e, 'portkey_slack_outbox_oldest_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(e, 'portkey_slack_outbox_failed')).toBe(0);
    expect(sampleValue(e, 'portkey_slack_store_up')).toBe(1);

    // Portkey: the refused create by its route template; the two creates timed (one ok, one error).
    expect(seriesOf(e, 'portkey_slack_portkey_errors_total', ['endpoint', 'kind', 'status'])).toEqual({
      'POST /admin/workspaces api 400': 1,
    });
    const duration = 'portkey_slack_portkey_request_duration_seconds';
    expect(e.types.get(duration)).toBe('histogram');
    expect(sampleValue(e, `${duration}_count`, { endpoint: 'POST /admin/workspaces', outcome: 'ok' })).toBe(1);
    expect(sampleValue(e, `${duration}_count`, { endpoint: 'POST /admin/workspaces', outcome: 'error' })).toBe(1);
    expect(sampleValue(e, `${duration}_bucket`, { endpoint: 'POST /admin/workspaces', outcome: 'ok', le: '+Inf' })).toBe(1);
    const endpoints = new Set(e.samples.filter((s) => s.name === `${duration}_count`).map((s) => s.labels.endpoint));
    for (const endpoint of endpoints) expect(endpoint).toMatch(/^(GET|POST|PUT) \/[a-z/{}-]+$/);

    // Slack: each refused post by method and code; process metrics are there too.
    const slackErrors = seriesOf(e, 'portkey_slack_slack_api_errors_total', ['method', 'error']);
    expect(Object.keys(slackErrors).every((k) => k === 'chat.postMessage not_in_channel')).toBe(true);
    expect(e.types.get('process_resident_memory_bytes')).toBe('gauge');
    expect(e.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');

    // Every label value is from a short known vocabulary: no person, channel, name, slug or secret anywhere.
    for (const id of [...PEOPLE, ...CHANNELS, 'metrics-one', 'metrics-three', BOT_TOKEN, SIGNING_SECRET, h.portkey.adminKey]) {
      expect(text).not.toContain(id);
    }
    const created = h.portkey.workspaces.find((w) => w.name === 'metrics-one');
    expect(created?.id).toBeTruthy();
    expect(text).not.toContain(created?.id ?? 'no-id');
  });

  it('is per app (a second app in this process starts from 0) and can be turned off with METRICS_ENABLED=false', async () => {
    const other = await startTestApp({ slack: h.slack, portkey: h.portkey });
    const off = await startTestApp({ slack: h.slack, portkey: h.portkey, env: { METRICS_ENABLED: 'false' } });
    try {
      const fresh = await scrape(other.baseUrl);
      expect(Object.values(operations(fresh.e)).every((v) => v === 0)).toBe(true);
      expect(fresh.e.samples.filter((s) => s.name === 'portkey_slack_portkey_errors_total')).toEqual([]);
      // Its store is its own too: nothing pending there.
      expect(sampleValue(fresh.e, 'portkey_slack_approvals_pending', { action: 'workspace.create' })).toBe(0);

      const res = await fetch(`${off.baseUrl}/metrics`, { signal: AbortSignal.timeout(5000) });
      expect(res.status).toBe(404);
      await res.body?.cancel();
      expect((await fetch(`${off.baseUrl}/healthz`, { signal: AbortSignal.timeout(5000) })).status).toBe(200);
    } finally {
      await other.stop();
      await off.stop();
    }
  });
});
