import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { peekSqlite } from '../support/db.js';
import { useFakes, type TestEnv } from '../support/env.js';
import { fillView, viewFrom } from '../support/driver.js';
import { allText, elementsWithAction, record, theButton } from '../support/payload.js';
import { eventually } from '../support/wait.js';
import { clickInView, createBodies, fill, openForm, storedView, type Inputs, type MultiInputs } from './integration-helpers.js';

// Issue 10 §1, end to end: nobody can claim someone else's integration (a 409 is "slug taken", never success), and
// the follow-up step "Retry enabling" runs only for the operation that created the integration, only for its
// requester, only while the grant is still to do, through the policy again and the durable path (lease, audit,
// outbox). Signed requests into the real app; what reached the fakes is the evidence.

const fakes = useFakes();
let app: TestApp | undefined;
afterEach(async () => {
  await app?.stop();
  app = undefined;
});

async function start(env: Record<string, string> = {}): Promise<TestEnv> {
  app = await startTestApp({ slack: fakes.slack, portkey: fakes.portkey, env });
  const running = app;
  return { slack: fakes.slack, portkey: fakes.portkey, app: running };
}

const ALICE_KEY = 'sk-alice-prod-0123456789abcdef';
const JUNK_KEY = 'junk-mallory-0000000000';

/** Opens the integration form as `userId` and submits it; resolves with the result view shown afterwards. */
async function submitAs(h: TestEnv, userId: string, inputs: Inputs, multi: MultiInputs = {}) {
  const view = await openForm(h, 'integration create openai', { userId, channelId: `C_${userId}` });
  const seen = new Set(h.slack.callsTo('views.update'));
  const res = await h.app.driver.viewSubmission({ view: fill(view, inputs, multi), userId });
  expect(res.status).toBe(200);
  expect(record(res.json, 'ack').response_action).toBe('update');
  await h.slack.waitFor('views.update', (c) => !seen.has(c) && c.args.view_id === view.id, 10_000);
  return { view, result: storedView(h.slack, view.id) };
}

async function auditRows(h: TestEnv, target: string) {
  return (await peekSqlite(h.app.dataDir).rows('audit'))
    .filter((r) => r.target === target)
    .map((r) => ({
      actor: String(r.actor_id),
      action: String(r.action),
      outcome: String(r.outcome),
      detail: r.detail_json === null ? null : (JSON.parse(String(r.detail_json)) as unknown),
    }));
}

