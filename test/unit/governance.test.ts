import { LogLevel, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLog } from '../../src/log.js';
import { Governance, governanceOf, type Requester, type Verdict } from '../../src/operations/governance.js';
import { Directory, DirectoryError } from '../../src/slack/directory.js';
import type { OperationRecord, RateCounters, Store } from '../../src/store/index.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';
import { loadedPolicy } from '../support/policy.js';
import { describeEngines, type Harness } from '../store/harness.js';

// Governance at the handler level: a real store (SQLite, and PostgreSQL when TEST_DATABASE_URL is set), a real
// Directory over a WebClient talking HTTP to the fake Slack, and a clock the test moves. What check() decides and
// stores, the rate-limit windows at their edges, who may decide, who is an admin, and failing closed when Slack
// can't say who is in a group.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const TEAM = 'T0001';

const log = createLog('silent');

let fake: FakeSlack;
let client: WebClient;

beforeAll(async () => {
  fake = await startFakeSlack();
  client = new WebClient('xoxb-test-token', { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 }, logLevel: LogLevel.ERROR });
  fake.setUsergroup('S0INTERNS', ['U0INTERN']);
  fake.setUsergroup('S0PLATFORM', ['U0MEMBER', 'U0MEMBER2']);
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
});

const policy = (yaml: string) => loadedPolicy(yaml, '/etc/policy.yml');

/** The README example, with an admin user too. */
const README = policy(`
approvals_channel: C0APPROVALS
admins:
  users: [U0ADMIN]
  groups: [S0PLATFORM]
rules:
  - name: interns-no-integrations
    action: integration.create
    groups: [S0INTERNS]
    effect: deny
    reason: "Interns can't connect AI providers."
  - name: llm-keys-need-platform
    action: integration.create
    providers: [openai, anthropic]
    effect: require_approval
    approvers:
      groups: [S0PLATFORM]
rate_limits:
  - action: workspace.create
    max: 5
    window: 1h
    per: user
`);

function who(userId: string, channelId: string | undefined = 'C0GENERAL', teamId = TEAM): Requester {
  return { userId, teamId, channelId };
}

const groupCalls = () => fake.callsTo('usergroups.users.list');
const groupsAsked = () => groupCalls().map((c) => c.args.usergroup);

/** A clock the test moves; shared by the Governance and its Directory. */
function clock(start: number) {
  const c = { t: start, now: () => c.t };
  return c;
}

function directory(now: () => number = Date.now, ttlMs = 60_000): Directory {
  return new Directory(client, log, ttlMs, now);
}

let opCounter = 0;

/** Stores a submission the way the service does: the verdict's status, decision and expiry with the operation. */
async function store(
  s: Store,
  verdict: Verdict,
  requesterId: string,
  action: OperationRecord['action'] = 'integration.create',
): Promise<OperationRecord> {
  const { operation } = await s.operations.create({
    idempotencyKey: `${TEAM}:V${++opCounter}`,
    teamId: TEAM,
    action,
    requesterId,
    channelId: 'C0GENERAL',
    request: { name: 'Growth' },
    status: verdict.status,
    governance: verdict.governance,
    ...(verdict.status === 'awaiting_approval' ? { expiresAt: verdict.expiresAt } : {}),
  });
  return operation;
}

async function counters(h: Harness): Promise<Record<string, number>> {
  const rows = await h.rawRows('rate_counters');
  return Object.fromEntries(rows.map((r) => [`${String(r.key)}@${String(r.window_start)}`, Number(r.count)]));
}

// ---------------------------------------------------------------------------------------------------------------

