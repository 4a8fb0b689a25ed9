import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { fillView, viewFrom } from '../support/driver.js';
import { useFakes } from '../support/env.js';
import { allText, record, theButton } from '../support/payload.js';
import { fill, openForm } from './integration-helpers.js';

// User groups as Slack really answers for them, end to end: a Free-plan workspace (plan_upgrade_required) and a
// Tier-2 rate limit (HTTP 429, Retry-After: 8). The real app, a policy naming groups, signed requests; the evidence
// is the ack the person got (and how fast), what reached the fake Portkey, and the log the admin reads.

const POLICY = `
version: 1
default: allow
admins:
  groups: [S0PLATFORM]
rules:
  - name: interns-no-workspaces
    action: workspace.create
    groups: [S0INTERNS]
    effect: deny
rate_limits: []
`;
const policyDir = mkdtempSync(path.join(tmpdir(), 'portkey-groups-policy-'));
const policyFile = path.join(policyDir, 'policy.yml');
writeFileSync(policyFile, POLICY);

// Approvers named by group only: a submission needs no group, but deciding on it does.
const APPROVAL_POLICY = `
version: 1
default: allow
approvals_channel: C0APPROVALS
rules:
  - name: platform-approves-workspaces
    action: workspace.create
    effect: require_approval
    approvers:
      groups: [S0PLATFORM]
rate_limits: []
`;
const approvalPolicyFile = path.join(policyDir, 'approval-policy.yml');
writeFileSync(approvalPolicyFile, APPROVAL_POLICY);

const fakes = useFakes();
let app: TestApp | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

async function start(file = policyFile): Promise<TestApp> {
  app = await startTestApp({ slack: fakes.slack, portkey: fakes.portkey, env: { POLICY_FILE: file } });
  return app;
}

/** Opens the workspace form and submits it; returns the ack and how long Slack waited for it. */
async function submitWorkspace(a: TestApp, userId: string, name: string) {
  const triggerId = `groups-${Math.random()}`;
  expect((await a.driver.command({ text: `workspace create ${name}`, triggerId, userId })).status).toBe(200);
  const view = viewFrom(await fakes.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId), fakes.slack.views);
  const started = Date.now();
  const res = await a.driver.viewSubmission({ view: fillView(view, {}), userId });
  const ms = Date.now() - started;
  expect(res.status).toBe(200);
  return { ack: record(res.json, 'ack'), ms };
}

async function commandReply(a: TestApp, text: string, userId: string): Promise<string> {
  const responseUrl = fakes.slack.responseUrl();
  expect((await a.driver.command({ text, userId, responseUrl })).status).toBe(200);
  const r = await fakes.slack.waitForResponse((x) => x.url === responseUrl);
  return String(r.body.text);
}

const workspaceCreates = () => fakes.portkey.requests.filter((r) => r.method === 'POST' && r.path.endsWith('/admin/workspaces'));
const groupCalls = () => fakes.slack.callsTo('usergroups.users.list');

describe('a Free-plan Slack workspace (no user groups) under a policy that names groups', () => {
  it('tells the admin at start which setting and what to do, and tells people it is a plan matter, not a moment', async () => {
    fakes.slack.setPlan('free');
    const a = await start();

    const startLog = a.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .find((l) => String(l.msg).includes('plan_upgrade_required'));
    expect(startLog, 'a start-up log line about the plan').toBeDefined();
    expect(startLog).toMatchObject({ level: 'error', groups: ['S0INTERNS', 'S0PLATFORM'], policy: policyFile });
    expect(String(startLog?.msg)).toMatch(/paid Slack plan/);
    expect(String(startLog?.msg)).toMatch(/`users:`/);

    const plan = /plan doesn't include user groups.*won't pass by trying again.*paid plan.*name people instead of groups/;
    // Fails closed: nothing is created, the form stays open with the reason on its name field.
    for (const name of ['Growth', 'Growth two']) {
      const { ack } = await submitWorkspace(a, 'U_MEMBER', name);
      expect(ack.response_action).toBe('errors');
      const errors = record(ack.errors, 'errors');
      expect(Object.keys(errors)).toEqual(['ws_name']);
      expect(String(errors.ws_name)).toMatch(plan);
      expect(String(errors.ws_name)).not.toMatch(/in a moment/);
    }
    expect(workspaceCreates()).toHaveLength(0);

    // /portkey policy, pending and audit say the same instead of "try again in a moment".
    for (const text of ['policy', 'pending', 'audit']) {
      const reply = await commandReply(a, text, 'U_MEMBER');
      expect(reply, `/portkey ${text}`).toMatch(plan);
    }
    // Slack was asked once, at start: not once per submission or command.
    expect(groupCalls()).toHaveLength(1);
    expect(groupCalls()[0]?.error).toBe('plan_upgrade_required');
  });
});

