import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createLog } from '../../src/log.js';
import { budgetMs } from '../../src/portkey/budget.js';
import { PortkeyClient } from '../../src/portkey/client.js';
import { describePortkeyError, PortkeyError } from '../../src/portkey/errors.js';
import { createIntegrationOnce } from '../../src/resources/integration/create.js';
import { createWorkspaceOnce } from '../../src/resources/workspace/create.js';

// One deadline per create and per list (src/portkey/budget.ts): retries, their waits and the calls after a create
// share it, so per-call timeouts can't add up. Asserted by what reached the server, not by the clock. And each
// network failure is told as what it is.

const log = createLog('silent');
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

interface Seen {
  method: string;
  path: string;
}

/** A server on 127.0.0.1; `answer` returns false to leave the request hanging. */
async function serve(
  answer: (req: IncomingMessage, res: ServerResponse, n: number) => boolean,
): Promise<{ baseUrl: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      seen.push({ method: req.method ?? '', path: new URL(req.url ?? '/', 'http://x').pathname });
      answer(req, res, seen.length);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, seen };
}

const hang = () => false;

/** An empty page of a list. */
function list(res: ServerResponse): boolean {
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ total: 0, data: [] }));
  return true;
}

function status(res: ServerResponse, code: number, headers: Record<string, string> = {}): boolean {
  res.writeHead(code, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ success: false, data: { message: 'busy', errorCode: 'AB04' } }));
  return true;
}

/** The real sleep unless `instant` (then a retry's wait costs no time, so a loaded machine can't eat the budget). */
function clientOf(baseUrl: string, timeoutMs = 1000, instant = false): PortkeyClient {
  const client = new PortkeyClient({ baseUrl, apiKey: 'pk-test', timeoutMs, ...(instant ? { sleep: async () => undefined } : {}) });
  cleanups.push(() => client.close());
  return client;
}

async function failure(p: Promise<unknown>): Promise<PortkeyError> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof PortkeyError)) throw new Error(`expected a PortkeyError, got ${String(err)}`);
  return err;
}

describe('budgets', () => {
  it('a create may take twice PORTKEY_TIMEOUT_MS, a list once', () => {
    expect(budgetMs('create', 10_000)).toBe(20_000);
    expect(budgetMs('list', 10_000)).toBe(10_000);
  });
});

describe('a list under its deadline', () => {
  it('Portkey hangs: one attempt, not four — the list fails after one timeout', async () => {
    const server = await serve(hang);
    const err = await failure(clientOf(server.baseUrl).budgeted('list').listWorkspaces());
    expect(err.kind).toBe('timeout');
    expect(err.unsent).toBe(false);
    expect(server.seen).toEqual([{ method: 'GET', path: '/v1/admin/workspaces' }]);
  });

  it('fast failures are still retried inside it: two 503s, then a hang, is three attempts', async () => {
    const server = await serve((_req, res, n) => (n <= 2 ? status(res, 503) : false));
    const err = await failure(clientOf(server.baseUrl, 2000, true).budgeted('list').listWorkspaces());
    expect(err.kind).toBe('timeout');
    expect(server.seen).toHaveLength(3);
  });

  it('a Retry-After longer than what is left is not waited out: the 429 is the answer', async () => {
    const server = await serve((_req, res) => status(res, 429, { 'retry-after': '5' }));
    const err = await failure(clientOf(server.baseUrl).budgeted('list').listIntegrations());
    expect(err).toMatchObject({ kind: 'api', status: 429, retryAfterSeconds: 5 });
    expect(server.seen).toHaveLength(1);
  });

  it('without a budget (an options load gives its own timeout) the client retries as before', async () => {
    const server = await serve((_req, res, n) => (n <= 3 ? status(res, 503) : status(res, 200)));
    await failure(clientOf(server.baseUrl).listWorkspaces({}, { retries: 2 }));
    expect(server.seen).toHaveLength(3);
  });

  it('once the deadline has passed, a call fails at once and never reaches Portkey', async () => {
    const server = await serve(hang);
    const client = clientOf(server.baseUrl).budgeted('list');
    await failure(client.listWorkspaces());
    const err = await failure(client.getIntegration('late'));
    expect(err).toMatchObject({ kind: 'timeout', unsent: true });
    expect(err.outcomeUnknown).toBe(false);
    expect(server.seen.map((s) => s.path)).toEqual(['/v1/admin/workspaces']);
  });
});