describeEngines('Governance.check', (h) => {
  it('deny: the rule and its reason, no quota taken (even with a limit on every create), nothing else asked of Slack', async () => {
    const p = policy(`
rules:
  - name: interns-no-integrations
    action: integration.create
    groups: [S0INTERNS]
    effect: deny
    reason: "Interns can't connect AI providers."
  - name: needs-approval
    approvers: { groups: [S0PLATFORM] }
    effect: require_approval
rate_limits:
  - action: '*'
    max: 100
    window: 1h
    per: global
`);
    const g = new Governance(p, directory(), h.store.rates, 'C0ENV');
    const verdict = await g.check('integration.create', { providerId: 'openai' }, who('U0INTERN'));
    expect(verdict).toEqual({
      status: 'denied',
      governance: { effect: 'deny', rule: 'interns-no-integrations', reason: "Interns can't connect AI providers.", reservations: [] },
    });
    expect(await counters(h)).toEqual({});
    // Only the groups rules match on are read; the approvers' group is not needed to decide.
    expect(groupsAsked()).toEqual(['S0INTERNS']);
  });

  it('deny by the policy default: no rule, the default reason', async () => {
    const g = new Governance(policy('default: deny'), directory(), h.store.rates, undefined);
    expect(await g.check('workspace.create', {}, who('U0ALICE'))).toEqual({
      status: 'denied',
      governance: { effect: 'deny', rule: null, reason: 'No policy rule allows this, and the policy denies by default.', reservations: [] },
    });
    expect(groupCalls()).toHaveLength(0);
  });

  it('allow: requested, with the quota it took', async () => {
    const c = clock(5 * HOUR + 17 * MINUTE);
    const g = new Governance(README, directory(c.now), h.store.rates, undefined, c.now);
    const verdict = await g.check('workspace.create', {}, who('U0ALICE'));
    const key = `rate:workspace.create:user:5/${HOUR}:${TEAM}:U0ALICE`;
    expect(verdict).toEqual({
      status: 'requested',
      governance: { effect: 'allow', rule: null, reservations: [{ key, windowStart: 5 * HOUR }] },
    });
    expect(await counters(h)).toEqual({ [`${key}@${5 * HOUR}`]: 1 });

    // An integration for a provider no rule names: allowed by the default, and no workspace limit applies to it.
    expect(await g.check('integration.create', { providerId: 'mistral-ai' }, who('U0ALICE'))).toEqual({
      status: 'requested',
      governance: { effect: 'allow', rule: null, reservations: [] },
    });
  });

  it('an allow rule is named in the decision', async () => {
    const p = policy(`
default: deny
rules:
  - name: platform-may
    groups: [S0PLATFORM]
    effect: allow
`);
    const g = new Governance(p, directory(), h.store.rates, undefined);
    expect(await g.check('workspace.create', {}, who('U0MEMBER'))).toEqual({
      status: 'requested',
      governance: { effect: 'allow', rule: 'platform-may', reservations: [] },
    });
    expect((await g.check('workspace.create', {}, who('U0ALICE'))).status).toBe('denied');
  });

  it('require approval: awaiting approval with its expiry, approvers, self-approval and channel, stored as decided', async () => {
    const c = clock(1_700_000_000_000);
    const g = new Governance(README, directory(c.now), h.store.rates, 'C0ENV', c.now);
    const verdict = await g.check('integration.create', { providerId: 'anthropic' }, who('U0ALICE'));
    expect(verdict).toEqual({
      status: 'awaiting_approval',
      expiresAt: c.t + DAY,
      governance: {
        effect: 'require_approval',
        rule: 'llm-keys-need-platform',
        approvers: { users: [], groups: ['S0PLATFORM'] },
        allowSelfApproval: false,
        channel: 'C0APPROVALS',
        reservations: [],
      },
    });
    expect(verdict.governance).not.toHaveProperty('reason');

    const stored = await store(h.store, verdict, 'U0ALICE');
    const again = await h.store.operations.get(stored.id);
    expect(again?.status).toBe('awaiting_approval');
    expect(again?.expiresAt).toBe(c.t + DAY);
    expect(governanceOf(again as OperationRecord)).toEqual(verdict.governance);
  });

  it("require approval with the rule's own reason, expiry, self-approval and approvers", async () => {
    const p = policy(`
rules:
  - name: ws-approval
    action: workspace.create
    effect: require_approval
    reason: Workspaces cost money.
    approvers:
      users: [U0BOSS]
      groups: [S0PLATFORM]
    allow_self_approval: true
    expires_after: 2h
`);
    const c = clock(42 * DAY);
    const g = new Governance(p, directory(c.now), h.store.rates, undefined, c.now);
    expect(await g.check('workspace.create', {}, who('U0ALICE'))).toEqual({
      status: 'awaiting_approval',
      expiresAt: 42 * DAY + 2 * HOUR,
      governance: {
        effect: 'require_approval',
        rule: 'ws-approval',
        reason: 'Workspaces cost money.',
        approvers: { users: ['U0BOSS'], groups: ['S0PLATFORM'] },
        allowSelfApproval: true,
        reservations: [],
      },
    });
  });

  describe("where the approval request goes: the rule's channel, else the policy's, else APPROVALS_CHANNEL", () => {
    const rule = (channel: string) => `
rules:
  - name: approve
    effect: require_approval
    approvers: { users: [U0BOSS] }${channel ? `\n    approvals_channel: ${channel}` : ''}`;
    const cases: Array<{ name: string; yaml: string; env: string | undefined; channel: string | undefined }> = [
      { name: 'rule over policy over env', yaml: `approvals_channel: C0POLICY${rule('C0RULE')}`, env: 'C0ENV', channel: 'C0RULE' },
      { name: 'rule over env', yaml: rule('C0RULE'), env: 'C0ENV', channel: 'C0RULE' },
      { name: 'policy over env', yaml: `approvals_channel: C0POLICY${rule('')}`, env: 'C0ENV', channel: 'C0POLICY' },
      { name: 'env alone', yaml: rule(''), env: 'C0ENV', channel: 'C0ENV' },
      { name: 'none at all', yaml: rule(''), env: undefined, channel: undefined },
    ];
    it.each(cases)('$name', async ({ yaml, env, channel }) => {
      const g = new Governance(policy(yaml), directory(), h.store.rates, env);
      const verdict = await g.check('workspace.create', {}, who('U0ALICE'));
      expect(verdict.status).toBe('awaiting_approval');
      if (channel === undefined) expect(verdict.governance).not.toHaveProperty('channel');
      else expect(verdict.governance.channel).toBe(channel);
      const stored = await store(h.store, verdict, 'U0ALICE', 'workspace.create');
      expect(governanceOf((await h.store.operations.get(stored.id)) as OperationRecord)?.channel).toBe(channel);
    });
  });
});

