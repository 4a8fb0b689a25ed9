import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLog } from '../../src/log.js';
import { createIntegrationOnce, getIfExists, grantWorkspaceAccess, maskFits } from '../../src/resources/integration/create.js';
import { PortkeyClient } from '../../src/portkey/client.js';
import { PortkeyError } from '../../src/portkey/errors.js';
import type { CreateIntegrationBody } from '../../src/portkey/schemas.js';

// ---------------------------------------------------------------------------------------------------------------
// A tiny Portkey: each test sets `route`, every request is recorded.

interface Seen {
  method: string;
  path: string;
  body: unknown;
  headers: IncomingMessage['headers'];
}
type Reply = { status: number; body?: unknown } | 'hang';
type Route = (req: Seen) => Reply;

let server: Server;
let portkey: PortkeyClient;
let seen: Seen[] = [];
let route: Route = () => ({ status: 500 });
const log = createLog('silent');

const NOT_FOUND: Reply = { status: 404, body: { success: false, data: { message: 'Resource not found', errorCode: 'AB08' } } };
const CONFLICT: Reply = { status: 409, body: { success: false, data: { message: 'Resource already exists', errorCode: 'AB07' } } };

function handle(req: IncomingMessage, res: ServerResponse): void {
  let raw = '';
  req.setEncoding('utf8');
  req.on('data', (chunk: string) => (raw += chunk));
  req.on('end', () => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const entry: Seen = {
      method: req.method ?? '',
      path: url.pathname,
      body: raw ? (JSON.parse(raw) as unknown) : undefined,
      headers: req.headers,
    };
    seen.push(entry);
    const reply = route(entry);
    if (reply === 'hang') return; // never answer: the client times out
    res.writeHead(reply.status, { 'content-type': 'application/json' });
    res.end(reply.body === undefined ? '' : JSON.stringify(reply.body));
  });
}

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  portkey = new PortkeyClient({ baseUrl, apiKey: 'k', timeoutMs: 1000, sleep: async () => {} });
});

afterAll(async () => {
  await portkey.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  seen = [];
  route = () => ({ status: 500 });
});

const BODY: CreateIntegrationBody = {
  name: 'OpenAI production',
  slug: 'openai-production',
  ai_provider_id: 'openai',
  key: 'sk-secret-0123456789',
  configurations: { openai_organization: 'org-1' },
};

const integration = (p: Record<string, unknown> = {}) => ({
  id: '2f3c0b1e-aaaa-bbbb-cccc-1234567890ab',
  slug: BODY.slug,
  name: BODY.name,
  ai_provider_id: BODY.ai_provider_id,
  status: 'active',
  created_at: new Date().toISOString(),
  type: 'organisation',
  workspace_id: null,
  ...p,
});

const posts = () => seen.filter((s) => s.method === 'POST');
const gets = () => seen.filter((s) => s.method === 'GET').map((s) => s.path);
/** Portkey holds nothing under the slug until the create arrives: the look-up before it finds nothing. */
const fresh =
  (r: Route): Route =>
  (req) =>
    req.method === 'GET' && posts().length === 0 ? NOT_FOUND : r(req);
const SLUG_PATH = '/integrations/openai-production';

// ---------------------------------------------------------------------------------------------------------------

