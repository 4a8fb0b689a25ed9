import { describe, expect, it } from 'vitest';
import {
  PROVIDERS,
  authModeOf,
  customHostField,
  fieldsFor,
  findProvider,
  getProvider,
  isSecretField,
  keyNeed,
  normalizeName,
  providerOptionGroups,
  suggestProviders,
} from '../../src/portkey/providers.js';
import type { Provider, ProviderField } from '../../src/portkey/providers.js';

// reference/portkey-admin-api.md §6: gateway VALID_PROVIDERS (minus `portkey`) + the newer ids from the docs.
const EXPECTED_IDS = [
  'openai',
  'anthropic',
  'azure-openai',
  'azure-ai',
  'bedrock',
  'vertex-ai',
  'google',
  'cohere',
  'mistral-ai',
  'anyscale',
  'palm',
  'together-ai',
  'perplexity-ai',
  'reka-ai',
  'deepinfra',
  'ncompass',
  'stability-ai',
  'nomic',
  'ollama',
  'ai21',
  'groq',
  'segmind',
  'jina',
  'fireworks-ai',
  'workers-ai',
  'moonshot',
  'openrouter',
  'lingyi',
  'zhipu',
  'novita-ai',
  'monsterapi',
  'deepseek',
  'predibase',
  'triton',
  'voyage',
  'github',
  'deepbricks',
  'siliconflow',
  'huggingface',
  'cerebras',
  'inference-net',
  'sambanova',
  'lemonfox-ai',
  'upstage',
  'lambda',
  'dashscope',
  'x-ai',
  'cortex',
  'sagemaker',
  'nebius',
  'recraft-ai',
  'milvus',
  'replicate',
  'lepton',
  'kluster-ai',
  'nscale',
  'hyperbolic',
  'bytez',
  'featherless-ai',
  'krutrim',
  'qdrant',
  '302ai',
  'cometapi',
  'matterai',
  'meshy',
  'tripo3d',
  'nextbit',
  'modal',
  'z-ai',
  'oracle',
  'iointelligence',
  'aibadgr',
  'ovhcloud',
  // newer (docs)
  'bedrock-mantle',
  'claude-platform-aws',
  'byteplus',
  'fal-ai',
  'databricks',
];

/** Every (provider, mode) combination with the fields a modal would show. */
function combos(): Array<{ p: Provider; mode: string | undefined; fields: ProviderField[] }> {
  return PROVIDERS.flatMap((p) =>
    (p.authModes?.map((m) => m.id) ?? [undefined]).map((mode) => ({
      p,
      mode,
      fields: [...fieldsFor(p, mode), customHostField(p), ...(p.deployments?.fields ?? [])],
    })),
  );
}

