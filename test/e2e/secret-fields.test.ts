import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { peekSqlite } from '../support/db.js';
import { useTestEnv } from '../support/env.js';
import { allText, record, theButton } from '../support/payload.js';
import {
  chooseAuthMode,
  fill,
  leaksOf,
  openForm,
  storedView,
  submit,
  submitForResult,
  theCreateBody,
  theIntegration,
} from './integration-helpers.js';

// Issue 13 §6 end to end: a secret reference for every secret field of the catalog (AWS access key id and secret,
// Entra client secret, Vertex service-account key), each one sent as its own `secret_mappings` target, each one
// looked up in Portkey and judged by the policy by id and name, each one named to approvers as Portkey holds it.

const POLICY = `
version: 1
default: allow
approvals_channel: C0APPROVALS
admins:
  users: [UADMIN]
rules:
  - name: team-secret-references
    action: integration.create
    secret_references: ["team-*"]
    effect: allow
  - name: sagemaker-needs-approval
    action: integration.create
    providers: [sagemaker]
    effect: require_approval
    approvers:
      users: [UAPPROVER]
`;
const policyDir = mkdtempSync(path.join(tmpdir(), 'portkey-policy-secret-fields-'));
const policyFile = path.join(policyDir, 'policy.yml');
writeFileSync(policyFile, POLICY);

const h = useTestEnv({ env: { POLICY_FILE: policyFile } });

const CANARY_AWS_KEY_ID = 'AKIACANARYREF9F8E7D6C';

const ID_BLOCK = (provider: string) => `int_secretref__${provider}__accessKey__aws_access_key_id`;
const SECRET_BLOCK = (provider: string) => `int_secretref__${provider}__accessKey__aws_secret_access_key`;

/** The operation by its id, or by the name its draft asks for (a request that ran at once shows no id in its view). */
async function operationRow(opId: string, name?: string) {
  const rows = await peekSqlite(h.app.dataDir).rows('operations');
  const row = rows.find((r) => r.id === opId || (name !== undefined && String(r.request_json).includes(`"name":"${name}"`)));
  if (!row) throw new Error(`no operation ${opId}`);
  return {
    status: String(row.status),
    governance: JSON.parse(String(row.governance_json)) as unknown,
    request: record(JSON.parse(String(row.request_json)), 'request'),
  };
}

function ackedView(json: unknown): Record<string, unknown> {
  const ack = record(json, 'ack');
  expect(ack.response_action, JSON.stringify(ack.errors)).toBe('update');
  return record(ack.view, 'the view in the ack');
}

const opIdOf = (view: Record<string, unknown>): string => JSON.parse(String(view.private_metadata)).operationId as string;

function seedAwsRefs() {
  return {
    id: h.portkey.seedSecretReference({ name: 'team-aws-access-key-id', slug: 'team-aws-id' }),
    secret: h.portkey.seedSecretReference({ name: 'team-aws-secret', slug: 'team-aws-secret' }),
    org: h.portkey.seedSecretReference({ name: 'Org AWS production secret', slug: 'org-aws-secret' }),
  };
}