describeEngines('Governance rate limits', (h) => {
  const TWO_A_MINUTE = policy(`
rate_limits:
  - action: workspace.create
    max: 2
    window: 1m
    per: user
`);
  const aliceKey = `rate:workspace.create:user:2/${MINUTE}:${TEAM}:U0ALICE`;

  it('counts in fixed windows: both edges of a window count in it, the next window starts over', async () => {
    const start = 1000 * MINUTE;
    const c = clock(start);
    const g = new Governance(TWO_A_MINUTE, directory(c.now), h.store.rates, undefined, c.now);

    const first = await g.check('workspace.create', {}, who('U0ALICE'));
    expect(first).toEqual({
      status: 'requested',
      governance: { effect: 'allow', rule: null, reservations: [{ key: aliceKey, windowStart: start }] },
    });

    c.t = start + MINUTE - 1; // the last millisecond of the same window
    const second = await g.check('workspace.create', {}, who('U0ALICE'));
    expect(second.governance.reservations).toEqual([{ key: aliceKey, windowStart: start }]);

    const refused = await g.check('workspace.create', {}, who('U0ALICE'));
    expect(refused).toEqual({
      status: 'denied',
      governance: {
        effect: 'rate_limited',
        rule: null,
        reason: 'The limit is 2 workspaces per person every minute.',
        retryAt: start + MINUTE,
        reservations: [],
      },
    });

    // Counted per person: someone else is not affected, nor is another kind of create.
    expect((await g.check('workspace.create', {}, who('U0BOB'))).status).toBe('requested');
    expect((await g.check('integration.create', { providerId: 'openai' }, who('U0ALICE'))).status).toBe('requested');
    // …and per team: the same user id in another team is another person.
    expect((await g.check('workspace.create', {}, who('U0ALICE', 'C0GENERAL', 'T0OTHER'))).status).toBe('requested');

    c.t = start + MINUTE; // the first millisecond of the next window
    const next = await g.check('workspace.create', {}, who('U0ALICE'));
    expect(next).toEqual({
      status: 'requested',
      governance: { effect: 'allow', rule: null, reservations: [{ key: aliceKey, windowStart: start + MINUTE }] },
    });

    expect(await counters(h)).toMatchObject({ [`${aliceKey}@${start}`]: 2, [`${aliceKey}@${start + MINUTE}`]: 1 });
  });

  it('release gives the quota back: the refused person may create again in the same window', async () => {
    const c = clock(7 * MINUTE + 30_000);
    const g = new Governance(TWO_A_MINUTE, directory(c.now), h.store.rates, undefined, c.now);
    const first = await g.check('workspace.create', {}, who('U0ALICE'));
    await g.check('workspace.create', {}, who('U0ALICE'));
    expect((await g.check('workspace.create', {}, who('U0ALICE'))).status).toBe('denied');

    await g.release(first.governance.reservations);
    expect(await counters(h)).toEqual({ [`${aliceKey}@${7 * MINUTE}`]: 1 });
    c.t += 1000;
    expect((await g.check('workspace.create', {}, who('U0ALICE'))).status).toBe('requested');
    expect((await g.check('workspace.create', {}, who('U0ALICE'))).status).toBe('denied');

    // Releasing nothing changes nothing; releasing a refusal's (empty) reservations too.
    await g.release([]);
    expect(await counters(h)).toEqual({ [`${aliceKey}@${7 * MINUTE}`]: 2 });
  });

  it('a release after the window ended does not give quota in the new window', async () => {
    const c = clock(20 * MINUTE);
    const g = new Governance(TWO_A_MINUTE, directory(c.now), h.store.rates, undefined, c.now);
    const first = await g.check('workspace.create', {}, who('U0ALICE'));
    c.t = 21 * MINUTE;
    await g.check('workspace.create', {}, who('U0ALICE'));
    await g.check('workspace.create', {}, who('U0ALICE'));
    await g.release(first.governance.reservations); // the old window's
    expect((await g.check('workspace.create', {}, who('U0ALICE'))).status).toBe('denied');
  });

  it('an approval request takes quota too (nobody can flood approvers); a denied request takes none', async () => {
    const p = policy(`
rules:
  - name: approve
    action: workspace.create
    effect: require_approval
    approvers: { users: [U0BOSS] }
  - name: no-interns
    groups: [S0INTERNS]
    effect: deny
rate_limits:
  - action: workspace.create
    max: 1
    window: 1h
`);
    const c = clock(3 * HOUR);
    const g = new Governance(p, directory(c.now), h.store.rates, undefined, c.now);
    const key = `rate:workspace.create:user:1/${HOUR}:${TEAM}:U0ALICE`;
    const pending = await g.check('workspace.create', {}, who('U0ALICE'));
    expect(pending.status).toBe('awaiting_approval');
    expect(pending.governance.reservations).toEqual([{ key, windowStart: 3 * HOUR }]);
    // Over the limit: refused, naming the rule that would have applied.
    expect(await g.check('workspace.create', {}, who('U0ALICE'))).toEqual({
      status: 'denied',
      governance: {
        effect: 'rate_limited',
        rule: 'approve',
        reason: 'The limit is 1 workspace per person every hour.',
        retryAt: 4 * HOUR,
        reservations: [],
      },
    });
    expect((await g.check('workspace.create', {}, who('U0INTERN'))).governance.effect).toBe('deny');
    expect(await counters(h)).toEqual({ [`${key}@${3 * HOUR}`]: 1 });
  });

  it("two limits: when the second refuses, the first one's reservation is given back", async () => {
    const p = policy(`
rate_limits:
  - action: workspace.create
    max: 5
    window: 1h
    per: user
  - action: '*'
    max: 1
    window: 10m
    per: team
`);
    const c = clock(2 * HOUR + 12 * MINUTE);
    const g = new Governance(p, directory(c.now), h.store.rates, undefined, c.now);
    const userKey = (u: string) => `rate:workspace.create:user:5/${HOUR}:${TEAM}:${u}`;
    const teamKey = `rate:*:team:1/${10 * MINUTE}:${TEAM}`;

    const alice = await g.check('workspace.create', {}, who('U0ALICE'));
    expect(alice.governance.reservations).toEqual([
      { key: userKey('U0ALICE'), windowStart: 2 * HOUR },
      { key: teamKey, windowStart: 2 * HOUR + 10 * MINUTE },
    ]);

    const bob = await g.check('workspace.create', {}, who('U0BOB'));
    expect(bob).toEqual({
      status: 'denied',
      governance: {
        effect: 'rate_limited',
        rule: null,
        reason: 'The limit is 1 create for the whole team every 10 minutes.',
        retryAt: 2 * HOUR + 20 * MINUTE,
        reservations: [],
      },
    });
    expect(await counters(h)).toEqual({
      [`${userKey('U0ALICE')}@${2 * HOUR}`]: 1,
      [`${userKey('U0BOB')}@${2 * HOUR}`]: 0,
      [`${teamKey}@${2 * HOUR + 10 * MINUTE}`]: 1,
    });

    // The team limit refusing an integration (the only limit it counts against).
    expect((await g.check('integration.create', { providerId: 'openai' }, who('U0BOB'))).governance.effect).toBe('rate_limited');

    // Alice's create failed: both her reservations come back, and Bob gets through.
    await g.release(alice.governance.reservations);
    const retry = await g.check('workspace.create', {}, who('U0BOB'));
    expect(retry.status).toBe('requested');
    expect(await counters(h)).toEqual({
      [`${userKey('U0ALICE')}@${2 * HOUR}`]: 0,
      [`${userKey('U0BOB')}@${2 * HOUR}`]: 1,
      [`${teamKey}@${2 * HOUR + 10 * MINUTE}`]: 1,
    });
  });

  /** One workspace an hour per person, then 100 creates an hour for everybody: a create takes from both, in this order. */
  const ONE_EACH_THEN_GLOBAL = policy(`
rate_limits:
  - action: workspace.create
    max: 1
    window: 1h
  - action: '*'
    max: 100
    window: 1h
    per: global
`);

  it('when the first limit refuses, the second is not touched', async () => {
    const c = clock(HOUR);
    const g = new Governance(ONE_EACH_THEN_GLOBAL, directory(c.now), h.store.rates, undefined, c.now);
    await g.check('workspace.create', {}, who('U0ALICE'));
    expect((await g.check('workspace.create', {}, who('U0ALICE'))).governance.effect).toBe('rate_limited');
    expect(await counters(h)).toEqual({
      [`rate:workspace.create:user:1/${HOUR}:${TEAM}:U0ALICE@${HOUR}`]: 1,
      [`rate:*:global:100/${HOUR}:*@${HOUR}`]: 1,
    });
  });

  // Regression: when rates.reserve() threw for a later limit (a database error on one statement), the quota
  // already taken for earlier limits was lost until its window ended although nothing was created.
  it('a store error on the second limit gives back what the first one took', async () => {
    const c = clock(HOUR);
    let calls = 0;
    const flaky: RateCounters = {
      ...h.store.rates,
      reserve: (key, windowMs, max, now) => {
        calls += 1;
        return calls === 2 ? Promise.reject(new Error('connection reset')) : h.store.rates.reserve(key, windowMs, max, now);
      },
    };
    const g = new Governance(ONE_EACH_THEN_GLOBAL, directory(c.now), flaky, undefined, c.now);
    await expect(g.check('workspace.create', {}, who('U0ALICE'))).rejects.toThrow('connection reset');
    // Nothing was created, so Alice's one workspace an hour must still be there.
    expect((await g.check('workspace.create', {}, who('U0ALICE'))).status).toBe('requested');
  });

  it('concurrent submissions never exceed the limit', async () => {
    const c = clock(50 * MINUTE);
    const g = new Governance(TWO_A_MINUTE, directory(c.now), h.store.rates, undefined, c.now);
    const verdicts = await Promise.all(Array.from({ length: 10 }, () => g.check('workspace.create', {}, who('U0ALICE'))));
    expect(verdicts.filter((v) => v.status === 'requested')).toHaveLength(2);
    expect(verdicts.filter((v) => v.governance.effect === 'rate_limited')).toHaveLength(8);
  });
});

