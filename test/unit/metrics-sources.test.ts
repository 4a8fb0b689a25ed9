import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { countedTransaction, watchEndings } from '../../src/operations/endings.js';
import { PortkeyClient, type PortkeyCall } from '../../src/portkey/client.js';
import { routeOf } from '../../src/portkey/routes.js';
import { countingFetch, methodOf } from '../../src/slack/counted-fetch.js';
import { openStore, type OperationRecord, type Store } from '../../src/store/index.js';

// Where the metrics come from: the Portkey client's route templates and per-attempt reports, the Slack clients'
// counting fetch, and the operation endings a service step sees.

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('routeOf: Portkey paths as route templates', () => {
  it('replaces ids and slugs by their place, and names anything unknown "other"', () => {
    expect(routeOf('POST', '/integrations')).toBe('POST /integrations');
    expect(routeOf('GET', '/integrations/my-openai')).toBe('GET /integrations/{slug}');
    expect(routeOf('PUT', '/integrations/workspaces/workspaces')).toBe('PUT /integrations/{slug}/workspaces');
    expect(routeOf('GET', '/admin/workspaces/ws-research%2F1')).toBe('GET /admin/workspaces/{id}');
    expect(routeOf('GET', '/secret-references/vault-1')).toBe('GET /secret-references/{id}');
    expect(routeOf('GET', '/admin/workspaces/a/b')).toBe('GET other');
    expect(routeOf('DELETE', '/api-keys/ak-1')).toBe('DELETE other');
  });

  it('has a template for every path the client calls (a new endpoint must add one)', () => {
    const source = readFileSync(fileURLToPath(new URL('../../src/portkey/client.ts', import.meta.url)), 'utf8');
    const calls = [...source.matchAll(/this\.send\(\s*'([A-Z]+)',\s*[`']([^`']+)[`']/g)];
    expect(calls.length).toBeGreaterThanOrEqual(10);
    for (const [, method = '', p = ''] of calls) {
      const concrete = p.replace(/\$\{[^}]+\}/g, 'some-slug');
      expect(routeOf(method, concrete), `${method} ${p}`).not.toMatch(/ other$/);
    }
  });
});

describe('PortkeyClient: onCall reports every HTTP attempt', () => {
  it('with its route template, duration and how it failed (a retried GET is reported per attempt)', async () => {
    let n = 0;
    const server = createServer((req, res) => {
      n += 1;
      if (req.url?.startsWith('/v1/integrations/secret-slug-CANARY') && n === 1) {
        res.writeHead(503, { 'content-type': 'application/json' });
        res.end('{"message":"busy"}');
      } else if (req.url?.startsWith('/v1/integrations/secret-slug-CANARY')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"not":"an integration"}');
      } else {
        res.writeHead(201, { 'content-type': 'application/json' });
        res.end('{"id":"i-1","slug":"created"}');
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => server.close(() => r())));
    const calls: PortkeyCall[] = [];
    const client = new PortkeyClient({
      baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
      apiKey: 'pk-CANARY',
      timeoutMs: 2000,
      retries: 1,
      sleep: async () => {},
      onCall: (c) => calls.push(c),
    });
    cleanups.push(() => client.close());
    await expect(client.getIntegration('secret-slug-CANARY')).rejects.toMatchObject({ kind: 'invalid_response' });
    await client.createIntegration({ name: 'x', ai_provider_id: 'openai', key: 'sk-x' } as Parameters<typeof client.createIntegration>[0]);
    const closed = new PortkeyClient({
      baseUrl: 'http://127.0.0.1:1/v1',
      apiKey: 'k',
      timeoutMs: 1000,
      retries: 0,
      onCall: (c) => calls.push(c),
    });
    cleanups.push(() => closed.close());
    await expect(closed.listWorkspaces()).rejects.toMatchObject({ kind: 'network' });

    expect(calls.map(({ seconds, ...rest }) => rest)).toEqual([
      { endpoint: 'GET /integrations/{slug}', error: { kind: 'api', status: 503 } },
      { endpoint: 'GET /integrations/{slug}', error: { kind: 'invalid_response' } },
      { endpoint: 'POST /integrations' },
      { endpoint: 'GET /admin/workspaces', error: { kind: 'network' } },
    ]);
    for (const c of calls) expect(c.seconds).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(calls)).not.toContain('CANARY');
  });
});