describe('createIntegrationOnce', () => {
  it('success: one POST with the body as given', async () => {
    route = (r) =>
      r.method === 'POST' && r.path === '/integrations' ? { status: 200, body: { id: 'id-1', slug: 'openai-production' } } : NOT_FOUND;
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(out).toEqual({ ok: true, value: { id: 'id-1', slug: 'openai-production' }, recovered: false });
    expect(posts()).toHaveLength(1);
    expect(posts()[0]?.body).toEqual(BODY);
    expect(posts()[0]?.headers['x-portkey-api-key']).toBe('k');
    // Only the look-up before the create: whether something already holds the slug.
    expect(gets()).toEqual([SLUG_PATH]);
  });

  // Issue 10 §1: Mallory's create of Alice's name, slug and provider must never be taken for her own.
  it('a 409 is never success, even when the slug holds the same name and provider created just now → slugTaken', async () => {
    route = (r) => {
      if (r.method === 'POST') return CONFLICT;
      if (r.path === '/integrations/openai-production') return { status: 200, body: integration() };
      return NOT_FOUND;
    };
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.unknown).toBe(false);
    expect('slugTaken' in out ? out.slugTaken : undefined).toEqual({ slug: 'openai-production', suggestion: 'openai-production-2' });
    expect(out.error).toBeInstanceOf(PortkeyError);
    // The taken slug is looked up once, before the create; after the 409 only the suggestion is probed.
    expect(gets()).toEqual([SLUG_PATH, '/integrations/openai-production-2']);
    expect(posts()).toHaveLength(1);
  });

  it('409 and <slug>-2 taken too → one random suffix is probed and suggested; at most 4 calls in all', async () => {
    const taken = new Set(['/integrations/openai-production', '/integrations/openai-production-2']);
    route = (r) => {
      if (r.method === 'POST') return CONFLICT;
      if (taken.has(r.path)) return { status: 200, body: integration({ created_at: '2024-01-01T00:00:00.000Z' }) };
      return NOT_FOUND;
    };
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(out.ok).toBe(false);
    const suggestion = !out.ok && 'slugTaken' in out ? out.slugTaken.suggestion : undefined;
    expect(suggestion).toMatch(/^openai-production-[0-9a-f]{4}$/);
    expect(gets()).toEqual([SLUG_PATH, '/integrations/openai-production-2', `/integrations/${String(suggestion)}`]);
    expect(seen).toHaveLength(4);
  });

  it('timeout, then GET finds it → recovered, and exactly one POST', async () => {
    route = fresh((r) => (r.method === 'POST' ? 'hang' : { status: 200, body: integration() }));
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(out).toEqual({ ok: true, value: { id: '2f3c0b1e-aaaa-bbbb-cccc-1234567890ab', slug: 'openai-production' }, recovered: true });
    expect(posts()).toHaveLength(1);
    expect(gets()).toEqual([SLUG_PATH, SLUG_PATH]);
  });

  it('timeout, then GET 404 → not created (unknown false), nothing re-sent', async () => {
    route = (r) => (r.method === 'POST' ? 'hang' : NOT_FOUND);
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.unknown).toBe(false);
    expect('slugTaken' in out).toBe(false);
    expect(out.error).toBeInstanceOf(PortkeyError);
    expect(out.error instanceof PortkeyError ? out.error.kind : undefined).toBe('timeout');
    expect(posts()).toHaveLength(1);
  });

  it('timeout, then the lookup fails too → unknown true', async () => {
    route = fresh((r) => (r.method === 'POST' ? 'hang' : { status: 503, body: { message: 'down' } }));
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.unknown).toBe(true);
    expect(posts()).toHaveLength(1);
    // The GET is retried (idempotent); the POST never is.
    expect(gets().length).toBeGreaterThan(2);
  });

  it('a 5xx answer to the POST is also checked by slug', async () => {
    route = fresh((r) => (r.method === 'POST' ? { status: 502, body: { message: 'bad gateway' } } : { status: 200, body: integration() }));
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(out).toMatchObject({ ok: true, recovered: true });
    expect(posts()).toHaveLength(1);
  });

  it('a timeout and then an integration of someone else under the slug → slugTaken, not recovered', async () => {
    route = (r) => {
      if (r.method === 'POST') return 'hang';
      if (r.path === '/integrations/openai-production') return { status: 200, body: integration({ name: 'Other' }) };
      return NOT_FOUND;
    };
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(!out.ok && 'slugTaken' in out ? out.slugTaken.suggestion : undefined).toBe('openai-production-2');
  });

  // After a lost answer, name and provider alone never credit an integration: every other sign must fit too.
  it.each([
    ['created before this attempt (beyond the clock skew)', { created_at: new Date(Date.now() - 60_000).toISOString() }],
    ['without a created_at', { created_at: null }],
    ['a masked key that is not the mask of the key we sent', { masked_key: 'jun****' }],
    ['a secret reference we did not send', { secret_mappings: [{ target_field: 'key', secret_reference_id: 'ref-prod' }] }],
    ['scoped to a workspace we did not name', { workspace_id: '6e5a9f93-ae3a-46b4-a87d-2464d373ef7e', type: 'workspace' }],
    ['another non-secret setting', { configurations: { openai_organization: 'org-mallory' } }],
    ['another description', { description: 'Alice’s production key' }],
  ])('a lost answer and an integration %s under the slug → slugTaken, not recovered', async (_what, diff) => {
    route = fresh((r) => {
      if (r.method === 'POST') return 'hang';
      if (r.path === '/integrations/openai-production') return { status: 200, body: integration(diff) };
      return NOT_FOUND;
    });
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(out.ok).toBe(false);
    expect(!out.ok && 'slugTaken' in out ? out.slugTaken.suggestion : undefined).toBe('openai-production-2');
  });

  it('a lost answer and everything Portkey shows fits what we sent (masked key, settings, no references) → recovered', async () => {
    const fits = { masked_key: 'sk-****', description: null, configurations: { openai_organization: 'org-1' }, secret_mappings: [] };
    route = fresh((r) => (r.method === 'POST' ? { status: 503, body: {} } : { status: 200, body: integration(fits) }));
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(out).toMatchObject({ ok: true, recovered: true });
  });

  it('a lost answer and one that fits but was made 5 s before we asked → could not tell: neither credited nor "taken"', async () => {
    route = fresh((r) => {
      if (r.method === 'POST') return 'hang';
      return { status: 200, body: integration({ created_at: new Date(Math.floor(Date.now() / 1000) * 1000 - 5000 + 123).toISOString() }) };
    });
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(out).toMatchObject({ ok: false, unknown: true });
    expect('slugTaken' in out).toBe(false);
    expect(gets()).toEqual([SLUG_PATH, SLUG_PATH]);
  });

  it('a whole-second created_at up to a second before we asked still counts as inside the attempt', async () => {
    route = fresh((r) => {
      if (r.method === 'POST') return { status: 502, body: {} };
      return { status: 200, body: integration({ created_at: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString() }) };
    });
    expect(await createIntegrationOnce(portkey, BODY, log)).toMatchObject({ ok: true, recovered: true });
  });

  // The same second's timestamp can't tell "just before" from "just after": what held the slug before we sent is
  // someone else's, however well it fits (it failed before the look-up ahead of the create).
  it('a lost answer and an integration that held the slug before we sent, fitting and of this second → slugTaken, never ours', async () => {
    const sameSecond = integration({ created_at: new Date(Math.floor(Date.now() / 1000) * 1000).toISOString() });
    route = (r) => (r.method === 'POST' ? { status: 502, body: {} } : r.path === SLUG_PATH ? { status: 200, body: sameSecond } : NOT_FOUND);
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(out.ok).toBe(false);
    expect(!out.ok && 'slugTaken' in out ? out.slugTaken : undefined).toEqual({
      slug: 'openai-production',
      suggestion: 'openai-production-2',
    });
    expect(posts()).toHaveLength(1);
  });

  // The live API may answer an unknown slug 403 AB03 rather than 404 (reference: Terraform's IsNotFound).
  it('the slug look-up before the create answered 403 (unknown slug, or no read scope) → the create is still sent', async () => {
    const forbidden: Reply = { status: 403, body: { success: false, data: { message: 'Not allowed', errorCode: 'AB03' } } };
    route = (r) => (r.method === 'POST' ? { status: 200, body: { id: 'id-1', slug: 'openai-production' } } : forbidden);
    expect(await createIntegrationOnce(portkey, BODY, log)).toEqual({
      ok: true,
      value: { id: 'id-1', slug: 'openai-production' },
      recovered: false,
    });
    expect(seen.map((r) => r.method)).toEqual(['GET', 'POST']);
  });

  it('Portkey cannot be asked before the create → nothing is sent, a plain failure', async () => {
    route = (r) => (r.method === 'GET' ? { status: 503, body: {} } : { status: 200, body: { id: 'id-1', slug: 'openai-production' } });
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(out).toMatchObject({ ok: false, unknown: false });
    expect(posts()).toEqual([]);
  });

  it('an unreadable 2xx answer is looked up the same way', async () => {
    route = fresh((r) => (r.method === 'POST' ? { status: 200, body: { created: true } } : { status: 200, body: integration() }));
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(out).toMatchObject({ ok: true, recovered: true, value: { slug: 'openai-production' } });
    expect(posts()).toHaveLength(1);
  });

  it('a 400 is final: no lookup', async () => {
    route = fresh(() => ({ status: 400, body: { success: false, data: { message: 'Invalid request', errorCode: 'AB01' } } }));
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(out).toMatchObject({ ok: false, unknown: false });
    expect('slugTaken' in out).toBe(false);
    expect(seen.map((r) => r.method)).toEqual(['GET', 'POST']);
  });

  it('a 409 whose free-slug probe fails → slugTaken (nothing was created), no suggestion', async () => {
    route = fresh((r) => (r.method === 'POST' ? CONFLICT : { status: 500, body: {} }));
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(out).toMatchObject({ ok: false, unknown: false });
    expect(!out.ok && 'slugTaken' in out ? out.slugTaken : undefined).toEqual({ slug: 'openai-production', suggestion: undefined });
  });

  it('no free slug among the two probes → slugTaken without a suggestion, and no third probe', async () => {
    route = (r) => (r.method === 'POST' ? CONFLICT : { status: 200, body: integration({ name: 'Taken' }) });
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(!out.ok && 'slugTaken' in out ? out.slugTaken : undefined).toEqual({ slug: 'openai-production', suggestion: undefined });
    expect(gets()).toHaveLength(3);
  });

  it("a lost answer and someone else's integration under the slug costs at most look-up + create + lookup + 2 probes", async () => {
    route = fresh((r) => (r.method === 'POST' ? 'hang' : { status: 200, body: integration({ name: 'Taken' }) }));
    const out = await createIntegrationOnce(portkey, BODY, log);
    expect(!out.ok && 'slugTaken' in out).toBe(true);
    expect(seen).toHaveLength(5);
  });

  it('the secret key is never logged', async () => {
    const lines: string[] = [];
    const spy = createLog('debug', { write: (s: string) => void lines.push(s) });
    route = fresh((r) => (r.method === 'POST' ? 'hang' : { status: 503, body: {} }));
    await createIntegrationOnce(portkey, BODY, spy);
    expect(lines.length).toBeGreaterThan(0);
    expect(lines.join('\n')).not.toContain('sk-secret-0123456789');
  });
});

