import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { createLog } from '../../src/log.js';
import { createWorkspaceOnce } from '../../src/resources/workspace/create.js';
import { PortkeyClient, type PortkeyClientOptions } from '../../src/portkey/client.js';
import { PortkeyError } from '../../src/portkey/errors.js';
import type { Workspace } from '../../src/portkey/schemas.js';

const KEY = 'pk-admin-CANARY-7f3a9c';

// ---------------------------------------------------------------------------------------------------------------
// A tiny HTTP server on 127.0.0.1 whose every answer the test decides.

interface Seen {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen, n: number) => void;

interface TestServer {
  baseUrl: string;
  seen: Seen[];
  close: () => Promise<void>;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function serve(handler: Handler): Promise<TestServer> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const s: Seen = {
        method: req.method ?? '',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      seen.push(s);
      handler(req, res, s, seen.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  cleanups.push(close);
  return { baseUrl: `http://127.0.0.1:${port}/v1`, seen, close };
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

function envelope(errorCode: string, message: string) {
  return { success: false, data: { message, errorCode } };
}

/** A client with a recording, instant sleep. */
function clientFor(server: TestServer, opts: Partial<PortkeyClientOptions> = {}) {
  const sleeps: number[] = [];
  const client = new PortkeyClient({
    baseUrl: server.baseUrl,
    apiKey: KEY,
    timeoutMs: 5000,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...opts,
  });
  cleanups.push(() => client.close());
  return { client, sleeps };
}

async function failure(p: Promise<unknown>): Promise<PortkeyError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PortkeyError) return err;
    throw new Error(`expected a PortkeyError, got ${String(err)}`);
  }
  throw new Error('expected the call to fail');
}

function expectNoKey(err: PortkeyError): void {
  expect(err.message).not.toContain(KEY);
  expect(JSON.stringify(err)).not.toContain(KEY);
  expect(String(err.cause)).not.toContain(KEY);
  expect(err.stack ?? '').not.toContain(KEY);
  expect(inspect(err, { depth: 10, showHidden: true })).not.toContain(KEY);
}

const WS: Workspace & Record<string, unknown> & { slug: string } = {
  id: '6e5a9f93-ae3a-46b4-a87d-2464d373ef7e',
  slug: 'ws-data-e2a85b',
  name: 'Data Science',
  description: null,
  created_at: '2025-12-30T15:38:09.000Z',
  last_updated_at: '2025-12-30T15:38:09.000Z',
  defaults: null,
  object: 'workspace',
};

// ---------------------------------------------------------------------------------------------------------------

