import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { peekSqlite } from '../support/db.js';
import { fillView, viewFrom } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import { allText, isRecord, record, theButton } from '../support/payload.js';
import { eventually } from '../support/wait.js';
import { fill, openForm } from './integration-helpers.js';

// Issue 10 §2 end to end: everything that decides where a key goes is governed. Signed requests into the real app;
// the evidence is what reached the fake Portkey and the fake Slack, and what the operation row holds.

const PROD_ID = 'ws-prod-e2e-0001';

const POLICY = `
version: 1
default: allow
approvals_channel: C0APPROVALS
admins:
  users: [UADMIN]
rules:
  - name: openai-needs-approval
    action: integration.create
    providers: [openai]
    effect: require_approval
    approvers:
      users: [UAPPROVER]
  - name: team-secret-references
    action: integration.create
    secret_references: ["team-*"]
    effect: allow
  - name: production-needs-approval
    action: integration.create
    workspaces: [${PROD_ID}]
    effect: require_approval
    approvers:
      users: [UAPPROVER]
  - name: no-keys-to-the-legacy-proxy
    action: integration.create
    custom_hosts: ["https://llm-proxy.example.com/v1/*"]
    effect: deny
    reason: "The legacy proxy is being shut down."
  - name: no-workspaces-for-contractors
    action: workspace.create
    users: [UCONTRACTOR]
    channels: [C0PROJECTS]
    effect: deny
    reason: "Contractors don't create workspaces."
  - name: default-workspace-is-for-admins
    action: workspace.create
    default_workspace: true
    effect: deny
    reason: "Only admins change the default workspace."
`;
const policyDir = mkdtempSync(path.join(tmpdir(), 'portkey-policy-where-'));
const policyFile = path.join(policyDir, 'policy.yml');
writeFileSync(policyFile, POLICY);

const h = useTestEnv({ env: { POLICY_FILE: policyFile } });

const KEY = 'gsk-CANARY-where-0123456789abcdef';

async function operationCount(): Promise<number> {
  return (await peekSqlite(h.app.dataDir).rows('operations')).length;
}

async function operationRow(opId: string) {
  const rows = await peekSqlite(h.app.dataDir).rows('operations');
  const row = rows.find((r) => r.id === opId);
  if (!row) throw new Error(`no operation ${opId}`);
  return {
    status: String(row.status),
    governance: JSON.parse(String(row.governance_json)) as unknown,
    request: JSON.parse(String(row.request_json)) as unknown,
  };
}

function ackedView(json: unknown): Record<string, unknown> {
  const ack = record(json, 'ack');
  expect(ack.response_action, JSON.stringify(ack.errors)).toBe('update');
  return record(ack.view, 'the view in the ack');
}

function opIdOf(view: Record<string, unknown>): string {
  return JSON.parse(String(view.private_metadata)).operationId as string;
}

function optionsOf(json: unknown): Array<{ value: string; text: string }> {
  const options = record(json, 'options ack').options;
  if (!Array.isArray(options)) throw new Error('no options');
  return options.map((o: unknown) => {
    const r = record(o, 'option');
    return { value: String(r.value), text: String(record(r.text, 'text').text) };
  });
}

beforeAll(() => {
  h.slack.setUsergroup('S0NOBODY', []);
});

