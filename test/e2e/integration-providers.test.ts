import { describe, expect, it } from 'vitest';
import { useTestEnv } from '../support/env.js';
import { allText, block, blockIds, element, isRecord, record } from '../support/payload.js';
import {
  addDeployment,
  chooseAuthMode,
  createBodies,
  expectChannelMessage,
  openForm,
  submitForErrors,
  submitForResult,
  theCreateBody,
  theIntegration,
} from './integration-helpers.js';

// `/portkey integration create [provider]`, one provider at a time: the modal's blocks, and the WHOLE body Portkey
// receives — with the configurations keys of the official schema (reference §3.3), never the MCP server's flat names.

const h = useTestEnv();

const MCP_KEYS = ['resource_name', 'deployment_name', 'api_version'];

function configurationsOf(body: unknown): Record<string, unknown> {
  if (!isRecord(body) || !isRecord(body.configurations)) throw new Error(`no configurations in ${JSON.stringify(body)}`);
  return body.configurations;
}

describe('integration create: provider pre-selection', () => {
  it.each(['bedrock', 'AWS Bedrock', 'aws'])('`/portkey integration create %s` opens the modal with Bedrock chosen', async (typed) => {
    const view = await openForm(h, `integration create ${typed}`);

    expect(element(view, 'int_provider').initial_option).toMatchObject({ value: 'bedrock', text: { text: 'AWS Bedrock' } });
    // Bedrock's own blocks are there already: auth mode (Access key first), region, the access key pair.
    expect(element(view, 'int_auth__bedrock').initial_option).toMatchObject({ value: 'accessKey' });
    expect(blockIds(view)).toEqual(
      expect.arrayContaining([
        'int_f__bedrock__aws_region',
        'int_f__bedrock__accessKey__aws_access_key_id',
        'int_f__bedrock__accessKey__aws_secret_access_key',
      ]),
    );
    // Bedrock takes no API key.
    expect(blockIds(view)).not.toContain('int_key__bedrock');
  });

  it('`/portkey integration create` without a provider opens the modal with nothing chosen', async () => {
    const view = await openForm(h, 'integration create');

    expect(element(view, 'int_provider').initial_option).toBeUndefined();
    expect(blockIds(view).filter((id) => /^int_(key|secretref|auth|f|dep)__/.test(id))).toEqual([]);
    expect(blockIds(view)).toEqual(
      expect.arrayContaining(['int_provider', 'int_name', 'int_slug', 'int_description', 'int_scope', 'int_access']),
    );
  });
});