describe('PortkeyClient: requests', () => {
  it('POSTs a workspace as JSON with the admin key, and returns Portkey’s workspace', async () => {
    const server = await serve((_req, res) => json(res, 200, WS));
    const { client } = clientFor(server);
    const body = { name: 'Data Science', description: 'ML', defaults: { metadata: { team: 'data' }, is_default: 1 as const } };

    expect(await client.createWorkspace(body)).toEqual(WS);
    expect(server.seen).toHaveLength(1);
    const [req] = server.seen;
    expect(req?.method).toBe('POST');
    expect(req?.path).toBe('/v1/admin/workspaces');
    expect(req?.query).toEqual({});
    expect(req?.headers['x-portkey-api-key']).toBe(KEY);
    expect(req?.headers['content-type']).toBe('application/json');
    expect(req?.headers.accept).toBe('application/json');
    expect(JSON.parse(req?.body ?? '')).toEqual(body);
  });

  it('lists workspaces with exact_name and 0-based paging', async () => {
    const server = await serve((_req, res) => json(res, 200, { total: 1, object: 'list', data: [WS] }));
    const { client } = clientFor(server);

    expect(await client.listWorkspaces({ exactName: 'Data Science & Co', page: 2, pageSize: 10 })).toEqual({
      total: 1,
      data: [WS],
      skipped: 0,
    });
    await client.listWorkspaces();
    await client.listWorkspaces({ name: 'dat' });

    expect(server.seen.map((s) => [s.method, s.path, s.query])).toEqual([
      ['GET', '/v1/admin/workspaces', { exact_name: 'Data Science & Co', current_page: '2', page_size: '10' }],
      ['GET', '/v1/admin/workspaces', { current_page: '0', page_size: '50' }],
      ['GET', '/v1/admin/workspaces', { name: 'dat', current_page: '0', page_size: '50' }],
    ]);
    for (const s of server.seen) {
      expect(s.headers['x-portkey-api-key']).toBe(KEY);
      expect(s.headers['content-type']).toBeUndefined();
      expect(s.body).toBe('');
    }
  });

  it('encodes a workspace id or slug in the path', async () => {
    const server = await serve((_req, res) => json(res, 200, WS));
    const { client } = clientFor(server);
    await client.getWorkspace('ws/../x y');
    expect(server.seen[0]?.path).toBe('/v1/admin/workspaces/ws%2F..%2Fx%20y');
  });

  it('turns an error envelope into a PortkeyError with status, code and message', async () => {
    const server = await serve((_req, res) =>
      json(res, 403, envelope('AB03', 'You do not have enough permissions to execute this request')),
    );
    const { client } = clientFor(server);
    const err = await failure(client.createWorkspace({ name: 'x' }));
    expect({ kind: err.kind, status: err.status, code: err.code, portkeyMessage: err.portkeyMessage }).toEqual({
      kind: 'api',
      status: 403,
      code: 'AB03',
      portkeyMessage: 'You do not have enough permissions to execute this request',
    });
    expectNoKey(err);
  });

  it('reads an error without a JSON body as a bare status', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html>Bad Gateway</html>');
    });
    const { client } = clientFor(server);
    const err = await failure(client.createWorkspace({ name: 'x' }));
    expect([err.kind, err.status, err.code, err.portkeyMessage]).toEqual(['api', 502, undefined, undefined]);
  });
});