describe('maskFits', () => {
  it("the visible ends of a masked key must be the key's own", () => {
    expect(maskFits('sk-****', 'sk-secret-0123456789')).toBe(true);
    expect(maskFits('sk-****6789', 'sk-secret-0123456789')).toBe(true);
    expect(maskFits('sk-****6788', 'sk-secret-0123456789')).toBe(false);
    expect(maskFits('jun****', 'sk-secret-0123456789')).toBe(false);
    expect(maskFits('****', 'abc')).toBe(true);
    expect(maskFits('abcdef****ghij', 'abcghij')).toBe(false);
  });
});

describe('getIfExists', () => {
  it('404 → undefined, 200 → the integration, other errors throw', async () => {
    route = () => NOT_FOUND;
    expect(await getIfExists(portkey, 'nope')).toBeUndefined();
    route = () => ({ status: 200, body: integration() });
    expect(await getIfExists(portkey, 'openai-production')).toMatchObject({ slug: 'openai-production' });
    route = () => ({ status: 401, body: { success: false, data: { message: 'bad key', errorCode: 'AB05' } } });
    await expect(getIfExists(portkey, 'x')).rejects.toBeInstanceOf(PortkeyError);
  });

  it('encodes the slug in the path', async () => {
    route = () => NOT_FOUND;
    await getIfExists(portkey, 'a/b c');
    expect(gets()).toEqual(['/integrations/a%2Fb%20c']);
  });
});

