import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { EXTRACT_PATH, extract } from '../../scripts/spec/extract.js';
import { buildConfigurations } from '../../src/portkey/configurations.js';
import { customHostField, keyNeed, PROVIDERS, secretTargets, type Provider, type ProviderField } from '../../src/portkey/providers.js';
import { bodyErrors, queryErrors, SPEC } from '../support/portkey-schema.js';

// CI sets PORTKEY_OPENAPI to Portkey's official OpenAPI spec (.ci/run, when the shared reference copy is there).
// Unset → reported as skipped. Set → the committed extract must be exactly what the generator makes of it.
const specPath = process.env.PORTKEY_OPENAPI;
const noSpec = specPath === undefined || specPath === '';

describe("the committed extract of Portkey's OpenAPI spec", () => {
  it.skipIf(noSpec)('still matches the spec (PORTKEY_OPENAPI)', () => {
    const committed: unknown = JSON.parse(readFileSync(EXTRACT_PATH, 'utf8'));
    expect(committed).toEqual(extract(readFileSync(specPath ?? '', 'utf8')));
  });

  it('names the spec it came from and says it is generated', () => {
    expect(SPEC.title).toBe('Portkey API');
    expect(SPEC.version).toMatch(/^\d+\.\d+/);
    expect((SPEC as unknown as { _note: string })._note).toMatch(/do not edit; regenerate with `npx tsx scripts\/spec\/extract\.ts/);
  });
});

// A value each catalog field accepts, so every auth mode builds a body.
const SERVICE_ACCOUNT = {
  type: 'service_account',
  project_id: 'acme-ml',
  private_key: 'k',
  client_email: 'a@acme-ml.iam.gserviceaccount.com',
};
const SAMPLES: Record<string, string> = {
  aws_access_key_id: 'AKIAABCDEFGHIJKLMNOP',
  aws_role_arn: 'arn:aws:iam::123456789012:role/PortkeyAccess',
  vertex_project_id: 'acme-ml',
  vertex_service_account_json: JSON.stringify(SERVICE_ACCOUNT),
  snowflake_account: 'myorg-myaccount',
  byteplus_region: 'ap-southeast-1',
};
function sample(f: ProviderField): string {
  if (SAMPLES[f.key]) return SAMPLES[f.key] as string;
  if (f.kind === 'select') return f.initial ?? f.choices?.[0]?.value ?? '';
  if (f.kind === 'url') return f.placeholder?.startsWith('https://') ? f.placeholder : 'https://llm.example.com/v1';
  if (f.pattern && f.placeholder && f.pattern.test(f.placeholder)) return f.placeholder;
  return 'sample-value';
}

/** Every field filled (optional ones too, so their types are checked), as the modal would give them. */
function bodyFor(p: Provider, modeId: string | undefined): Record<string, unknown> {
  const mode = p.authModes?.find((m) => m.id === modeId);
  const fields = [...p.fields, ...(mode?.fields ?? [])];
  const deploymentFields = p.deployments?.fields ?? [];
  const built = buildConfigurations({
    providerId: p.id,
    ...(modeId ? { authMode: modeId } : {}),
    values: Object.fromEntries(fields.map((f) => [f.key, sample(f)])),
    ...(p.deployments ? { deployments: [Object.fromEntries(deploymentFields.map((f) => [f.key, sample(f)]))] } : {}),
    ...(customHostField(p).required ? { customHost: 'https://llm.example.com/v1' } : {}),
  });
  if (!built.ok) throw new Error(`${p.id}/${modeId}: ${JSON.stringify(built.errors)}`);
  return {
    name: `${p.label} prod`,
    slug: `${p.id}-prod`,
    ai_provider_id: p.id,
    ...(keyNeed(p, modeId) !== 'none' ? { key: 'sk-sample' } : {}),
    ...(built.configurations ? { configurations: built.configurations } : {}),
  };
}

type Case = [name: string, providerId: string, modeId: string | undefined];
const MODES: Case[] = PROVIDERS.flatMap((p): Case[] =>
  p.authModes ? p.authModes.map((m): Case => [`${p.id} ${m.id}`, p.id, m.id]) : [[p.id, p.id, undefined]],
);

describe('every auth mode of every catalog provider sends a body the spec accepts (POST /integrations)', () => {
  it.each(MODES)('%s', (_name, providerId, modeId) => {
    const p = PROVIDERS.find((x) => x.id === providerId) as Provider;
    expect(bodyErrors('POST /integrations', bodyFor(p, modeId))).toEqual([]);
  });
});

// Issue 13 §6: every secret field (and the key) can come from a secret reference instead; the body still validates.
const WITH_SECRET_FIELDS = MODES.filter(([, id, mode]) =>
  secretTargets(PROVIDERS.find((x) => x.id === id) as Provider, mode).some((t) => t.field !== undefined),
);
describe('every auth mode with secret fields, each from a secret reference, sends a body the spec accepts', () => {
  it.each(WITH_SECRET_FIELDS)('%s', (_name, providerId, modeId) => {
    const p = PROVIDERS.find((x) => x.id === providerId) as Provider;
    const targets = secretTargets(p, modeId);
    const mapped = new Set(targets.flatMap((t) => (t.field ? [t.field.key] : [])));
    const body = bodyFor(p, modeId);
    const config = { ...(body.configurations as Record<string, unknown>) };
    for (const key of mapped) delete config[key];
    body.configurations = config;
    body.secret_mappings = targets.map((t) => ({
      target_field: t.target,
      secret_reference_id: `sr-${t.target}`,
      ...(t.valueFormat ? { value_format: t.valueFormat } : {}),
    }));
    if (targets.some((t) => t.target === 'key')) delete body.key;
    expect(bodyErrors('POST /integrations', body)).toEqual([]);
  });
});

describe('the validator rejects what the spec (plus what Portkey documents) does not allow', () => {
  const vertex = PROVIDERS.find((x) => x.id === 'vertex-ai') as Provider;

  it('vertex_auth_type workload, which the catalog no longer offers', () => {
    const body = bodyFor(vertex, 'basic');
    body.configurations = { ...(body.configurations as object), vertex_auth_type: 'workload' };
    expect(bodyErrors('POST /integrations', body)).toEqual([
      'configurations.vertex_auth_type must be equal to one of the allowed values: basic, serviceAccount',
    ]);
  });

  it("aws_auth_type serviceRole for bedrock (documented only for Claude on AWS), and a missing branch's required field", () => {
    const body = { name: 'b', ai_provider_id: 'bedrock', configurations: { aws_auth_type: 'serviceRole' } };
    expect(bodyErrors('POST /integrations', body)).toEqual([
      "configurations must have required property 'aws_region'",
      'configurations.aws_auth_type must be equal to one of the allowed values: accessKey, assumedRole',
    ]);
    const claude = {
      name: 'c',
      ai_provider_id: 'claude-platform-aws',
      configurations: { aws_auth_type: 'serviceRole', anthropic_aws_workspace_id: 'w' },
    };
    expect(bodyErrors('POST /integrations', claude)).toEqual([]);
  });

  it('a vertex service account sent as a string, not an object', () => {
    const body = {
      name: 'v',
      ai_provider_id: 'vertex-ai',
      configurations: { vertex_auth_type: 'serviceAccount', vertex_region: 'us-central1', vertex_service_account_json: '{}' },
    };
    expect(bodyErrors('POST /integrations', body)).toEqual(['configurations.vertex_service_account_json must be object']);
  });

  it('workspace create and workspace access bodies', () => {
    expect(bodyErrors('POST /admin/workspaces', { name: 'Team', defaults: { metadata: { team: 'ml' } } })).toEqual([]);
    expect(bodyErrors('POST /admin/workspaces', { name: 'Team', defaults: { metadata: { n: 1 } } })).toEqual([
      'defaults.metadata.n must be string',
    ]);
    expect(bodyErrors('PUT /integrations/{slug}/workspaces', { workspaces: [{ id: 'ws-1', enabled: true }] })).toEqual([]);
    expect(bodyErrors('PUT /integrations/{slug}/workspaces', { workspaces: [{ id: 'ws-1' }] })).toEqual([
      "workspaces.0 must have required property 'enabled'",
    ]);
  });

  it('query parameters: only documented ones, of the documented type', () => {
    expect(queryErrors('GET /admin/workspaces', { current_page: '0', page_size: '10', name: 'x' })).toEqual([]);
    expect(queryErrors('GET /secret-references', { page_size: '500' })).toEqual(['query page_size must be <= 100']);
    expect(queryErrors('GET /integrations', { type: 'everything', limit: '1' })).toEqual([
      'query type must be equal to one of the allowed values: workspace, organisation, all',
      'query parameter limit is not documented for GET /integrations',
    ]);
  });
});