describe('catalog contents', () => {
  it('has every id of reference §6 exactly once, and nothing else', () => {
    const ids = PROVIDERS.map((p) => p.id);
    for (const id of EXPECTED_IDS)
      expect(
        ids.filter((x) => x === id),
        id,
      ).toHaveLength(1);
    expect([...ids].sort()).toEqual([...EXPECTED_IDS].sort());
    expect(new Set(ids).size).toBe(ids.length);
  });

  it("never offers portkey or the MCP server's wrong ids", () => {
    expect(getProvider('portkey')).toBeUndefined();
    expect(getProvider('aws-bedrock')).toBeUndefined();
    expect(findProvider('portkey')).toBeUndefined();
  });

  it('labels are unique, non-empty and ≤ 75 chars; names do not collide for findProvider', () => {
    const labels = PROVIDERS.map((p) => p.label);
    expect(new Set(labels).size).toBe(labels.length);
    for (const p of PROVIDERS) {
      expect(p.label.length, p.id).toBeGreaterThan(0);
      expect(p.label.length, p.id).toBeLessThanOrEqual(75);
      if (p.docsHint) expect(p.docsHint.length, p.id).toBeLessThanOrEqual(150);
      if (p.keyLabel) expect(p.keyLabel.length, p.id).toBeLessThanOrEqual(48);
    }
    const owner = new Map<string, string>();
    for (const p of PROVIDERS) {
      for (const n of new Set([p.id, p.label, ...(p.aliases ?? [])].map(normalizeName))) {
        expect(owner.get(n) ?? p.id, `${n} claimed by ${owner.get(n)} and ${p.id}`).toBe(p.id);
        owner.set(n, p.id);
      }
    }
  });

  it('field keys are unique within each provider + mode; labels ≤ 48; hints and placeholders ≤ 150', () => {
    for (const { p, mode, fields } of combos()) {
      const where = `${p.id}/${mode ?? '-'}`;
      const keys = [...fieldsFor(p, mode), customHostField(p)].map((f) => f.key);
      expect(new Set(keys).size, where).toBe(keys.length);
      if (p.deployments) {
        const rowKeys = p.deployments.fields.map((f) => f.key);
        expect(new Set(rowKeys).size, where).toBe(rowKeys.length);
      }
      for (const f of fields) {
        expect(f.label.length, `${where} ${f.key}`).toBeLessThanOrEqual(48);
        expect((f.hint ?? '').length, `${where} ${f.key}`).toBeLessThanOrEqual(150);
        expect((f.placeholder ?? '').length, `${where} ${f.key}`).toBeLessThanOrEqual(150);
        expect(f.key, where).toMatch(/^[a-z0-9_]+$/);
      }
    }
  });

  it('select fields have 1–100 choices ≤ 75 chars and a valid initial', () => {
    for (const { p, fields } of combos()) {
      for (const f of fields.filter((x) => x.kind === 'select')) {
        const choices = f.choices ?? [];
        expect(choices.length, `${p.id} ${f.key}`).toBeGreaterThan(0);
        expect(choices.length, `${p.id} ${f.key}`).toBeLessThanOrEqual(100);
        for (const c of choices) {
          expect(c.label.length).toBeLessThanOrEqual(75);
          expect(c.value.length).toBeLessThanOrEqual(75);
        }
        if (f.initial) expect(choices.map((c) => c.value)).toContain(f.initial);
      }
    }
  });

  it('uses the spec field names, never the MCP flat names', () => {
    const allKeys = new Set(combos().flatMap(({ fields }) => fields.map((f) => f.key)));
    for (const bad of ['resource_name', 'deployment_name', 'api_version', 'aws_session_token']) {
      expect(allKeys.has(bad), bad).toBe(false);
    }
    for (const good of [
      'azure_resource_name',
      'azure_deployment_name',
      'azure_api_version',
      'azure_model_slug',
      'aws_region',
      'aws_role_arn',
      'aws_external_id',
      'vertex_region',
      'vertex_project_id',
      'vertex_service_account_json',
      'azure_foundry_url',
      'workers_ai_account_id',
      'snowflake_account',
      'huggingface_base_url',
      'anthropic_aws_workspace_id',
      'byteplus_region',
      'openai_organization',
      'openai_project',
      'amzn_sagemaker_target_model',
      'custom_host',
    ]) {
      expect(allKeys.has(good), good).toBe(true);
    }
  });

  it('auth fields and modes match the reference', () => {
    const modeIds = (id: string) => getProvider(id)?.authModes?.map((m) => m.id);
    expect(getProvider('azure-openai')?.authField).toBe('azure_auth_mode');
    expect(modeIds('azure-openai')).toEqual(['default', 'entra', 'entraFederated', 'managed', 'workload']);
    expect(modeIds('azure-ai')).toEqual(modeIds('azure-openai'));
    expect(getProvider('bedrock')?.authField).toBe('aws_auth_type');
    expect(modeIds('bedrock')).toEqual(['accessKey', 'assumedRole']);
    expect(modeIds('sagemaker')).toEqual(['accessKey', 'assumedRole']);
    expect(modeIds('claude-platform-aws')).toEqual(['accessKey', 'assumedRole', 'serviceRole']);
    expect(getProvider('vertex-ai')?.authField).toBe('vertex_auth_type');
    // Only the spec's enum: no Portkey documentation shows vertex_auth_type workload (issue 12 §5).
    expect(modeIds('vertex-ai')).toEqual(['basic', 'serviceAccount']);
    const sa = fieldsFor(getProvider('vertex-ai') as Provider, 'serviceAccount').find((f) => f.key === 'vertex_service_account_json');
    expect(sa?.kind).toBe('json');
    expect(sa && isSecretField(sa)).toBe(true);
    const aws = fieldsFor(getProvider('bedrock') as Provider, 'accessKey');
    expect(aws.filter(isSecretField).map((f) => f.key)).toEqual(['aws_access_key_id', 'aws_secret_access_key']);
    expect(getProvider('azure-openai')?.deployments).toMatchObject({ min: 1, max: 5 });
    expect(getProvider('azure-openai')?.deployments?.fields.map((f) => [f.key, f.required])).toEqual([
      ['azure_deployment_name', true],
      ['azure_api_version', true],
      ['azure_model_slug', true],
      ['alias', false],
    ]);
  });

  it('custom host is required exactly for the self-hosted providers', () => {
    const required = PROVIDERS.filter((p) => p.customHost === 'required')
      .map((p) => p.id)
      .sort();
    expect(required).toEqual(['milvus', 'ollama', 'qdrant', 'triton']);
    expect(customHostField(getProvider('ollama') as Provider)).toMatchObject({ key: 'custom_host', required: true, kind: 'url' });
    expect(customHostField(getProvider('openai') as Provider).required).toBe(false);
  });
});

