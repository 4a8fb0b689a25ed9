import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakePortkey, type FakePortkey } from './fake-portkey.js';

// The fake Portkey's users, invites and workspace members: the spec's shapes, its validation (400 AB01 on a body or
// query the official schema refuses), and the behaviour chosen where the docs say nothing (fake-portkey-members.ts).

let pk: FakePortkey;
beforeAll(async () => {
  pk = await startFakePortkey();
});
afterAll(async () => {
  await pk.close();
});
beforeEach(() => pk.reset());

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(`${pk.baseUrl}${path}`, {
    method,
    headers: { 'x-portkey-api-key': pk.adminKey, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    body: body === undefined ? null : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}
const code = (r: { body: Record<string, unknown> }) => (r.body.data as { errorCode?: string } | undefined)?.errorCode;

describe('fake Portkey: members', () => {
  it('finds users by email, case-insensitively, and pages 0-based with the spec’s camelCase names', async () => {
    const u = pk.members.seedUser({ email: 'Alice@Acme.test' });
    pk.members.seedUser({ email: 'bob@acme.test' });
    const r = await call('GET', '/admin/users?email=alice%40acme.test&pageSize=10&currentPage=0');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ object: 'list', total: 1, data: [{ object: 'user', id: u.id, email: 'Alice@Acme.test' }] });
    expect(code(await call('GET', '/admin/users?page_size=10'))).toBe('AB01');
  });

  it('adds members with a role from the spec’s enum; someone already in is 409 AB07, nothing changed', async () => {
    const ws = pk.seedWorkspace({ name: 'R' });
    const a = pk.members.seedUser({ email: 'a@x.test' });
    const b = pk.members.seedUser({ email: 'b@x.test' });
    expect(code(await call('POST', `/admin/workspaces/${ws.id}/users`, { users: [{ id: a.id, role: 'owner' }] }))).toBe('AB01');
    expect((await call('POST', `/admin/workspaces/${ws.id}/users`, { users: [{ id: a.id, role: 'member' }] })).status).toBe(200);
    const again = await call('POST', `/admin/workspaces/${ws.slug}/users`, {
      users: [
        { id: b.id, role: 'admin' },
        { id: a.id, role: 'admin' },
      ],
    });
    expect([again.status, code(again)]).toEqual([409, 'AB07']);
    expect([...(pk.members.memberships.get(ws.id) ?? [])]).toEqual([[a.id, 'member']]);
    const list = await call('GET', `/admin/workspaces/${ws.id}/users?current_page=0&page_size=50`);
    expect(list.body).toMatchObject({ total: 1, data: [{ object: 'workspace-user', id: a.id, email: 'a@x.test', role: 'member' }] });
    expect(code(await call('GET', '/admin/workspaces/nope/users'))).toBe('AB03');
    // The spec types these page parameters as `number` (not `integer`): a number spelled in the query passes, text doesn't.
    expect(code(await call('GET', `/admin/workspaces/${ws.id}/users?current_page=first`))).toBe('AB01');
    expect(code(await call('GET', `/admin/workspaces/${ws.id}/users?currentPage=0`))).toBe('AB01');
    expect(code(await call('POST', `/admin/workspaces/${ws.id}/users`, { users: [{ id: 'not-a-user', role: 'member' }] }))).toBe('AB01');
  });

  it('invites with CreateInvite; an organisation user or a pending invite for the email is 409 AB07', async () => {
    const ws = pk.seedWorkspace({ name: 'R' });
    pk.members.seedUser({ email: 'a@x.test' });
    const body = (email: string) => ({ email, role: 'member', workspaces: [{ id: ws.id, role: 'manager' }] });
    expect(code(await call('POST', '/admin/users/invites', { email: 'c@x.test', workspaces: [] }))).toBe('AB01');
    const ok = await call('POST', '/admin/users/invites', body('c@x.test'));
    expect(ok.status).toBe(200);
    expect(ok.body).toEqual({ id: expect.any(String), invite_link: expect.stringMatching(/^https:/) });
    expect(code(await call('POST', '/admin/users/invites', body('C@x.test')))).toBe('AB07');
    expect(code(await call('POST', '/admin/users/invites', body('a@x.test')))).toBe('AB07');
    const list = await call('GET', '/admin/users/invites?email=c%40x.test&status=pending');
    expect(list.body).toMatchObject({ total: 1, data: [{ email: 'c@x.test', workspaces: [{ workspace_id: ws.id, role: 'manager' }] }] });
    expect(code(await call('GET', '/admin/users/invites?status=bogus'))).toBe('AB01');
  });
});