describe('countingFetch: Slack Web API errors by method and code', () => {
  const json = (body: unknown, status = 200) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8' } });

  it('counts ok:false, 429, other statuses and transport failures, and leaves the body for the client', async () => {
    const answers: Array<() => Promise<Response>> = [
      async () => json({ ok: true, ts: '1.2' }),
      async () => json({ ok: false, error: 'not_in_channel' }),
      async () => json({ ok: false, error: 'ratelimited' }, 429),
      async () => new Response('bad gateway', { status: 502 }),
      async () => json({ ok: false, error: 'Something <b>odd</b> from a proxy' }),
      async () => {
        throw new TypeError('fetch failed');
      },
      async () => {
        throw new DOMException('The operation timed out.', 'TimeoutError');
      },
    ];
    const inner = (async () => (answers.shift() as () => Promise<Response>)()) as Parameters<typeof countingFetch>[1];
    const seen: string[] = [];
    const fetch = countingFetch((method, error) => seen.push(`${method} ${error}`), inner);
    const url = 'http://127.0.0.1:9/api/chat.postMessage';
    expect(await (await fetch(url, {})).text()).toBe('{"ok":true,"ts":"1.2"}');
    expect(await (await fetch('http://127.0.0.1:9/api/views.update', {})).json()).toEqual({ ok: false, error: 'not_in_channel' });
    expect((await fetch(url, {})).status).toBe(429);
    expect((await fetch(url, {})).status).toBe(502);
    await fetch('http://127.0.0.1:9/api/views.open', {});
    await expect(fetch(url, {})).rejects.toThrow('fetch failed');
    await expect(fetch('https://hooks.slack.com/commands/T1/2/secret', {})).rejects.toThrow('timed out');
    expect(seen).toEqual([
      'views.update not_in_channel',
      'chat.postMessage ratelimited',
      'chat.postMessage http_502',
      'views.open other',
      'chat.postMessage request_error',
      'other timeout',
    ]);
  });

  it('reads ok:false however the JSON spells it, and skips parsing only answers that cannot be ok:false', async () => {
    const texts = [
      '{"ok" :\n false, "error": "spaced_out"}',
      '{"\\u006fk": false, "error": "escaped_key"}',
      '{"ok": true, "view": {"blocks": [{"text": "ok: false, said the \\u201cview\\u201d"}]}}',
      '{"ok": true, "ok_false": "no"}',
    ];
    const inner = (async () => new Response(texts.shift(), { status: 200, headers: { 'content-type': 'application/json' } })) as Parameters<
      typeof countingFetch
    >[1];
    const seen: string[] = [];
    const fetch = countingFetch((method, error) => seen.push(`${method} ${error}`), inner);
    for (let i = 0; i < 4; i += 1) await fetch('http://127.0.0.1:9/api/views.update', {});
    expect(seen).toEqual(['views.update spaced_out', 'views.update escaped_key']);
  });

  it('names a method only when it looks like one', () => {
    expect(methodOf('https://slack.com/api/usergroups.users.list')).toBe('usergroups.users.list');
    expect(methodOf('https://slack.com/api/')).toBe('other');
    expect(methodOf('not a url')).toBe('other');
  });
});

describe('watchEndings: the operations a step moved into an end state', () => {
  async function store(): Promise<Store> {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'portkey-endings-'));
    const s = await openStore({ dataDir, secretsKey: Buffer.alloc(32, 7).toString('base64') });
    cleanups.push(async () => {
      await s.close();
      rmSync(dataDir, { recursive: true, force: true });
    });
    return s;
  }
  const request = (key: string, status: 'requested' | 'denied' | 'awaiting_approval') => ({
    idempotencyKey: key,
    teamId: 'T1',
    action: 'workspace.create' as const,
    requesterId: 'U1',
    channelId: 'C1',
    request: {},
    status,
  });

  it('sees a denial stored ended and a transition won into an end state — not a lost one, a duplicate or a same-state step', async () => {
    const s = await store();
    const ended: OperationRecord[] = [];
    const pending = await s.transaction(async (raw) => {
      const tx = watchEndings(raw, ended);
      await tx.operations.create(request('K1', 'denied'));
      await tx.operations.create(request('K1', 'denied')); // the same submission again: not created
      const { operation } = await tx.operations.create(request('K2', 'awaiting_approval'));
      const ran = (await tx.operations.create(request('K3', 'requested'))).operation;
      await tx.operations.transition(ran.id, 'requested', 'executing');
      await tx.operations.transition(ran.id, 'executing', 'succeeded');
      await tx.operations.transition(ran.id, 'succeeded', 'succeeded', { result: { step: 'again' } });
      await tx.operations.transition(ran.id, 'executing', 'failed'); // lost: it is not executing any more
      return operation;
    });
    await s.transaction(async (raw) => {
      await watchEndings(raw, ended).operations.transition(pending.id, 'awaiting_approval', 'expired');
    });
    expect(ended.map((o) => `${o.idempotencyKey} ${o.status}`)).toEqual(['K1 denied', 'K3 succeeded', 'K2 expired']);
  });

  it('counts the endings of a committed step once, and nothing of a step that rolled back', async () => {
    const s = await store();
    const counted: string[] = [];
    const counts = { ended: (action: string, outcome: string) => counted.push(`${action} ${outcome}`) };
    const { operation } = await s.operations.create(request('K1', 'awaiting_approval'));
    await expect(
      countedTransaction(s, counts, async (tx) => {
        await tx.operations.transition(operation.id, 'awaiting_approval', 'cancelled');
        throw new Error('the audit row could not be written');
      }),
    ).rejects.toThrow('audit row');
    expect(counted).toEqual([]);
    expect((await s.operations.get(operation.id))?.status).toBe('awaiting_approval');
    const moved = await countedTransaction(s, counts, (tx) => tx.operations.transition(operation.id, 'awaiting_approval', 'expired'));
    expect(moved.won).toBe(true);
    expect(
      await countedTransaction(s, counts, (tx) => tx.operations.transition(operation.id, 'awaiting_approval', 'expired')),
    ).toMatchObject({
      won: false,
    });
    expect(counted).toEqual(['workspace.create expired']);
  });
});
