import { describe, expect, it } from 'vitest';
import {
  EMPTY_INTEGRATION_DRAFT,
  readIntegrationForm,
  slugFromName,
  validateIntegration,
  type IntegrationDraft,
  type IntegrationRequest,
  type IntegrationSecrets,
} from '../../src/resources/integration/form.js';
import {
  AUTH_MODE_ACTION,
  authModeBlock,
  deploymentBlock,
  fieldBlock,
  INT_FIELDS,
  KEY_ACTION,
  keyBlock,
  SECRET_REF_ACTION,
  secretRefBlock,
  VALUE_ACTION,
} from '../../src/resources/integration/ids.js';

// ---------------------------------------------------------------------------------------------------------------
// `view.state.values` as Slack sends them

type Element = Record<string, unknown>;
type State = Record<string, Record<string, Element>>;

const text = (t: string) => ({ type: 'plain_text', text: t, emoji: true });
const input = (value: string | null): Element => ({ type: 'plain_text_input', value });
const staticSelect = (value: string | null, label = value ?? ''): Element => ({
  type: 'static_select',
  selected_option: value === null ? null : { text: text(label), value },
});
const radio = (value: string, label: string): Element => ({ type: 'radio_buttons', selected_option: { text: text(label), value } });
const externalSelect = (value: string | null, label = ''): Element => ({
  type: 'external_select',
  selected_option: value === null ? null : { text: text(label), value },
});
const multiExternal = (choices: Array<[value: string, label: string]>): Element => ({
  type: 'multi_external_select',
  selected_options: choices.map(([value, label]) => ({ text: text(label), value })),
});

function commonState(p: {
  provider: [string, string];
  name: string;
  slug?: string | null;
  description?: string | null;
  customHost?: string | null;
  scope?: 'organisation' | 'workspace';
  workspace?: [string, string];
  access?: Array<[string, string]>;
}): State {
  const scope = p.scope ?? 'organisation';
  const s: State = {
    [INT_FIELDS.provider.block]: { [INT_FIELDS.provider.action]: staticSelect(p.provider[0], p.provider[1]) },
    [INT_FIELDS.name.block]: { [INT_FIELDS.name.action]: input(p.name) },
    [INT_FIELDS.slug.block]: { [INT_FIELDS.slug.action]: input(p.slug ?? null) },
    [INT_FIELDS.description.block]: { [INT_FIELDS.description.action]: input(p.description ?? null) },
    [INT_FIELDS.customHost.block]: { [INT_FIELDS.customHost.action]: input(p.customHost ?? null) },
    [INT_FIELDS.scope.block]: {
      [INT_FIELDS.scope.action]: radio(scope, scope === 'workspace' ? 'One workspace only' : 'Whole organisation'),
    },
  };
  if (scope === 'workspace') {
    s[INT_FIELDS.workspace.block] = {
      [INT_FIELDS.workspace.action]: externalSelect(p.workspace?.[0] ?? null, p.workspace?.[1]),
    };
  } else {
    s[INT_FIELDS.access.block] = { [INT_FIELDS.access.action]: multiExternal(p.access ?? []) };
  }
  return s;
}

const SK = 'sk-proj-0123456789abcdefghijklmnopqrstuvwxyz';
const AZURE_KEY = 'azure-key-0123456789abcdef0123456789';
const SERVICE_ACCOUNT = {
  type: 'service_account',
  project_id: 'my-gcp-project',
  private_key_id: 'abc123',
  private_key: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----\n',
  client_email: 'portkey@my-gcp-project.iam.gserviceaccount.com',
};
const SERVICE_ACCOUNT_TEXT = JSON.stringify(SERVICE_ACCOUNT, null, 2);
const AWS_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';

function openaiState(extra: State = {}): State {
  return {
    ...commonState({
      provider: ['openai', 'OpenAI'],
      name: 'OpenAI production',
      slug: '',
      description: 'Main account',
      access: [
        ['ws-a', 'Team A (ws-a)'],
        ['ws-b', 'Team B (ws-b)'],
      ],
    }),
    [keyBlock('openai')]: { [KEY_ACTION]: input(`  ${SK}  `) },
    [secretRefBlock('openai')]: { [SECRET_REF_ACTION]: externalSelect(null) },
    [fieldBlock('openai', undefined, 'openai_organization')]: { [VALUE_ACTION]: input('org-abc') },
    [fieldBlock('openai', undefined, 'openai_project')]: { [VALUE_ACTION]: input(null) },
    ...extra,
  };
}