describeEngines('Governance.mayDecide', (h) => {
  const APPROVAL = (self: boolean) =>
    policy(`
rules:
  - name: approve
    effect: require_approval
    approvers:
      users: [U0BOSS]
      groups: [S0PLATFORM]
    allow_self_approval: ${self}
`);

  async function pending(self: boolean, requesterId: string): Promise<{ g: Governance; op: OperationRecord }> {
    const g = new Governance(APPROVAL(self), directory(), h.store.rates, undefined);
    const verdict = await g.check('workspace.create', {}, who(requesterId));
    expect(verdict.status).toBe('awaiting_approval');
    const op = (await h.store.operations.get((await store(h.store, verdict, requesterId, 'workspace.create')).id)) as OperationRecord;
    return { g, op };
  }

  it('a listed user, a member of a listed group: yes; anyone else: no, with why', async () => {
    const { g, op } = await pending(false, 'U0ALICE');
    expect(await g.mayDecide(op, 'U0BOSS')).toEqual({ ok: true });
    expect(await g.mayDecide(op, 'U0MEMBER2')).toEqual({ ok: true });
    expect(await g.mayDecide(op, 'U0STRANGER')).toEqual({ ok: false, why: 'You are not one of the approvers for this request.' });
    expect(await g.mayDecide(op, 'U0INTERN')).toEqual({ ok: false, why: 'You are not one of the approvers for this request.' });
  });

  it('the requester may not decide their own request, even as an approver, unless the rule allows it', async () => {
    const refused = await pending(false, 'U0MEMBER');
    expect(await refused.g.mayDecide(refused.op, 'U0MEMBER')).toEqual({
      ok: false,
      why: 'You asked for this, so someone else among the approvers has to decide on it.',
    });
    const bossAsks = await pending(false, 'U0BOSS');
    expect((await bossAsks.g.mayDecide(bossAsks.op, 'U0BOSS')).ok).toBe(false);
    expect((await bossAsks.g.mayDecide(bossAsks.op, 'U0MEMBER')).ok).toBe(true);

    const allowed = await pending(true, 'U0MEMBER');
    expect(await allowed.g.mayDecide(allowed.op, 'U0MEMBER')).toEqual({ ok: true });
    // Self-approval is for approvers only: a requester who is no approver still may not.
    const stranger = await pending(true, 'U0ALICE');
    expect((await stranger.g.mayDecide(stranger.op, 'U0ALICE')).ok).toBe(false);
  });

  it('decides from what was stored with the request, not from the policy running now', async () => {
    const { op } = await pending(false, 'U0ALICE');
    const later = new Governance(policy('default: deny'), directory(), h.store.rates, undefined);
    expect(await later.mayDecide(op, 'U0BOSS')).toEqual({ ok: true });
    expect(await later.mayDecide(op, 'U0MEMBER')).toEqual({ ok: true });
    expect((await later.mayDecide(op, 'U0STRANGER')).ok).toBe(false);
  });

  it("reads only the approvers' groups", async () => {
    const { g, op } = await pending(false, 'U0ALICE');
    fake.reset();
    await g.mayDecide(op, 'U0STRANGER');
    expect(groupsAsked()).toEqual(['S0PLATFORM']);
  });

  it('an operation without approvers on record: nobody may decide, and Slack is not asked', async () => {
    const g = new Governance(APPROVAL(false), directory(), h.store.rates, undefined);
    const base = (await h.store.operations.get(
      (
        await store(h.store, { status: 'requested', governance: { effect: 'allow', rule: null, reservations: [] } }, 'U0ALICE')
      ).id,
    )) as OperationRecord;
    fake.reset();
    for (const governance of [null, { nonsense: true }, { effect: 'allow', rule: null, reservations: [] }]) {
      expect(await g.mayDecide({ ...base, governance }, 'U0BOSS')).toEqual({ ok: false, why: 'This request has no approvers on record.' });
    }
    expect(groupCalls()).toHaveLength(0);
  });

  it("throws DirectoryError when Slack can't say who is in the approvers' group", async () => {
    const { g, op } = await pending(false, 'U0ALICE');
    fake.fail('usergroups.users.list', 'fatal_error');
    await expect(g.mayDecide(op, 'U0MEMBER')).rejects.toBeInstanceOf(DirectoryError);
  });
});