describe('secret references for the AWS access key pair', () => {
  it('Bedrock with both AWS fields as references: each its own target_field, no credential in configurations', async () => {
    const refs = seedAwsRefs();
    const view = await openForm(h, 'integration create bedrock', { userId: 'UMEMBER', channelId: 'C0GEN' });
    // Beside each secret field, its own reference picker, and the typed input is optional in Slack.
    const blocks = view.blocks.map((b) => record(b, 'block'));
    const byId = (id: string) => blocks.find((b) => b.block_id === id);
    expect(byId(ID_BLOCK('bedrock'))).toMatchObject({ type: 'input', optional: true, element: { type: 'external_select' } });
    expect(byId(SECRET_BLOCK('bedrock'))).toMatchObject({ type: 'input', optional: true, element: { type: 'external_select' } });
    expect(byId('int_f__bedrock__accessKey__aws_secret_access_key')).toMatchObject({ optional: true });

    // The field's picker offers only the references the policy lets this person use.
    const offered = await h.app.driver.options({
      actionId: 'int_secret_ref_search',
      blockId: SECRET_BLOCK('bedrock'),
      value: '',
      userId: 'UMEMBER',
      view: fill(view, {}),
    });
    const options = record(offered.json, 'options ack').options as Array<{ value: string }>;
    expect(options.map((o) => o.value).sort()).toEqual([refs.id.id, refs.secret.id].sort());

    const res = await h.app.driver.viewSubmission({
      view: fill(view, {
        int_name: 'Bedrock via vault',
        [ID_BLOCK('bedrock')]: { value: refs.id.id, text: 'whatever the client says' },
        [SECRET_BLOCK('bedrock')]: { value: refs.secret.id, text: refs.secret.name },
      }),
      userId: 'UMEMBER',
    });
    ackedView(res.json);
    const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0GEN');

    expect(theCreateBody(h.portkey)).toEqual({
      name: 'Bedrock via vault',
      slug: 'bedrock-via-vault',
      ai_provider_id: 'bedrock',
      configurations: { aws_auth_type: 'accessKey', aws_region: 'us-east-1' },
      secret_mappings: [
        { target_field: 'configurations.aws_access_key_id', secret_reference_id: refs.id.id },
        { target_field: 'configurations.aws_secret_access_key', secret_reference_id: refs.secret.id },
      ],
    });
    expect(theIntegration(h.portkey).configurations).toEqual({ aws_auth_type: 'accessKey', aws_region: 'us-east-1' });
    // Each reference looked up once, by id; stored as Portkey names it, per field.
    expect(h.portkey.requestsTo('GET', `/secret-references/${refs.id.id}`)).toHaveLength(1);
    expect(h.portkey.requestsTo('GET', `/secret-references/${refs.secret.id}`)).toHaveLength(1);
    expect((await operationRow('', 'Bedrock via vault')).request.resolved).toEqual({
      access: [],
      fieldRefs: {
        aws_access_key_id: { id: refs.id.id, name: 'team-aws-access-key-id', slug: 'team-aws-id' },
        aws_secret_access_key: { id: refs.secret.id, name: 'team-aws-secret', slug: 'team-aws-secret' },
      },
    });
    const shown = allText(post.args.blocks);
    expect(shown).toContain('*AWS access key ID*\nFrom a secret reference');
    expect(shown).toContain('*AWS secret access key*\nFrom a secret reference');
  });

  it('one reference the policy does not allow: refused, naming it and the field; nothing is created', async () => {
    const refs = seedAwsRefs();
    const view = await openForm(h, 'integration create bedrock', { userId: 'UMEMBER', channelId: 'C0GEN' });
    const res = await h.app.driver.viewSubmission({
      view: fill(view, {
        int_name: 'Borrowed secret',
        [ID_BLOCK('bedrock')]: { value: refs.id.id, text: refs.id.name },
        // Crafted: the org's reference, labelled like a team one.
        [SECRET_BLOCK('bedrock')]: { value: refs.org.id, text: 'team-aws-secret' },
      }),
      userId: 'UMEMBER',
    });
    const shown = ackedView(res.json);
    const text = allText(shown.blocks);
    expect(text).toContain('*Not allowed.* The policy does not let you use this secret reference.');
    expect(text).toContain(`Org AWS production secret" (id ${refs.org.id}) for the AWS secret access key`);
    expect(text).not.toContain('team-aws-access-key-id');
    const op = await operationRow(opIdOf(shown));
    expect(op.status).toBe('denied');
    expect(op.governance).toMatchObject({ effect: 'deny', rule: 'secret-reference-not-allowed' });
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
  });

  it('a reference Portkey does not know: refused on its own field, the other one kept; nothing decided or created', async () => {
    const refs = seedAwsRefs();
    const view = await openForm(h, 'integration create bedrock', { userId: 'UMEMBER', channelId: 'C0GEN' });
    const res = await h.app.driver.viewSubmission({
      view: fill(view, {
        int_name: 'Forged secret',
        [ID_BLOCK('bedrock')]: { value: refs.id.id, text: refs.id.name },
        [SECRET_BLOCK('bedrock')]: { value: 'sr-forged-0001', text: 'team-aws-secret' },
      }),
      userId: 'UMEMBER',
    });
    expect(record(res.json, 'ack')).toEqual({
      response_action: 'errors',
      errors: { [SECRET_BLOCK('bedrock')]: 'Portkey has no such secret reference that this app can see. Choose it from the list.' },
    });
    expect(h.portkey.requestsTo('GET', '/secret-references/sr-forged-0001')).toHaveLength(1);
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
  });

  it('refused, then "Back to the form": each field\'s reference comes back, named as Portkey holds it', async () => {
    const refs = seedAwsRefs();
    const view = await openForm(h, 'integration create bedrock', { userId: 'UMEMBER', channelId: 'C0GEN' });
    const res = await h.app.driver.viewSubmission({
      view: fill(view, {
        int_name: 'Back again',
        [ID_BLOCK('bedrock')]: { value: refs.id.id, text: 'crafted label' },
        [SECRET_BLOCK('bedrock')]: { value: refs.org.id, text: 'crafted label' },
      }),
      userId: 'UMEMBER',
    });
    const shown = ackedView(res.json);
    const back = theButton(shown.blocks, 'integration_back');
    const click = await h.app.driver.blockAction({
      actionId: 'integration_back',
      blockId: back.blockId,
      value: back.value ?? '',
      userId: 'UMEMBER',
      view: { ...fill(view, {}), private_metadata: String(shown.private_metadata) },
    });
    expect(click.status).toBe(200);
    const restored = await h.slack.waitFor('views.update', (c) => c.args.view_id === view.id);
    const blocks = (record(restored.args.view, 'view').blocks as unknown[]).map((b) => record(b, 'block'));
    const initial = (id: string) =>
      record(
        record(
          blocks.find((b) => b.block_id === id),
          id,
        ).element,
        'element',
      ).initial_option;
    expect(initial(ID_BLOCK('bedrock'))).toMatchObject({ value: refs.id.id, text: { text: 'team-aws-access-key-id (team-aws-id)' } });
    expect(initial(SECRET_BLOCK('bedrock'))).toMatchObject({
      value: refs.org.id,
      text: { text: 'Org AWS production secret (org-aws-secret)' },
    });
    expect(JSON.stringify(restored.args.view)).not.toContain('crafted label');
  });

  it('the approval card names each reference as Portkey holds it, per field; approved, the body carries both', async () => {
    const refs = seedAwsRefs();
    const view = await openForm(h, 'integration create sagemaker', { userId: 'UMEMBER', channelId: 'C0GEN' });
    const res = await h.app.driver.viewSubmission({
      view: fill(view, {
        int_name: 'SageMaker via vault',
        [ID_BLOCK('sagemaker')]: { value: refs.id.id, text: 'my own key' },
        [SECRET_BLOCK('sagemaker')]: { value: refs.secret.id, text: 'my own secret' },
      }),
      userId: 'UMEMBER',
    });
    const opId = opIdOf(ackedView(res.json));
    expect((await operationRow(opId)).status).toBe('awaiting_approval');
    const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0APPROVALS');
    const card = allText(post.args.blocks);
    expect(card).toContain(`*AWS access key ID:* from secret reference team-aws-access-key-id (id ${refs.id.id})`);
    expect(card).toContain(`*AWS secret access key:* from secret reference team-aws-secret (id ${refs.secret.id})`);
    expect(card).not.toContain('my own');
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);

    const approve = theButton(post.args.blocks, 'approval_approve');
    const click = await h.app.driver.blockAction({
      actionId: 'approval_approve',
      blockId: approve.blockId,
      value: approve.value ?? '',
      userId: 'UAPPROVER',
      channelId: 'C0APPROVALS',
      responseUrl: h.slack.responseUrl(),
    });
    expect(click.status).toBe(200);
    await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0GEN' && String(c.args.text).includes('created'));
    expect(theCreateBody(h.portkey)).toMatchObject({
      ai_provider_id: 'sagemaker',
      configurations: { aws_auth_type: 'accessKey', aws_region: 'us-east-1' },
      secret_mappings: [
        { target_field: 'configurations.aws_access_key_id', secret_reference_id: refs.id.id },
        { target_field: 'configurations.aws_secret_access_key', secret_reference_id: refs.secret.id },
      ],
    });
  });
});

