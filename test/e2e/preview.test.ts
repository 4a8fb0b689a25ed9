import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { peekSqlite, sqliteBytes } from '../support/db.js';
import { fillView, type FillableView } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import type { SlackCall } from '../support/fake-slack.js';
import { LIFT_BUILT_IN_RULES } from '../support/policy.js';
import { allText, record, theButton } from '../support/payload.js';
import { checkView } from '../support/view-limits.js';
import { fill, openForm, storedView, type Inputs, type MultiInputs } from './integration-helpers.js';

// Issue 13 §7, end to end: "Preview" on a form pushes a view with the policy's decision and the Portkey calls the
// request would make — and nothing else happens: no write reaches Portkey, no operation is stored, no quota is taken.

const POLICY = `
version: 1
default: allow
approvals_channel: C0APPROVALS
admins:
  users: [UADMIN]
rules:
  - name: contractors-ask-first
    action: workspace.create
    groups: [S0CONTRACTORS]
    effect: require_approval
    approvers:
      users: [UAPPROVER]
  - name: anthropic-needs-approval
    action: integration.create
    providers: [anthropic]
    effect: require_approval
    reason: Anthropic spend is reviewed.
    approvers:
      users: [UAPPROVER]
  - name: no-groq
    action: integration.create
    providers: [groq]
    effect: deny
    reason: Groq is not approved here.
${LIFT_BUILT_IN_RULES}rate_limits:
  - action: workspace.create
    max: 2
    window: 1h
    per: user
`;
const dir = mkdtempSync(path.join(tmpdir(), 'portkey-preview-policy-'));
const policyFile = path.join(dir, 'policy.yml');
writeFileSync(policyFile, POLICY);

const h = useTestEnv({ env: { POLICY_FILE: policyFile } });

beforeAll(() => {
  h.slack.setUsergroup('S0CONTRACTORS', ['UCONTRACTOR']);
});

const CANARY = 'sk-preview-canary-7f3a9c1e5b2d4086';

/** Clicks Preview on the form filled with `inputs`; resolves with the pushed preview once the app has filled it in. */
async function preview(form: FillableView, inputs: Inputs, multi: MultiInputs = {}, userId = 'U_ALICE', keepOpen = false) {
  const pushesBefore = h.slack.callsTo('views.push').length;
  const button = theButton(form.blocks, 'form_preview');
  const res = await h.app.driver.blockAction({
    actionId: 'form_preview',
    blockId: button.blockId,
    view: fill(form, inputs, multi),
    userId,
  });
  expect(res.status).toBe(200);
  const push = await h.slack.waitFor('views.push', (c) => h.slack.callsTo('views.push').indexOf(c) >= pushesBefore);
  expect(push.error).toBeUndefined();
  const pushedId = String(record(push.response?.view, 'pushed view').id);
  const update = await h.slack.waitFor('views.update', (c) => c.args.view_id === pushedId, 10_000);
  expect(update.error).toBeUndefined();
  const view = record(update.args.view, 'preview view');
  expect(checkView(view)).toEqual([]);
  // "Back to the form": Slack pops the pushed view and shows the form again (a modal holds 3 views at most).
  if (!keepOpen) h.slack.closeView(pushedId);
  return { push, update, view, text: allText(view.blocks), pushedId };
}

async function operations(): Promise<unknown[]> {
  return peekSqlite(h.app.dataDir).rows('operations');
}

/** Every Slack call and every log line, as one string: what a secret must never be in. */
function everythingSeen(): string {
  return JSON.stringify(h.slack.calls) + h.app.logs.join('\n');
}

async function openWorkspaceForm(userId = 'U_ALICE'): Promise<FillableView> {
  const triggerId = `trigger-ws-${Math.random()}`;
  await h.app.driver.command({ text: 'workspace create', triggerId, userId });
  const open = await h.slack.waitFor('views.open', (c: SlackCall) => c.args.trigger_id === triggerId);
  return storedView(h.slack, String(record(open.response?.view, 'opened view').id));
}

