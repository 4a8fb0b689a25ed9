import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { listPage } from '../../src/features/list/listing.js';
import {
  integrationListMessage,
  LIST_MORE_ACTION,
  PAGE_SIZE,
  parsePageRef,
  workspaceListMessage,
  type PageRef,
} from '../../src/features/list/view.js';
import { PortkeyClient } from '../../src/portkey/client.js';
import type { IntegrationListItem, Workspace } from '../../src/portkey/schemas.js';
import { checkMessage } from '../support/view-limits.js';

// ---------------------------------------------------------------------------------------------------------------
// Helpers

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function allObjects(node: unknown): Obj[] {
  if (Array.isArray(node)) return node.flatMap(allObjects);
  if (!isObj(node)) return [];
  return [node, ...Object.values(node).flatMap(allObjects)];
}

function mrkdwn(node: unknown): string[] {
  return allObjects(node).flatMap((o) => (o.type === 'mrkdwn' && typeof o.text === 'string' ? [o.text] : []));
}

function moreButtons(message: unknown): Obj[] {
  return allObjects(message).filter((o) => o.type === 'button' && o.action_id === LIST_MORE_ACTION);
}

function moreRef(message: unknown): PageRef | undefined {
  const [button] = moreButtons(message);
  return parsePageRef(typeof button?.value === 'string' ? button.value : undefined);
}

function expectNoLiveMarkup(texts: string[]): void {
  expect(texts.length).toBeGreaterThan(0);
  for (const t of texts) {
    expect(t).not.toContain('<!channel>');
    expect(t).not.toMatch(/<[!@#]/);
    expect(t).not.toContain('<http');
    expect(t).not.toMatch(/&(?!amp;|lt;|gt;)/);
  }
}

const EVIL = 'Ops <!channel> <@U123> <http://x|y> & `tick`';
const EVIL_ESCAPED = 'Ops &lt;!channel&gt; &lt;@U123&gt; &lt;http://x|y&gt; &amp; `tick`';

const ws = (i: number, name = `Workspace ${i}`): Workspace => ({
  id: `00000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
  slug: `ws-${i}-abc123`,
  name,
});
const integ = (i: number, p: Partial<IntegrationListItem> = {}): IntegrationListItem => ({
  id: `10000000-0000-0000-0000-${String(i).padStart(12, '0')}`,
  slug: `int-${i}`,
  name: `Integration ${i}`,
  ai_provider_id: 'openai',
  type: 'organisation',
  workspace_id: undefined,
  ...p,
});

// ---------------------------------------------------------------------------------------------------------------
// Messages

describe('workspaceListMessage', () => {
  it('passes checkMessage, escapes names, and its "More" button parses back to the next page', () => {
    const items = [ws(1, EVIL), ...Array.from({ length: PAGE_SIZE - 1 }, (_, i) => ws(i + 2))];
    const m = workspaceListMessage({ items, total: 35, filter: 'a<b>&c', page: 1, hasMore: true });
    expect(checkMessage(m)).toEqual([]);
    expectNoLiveMarkup([...mrkdwn(m), m.text]);
    expect(mrkdwn(m).join('\n')).toContain(EVIL_ESCAPED);
    expect(mrkdwn(m).join('\n')).toContain('11–20 of 35');
    expect(moreRef(m)).toEqual({ kind: 'workspaces', filter: 'a<b>&c', page: 2 });
    for (const w of items) expect(JSON.stringify(m)).toContain(w.id);
  });

  it('no "More" button on the last page; an empty list says so', () => {
    expect(moreButtons(workspaceListMessage({ items: [ws(1)], total: 1, filter: '', page: 0, hasMore: false }))).toEqual([]);
    const empty = workspaceListMessage({ items: [], total: 0, filter: 'zzz', page: 0, hasMore: false });
    expect(checkMessage(empty)).toEqual([]);
    expect(mrkdwn(empty).join('\n')).toContain('No workspace matches');
  });

  it('a backtick in a slug cannot end the code span early', () => {
    const m = workspaceListMessage({ items: [{ id: 'i`d', slug: 's`lug', name: 'n' }], total: 1, filter: '', page: 0, hasMore: false });
    const lines = mrkdwn(m).join('\n');
    expect(lines).not.toContain('s`lug');
    expect(lines).not.toContain('i`d');
  });

  // BUG: all lines go into ONE section, clipped to 3000 characters. Long (but valid, ≤255) slugs push the
  // last workspaces of a page past the cut; "More" then jumps to the next page, so they are never shown.
  it('shows every workspace of a full page, even with long slugs', () => {
    const items = Array.from({ length: PAGE_SIZE }, (_, i) => ({ ...ws(i), slug: `ws-${i}-${'s'.repeat(240)}`, name: 'N'.repeat(80) }));
    const m = workspaceListMessage({ items, total: 10, filter: '', page: 0, hasMore: false });
    expect(checkMessage(m)).toEqual([]);
    const json = JSON.stringify(m);
    expect(items.filter((w) => !json.includes(w.id)).map((w) => w.id)).toEqual([]);
  });
});