describeEngines('Governance admins', (h) => {
  it('with admins: a named user or a member of a named group is an admin and reads the audit; others not', async () => {
    const g = new Governance(README, directory(), h.store.rates, undefined);
    expect(await g.isAdmin('U0ADMIN')).toBe(true);
    expect(await g.isAdmin('U0MEMBER')).toBe(true);
    expect(await g.isAdmin('U0ALICE')).toBe(false);
    expect(await g.isAdmin('U0INTERN')).toBe(false);
    expect(await g.mayReadAudit('U0ADMIN')).toBe(true);
    expect(await g.mayReadAudit('U0MEMBER2')).toBe(true);
    expect(await g.mayReadAudit('U0ALICE')).toBe(false);
    // Only the admin groups are read for this.
    expect(new Set(groupsAsked())).toEqual(new Set(['S0PLATFORM']));
  });

  it('without admins: nobody is an admin, everyone reads the audit, and Slack is not asked (even when down)', async () => {
    const g = new Governance(policy('default: allow'), directory(), h.store.rates, undefined);
    fake.down(true);
    expect(await g.isAdmin('U0ALICE')).toBe(false);
    expect(await g.mayReadAudit('U0ALICE')).toBe(true);
    expect(await g.mayReadAudit('U0MEMBER')).toBe(true);
    expect(groupCalls()).toHaveLength(0);
  });

  it('admins only by user id: no group lookup at all', async () => {
    const g = new Governance(policy('admins: { users: [U0ADMIN] }'), directory(), h.store.rates, undefined);
    expect(await g.isAdmin('U0ADMIN')).toBe(true);
    expect(await g.mayReadAudit('U0ALICE')).toBe(false);
    expect(groupCalls()).toHaveLength(0);
  });

  it('with admin groups and Slack down: DirectoryError, not a guess either way', async () => {
    const g = new Governance(README, directory(), h.store.rates, undefined);
    fake.down(true);
    await expect(g.isAdmin('U0ALICE')).rejects.toBeInstanceOf(DirectoryError);
    await expect(g.mayReadAudit('U0ALICE')).rejects.toBeInstanceOf(DirectoryError);
  });
});