function azureState(): State {
  const row = (i: number, name: string, model: string, alias: string | null): State => ({
    [deploymentBlock(i, 'azure_deployment_name')]: { [VALUE_ACTION]: input(name) },
    [deploymentBlock(i, 'azure_api_version')]: { [VALUE_ACTION]: input('2024-10-21') },
    [deploymentBlock(i, 'azure_model_slug')]: { [VALUE_ACTION]: input(model) },
    [deploymentBlock(i, 'alias')]: { [VALUE_ACTION]: input(alias) },
  });
  return {
    ...commonState({
      provider: ['azure-openai', 'Azure OpenAI'],
      name: 'Azure EU',
      slug: 'azure_eu',
      scope: 'workspace',
      workspace: ['ws-eu', 'EU (ws-eu)'],
    }),
    [authModeBlock('azure-openai')]: { [AUTH_MODE_ACTION]: staticSelect('default', 'API key') },
    [keyBlock('azure-openai')]: { [KEY_ACTION]: input(AZURE_KEY) },
    [secretRefBlock('azure-openai')]: { [SECRET_REF_ACTION]: externalSelect(null) },
    [fieldBlock('azure-openai', undefined, 'azure_resource_name')]: { [VALUE_ACTION]: input('my-openai-resource') },
    ...row(0, 'gpt4o-prod', 'gpt-4o', null),
    ...row(1, 'mini-prod', 'gpt-4o-mini', 'mini'),
    [INT_FIELDS.defaultDeployment.block]: { [INT_FIELDS.defaultDeployment.action]: staticSelect('1', 'Deployment 2') },
  };
}

function bedrockState(): State {
  return {
    ...commonState({ provider: ['bedrock', 'AWS Bedrock'], name: 'Bedrock', slug: null }),
    [authModeBlock('bedrock')]: { [AUTH_MODE_ACTION]: staticSelect('assumedRole', 'Assume an IAM role') },
    [fieldBlock('bedrock', undefined, 'aws_region')]: { [VALUE_ACTION]: staticSelect('eu-west-1', 'eu-west-1 · Europe (Ireland)') },
    [fieldBlock('bedrock', 'assumedRole', 'aws_role_arn')]: { [VALUE_ACTION]: input('arn:aws:iam::123456789012:role/PortkeyAccess') },
    [fieldBlock('bedrock', 'assumedRole', 'aws_external_id')]: { [VALUE_ACTION]: input('ext-42') },
    // Stale values of the other mode, still in the state: they must not be read.
    [fieldBlock('bedrock', 'accessKey', 'aws_secret_access_key')]: { [VALUE_ACTION]: input(AWS_SECRET) },
  };
}

function vertexState(): State {
  return {
    ...commonState({ provider: ['vertex-ai', 'Google Vertex AI'], name: 'Vertex', slug: null }),
    [authModeBlock('vertex-ai')]: { [AUTH_MODE_ACTION]: staticSelect('serviceAccount', 'Service account key') },
    [fieldBlock('vertex-ai', undefined, 'vertex_region')]: { [VALUE_ACTION]: staticSelect('europe-west4', 'europe-west4 · Netherlands') },
    [fieldBlock('vertex-ai', 'serviceAccount', 'vertex_service_account_json')]: { [VALUE_ACTION]: input(SERVICE_ACCOUNT_TEXT) },
  };
}

function valid(draft: IntegrationDraft, secrets: IntegrationSecrets): IntegrationRequest {
  const r = validateIntegration(draft, secrets);
  if (!r.ok) throw new Error(`expected a request, got errors ${JSON.stringify(r.errors)}`);
  return r.value;
}

function errorsOf(draft: IntegrationDraft, secrets: IntegrationSecrets): Record<string, string> {
  const r = validateIntegration(draft, secrets);
  if (r.ok) throw new Error(`expected errors, got ${JSON.stringify(r.value.body)}`);
  return r.errors;
}

const NO_SECRETS: IntegrationSecrets = { key: '', fields: {} };

function draft(p: Partial<IntegrationDraft>): IntegrationDraft {
  return { ...EMPTY_INTEGRATION_DRAFT, name: 'OpenAI production', ...p };
}

// ---------------------------------------------------------------------------------------------------------------