describe('integrationListMessage', () => {
  it('passes checkMessage, escapes names, shows provider and scope, "More" parses back', () => {
    const items = [
      integ(1, { name: EVIL }),
      integ(2, { ai_provider_id: 'bedrock', type: 'workspace', workspace_id: 'ws-<x>' }),
      integ(3, { ai_provider_id: 'some-new-provider' }),
    ];
    const m = integrationListMessage({ items, filter: '', page: 0, hasMore: true, total: undefined });
    expect(checkMessage(m)).toEqual([]);
    expectNoLiveMarkup([...mrkdwn(m), m.text]);
    const text = mrkdwn(m).join('\n');
    expect(text).toContain('Ops &lt;!channel&gt;');
    expect(text).toContain('AWS Bedrock');
    expect(text).toContain('workspace `ws-&lt;x&gt;`');
    expect(text).toContain('some-new-provider');
    expect(text).toContain('organisation');
    expect(moreRef(m)).toEqual({ kind: 'integrations', filter: '', page: 1 });
  });

  it('a filter with quotes and unicode round-trips through the button', () => {
    const filter = `"quoted" \\ 🚀 ${'x'.repeat(80)}`;
    const m = integrationListMessage({ items: [integ(1)], filter, page: 4, hasMore: true, total: 99 });
    expect(checkMessage(m)).toEqual([]);
    expect(moreRef(m)).toEqual({ kind: 'integrations', filter, page: 5 });
  });

  // BUG: same single-section clipping as the workspace list (integration slugs may be 255 characters).
  it('shows every integration of a full page, even with long names and slugs', () => {
    const items = Array.from({ length: PAGE_SIZE }, (_, i) => integ(i, { name: 'N'.repeat(150), slug: `int-${i}-${'s'.repeat(200)}` }));
    const m = integrationListMessage({ items, filter: '', page: 0, hasMore: false, total: 10 });
    expect(checkMessage(m)).toEqual([]);
    const json = JSON.stringify(m);
    expect(items.filter((i) => !json.includes(i.id)).map((i) => i.id)).toEqual([]);
  });
});