describe('keyNeed / authModeOf', () => {
  const p = (id: string) => getProvider(id) as Provider;
  it('follows the auth mode, defaulting to the first mode', () => {
    expect(keyNeed(p('openai'))).toBe('required');
    expect(keyNeed(p('azure-openai'))).toBe('required');
    expect(keyNeed(p('azure-openai'), 'entra')).toBe('none');
    expect(keyNeed(p('azure-ai'), 'managed')).toBe('none');
    expect(keyNeed(p('bedrock'), 'accessKey')).toBe('none');
    expect(keyNeed(p('vertex-ai'))).toBe('none');
    expect(keyNeed(p('ollama'))).toBe('optional');
    expect(authModeOf(p('openai'))).toBeUndefined();
    expect(authModeOf(p('bedrock'), 'nope')?.id).toBe('accessKey');
    expect(authModeOf(p('bedrock'), 'assumedRole')?.id).toBe('assumedRole');
  });
  it('gives a key label whenever a key may be entered', () => {
    for (const prov of PROVIDERS) {
      const modes = prov.authModes?.map((m) => m.id) ?? [undefined];
      if (modes.some((m) => keyNeed(prov, m) !== 'none')) expect(prov.keyLabel, prov.id).toBeTruthy();
    }
    expect(getProvider('openai')?.keyLabel).toBe('OpenAI API key');
  });
});

describe('findProvider / suggestProviders', () => {
  it('matches id, label and common names, ignoring case, spaces and hyphens', () => {
    expect(findProvider('AWS Bedrock')?.id).toBe('bedrock');
    expect(findProvider('Bedrock')?.id).toBe('bedrock');
    expect(findProvider('aws bedrock')?.id).toBe('bedrock');
    expect(findProvider('azure openai')?.id).toBe('azure-openai');
    expect(findProvider('Azure-OpenAI')?.id).toBe('azure-openai');
    expect(findProvider('vertex')?.id).toBe('vertex-ai');
    expect(findProvider('xai')?.id).toBe('x-ai');
    expect(findProvider('claude')?.id).toBe('anthropic');
    expect(findProvider('together')?.id).toBe('together-ai');
    expect(findProvider('')).toBeUndefined();
    expect(findProvider('nothing-like-this')).toBeUndefined();
  });
  it('suggests the closest providers', () => {
    expect(suggestProviders('opnai')[0]?.id).toBe('openai');
    expect(suggestProviders('antropic')[0]?.id).toBe('anthropic');
    expect(suggestProviders('bedrok')[0]?.id).toBe('bedrock');
    expect(suggestProviders('mistrl', 1).map((p) => p.id)).toEqual(['mistral-ai']);
    expect(suggestProviders('zzzzzzzzzzzz')).toEqual([]);
    expect(suggestProviders('groq', 5).length).toBeLessThanOrEqual(5);
  });
});

describe('providerOptionGroups', () => {
  const groups = providerOptionGroups();
  it('puts Popular first, with openai first', () => {
    expect(groups[0]?.label).toBe('Popular');
    expect(groups[0]?.options.slice(0, 6).map((o) => o.value)).toEqual([
      'openai',
      'anthropic',
      'azure-openai',
      'bedrock',
      'vertex-ai',
      'google',
    ]);
  });
  it('fits Slack limits and lists every provider once', () => {
    expect(groups.length).toBeLessThanOrEqual(100);
    for (const g of groups) {
      expect(g.options.length).toBeGreaterThan(0);
      expect(g.options.length).toBeLessThanOrEqual(100);
      expect(g.label.length).toBeLessThanOrEqual(75);
      for (const o of g.options) {
        expect(o.label.length).toBeLessThanOrEqual(75);
        expect(o.value.length).toBeLessThanOrEqual(75);
      }
    }
    const values = groups.flatMap((g) => g.options.map((o) => o.value));
    expect([...values].sort()).toEqual([...EXPECTED_IDS].sort());
  });
  it('sorts the non-popular providers alphabetically by label', () => {
    const rest = groups.slice(1).flatMap((g) => g.options.map((o) => o.label));
    expect(rest).toEqual([...rest].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })));
  });
});