describe('readIntegrationForm', () => {
  it('openai: reads every input, the key goes to secrets only', () => {
    const { draft: d, secrets } = readIntegrationForm(openaiState(), 1);
    expect(d).toEqual({
      ...EMPTY_INTEGRATION_DRAFT,
      providerId: 'openai',
      authMode: undefined,
      name: 'OpenAI production',
      slug: '',
      description: 'Main account',
      customHost: '',
      scope: 'organisation',
      workspace: undefined,
      access: [
        { value: 'ws-a', label: 'Team A (ws-a)' },
        { value: 'ws-b', label: 'Team B (ws-b)' },
      ],
      fields: { openai_organization: 'org-abc', openai_project: '' },
      deployments: [],
      defaultDeployment: 0,
      secretRef: undefined,
    });
    expect(secrets).toEqual({ key: SK, fields: {} });
    expect(JSON.stringify(d)).not.toContain(SK);
  });

  it('azure-openai: two deployment rows, default deployment 1, workspace scope', () => {
    const { draft: d, secrets } = readIntegrationForm(azureState(), 2);
    expect(d.providerId).toBe('azure-openai');
    expect(d.authMode).toBe('default');
    expect(d.scope).toBe('workspace');
    expect(d.workspace).toEqual({ value: 'ws-eu', label: 'EU (ws-eu)' });
    expect(d.access).toEqual([]);
    expect(d.fields).toEqual({ azure_resource_name: 'my-openai-resource' });
    expect(d.deployments).toEqual([
      { azure_deployment_name: 'gpt4o-prod', azure_api_version: '2024-10-21', azure_model_slug: 'gpt-4o', alias: '' },
      { azure_deployment_name: 'mini-prod', azure_api_version: '2024-10-21', azure_model_slug: 'gpt-4o-mini', alias: 'mini' },
    ]);
    expect(d.defaultDeployment).toBe(1);
    expect(secrets).toEqual({ key: AZURE_KEY, fields: {} });
    expect(JSON.stringify(d)).not.toContain(AZURE_KEY);
  });

  it('a default deployment outside the rows shown falls back to 0', () => {
    const s = azureState();
    s[INT_FIELDS.defaultDeployment.block] = { [INT_FIELDS.defaultDeployment.action]: staticSelect('7', 'x') };
    expect(readIntegrationForm(s, 2).draft.defaultDeployment).toBe(0);
    expect(readIntegrationForm(azureState(), 1).draft.deployments).toHaveLength(1);
  });

  it('bedrock assumedRole: mode fields by mode block, stale accessKey secrets ignored', () => {
    const { draft: d, secrets } = readIntegrationForm(bedrockState(), 1);
    expect(d.authMode).toBe('assumedRole');
    expect(d.fields).toEqual({
      aws_region: 'eu-west-1',
      aws_role_arn: 'arn:aws:iam::123456789012:role/PortkeyAccess',
      aws_external_id: 'ext-42',
    });
    expect(secrets).toEqual({ key: '', fields: {} });
    expect(JSON.stringify({ d, secrets })).not.toContain(AWS_SECRET);
  });

  it('bedrock accessKey: both key fields are secrets', () => {
    const s = bedrockState();
    s[authModeBlock('bedrock')] = { [AUTH_MODE_ACTION]: staticSelect('accessKey', 'Access key') };
    s[fieldBlock('bedrock', 'accessKey', 'aws_access_key_id')] = { [VALUE_ACTION]: input('AKIAIOSFODNN7EXAMPLE') };
    const { draft: d, secrets } = readIntegrationForm(s, 1);
    expect(d.fields).toEqual({ aws_region: 'eu-west-1' });
    expect(secrets.fields).toEqual({ aws_access_key_id: 'AKIAIOSFODNN7EXAMPLE', aws_secret_access_key: AWS_SECRET });
    expect(JSON.stringify(d)).not.toContain(AWS_SECRET);
  });

  it('vertex serviceAccount: the key file is a secret, not in the draft', () => {
    const { draft: d, secrets } = readIntegrationForm(vertexState(), 1);
    expect(d.authMode).toBe('serviceAccount');
    expect(d.fields).toEqual({ vertex_region: 'europe-west4' });
    expect(secrets.fields).toEqual({ vertex_service_account_json: SERVICE_ACCOUNT_TEXT });
    expect(JSON.stringify(d)).not.toContain('PRIVATE KEY');
  });

  it('garbage state reads as an empty draft, never throws', () => {
    for (const junk of [undefined, null, 'x', 42, [], { a: 'b' }, { a: { b: { value: 5 } } }]) {
      const { draft: d, secrets } = readIntegrationForm(junk, 1);
      expect(d.providerId).toBeUndefined();
      expect(secrets).toEqual({ key: '', fields: {} });
    }
  });

  it('an unknown provider id is ignored', () => {
    const s = openaiState();
    s[INT_FIELDS.provider.block] = { [INT_FIELDS.provider.action]: staticSelect('not-a-provider') };
    const { draft: d, secrets } = readIntegrationForm(s, 1);
    expect(d.providerId).toBeUndefined();
    expect(secrets.key).toBe('');
  });
});

