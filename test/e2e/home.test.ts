import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { fillView, viewFrom } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import type { SlackCall } from '../support/fake-slack.js';
import { allText, theButton } from '../support/payload.js';
import { eventually } from '../support/wait.js';

// The Home tab end to end: app_home_opened (Events API, signed JSON) → views.publish at the fake Slack, and the
// tab's own Approve / Deny / Cancel, which go through the same service and rules as the approvals channel.

const POLICY = `
version: 1
default: allow
approvals_channel: C0APPROVALS
admins:
  users: [UADMIN]
rules:
  - name: gated-workspaces
    action: workspace.create
    channels: [C0GATED]
    only_in_channels: true
    effect: require_approval
    approvers:
      users: [UAPPROVER]
rate_limits: []
`;
const dir = mkdtempSync(path.join(tmpdir(), 'portkey-home-'));
const policyFile = path.join(dir, 'policy.yml');
writeFileSync(policyFile, POLICY);

const h = useTestEnv({ env: { POLICY_FILE: policyFile } });

/** Opens the tab as `userId` and resolves with the view Slack was given for them. */
async function openHome(userId: string): Promise<Record<string, unknown>> {
  const before = h.slack.callsTo('views.publish').length;
  const res = await h.app.driver.homeOpened({ userId });
  expect(res.status).toBe(200);
  return publishedFor(userId, before);
}

/** The next views.publish for `userId` after the first `after` publishes. */
async function publishedFor(userId: string, after: number, text?: string): Promise<Record<string, unknown>> {
  const call: SlackCall = await h.slack.waitFor(
    'views.publish',
    (c) =>
      h.slack.calls.filter((x) => x.method === 'views.publish').indexOf(c) >= after &&
      c.args.user_id === userId &&
      (text === undefined || allText(c.args.view).includes(text)),
    10_000,
  );
  expect(call.error).toBeUndefined();
  const view = call.args.view as Record<string, unknown>;
  expect(view.type).toBe('home');
  return view;
}

async function createWorkspace(userId: string, channelId: string, name: string) {
  const triggerId = `home-${Math.random()}`;
  await h.app.driver.command({ text: `workspace create ${name}`, triggerId, userId, channelId });
  const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
  const view = viewFrom(open, h.slack.views);
  const res = await h.app.driver.viewSubmission({ view: fillView(view, {}), userId });
  expect(res.status).toBe(200);
}

/** A click in someone's Home tab, as Slack sends it (container: the home view). */
async function clickHome(userId: string, actionId: string, value?: string) {
  const home = h.slack.homes.get(userId);
  if (!home) throw new Error(`no Home tab published for ${userId}`);
  const button = theButton(home.view.blocks, actionId);
  const res = await h.app.driver.blockAction({
    actionId,
    blockId: button.blockId,
    ...((value ?? button.value) ? { value: value ?? button.value } : {}),
    userId,
    view: { id: home.id, callback_id: 'home', type: 'home', blocks: home.view.blocks as unknown[] },
  });
  expect(res.status).toBe(200);
}