describe('Preview on the workspace form', () => {
  it('pushes the decision and the exact create body, and nothing is created, stored or counted', async () => {
    const form = await openWorkspaceForm('U_PREVIEWER');
    const inputs = { ws_name: 'Data Science', ws_slug: 'data-science', ws_metadata: 'team=data\ncost_center=cc-42' };
    const before = (await operations()).length;
    // More previews than the rate limit (2 an hour) allows creates.
    for (let i = 0; i < 3; i++) {
      const shown = await preview(form, inputs, {}, 'U_PREVIEWER');
      expect(shown.push.args.view).toMatchObject({ callback_id: 'request_preview', close: { text: 'Back to the form' } });
      expect(shown.text).toContain('Allowed');
      expect(shown.text).toContain('the policy default');
      expect(shown.text).toContain('POST /admin/workspaces');
      expect(shown.text).toContain(
        JSON.stringify(
          { name: 'Data Science', defaults: { metadata: { team: 'data', cost_center: 'cc-42' } }, slug: 'data-science' },
          null,
          2,
        ),
      );
      expect(shown.text).toContain('only if Portkey’s answer to the create is lost'.replace('’', "'"));
    }
    expect(h.portkey.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(h.portkey.requestsTo('GET', '/admin/workspaces')).toEqual([]);
    expect(await operations()).toHaveLength(before);
    expect(h.slack.callsTo('chat.postMessage')).toEqual([]);
    // The form was never touched: Slack shows it again as it was left when the preview is closed.
    expect(h.slack.views.get(form.id)?.updates).toBe(0);

    // The quota is whole: two real creates are still allowed.
    for (const name of ['First', 'Second']) {
      const f = await openWorkspaceForm('U_PREVIEWER');
      const res = await h.app.driver.viewSubmission({ view: fillView(f, { ws_name: name }), userId: 'U_PREVIEWER' });
      expect(record(res.json, 'ack').response_action).toBe('update');
    }
    await expect.poll(() => h.portkey.requestsTo('POST', '/admin/workspaces').length).toBe(2);
    // And now a preview tells the truth about the limit.
    const limited = await preview(await openWorkspaceForm('U_PREVIEWER'), { ws_name: 'Third' }, {}, 'U_PREVIEWER');
    expect(limited.text).toContain('Over a rate limit');
    expect(limited.text).toContain('2 workspaces per person every hour');
  });

  it('an invalid form: the preview says what is wrong, by field, instead of calls', async () => {
    const form = await openWorkspaceForm();
    const shown = await preview(form, { ws_name: '', ws_slug: 'Not A Slug' });
    expect(shown.text).toContain('Name:');
    expect(shown.text).toContain('Give the workspace a name.');
    expect(shown.text).toContain('Slug:');
    expect(shown.text).not.toContain('POST /admin/workspaces');
    expect(h.portkey.requests).toEqual([]);
  });
});

describe('Preview on the integration form', () => {
  it('shows the reads it made, the create and the grant with the key masked; the canary is nowhere', async () => {
    const research = h.portkey.seedWorkspace({ name: 'Research', slug: 'research' });
    const form = await openForm(h, 'integration create openai');
    const before = (await operations()).length;
    const shown = await preview(
      form,
      { int_name: 'OpenAI prod', int_key__openai: CANARY, int_description: 'main account' },
      { int_access: [{ value: research.id, text: 'a label the client made up' }] },
    );
    expect(shown.text).toContain('Allowed');
    const calls = [...shown.text.matchAll(/\d+\. `(GET|POST|PUT) ([^`]+)`/g)].map((m) => `${m[1]} ${m[2]}`);
    expect(calls).toEqual([
      `GET /admin/workspaces/${research.id}`,
      'GET /integrations/openai-prod',
      'POST /integrations',
      'GET /integrations/openai-prod',
      'GET /integrations/openai-prod-2',
      'PUT /integrations/openai-prod/workspaces',
      'GET /integrations/openai-prod',
    ]);
    expect(shown.text).toContain('Portkey calls it Research (slug research)');
    expect(shown.text).not.toContain('a label the client made up');
    expect(shown.text).toContain('"key": "••••"');
    expect(shown.text).toContain(
      JSON.stringify({ workspaces: [{ id: research.id, enabled: true, create_default_provider: true }] }, null, 2),
    );
    // The one read the submission makes too; no write.
    expect(h.portkey.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /admin/workspaces/${research.id}`]);
    expect(await operations()).toHaveLength(before);
    expect(everythingSeen()).not.toContain(CANARY);
    // Nothing of the key reached the store either (the database and its write-ahead log, as bytes).
    expect(sqliteBytes(h.app.dataDir).includes(CANARY)).toBe(false);
  });

  it('a rule that needs approval: the preview names it, its reason and approvers, and posts no approval request', async () => {
    const form = await openForm(h, 'integration create anthropic');
    const shown = await preview(form, { int_name: 'Claude', int_key__anthropic: CANARY });
    expect(shown.text).toContain('Needs approval');
    expect(shown.text).toContain('`anthropic-needs-approval`');
    expect(shown.text).toContain('Anthropic spend is reviewed.');
    expect(shown.text).toContain('<@UAPPROVER>');
    expect(h.slack.callsTo('chat.postMessage')).toEqual([]);
    expect(h.portkey.requests).toEqual([]);
    expect(everythingSeen()).not.toContain(CANARY);
  });

  it('a denied provider: the preview says so, with the rule, and what it would have sent', async () => {
    const form = await openForm(h, 'integration create groq');
    const shown = await preview(form, { int_name: 'Groq', int_key__groq: CANARY });
    expect(shown.text).toContain('Not allowed');
    expect(shown.text).toContain('`no-groq`');
    expect(shown.text).toContain('Groq is not approved here.');
    expect(shown.text).toContain('were it allowed');
    expect(everythingSeen()).not.toContain(CANARY);
  });

  it('an invalid integration form: what to fix, by field label, and not a look-up made', async () => {
    const ws = h.portkey.seedWorkspace({ name: 'Unused', slug: 'unused' });
    const form = await openForm(h, 'integration create openai');
    const shown = await preview(form, { int_name: 'No key yet' }, { int_access: [{ value: ws.id, text: 'Unused' }] });
    expect(shown.text).toContain('isn’t ready to submit yet');
    expect(shown.text).toContain('• *OpenAI API key:* Paste the OpenAI API key, or choose a secret reference below.');
    expect(shown.text).not.toContain('POST /integrations');
    expect(h.portkey.requests).toEqual([]);
  });

  it('a form whose fields belong to an earlier choice is redrawn, as a submission would, and the preview says so', async () => {
    const form = await openForm(h, 'integration create openai');
    // The provider select says Anthropic, but the redraw never landed: OpenAI's fields are still shown.
    const shown = await preview(form, { int_provider: 'anthropic', int_name: 'Switched', int_key__openai: CANARY });
    expect(shown.text).toContain('so it was redrawn');
    const redraw = await h.slack.waitFor('views.update', (c) => c.args.view_id === form.id);
    expect(JSON.stringify(record(redraw.args.view, 'form').blocks)).toContain('int_key__anthropic');
    expect(h.portkey.requests).toEqual([]);
    expect(everythingSeen()).not.toContain(CANARY);
  });

  it('a secret reference is shown by its id and the name Portkey holds', async () => {
    const ref = h.portkey.seedSecretReference({ name: 'team-openai', slug: 'team-openai' });
    const form = await openForm(h, 'integration create openai');
    const shown = await preview(form, { int_name: 'Via ref', int_secretref__openai: { value: ref.id, text: 'not what Portkey says' } }, {});
    expect(shown.text).toContain(`secret reference team-openai (id ${ref.id})`);
    expect(shown.text).not.toContain('not what Portkey says');
    expect(h.portkey.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`GET /secret-references/${ref.id}`]);
  });
});

