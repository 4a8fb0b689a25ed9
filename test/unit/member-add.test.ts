import { Writable } from 'node:stream';
import { LogLevel, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLog } from '../../src/log.js';
import { PortkeyClient } from '../../src/portkey/client.js';
import { addPeople } from '../../src/resources/member/add.js';
import { memberExecutor } from '../../src/resources/member/executor.js';
import type { StoredMembers } from '../../src/resources/member/stored.js';
import { PeopleError, SlackPeople } from '../../src/slack/people.js';
import type { OperationRecord } from '../../src/store/index.js';
import { startFakePortkey, type FakePortkey, type Workspace } from '../support/fake-portkey.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';

// Adding people against the fake Portkey (real HTTP, bodies checked against the spec) and reading them from the fake
// Slack: the idempotent paths (a workspace of many pages, a race that makes the add 409, a lost answer), the finish
// after a crash, and Slack's refusals (rate limit, Free plan, a slow answer).

const lines: string[] = [];
const log = createLog(
  'debug',
  new Writable({
    write(chunk: Buffer, _e, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  }),
);

let fake: FakePortkey;
let slack: FakeSlack;
let portkey: PortkeyClient;
let ws: Workspace;

beforeAll(async () => {
  fake = await startFakePortkey();
  slack = await startFakeSlack();
  portkey = new PortkeyClient({ baseUrl: fake.baseUrl, apiKey: fake.adminKey, timeoutMs: 2000, sleep: async () => {} });
});
afterAll(async () => {
  await portkey.close();
  await fake.close();
  await slack.close();
});
beforeEach(() => {
  fake.reset();
  slack.reset();
  ws = fake.seedWorkspace({ name: 'Research' });
});

const target = (n: number) => ({ userId: `U${n}`, email: `p${n}@acme.test` });

describe('addPeople', () => {
  it('reads every page of a big workspace before deciding who is already in it', async () => {
    for (let i = 0; i < 230; i++) fake.members.seedMember(ws.id, fake.members.seedUser({ email: `p${i}@acme.test` }).id, 'member');
    const newcomer = fake.members.seedUser({ email: 'p999@acme.test' });
    const r = await addPeople(portkey, { workspaceId: ws.id, role: 'member', targets: [target(5), target(229), target(999)] }, log);
    expect(r).toMatchObject({ ok: true, report: { already: ['U5', 'U229'], added: ['U999'] } });
    expect(fake.requestsTo('GET', `/admin/workspaces/${ws.id}/users`).map((q) => q.query.current_page)).toEqual(['0', '1', '2']);
    expect(fake.requestsTo('POST', `/admin/workspaces/${ws.id}/users`).map((q) => q.body)).toEqual([
      { users: [{ id: newcomer.id, role: 'member' }] },
    ]);
  });

  it('gives each step its own deadline: twenty people on a slow Portkey take longer than one create may, and finish', async () => {
    // 2× a 400 ms timeout is 800 ms for one create; this request's ~60 calls at 50 ms each take longer than that.
    const slow = new PortkeyClient({ baseUrl: fake.baseUrl, apiKey: fake.adminKey, timeoutMs: 400, sleep: async () => {} });
    fake.latencyMs = 50;
    const targets = Array.from({ length: 20 }, (_, i) => target(i));
    const started = Date.now();
    const request: StoredMembers = {
      draft: { users: [], role: 'member' },
      workspace: { id: ws.id, name: ws.name, slug: ws.slug },
      role: 'member',
      people: targets,
    };
    const op = { request, requesterId: 'UREQ', createdAt: Date.now() } as unknown as OperationRecord;
    const outcome = await memberExecutor(slow).execute(op, undefined, log);
    await slow.close();
    expect(Date.now() - started).toBeGreaterThan(800);
    expect(outcome).toMatchObject({ ok: true, result: { report: { invited: targets.map((t) => t.userId) } } });
    expect(fake.members.invites).toHaveLength(20);
  });

  it('a 409 because someone added them meanwhile: what Portkey holds says it is done', async () => {
    const u = fake.members.seedUser({ email: 'p1@acme.test' });
    // They are in the workspace by the time Portkey answers ours with 409 AB07 (the handler ran, the answer is a 409).
    fake.fault({ method: 'POST', path: `/admin/workspaces/${ws.id}/users` }, { afterHandling: true, status: 409 }, 1);
    const r = await addPeople(portkey, { workspaceId: ws.id, role: 'admin', targets: [target(1)] }, log);
    expect(r).toMatchObject({ ok: true, report: { added: ['U1'] } });
    expect(fake.requestsTo('POST', `/admin/workspaces/${ws.id}/users`)).toHaveLength(1);
    expect(fake.members.memberships.get(ws.id)?.get(u.id)).toBe('admin');
    expect(lines.some((l) => l.includes('answer lost, but everyone is in'))).toBe(true);
  });

  it('a lost answer to the add that never landed is a failure that says it wrote, so the retry checks first', async () => {
    fake.members.seedUser({ email: 'p1@acme.test' });
    fake.fault({ method: 'POST', path: `/admin/workspaces/${ws.id}/users` }, { drop: true }, 1);
    const r = await addPeople(portkey, { workspaceId: ws.id, role: 'member', targets: [target(1)] }, log);
    expect(r).toMatchObject({ ok: false, wrote: true, step: 'adding people to the workspace' });
    // Sent once: a POST is never re-sent blindly.
    expect(fake.requestsTo('POST', `/admin/workspaces/${ws.id}/users`)).toHaveLength(1);
  });

  it('an invite pending to other workspaces is reported, not sent again; one to this workspace counts as done', async () => {
    fake.members.seedInvite({ email: 'p1@acme.test', workspaces: [{ workspace_id: 'ws-other', role: 'member' }] });
    fake.members.seedInvite({ email: 'p2@acme.test', workspaces: [{ workspace_id: ws.id, role: 'member' }] });
    const r = await addPeople(portkey, { workspaceId: ws.id, role: 'member', targets: [target(1), target(2)] }, log);
    expect(r).toMatchObject({ ok: true, report: { invitePending: ['U1'], alreadyInvited: ['U2'], invited: [] } });
    expect(fake.requestsTo('POST', '/admin/users/invites')).toHaveLength(0);
  });

  it('a failure while reading sends nothing and says nothing was written', async () => {
    fake.fault({ method: 'GET', path: `/admin/workspaces/${ws.id}/users` }, { status: 403 }, 1);
    const r = await addPeople(portkey, { workspaceId: ws.id, role: 'member', targets: [target(1)] }, log);
    expect(r).toMatchObject({ ok: false, wrote: false });
    expect(fake.requestsTo('POST', /.*/)).toHaveLength(0);
  });
});

describe('the members executor after a crash', () => {
  it('finishes what is left of the request, recognising what was done, as a recovered success', async () => {
    const a = fake.members.seedUser({ email: 'p1@acme.test' });
    fake.members.seedMember(ws.id, a.id, 'member');
    fake.members.seedInvite({ email: 'p2@acme.test', workspaces: [{ workspace_id: ws.id, role: 'member' }] });
    const request: StoredMembers = {
      draft: { users: ['U1', 'U2', 'U3'], role: 'member' },
      workspace: { id: ws.id, name: ws.name, slug: ws.slug },
      role: 'member',
      people: [1, 2, 3].map((n) => ({ userId: `U${n}`, email: `p${n}@acme.test` })),
    };
    const op = { request, requesterId: 'UREQ', createdAt: Date.now() } as unknown as OperationRecord;
    const found = await memberExecutor(portkey).find(op, undefined, log);
    expect(found).toMatchObject({
      ok: true,
      recovered: true,
      id: ws.id,
      result: { report: { already: ['U1'], alreadyInvited: ['U2'], invited: ['U3'], added: [] } },
    });
    expect(fake.members.invites.map((i) => i.email)).toEqual(['p2@acme.test', 'p3@acme.test']);
  });
});

describe('SlackPeople', () => {
  const quick = () =>
    new WebClient(slack.botToken, {
      slackApiUrl: slack.apiUrl,
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      logLevel: LogLevel.ERROR,
    });
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => undefined,
      (e: unknown) => e,
    );

  it('a rate-limited users.info is a PeopleError saying when to try again, at once', async () => {
    slack.rateLimit('users.info', 40);
    const started = Date.now();
    const err = await failure(new SlackPeople(quick(), log).profiles(['UA1'], 'T0001'));
    expect(err).toBeInstanceOf(PeopleError);
    expect((err as PeopleError).forPeople).toBe('Slack is limiting how often the app may look people up. Try again in 40 seconds.');
    expect(Date.now() - started).toBeLessThan(1500);
  });

  it('a Free plan or an unknown group is said on the group field; a slow Slack fails closed by the deadline', async () => {
    slack.setPlan('free');
    expect(((await failure(new SlackPeople(quick(), log).groupMembers('S0X'))) as PeopleError).failure).toBe('plan');
    slack.setPlan('paid');
    expect(((await failure(new SlackPeople(quick(), log).groupMembers('S0NOPE'))) as PeopleError).failure).toBe('unknown_group');
    slack.delay('users.info', 1500, 1);
    const err = await failure(new SlackPeople(quick(), log, 300).profiles(['UA1'], 'T0001'));
    expect((err as PeopleError).failure).toBe('unavailable');
  });

  it('another workspace’s person and a lowercased, trimmed email', async () => {
    slack.setUser('UOUT', { team_id: 'T0OTHER', profile: { email: 'x@other.test' } });
    // is_app_user means the person authorised this app, not that it is an app.
    slack.setUser('UIN', { is_app_user: true, profile: { email: '  Mixed.Case@Acme.TEST ' } });
    const found = await new SlackPeople(quick(), log).profiles(['UOUT', 'UIN'], 'T0001');
    expect(found).toEqual([
      { id: 'UOUT', name: 'Out', problem: 'other_team' },
      { id: 'UIN', name: 'In', email: 'mixed.case@acme.test' },
    ]);
  });
});