describe('a custom host is governed', () => {
  it('groq with custom_host https://api.openai.com/v1 under "openai needs approval": sent to the admins for approval by the built-in rule', async () => {
    const view = await openForm(h, 'integration create groq', { userId: 'UMALLORY', channelId: 'C0GEN' });
    const res = await h.app.driver.viewSubmission({
      view: fill(view, { int_name: 'Not OpenAI', int_key__groq: KEY, int_custom_host: 'https://api.openai.com/v1' }),
      userId: 'UMALLORY',
    });
    const shown = ackedView(res.json);
    const text = allText(shown.blocks);
    expect(text).toContain('was *sent for approval* to <@UADMIN> in <#C0APPROVALS>');
    expect(text).toContain('`custom-host-needs-approval`');
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);

    const op = await operationRow(opIdOf(shown));
    expect(op.status).toBe('awaiting_approval');
    expect(op.governance).toEqual({
      effect: 'require_approval',
      rule: 'custom-host-needs-approval',
      reason: 'An integration with a custom host needs approval unless a policy rule allows that host (custom_hosts).',
      approvers: { users: ['UADMIN'], groups: [] },
      allowSelfApproval: false,
      channel: 'C0APPROVALS',
      reservations: [],
    });
    const post = await h.slack.waitFor(
      'chat.postMessage',
      (c) => c.args.channel === 'C0APPROVALS' && allText(c.args.blocks).includes('<@UMALLORY>'),
    );
    expect(post.error).toBeUndefined();
    expect(JSON.stringify(post.args)).not.toContain(KEY);

    // The admin approves: created once, with the custom host as asked.
    const approve = theButton(post.args.blocks, 'approval_approve');
    const click = await h.app.driver.blockAction({
      actionId: 'approval_approve',
      blockId: approve.blockId,
      value: approve.value ?? '',
      userId: 'UADMIN',
      channelId: 'C0APPROVALS',
      responseUrl: h.slack.responseUrl(),
    });
    expect(click.status).toBe(200);
    await eventually('the integration to be created', () => h.portkey.integrations.length === 1);
    expect(h.portkey.requestsTo('POST', '/integrations').map((r) => r.body)).toEqual([
      {
        name: 'Not OpenAI',
        slug: 'not-openai',
        ai_provider_id: 'groq',
        key: KEY,
        configurations: { custom_host: 'https://api.openai.com/v1' },
      },
    ]);
  });
});

describe('a deny rule on a host holds however the URL is spelled', () => {
  it.each([
    'https://llm-proxy.example.com/v1',
    'https://llm-proxy.example.com//v1/chat',
    'https://llm-proxy.example.com:8443/v1',
    'https://LLM-PROXY.example.com/%76%31',
  ])('groq with custom host %s: denied by the rule, nothing created', async (host) => {
    const view = await openForm(h, 'integration create groq', { userId: 'UMALLORY', channelId: 'C0GEN' });
    const res = await h.app.driver.viewSubmission({
      view: fill(view, { int_name: 'Via the proxy', int_key__groq: KEY, int_custom_host: host }),
      userId: 'UMALLORY',
    });
    const shown = ackedView(res.json);
    expect(allText(shown.blocks)).toContain('The legacy proxy is being shut down.');
    const op = await operationRow(opIdOf(shown));
    expect(op).toMatchObject({ status: 'denied', governance: { effect: 'deny', rule: 'no-keys-to-the-legacy-proxy' } });
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
  });
});