describe('the Home tab', () => {
  it('shows the person their requests with Portkey id and slug, escaped, and a button for each form', async () => {
    await createWorkspace('UALICE', 'C0GEN', 'Alice <!channel> & *bold*');
    await eventually('the workspace in Portkey', () => h.portkey.workspaces.some((w) => w.name === 'Alice <!channel> & *bold*'));
    const created = h.portkey.workspaces.find((w) => w.name === 'Alice <!channel> & *bold*');
    const view = await openHome('UALICE');
    const text = allText(view);
    expect(text).toContain(':white_check_mark: created — workspace Alice &lt;!channel&gt; &amp; *bold*');
    expect(text).not.toContain('<!channel>');
    expect(text).toContain(`id \`${created?.id}\`, slug \`${created?.slug}\``);
    expect(text).toContain('Nothing is waiting for you.');
    expect(text).not.toContain('Needs attention');
    const open = theButton(view.blocks, 'workspace_open');
    expect(open.blockId).toBe('home_open');
    expect(() => theButton(view.blocks, 'integration_open')).not.toThrow();
  });

  it("answers Slack's url_verification, so the Events request URL can be saved (HTTP mode)", async () => {
    const body = JSON.stringify({
      token: 'verification-token',
      challenge: 'c-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P',
      type: 'url_verification',
    });
    const res = await h.app.driver.raw(body, { contentType: 'application/json' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('c-3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P');
  });

  it('draws nothing for the Messages or About tab', async () => {
    const res = await h.app.driver.homeOpened({ userId: 'UALICE', tab: 'messages' });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect(h.slack.callsTo('views.publish')).toEqual([]);
  });

  it('lets an approver approve from the tab; both people see the outcome without asking', async () => {
    await openHome('UREQ'); // the requester has the tab open
    await createWorkspace('UREQ', 'C0GATED', 'Gated Space');
    const approval = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0APPROVALS');
    const opId = theButton(approval.args.blocks, 'approval_approve').value;

    // Someone else sees nothing to decide, and a forged click with the id changes nothing.
    const other = await openHome('UOTHER');
    expect(allText(other)).toContain('Nothing is waiting for you.');
    const before = h.slack.callsTo('views.publish').length;
    await h.app.driver.blockAction({
      actionId: 'home_approve',
      blockId: 'home_decide_x',
      value: opId,
      userId: 'UOTHER',
      view: { id: 'VHOME', callback_id: 'home', type: 'home', blocks: [] },
    });
    expect(allText(await publishedFor('UOTHER', before))).toContain('You are not one of the approvers for this request.');
    expect(h.portkey.requestsTo('POST', '/admin/workspaces').filter((r) => JSON.stringify(r.body).includes('Gated Space'))).toEqual([]);

    const approver = await openHome('UAPPROVER');
    const approverText = allText(approver);
    expect(approverText).toContain('<@UREQ> asks to create workspace Gated Space');
    expect(approverText).toContain('Rule `gated-workspaces`');
    const start = h.slack.callsTo('views.publish').length;
    await clickHome('UAPPROVER', 'home_approve');
    expect(allText(await publishedFor('UAPPROVER', start, 'You approved'))).toContain(
      ':white_check_mark: You approved workspace Gated Space. It is being created; the requester is told the result.',
    );
    await eventually('the approved workspace in Portkey', () => h.portkey.workspaces.some((w) => w.name === 'Gated Space'), {
      timeoutMs: 10_000,
    });
    // The requester's tab follows the operation to its end.
    expect(allText(await publishedFor('UREQ', start, ':white_check_mark: created — workspace Gated Space'))).toContain('slug `');
    // A second click (a tab drawn before the decision) finds it decided.
    const again = h.slack.callsTo('views.publish').length;
    await h.app.driver.blockAction({
      actionId: 'home_approve',
      blockId: theButton(approver.blocks, 'home_approve').blockId,
      value: opId,
      userId: 'UAPPROVER',
      view: { id: 'VHOME', callback_id: 'home', type: 'home', blocks: approver.blocks as unknown[] },
    });
    expect(allText(await publishedFor('UAPPROVER', again, 'already approved'))).toContain(
      'That request was already approved by <@UAPPROVER>.',
    );
    expect(h.portkey.workspaces.filter((w) => w.name === 'Gated Space')).toHaveLength(1);
  });

  it('lets the requester cancel a pending request from the tab, and only them', async () => {
    await openHome('UREQ2');
    await createWorkspace('UREQ2', 'C0GATED', 'Cancel Me');
    const mine = await publishedFor('UREQ2', 0, ':raising_hand: waiting for approval — workspace Cancel Me');
    expect(allText(mine)).toContain('approvers <@UAPPROVER>');
    const start = h.slack.callsTo('views.publish').length;
    await clickHome('UREQ2', 'home_cancel');
    const after = allText(await publishedFor('UREQ2', start, 'You cancelled'));
    expect(after).toContain(':leftwards_arrow_with_hook: You cancelled workspace Cancel Me. Nothing was created.');
    expect(after).toContain(':leftwards_arrow_with_hook: cancelled — workspace Cancel Me');
    expect(h.portkey.workspaces.map((w) => w.name)).not.toContain('Cancel Me');
  });

  it('shows admins what failed and the recent activity; others never see it', async () => {
    h.portkey.fault({ method: 'POST', path: '/admin/workspaces' }, { status: 403, body: { success: false, message: 'No permission' } });
    await createWorkspace('UBOB', 'C0GEN', 'Doomed Space');
    await eventually('the failure in the modal', () => h.slack.callsTo('views.update').length > 0);
    await eventually('the failure on the admin Home', async () =>
      allText(await openHome('UADMIN')).includes("<@UBOB>'s workspace Doomed Space failed"),
    );
    const admin = allText(h.slack.homes.get('UADMIN')?.view);
    expect(admin).toContain('*Needs attention* (admins)');
    expect(admin).toContain('*Recent activity*');
    expect(admin).toMatch(/<@UBOB> workspace\.create\.portkey → \*failed\*/);
    expect(allText(await openHome('UBOB'))).not.toContain('Needs attention');
  });

  it('shows admins an onboarding that stopped with steps left', async () => {
    h.portkey.seedIntegration({ name: 'OpenAI prod', ai_provider_id: 'openai', slug: 'openai-prod', key: 'sk-openai-seeded-1234567890' });
    h.portkey.fault({ method: 'PUT', path: '/integrations/openai-prod/workspaces' }, { status: 403 });
    const triggerId = 'home-onboard-trigger';
    await h.app.driver.command({ text: 'onboard Half Done', triggerId, userId: 'UBOB', channelId: 'C0GEN' });
    const form = viewFrom(await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId), h.slack.views);
    const filled = fillView(form, { ob_integrations: { value: 'openai-prod', text: 'OpenAI prod' } });
    expect((await h.app.driver.viewSubmission({ view: filled, userId: 'UBOB' })).status).toBe(200);
    await eventually('the stopped onboarding on the admin Home', async () =>
      allText(await openHome('UADMIN')).includes("<@UBOB>'s team workspace Half Done with 1 integration enabled in it stopped"),
    );
    expect(allText(h.slack.homes.get('UADMIN')?.view)).toContain('still to do: the remaining steps: Enable OpenAI prod (openai-prod)');
  });

  it('stops publishing, with one warning, when the Home tab is off in the app settings', async () => {
    h.slack.setHomeTab(false);
    await h.app.driver.homeOpened({ userId: 'UALICE' });
    const refused = await h.slack.waitFor('views.publish');
    expect(refused.error).toBe('not_enabled');
    await eventually('the warning', () => h.app.logs.some((l) => l.includes('the Home tab is not enabled')));
    expect(h.app.logs.filter((l) => l.includes('the Home tab is not enabled'))).toHaveLength(1);
    const tried = h.slack.callsTo('views.publish').length;
    await h.app.driver.homeOpened({ userId: 'UALICE' });
    await new Promise((r) => setTimeout(r, 300));
    expect(h.slack.callsTo('views.publish')).toHaveLength(tried);
  });
});