describe('a create under its deadline', () => {
  it('workspace: the create hangs and so does the lookup — one create, one lookup, then "we couldn\'t tell"', async () => {
    // The look-up before the create answers (nothing bears the name); everything after it hangs.
    const server = await serve((_req, res, n) => n === 1 && list(res));
    const outcome = await createWorkspaceOnce(clientOf(server.baseUrl).budgeted('create'), { name: 'Hung' }, log);
    expect(outcome).toMatchObject({ ok: false, unknown: true });
    expect(server.seen).toEqual([
      { method: 'GET', path: '/v1/admin/workspaces' },
      { method: 'POST', path: '/v1/admin/workspaces' },
      { method: 'GET', path: '/v1/admin/workspaces' },
    ]);
  });

  it('integration: the create hangs, the lookup gets 503s then hangs — it all ends inside the one budget', async () => {
    // The look-up before the create finds the slug free; then the POST hangs, two 503s, a hang.
    const server = await serve((req, res, n) => (n === 1 ? status(res, 404) : req.method === 'GET' && n <= 4 ? status(res, 503) : false));
    const outcome = await createIntegrationOnce(
      clientOf(server.baseUrl, 2000, true).budgeted('create'),
      { name: 'Hung', slug: 'hung', ai_provider_id: 'openai', key: 'sk-hung-0123456789' },
      log,
    );
    expect(outcome).toMatchObject({ ok: false, unknown: true });
    // POST (2 s), two quick 503s, then one lookup that hangs until the 4 s budget is spent: no sixth attempt.
    expect(server.seen.map((s) => s.method)).toEqual(['GET', 'POST', 'GET', 'GET', 'GET']);
  });
});

describe('network failures, each told as what it is', () => {
  async function freePort(): Promise<number> {
    const s = createServer();
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const { port } = s.address() as AddressInfo;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return port;
  }

  it('DNS: the host does not resolve — unsent, so nothing was created, and no lookup is needed', async () => {
    const err = await failure(clientOf('http://portkey.invalid/v1').createWorkspace({ name: 'x' }));
    expect(err).toMatchObject({ kind: 'network', network: 'dns', unsent: true });
    expect(err.outcomeUnknown).toBe(false);
    expect(describePortkeyError(err, 'workspace')).toBe(
      "This app couldn't look up Portkey's address (a DNS failure). Nothing was sent to Portkey. Try again in a minute; if it keeps happening, ask this app's admin to check PORTKEY_BASE_URL and the DNS.",
    );
  });

  it('refused: nothing listens there', async () => {
    const err = await failure(clientOf(`http://127.0.0.1:${await freePort()}/v1`).createWorkspace({ name: 'x' }));
    expect(err).toMatchObject({ kind: 'network', network: 'refused', unsent: true });
    expect(describePortkeyError(err, 'workspace')).toBe(
      "Portkey's address refused the connection. Nothing was sent to Portkey. Try again in a minute; if it keeps happening, ask this app's admin to check PORTKEY_BASE_URL.",
    );
  });

  it('TLS: https to a server that does not speak it', async () => {
    const server = await serve((_req, res) => status(res, 200));
    const err = await failure(clientOf(server.baseUrl.replace('http:', 'https:')).createWorkspace({ name: 'x' }));
    expect(err).toMatchObject({ kind: 'network', network: 'tls', unsent: true });
    expect(server.seen).toEqual([]);
    expect(describePortkeyError(err, 'workspace')).toBe(
      "The secure (TLS) connection to Portkey failed, for example over a certificate. Nothing was sent to Portkey. Ask this app's admin to check PORTKEY_BASE_URL and any proxy in between.",
    );
  });

  it('reset: the connection is closed after the request was sent — Portkey may have it', async () => {
    const server = await serve((req) => {
      req.socket.destroy();
      return true;
    });
    const err = await failure(clientOf(server.baseUrl).createWorkspace({ name: 'x' }));
    expect(err).toMatchObject({ kind: 'network', network: 'reset', unsent: false });
    expect(err.outcomeUnknown).toBe(true);
    expect(describePortkeyError(err, 'workspace')).toBe(
      'The connection to Portkey broke before it answered. Nothing was created. Try again in a minute; if it keeps happening, check that Portkey is reachable from this app.',
    );
  });

  it('timeout: Portkey took the request and did not answer in time — Portkey may have it', async () => {
    const server = await serve(hang);
    const err = await failure(clientOf(server.baseUrl).createWorkspace({ name: 'x' }));
    expect(err).toMatchObject({ kind: 'timeout', unsent: false });
    expect(err.outcomeUnknown).toBe(true);
    expect(describePortkeyError(err, 'list', { nothingCreated: false })).toBe(
      "Portkey didn't answer in time. Try again in a minute; if it keeps happening, check that Portkey is reachable from this app.",
    );
  });
});