describe('secret references are governed', () => {
  it('the picker offers only the references a rule lets this person use; a crafted submission with the org reference is refused', async () => {
    const org = h.portkey.seedSecretReference({ name: 'Org production OpenAI', slug: 'org-prod-openai' });
    const team = h.portkey.seedSecretReference({ name: 'team-research key', slug: 'team-research' });
    const view = await openForm(h, 'integration create groq', { userId: 'UMALLORY', channelId: 'C0GEN' });

    const offered = await h.app.driver.options({
      actionId: 'int_secret_ref_search',
      blockId: 'int_secretref__groq',
      value: '',
      userId: 'UMALLORY',
      view: fillView(view, {}),
    });
    expect(offered.status).toBe(200);
    expect(optionsOf(offered.json)).toEqual([{ value: team.id, text: 'team-research key' }]);

    // Crafted: the org reference's id, labelled like the team one.
    const res = await h.app.driver.viewSubmission({
      view: fill(view, { int_name: 'Borrowed key', int_secretref__groq: { value: org.id, text: 'team-research key' } }),
      userId: 'UMALLORY',
    });
    const shown = ackedView(res.json);
    expect(allText(shown.blocks)).toContain('*Not allowed.* The policy does not let you use this secret reference.');
    expect(allText(shown.blocks)).toContain('`secret-reference-not-allowed`');
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
    const op = await operationRow(opIdOf(shown));
    expect(op.status).toBe('denied');
    expect(op.governance).toMatchObject({ effect: 'deny', rule: 'secret-reference-not-allowed' });
    // Decided on Portkey's name for the id, which is what is stored too.
    expect(record(op.request, 'request').resolved).toEqual({
      access: [],
      secretRef: { id: org.id, name: 'Org production OpenAI', slug: 'org-prod-openai' },
    });
    expect(h.portkey.requestsTo('GET', `/secret-references/${org.id}`)).toHaveLength(1);
  });

  it('the allowed reference is created with it', async () => {
    const team = h.portkey.seedSecretReference({ name: 'team-research key', slug: 'team-research' });
    const view = await openForm(h, 'integration create groq', { userId: 'UMEMBER', channelId: 'C0GEN' });
    const res = await h.app.driver.viewSubmission({
      view: fill(view, { int_name: 'Team Groq', int_secretref__groq: { value: team.id, text: team.name } }),
      userId: 'UMEMBER',
    });
    ackedView(res.json);
    await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0GEN');
    expect(h.portkey.requestsTo('POST', '/integrations').map((r) => r.body)).toEqual([
      {
        name: 'Team Groq',
        slug: 'team-groq',
        ai_provider_id: 'groq',
        secret_mappings: [{ target_field: 'key', secret_reference_id: team.id }],
      },
    ]);
  });

  it('a secret reference sent to a custom host needs approval, even though a rule allows the reference', async () => {
    const team = h.portkey.seedSecretReference({ name: 'team-research key', slug: 'team-research' });
    const view = await openForm(h, 'integration create groq', { userId: 'UMEMBER', channelId: 'C0GEN' });
    const res = await h.app.driver.viewSubmission({
      view: fill(view, {
        int_name: 'Team via proxy',
        int_custom_host: 'https://proxy.mallory.example/v1',
        int_secretref__groq: { value: team.id, text: team.name },
      }),
      userId: 'UMEMBER',
    });
    const op = await operationRow(opIdOf(ackedView(res.json)));
    expect(op.status).toBe('awaiting_approval');
    expect(op.governance).toMatchObject({ rule: 'secret-reference-to-custom-host', approvers: { users: ['UADMIN'], groups: [] } });
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
  });
});

describe('a secret reference sent through a base-URL field, not custom_host', () => {
  it("Hugging Face with the team reference and Mallory's base URL: needs the admins' approval; nothing is created", async () => {
    const team = h.portkey.seedSecretReference({ name: 'team-research key', slug: 'team-research-hf' });
    const view = await openForm(h, 'integration create huggingface', { userId: 'UMEMBER', channelId: 'C0GEN' });
    const res = await h.app.driver.viewSubmission({
      view: fill(view, {
        int_name: 'HF via Mallory',
        int_f__huggingface__huggingface_base_url: 'https://collector.mallory.example',
        int_secretref__huggingface: { value: team.id, text: team.name },
      }),
      userId: 'UMEMBER',
    });
    const op = await operationRow(opIdOf(ackedView(res.json)));
    expect(op.status).toBe('awaiting_approval');
    expect(op.governance).toMatchObject({
      rule: 'secret-reference-to-custom-host',
      approvers: { users: ['UADMIN'], groups: [] },
      allowSelfApproval: false,
    });
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
  });
});