describe('integration create: the body Portkey receives, per provider', () => {
  it('openai: key plus organization and project', async () => {
    const view = await openForm(h, 'integration create openai');
    expect(element(view, 'int_provider').initial_option).toMatchObject({ value: 'openai' });

    const { ack, result } = await submitForResult(h, view, {
      int_name: 'OpenAI production',
      int_slug: 'openai-prod',
      int_description: 'Main OpenAI account',
      int_key__openai: 'sk-test-openai-0123456789',
      int_f__openai__openai_organization: 'org-acme',
      int_f__openai__openai_project: 'proj_acme',
    });

    // The ack swaps in a progress view while Portkey is called.
    expect(record(ack.view, 'progress view').callback_id).toBe('integration_result');
    expect(theCreateBody(h.portkey)).toEqual({
      name: 'OpenAI production',
      slug: 'openai-prod',
      ai_provider_id: 'openai',
      key: 'sk-test-openai-0123456789',
      description: 'Main OpenAI account',
      configurations: { openai_organization: 'org-acme', openai_project: 'proj_acme' },
    });
    const stored = theIntegration(h.portkey);
    expect(stored.slug).toBe('openai-prod');

    const post = await expectChannelMessage(h, { id: stored.id, slug: stored.slug });
    expect(JSON.stringify(post.args)).not.toContain('sk-test-openai-0123456789');
    expect(allText(result.blocks)).toContain('is ready');
    expect(allText(result.blocks)).toContain(stored.id);
    expect(h.portkey.requestsTo('PUT', /workspaces$/)).toEqual([]);
  });

  it('azure-openai with two deployments: azure_* keys, the first deployment is the default', async () => {
    const key = 'azure-key-0123456789abcdef';
    let view = await openForm(h, 'integration create azure-openai');
    expect(element(view, 'int_auth__azure-openai').initial_option).toMatchObject({ value: 'default' });
    expect(blockIds(view).filter((id) => id.startsWith('int_dep__'))).toEqual([
      'int_dep__0__azure_deployment_name',
      'int_dep__0__azure_api_version',
      'int_dep__0__azure_model_slug',
      'int_dep__0__alias',
    ]);

    const firstRow = {
      int_name: 'Azure OpenAI prod',
      'int_key__azure-openai': key,
      'int_f__azure-openai__azure_resource_name': 'acme-openai',
      int_dep__0__azure_deployment_name: 'gpt-4o-prod',
      int_dep__0__azure_api_version: '2024-10-21',
      int_dep__0__azure_model_slug: 'gpt-4o',
    };
    view = await addDeployment(h, view, firstRow);

    // The rebuilt view has a second row and keeps what was typed — except the key.
    expect(JSON.parse(view.private_metadata ?? '{}')).toMatchObject({ rows: 2 });
    expect(blockIds(view)).toEqual(
      expect.arrayContaining(['int_dep__1__azure_deployment_name', 'int_dep__1__azure_model_slug', 'int_dep_default']),
    );
    expect(element(view, 'int_name').initial_value).toBe('Azure OpenAI prod');
    expect(element(view, 'int_dep__0__azure_deployment_name').initial_value).toBe('gpt-4o-prod');
    expect(element(view, 'int_f__azure-openai__azure_resource_name').initial_value).toBe('acme-openai');
    expect(element(view, 'int_key__azure-openai').initial_value).toBeUndefined();
    expect(JSON.stringify(view)).not.toContain(key);

    await submitForResult(h, view, {
      'int_key__azure-openai': key,
      int_dep__1__azure_deployment_name: 'gpt-4o-mini-eu',
      int_dep__1__azure_api_version: '2024-10-21',
      int_dep__1__azure_model_slug: 'gpt-4o-mini',
      int_dep__1__alias: 'mini',
    });

    const body = theCreateBody(h.portkey);
    expect(body).toEqual({
      name: 'Azure OpenAI prod',
      slug: 'azure-openai-prod',
      ai_provider_id: 'azure-openai',
      key,
      configurations: {
        azure_auth_mode: 'default',
        azure_resource_name: 'acme-openai',
        azure_deployment_config: [
          { azure_deployment_name: 'gpt-4o-prod', azure_api_version: '2024-10-21', azure_model_slug: 'gpt-4o', is_default: true },
          {
            azure_deployment_name: 'gpt-4o-mini-eu',
            azure_api_version: '2024-10-21',
            azure_model_slug: 'gpt-4o-mini',
            alias: 'mini',
            is_default: false,
          },
        ],
      },
    });
    for (const wrong of MCP_KEYS) expect(configurationsOf(body)).not.toHaveProperty(wrong);
    const stored = theIntegration(h.portkey);
    await expectChannelMessage(h, { id: stored.id, slug: stored.slug });
  });

  it('bedrock with an access key pair: aws_auth_type accessKey, no `key`', async () => {
    const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
    const view = await openForm(h, 'integration create bedrock');

    await submitForResult(h, view, {
      int_name: 'Bedrock keys',
      int_f__bedrock__aws_region: 'eu-west-1',
      int_f__bedrock__accessKey__aws_access_key_id: 'AKIAIOSFODNN7EXAMPLE',
      int_f__bedrock__accessKey__aws_secret_access_key: secret,
    });

    expect(theCreateBody(h.portkey)).toEqual({
      name: 'Bedrock keys',
      slug: 'bedrock-keys',
      ai_provider_id: 'bedrock',
      configurations: {
        aws_auth_type: 'accessKey',
        aws_region: 'eu-west-1',
        aws_access_key_id: 'AKIAIOSFODNN7EXAMPLE',
        aws_secret_access_key: secret,
      },
    });
    const stored = theIntegration(h.portkey);
    const post = await expectChannelMessage(h, { id: stored.id, slug: stored.slug });
    // The summary shows the secret fields masked.
    expect(JSON.stringify(post.args)).not.toContain(secret);
    expect(JSON.stringify(post.args)).not.toContain('AKIAIOSFODNN7EXAMPLE');
    expect(allText(post.args.blocks)).toContain('••••');
  });

  it('bedrock assuming a role: switching the auth mode shows the role fields; the body carries only them', async () => {
    let view = await openForm(h, 'integration create AWS Bedrock');
    view = await chooseAuthMode(h, view, 'bedrock', 'assumedRole', {
      int_name: 'Bedrock role',
      int_f__bedrock__accessKey__aws_access_key_id: 'AKIAIOSFODNN7EXAMPLE',
      int_f__bedrock__accessKey__aws_secret_access_key: 'typed-before-switching-0123',
    });

    expect(blockIds(view)).toEqual(
      expect.arrayContaining(['int_f__bedrock__assumedRole__aws_role_arn', 'int_f__bedrock__assumedRole__aws_external_id']),
    );
    expect(blockIds(view).filter((id) => id.includes('__accessKey__'))).toEqual([]);
    expect(element(view, 'int_name').initial_value).toBe('Bedrock role');
    expect(JSON.stringify(view)).not.toContain('typed-before-switching-0123');

    await submitForResult(h, view, { int_f__bedrock__assumedRole__aws_role_arn: 'arn:aws:iam::123456789012:role/PortkeyAccess' });

    expect(theCreateBody(h.portkey)).toEqual({
      name: 'Bedrock role',
      slug: 'bedrock-role',
      ai_provider_id: 'bedrock',
      configurations: {
        aws_auth_type: 'assumedRole',
        aws_role_arn: 'arn:aws:iam::123456789012:role/PortkeyAccess',
        aws_region: 'us-east-1',
      },
    });
    const stored = theIntegration(h.portkey);
    await expectChannelMessage(h, { id: stored.id, slug: stored.slug });
  });

  it('vertex-ai with a service-account key: the pasted JSON is sent as an object', async () => {
    const serviceAccount = {
      type: 'service_account',
      project_id: 'acme-ml',
      private_key_id: '0123456789abcdef',
      private_key: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n',
      client_email: 'portkey@acme-ml.iam.gserviceaccount.com',
    };
    let view = await openForm(h, 'integration create vertex');
    expect(element(view, 'int_auth__vertex-ai').initial_option).toMatchObject({ value: 'basic' });
    view = await chooseAuthMode(h, view, 'vertex-ai', 'serviceAccount', { int_name: 'Vertex SA' });
    expect(blockIds(view)).toContain('int_f__vertex-ai__serviceAccount__vertex_service_account_json');
    expect(blockIds(view)).not.toContain('int_f__vertex-ai__basic__vertex_project_id');

    await submitForResult(h, view, {
      'int_f__vertex-ai__vertex_region': 'europe-west4',
      'int_f__vertex-ai__serviceAccount__vertex_service_account_json': JSON.stringify(serviceAccount, null, 2),
    });

    const body = theCreateBody(h.portkey);
    expect(body).toEqual({
      name: 'Vertex SA',
      slug: 'vertex-sa',
      ai_provider_id: 'vertex-ai',
      configurations: { vertex_auth_type: 'serviceAccount', vertex_region: 'europe-west4', vertex_service_account_json: serviceAccount },
    });
    expect(typeof configurationsOf(body).vertex_service_account_json).toBe('object');
    const stored = theIntegration(h.portkey);
    const post = await expectChannelMessage(h, { id: stored.id, slug: stored.slug });
    expect(JSON.stringify(post.args)).not.toContain('MIIEvQIBADANBgkqhkiG9w0BAQEFAASC');
  });

  it('vertex-ai basic: project id and region', async () => {
    const view = await openForm(h, 'integration create Google Vertex AI');

    await submitForResult(h, view, { int_name: 'Vertex basic', 'int_f__vertex-ai__basic__vertex_project_id': 'acme-ml-prod' });

    expect(theCreateBody(h.portkey)).toEqual({
      name: 'Vertex basic',
      slug: 'vertex-basic',
      ai_provider_id: 'vertex-ai',
      configurations: { vertex_auth_type: 'basic', vertex_region: 'us-central1', vertex_project_id: 'acme-ml-prod' },
    });
    const stored = theIntegration(h.portkey);
    await expectChannelMessage(h, { id: stored.id, slug: stored.slug });
  });

  it('a self-hosted provider (ollama) with its custom host, no key', async () => {
    const view = await openForm(h, 'integration create ollama');
    expect(element(view, 'int_provider').initial_option).toMatchObject({ value: 'ollama' });
    expect(block(view, 'int_custom_host').optional).toBe(false);

    await submitForResult(h, view, { int_name: 'Ollama lab', int_slug: 'ollama_lab', int_custom_host: 'https://ollama.acme.example/v1' });

    expect(theCreateBody(h.portkey)).toEqual({
      name: 'Ollama lab',
      slug: 'ollama_lab',
      ai_provider_id: 'ollama',
      configurations: { custom_host: 'https://ollama.acme.example/v1' },
    });
    const stored = theIntegration(h.portkey);
    const post = await expectChannelMessage(h, { id: stored.id, slug: stored.slug });
    expect(allText(post.args.blocks)).toContain('https://ollama.acme.example/v1');
  });
});

