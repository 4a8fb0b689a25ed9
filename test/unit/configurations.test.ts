import { describe, expect, it } from 'vitest';
import { buildConfigurations, providerSchema, summarize } from '../../src/portkey/configurations.js';
import type { ConfigResult, ProviderInput } from '../../src/portkey/configurations.js';
import { getProvider } from '../../src/portkey/providers.js';
import type { Provider } from '../../src/portkey/providers.js';

const CANARY = 'CANARY-SECRET-123456';
const SERVICE_ACCOUNT = {
  type: 'service_account',
  project_id: 'acme-ml',
  private_key_id: 'abc',
  private_key: `-----BEGIN PRIVATE KEY-----\n${CANARY}\n-----END PRIVATE KEY-----\n`,
  client_email: 'portkey@acme-ml.iam.gserviceaccount.com',
  client_id: '123',
};
const provider = (id: string): Provider => {
  const p = getProvider(id);
  if (!p) throw new Error(`no provider ${id}`);
  return p;
};

function configOf(input: ProviderInput): Record<string, unknown> | undefined {
  const r = buildConfigurations(input);
  if (!r.ok) throw new Error(`unexpected errors: ${JSON.stringify(r.errors)}`);
  return r.configurations;
}
function errorsOf(input: ProviderInput): Record<string, string> {
  const r: ConfigResult = buildConfigurations(input);
  if (r.ok) throw new Error(`expected errors, got ${JSON.stringify(r.configurations)}`);
  return r.errors;
}

const DEPLOYMENT = { azure_deployment_name: 'gpt-4o', azure_api_version: '2024-10-21', azure_model_slug: 'gpt-4o' };