describe('workspaces are resolved in Portkey before the policy decides', () => {
  it('a crafted label "Mallory sandbox" carrying the Production id: decided and stored as Portkey names it', async () => {
    h.portkey.seedWorkspace({ id: PROD_ID, name: 'Production', slug: 'production' });
    const view = await openForm(h, 'integration create groq', { userId: 'UMALLORY', channelId: 'C0GEN' });
    const res = await h.app.driver.viewSubmission({
      view: fill(view, { int_name: 'Sandbox Groq', int_key__groq: KEY }, { int_access: [{ value: PROD_ID, text: 'Mallory sandbox' }] }),
      userId: 'UMALLORY',
    });
    const shown = ackedView(res.json);
    const op = await operationRow(opIdOf(shown));
    expect(op.status).toBe('awaiting_approval');
    expect(op.governance).toMatchObject({ rule: 'production-needs-approval', approvers: { users: ['UAPPROVER'], groups: [] } });
    const request = record(op.request, 'request');
    expect(request.resolved).toEqual({ access: [{ id: PROD_ID, name: 'Production', slug: 'production' }] });
    expect(JSON.stringify(request.resolved)).not.toContain('Mallory');
    expect(h.portkey.requestsTo('GET', `/admin/workspaces/${PROD_ID}`)).toHaveLength(1);
  });

  it('an id Portkey does not know: refused on the picker, nothing stored or created', async () => {
    const before = await operationCount();
    const view = await openForm(h, 'integration create groq', { userId: 'UMALLORY', channelId: 'C0GEN' });
    const res = await h.app.driver.viewSubmission({
      view: fill(view, { int_name: 'Ghost', int_key__groq: KEY }, { int_access: [{ value: 'ws-does-not-exist', text: 'Sandbox' }] }),
      userId: 'UMALLORY',
    });
    expect(record(res.json, 'ack')).toEqual({
      response_action: 'errors',
      errors: { int_access: 'Portkey has no such workspace that this app can see. Choose them from the list.' },
    });
    expect(await operationCount()).toBe(before);
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
  });

  it("Portkey too slow to answer: fails closed within Slack's 3 s with a form error that asks to submit again", async () => {
    h.portkey.seedWorkspace({ id: PROD_ID, name: 'Production', slug: 'production' });
    h.portkey.fault({ method: 'GET', path: `/admin/workspaces/${PROD_ID}` }, { delayMs: 4000 });
    const before = await operationCount();
    const view = await openForm(h, 'integration create groq', { userId: 'UMALLORY', channelId: 'C0GEN' });
    const started = Date.now();
    const res = await h.app.driver.viewSubmission({
      view: fill(view, { int_name: 'Slow', int_key__groq: KEY }, { int_access: [{ value: PROD_ID, text: 'Production' }] }),
      userId: 'UMALLORY',
    });
    expect(Date.now() - started).toBeLessThan(2900);
    expect(record(res.json, 'ack')).toEqual({
      response_action: 'errors',
      errors: { int_access: "Couldn't check these workspaces with Portkey just now; submit again." },
    });
    expect(await operationCount()).toBe(before);
  });
});

describe('workspace.create: channels and the default-workspace flag', () => {
  async function submitWorkspace(userId: string, channelId: string, name: string, inputs: Record<string, string[]> = {}) {
    const triggerId = `where-${Math.random()}`;
    const cmd = await h.app.driver.command({ text: `workspace create ${name}`, triggerId, userId, channelId });
    expect(cmd.status).toBe(200);
    const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
    const res = await h.app.driver.viewSubmission({ view: fillView(viewFrom(open, h.slack.views), inputs), userId });
    expect(res.status).toBe(200);
    return ackedView(res.json);
  }

  it.each([
    ["the rule's channel", 'C0PROJECTS'],
    ['a DM', 'D0DIRECT'],
    ['another channel', 'C0ELSEWHERE'],
  ])('a channel-scoped deny holds in %s', async (_where, channelId) => {
    const shown = await submitWorkspace('UCONTRACTOR', channelId, 'Contractor space');
    expect(allText(shown.blocks)).toContain("*Not allowed.* Contractors don't create workspaces.");
    const op = await operationRow(opIdOf(shown));
    expect(op.governance).toMatchObject({ effect: 'deny', rule: 'no-workspaces-for-contractors' });
    expect(h.portkey.requestsTo('POST', '/admin/workspaces')).toEqual([]);
  });

  it('"make this the default workspace" is a criterion: denied with it, created without it', async () => {
    const denied = await submitWorkspace('UMEMBER', 'C0GEN', 'New default', { ws_default: ['default'] });
    expect((await operationRow(opIdOf(denied))).governance).toMatchObject({ effect: 'deny', rule: 'default-workspace-is-for-admins' });
    expect(h.portkey.requestsTo('POST', '/admin/workspaces')).toEqual([]);

    await submitWorkspace('UMEMBER', 'C0GEN', 'Ordinary');
    await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0GEN');
    expect(h.portkey.requestsTo('POST', '/admin/workspaces').map((r) => isRecord(r.body) && r.body.name)).toEqual(['Ordinary']);
  });
});