describe('a Free-plan workspace whose policy names approvers by group', () => {
  it('an approver clicking Approve is told it is the plan, and nothing is created', async () => {
    fakes.slack.setPlan('free');
    const a = await start(approvalPolicyFile);
    const { ack } = await submitWorkspace(a, 'U_MEMBER', 'Needs approval');
    expect(ack.response_action).toBe('update');
    const post = await fakes.slack.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'C0APPROVALS' && allText(c.args.blocks).includes('<@U_MEMBER>'),
    );
    const approve = theButton(post.args.blocks, 'approval_approve');
    const responseUrl = fakes.slack.responseUrl();
    const res = await a.driver.blockAction({
      actionId: 'approval_approve',
      blockId: approve.blockId,
      value: approve.value ?? '',
      userId: 'U_PLAT',
      channelId: 'C0APPROVALS',
      responseUrl,
    });
    expect(res.status).toBe(200);
    const reply = await fakes.slack.waitForResponse((r) => r.url === responseUrl);
    expect(reply.body).toEqual({
      response_type: 'ephemeral',
      replace_original: false,
      text: expect.stringMatching(/plan doesn't include user groups.*won't pass by trying again/),
    });
    expect(workspaceCreates()).toHaveLength(0);
  });
});

describe('Slack rate-limits usergroups.users.list (HTTP 429, Retry-After: 8)', () => {
  it("answers the submission within Slack's 3 s, with the form kept and a plain line; nothing is created", async () => {
    fakes.slack.setUsergroup('S0INTERNS', ['U_INTERN']);
    fakes.slack.setUsergroup('S0PLATFORM', ['U_PLAT']);
    const a = await start();
    fakes.slack.reset();
    fakes.slack.rateLimit('usergroups.users.list', 8, Infinity);

    const { ack, ms } = await submitWorkspace(a, 'U_MEMBER', 'Growth');
    expect(ms).toBeLessThan(2500);
    expect(ack.response_action).toBe('errors');
    expect(record(ack.errors, 'errors')).toEqual({
      ws_name:
        "Slack is limiting how often the app may check user groups, so your permissions couldn't be checked. Please try again in 8 seconds.",
    });
    expect(workspaceCreates()).toHaveLength(0);
    // While Retry-After runs, Slack isn't asked again: a second submission is refused at once without a call.
    const before = groupCalls().length;
    const again = await submitWorkspace(a, 'U_MEMBER', 'Growth');
    expect(again.ms).toBeLessThan(2500);
    expect(String(record(again.ack.errors, 'errors').ws_name)).toMatch(/try again in [1-8] seconds/);
    expect(groupCalls()).toHaveLength(before);
  });

  it('a fresh cached group still decides while Slack rate-limits', async () => {
    fakes.slack.setUsergroup('S0INTERNS', ['U_INTERN']);
    const a = await start();
    const first = await submitWorkspace(a, 'U_INTERN', 'Interns one');
    expect(first.ack.response_action).toBe('update'); // denied by the rule: shown in the modal
    fakes.slack.rateLimit('usergroups.users.list', 8, Infinity);
    const calls = groupCalls().length;
    const { ack, ms } = await submitWorkspace(a, 'U_INTERN', 'Interns two');
    expect(ms).toBeLessThan(2500);
    expect(ack.response_action).toBe('update');
    expect(JSON.stringify(ack.view)).toMatch(/interns-no-workspaces|not allowed|denied/i);
    expect(groupCalls()).toHaveLength(calls);
    expect(workspaceCreates()).toHaveLength(0);
  });
});

// Before the ack, an integration submission looks its ids up in Portkey (a 1.5 s budget) and then asks Slack who is
// in the policy's groups (a 2 s budget): each within its own deadline, together past Slack's 3 s.
describe("Portkey's id lookups and Slack's group lookups together, before the ack", () => {
  it("answer within Slack's 3 s even when both are slow", async () => {
    fakes.slack.setUsergroup('S0INTERNS', ['U_INTERN']);
    const a = await start();
    const h = { slack: fakes.slack, portkey: fakes.portkey, app: a };
    const ws = fakes.portkey.seedWorkspace({ name: 'Slow lookups', slug: 'slow-lookups' });
    const view = await openForm(h, 'integration create openai', { userId: 'U_MEMBER' });
    fakes.portkey.fault({ method: 'GET', path: `/admin/workspaces/${ws.id}` }, { afterHandling: true, delayMs: 1300 });
    fakes.slack.delay('usergroups.users.list', 1900);
    const started = Date.now();
    const res = await a.driver.viewSubmission({
      view: fill(
        view,
        { int_name: 'Slow both', int_key__openai: 'sk-slow-both-0123456789' },
        { int_access: [{ value: ws.id, text: 'Slow lookups' }] },
      ),
      userId: 'U_MEMBER',
    });
    const ms = Date.now() - started;
    expect(res.status).toBe(200);
    expect(ms).toBeLessThan(3000);
    expect(['update', 'errors']).toContain(record(res.json, 'ack').response_action);
  });

  // The secret-reference picker's options load: Portkey's list (up to 2.5 s), then the person's groups (up to 2 s).
  it("the secret-reference picker answers within Slack's 3 s even when both are slow", async () => {
    fakes.slack.setUsergroup('S0INTERNS', ['U_INTERN']);
    const a = await start();
    fakes.portkey.seedSecretReference({ name: 'team-openai', slug: 'team-openai' });
    fakes.portkey.fault({ method: 'GET', path: '/secret-references' }, { afterHandling: true, delayMs: 1300 });
    fakes.slack.delay('usergroups.users.list', 1900);
    const started = Date.now();
    const res = await a.driver.options({
      actionId: 'int_secret_ref_search',
      blockId: 'int_secretref__openai',
      value: '',
      userId: 'U_MEMBER',
    });
    const ms = Date.now() - started;
    expect(res.status).toBe(200);
    expect(ms).toBeLessThan(3000);
  });
});