describe('integration create: field errors land on the right blocks', () => {
  it('openai without a key or a secret reference → int_key__openai; nothing is sent to Portkey', async () => {
    const view = await openForm(h, 'integration create openai');

    const errors = await submitForErrors(h, view, { int_name: 'No key' });

    expect(Object.keys(errors)).toEqual(['int_key__openai']);
    expect(String(errors.int_key__openai)).toMatch(/key/i);
    expect(h.portkey.requests).toEqual([]);
  });

  it('azure-openai without a resource name → int_f__azure-openai__azure_resource_name; a row missing its model → that row block', async () => {
    const view = await openForm(h, 'integration create azure-openai');

    const errors = await submitForErrors(h, view, {
      int_name: 'Azure',
      'int_key__azure-openai': 'azure-key-0123456789',
      int_dep__0__azure_deployment_name: 'gpt-4o-prod',
      int_dep__0__azure_api_version: '2024-10-21',
    });

    expect(Object.keys(errors).sort()).toEqual(['int_dep__0__azure_model_slug', 'int_f__azure-openai__azure_resource_name']);
    expect(JSON.stringify(errors)).not.toContain('azure-key-0123456789');
    expect(createBodies(h.portkey)).toEqual([]);
  });

  it('a resource name pasted as a full endpoint URL is refused on its block', async () => {
    const view = await openForm(h, 'integration create azure-openai');

    const errors = await submitForErrors(h, view, {
      int_name: 'Azure',
      'int_key__azure-openai': 'azure-key-0123456789',
      'int_f__azure-openai__azure_resource_name': 'https://acme.openai.azure.com',
      int_dep__0__azure_deployment_name: 'gpt-4o-prod',
      int_dep__0__azure_api_version: '2024-10-21',
      int_dep__0__azure_model_slug: 'gpt-4o',
    });

    expect(Object.keys(errors)).toEqual(['int_f__azure-openai__azure_resource_name']);
    expect(createBodies(h.portkey)).toEqual([]);
  });

  it('bedrock assumed role with a malformed ARN → the role ARN block', async () => {
    let view = await openForm(h, 'integration create bedrock');
    view = await chooseAuthMode(h, view, 'bedrock', 'assumedRole', { int_name: 'Bad role' });

    const errors = await submitForErrors(h, view, { int_f__bedrock__assumedRole__aws_role_arn: 'PortkeyAccess' });

    expect(Object.keys(errors)).toEqual(['int_f__bedrock__assumedRole__aws_role_arn']);
    expect(createBodies(h.portkey)).toEqual([]);
  });

  it('vertex service account that is not JSON → its block, without echoing what was pasted', async () => {
    let view = await openForm(h, 'integration create vertex');
    view = await chooseAuthMode(h, view, 'vertex-ai', 'serviceAccount', { int_name: 'Vertex' });

    const pasted = '{"type":"service_account","private_key":"SECRET-NOT-JSON-4242"';
    const errors = await submitForErrors(h, view, { 'int_f__vertex-ai__serviceAccount__vertex_service_account_json': pasted });

    expect(Object.keys(errors)).toEqual(['int_f__vertex-ai__serviceAccount__vertex_service_account_json']);
    expect(JSON.stringify(errors)).not.toContain('SECRET-NOT-JSON-4242');
    expect(createBodies(h.portkey)).toEqual([]);
  });

  it.each([
    { label: 'missing', host: null },
    { label: 'a private address', host: 'http://10.0.0.5:11434' },
  ])('ollama with the custom host $label → int_custom_host', async ({ host }) => {
    const view = await openForm(h, 'integration create ollama');

    const errors = await submitForErrors(h, view, { int_name: 'Ollama', int_custom_host: host });

    expect(Object.keys(errors)).toEqual(['int_custom_host']);
    expect(createBodies(h.portkey)).toEqual([]);
  });
});