describeEngines('Governance.recheck (a follow-up step of a created request, under the current policy)', (h) => {
  const OPEN = policy('default: allow');

  async function created(g: Governance, requesterId: string): Promise<OperationRecord> {
    const verdict = await g.check('integration.create', { providerId: 'openai' }, who(requesterId));
    return store(h.store, verdict, requesterId);
  }

  it('allowed now: ok, and no quota is taken', async () => {
    const op = await created(new Governance(OPEN, directory(), h.store.rates, undefined), 'U0ALICE');
    const before = await counters(h);
    const g = new Governance(README, directory(), h.store.rates, undefined);
    expect(await g.recheck(op, { providerId: 'groq' })).toEqual({ ok: true });
    expect(await counters(h)).toEqual(before);
  });

  it('a rule that now denies it: refused with the rule and its reason (escaped for Slack)', async () => {
    const op = await created(new Governance(OPEN, directory(), h.store.rates, undefined), 'U0INTERN');
    const g = new Governance(
      policy(`
rules:
  - name: no-openai
    action: integration.create
    providers: [openai]
    effect: deny
    reason: "Frozen <!channel> & co."
`),
      directory(),
      h.store.rates,
      undefined,
    );
    expect(await g.recheck(op, { providerId: 'openai' })).toEqual({
      ok: false,
      rule: 'no-openai',
      why: 'The policy no longer allows this: Frozen &lt;!channel&gt; &amp; co. Ask a Portkey admin to enable it in the workspaces.',
    });
  });

  it('needs approval now: refused for a request that was never approved, ok for one that was', async () => {
    const g = new Governance(README, directory(), h.store.rates, undefined);
    const unapproved = await created(new Governance(OPEN, directory(), h.store.rates, undefined), 'U0ALICE');
    expect(await g.recheck(unapproved, { providerId: 'openai' })).toEqual({
      ok: false,
      rule: 'llm-keys-need-platform',
      why: 'The policy no longer allows this: it now needs approval (rule `llm-keys-need-platform`). Ask a Portkey admin to enable it in the workspaces.',
    });
    const pending = await created(g, 'U0ALICE');
    expect(pending.status).toBe('awaiting_approval');
    const approved = await h.store.operations.transition(pending.id, 'awaiting_approval', 'approved', { decidedBy: 'U0MEMBER' });
    if (!approved.won) throw new Error('not approved');
    expect(await g.recheck(approved.operation, { providerId: 'openai' })).toEqual({ ok: true });
  });

  it('reads the requester’s groups now, and fails closed when Slack can’t say', async () => {
    const op = await created(new Governance(OPEN, directory(), h.store.rates, undefined), 'U0INTERN');
    const g = new Governance(README, directory(), h.store.rates, undefined);
    expect(await g.recheck(op, { providerId: 'groq' })).toMatchObject({ ok: false, rule: 'interns-no-integrations' });
    fake.down(true);
    const fresh = new Governance(README, directory(), h.store.rates, undefined);
    await expect(fresh.recheck(op, { providerId: 'groq' })).rejects.toBeInstanceOf(DirectoryError);
    fake.down(false);
  });
});

describeEngines('Governance fails closed', (h) => {
  it("check throws DirectoryError when a rule's group can't be read, and takes no quota", async () => {
    const c = clock(HOUR);
    const g = new Governance(README, directory(c.now), h.store.rates, undefined, c.now);
    fake.fail('usergroups.users.list', 'fatal_error');
    await expect(g.check('workspace.create', {}, who('U0ALICE'))).rejects.toBeInstanceOf(DirectoryError);
    fake.down(true);
    await expect(g.check('integration.create', { providerId: 'openai' }, who('U0INTERN'))).rejects.toBeInstanceOf(DirectoryError);
    expect(await counters(h)).toEqual({});

    // Slack is back: decided normally, the failure was not cached.
    fake.down(false);
    expect((await g.check('integration.create', { providerId: 'openai' }, who('U0INTERN'))).governance.effect).toBe('deny');
  });

  it('a policy whose rules name no group decides without Slack', async () => {
    const g = new Governance(
      policy(`
admins: { groups: [S0PLATFORM] }
rules:
  - name: approve
    effect: require_approval
    approvers: { groups: [S0PLATFORM] }
`),
      directory(),
      h.store.rates,
      undefined,
    );
    fake.down(true);
    expect((await g.check('workspace.create', {}, who('U0ALICE'))).status).toBe('awaiting_approval');
    expect(groupCalls()).toHaveLength(0);
  });

  it('a group Slack does not know is an empty group: nobody is in it, the request is decided', async () => {
    const g = new Governance(
      policy(`
rules:
  - name: ghosts
    groups: [S0GHOSTS]
    effect: deny
`),
      directory(),
      h.store.rates,
      undefined,
    );
    expect((await g.check('workspace.create', {}, who('U0ALICE'))).status).toBe('requested');
    expect(groupCalls().map((c) => c.error)).toEqual(['no_such_subteam']);
  });
});