describe('PortkeyClient: retries', () => {
  it('retries a GET on 503 and then succeeds, with growing backoff', async () => {
    const server = await serve((_req, res, _s, n) => (n <= 2 ? json(res, 503, envelope('AB04', 'busy')) : json(res, 200, { data: [WS] })));
    const { client, sleeps } = clientFor(server);

    expect(await client.listWorkspaces({ exactName: 'Data Science' })).toEqual({ total: undefined, data: [WS], skipped: 0 });
    expect(server.seen).toHaveLength(3);
    expect(server.seen.every((s) => s.query.exact_name === 'Data Science')).toBe(true);
    expect(sleeps).toHaveLength(2);
    expect(sleeps[0]).toBeGreaterThanOrEqual(125);
    expect(sleeps[0]).toBeLessThanOrEqual(250);
    expect(sleeps[1]).toBeGreaterThanOrEqual(250);
    expect(sleeps[1]).toBeLessThanOrEqual(500);
  });

  it('honours Retry-After in seconds', async () => {
    const server = await serve((_req, res, _s, n) => (n === 1 ? json(res, 503, {}, { 'retry-after': '2' }) : json(res, 200, WS)));
    const { client, sleeps } = clientFor(server);
    expect(await client.getWorkspace(WS.slug)).toEqual(WS);
    expect(sleeps).toEqual([2000]);
    expect(server.seen).toHaveLength(2);
  });

  it('honours Retry-After on 429', async () => {
    const server = await serve((_req, res, _s, n) =>
      n === 1 ? json(res, 429, envelope('AB06', 'slow down'), { 'retry-after': '1' }) : json(res, 200, WS),
    );
    const { client, sleeps } = clientFor(server);
    expect(await client.getWorkspace(WS.slug)).toEqual(WS);
    expect(sleeps).toEqual([1000]);
  });

  it('gives up at once when Retry-After asks for longer than it will wait', async () => {
    const server = await serve((_req, res) => json(res, 429, envelope('AB06', 'slow down'), { 'retry-after': '30' }));
    const { client, sleeps } = clientFor(server);
    const err = await failure(client.getWorkspace(WS.slug));
    expect([err.status, err.code, err.retryAfterSeconds]).toEqual([429, 'AB06', 30]);
    expect(server.seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('stops after the configured number of retries', async () => {
    const server = await serve((_req, res) => json(res, 503, {}));
    const { client, sleeps } = clientFor(server);
    const err = await failure(client.getWorkspace(WS.slug));
    expect([err.kind, err.status]).toEqual(['api', 503]);
    expect(server.seen).toHaveLength(4);
    expect(sleeps).toHaveLength(3);

    const two = await serve((_req, res) => json(res, 503, {}));
    const { client: once } = clientFor(two, { retries: 1 });
    await failure(once.getWorkspace(WS.slug));
    expect(two.seen).toHaveLength(2);
  });

  it.each([400, 401, 403, 404, 409, 501])('does not retry a GET answered %i', async (status) => {
    const server = await serve((_req, res) => json(res, status, {}));
    const { client, sleeps } = clientFor(server);
    const err = await failure(client.getWorkspace(WS.slug));
    expect(err.status).toBe(status);
    expect(server.seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('never re-sends a POST on 503: exactly one request', async () => {
    const server = await serve((_req, res) => json(res, 503, envelope('AB04', 'busy'), { 'retry-after': '1' }));
    const { client, sleeps } = clientFor(server);
    const err = await failure(client.createWorkspace({ name: 'Data Science' }));
    expect([err.kind, err.status, err.outcomeUnknown]).toEqual(['api', 503, true]);
    expect(server.seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('never re-sends a POST on 429', async () => {
    const server = await serve((_req, res) => json(res, 429, envelope('AB06', 'slow'), { 'retry-after': '1' }));
    const { client } = clientFor(server);
    const err = await failure(client.createWorkspace({ name: 'Data Science' }));
    expect([err.status, err.retryAfterSeconds]).toEqual([429, 1]);
    expect(server.seen).toHaveLength(1);
  });
});

describe('PortkeyClient: failures', () => {
  it('a 200 without an id is an invalid_response, and is not retried', async () => {
    const { id: _id, ...noId } = WS;
    const server = await serve((_req, res) => json(res, 200, noId));
    const { client, sleeps } = clientFor(server);
    const err = await failure(client.createWorkspace({ name: 'Data Science' }));
    expect(err.kind).toBe('invalid_response');
    expect(err.outcomeUnknown).toBe(false);
    const get = await failure(client.getWorkspace('x'));
    expect(get.kind).toBe('invalid_response');
    expect(server.seen).toHaveLength(2);
    expect(sleeps).toEqual([]);
  });

  it('a 200 that is not JSON is an invalid_response', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login</html>');
    });
    const { client } = clientFor(server);
    const err = await failure(client.createWorkspace({ name: 'x' }));
    expect([err.kind, err.status]).toEqual(['invalid_response', 200]);
  });

  it('a server that never answers is a timeout', async () => {
    const server = await serve(() => {
      /* never answers */
    });
    const { client } = clientFor(server, { timeoutMs: 1000 });
    const started = Date.now();
    const err = await failure(client.createWorkspace({ name: 'Data Science' }));
    expect(err.kind).toBe('timeout');
    expect(err.outcomeUnknown).toBe(true);
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(Date.now() - started).toBeLessThan(5000);
    expect(server.seen).toHaveLength(1);
    expectNoKey(err);
  });

  it('a GET that times out is a timeout too (without retries)', async () => {
    const server = await serve(() => {});
    const { client } = clientFor(server, { timeoutMs: 1000, retries: 0 });
    const err = await failure(client.listWorkspaces());
    expect(err.kind).toBe('timeout');
    expect(err.message).toMatch(/^Portkey timeout: 127\.0\.0\.1:\d+ did not answer in time \(no answer within 1000 ms\)/);
    expectNoKey(err);
  });

  it('a reset connection is a network error, and the POST is not re-sent', async () => {
    const server = await serve((req) => req.socket.destroy());
    const { client, sleeps } = clientFor(server);
    const err = await failure(client.createWorkspace({ name: 'Data Science' }));
    expect(err.kind).toBe('network');
    expect(err.outcomeUnknown).toBe(true);
    expect(err.cause).toBeInstanceOf(Error);
    expect(server.seen).toHaveLength(1);
    expect(sleeps).toEqual([]);
    expect(err.netCause?.kind).toBe('reset');
    expect(err.message).toMatch(/^Portkey network: 127\.0\.0\.1:\d+ closed the connection \((ECONNRESET|UND_ERR_SOCKET)\)/);
    expectNoKey(err);
  });

  it('a connection reset in the middle of the body is a network error', async () => {
    const server = await serve((req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
      res.write('{"id":"6e5a');
      setTimeout(() => req.socket.destroy(), 20);
    });
    const { client } = clientFor(server);
    const err = await failure(client.createWorkspace({ name: 'x' }));
    expect(err.kind).toBe('network');
    expectNoKey(err);
  });

  it('a refused connection is a network error, retried for a GET', async () => {
    const server = await serve(() => {});
    await server.close();
    const { client, sleeps } = clientFor(server, { retries: 2 });
    const err = await failure(client.listWorkspaces());
    expect(err.kind).toBe('network');
    expect(sleeps).toHaveLength(2);
    // The log line says what failed and where: refused, at this host and port.
    expect([err.network, err.netCause, err.host]).toEqual([
      'refused',
      { kind: 'refused', code: 'ECONNREFUSED' },
      new URL(server.baseUrl).host,
    ]);
    expect(err.message).toContain(
      `${new URL(server.baseUrl).host} refused the connection (ECONNREFUSED) — check the host and port in PORTKEY_BASE_URL`,
    );
    expectNoKey(err);
  });

  it('a host that does not resolve is a DNS failure, named with its host', async () => {
    const client = new PortkeyClient({ baseUrl: 'http://portkey.invalid/v1', apiKey: KEY, timeoutMs: 5000, retries: 0 });
    const err = await failure(client.listWorkspaces());
    await client.close();
    expect(err.kind).toBe('network');
    expect(err.netCause?.kind).toBe('dns');
    expect(err.message).toMatch(/^Portkey network: DNS lookup of portkey\.invalid failed \((ENOTFOUND|EAI_AGAIN)\)/);
    expectNoKey(err);
  });

  it('never puts the admin key in an API error, even one with a message', async () => {
    const server = await serve((_req, res) => json(res, 401, envelope('AB05', 'Invalid admin key')));
    const { client } = clientFor(server);
    const err = await failure(client.createWorkspace({ name: 'x' }));
    expect([err.status, err.code]).toEqual([401, 'AB05']);
    expectNoKey(err);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// createWorkspaceOnce: a create is never re-sent; a lost answer is looked up.

describe('createWorkspaceOnce', () => {
  const log = createLog('silent');

  /**
   * POST creates (and records) the workspace, then answers as `onCreate` says; GET lists by exact_name. `existing`:
   * there before the create; `appearing`: made by someone else while it runs. `onList: 'drop'` drops the look-ups
   * after the create, `'down'` every look-up.
   */
  async function portkey(p: {
    onCreate: 'answer' | 'drop' | 'lost' | 400 | 500;
    onList: 'answer' | 'drop' | 'down';
    existing?: Workspace[];
    appearing?: Workspace[];
  }) {
    const store: Workspace[] = [...(p.existing ?? [])];
    let created = false;
    const server = await serve((req, res, s) => {
      if (s.method === 'POST' && s.path === '/v1/admin/workspaces') {
        created = true;
        store.push(...(p.appearing ?? []));
        if (p.onCreate === 400) return json(res, 400, envelope('AB01', 'Invalid request. Please check and try again.'));
        // The connection drops before Portkey created anything.
        if (p.onCreate === 'lost') return req.socket.destroy();
        const body = JSON.parse(s.body) as { name: string; slug?: string };
        const ws: Workspace = {
          ...WS,
          id: `id-${store.length + 1}`,
          slug: body.slug ?? 'ws-data-123abc',
          name: body.name,
          created_at: new Date().toISOString(),
        };
        store.push(ws);
        if (p.onCreate === 'drop') return req.socket.destroy();
        if (p.onCreate === 500) return json(res, 500, envelope('AB04', 'Internal server error'));
        return json(res, 200, ws);
      }
      if (s.method === 'GET' && s.path === '/v1/admin/workspaces') {
        if (p.onList === 'down' || (p.onList === 'drop' && created)) return req.socket.destroy();
        const data = store.filter((w) => s.query.exact_name === undefined || w.name === s.query.exact_name);
        return json(res, 200, { total: data.length, data });
      }
      json(res, 404, envelope('AB08', 'not found'));
    });
    const { client } = clientFor(server);
    return { server, client, store };
  }

  it('returns the workspace when Portkey answers', async () => {
    const { client, server, store } = await portkey({ onCreate: 'answer', onList: 'answer' });
    expect(await createWorkspaceOnce(client, { name: 'Data Science' }, log)).toEqual({ ok: true, value: store[0], recovered: false });
    // The look-up before: what already bears the name is never taken for ours.
    expect(server.seen.map((s) => s.method)).toEqual(['GET', 'POST']);
  });

  it('finds the workspace by exact name when the connection drops after the create', async () => {
    const { client, server, store } = await portkey({ onCreate: 'drop', onList: 'answer' });
    const outcome = await createWorkspaceOnce(client, { name: 'Data Science' }, log);
    expect(outcome).toEqual({ ok: true, value: store[0], recovered: true });
    const query = { exact_name: 'Data Science', current_page: '0', page_size: '100' };
    expect(server.seen.map((s) => [s.method, s.query])).toEqual([
      ['GET', query],
      ['POST', {}],
      ['GET', query],
    ]);
  });

  it('finds it after a 500 too', async () => {
    const { client, store } = await portkey({ onCreate: 500, onList: 'answer' });
    expect(await createWorkspaceOnce(client, { name: 'Data Science' }, log)).toEqual({ ok: true, value: store[0], recovered: true });
  });

  it('does not take an older workspace of the same name, or one with another slug, for ours', async () => {
    const old: Workspace = { ...WS, id: 'old', slug: 'ws-old', created_at: '2020-01-01T00:00:00.000Z' };
    const { client } = await portkey({ onCreate: 'drop', onList: 'answer', existing: [old] });
    const outcome = await createWorkspaceOnce(client, { name: 'Data Science', slug: 'ds-new' }, log);
    expect(outcome).toEqual({ ok: true, value: expect.objectContaining({ slug: 'ds-new', id: 'id-2' }), recovered: true });

    // Nothing was created this time: a recent one with another slug and an old one are both someone else's.
    const recent: Workspace = { ...WS, id: 'someone-else', slug: 'ws-other', created_at: new Date().toISOString() };
    const other = await portkey({ onCreate: 'lost', onList: 'answer', existing: [old], appearing: [recent] });
    const notOurs = await createWorkspaceOnce(other.client, { name: 'Data Science', slug: 'ds-new' }, log);
    expect(notOurs.ok).toBe(false);
    if (!notOurs.ok) expect(notOurs.unknown).toBe(false);
    expect(other.server.seen.map((s) => s.method)).toEqual(['GET', 'POST', 'GET']);
  });

  // Portkey's timestamps are whole seconds: one made a moment before we asked can read as new as ours. What bore
  // the name before the create was sent is never credited (it was, before the look-up ahead of the create).
  it('a same-named workspace stamped this very second that was there before we asked is never credited', async () => {
    const thisSecond = new Date(Math.floor(Date.now() / 1000) * 1000).toISOString();
    const theirs: Workspace = { ...WS, id: 'theirs', slug: 'ws-data-cccccc', created_at: thisSecond };
    const { client } = await portkey({ onCreate: 'lost', onList: 'answer', existing: [theirs] });
    expect(await createWorkspaceOnce(client, { name: 'Data Science' }, log)).toMatchObject({ ok: false, unknown: false });
  });

  it('Portkey cannot be asked before the create → nothing is sent, a plain failure', async () => {
    const { client, server } = await portkey({ onCreate: 'answer', onList: 'down' });
    expect(await createWorkspaceOnce(client, { name: 'Data Science' }, log)).toMatchObject({ ok: false, unknown: false });
    expect(server.seen.filter((s) => s.method === 'POST')).toEqual([]);
  });

  it("a same-named workspace made a minute before we asked is someone else's: only ours is credited", async () => {
    const earlier: Workspace = { ...WS, id: 'earlier', slug: 'ws-data-aaaaaa', created_at: new Date(Date.now() - 60_000).toISOString() };
    const { client, store } = await portkey({ onCreate: 'drop', onList: 'answer', existing: [earlier] });
    const outcome = await createWorkspaceOnce(client, { name: 'Data Science' }, log);
    expect(outcome).toEqual({ ok: true, value: store[1], recovered: true });
  });

  // Issue 10 §1: never credit a workspace someone else created.
  it('two workspaces that fit made during this attempt: neither is credited, the outcome is unknown', async () => {
    const twin: Workspace = { ...WS, id: 'twin', slug: 'ws-data-bbbbbb', created_at: new Date().toISOString() };
    const { client } = await portkey({ onCreate: 'drop', onList: 'answer', appearing: [twin] });
    const outcome = await createWorkspaceOnce(client, { name: 'Data Science' }, log);
    expect(outcome).toMatchObject({ ok: false, unknown: true });
  });

  it('a recent same-named workspace whose description or metadata differ from what we sent is not ours', async () => {
    const theirs: Workspace & Record<string, unknown> = {
      ...WS,
      id: 'theirs',
      description: 'Mallory sandbox',
      defaults: { metadata: { team: 'mallory' }, is_default: 0, object: 'workspace' },
      created_at: new Date().toISOString(),
    };
    const { client } = await portkey({ onCreate: 'lost', onList: 'answer', appearing: [theirs] });
    const sent = { name: 'Data Science', description: 'Data team', defaults: { metadata: { team: 'data' } } };
    expect(await createWorkspaceOnce(client, sent, log)).toMatchObject({ ok: false, unknown: false });
    const same = await portkey({ onCreate: 'lost', onList: 'answer', appearing: [{ ...theirs, description: 'Data team' }] });
    expect(await createWorkspaceOnce(same.client, sent, log)).toMatchObject({ ok: false, unknown: false });
  });

  it('one that fits but was made 5 s before we asked (someone else’s, or ours through a slow clock): could not tell', async () => {
    const justBefore: Workspace = {
      ...WS,
      id: 'just-before',
      created_at: new Date(Date.now() - 5000 + 7).toISOString().replace(/\.\d+Z$/, '.123Z'),
    };
    const { client } = await portkey({ onCreate: 'lost', onList: 'answer', appearing: [justBefore] });
    expect(await createWorkspaceOnce(client, { name: 'Data Science' }, log)).toMatchObject({ ok: false, unknown: true, ambiguous: true });
  });

  it('a workspace without created_at is never credited', async () => {
    const undated: Workspace = { ...WS, id: 'undated', created_at: null };
    const { client } = await portkey({ onCreate: 'lost', onList: 'answer', appearing: [undated] });
    expect(await createWorkspaceOnce(client, { name: 'Data Science' }, log)).toMatchObject({ ok: false, unknown: false });
  });

  it('does not look anything up after a 400', async () => {
    const { client, server } = await portkey({ onCreate: 400, onList: 'answer' });
    const outcome = await createWorkspaceOnce(client, { name: 'Data Science' }, log);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.unknown).toBe(false);
    expect(outcome.error).toBeInstanceOf(PortkeyError);
    expect(outcome.error instanceof PortkeyError && [outcome.error.status, outcome.error.code]).toEqual([400, 'AB01']);
    expect(server.seen.map((s) => s.method)).toEqual(['GET', 'POST']);
  });

  it('says the outcome is unknown when both the create and the lookup fail', async () => {
    const { client, server } = await portkey({ onCreate: 'drop', onList: 'drop' });
    const outcome = await createWorkspaceOnce(client, { name: 'Data Science' }, log);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.unknown).toBe(true);
    // The error reported is the create's, not the lookup's.
    expect(outcome.error instanceof PortkeyError && outcome.error.kind).toBe('network');
    expect(server.seen.filter((s) => s.method === 'POST')).toHaveLength(1);
    expect(server.seen.filter((s) => s.method === 'GET').length).toBeGreaterThanOrEqual(2);
  });

  it('reports not created (not unknown) when the lookup answers and the workspace is not there', async () => {
    const { client } = await portkey({ onCreate: 'lost', onList: 'answer' });
    const outcome = await createWorkspaceOnce(client, { name: 'Data Science' }, log);
    expect(outcome.ok).toBe(false);
    if (outcome.ok) return;
    expect(outcome.unknown).toBe(false);
    expect(outcome.error instanceof PortkeyError && outcome.error.kind).toBe('network');
  });
});