describe('the answer lost', () => {
  it('Portkey created it but answered too late: found by its slug with both references, credited, never sent twice', async () => {
    const refs = seedAwsRefs();
    h.portkey.fault({ method: 'POST', path: '/integrations' }, { afterHandling: true, delayMs: 4000 });
    const view = await openForm(h, 'integration create bedrock', { userId: 'UMEMBER', channelId: 'C0GEN' });
    const { result } = await submitForResult(h, view, {
      int_name: 'Slow Bedrock',
      [ID_BLOCK('bedrock')]: { value: refs.id.id, text: refs.id.name },
      [SECRET_BLOCK('bedrock')]: { value: refs.secret.id, text: refs.secret.name },
    });
    expect(h.portkey.requestsTo('POST', '/integrations')).toHaveLength(1);
    expect(h.portkey.requestsTo('GET', '/integrations/slow-bedrock').length).toBeGreaterThanOrEqual(1);
    const stored = theIntegration(h.portkey);
    expect(stored.secret_mappings.map((m) => m.secret_reference_id)).toEqual([refs.id.id, refs.secret.id]);
    expect(allText(result.blocks)).toContain('is ready');
    expect(allText(result.blocks)).toContain(stored.id);
  });
});

describe('other secret fields', () => {
  it('Vertex AI: the service-account key from a reference, parsed as JSON (value_format json)', async () => {
    const ref = h.portkey.seedSecretReference({ name: 'team-gcp-service-account', slug: 'team-gcp-sa' });
    let view = await openForm(h, 'integration create vertex-ai', { userId: 'UMEMBER', channelId: 'C0GEN' });
    view = await chooseAuthMode(h, view, 'vertex-ai', 'serviceAccount', { int_name: 'Vertex via vault' });
    const res = await h.app.driver.viewSubmission({
      view: fill(view, {
        int_name: 'Vertex via vault',
        'int_secretref__vertex-ai__serviceAccount__vertex_service_account_json': { value: ref.id, text: ref.name },
      }),
      userId: 'UMEMBER',
    });
    ackedView(res.json);
    await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0GEN');
    expect(theCreateBody(h.portkey)).toEqual({
      name: 'Vertex via vault',
      slug: 'vertex-via-vault',
      ai_provider_id: 'vertex-ai',
      configurations: { vertex_auth_type: 'serviceAccount', vertex_region: 'us-central1' },
      secret_mappings: [
        {
          target_field: 'configurations.vertex_service_account_json',
          secret_reference_id: ref.id,
          value_format: 'json',
        },
      ],
    });
  });

  it('a reference for a field that is not secret (crafted) is refused on the form; Portkey is not asked', async () => {
    const ref = h.portkey.seedSecretReference({ name: 'team-region', slug: 'team-region' });
    const view = await openForm(h, 'integration create bedrock', { userId: 'UMEMBER', channelId: 'C0GEN' });
    const filled = fill(view, { int_name: 'Region from a vault' });
    const values = filled.state?.values ?? {};
    values.int_secretref__bedrock__aws_region = {
      int_secret_ref_search: { type: 'external_select', selected_option: { value: ref.id, text: { type: 'plain_text', text: 'r' } } },
    };
    const res = await h.app.driver.viewSubmission({ view: filled, userId: 'UMEMBER' });
    const ack = record(res.json, 'ack');
    expect(ack.response_action).toBe('errors');
    expect(JSON.stringify(ack.errors)).toContain('Only a secret field can come from a secret reference');
    expect(h.portkey.requests.filter((r) => r.path.startsWith('/secret-references') || r.path === '/integrations')).toEqual([]);
  });
});