describe('grantWorkspaceAccess', () => {
  it('PUTs {workspaces:[{id, enabled:true, create_default_provider:true}]} to /integrations/<slug>/workspaces', async () => {
    route = () => ({ status: 200, body: {} });
    await grantWorkspaceAccess(portkey, 'openai-production', ['ws-a', '6e5a9f93-ae3a-46b4-a87d-2464d373ef7e'], {});
    expect(seen).toHaveLength(1);
    expect(seen[0]?.method).toBe('PUT');
    expect(seen[0]?.path).toBe('/integrations/openai-production/workspaces');
    expect(seen[0]?.body).toEqual({
      workspaces: [
        { id: 'ws-a', enabled: true, create_default_provider: true },
        { id: '6e5a9f93-ae3a-46b4-a87d-2464d373ef7e', enabled: true, create_default_provider: true },
      ],
    });
  });

  it('gives every workspace the same usage_limits and rate_limits item, as the spec shapes them', async () => {
    route = () => ({ status: 200, body: {} });
    const limits = {
      budget: { type: 'cost' as const, amount: 500, alert: 400, reset: 'monthly' as const },
      rate: { unit: 'rph' as const, value: 60 },
    };
    await grantWorkspaceAccess(portkey, 'openai-production', ['ws-a', 'ws-b'], limits);
    const entry = (id: string) => ({
      id,
      enabled: true,
      create_default_provider: true,
      usage_limits: [{ type: 'cost', credit_limit: 500, alert_threshold: 400, periodic_reset: 'monthly' }],
      rate_limits: [{ type: 'requests', unit: 'rph', value: 60 }],
    });
    expect(seen[0]?.body).toEqual({ workspaces: [entry('ws-a'), entry('ws-b')] });
  });

  it('a refusal is thrown to the caller', async () => {
    route = () => ({ status: 403, body: { success: false, data: { message: 'no', errorCode: 'AB03' } } });
    await expect(grantWorkspaceAccess(portkey, 's', ['w'], {})).rejects.toMatchObject({ kind: 'api', status: 403 });
  });
});