describe('no claiming someone else’s integration', () => {
  it('Mallory submits Alice’s name, slug and provider with a junk key and her workspace: told the slug is taken, nothing granted', async () => {
    const h = await start();
    const sandbox = h.portkey.seedWorkspace({ name: 'Mallory sandbox', slug: 'mallory-sandbox' });
    const alice = await submitAs(h, 'U_ALICE', { int_name: 'OpenAI prod', int_slug: 'openai-prod', int_key__openai: ALICE_KEY });
    expect(allText(alice.result.blocks)).toContain('is ready');
    const [stored] = h.portkey.integrations;
    if (!stored) throw new Error('Alice’s integration was not created');

    // Within seconds (well inside the old 2-minute "ours" window), the same name, slug and provider.
    const before = h.portkey.requests.length;
    const mallory = await submitAs(
      h,
      'U_MALLORY',
      { int_name: 'OpenAI prod', int_slug: 'openai-prod', int_key__openai: JUNK_KEY },
      { int_access: [{ value: sandbox.id, text: 'Mallory sandbox (mallory-sandbox)' }] },
    );

    // Portkey got exactly the two creates, answered 200 then 409, and no grant of any kind.
    expect(createBodies(h.portkey)).toEqual([
      { name: 'OpenAI prod', slug: 'openai-prod', ai_provider_id: 'openai', key: ALICE_KEY },
      { name: 'OpenAI prod', slug: 'openai-prod', ai_provider_id: 'openai', key: JUNK_KEY },
    ]);
    expect(h.portkey.requestsTo('POST', '/integrations').map((r) => r.status)).toEqual([200, 409]);
    expect(h.portkey.requests.filter((r) => r.method === 'PUT')).toEqual([]);
    expect(stored.workspaceAccess.size).toBe(0);
    // Mallory's submission cost Portkey the look-up of her workspace by id (at submission), the look-up of the slug
    // just before the create (Alice's holds it: never to be taken for Mallory's), the create and one free-slug probe.
    expect(h.portkey.requests.slice(before).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([
      `GET /admin/workspaces/${sandbox.id} 200`,
      'GET /integrations/openai-prod 200',
      'POST /integrations 409',
      'GET /integrations/openai-prod-2 404',
    ]);

    const text = allText(mallory.result.blocks);
    expect(text).toContain('was not created');
    expect(text).toContain('The slug openai-prod is already used by another integration. Try openai-prod-2.');
    expect(elementsWithAction(mallory.result.blocks, 'integration_retry_access')).toEqual([]);
    // Nothing Mallory was shown or sent carries Alice's integration id.
    const toMallory = [
      ...h.slack.callsTo('chat.postMessage').filter((c) => c.args.channel === 'C_U_MALLORY'),
      ...h.slack.callsTo('views.update').filter((c) => c.args.view_id === mallory.view.id),
      ...h.slack.responses,
    ];
    expect(JSON.stringify(toMallory)).not.toContain(stored.id);
    const ops = await peekSqlite(h.app.dataDir).rows('operations');
    expect(ops.find((o) => o.requester_id === 'U_MALLORY')).toMatchObject({ status: 'failed', portkey_id: null, portkey_slug: null });
  });

  it('a lost answer and Alice’s integration under the slug: still not Mallory’s (the masked key is not hers)', async () => {
    const h = await start();
    await submitAs(h, 'U_ALICE', { int_name: 'OpenAI prod', int_slug: 'openai-prod', int_key__openai: ALICE_KEY });
    const [stored] = h.portkey.integrations;
    if (!stored) throw new Error('Alice’s integration was not created');
    // Mallory's create is answered 409 by Portkey, but the connection drops before the app reads it.
    h.portkey.fault({ method: 'POST', path: '/integrations' }, { afterHandling: true, drop: true });
    const before = h.portkey.requests.length;
    const mallory = await submitAs(h, 'U_MALLORY', { int_name: 'OpenAI prod', int_slug: 'openai-prod', int_key__openai: JUNK_KEY });

    // The look-up before the create, one after the lost answer, then one free-slug probe.
    expect(h.portkey.requests.slice(before).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /integrations/openai-prod',
      'POST /integrations',
      'GET /integrations/openai-prod',
      'GET /integrations/openai-prod-2',
    ]);
    expect(h.portkey.requests.filter((r) => r.method === 'PUT')).toEqual([]);
    expect(allText(mallory.result.blocks)).toContain('The slug openai-prod is already used by another integration.');
    expect(JSON.stringify(h.slack.callsTo('views.update').filter((c) => c.args.view_id === mallory.view.id))).not.toContain(stored.id);
  });
});

describe('no claiming someone else’s workspace', () => {
  // Portkey stamps times to the whole second: Bob's, made a moment before, can carry the very timestamp Mallory's would.
  it('a lost answer and Bob’s same-named workspace made just before: Mallory is told hers was not created, never given Bob’s', async () => {
    const h = await start();
    // What the app asked Portkey from here on (its start-up check of the admin key came before).
    const asked = h.portkey.requests.length;
    const bob = h.portkey.seedWorkspace({ name: 'Data Lake', slug: 'bob-data-lake' });
    // Mallory's create never reaches Portkey's handler: the connection drops first.
    h.portkey.fault({ method: 'POST', path: '/admin/workspaces' }, { drop: true });
    const triggerId = `claims-ws-${Date.now()}`;
    await h.app.driver.command({ text: 'workspace create Data Lake', triggerId, userId: 'U_MALLORY', channelId: 'C_U_MALLORY' });
    const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
    const form = viewFrom(open, h.slack.views);
    const seen = new Set(h.slack.callsTo('views.update'));
    const res = await h.app.driver.viewSubmission({ view: fillView(form, {}), userId: 'U_MALLORY' });
    expect(res.status).toBe(200);
    const update = await h.slack.waitFor('views.update', (c) => !seen.has(c) && c.args.view_id === form.id, 10_000);

    // Bob's is noted just before the create is sent, so the look-up after the lost answer can't take it for hers.
    expect(h.portkey.requests.slice(asked).map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /admin/workspaces',
      'POST /admin/workspaces',
      'GET /admin/workspaces',
    ]);
    expect(h.portkey.workspaces.map((w) => w.slug)).toEqual(['bob-data-lake']);
    const text = allText(record(update.args.view, 'v').blocks);
    expect(text).toContain('The connection to Portkey broke before it answered. Nothing was created.');
    expect(text).not.toContain('is ready');
    const toMallory = [...h.slack.calls, ...h.slack.responses];
    expect(JSON.stringify(toMallory)).not.toContain(bob.id);
    expect(JSON.stringify(toMallory)).not.toContain('bob-data-lake');
    const ops = await peekSqlite(h.app.dataDir).rows('operations');
    expect(ops.find((o) => o.requester_id === 'U_MALLORY')).toMatchObject({ status: 'failed', portkey_id: null });
  });
});