describe('buildConfigurations: bodies', () => {
  it('openai with organization and project (trimmed)', () => {
    expect(configOf({ providerId: 'openai', values: { openai_organization: ' org-abc ', openai_project: 'proj_1' } })).toEqual({
      openai_organization: 'org-abc',
      openai_project: 'proj_1',
    });
  });

  it('openai with nothing → undefined (blank optional fields are omitted)', () => {
    expect(configOf({ providerId: 'openai', values: {} })).toBeUndefined();
    expect(configOf({ providerId: 'openai', values: { openai_organization: '  ', openai_project: '' }, customHost: ' ' })).toBeUndefined();
  });

  it('azure-openai default with two deployments, the second one default', () => {
    expect(
      configOf({
        providerId: 'azure-openai',
        authMode: 'default',
        values: { azure_resource_name: 'my-openai-resource' },
        deployments: [
          { ...DEPLOYMENT, alias: '' },
          { azure_deployment_name: 'mini', azure_api_version: '2024-10-21', azure_model_slug: 'gpt-4o-mini', alias: 'fast' },
        ],
        defaultDeployment: 1,
      }),
    ).toEqual({
      azure_auth_mode: 'default',
      azure_resource_name: 'my-openai-resource',
      azure_deployment_config: [
        { azure_deployment_name: 'gpt-4o', azure_api_version: '2024-10-21', azure_model_slug: 'gpt-4o', is_default: false },
        {
          azure_deployment_name: 'mini',
          azure_api_version: '2024-10-21',
          azure_model_slug: 'gpt-4o-mini',
          alias: 'fast',
          is_default: true,
        },
      ],
    });
  });

  it('azure-openai without an auth mode sends azure_auth_mode: default; blank rows are skipped', () => {
    expect(
      configOf({
        providerId: 'azure-openai',
        values: { azure_resource_name: 'r1' },
        deployments: [DEPLOYMENT, { azure_deployment_name: ' ', alias: '' }],
      }),
    ).toEqual({
      azure_auth_mode: 'default',
      azure_resource_name: 'r1',
      azure_deployment_config: [{ ...DEPLOYMENT, is_default: true }],
    });
  });

  it('azure-openai entra', () => {
    expect(
      configOf({
        providerId: 'azure-openai',
        authMode: 'entra',
        values: {
          azure_resource_name: 'res',
          azure_entra_tenant_id: 'tenant-1',
          azure_entra_client_id: 'client-1',
          azure_entra_client_secret: CANARY,
        },
        deployments: [DEPLOYMENT],
      }),
    ).toEqual({
      azure_auth_mode: 'entra',
      azure_resource_name: 'res',
      azure_entra_tenant_id: 'tenant-1',
      azure_entra_client_id: 'client-1',
      azure_entra_client_secret: CANARY,
      azure_deployment_config: [{ ...DEPLOYMENT, is_default: true }],
    });
  });

  it("azure-openai managed without a client id; other modes' leftovers are not sent", () => {
    expect(
      configOf({
        providerId: 'azure-openai',
        authMode: 'managed',
        values: { azure_resource_name: 'res', azure_managed_client_id: '', azure_entra_client_secret: 'left-over' },
        deployments: [DEPLOYMENT],
      }),
    ).toEqual({
      azure_auth_mode: 'managed',
      azure_resource_name: 'res',
      azure_deployment_config: [{ ...DEPLOYMENT, is_default: true }],
    });
  });

  it('azure-ai default', () => {
    expect(
      configOf({
        providerId: 'azure-ai',
        authMode: 'default',
        values: {
          azure_foundry_url: 'https://res.services.ai.azure.com/models/',
          azure_api_version: '2024-05-01-preview',
          azure_deployment_name: '',
        },
      }),
    ).toEqual({
      azure_auth_mode: 'default',
      azure_foundry_url: 'https://res.services.ai.azure.com/models',
      azure_api_version: '2024-05-01-preview',
    });
  });

  it('bedrock accessKey', () => {
    expect(
      configOf({
        providerId: 'bedrock',
        authMode: 'accessKey',
        values: { aws_region: 'eu-west-1', aws_access_key_id: 'AKIAIOSFODNN7EXAMPLE', aws_secret_access_key: CANARY },
      }),
    ).toEqual({
      aws_auth_type: 'accessKey',
      aws_region: 'eu-west-1',
      aws_access_key_id: 'AKIAIOSFODNN7EXAMPLE',
      aws_secret_access_key: CANARY,
    });
  });

  it('bedrock assumedRole with and without external id', () => {
    const role = 'arn:aws:iam::123456789012:role/PortkeyBedrock';
    expect(
      configOf({
        providerId: 'bedrock',
        authMode: 'assumedRole',
        values: { aws_region: 'us-east-1', aws_role_arn: role, aws_external_id: 'ext-42' },
      }),
    ).toEqual({ aws_auth_type: 'assumedRole', aws_region: 'us-east-1', aws_role_arn: role, aws_external_id: 'ext-42' });
    expect(
      configOf({
        providerId: 'bedrock',
        authMode: 'assumedRole',
        values: { aws_region: 'us-east-1', aws_role_arn: role, aws_external_id: '' },
      }),
    ).toEqual({ aws_auth_type: 'assumedRole', aws_region: 'us-east-1', aws_role_arn: role });
  });

  it('sagemaker with a target model', () => {
    expect(
      configOf({
        providerId: 'sagemaker',
        authMode: 'assumedRole',
        values: {
          aws_region: 'us-west-2',
          aws_role_arn: 'arn:aws:iam::123456789012:role/SM',
          amzn_sagemaker_target_model: 'model-a.tar.gz',
        },
      }),
    ).toEqual({
      aws_auth_type: 'assumedRole',
      aws_region: 'us-west-2',
      aws_role_arn: 'arn:aws:iam::123456789012:role/SM',
      amzn_sagemaker_target_model: 'model-a.tar.gz',
    });
  });

  it('vertex serviceAccount sends the key file as an object', () => {
    const cfg = configOf({
      providerId: 'vertex-ai',
      authMode: 'serviceAccount',
      values: { vertex_region: 'us-central1', vertex_service_account_json: `\n${JSON.stringify(SERVICE_ACCOUNT, null, 2)}\n` },
    });
    expect(cfg).toEqual({ vertex_auth_type: 'serviceAccount', vertex_region: 'us-central1', vertex_service_account_json: SERVICE_ACCOUNT });
    expect(typeof cfg?.vertex_service_account_json).toBe('object');
  });

  it('vertex basic; workload (undocumented by Portkey) is refused, not sent', () => {
    expect(
      configOf({ providerId: 'vertex-ai', authMode: 'basic', values: { vertex_region: 'global', vertex_project_id: 'acme-ml' } }),
    ).toEqual({ vertex_auth_type: 'basic', vertex_region: 'global', vertex_project_id: 'acme-ml' });
    const workload = buildConfigurations({
      providerId: 'vertex-ai',
      authMode: 'workload',
      values: { vertex_region: 'europe-west4', vertex_project_id: 'acme-ml' },
    });
    expect(workload).toEqual({ ok: false, errors: { vertex_auth_type: 'Choose how Portkey should sign in to the provider.' } });
  });

  it('workers-ai, cortex, huggingface', () => {
    expect(configOf({ providerId: 'workers-ai', values: { workers_ai_account_id: 'abc123' } })).toEqual({
      workers_ai_account_id: 'abc123',
    });
    expect(configOf({ providerId: 'cortex', values: { snowflake_account: 'myorg-myaccount' } })).toEqual({
      snowflake_account: 'myorg-myaccount',
    });
    expect(configOf({ providerId: 'huggingface', values: { huggingface_base_url: 'https://x.endpoints.huggingface.cloud' } })).toEqual({
      huggingface_base_url: 'https://x.endpoints.huggingface.cloud',
    });
    expect(configOf({ providerId: 'huggingface', values: {} })).toBeUndefined();
  });

  it('claude-platform-aws service role', () => {
    expect(
      configOf({ providerId: 'claude-platform-aws', authMode: 'serviceRole', values: { anthropic_aws_workspace_id: 'wrkspc_01' } }),
    ).toEqual({ aws_auth_type: 'serviceRole', anthropic_aws_workspace_id: 'wrkspc_01' });
  });

  it('ollama with custom_host; anthropic with custom_host at the top level', () => {
    expect(configOf({ providerId: 'ollama', values: {}, customHost: ' https://ollama.example.com ' })).toEqual({
      custom_host: 'https://ollama.example.com',
    });
    expect(configOf({ providerId: 'anthropic', values: {}, customHost: 'https://proxy.example.com/v1' })).toEqual({
      custom_host: 'https://proxy.example.com/v1',
    });
    expect(configOf({ providerId: 'anthropic', values: {} })).toBeUndefined();
  });
});

