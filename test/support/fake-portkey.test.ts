import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakePortkey } from './fake-portkey.js';
import type { FakePortkey } from './fake-portkey.js';

let pk: FakePortkey;

interface Res {
  status: number;
  body: unknown;
  text: string;
}

async function call(method: string, path: string, body?: unknown, key: string | null = 'pk-admin-test'): Promise<Res> {
  const headers: Record<string, string> = {};
  if (key !== null) headers['x-portkey-api-key'] = key;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${pk.baseUrl}${path}`, {
    method,
    headers,
    body: body === undefined ? null : JSON.stringify(body),
    signal: AbortSignal.timeout(3000),
  });
  const text = await res.text();
  let parsed: unknown;
  try {
    parsed = text === '' ? undefined : (JSON.parse(text) as unknown);
  } catch {
    parsed = undefined;
  }
  return { status: res.status, body: parsed, text };
}

const errorOf = (code: string, status: number) => ({
  status,
  body: { success: false, data: { message: expect.any(String), errorCode: code } },
});

const azureConfig = {
  azure_auth_mode: 'default',
  azure_resource_name: 'acme-openai',
  azure_deployment_config: [
    { azure_deployment_name: 'gpt4o', azure_api_version: '2024-10-21', azure_model_slug: 'gpt-4o', is_default: true },
  ],
};

beforeAll(async () => {
  pk = await startFakePortkey();
});
afterAll(async () => {
  await pk.close();
});
beforeEach(() => pk.reset());

describe('fake Portkey: auth', () => {
  it('401 AB05 without or with a wrong x-portkey-api-key, and records the request', async () => {
    expect(await call('GET', '/admin/workspaces', undefined, null)).toMatchObject({
      status: 401,
      body: { success: false, data: { message: 'Invalid API Key', errorCode: 'AB05' } },
    });
    expect(await call('GET', '/admin/workspaces', undefined, 'pk-wrong')).toMatchObject(errorOf('AB05', 401));
    expect(pk.requestsTo('GET', '/admin/workspaces')).toHaveLength(2);
    expect(pk.requests[1]?.headers['x-portkey-api-key']).toBe('pk-wrong');
  });

  it('requires JSON content type for bodies', async () => {
    const res = await fetch(`${pk.baseUrl}/admin/workspaces`, {
      method: 'POST',
      headers: { 'x-portkey-api-key': pk.adminKey },
      body: JSON.stringify({ name: 'x' }),
    });
    expect(res.status).toBe(400);
  });
});

describe('fake Portkey: workspaces', () => {
  it('creates a full Workspace with a generated slug', async () => {
    const res = await call('POST', '/admin/workspaces', {
      name: 'Shared Team Workspace',
      description: 'for the team',
      defaults: { metadata: { env: 'prod', team: 'ml' } },
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      id: expect.stringMatching(/^[0-9a-f-]{36}$/),
      slug: expect.stringMatching(/^ws-shared-[0-9a-f]{6}$/),
      name: 'Shared Team Workspace',
      description: 'for the team',
      created_at: expect.stringMatching(/Z$/),
      last_updated_at: expect.stringMatching(/Z$/),
      defaults: { metadata: { env: 'prod', team: 'ml' }, is_default: 0, object: 'workspace' },
      is_default: 0,
      usage_limits: null,
      rate_limits: null,
      icon: null,
      status: 'active',
      object: 'workspace',
    });
    expect(pk.workspaces).toHaveLength(1);
    expect(pk.requests[0]).toMatchObject({ method: 'POST', path: '/admin/workspaces', body: { name: 'Shared Team Workspace' } });
  });

  it('validates name and defaults (400 AB01)', async () => {
    expect(await call('POST', '/admin/workspaces', {})).toMatchObject(errorOf('AB01', 400));
    expect(await call('POST', '/admin/workspaces', { name: '  ' })).toMatchObject(errorOf('AB01', 400));
    expect(await call('POST', '/admin/workspaces', { name: 'a', defaults: { metadata: { n: 1 } } })).toMatchObject(errorOf('AB01', 400));
    expect(await call('POST', '/admin/workspaces', { name: 'a', defaults: { is_default: true } })).toMatchObject(errorOf('AB01', 400));
    const noDefaults = await call('POST', '/admin/workspaces', { name: 'Plain' });
    expect(noDefaults.body).toMatchObject({ defaults: null, description: null });
  });

  it('honours a valid unused slug; a used one is 409 AB07', async () => {
    const a = await call('POST', '/admin/workspaces', { name: 'Team A', slug: 'team-a' });
    expect(a.body).toMatchObject({ slug: 'team-a' });
    expect(await call('POST', '/admin/workspaces', { name: 'Team A again', slug: 'team-a' })).toMatchObject(errorOf('AB07', 409));
    expect(await call('POST', '/admin/workspaces', { name: 'Bad', slug: 'Bad Slug' })).toMatchObject(errorOf('AB01', 400));
  });

  it('lists with exact_name, case-sensitive name contains and 0-based pages', async () => {
    for (const name of ['Alpha', 'Alphabet', 'alpha lower', 'Beta', 'Gamma']) pk.seedWorkspace({ name });
    const exact = await call('GET', '/admin/workspaces?exact_name=Alpha');
    expect(exact.body).toMatchObject({ total: 1, object: 'list', data: [{ name: 'Alpha' }] });
    const contains = await call('GET', '/admin/workspaces?name=Alpha');
    expect(contains.body).toMatchObject({ total: 2, data: [{ name: 'Alpha' }, { name: 'Alphabet' }] });
    const page0 = await call('GET', '/admin/workspaces?page_size=2&current_page=0');
    const page2 = await call('GET', '/admin/workspaces?page_size=2&current_page=2');
    expect(page0.body).toMatchObject({ total: 5, data: [{ name: 'Alpha' }, { name: 'Alphabet' }] });
    expect(page2.body).toMatchObject({ total: 5, data: [{ name: 'Gamma' }] });
    expect(pk.requests.at(-1)?.query).toEqual({ page_size: '2', current_page: '2' });
  });

  it('gets by slug or id with users: []; unknown is 403 AB03', async () => {
    const ws = pk.seedWorkspace({ name: 'Research', slug: 'ws-research-abc123' });
    const bySlug = await call('GET', '/admin/workspaces/ws-research-abc123');
    expect(bySlug.body).toMatchObject({ id: ws.id, slug: ws.slug, users: [], object: 'workspace' });
    expect((await call('GET', `/admin/workspaces/${ws.id}`)).status).toBe(200);
    expect(await call('GET', '/admin/workspaces/ws-nope-000000')).toMatchObject(errorOf('AB03', 403));
  });
});

describe('fake Portkey: integrations', () => {
  it('create returns only {id, slug}; duplicate slug is 409 AB07', async () => {
    const res = await call('POST', '/integrations', {
      name: 'OpenAI Prod',
      ai_provider_id: 'openai',
      key: 'sk-secret-123',
      slug: 'openai-prod',
    });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), slug: 'openai-prod' });
    expect(
      await call('POST', '/integrations', { name: 'Other', ai_provider_id: 'openai', key: 'sk-x', slug: 'openai-prod' }),
    ).toMatchObject({
      status: 409,
      body: { success: false, data: { message: 'Resource already exists', errorCode: 'AB07' } },
    });
    const generated = await call('POST', '/integrations', { name: 'My Anthropic!', ai_provider_id: 'anthropic', key: 'sk-ant' });
    expect(generated.body).toMatchObject({ slug: 'my-anthropic' });
    expect(pk.integration('openai-prod')).toMatchObject({ type: 'organisation', workspace_id: null, key: 'sk-secret-123' });
  });

  it('validates required fields, slugs, provider ids and key', async () => {
    expect(await call('POST', '/integrations', { ai_provider_id: 'openai', key: 'k' })).toMatchObject(errorOf('AB01', 400));
    expect(await call('POST', '/integrations', { name: 'x', key: 'k' })).toMatchObject(errorOf('AB01', 400));
    expect(await call('POST', '/integrations', { name: 'x'.repeat(256), ai_provider_id: 'openai', key: 'k' })).toMatchObject(
      errorOf('AB01', 400),
    );
    expect(await call('POST', '/integrations', { name: 'x', ai_provider_id: 'openai', key: 'k', slug: 'bad slug' })).toMatchObject(
      errorOf('AB01', 400),
    );
    expect(
      await call('POST', '/integrations', { name: 'x', ai_provider_id: 'openai', key: 'k', default_provider_slug: 'a/b' }),
    ).toMatchObject(errorOf('AB01', 400));
    expect(await call('POST', '/integrations', { name: 'x', ai_provider_id: 'aws-bedrock' })).toMatchObject(errorOf('AB01', 400));
    const noKey = await call('POST', '/integrations', { name: 'x', ai_provider_id: 'openai' });
    expect(noKey).toMatchObject(errorOf('AB01', 400));
    expect(noKey.text).toContain('key');
    expect(await call('POST', '/integrations', { name: 'x', ai_provider_id: 'openai', key: 'k', workspace_id: 'ws-ghost' })).toMatchObject(
      errorOf('AB03', 403),
    );
    expect(pk.integrations).toHaveLength(0);
  });

  it('rejects the MCP-style azure body (resource_name…) with 400 AB01 naming the field', async () => {
    const res = await call('POST', '/integrations', {
      name: 'Azure',
      ai_provider_id: 'azure-openai',
      key: 'azkey',
      configurations: { resource_name: 'acme', deployment_name: 'gpt4', api_version: '2024-02-01' },
    });
    expect(res).toMatchObject(errorOf('AB01', 400));
    expect(res.text).toContain('resource_name');
  });

  it('validates azure-openai configurations per auth mode', async () => {
    const ok = await call('POST', '/integrations', {
      name: 'Azure',
      ai_provider_id: 'azure-openai',
      key: 'azkey',
      configurations: azureConfig,
    });
    expect(ok.status).toBe(200);
    const longVersion = {
      ...azureConfig,
      azure_deployment_config: [{ azure_deployment_name: 'd', azure_api_version: 'v'.repeat(31), azure_model_slug: 'm' }],
    };
    const r1 = await call('POST', '/integrations', { name: 'A2', ai_provider_id: 'azure-openai', key: 'k', configurations: longVersion });
    expect(r1.text).toContain('azure_api_version');
    const entraMissingSecret = { ...azureConfig, azure_auth_mode: 'entra', azure_entra_tenant_id: 't', azure_entra_client_id: 'c' };
    const r2 = await call('POST', '/integrations', { name: 'A3', ai_provider_id: 'azure-openai', configurations: entraMissingSecret });
    expect(r2).toMatchObject(errorOf('AB01', 400));
    expect(r2.text).toContain('azure_entra_client_secret');
    const federated = { ...azureConfig, azure_auth_mode: 'entraFederated', azure_entra_tenant_id: 't', azure_entra_client_id: 'c' };
    expect((await call('POST', '/integrations', { name: 'A4', ai_provider_id: 'azure-openai', configurations: federated })).status).toBe(
      200,
    );
    const emptyDeployments = { ...azureConfig, azure_deployment_config: [] };
    const r3 = await call('POST', '/integrations', {
      name: 'A5',
      ai_provider_id: 'azure-openai',
      key: 'k',
      configurations: emptyDeployments,
    });
    expect(r3.text).toContain('azure_deployment_config');
  });

  it('vertex service account must be an object; bedrock roles and keys', async () => {
    const asString = await call('POST', '/integrations', {
      name: 'Vertex',
      ai_provider_id: 'vertex-ai',
      configurations: {
        vertex_auth_type: 'serviceAccount',
        vertex_region: 'us-central1',
        vertex_service_account_json: '{"type":"service_account"}',
      },
    });
    expect(asString).toMatchObject(errorOf('AB01', 400));
    expect(asString.text).toContain('vertex_service_account_json');
    const asObject = await call('POST', '/integrations', {
      name: 'Vertex',
      ai_provider_id: 'vertex-ai',
      configurations: {
        vertex_auth_type: 'serviceAccount',
        vertex_region: 'us-central1',
        vertex_service_account_json: { type: 'service_account' },
      },
    });
    expect(asObject.status).toBe(200);
    const role = await call('POST', '/integrations', {
      name: 'Bedrock',
      ai_provider_id: 'bedrock',
      configurations: { aws_auth_type: 'assumedRole', aws_region: 'us-east-1' },
    });
    expect(role.text).toContain('aws_role_arn');
    const keys = await call('POST', '/integrations', {
      name: 'Bedrock keys',
      ai_provider_id: 'bedrock',
      configurations: {
        aws_auth_type: 'accessKey',
        aws_region: 'us-east-1',
        aws_access_key_id: 'AKIAEXAMPLE',
        aws_secret_access_key: 'topsecret',
      },
    });
    expect(keys.status).toBe(200);
  });

  it('custom_host must be a public http(s) URL', async () => {
    const bad = await call('POST', '/integrations', { name: 'x', ai_provider_id: 'openai', key: 'k', configurations: { custom_host: '' } });
    expect(bad.text).toContain('custom_host');
    const local = await call('POST', '/integrations', {
      name: 'x',
      ai_provider_id: 'openai',
      key: 'k',
      configurations: { custom_host: 'http://169.254.169.254/latest' },
    });
    expect(local).toMatchObject(errorOf('AB01', 400));
    const good = await call('POST', '/integrations', {
      name: 'x',
      ai_provider_id: 'openai',
      key: 'k',
      configurations: { custom_host: 'https://llm.example.com/v1' },
    });
    expect(good.status).toBe(200);
  });

  it('secret_mappings can supply the key; unknown references are 400 AB01', async () => {
    const ref = pk.seedSecretReference({ name: 'OpenAI key', slug: 'openai-key' });
    const mapped = await call('POST', '/integrations', {
      name: 'Mapped',
      ai_provider_id: 'openai',
      secret_mappings: [{ target_field: 'key', secret_reference_id: 'openai-key' }],
    });
    expect(mapped.status).toBe(200);
    const unknownRef = await call('POST', '/integrations', {
      name: 'Mapped2',
      ai_provider_id: 'openai',
      secret_mappings: [{ target_field: 'key', secret_reference_id: 'nope' }],
    });
    expect(unknownRef).toMatchObject(errorOf('AB01', 400));
    const dup = await call('POST', '/integrations', {
      name: 'Mapped3',
      ai_provider_id: 'openai',
      secret_mappings: [
        { target_field: 'key', secret_reference_id: ref.id },
        { target_field: 'key', secret_reference_id: ref.id },
      ],
    });
    expect(dup).toMatchObject(errorOf('AB01', 400));
    const list = await call('GET', '/secret-references?search=openai');
    expect(list.body).toEqual({
      object: 'list',
      total: 1,
      data: [expect.objectContaining({ id: ref.id, slug: 'openai-key', manager: 'aws_sm', object: 'secret-reference' })],
    });
  });

  // CreateIntegrationRequest.secret_mappings: "configurations.<field>" targets, resolved at run time; SecretMapping
  // .value_format json "when the target field expects a structured object".
  it('secret_mappings can supply configuration fields: required ones count as given; an object field needs value_format json', async () => {
    const id = pk.seedSecretReference({ name: 'AWS id', slug: 'aws-id' });
    const secret = pk.seedSecretReference({ name: 'AWS secret', slug: 'aws-secret' });
    const sa = pk.seedSecretReference({ name: 'GCP key', slug: 'gcp-key' });
    const pair = [
      { target_field: 'configurations.aws_access_key_id', secret_reference_id: id.id },
      { target_field: 'configurations.aws_secret_access_key', secret_reference_id: secret.id },
    ];
    const bedrock = await call('POST', '/integrations', {
      name: 'Bedrock mapped',
      ai_provider_id: 'bedrock',
      configurations: { aws_auth_type: 'accessKey', aws_region: 'us-east-1' },
      secret_mappings: pair,
    });
    expect(bedrock.status).toBe(200);
    // The documented Claude Platform schema requires the pair in accessKey mode: references satisfy it.
    const claude = await call('POST', '/integrations', {
      name: 'Claude mapped',
      ai_provider_id: 'claude-platform-aws',
      configurations: { aws_auth_type: 'accessKey', aws_region: 'us-east-1', anthropic_aws_workspace_id: 'wrkspc_1' },
      secret_mappings: pair,
    });
    expect(claude.status).toBe(200);
    // Half the pair: the other half is still required.
    const half = await call('POST', '/integrations', {
      name: 'Bedrock half',
      ai_provider_id: 'bedrock',
      configurations: { aws_auth_type: 'accessKey', aws_region: 'us-east-1' },
      secret_mappings: pair.slice(1),
    });
    expect(half).toMatchObject(errorOf('AB01', 400));
    expect(half.text).toContain('aws_access_key_id');
    const vertex = (mapping: Record<string, unknown>) =>
      call('POST', '/integrations', {
        name: `Vertex ${JSON.stringify(mapping).length}`,
        ai_provider_id: 'vertex-ai',
        configurations: { vertex_auth_type: 'serviceAccount', vertex_region: 'us-central1' },
        secret_mappings: [{ target_field: 'configurations.vertex_service_account_json', secret_reference_id: sa.id, ...mapping }],
      });
    expect((await vertex({ value_format: 'json' })).status).toBe(200);
    const asString = await vertex({});
    expect(asString).toMatchObject(errorOf('AB01', 400));
    expect(asString.text).toContain('vertex_service_account_json');
    // A target outside key | configurations.<field> is refused.
    const odd = await call('POST', '/integrations', {
      name: 'Odd target',
      ai_provider_id: 'openai',
      key: 'sk-1',
      secret_mappings: [{ target_field: 'model_config.awsSecretAccessKey', secret_reference_id: id.id }],
    });
    expect(odd).toMatchObject(errorOf('AB01', 400));
    expect(pk.integration('bedrock-mapped')?.secret_mappings).toEqual(pair);
  });

  it('GET detail masks the key and secret configuration fields', async () => {
    await call('POST', '/integrations', {
      name: 'Bedrock',
      slug: 'bedrock-prod',
      ai_provider_id: 'bedrock',
      configurations: {
        aws_auth_type: 'accessKey',
        aws_region: 'eu-west-1',
        aws_access_key_id: 'AKIA123456',
        aws_secret_access_key: 'supersecretvalue',
      },
    });
    await call('POST', '/integrations', { name: 'OpenAI', slug: 'oa', ai_provider_id: 'openai', key: 'sk-live-abcdef' });
    const bedrock = await call('GET', '/integrations/bedrock-prod');
    expect(bedrock.body).toMatchObject({
      slug: 'bedrock-prod',
      masked_key: null,
      status: 'active',
      object: 'integration',
      allow_all_models: true,
      type: 'organisation',
      workspace_id: null,
      workspace_count: 0,
      secret_mappings: [],
      configurations: {
        aws_auth_type: 'accessKey',
        aws_region: 'eu-west-1',
        masked_aws_access_key_id: 'AKI****',
        masked_aws_secret_access_key: 'sup****',
      },
    });
    expect(bedrock.text).not.toContain('supersecretvalue');
    const oa = await call('GET', '/integrations/oa');
    expect(oa.body).toMatchObject({ masked_key: 'sk-****' });
    expect(oa.text).not.toContain('sk-live-abcdef');
    expect(await call('GET', '/integrations/ghost')).toMatchObject(errorOf('AB08', 404));
  });

  it('workspace-scoped integrations, list filters and workspace access', async () => {
    const ws = pk.seedWorkspace({ name: 'ML', slug: 'ws-ml-000001' });
    const other = pk.seedWorkspace({ name: 'Ops', slug: 'ws-ops-000002' });
    const created = await call('POST', '/integrations', {
      name: 'ML OpenAI',
      ai_provider_id: 'openai',
      key: 'sk-1',
      workspace_id: 'ws-ml-000001',
    });
    expect(created.status).toBe(200);
    pk.seedIntegration({ name: 'Org Anthropic', ai_provider_id: 'anthropic', key: 'sk-ant' });
    const detail = await call('GET', '/integrations/ml-openai');
    expect(detail.body).toMatchObject({ type: 'workspace', workspace_id: ws.id, workspace_count: 1 });
    expect(pk.providers).toEqual([expect.objectContaining({ workspace_id: ws.id, slug: 'ml-openai' })]);

    const list = await call('GET', '/integrations?workspace_id=ws-ml-000001');
    expect(list.body).toMatchObject({ object: 'list', total: 1, data: [{ slug: 'ml-openai', object: 'integration' }] });
    expect((await call('GET', '/integrations?type=organisation')).body).toMatchObject({ total: 1, data: [{ slug: 'org-anthropic' }] });
    expect((await call('GET', '/integrations?current_page=1&page_size=1')).body).toMatchObject({
      total: 2,
      data: [{ slug: 'org-anthropic' }],
    });

    const put = await call('PUT', '/integrations/org-anthropic/workspaces', {
      workspaces: [{ id: other.id, enabled: true, default_provider_slug: 'anthropic-ops' }],
      override_existing_workspace_access: false,
    });
    expect(put).toEqual({ status: 200, body: {}, text: '{}' });
    expect((await call('GET', '/integrations/org-anthropic/workspaces')).body).toEqual({
      total: 1,
      workspaces: [{ id: 'ws-ops-000002', enabled: true, usage_limits: null, rate_limits: null }],
    });
    expect(await call('PUT', '/integrations/org-anthropic/workspaces', { workspaces: [{ id: 'ws-ghost', enabled: true }] })).toMatchObject(
      errorOf('AB03', 403),
    );
    expect(pk.integration('org-anthropic')?.workspaceAccess.get('ws-ops-000002')?.enabled).toBe(true);
  });
});

describe('fake Portkey: faults', () => {
  it('replaces handling with a status/body, counts times, and records faulted requests', async () => {
    pk.fault({ method: 'POST', path: '/integrations' }, { status: 429 }, 2);
    const body = { name: 'x', ai_provider_id: 'openai', key: 'k' };
    expect(await call('POST', '/integrations', body)).toMatchObject(errorOf('AB06', 429));
    expect(await call('POST', '/integrations', body)).toMatchObject(errorOf('AB06', 429));
    expect((await call('POST', '/integrations', body)).status).toBe(200);
    expect(pk.requestsTo('POST', '/integrations')).toHaveLength(3);
    expect(pk.integrations).toHaveLength(1);

    pk.fault(
      { method: 'GET', path: /^\/admin\/workspaces/ },
      { status: 502, rawBody: '<html>Bad gateway</html>', headers: { 'content-type': 'text/html' } },
    );
    const raw = await call('GET', '/admin/workspaces/ws-x');
    expect(raw).toMatchObject({ status: 502, text: '<html>Bad gateway</html>' });
  });

  it('afterHandling + drop: the client times out but the integration was created', async () => {
    pk.fault({ method: 'POST', path: '/integrations' }, { afterHandling: true, drop: true, delayMs: 300 });
    const started = Date.now();
    const err: unknown = await fetch(`${pk.baseUrl}/integrations`, {
      method: 'POST',
      headers: { 'x-portkey-api-key': pk.adminKey, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'Lost answer', ai_provider_id: 'openai', key: 'sk-lost', slug: 'lost-answer' }),
      signal: AbortSignal.timeout(100),
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).name).toBe('TimeoutError');
    expect(Date.now() - started).toBeLessThan(280);
    const lookup = await call('GET', '/integrations/lost-answer');
    expect(lookup.status).toBe(200);
    expect(lookup.body).toMatchObject({ slug: 'lost-answer', name: 'Lost answer' });
  });

  it('drop without afterHandling: nothing is created, the socket is destroyed', async () => {
    pk.fault({ method: 'POST', path: '/admin/workspaces' }, { drop: true });
    const err: unknown = await call('POST', '/admin/workspaces', { name: 'Ghost' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TypeError); // fetch failed (socket hang up)
    expect(pk.workspaces).toHaveLength(0);
    expect(pk.requestsTo('POST', '/admin/workspaces')).toHaveLength(1);
  });

  it('hang: never answers, only the client giving up ends the request; with afterHandling the work is done', async () => {
    pk.fault({ method: 'POST', path: '/admin/workspaces' }, { hang: true, afterHandling: true });
    pk.fault({ method: 'GET', path: '/admin/workspaces' }, { hang: true });
    for (const method of ['POST', 'GET']) {
      const err: unknown = await fetch(`${pk.baseUrl}/admin/workspaces`, {
        method,
        headers: { 'x-portkey-api-key': pk.adminKey, 'content-type': 'application/json' },
        ...(method === 'POST' ? { body: JSON.stringify({ name: 'Hung' }) } : {}),
        signal: AbortSignal.timeout(200),
      }).catch((e: unknown) => e);
      expect((err as Error).name, method).toBe('TimeoutError');
    }
    // Both were received, neither answered; the create still happened.
    expect(pk.requestsTo('*', '/admin/workspaces').map((r) => [r.method, r.status])).toEqual([
      ['POST', undefined],
      ['GET', undefined],
    ]);
    expect(pk.workspaces.map((w) => w.name)).toEqual(['Hung']);
    // The faults were used up: the next call is answered.
    expect((await call('GET', '/admin/workspaces')).status).toBe(200);
  });

  it('afterHandling with a status: Portkey did the work but answered 500', async () => {
    pk.fault({ method: 'POST', path: '/admin/workspaces' }, { afterHandling: true, status: 500 });
    expect(await call('POST', '/admin/workspaces', { name: 'Half done' })).toMatchObject(errorOf('AB04', 500));
    expect(pk.workspaces.map((w) => w.name)).toEqual(['Half done']);
  });

  it('latencyMs delays every response; close() does not wait for delayed responses', async () => {
    pk.latencyMs = 60;
    const t0 = Date.now();
    await call('GET', '/admin/workspaces');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);

    const other = await startFakePortkey({ adminKey: 'other-key' });
    other.fault({ method: '*', path: /.*/ }, { delayMs: 60_000 });
    const pending = fetch(`${other.baseUrl}/admin/workspaces`, { headers: { 'x-portkey-api-key': 'other-key' } }).catch((e: unknown) => e);
    await new Promise((r) => setTimeout(r, 30));
    const c0 = Date.now();
    await other.close();
    expect(Date.now() - c0).toBeLessThan(1000);
    expect(await pending).toBeInstanceOf(Error);
  });
});

describe('fake Portkey: the official OpenAPI schemas (portkey-spec.json)', () => {
  it('answers 400 AB01 naming what failed, and stores nothing, when a body breaks the schema', async () => {
    // The hand-written checks pass this body; only the spec's SageMakerConfiguration rejects it.
    const sagemaker = {
      aws_auth_type: 'assumedRole',
      aws_region: 'us-east-1',
      aws_role_arn: 'arn:aws:iam::123456789012:role/R',
      amzn_sagemaker_target_model: 5,
    };
    const res = await call('POST', '/integrations', { name: 'S', ai_provider_id: 'sagemaker', configurations: sagemaker });
    expect(res).toMatchObject({
      status: 400,
      body: {
        success: false,
        data: { errorCode: 'AB01', message: 'Invalid request: configurations.amzn_sagemaker_target_model must be string' },
      },
    });
    expect(pk.integrations).toEqual([]);
    const ws = await call('POST', '/admin/workspaces', { name: 'Team', users: 'alice' });
    expect(ws).toMatchObject(errorOf('AB01', 400));
    expect(pk.workspaces).toEqual([]);
  });

  it('answers 400 AB01 to an undocumented or ill-typed list query parameter', async () => {
    expect(await call('GET', '/admin/workspaces?limit=5')).toMatchObject({
      status: 400,
      body: { data: { errorCode: 'AB01', message: 'Invalid request: query parameter limit is not documented for GET /admin/workspaces' } },
    });
    expect(await call('GET', '/secret-references?page_size=101')).toMatchObject({
      status: 400,
      body: { data: { errorCode: 'AB01', message: 'Invalid request: query page_size must be <= 100' } },
    });
    expect((await call('GET', '/integrations?current_page=0&page_size=10&type=all')).status).toBe(200);
  });
});

describe('fake Portkey: API keys', () => {
  it('creates a workspace service key: the spec schema is checked, the answer is {id, key, object}, the value kept', async () => {
    const ws = pk.seedWorkspace({ name: 'Keys', slug: 'ws-keys' });
    pk.issueKeyValues('pk-live-one');
    const res = await call('POST', '/api-keys/workspace/service', { name: 'svc', workspace_id: 'ws-keys', scopes: ['completions.write'] });
    expect(res.status).toBe(200);
    const body = res.body as { id: string; key: string; object: string };
    expect(body).toEqual({ id: expect.any(String), key: 'pk-live-one', object: 'api-key' });
    expect(pk.apiKeys[0]).toMatchObject({ id: body.id, workspace_id: ws.id, type: 'workspace-service', value: 'pk-live-one' });
  });

  it.each([
    ['no scopes', { name: 'svc', workspace_id: 'ws-keys' }],
    ['empty scopes', { name: 'svc', workspace_id: 'ws-keys', scopes: [] }],
    ['no workspace', { name: 'svc', scopes: ['completions.write'] }],
    [
      'a rate limit unit the spec does not know',
      { name: 'svc', workspace_id: 'ws-keys', scopes: ['a.b'], rate_limits: [{ type: 'requests', unit: 'rpy', value: 1 }] },
    ],
    [
      'a transition shorter than 30 min',
      { name: 'svc', workspace_id: 'ws-keys', scopes: ['a.b'], rotation_policy: { key_transition_period_ms: 1000 } },
    ],
  ])('400 AB01 for %s', async (_what, body) => {
    pk.seedWorkspace({ name: 'Keys', slug: 'ws-keys' });
    expect(await call('POST', '/api-keys/workspace/service', body)).toMatchObject(errorOf('AB01', 400));
    expect(pk.apiKeys).toEqual([]);
  });

  it('an unknown workspace is 403 AB03, like every unknown workspace', async () => {
    expect(await call('POST', '/api-keys/workspace/service', { name: 'svc', workspace_id: 'ws-none', scopes: ['a.b'] })).toMatchObject(
      errorOf('AB03', 403),
    );
  });

  it('lists by workspace and gets by id with the value masked, never in clear', async () => {
    const a = pk.seedWorkspace({ name: 'A', slug: 'ws-a' });
    pk.seedWorkspace({ name: 'B', slug: 'ws-b' });
    pk.issueKeyValues('pk-live-secret-a', 'pk-live-secret-b');
    await call('POST', '/api-keys/workspace/service', { name: 'ka', workspace_id: 'ws-a', scopes: ['completions.write'] });
    await call('POST', '/api-keys/workspace/service', { name: 'kb', workspace_id: 'ws-b', scopes: ['completions.write'] });
    const list = await call('GET', `/api-keys?workspace_id=${a.id}`);
    expect(list.status).toBe(200);
    expect((list.body as { data: Array<{ name: string; key: string }> }).data.map((k) => [k.name, k.key])).toEqual([['ka', 'pk*******-a']]);
    expect(list.text).not.toContain('secret');
    const id = pk.apiKeys[0]?.id ?? '';
    const one = await call('GET', `/api-keys/${id}`);
    expect(one.body).toMatchObject({ id, name: 'ka', workspace_id: a.id, scopes: ['completions.write'], object: 'api-key' });
    expect(one.text).not.toContain('secret');
    expect(await call('GET', '/api-keys?bogus=1')).toMatchObject(errorOf('AB01', 400));
  });

  it('rotates: a new value, the previous one valid until the transition ends', async () => {
    pk.seedWorkspace({ name: 'A', slug: 'ws-a' });
    pk.issueKeyValues('pk-live-old', 'pk-live-new');
    await call('POST', '/api-keys/workspace/service', { name: 'ka', workspace_id: 'ws-a', scopes: ['completions.write'] });
    const id = pk.apiKeys[0]?.id ?? '';
    const before = Date.now();
    const res = await call('POST', `/api-keys/${id}/rotate`, { key_transition_period_ms: 3_600_000 });
    expect(res.body).toEqual({ id, key: 'pk-live-new', key_transition_expires_at: expect.any(String) });
    const ends = Date.parse((res.body as { key_transition_expires_at: string }).key_transition_expires_at);
    expect(ends).toBeGreaterThanOrEqual(before + 3_600_000);
    expect(pk.apiKeys[0]).toMatchObject({ value: 'pk-live-new', previous: { value: 'pk-live-old' } });
    expect(await call('POST', `/api-keys/${id}/rotate`, { key_transition_period_ms: 60_000 })).toMatchObject(errorOf('AB01', 400));
    expect(await call('POST', '/api-keys/00000000-0000-4000-8000-000000000000/rotate', {})).toMatchObject(errorOf('AB08', 404));
  });
});
