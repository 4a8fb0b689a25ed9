/**
 * The fake Portkey's organisation users, invites and workspace members (issue 13 §3), kept in state. Bodies and query
 * strings are checked against the spec extract (portkey-schema.ts) like every other endpoint of the fake.
 *
 * Behaviour (the spec and docs say the shapes; where they say nothing, the choice is written down here):
 * - GET /admin/users: `email` filters exactly (case-insensitively, as email addresses are compared); `pageSize` and
 *   `currentPage` (camelCase, as the spec names them) page 0-based, like every other Portkey list.
 * - GET /admin/users/invites: filters `email`, `status`, `role`; each invite lists `workspaces[{workspace_id, role}]`
 *   as the spec's example shows (its schema omits them).
 * - POST /admin/users/invites (CreateInvite): an email already in the organisation, or with a pending invite, is 409
 *   AB07 "Resource already exists" (AB07's documented meaning; the exact answer isn't documented). A workspace the
 *   key can't see is 403 AB03, as for every workspace path. Answers `{id, invite_link}` (SuccessInvite).
 * - GET /admin/workspaces/{id}/users: `current_page`/`page_size` (snake_case here, as the spec names them; the spec's
 *   defaults are swapped — current_page 50, page_size 0 — so the fake uses 0 and 50). Items are WorkspaceMember.
 * - POST /admin/workspaces/{id}/users: every id must be an organisation user (else 400 AB01); someone already in the
 *   workspace is 409 AB07 for the whole request (nothing is changed: checked before any change). Answers `{}`.
 */
import { randomUUID } from 'node:crypto';
import { bodyErrors, queryErrors } from './portkey-schema.js';

export interface OrgUser {
  id: string;
  email: string;
  first_name: string;
  last_name: string;
  role: 'owner' | 'admin' | 'member';
  created_at: string;
}

export interface StoredInvite {
  id: string;
  email: string;
  role: 'admin' | 'member';
  status: 'pending' | 'cancelled' | 'accepted' | 'expired';
  workspaces: Array<{ workspace_id: string; role: string }>;
  created_at: string;
}

export interface MemberSeed {
  email: string;
  first_name?: string;
  last_name?: string;
  role?: OrgUser['role'];
  id?: string;
}

/** What the members part needs of the fake around it. */
export interface MembersHost {
  /** The workspace's id, or the fake's 403 AB03 thrown. */
  workspaceId(idOrSlug: string): string;
  /** Throws the fake's error answer (AB code, message). */
  fail(code: string, message: string): never;
}

interface Answer {
  status: number;
  body: unknown;
}

export interface FakeMembers {
  readonly users: OrgUser[];
  readonly invites: StoredInvite[];
  /** Workspace id → user id → workspace role. */
  readonly memberships: Map<string, Map<string, string>>;
  seedUser(seed: MemberSeed): OrgUser;
  seedMember(workspaceId: string, userId: string, role: string): void;
  seedInvite(p: {
    email: string;
    workspaces: Array<{ workspace_id: string; role: string }>;
    status?: StoredInvite['status'];
  }): StoredInvite;
  /** The route, or undefined when the path isn't one of these. */
  route(method: string, segs: readonly string[], query: Record<string, string>, body: unknown): Answer | undefined;
  reset(): void;
}

const now = () => new Date().toISOString();

function page<T>(items: T[], current: string | undefined, size: string | undefined, host: MembersHost): T[] {
  const c = current === undefined || current === '' ? 0 : Number(current);
  const s = size === undefined || size === '' ? 50 : Number(size);
  if (!Number.isInteger(c) || c < 0 || !Number.isInteger(s) || s < 1) host.fail('AB01', 'page parameters must be non-negative integers');
  return items.slice(c * s, c * s + s);
}