describe('validateIntegration: request bodies', () => {
  it('openai key + organisation', () => {
    const { draft: d, secrets } = readIntegrationForm(openaiState(), 1);
    const r = valid(d, secrets);
    expect(r.body).toEqual({
      name: 'OpenAI production',
      slug: 'openai-production',
      ai_provider_id: 'openai',
      key: SK,
      description: 'Main account',
      configurations: { openai_organization: 'org-abc' },
    });
    expect(r.provider.id).toBe('openai');
    expect(r.scope).toBe('organisation');
    expect(r.workspace).toBeUndefined();
    expect(r.access).toEqual([
      { value: 'ws-a', label: 'Team A (ws-a)' },
      { value: 'ws-b', label: 'Team B (ws-b)' },
    ]);
  });

  it('openai minimal: exactly name, slug, ai_provider_id, key, configurations', () => {
    const r = valid(draft({ providerId: 'openai', fields: { openai_organization: 'org-1' } }), { key: 'sk-1', fields: {} });
    expect(r.body).toEqual({
      name: 'OpenAI production',
      slug: 'openai-production',
      ai_provider_id: 'openai',
      key: 'sk-1',
      configurations: { openai_organization: 'org-1' },
    });
  });

  it('no configurations at all → the key is omitted from the body', () => {
    const r = valid(draft({ providerId: 'anthropic', name: 'Claude' }), { key: 'sk-ant', fields: {} });
    expect(r.body).toEqual({ name: 'Claude', slug: 'claude', ai_provider_id: 'anthropic', key: 'sk-ant' });
  });

  it('azure-openai: deployments with the chosen default, key, workspace_id', () => {
    const { draft: d, secrets } = readIntegrationForm(azureState(), 2);
    const r = valid(d, secrets);
    expect(r.body).toEqual({
      name: 'Azure EU',
      slug: 'azure_eu',
      ai_provider_id: 'azure-openai',
      key: AZURE_KEY,
      workspace_id: 'ws-eu',
      configurations: {
        azure_auth_mode: 'default',
        azure_resource_name: 'my-openai-resource',
        azure_deployment_config: [
          { azure_deployment_name: 'gpt4o-prod', azure_api_version: '2024-10-21', azure_model_slug: 'gpt-4o', is_default: false },
          {
            azure_deployment_name: 'mini-prod',
            azure_api_version: '2024-10-21',
            azure_model_slug: 'gpt-4o-mini',
            alias: 'mini',
            is_default: true,
          },
        ],
      },
    });
    expect(r.scope).toBe('workspace');
    expect(r.workspace).toEqual({ value: 'ws-eu', label: 'EU (ws-eu)' });
    expect(r.access).toEqual([]);
  });

  it('bedrock assumedRole: no key, configurations by the catalog', () => {
    const { draft: d, secrets } = readIntegrationForm(bedrockState(), 1);
    expect(valid(d, secrets).body).toEqual({
      name: 'Bedrock',
      slug: 'bedrock',
      ai_provider_id: 'bedrock',
      configurations: {
        aws_auth_type: 'assumedRole',
        aws_region: 'eu-west-1',
        aws_role_arn: 'arn:aws:iam::123456789012:role/PortkeyAccess',
        aws_external_id: 'ext-42',
      },
    });
  });

  it('bedrock: a key typed anyway is not sent (keyNeed none)', () => {
    const { draft: d } = readIntegrationForm(bedrockState(), 1);
    expect(valid(d, { key: 'stray', fields: {} }).body.key).toBeUndefined();
  });

  it('vertex serviceAccount: the key file is sent as a JSON object', () => {
    const { draft: d, secrets } = readIntegrationForm(vertexState(), 1);
    expect(valid(d, secrets).body).toEqual({
      name: 'Vertex',
      slug: 'vertex',
      ai_provider_id: 'vertex-ai',
      configurations: { vertex_auth_type: 'serviceAccount', vertex_region: 'europe-west4', vertex_service_account_json: SERVICE_ACCOUNT },
    });
  });

  it('a secret reference → secret_mappings targeting key, and no key', () => {
    const r = valid(draft({ providerId: 'openai', secretRef: { value: 'sr-123', label: 'Vault OpenAI' } }), NO_SECRETS);
    expect(r.body).toEqual({
      name: 'OpenAI production',
      slug: 'openai-production',
      ai_provider_id: 'openai',
      secret_mappings: [{ target_field: 'key', secret_reference_id: 'sr-123' }],
    });
    expect('key' in r.body).toBe(false);
  });

  it('workspace scope → workspace_id; organisation scope drops a stale workspace', () => {
    const ws = { value: 'ws-data', label: 'Data' };
    const inWs = valid(draft({ providerId: 'openai', scope: 'workspace', workspace: ws, access: [ws] }), { key: 'sk', fields: {} });
    expect(inWs.body.workspace_id).toBe('ws-data');
    expect(inWs.access).toEqual([]);
    const org = valid(draft({ providerId: 'openai', scope: 'organisation', workspace: ws, access: [ws] }), { key: 'sk', fields: {} });
    expect(org.body.workspace_id).toBeUndefined();
    expect(org.workspace).toBeUndefined();
    expect(org.access).toEqual([ws]);
  });
});