// ---------------------------------------------------------------------------------------------------------------

describe('Directory', () => {
  it('answers which of the asked groups a person is in, one call per distinct group', async () => {
    fake.setUsergroup('S0DIR1', ['U0A', 'U0B']);
    fake.setUsergroup('S0DIR2', ['U0B']);
    const d = directory();
    expect(await d.groupsOf('U0B', ['S0DIR1', 'S0DIR2', 'S0DIR1'])).toEqual(new Set(['S0DIR1', 'S0DIR2']));
    expect(await d.groupsOf('U0A', ['S0DIR1', 'S0DIR2'])).toEqual(new Set(['S0DIR1']));
    expect(await d.groupsOf('U0C', ['S0DIR1', 'S0DIR2'])).toEqual(new Set());
    expect(await d.groupsOf('U0A', [])).toEqual(new Set());
    expect(groupsAsked().sort()).toEqual(['S0DIR1', 'S0DIR2']);
    for (const call of groupCalls()) expect(call.token).toBe('xoxb-test-token');
  });

  it('keeps a group for its ttl, then reads it again (and sees a change)', async () => {
    fake.setUsergroup('S0TTL', ['U0A']);
    const c = clock(1_000_000);
    const d = directory(c.now, 30_000);
    expect(await d.groupsOf('U0B', ['S0TTL'])).toEqual(new Set());
    fake.setUsergroup('S0TTL', ['U0A', 'U0B']);

    c.t += 29_999; // still fresh
    expect(await d.groupsOf('U0B', ['S0TTL'])).toEqual(new Set());
    expect(groupCalls()).toHaveLength(1);

    c.t = 1_000_000 + 30_000; // the ttl has run out
    expect(await d.groupsOf('U0B', ['S0TTL'])).toEqual(new Set(['S0TTL']));
    expect(groupCalls()).toHaveLength(2);

    c.t += 10_000; // fresh again from the second read
    expect(await d.groupsOf('U0A', ['S0TTL'])).toEqual(new Set(['S0TTL']));
    expect(groupCalls()).toHaveLength(2);
  });

  it('concurrent lookups of one group share one call', async () => {
    fake.setUsergroup('S0CONC', ['U0A']);
    fake.delay('usergroups.users.list', 100);
    const d = directory();
    const results = await Promise.all(['U0A', 'U0B', 'U0A', 'U0C', 'U0A'].map((u) => d.groupsOf(u, ['S0CONC'])));
    expect(results.map((s) => s.has('S0CONC'))).toEqual([true, false, true, false, true]);
    expect(groupCalls()).toHaveLength(1);
    expect(fake.held).toHaveLength(1);
  });

  it('no_such_subteam: an empty group, remembered like any other', async () => {
    const d = directory();
    expect(await d.groupsOf('U0A', ['S0NOPE'])).toEqual(new Set());
    expect(await d.groupsOf('U0B', ['S0NOPE'])).toEqual(new Set());
    expect(groupCalls()).toHaveLength(1);
    expect(groupCalls()[0]?.error).toBe('no_such_subteam');
  });

  it.each([
    ['fatal_error', () => fake.fail('usergroups.users.list', 'fatal_error')],
    ['missing_scope', () => fake.fail('usergroups.users.list', 'missing_scope')],
    ['invalid_auth', () => fake.fail('usergroups.users.list', 'invalid_auth')],
    ['Slack down (HTTP 503)', () => fake.down(true)],
    ['rate limited (HTTP 429)', () => fake.fail('usergroups.users.list', 'ratelimited', { retryAfter: 1 })],
  ])('%s: DirectoryError, not cached (the next lookup asks again)', async (_name, breakIt) => {
    fake.setUsergroup('S0ERR', ['U0A']);
    const d = directory();
    breakIt();
    const err = await d.groupsOf('U0A', ['S0ERR']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DirectoryError);
    expect((err as Error).message).toContain('S0ERR');
    fake.down(false);
    expect(await d.groupsOf('U0A', ['S0ERR'])).toEqual(new Set(['S0ERR']));
    expect(groupCalls()).toHaveLength(2);
  });

  it('every concurrent waiter of a failed call gets the DirectoryError', async () => {
    fake.setUsergroup('S0ERR2', ['U0A']);
    fake.fail('usergroups.users.list', 'fatal_error');
    fake.delay('usergroups.users.list', 50);
    const d = directory();
    const results = await Promise.allSettled([d.groupsOf('U0A', ['S0ERR2']), d.groupsOf('U0B', ['S0ERR2']), d.groupsOf('U0C', ['S0ERR2'])]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(DirectoryError);
    }
    expect(groupCalls()).toHaveLength(1);
  });

  it('one failing group fails the whole lookup, even when another group would have matched', async () => {
    fake.setUsergroup('S0OK', ['U0A']);
    const d = directory();
    await d.groupsOf('U0A', ['S0OK']); // cached
    fake.fail('usergroups.users.list', 'fatal_error');
    await expect(d.groupsOf('U0A', ['S0OK', 'S0OTHER'])).rejects.toBeInstanceOf(DirectoryError);
  });
});