describe('buildConfigurations: errors', () => {
  it('missing azure resource name says what to enter', () => {
    const errors = errorsOf({ providerId: 'azure-openai', values: {}, deployments: [DEPLOYMENT] });
    expect(Object.keys(errors)).toEqual(['azure_resource_name']);
    expect(errors.azure_resource_name).toMatch(/Enter the Azure resource name, e\.g\. my-openai-resource/);
  });

  it('a full endpoint URL instead of the resource name is explained', () => {
    const errors = errorsOf({
      providerId: 'azure-openai',
      values: { azure_resource_name: 'https://x.openai.azure.com' },
      deployments: [DEPLOYMENT],
    });
    expect(Object.keys(errors)).toEqual(['azure_resource_name']);
    expect(errors.azure_resource_name).toMatch(/not the full/);
  });

  it('deployment row missing a model slug → deployments.1.azure_model_slug', () => {
    const errors = errorsOf({
      providerId: 'azure-openai',
      values: { azure_resource_name: 'r' },
      deployments: [DEPLOYMENT, { azure_deployment_name: 'b', azure_api_version: '2024-10-21' }],
    });
    expect(Object.keys(errors)).toEqual(['deployments.1.azure_model_slug']);
  });

  it('row indexes stay those of the input even with blank rows in between', () => {
    const errors = errorsOf({
      providerId: 'azure-openai',
      values: { azure_resource_name: 'r' },
      deployments: [DEPLOYMENT, {}, { azure_deployment_name: 'c', azure_model_slug: 'm' }],
    });
    expect(Object.keys(errors)).toEqual(['deployments.2.azure_api_version']);
  });

  it('no deployments, and 6 deployments → deployments', () => {
    expect(Object.keys(errorsOf({ providerId: 'azure-openai', values: { azure_resource_name: 'r' } }))).toEqual(['deployments']);
    expect(Object.keys(errorsOf({ providerId: 'azure-openai', values: { azure_resource_name: 'r' }, deployments: [{}, {}] }))).toEqual([
      'deployments',
    ]);
    const six = Array.from({ length: 6 }, (_, i) => ({ ...DEPLOYMENT, azure_deployment_name: `d${i}` }));
    expect(Object.keys(errorsOf({ providerId: 'azure-openai', values: { azure_resource_name: 'r' }, deployments: six }))).toEqual([
      'deployments',
    ]);
  });

  it('default deployment pointing at no filled-in row → deployments', () => {
    expect(
      Object.keys(
        errorsOf({ providerId: 'azure-openai', values: { azure_resource_name: 'r' }, deployments: [DEPLOYMENT], defaultDeployment: 3 }),
      ),
    ).toEqual(['deployments']);
  });

  it('api version longer than 30 characters', () => {
    const errors = errorsOf({
      providerId: 'azure-openai',
      values: { azure_resource_name: 'r' },
      deployments: [{ ...DEPLOYMENT, azure_api_version: '2024-10-21-preview-and-some-more-x' }],
    });
    expect(Object.keys(errors)).toEqual(['deployments.0.azure_api_version']);
    expect(errors['deployments.0.azure_api_version']).toMatch(/30 characters/);
    expect(
      Object.keys(
        errorsOf({
          providerId: 'azure-ai',
          values: { azure_foundry_url: 'https://a.services.ai.azure.com/models', azure_api_version: 'x'.repeat(31) },
        }),
      ),
    ).toEqual(['azure_api_version']);
  });

  it('vertex: invalid JSON, and JSON that is not a service-account key (never echoing the input)', () => {
    const bad = errorsOf({
      providerId: 'vertex-ai',
      authMode: 'serviceAccount',
      values: { vertex_region: 'us-central1', vertex_service_account_json: `{"private_key": "${CANARY}"` },
    });
    expect(Object.keys(bad)).toEqual(['vertex_service_account_json']);
    expect(bad.vertex_service_account_json).toMatch(/not valid JSON/);
    expect(JSON.stringify(bad)).not.toContain('CANARY');

    const { client_email: _omit, ...noEmail } = SERVICE_ACCOUNT;
    const notSa = errorsOf({
      providerId: 'vertex-ai',
      authMode: 'serviceAccount',
      values: { vertex_region: 'us-central1', vertex_service_account_json: JSON.stringify(noEmail) },
    });
    expect(Object.keys(notSa)).toEqual(['vertex_service_account_json']);
    expect(notSa.vertex_service_account_json).toMatch(/client_email/);
    expect(JSON.stringify(notSa)).not.toContain('CANARY');

    const wrongType = errorsOf({
      providerId: 'vertex-ai',
      authMode: 'serviceAccount',
      values: {
        vertex_region: 'us-central1',
        vertex_service_account_json: JSON.stringify({ ...SERVICE_ACCOUNT, type: 'authorized_user' }),
      },
    });
    expect(wrongType.vertex_service_account_json).toMatch(/"type" should be "service_account"/);

    expect(
      Object.keys(
        errorsOf({
          providerId: 'vertex-ai',
          authMode: 'serviceAccount',
          values: { vertex_region: 'us-central1', vertex_service_account_json: '[1,2]' },
        }),
      ),
    ).toEqual(['vertex_service_account_json']);
    expect(
      Object.keys(errorsOf({ providerId: 'vertex-ai', authMode: 'serviceAccount', values: { vertex_region: 'us-central1' } })),
    ).toEqual(['vertex_service_account_json']);
  });

  it('http and private custom hosts are rejected with a message saying https://', () => {
    for (const host of [
      'http://proxy.example.com',
      'https://localhost:8080',
      'https://10.0.0.5',
      'https://192.168.1.2/v1',
      'ftp://x.example.com',
      'proxy.example.com',
      'https://x.example.com/#frag',
    ]) {
      const errors = errorsOf({ providerId: 'anthropic', values: {}, customHost: host });
      expect(Object.keys(errors), host).toEqual(['custom_host']);
      expect(errors.custom_host).toMatch(/https:\/\//);
    }
  });

  it('ollama without a custom host', () => {
    const errors = errorsOf({ providerId: 'ollama', values: {} });
    expect(Object.keys(errors)).toEqual(['custom_host']);
    expect(errors.custom_host).toMatch(/https:\/\//);
  });

  it('a region that is not in the list', () => {
    expect(
      Object.keys(
        errorsOf({
          providerId: 'bedrock',
          authMode: 'assumedRole',
          values: { aws_region: 'us-east-9', aws_role_arn: 'arn:aws:iam::123456789012:role/X' },
        }),
      ),
    ).toEqual(['aws_region']);
    expect(
      Object.keys(
        errorsOf({ providerId: 'vertex-ai', authMode: 'basic', values: { vertex_region: 'mars-1', vertex_project_id: 'acme-ml' } }),
      ),
    ).toEqual(['vertex_region']);
  });

  it('bedrock: missing keys, bad role ARN', () => {
    expect(Object.keys(errorsOf({ providerId: 'bedrock', authMode: 'accessKey', values: { aws_region: 'us-east-1' } })).sort()).toEqual([
      'aws_access_key_id',
      'aws_secret_access_key',
    ]);
    expect(
      Object.keys(
        errorsOf({ providerId: 'bedrock', authMode: 'assumedRole', values: { aws_region: 'us-east-1', aws_role_arn: 'PortkeyRole' } }),
      ),
    ).toEqual(['aws_role_arn']);
  });

  it('required fields of other providers and modes', () => {
    expect(Object.keys(errorsOf({ providerId: 'workers-ai', values: {} }))).toEqual(['workers_ai_account_id']);
    expect(Object.keys(errorsOf({ providerId: 'cortex', values: { snowflake_account: ' ' } }))).toEqual(['snowflake_account']);
    expect(
      Object.keys(
        errorsOf({ providerId: 'azure-openai', authMode: 'workload', values: { azure_resource_name: 'r' }, deployments: [DEPLOYMENT] }),
      ).sort(),
    ).toEqual(['azure_workload_client_id', 'azure_workload_tenant_id']);
    expect(Object.keys(errorsOf({ providerId: 'azure-ai', values: {} }))).toEqual(['azure_foundry_url']);
  });

  it('unknown provider or auth mode', () => {
    expect(errorsOf({ providerId: 'aws-bedrock', values: {} })).toHaveProperty('provider');
    expect(errorsOf({ providerId: 'bedrock', authMode: 'apiKey', values: { aws_region: 'us-east-1' } })).toHaveProperty('aws_auth_type');
  });
});

describe('providerSchema', () => {
  it('is a zod schema producing the body from raw strings', () => {
    const schema = providerSchema(provider('bedrock'), 'assumedRole');
    expect(schema.parse({ aws_region: ' us-east-1 ', aws_role_arn: 'arn:aws:iam::123456789012:role/R', junk: 'x' })).toEqual({
      aws_auth_type: 'assumedRole',
      aws_region: 'us-east-1',
      aws_role_arn: 'arn:aws:iam::123456789012:role/R',
    });
    expect(schema.safeParse({}).success).toBe(false);
  });
});

describe('summarize', () => {
  it('shows non-secret fields with labels and secrets only as ••••', () => {
    const cfg = configOf({
      providerId: 'bedrock',
      authMode: 'accessKey',
      values: { aws_region: 'eu-west-1', aws_access_key_id: 'AKIACANARY1234567890', aws_secret_access_key: CANARY },
      customHost: 'https://bedrock-proxy.example.com',
    });
    expect(summarize(provider('bedrock'), cfg)).toEqual([
      { label: 'Authentication', value: 'Access key' },
      { label: 'AWS region', value: 'eu-west-1' },
      { label: 'AWS access key ID', value: '••••' },
      { label: 'AWS secret access key', value: '••••' },
      { label: 'Custom host', value: 'https://bedrock-proxy.example.com' },
    ]);
  });

  it('summarises deployments and marks the default', () => {
    const cfg = configOf({
      providerId: 'azure-openai',
      authMode: 'entra',
      values: { azure_resource_name: 'res', azure_entra_tenant_id: 't', azure_entra_client_id: 'c', azure_entra_client_secret: CANARY },
      deployments: [DEPLOYMENT, { azure_deployment_name: 'mini-prod', azure_api_version: '2024-10-21', azure_model_slug: 'gpt-4o-mini' }],
    });
    const rows = summarize(provider('azure-openai'), cfg);
    expect(rows).toContainEqual({ label: 'Deployment 1', value: 'gpt-4o (2024-10-21) ← default' });
    expect(rows).toContainEqual({ label: 'Deployment 2', value: 'mini-prod → gpt-4o-mini (2024-10-21)' });
    expect(rows).toContainEqual({ label: 'Entra client secret', value: '••••' });
    expect(JSON.stringify(rows)).not.toContain('CANARY');
  });

  it('never contains a secret value, for any provider and mode', () => {
    const vertex = configOf({
      providerId: 'vertex-ai',
      authMode: 'serviceAccount',
      values: { vertex_region: 'us-central1', vertex_service_account_json: JSON.stringify(SERVICE_ACCOUNT) },
    });
    const vertexRows = summarize(provider('vertex-ai'), vertex);
    expect(vertexRows).toContainEqual({ label: 'Service account key (JSON)', value: '••••' });
    expect(JSON.stringify(vertexRows)).not.toMatch(/CANARY|123456|portkey@acme/);

    // Secrets planted in every secret field of every provider/mode, plus stray keys not in the catalog.
    for (const p of [
      provider('azure-openai'),
      provider('azure-ai'),
      provider('bedrock'),
      provider('sagemaker'),
      provider('claude-platform-aws'),
      provider('vertex-ai'),
    ]) {
      for (const m of p.authModes ?? []) {
        const cfg: Record<string, unknown> = { [p.authField ?? 'x']: m.id, key: CANARY, masked_key: CANARY, password: CANARY };
        for (const f of [...p.fields, ...m.fields]) {
          if (f.kind === 'secret') cfg[f.key] = CANARY;
          if (f.kind === 'json') cfg[f.key] = SERVICE_ACCOUNT;
        }
        const out = JSON.stringify(summarize(p, cfg));
        expect(out, `${p.id}/${m.id}`).not.toContain('CANARY');
        expect(out, `${p.id}/${m.id}`).not.toContain('123456');
      }
    }
  });

  it('returns no rows when there is no configuration', () => {
    expect(summarize(provider('anthropic'), undefined)).toEqual([]);
  });
});