describe('validateIntegration: slugs', () => {
  const ok = (d: Partial<IntegrationDraft>) => valid(draft({ providerId: 'openai', ...d }), { key: 'sk', fields: {} }).body.slug;

  it('blank slug → slugified from the name', () => {
    expect(ok({ name: 'OpenAI Prod (EU) #2', slug: '' })).toBe('openai-prod-eu-2');
    expect(ok({ name: '  Café Crème  ', slug: '   ' })).toBe('cafe-creme');
    expect(slugFromName('x'.repeat(400))).toHaveLength(255);
  });

  it('a typed slug is kept, underscores and capitals allowed', () => {
    expect(ok({ slug: 'My_Slug-01' })).toBe('My_Slug-01');
    expect(ok({ slug: '  padded_slug  ' })).toBe('padded_slug');
  });

  it('an invalid slug → error on int_slug', () => {
    const e = errorsOf(draft({ providerId: 'openai', slug: 'bad slug!' }), { key: 'sk', fields: {} });
    expect(Object.keys(e)).toEqual([INT_FIELDS.slug.block]);
    expect(errorsOf(draft({ providerId: 'openai', slug: 's'.repeat(256) }), { key: 'sk', fields: {} })).toHaveProperty(
      INT_FIELDS.slug.block,
    );
  });

  it('a name with only emoji and a blank slug → error on int_slug', () => {
    const e = errorsOf(draft({ providerId: 'openai', name: '🚀✨🔥', slug: '' }), { key: 'sk', fields: {} });
    expect(Object.keys(e)).toEqual([INT_FIELDS.slug.block]);
    // …but a typed slug rescues it.
    expect(ok({ name: '🚀✨🔥', slug: 'rocket' })).toBe('rocket');
  });

  it('name errors land on int_name, description errors on int_description', () => {
    expect(errorsOf(draft({ providerId: 'openai', name: '   ' }), { key: 'sk', fields: {} })).toHaveProperty(INT_FIELDS.name.block);
    expect(errorsOf(draft({ providerId: 'openai', name: 'n'.repeat(256) }), { key: 'sk', fields: {} })).toHaveProperty(
      INT_FIELDS.name.block,
    );
    expect(errorsOf(draft({ providerId: 'openai', description: 'd'.repeat(1001) }), { key: 'sk', fields: {} })).toHaveProperty(
      INT_FIELDS.description.block,
    );
  });
});