describeEngines('Governance: the built-in guards and the secret-reference picker', (h) => {
  const GUARDED = policy(`
admins:
  users: [U0ADMIN]
rules:
  - name: team-refs
    action: integration.create
    groups: [S0PLATFORM]
    secret_references: ["team-*"]
    effect: allow
`);

  it('a custom host: approval by the admins, posted to APPROVALS_CHANNEL when the policy names no channel', async () => {
    const g = new Governance(GUARDED, directory(), h.store.rates, 'C0ENV');
    const v = await g.check('integration.create', { providerId: 'groq', hosts: ['https://api.openai.com/v1'] }, who('U0ALICE'));
    expect(v.status).toBe('awaiting_approval');
    expect(v.governance).toMatchObject({
      effect: 'require_approval',
      rule: 'custom-host-needs-approval',
      approvers: { users: ['U0ADMIN'], groups: [] },
      channel: 'C0ENV',
    });
  });

  it('a custom host with no approvals channel anywhere: denied, saying what to set, and no quota taken', async () => {
    const g = new Governance(GUARDED, directory(), h.store.rates, undefined);
    const v = await g.check('integration.create', { providerId: 'groq', hosts: ['https://api.openai.com/v1'] }, who('U0ALICE'));
    expect(v).toEqual({
      status: 'denied',
      governance: {
        effect: 'deny',
        rule: 'custom-host-needs-approval',
        reason:
          'An integration with a custom host needs approval unless a policy rule allows that host (custom_hosts). There is no approvals channel to ask in: an admin can set APPROVALS_CHANNEL, or approvals_channel in the policy.',
        reservations: [],
      },
    });
    expect(await counters(h)).toEqual({});
  });

  it('usableSecretRefs: only the references a rule lets this person use (their groups read from Slack)', async () => {
    const g = new Governance(GUARDED, directory(), h.store.rates, 'C0ENV');
    const refs = [
      { id: 'sr-1', name: 'Org production OpenAI' },
      { id: 'sr-2', name: 'team-research key' },
    ];
    expect(await g.usableSecretRefs(refs, { userId: 'U0MEMBER', channelId: 'C0GENERAL' }, 'openai')).toEqual([refs[1]]);
    expect(await g.usableSecretRefs(refs, { userId: 'U0ALICE', channelId: 'C0GENERAL' }, 'openai')).toEqual([]);
    expect(await g.usableSecretRefs(refs, { userId: 'U0ALICE', channelId: undefined }, undefined)).toEqual([]);
  });

  it('usableSecretRefs fails closed: Slack unable to say who is in the group is a DirectoryError, not a guess', async () => {
    fake.fail('usergroups.users.list', 'fatal_error');
    const g = new Governance(GUARDED, directory(), h.store.rates, 'C0ENV');
    await expect(
      g.usableSecretRefs([{ id: 'sr-2', name: 'team-research key' }], { userId: 'U0MEMBER', channelId: undefined }, 'openai'),
    ).rejects.toBeInstanceOf(DirectoryError);
  });
});

describeEngines('Governance.dryCheck (the preview)', (h) => {
  it('decides as check would, taking no quota; at the limit it says so with the same reset time', async () => {
    const c = clock(7 * HOUR + 3 * MINUTE);
    const p = policy(`
rules:
  - name: needs-approval
    action: integration.create
    approvers: { users: [U0ADMIN] }
    effect: require_approval
rate_limits:
  - action: workspace.create
    max: 2
    window: 1h
    per: user
`);
    const g = new Governance(p, directory(c.now), h.store.rates, 'C0ENV', c.now);
    const key = `rate:workspace.create:user:2/${HOUR}:${TEAM}:U0ALICE`;
    for (let i = 0; i < 5; i++) {
      expect(await g.dryCheck('workspace.create', {}, who('U0ALICE'))).toEqual({
        status: 'requested',
        governance: { effect: 'allow', rule: null, reservations: [] },
      });
    }
    expect(await counters(h)).toEqual({});
    const approval = await g.dryCheck('integration.create', { providerId: 'openai' }, who('U0ALICE'));
    const real = await g.check('integration.create', { providerId: 'openai' }, who('U0ALICE'));
    expect(approval).toEqual(real);

    await g.check('workspace.create', {}, who('U0ALICE'));
    await g.check('workspace.create', {}, who('U0ALICE'));
    const before = await counters(h);
    expect(before).toEqual({ [`${key}@${7 * HOUR}`]: 2 });
    const dry = await g.dryCheck('workspace.create', {}, who('U0ALICE'));
    const refused = await g.check('workspace.create', {}, who('U0ALICE'));
    expect(dry).toEqual(refused);
    expect(dry).toMatchObject({ status: 'denied', governance: { effect: 'rate_limited', retryAt: 8 * HOUR } });
    expect(await counters(h)).toEqual(before);
  });
});