describe('canary: a typed secret beside a reference', () => {
  it('the typed access key id reaches Portkey and nowhere else, also through a refused submission', async () => {
    const refs = seedAwsRefs();
    const acks: string[] = [];
    const view = await openForm(h, 'integration create bedrock', { userId: 'UMEMBER', channelId: 'C0GEN' });

    // Both typed and a reference for the same field: refused on that field, the typed value not echoed.
    const both = await submit(h, view, {
      int_name: 'Canary pair',
      int_f__bedrock__accessKey__aws_access_key_id: CANARY_AWS_KEY_ID,
      [ID_BLOCK('bedrock')]: { value: refs.id.id, text: refs.id.name },
      [SECRET_BLOCK('bedrock')]: { value: refs.secret.id, text: refs.secret.name },
    });
    acks.push(both.text);
    expect(record(both.json, 'ack')).toMatchObject({
      response_action: 'errors',
      errors: { [ID_BLOCK('bedrock')]: 'Use either a typed value or a secret reference, not both.' },
    });

    const res = await h.app.driver.viewSubmission({
      view: fill(storedView(h.slack, view.id), {
        int_name: 'Canary pair',
        int_f__bedrock__accessKey__aws_access_key_id: CANARY_AWS_KEY_ID,
        [SECRET_BLOCK('bedrock')]: { value: refs.secret.id, text: refs.secret.name },
      }),
      userId: 'UMEMBER',
    });
    acks.push(res.text);
    ackedView(res.json);
    const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C0GEN');
    expect(allText(post.args.blocks)).toContain('*AWS secret access key*\nFrom a secret reference');

    // It did reach Portkey, as typed, beside the mapping: so "nowhere else" means "not leaked".
    expect(theCreateBody(h.portkey)).toMatchObject({
      configurations: { aws_auth_type: 'accessKey', aws_region: 'us-east-1', aws_access_key_id: CANARY_AWS_KEY_ID },
      secret_mappings: [{ target_field: 'configurations.aws_secret_access_key', secret_reference_id: refs.secret.id }],
    });
    for (const probe of [CANARY_AWS_KEY_ID, CANARY_AWS_KEY_ID.slice(-12)]) {
      expect(leaksOf(h, probe)).toEqual([]);
      expect(acks.filter((a) => a.includes(probe))).toEqual([]);
    }
    const rows = await peekSqlite(h.app.dataDir).rows('operations');
    expect(JSON.stringify(rows)).not.toContain(CANARY_AWS_KEY_ID);
  });
});