describe('parsePageRef', () => {
  it('accepts what the button carries', () => {
    expect(parsePageRef(JSON.stringify({ kind: 'workspaces', filter: '', page: 0 }))).toEqual({ kind: 'workspaces', filter: '', page: 0 });
    expect(parsePageRef(JSON.stringify({ kind: 'integrations', filter: 'x', page: 1000 }))).toEqual({
      kind: 'integrations',
      filter: 'x',
      page: 1000,
    });
  });

  it.each([
    ['undefined', undefined],
    ['empty', ''],
    ['not JSON', 'page=2'],
    ['JSON null', 'null'],
    ['array', '[1,2]'],
    ['empty object', '{}'],
    ['unknown kind', JSON.stringify({ kind: 'users', filter: '', page: 1 })],
    ['negative page', JSON.stringify({ kind: 'workspaces', filter: '', page: -1 })],
    ['fractional page', JSON.stringify({ kind: 'workspaces', filter: '', page: 1.5 })],
    ['huge page', JSON.stringify({ kind: 'workspaces', filter: '', page: 1001 })],
    ['page as string', JSON.stringify({ kind: 'workspaces', filter: '', page: '2' })],
    ['filter too long', JSON.stringify({ kind: 'workspaces', filter: 'f'.repeat(101), page: 1 })],
    ['filter not a string', JSON.stringify({ kind: 'workspaces', filter: { $ne: 1 }, page: 1 })],
    ['missing filter', JSON.stringify({ kind: 'workspaces', page: 1 })],
    ['page only through __proto__', '{"__proto__":{"page":1},"kind":"workspaces","filter":""}'],
  ])('rejects %s', (_, value) => {
    expect(parsePageRef(value)).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------------------------
// listPage against a tiny Portkey

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
}

let server: Server;
let baseUrl = '';
let seen: Seen[] = [];
let workspaces: Workspace[] = [];
let integrations: IntegrationListItem[] = [];
let reportTotal = true;

function send(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://localhost');
  seen.push({ method: req.method ?? '', path: url.pathname, query: url.searchParams });
  const page = Number(url.searchParams.get('current_page') ?? '0');
  const size = Number(url.searchParams.get('page_size') ?? '50');
  const slice = <T>(all: T[]) => all.slice(page * size, (page + 1) * size);
  if (url.pathname === '/admin/workspaces') {
    const name = url.searchParams.get('name')?.toLowerCase();
    const all = workspaces.filter((w) => !name || (w.name ?? '').toLowerCase().includes(name));
    send(res, 200, { ...(reportTotal ? { total: all.length } : {}), data: slice(all) });
    return;
  }
  if (url.pathname === '/integrations') {
    send(res, 200, { object: 'list', ...(reportTotal ? { total: integrations.length } : {}), data: slice(integrations) });
    return;
  }
  send(res, 404, { success: false, data: { message: 'not found', errorCode: 'AB08' } });
}

let portkey: PortkeyClient;

beforeAll(async () => {
  server = createServer(handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  portkey = new PortkeyClient({ baseUrl, apiKey: 'k', timeoutMs: 1000, sleep: async () => {} });
});

afterAll(async () => {
  await portkey.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

beforeEach(() => {
  seen = [];
  workspaces = [];
  integrations = [];
  reportTotal = true;
});

describe('listPage: workspaces', () => {
  it('passes the name filter and the 0-based page to Portkey', async () => {
    workspaces = [
      ...Array.from({ length: 25 }, (_, i) => ws(i, `Data ${i}`)),
      ...Array.from({ length: 5 }, (_, i) => ws(100 + i, `Other ${i}`)),
    ];
    const m = await listPage(portkey, { kind: 'workspaces', filter: 'data', page: 1 });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.path).toBe('/admin/workspaces');
    expect(seen[0]?.query.get('name')).toBe('data');
    expect(seen[0]?.query.get('current_page')).toBe('1');
    expect(seen[0]?.query.get('page_size')).toBe(String(PAGE_SIZE));
    expect(checkMessage(m)).toEqual([]);
    const text = mrkdwn(m).join('\n');
    expect(text).toContain('Data 10');
    expect(text).toContain('Data 19');
    expect(text).not.toContain('Data 9*');
    expect(text).toContain('11–20 of 25');
    expect(moreRef(m)).toEqual({ kind: 'workspaces', filter: 'data', page: 2 });
  });

  it('no name parameter without a filter; the last page has no "More"', async () => {
    workspaces = Array.from({ length: 20 }, (_, i) => ws(i));
    const m = await listPage(portkey, { kind: 'workspaces', filter: '', page: 1 });
    expect(seen[0]?.query.has('name')).toBe(false);
    expect(seen[0]?.query.get('current_page')).toBe('1');
    expect(moreButtons(m)).toEqual([]);
  });

  it('without a total, a full page means there may be more', async () => {
    reportTotal = false;
    workspaces = Array.from({ length: 10 }, (_, i) => ws(i));
    expect(moreRef(await listPage(portkey, { kind: 'workspaces', filter: '', page: 0 }))).toEqual({
      kind: 'workspaces',
      filter: '',
      page: 1,
    });
    workspaces = Array.from({ length: 9 }, (_, i) => ws(i));
    expect(moreButtons(await listPage(portkey, { kind: 'workspaces', filter: '', page: 0 }))).toEqual([]);
  });
});

describe('listPage: integrations', () => {
  it('without a filter: one request for that page', async () => {
    integrations = Array.from({ length: 23 }, (_, i) => integ(i));
    const m = await listPage(portkey, { kind: 'integrations', filter: '', page: 2 });
    expect(seen).toHaveLength(1);
    expect(seen[0]?.query.get('current_page')).toBe('2');
    expect(seen[0]?.query.get('page_size')).toBe(String(PAGE_SIZE));
    expect(checkMessage(m)).toEqual([]);
    expect(mrkdwn(m).join('\n')).toContain('21–23 of 23');
    expect(moreButtons(m)).toEqual([]);
  });

  it('with a filter: reads pages of 100 and pages locally, matching name, slug, provider id and label', async () => {
    integrations = [
      ...Array.from({ length: 100 }, (_, i) => integ(i, { name: i % 10 === 0 ? `Prod ${i}` : `Dev ${i}` })),
      ...Array.from({ length: 30 }, (_, i) => integ(100 + i, { name: `Misc ${i}`, slug: i < 5 ? `prod-slug-${i}` : `misc-${i}` })),
      integ(500, { name: 'Bedrock thing', ai_provider_id: 'bedrock' }),
    ];
    // 10 names + 5 slugs match "prod"; page 1 (0-based) holds matches 11–15.
    const m = await listPage(portkey, { kind: 'integrations', filter: 'PROD', page: 1 });
    expect(seen.map((s) => [s.query.get('current_page'), s.query.get('page_size')])).toEqual([
      ['0', '100'],
      ['1', '100'],
    ]);
    expect(checkMessage(m)).toEqual([]);
    const text = mrkdwn(m).join('\n');
    expect(text).toContain('11–15 of 15');
    for (let i = 0; i < 5; i++) expect(text).toContain(`prod-slug-${i}`);
    expect(text).not.toContain('Prod 0*');
    expect(moreButtons(m)).toEqual([]);

    seen = [];
    const first = await listPage(portkey, { kind: 'integrations', filter: 'prod', page: 0 });
    expect(moreRef(first)).toEqual({ kind: 'integrations', filter: 'prod', page: 1 });

    const byLabel = await listPage(portkey, { kind: 'integrations', filter: 'aws bedrock', page: 0 });
    expect(mrkdwn(byLabel).join('\n')).toContain('Bedrock thing');
  });

  it('a filter nothing matches says so', async () => {
    integrations = [integ(1)];
    const m = await listPage(portkey, { kind: 'integrations', filter: 'nothing-like-this', page: 0 });
    expect(checkMessage(m)).toEqual([]);
    expect(mrkdwn(m).join('\n')).toContain('No integration matches');
    expect(moreButtons(m)).toEqual([]);
  });
});