describe('"Retry enabling" is a governed follow-up of the operation that created the integration', () => {
  /** Alice creates `Shared OpenAI` enabled in Research; every attempt of the grant fails. */
  async function createWithFailingGrant(h: TestEnv) {
    const ws = h.portkey.seedWorkspace({ name: 'Research', slug: 'research' });
    h.portkey.fault({ method: 'PUT', path: '/integrations/shared-openai/workspaces' }, { status: 500 }, 4);
    const { view, result } = await submitAs(
      h,
      'U_ALICE',
      { int_name: 'Shared OpenAI', int_key__openai: ALICE_KEY },
      { int_access: [{ value: ws.id, text: 'Research (research)' }] },
    );
    const opId = theButton(result.blocks, 'integration_retry_access').value;
    if (!opId) throw new Error('no Retry enabling button');
    expect(h.portkey.requestsTo('PUT', '/integrations/shared-openai/workspaces')).toHaveLength(4);
    const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_U_ALICE');
    return { ws, view, opId, post };
  }

  /** A click on the channel message's Retry enabling button; resolves with what the clicker was told there (text, then any blocks' text). */
  async function clickInMessage(h: TestEnv, p: { userId: string; opId: string; blockId: string }): Promise<string> {
    const responseUrl = h.slack.responseUrl();
    const res = await h.app.driver.blockAction({
      actionId: 'integration_retry_access',
      blockId: p.blockId,
      value: p.opId,
      userId: p.userId,
      channelId: 'C_U_ALICE',
      responseUrl,
    });
    expect(res.status).toBe(200);
    const told = await h.slack.waitForResponse((r) => r.url === responseUrl);
    expect(told.body.response_type).toBe('ephemeral');
    return told.body.blocks === undefined ? String(told.body.text) : `${String(told.body.text)}\n${allText(told.body.blocks)}`;
  }

  it('someone else is refused; the requester’s retry runs once, audited and told through the outbox; a stale button is refused', async () => {
    const h = await start();
    const { ws, view, opId, post } = await createWithFailingGrant(h);
    const button = theButton(post.args.blocks, 'integration_retry_access');
    expect(button.value).toBe(opId);

    // Bob presses the button in the channel message: refused, nothing sent to Portkey.
    expect(await clickInMessage(h, { userId: 'U_BOB', opId, blockId: button.blockId })).toBe(
      'Only <@U_ALICE>, who created the integration, can retry this.',
    );
    expect(h.portkey.requestsTo('PUT', '/integrations/shared-openai/workspaces')).toHaveLength(4);

    // Alice retries from her modal: one PUT with the original request's workspaces, the modal refreshed via the outbox.
    const after = await clickInView(h, view.id, 'integration_retry_access');
    const puts = h.portkey.requestsTo('PUT', '/integrations/shared-openai/workspaces');
    expect(puts).toHaveLength(5);
    expect(puts.at(-1)?.body).toEqual({ workspaces: [{ id: ws.id, enabled: true, create_default_provider: true }] });
    expect(allText(after.blocks)).toContain('Enabled in: Research (research)');
    expect(elementsWithAction(after.blocks, 'integration_retry_access')).toEqual([]);
    await eventually('the follow-up audit rows', async () =>
      (await auditRows(h, opId)).some((a) => a.outcome === 'succeeded' && a.action === 'integration.create.follow_up') ? true : undefined,
    );
    const followUps = (await auditRows(h, opId)).filter((a) => a.action === 'integration.create.follow_up');
    expect(followUps).toEqual([
      {
        actor: 'U_BOB',
        action: 'integration.create.follow_up',
        outcome: 'refused',
        detail: { why: 'Only <@U_ALICE>, who created the integration, can retry this.' },
      },
      {
        actor: 'U_ALICE',
        action: 'integration.create.follow_up',
        outcome: 'started',
        detail: { step: 'enable it in Research (research)' },
      },
      {
        actor: 'U_ALICE',
        action: 'integration.create.follow_up',
        outcome: 'succeeded',
        detail: { step: 'enable it in Research (research)' },
      },
    ]);
    // The modal refresh went through the outbox (and nothing was DM'd for a click in the modal itself).
    const viewNotes = async () =>
      (await peekSqlite(h.app.dataDir).rows('notifications')).filter((n) => n.operation_id === opId && n.kind === 'view');
    await eventually('the modal refresh to be marked sent', async () =>
      (await viewNotes()).every((n) => n.status === 'sent') ? true : undefined,
    );
    expect((await viewNotes()).map((n) => n.status)).toEqual(['sent']);
    expect(h.slack.callsTo('conversations.open')).toEqual([]);
    const op = (await peekSqlite(h.app.dataDir).rows('operations')).find((o) => o.id === opId);
    expect(op).toMatchObject({ status: 'succeeded', lease_owner: null, lease_until: null });
    expect(JSON.parse(String(op?.result_json))).toMatchObject({ enabled: [{ value: ws.id, label: 'Research (research)' }] });
    expect(JSON.parse(String(op?.result_json))).not.toHaveProperty('accessError');

    // The channel message's button is stale now: nothing left to retry, no PUT.
    expect(await clickInMessage(h, { userId: 'U_ALICE', opId, blockId: button.blockId })).toBe(
      'There is nothing left to retry: this step already succeeded.',
    );
    expect(h.portkey.requestsTo('PUT', '/integrations/shared-openai/workspaces')).toHaveLength(5);
  });

  it('a retry that fails again keeps the button and is audited as failed; two clicks at once grant once', async () => {
    const h = await start();
    const { opId, post } = await createWithFailingGrant(h);
    const button = theButton(post.args.blocks, 'integration_retry_access');
    // The next grant fails too (the first PUT and the client's 3 retries of this idempotent call).
    h.portkey.fault({ method: 'PUT', path: '/integrations/shared-openai/workspaces' }, { status: 500 }, 4);
    const told = await clickInMessage(h, { userId: 'U_ALICE', opId, blockId: button.blockId });
    expect(told).toContain('enabling it in the workspaces failed');
    const again = h.slack.responses.at(-1);
    expect(JSON.stringify(again?.body.blocks)).toContain('integration_retry_access');
    expect(h.portkey.requestsTo('PUT', '/integrations/shared-openai/workspaces')).toHaveLength(8);
    const failedRows = (await auditRows(h, opId)).filter((a) => a.action === 'integration.create.follow_up' && a.outcome === 'failed');
    expect(failedRows).toHaveLength(1);

    // Two clicks at once while Portkey takes its time: one holds the lease and grants, the other is refused.
    h.portkey.fault({ method: 'PUT', path: '/integrations/shared-openai/workspaces' }, { afterHandling: true, delayMs: 800 });
    const [a, b] = await Promise.all([
      clickInMessage(h, { userId: 'U_ALICE', opId, blockId: button.blockId }),
      clickInMessage(h, { userId: 'U_ALICE', opId, blockId: button.blockId }),
    ]);
    expect(h.portkey.requestsTo('PUT', '/integrations/shared-openai/workspaces')).toHaveLength(9);
    expect([a, b].filter((t) => t === 'This is already being retried.')).toHaveLength(1);
    expect([a, b].filter((t) => t.includes('Enabled in: Research (research)'))).toHaveLength(1);
    expect(await clickInMessage(h, { userId: 'U_ALICE', opId, blockId: button.blockId })).toBe(
      'There is nothing left to retry: this step already succeeded.',
    );
    expect(h.portkey.requestsTo('PUT', '/integrations/shared-openai/workspaces')).toHaveLength(9);
  });

  // Issue 10 §7: on a Free plan every group lookup answers plan_upgrade_required. The submission, /portkey policy,
  // pending, audit and Approve say so plainly; Retry enabling told the requester to "try again in a moment" — forever.
  it('a retry on a Free-plan workspace whose policy names groups says it is the plan, not a moment', async () => {
    let h = await start();
    const { opId, post } = await createWithFailingGrant(h);
    const dataDir = h.app.dataDir;
    await h.app.stop();
    app = undefined;
    const policy = path.join(fakes.tempDir('claims-groups-policy-'), 'policy.yml');
    writeFileSync(
      policy,
      [
        'version: 1',
        'default: allow',
        'rules:',
        '  - name: interns-no-integrations',
        '    action: integration.create',
        '    groups: [S0INTERNS]',
        '    effect: deny',
        'rate_limits: []',
        '',
      ].join('\n'),
    );
    fakes.slack.setPlan('free');
    h = await start({ DATA_DIR: dataDir, POLICY_FILE: policy });
    const button = theButton(post.args.blocks, 'integration_retry_access');

    const told = await clickInMessage(h, { userId: 'U_ALICE', opId, blockId: button.blockId });
    expect(told).toMatch(/plan doesn't include user groups.*won't pass by trying again/);
    expect(told).not.toMatch(/in a moment/);
    expect(h.portkey.requestsTo('PUT', '/integrations/shared-openai/workspaces')).toHaveLength(4);
  });

  it('a retry after the policy changed to deny the request is refused, with the rule’s reason', async () => {
    let h = await start();
    const { opId, post } = await createWithFailingGrant(h);
    const dataDir = h.app.dataDir;
    await h.app.stop();
    app = undefined;
    // The admin tightens the policy and restarts the app on the same data.
    const policy = path.join(fakes.tempDir('claims-policy-'), 'policy.yml');
    writeFileSync(
      policy,
      [
        'version: 1',
        'default: allow',
        'rules:',
        '  - name: no-openai',
        '    action: integration.create',
        '    providers: [openai]',
        '    effect: deny',
        '    reason: "OpenAI keys are frozen <!channel>."',
        '',
      ].join('\n'),
    );
    h = await start({ DATA_DIR: dataDir, POLICY_FILE: policy });
    const button = theButton(post.args.blocks, 'integration_retry_access');

    const told = await clickInMessage(h, { userId: 'U_ALICE', opId, blockId: button.blockId });
    expect(told).toBe(
      'The policy no longer allows this: OpenAI keys are frozen &lt;!channel&gt;. Ask a Portkey admin to enable it in the workspaces.',
    );
    expect(h.portkey.requestsTo('PUT', '/integrations/shared-openai/workspaces')).toHaveLength(4);
    const refused = (await auditRows(h, opId)).filter((a) => a.action === 'integration.create.follow_up');
    expect(refused).toEqual([
      { actor: 'U_ALICE', action: 'integration.create.follow_up', outcome: 'refused', detail: { why: told, rule: 'no-openai' } },
    ]);
  });
});

