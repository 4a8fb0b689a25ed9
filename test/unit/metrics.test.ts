import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createLog } from '../../src/log.js';
import { Metrics } from '../../src/metrics.js';
import { openStore, type Store } from '../../src/store/index.js';
import { parseExposition, seriesOf, sampleValue, type Exposition } from '../support/prometheus.js';

// The registry behind /metrics: what each counter counts, the store-wide gauges read at scrape time, and the
// exposition text, read back with a strict parser.

const KEY = Buffer.alloc(32, 7).toString('base64');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function tempStore(now: () => number): Promise<Store> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'portkey-metrics-'));
  const store = await openStore({ dataDir, secretsKey: KEY, now });
  cleanups.push(async () => {
    await store.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return store;
}

const scrape = async (m: Metrics): Promise<Exposition> => parseExposition(await m.render());

describe('Metrics: counters', () => {
  it('counts operation outcomes and policy decisions by action, every known series starting at 0', async () => {
    const m = new Metrics();
    m.ended('workspace.create', 'succeeded');
    m.ended('workspace.create', 'succeeded');
    m.ended('integration.create', 'denied');
    m.decided('workspace.create', 'allow');
    m.decided('integration.create', 'rate_limited');
    const e = await scrape(m);
    expect(e.types.get('portkey_slack_operations_total')).toBe('counter');
    expect(seriesOf(e, 'portkey_slack_operations_total', ['action', 'outcome'])).toEqual({
      'workspace.create succeeded': 2,
      'workspace.create failed': 0,
      'workspace.create denied': 0,
      'workspace.create expired': 0,
      'workspace.create cancelled': 0,
      'integration.create succeeded': 0,
      'integration.create failed': 0,
      'integration.create denied': 1,
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
      'workspace.create allow': 1,
      'workspace.create deny': 0,
      'workspace.create require_approval': 0,
      'workspace.create rate_limited': 0,
      'integration.create allow': 0,
      'integration.create deny': 0,
      'integration.create require_approval': 0,
      'integration.create rate_limited': 1,
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
  });

  it('times Portkey requests by endpoint and outcome, and counts failures by kind and status', async () => {
    const m = new Metrics();
    m.portkeyCall({ endpoint: 'POST /integrations', seconds: 0.2 });
    m.portkeyCall({ endpoint: 'POST /integrations', seconds: 3, error: { kind: 'api', status: 500 } });
    m.portkeyCall({ endpoint: 'GET /integrations/{slug}', seconds: 10, error: { kind: 'timeout' } });
    const e = await scrape(m);
    const h = 'portkey_slack_portkey_request_duration_seconds';
    expect(e.types.get(h)).toBe('histogram');
    expect(sampleValue(e, `${h}_count`, { endpoint: 'POST /integrations', outcome: 'ok' })).toBe(1);
    expect(sampleValue(e, `${h}_sum`, { endpoint: 'POST /integrations', outcome: 'ok' })).toBeCloseTo(0.2);
    expect(sampleValue(e, `${h}_bucket`, { endpoint: 'POST /integrations', outcome: 'ok', le: '0.1' })).toBe(0);
    expect(sampleValue(e, `${h}_bucket`, { endpoint: 'POST /integrations', outcome: 'ok', le: '0.25' })).toBe(1);
    expect(sampleValue(e, `${h}_bucket`, { endpoint: 'POST /integrations', outcome: 'error', le: '2.5' })).toBe(0);
    expect(sampleValue(e, `${h}_bucket`, { endpoint: 'POST /integrations', outcome: 'error', le: '5' })).toBe(1);
    expect(sampleValue(e, `${h}_bucket`, { endpoint: 'GET /integrations/{slug}', outcome: 'error', le: '+Inf' })).toBe(1);
    expect(seriesOf(e, 'portkey_slack_portkey_errors_total', ['endpoint', 'kind', 'status'])).toEqual({
      'POST /integrations api 500': 1,
      'GET /integrations/{slug} timeout none': 1,
    });
  });

  it('counts Slack API errors by method and code, and folds label sets past 200 into "other"', async () => {
    const m = new Metrics();
    m.slackError('chat.postMessage', 'not_in_channel');
    m.slackError('chat.postMessage', 'not_in_channel');
    for (let i = 0; i < 250; i += 1) m.slackError('views.update', `code_${i}`);
    const e = await scrape(m);
    const errors = seriesOf(e, 'portkey_slack_slack_api_errors_total', ['method', 'error']);
    expect(errors['chat.postMessage not_in_channel']).toBe(2);
    expect(Object.keys(errors)).toHaveLength(201);
    expect(errors['views.update code_198']).toBe(1);
    expect(errors['views.update code_199']).toBeUndefined();
    expect(errors['other other']).toBe(51);
  });

  it('keeps each instance apart: a second app in the same process starts from 0', async () => {
    const first = new Metrics();
    first.ended('workspace.create', 'failed');
    const second = new Metrics();
    expect(sampleValue(await scrape(first), 'portkey_slack_operations_total', { action: 'workspace.create', outcome: 'failed' })).toBe(1);
    expect(sampleValue(await scrape(second), 'portkey_slack_operations_total', { action: 'workspace.create', outcome: 'failed' })).toBe(0);
  });

  it('includes the default process metrics once (they describe the process, not an app)', async () => {
    const text = await new Metrics().render();
    const e = parseExposition(text);
    expect(e.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(e.types.get('nodejs_heap_size_used_bytes')).toBe('gauge');
    expect(text.match(/^# TYPE process_cpu_user_seconds_total /gm)).toHaveLength(1);
  });
});

describe('Metrics: the store-wide gauges, read at scrape time', () => {
  it('reports approvals pending by action and the outbox backlog with its oldest age', async () => {
    let t = 1_000_000_000;
    const store = await tempStore(() => t);
    const m = new Metrics({ store, now: () => t });
    const empty = await scrape(m);
    expect(seriesOf(empty, 'portkey_slack_approvals_pending', ['action'])).toEqual({
      'workspace.create': 0,
      'integration.create': 0,
      'member.add': 0,
      'key.create': 0,
      'team.onboard': 0,
      'integration.access': 0,
    });
    expect(sampleValue(empty, 'portkey_slack_outbox_pending')).toBe(0);
    expect(sampleValue(empty, 'portkey_slack_outbox_oldest_age_seconds')).toBe(0);
    expect(sampleValue(empty, 'portkey_slack_store_up')).toBe(1);

    for (const key of ['K1', 'K2']) {
      await store.operations.create({
        idempotencyKey: key,
        teamId: 'T1',
        action: 'integration.create',
        requesterId: 'U1',
        channelId: 'C1',
        request: {},
        status: 'awaiting_approval',
      });
    }
    await store.notifications.enqueue({ kind: 'approval', payload: {} });
    t += 90_000;
    const given = await store.notifications.enqueue({ kind: 'result', payload: {} });
    await store.notifications.markFailed(given.id, 'no route worked', null);
    await store.notifications.enqueue({ kind: 'result', payload: {} });
    t += 500;
    const e = await scrape(m);
    expect(seriesOf(e, 'portkey_slack_approvals_pending', ['action'])).toEqual({
      'workspace.create': 0,
      'integration.create': 2,
      'member.add': 0,
      'key.create': 0,
      'team.onboard': 0,
      'integration.access': 0,
    });
    expect(e.types.get('portkey_slack_approvals_pending')).toBe('gauge');
    expect(sampleValue(e, 'portkey_slack_outbox_pending')).toBe(2);
    expect(sampleValue(e, 'portkey_slack_outbox_failed')).toBe(1);
    expect(sampleValue(e, 'portkey_slack_outbox_oldest_age_seconds')).toBe(90.5);
  });

  it('leaves the gauges out (store_up 0) while the store fails, logging once per outage, and the counters still answer', async () => {
    const lines: string[] = [];
    const log = createLog(
      'info',
      new Writable({
        write(chunk: Buffer, _enc, done) {
          lines.push(chunk.toString('utf8'));
          done();
        },
      }),
    );
    let broken = true;
    const fail = async () => {
      if (broken) throw new Error('connection refused');
      return {};
    };
    const store = {
      operations: { countByAction: fail },
      notifications: { backlog: async () => ({ ...(await fail()), pending: 0, oldestPendingAt: null, failed: 0 }) },
    } as unknown as Pick<Store, 'operations' | 'notifications'>;
    const m = new Metrics({ store, log });
    m.ended('workspace.create', 'succeeded');
    for (let i = 0; i < 3; i += 1) {
      const e = await scrape(m);
      expect(sampleValue(e, 'portkey_slack_store_up')).toBe(0);
      expect(e.samples.filter((s) => s.name.startsWith('portkey_slack_outbox') || s.name.startsWith('portkey_slack_approvals'))).toEqual(
        [],
      );
      expect(sampleValue(e, 'portkey_slack_operations_total', { action: 'workspace.create', outcome: 'succeeded' })).toBe(1);
    }
    expect(lines.filter((l) => l.includes('could not read the store'))).toHaveLength(1);
    expect(lines.join('')).toContain('connection refused');
    broken = false;
    const back = await scrape(m);
    expect(sampleValue(back, 'portkey_slack_store_up')).toBe(1);
    expect(sampleValue(back, 'portkey_slack_outbox_pending')).toBe(0);
    expect(lines.filter((l) => l.includes('the store answers again'))).toHaveLength(1);
  });
});

describe('the exposition parser of these tests', () => {
  it('reads labels with escapes and refuses what is not the format', () => {
    const e = parseExposition('# HELP a_total x\n# TYPE a_total counter\na_total{l="q\\"uote\\\\ \\n",m="{,}"} 3\n');
    expect(e.samples).toEqual([{ name: 'a_total', family: 'a_total', labels: { l: 'q"uote\\ \n', m: '{,}' }, value: 3 }]);
    expect(() => parseExposition('b 1\n')).toThrow(/without TYPE/);
    expect(() => parseExposition('# TYPE a gauge\na{l="x} 1\n')).toThrow(/unterminated/);
    expect(() => parseExposition('# TYPE a gauge\na{l="x"} one\n')).toThrow(/not a number/);
    expect(() => parseExposition('# TYPE a gauge\na{l="x"}1\n')).toThrow(/bad sample/);
  });
});
