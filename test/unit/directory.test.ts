import { Writable } from 'node:stream';
import { LogLevel, WebClient } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createLog } from '../../src/log.js';
import { Directory, DirectoryError } from '../../src/slack/directory.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';

// The Directory against Slack's awkward answers for user groups, over real HTTP to the fake Slack: a Free plan
// (plan_upgrade_required), a 429 with a long Retry-After, and a Slack that doesn't answer before the deadline.

let fake: FakeSlack;
/** As the app builds it: no retries, a 429 comes back at once. */
let quick: WebClient;
/** WebClient's default on a 429: wait Retry-After out, then retry. */
let patient: WebClient;
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

beforeAll(async () => {
  fake = await startFakeSlack();
  quick = new WebClient(fake.botToken, {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    rejectRateLimitedCalls: true,
    logLevel: LogLevel.ERROR,
  });
  patient = new WebClient(fake.botToken, {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0 },
    logLevel: LogLevel.ERROR,
  });
  fake.setUsergroup('S0A', ['U0A']);
  fake.setUsergroup('S0B', ['U0B']);
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.reset();
  lines.length = 0;
});

const groupCalls = () => fake.callsTo('usergroups.users.list');
const failureOf = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('Directory on a Free-plan workspace', () => {
  it('plan_upgrade_required: a DirectoryError saying it is the plan, and Slack is not asked again for a while', async () => {
    fake.setPlan('free');
    const c = { t: 1_000_000 };
    const d = new Directory(quick, log, 60_000, () => c.t);
    const err = await failureOf(d.groupsOf('U0A', ['S0A']));
    expect(err).toBeInstanceOf(DirectoryError);
    expect((err as DirectoryError).failure).toBe('plan');
    expect((err as DirectoryError).forPeople).toMatch(/plan doesn't include user groups.*won't pass by trying again/);
    expect(await failureOf(d.groupsOf('U0B', ['S0B']))).toBeInstanceOf(DirectoryError);
    expect(groupCalls()).toHaveLength(1);

    // The workspace upgrades: noticed after ten minutes, without a restart.
    fake.setPlan('paid');
    c.t += 10 * 60_000 + 1;
    expect(await d.groupsOf('U0A', ['S0A'])).toEqual(new Set(['S0A']));
  });

  it('checkAtStart logs what the admin has to do, once, and fills no cache', async () => {
    fake.setPlan('free');
    const d = new Directory(quick, log);
    expect(await d.checkAtStart(['S0A', 'S0B'], '/etc/policy.yml')).toBe('plan_upgrade_required');
    const line = JSON.parse(lines.find((l) => l.includes('plan_upgrade_required')) ?? '{}') as Record<string, unknown>;
    expect(line).toMatchObject({ level: 'error', groups: ['S0A', 'S0B'], policy: '/etc/policy.yml', slack: 'plan_upgrade_required' });
    expect(String(line.msg)).toMatch(/paid Slack plan.*`users:`/);
    expect(groupCalls()).toHaveLength(1);

    fake.reset();
    const fresh = new Directory(quick, log);
    expect(await fresh.checkAtStart(['S0A'], 'p')).toBe('ok');
    fake.setUsergroup('S0A', ['U0A', 'U0NEW']);
    expect(await fresh.groupsOf('U0NEW', ['S0A'])).toEqual(new Set(['S0A'])); // read again, not cached by the check
    fake.setUsergroup('S0A', ['U0A']);

    fake.fail('usergroups.users.list', 'missing_scope');
    expect(await new Directory(quick, log).checkAtStart(['S0A'], 'p')).toBe('missing_scope');
    expect(lines.some((l) => l.includes('usergroups:read'))).toBe(true);
    expect(await new Directory(quick, log).checkAtStart([], 'p')).toBe('ok');
  });
});

// A careless admin's typo in the second group a policy names (a deny rule's `groups: [S0REAL, S0TYPO]`) exempts
// everyone that group should have caught; reading only the first group at start never said so.
describe('Directory start-up check, every group', () => {
  it('names each group Slack does not know, not just a problem with the first', async () => {
    fake.setUsergroup('S0REAL', ['U0A']);
    const d = new Directory(quick, log);
    expect(await d.checkAtStart(['S0REAL', 'S0TYPO'], '/etc/policy.yml')).toBe('unknown_group');
    const warned = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.level === 'warn' && l.group !== undefined);
    expect(warned.map((l) => [l.group, l.policy])).toEqual([['S0TYPO', '/etc/policy.yml']]);
  });
});

describe('Directory under a rate limit', () => {
  it('429 Retry-After: 30 comes back at once as rate_limited with the wait; no call is made while it runs', async () => {
    fake.rateLimit('usergroups.users.list', 30, Infinity);
    const c = { t: 5_000_000 };
    const d = new Directory(quick, log, 60_000, () => c.t);
    const started = Date.now();
    const err = await failureOf(d.groupsOf('U0A', ['S0A']));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(err).toBeInstanceOf(DirectoryError);
    expect((err as DirectoryError).failure).toBe('rate_limited');
    expect((err as DirectoryError).forPeople).toBe(
      "Slack is limiting how often the app may check user groups, so your permissions couldn't be checked. Please try again in 30 seconds.",
    );
    c.t += 20_000;
    const later = await failureOf(d.groupsOf('U0A', ['S0A']));
    expect((later as DirectoryError).retryAfterS).toBe(10);
    expect(groupCalls()).toHaveLength(1);

    fake.reset();
    c.t += 10_001;
    expect(await d.groupsOf('U0A', ['S0A'])).toEqual(new Set(['S0A']));
  });

  it('a group read before the limit still answers while it runs', async () => {
    const d = new Directory(quick, log);
    expect(await d.groupsOf('U0B', ['S0B'])).toEqual(new Set(['S0B']));
    fake.rateLimit('usergroups.users.list', 30, Infinity);
    expect(await d.groupsOf('U0B', ['S0B'])).toEqual(new Set(['S0B']));
    expect(((await failureOf(d.groupsOf('U0B', ['S0B', 'S0A']))) as DirectoryError).failure).toBe('rate_limited');
  });

  it('no lookup waits past its deadline, even over a client that waits Retry-After out', async () => {
    fake.rateLimit('usergroups.users.list', 8);
    const d = new Directory(patient, log, 60_000, Date.now, 300);
    const started = Date.now();
    const err = await failureOf(d.groupsOf('U0A', ['S0A']));
    expect(Date.now() - started).toBeLessThan(1500);
    expect(err).toBeInstanceOf(DirectoryError);
    expect((err as DirectoryError).failure).toBe('unavailable');
    expect((err as DirectoryError).forPeople).toMatch(/try again in a moment/);
  });

  it('a slow Slack: the deadline answers; the late reply still fills the cache for the next lookup', async () => {
    fake.delay('usergroups.users.list', 500);
    const d = new Directory(quick, log, 60_000, Date.now, 200);
    expect(await failureOf(d.groupsOf('U0A', ['S0A']))).toBeInstanceOf(DirectoryError);
    await new Promise((r) => setTimeout(r, 500));
    expect(await d.groupsOf('U0A', ['S0A'])).toEqual(new Set(['S0A']));
    expect(groupCalls()).toHaveLength(1);
  });
});