describe('"Retry enabling" is bounded', () => {
  async function failingForever(h: TestEnv) {
    const ws = h.portkey.seedWorkspace({ name: 'Research', slug: 'research' });
    h.portkey.fault({ method: 'PUT', path: '/integrations/bounded-openai/workspaces' }, { status: 500 }, 1000);
    const { result } = await submitAs(
      h,
      'U_ALICE',
      { int_name: 'Bounded OpenAI', int_key__openai: ALICE_KEY },
      { int_access: [{ value: ws.id, text: 'Research (research)' }] },
    );
    const opId = theButton(result.blocks, 'integration_retry_access').value;
    if (!opId) throw new Error('no Retry enabling button');
    const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_U_ALICE');
    return { opId, button: theButton(post.args.blocks, 'integration_retry_access') };
  }
  async function click(h: TestEnv, userId: string, opId: string, blockId: string): Promise<string> {
    const responseUrl = h.slack.responseUrl();
    const res = await h.app.driver.blockAction({
      actionId: 'integration_retry_access',
      blockId,
      value: opId,
      userId,
      channelId: 'C_U_ALICE',
      responseUrl,
    });
    expect(res.status).toBe(200);
    const told = await h.slack.waitForResponse((r) => r.url === responseUrl);
    return told.body.blocks === undefined ? String(told.body.text) : `${String(told.body.text)}\n${allText(told.body.blocks)}`;
  }
  const puts = (h: TestEnv) => h.portkey.requestsTo('PUT', '/integrations/bounded-openai/workspaces').length;

  it('a grant that keeps failing: the requester can retry 3 times an hour, then is refused before Portkey is asked', async () => {
    const h = await start();
    const { opId, button } = await failingForever(h);
    const first = puts(h);
    for (let i = 0; i < 3; i++) expect(await click(h, 'U_ALICE', opId, button.blockId)).toContain('enabling it in the workspaces failed');
    const afterThree = puts(h);
    expect(afterThree).toBeGreaterThan(first);
    for (let i = 0; i < 5; i++)
      expect(await click(h, 'U_ALICE', opId, button.blockId)).toMatch(
        /^This was retried 3 times already this hour\. Try again after <!date\^/,
      );
    expect(puts(h)).toBe(afterThree);
  });

  it('someone else pressing the button again and again: told every time, audited once a minute', async () => {
    const h = await start();
    const { opId, button } = await failingForever(h);
    for (let i = 0; i < 6; i++)
      expect(await click(h, 'U_BOB', opId, button.blockId)).toBe('Only <@U_ALICE>, who created the integration, can retry this.');
    const refused = (await auditRows(h, opId)).filter((a) => a.action === 'integration.create.follow_up' && a.outcome === 'refused');
    expect(refused).toHaveLength(1);
  });
});