describe('previews are bounded', () => {
  it('the 13th preview in a minute looks nothing up and says to wait', async () => {
    const ws = h.portkey.seedWorkspace({ name: 'Busy', slug: 'busy' });
    const form = await openForm(h, 'integration create openai', { userId: 'U_CLICKER' });
    const inputs = { int_name: 'Busy one', int_key__openai: CANARY };
    const multi = { int_access: [{ value: ws.id, text: 'Busy' }] };
    for (let i = 0; i < 12; i++) expect((await preview(form, inputs, multi, 'U_CLICKER')).text).toContain('POST /integrations');
    const refused = await preview(form, inputs, multi, 'U_CLICKER');
    expect(refused.text).toContain('That is 12 previews in a minute');
    expect(h.portkey.requestsTo('GET', `/admin/workspaces/${ws.id}`)).toHaveLength(12);
    // Someone else previews as usual.
    expect((await preview(form, inputs, multi, 'U_OTHER')).text).toContain('POST /integrations');
    expect(everythingSeen()).not.toContain(CANARY);
  });
});

describe('an admin previews as someone else', () => {
  /** Picks `userId` in the preview's "Decide as someone else"; resolves with the preview as updated. */
  async function decideAs(shown: { pushedId: string; view: Record<string, unknown> }, userId: string, clicker: string) {
    const updates = h.slack.callsTo('views.update').length;
    const res = await h.app.driver.blockAction({
      actionId: 'preview_as',
      blockId: 'preview_as',
      selectedUser: userId,
      userId: clicker,
      view: { id: shown.pushedId, callback_id: 'request_preview', ...shown.view },
    });
    expect(res.status).toBe(200);
    const update = await h.slack.waitFor(
      'views.update',
      (c) => h.slack.callsTo('views.update').indexOf(c) >= updates && c.args.view_id === shown.pushedId,
    );
    const view = record(update.args.view, 'preview view');
    expect(checkView(view)).toEqual([]);
    return allText(view.blocks);
  }

  it('shows the same request decided for them (their groups), keeps the calls, and audits it', async () => {
    const form = await openWorkspaceForm('UADMIN');
    const shown = await preview(form, { ws_name: 'Contractor space' }, {}, 'UADMIN', true);
    expect(shown.text).toContain('Allowed');
    expect(shown.text).toContain('POST /admin/workspaces');
    expect(JSON.stringify(shown.view.blocks)).toContain('"action_id":"preview_as"');

    const text = await decideAs(shown, 'UCONTRACTOR', 'UADMIN');
    expect(text).toContain('As <@UCONTRACTOR>');
    expect(text).toContain('Needs approval');
    expect(text).toContain('`contractors-ask-first`');
    expect(text).not.toContain('*Allowed*');
    expect(text).toContain('POST /admin/workspaces');
    const audit = await peekSqlite(h.app.dataDir).rows('audit');
    expect(audit.filter((r) => r.action === 'workspace.create.preview_as')).toEqual([
      expect.objectContaining({ actor_id: 'UADMIN', target: 'UCONTRACTOR', outcome: 'previewed' }),
    ]);
    expect(h.portkey.requests.filter((r) => r.method !== 'GET')).toEqual([]);
    expect(h.slack.callsTo('chat.postMessage')).toEqual([]);
  });

  it('someone who is not an admin gets no picker, and a forged pick is refused and audited', async () => {
    const form = await openWorkspaceForm('U_ALICE');
    const shown = await preview(form, { ws_name: 'Mine' }, {}, 'U_ALICE', true);
    expect(JSON.stringify(shown.view.blocks)).not.toContain('"action_id":"preview_as"');
    const forged = JSON.stringify({ action: 'workspace.create', teamId: 'T0001', request: { draft: {} }, subject: {} });
    const text = await decideAs({ pushedId: shown.pushedId, view: { ...shown.view, private_metadata: forged } }, 'UCONTRACTOR', 'U_ALICE');
    expect(text).toContain('Only the policy’s admins may preview a request as someone else.');
    expect(text).not.toContain('As <@UCONTRACTOR>');
    const audit = await peekSqlite(h.app.dataDir).rows('audit');
    expect(audit.filter((r) => r.action === 'workspace.create.preview_as' && r.outcome === 'refused')).toEqual([
      expect.objectContaining({ actor_id: 'U_ALICE', target: 'UCONTRACTOR' }),
    ]);
  });
});