describe('validateIntegration: errors by block id', () => {
  it('no provider → int_provider', () => {
    expect(errorsOf(draft({ providerId: undefined }), NO_SECRETS)).toEqual({ [INT_FIELDS.provider.block]: expect.any(String) });
  });

  it('openai with neither key nor secret reference → int_key__openai', () => {
    expect(Object.keys(errorsOf(draft({ providerId: 'openai' }), NO_SECRETS))).toEqual(['int_key__openai']);
  });

  it('openai with both key and secret reference → int_secretref__openai', () => {
    const e = errorsOf(draft({ providerId: 'openai', secretRef: { value: 'sr', label: 'S' } }), { key: 'sk', fields: {} });
    expect(Object.keys(e)).toEqual(['int_secretref__openai']);
  });

  it('a provider with an optional key needs neither', () => {
    const r = valid(draft({ providerId: 'ollama', name: 'Local', customHost: 'https://ollama.example.com' }), NO_SECRETS);
    expect(r.body).toEqual({
      name: 'Local',
      slug: 'local',
      ai_provider_id: 'ollama',
      configurations: { custom_host: 'https://ollama.example.com' },
    });
  });

  it('workspace scope without a workspace → int_workspace', () => {
    const e = errorsOf(draft({ providerId: 'openai', scope: 'workspace', workspace: undefined }), { key: 'sk', fields: {} });
    expect(Object.keys(e)).toEqual([INT_FIELDS.workspace.block]);
  });

  it('Azure: a full endpoint as resource name → int_f__azure-openai__azure_resource_name', () => {
    const { draft: d, secrets } = readIntegrationForm(azureState(), 2);
    const e = errorsOf({ ...d, fields: { azure_resource_name: 'https://x.openai.azure.com' } }, secrets);
    expect(Object.keys(e)).toEqual(['int_f__azure-openai__azure_resource_name']);
  });

  it('Azure: a missing model in row 2 → int_dep__1__azure_model_slug', () => {
    const { draft: d, secrets } = readIntegrationForm(azureState(), 2);
    const deployments = d.deployments.map((r, i) => (i === 1 ? { ...r, azure_model_slug: '' } : r));
    expect(Object.keys(errorsOf({ ...d, deployments }, secrets))).toEqual(['int_dep__1__azure_model_slug']);
  });

  it('Azure: no deployment filled in → the first row', () => {
    const { draft: d, secrets } = readIntegrationForm(azureState(), 2);
    const blank = { azure_deployment_name: '', azure_api_version: '', azure_model_slug: '', alias: '' };
    expect(Object.keys(errorsOf({ ...d, deployments: [blank, blank] }, secrets))).toEqual(['int_dep__0__azure_deployment_name']);
  });

  it('a private custom host → int_custom_host', () => {
    for (const host of ['http://llm.example.com', 'https://localhost:8080', 'https://10.0.0.1/v1', 'not a url']) {
      const e = errorsOf(draft({ providerId: 'openai', customHost: host }), { key: 'sk', fields: {} });
      expect(Object.keys(e), host).toEqual([INT_FIELDS.customHost.block]);
    }
  });

  it('Bedrock: a bad role ARN → int_f__bedrock__assumedRole__aws_role_arn', () => {
    const { draft: d, secrets } = readIntegrationForm(bedrockState(), 1);
    const e = errorsOf({ ...d, fields: { ...d.fields, aws_role_arn: 'PortkeyAccess' } }, secrets);
    expect(Object.keys(e)).toEqual(['int_f__bedrock__assumedRole__aws_role_arn']);
  });

  it('Bedrock accessKey: a missing secret → its mode block; the region on the provider block', () => {
    const d = draft({ providerId: 'bedrock', authMode: 'accessKey', fields: { aws_region: 'mars-1' } });
    const e = errorsOf(d, { key: '', fields: { aws_access_key_id: 'AKIAIOSFODNN7EXAMPLE', aws_secret_access_key: '' } });
    expect(Object.keys(e).sort()).toEqual(['int_f__bedrock__accessKey__aws_secret_access_key', 'int_f__bedrock__aws_region']);
  });

  it('Vertex: a JSON that is not a key file → its block, and the message never quotes the secret', () => {
    const { draft: d } = readIntegrationForm(vertexState(), 1);
    const secret = '{"type":"service_account","private_key":"TOP-SECRET-PK"';
    const e = errorsOf(d, { key: '', fields: { vertex_service_account_json: secret } });
    expect(Object.keys(e)).toEqual(['int_f__vertex-ai__serviceAccount__vertex_service_account_json']);
    expect(JSON.stringify(e)).not.toContain('TOP-SECRET-PK');
  });

  it('an unknown auth mode → the auth mode block', () => {
    const e = errorsOf(draft({ providerId: 'bedrock', authMode: 'magic', fields: { aws_region: 'us-east-1' } }), NO_SECRETS);
    expect(Object.keys(e)).toEqual([authModeBlock('bedrock')]);
  });

  it('reports every problem at once', () => {
    const e = errorsOf(draft({ providerId: 'openai', name: '', slug: 'bad slug', scope: 'workspace', customHost: 'http://x' }), NO_SECRETS);
    expect(Object.keys(e).sort()).toEqual(
      [INT_FIELDS.name.block, INT_FIELDS.slug.block, 'int_key__openai', INT_FIELDS.customHost.block, INT_FIELDS.workspace.block].sort(),
    );
  });
});