export function fakeMembers(host: MembersHost): FakeMembers {
  const users: OrgUser[] = [];
  const invites: StoredInvite[] = [];
  const memberships = new Map<string, Map<string, string>>();

  const check = (errors: string[]) => {
    if (errors.length > 0) host.fail('AB01', `Invalid request: ${errors.join('; ')}`);
  };
  const userByEmail = (email: string) => users.find((u) => u.email.toLowerCase() === email.toLowerCase());
  const membersOf = (workspaceId: string) => {
    const m = memberships.get(workspaceId) ?? new Map<string, string>();
    memberships.set(workspaceId, m);
    return m;
  };

  function listUsers(query: Record<string, string>): Answer {
    check(queryErrors('GET /admin/users', query));
    let items = users.slice();
    if (query.email) items = items.filter((u) => u.email.toLowerCase() === query.email?.toLowerCase());
    if (query.role) items = items.filter((u) => u.role === query.role);
    const data = page(items, query.currentPage, query.pageSize, host).map((u) => ({
      object: 'user',
      ...u,
      last_updated_at: u.created_at,
      workspace_ids: [...memberships].filter(([, m]) => m.has(u.id)).map(([w]) => w),
    }));
    return { status: 200, body: { object: 'list', total: items.length, data } };
  }

  function listInvites(query: Record<string, string>): Answer {
    check(queryErrors('GET /admin/users/invites', query));
    let items = invites.slice();
    if (query.email) items = items.filter((i) => i.email.toLowerCase() === query.email?.toLowerCase());
    if (query.status) items = items.filter((i) => i.status === query.status);
    if (query.role) items = items.filter((i) => i.role === query.role);
    const data = page(items, query.currentPage, query.pageSize, host).map((i) => ({ object: 'invite', ...i, expires_at: i.created_at }));
    return { status: 200, body: { object: 'list', total: items.length, data } };
  }

  function createInvite(body: unknown): Answer {
    check(bodyErrors('POST /admin/users/invites', body));
    const b = body as { email: string; role: 'admin' | 'member'; workspaces: Array<{ id: string; role: string }> };
    const spaces = b.workspaces.map((w) => ({ workspace_id: host.workspaceId(w.id), role: w.role }));
    if (userByEmail(b.email)) host.fail('AB07', 'A user with this email already exists in the organisation');
    if (invites.some((i) => i.status === 'pending' && i.email.toLowerCase() === b.email.toLowerCase())) {
      host.fail('AB07', 'An invite for this email is already pending');
    }
    const invite: StoredInvite = {
      id: randomUUID(),
      email: b.email,
      role: b.role,
      status: 'pending',
      workspaces: spaces,
      created_at: now(),
    };
    invites.push(invite);
    return { status: 200, body: { id: invite.id, invite_link: `https://app.portkey.ai/invite/${invite.id}` } };
  }

  function listMembers(workspaceId: string, query: Record<string, string>): Answer {
    check(queryErrors('GET /admin/workspaces/{workspaceId}/users', query));
    const items = [...membersOf(workspaceId)].flatMap(([userId, role]) => {
      const u = users.find((x) => x.id === userId);
      return u ? [{ u, role }] : [];
    });
    const data = page(items, query.current_page, query.page_size, host).map(({ u, role }) => ({
      object: 'workspace-user',
      id: u.id,
      first_name: u.first_name,
      last_name: u.last_name,
      org_role: u.role,
      role,
      status: 'active',
      workspace_id: workspaceId,
      email: u.email,
      created_at: u.created_at,
      last_updated_at: u.created_at,
    }));
    return { status: 200, body: { object: 'list', total: items.length, data } };
  }

  function addMembers(workspaceId: string, body: unknown): Answer {
    check(bodyErrors('POST /admin/workspaces/{workspaceId}/users', body));
    const list = ((body as { users?: Array<{ id?: string; role?: string }> }).users ?? []).map((x, i) => {
      if (!x.id || !x.role) host.fail('AB01', `users[${i}] needs an id and a role`);
      return { id: x.id, role: x.role };
    });
    if (list.length === 0) host.fail('AB01', 'users must not be empty');
    const members = membersOf(workspaceId);
    for (const x of list) if (!users.some((u) => u.id === x.id)) host.fail('AB01', `user ${x.id} is not in the organisation`);
    for (const x of list) if (members.has(x.id)) host.fail('AB07', `user ${x.id} is already a member of the workspace`);
    for (const x of list) members.set(x.id, x.role);
    return { status: 200, body: {} };
  }

  return {
    users,
    invites,
    memberships,
    seedUser(seed) {
      const [first = 'someone', last = ''] = seed.email.split('@')[0]?.split('.') ?? [];
      const user: OrgUser = {
        id: seed.id ?? randomUUID(),
        email: seed.email,
        first_name: seed.first_name ?? first,
        last_name: seed.last_name ?? last,
        role: seed.role ?? 'member',
        created_at: now(),
      };
      users.push(user);
      return user;
    },
    seedMember(workspaceId, userId, role) {
      membersOf(host.workspaceId(workspaceId)).set(userId, role);
    },
    seedInvite(p) {
      const invite: StoredInvite = {
        id: randomUUID(),
        email: p.email,
        role: 'member',
        status: p.status ?? 'pending',
        workspaces: p.workspaces,
        created_at: now(),
      };
      invites.push(invite);
      return invite;
    },
    route(method, segs, query, body) {
      const [a, b, c, d, e] = segs;
      if (a !== 'admin') return undefined;
      if (b === 'users' && c === undefined && method === 'GET') return listUsers(query);
      if (b === 'users' && c === 'invites' && d === undefined) {
        if (method === 'GET') return listInvites(query);
        if (method === 'POST') return createInvite(body);
      }
      if (b === 'workspaces' && c !== undefined && d === 'users' && e === undefined) {
        const id = host.workspaceId(c);
        if (method === 'GET') return listMembers(id, query);
        if (method === 'POST') return addMembers(id, body);
      }
      return undefined;
    },
    reset() {
      users.length = 0;
      invites.length = 0;
      memberships.clear();
    },
  };
}
