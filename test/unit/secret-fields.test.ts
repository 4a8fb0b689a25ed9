import type { KnownBlock } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { decide, type Actor, type Subject } from '../../src/policy/decide.js';
import { getProvider, PROVIDERS, secretTargets } from '../../src/portkey/providers.js';
import { whose } from '../../src/resources/integration/create.js';
import { storedIntegrationDraft, storedSubject } from '../../src/resources/integration/executor.js';
import {
  EMPTY_INTEGRATION_DRAFT,
  readIntegrationForm,
  validateIntegration,
  type IntegrationDraft,
  type IntegrationSecrets,
} from '../../src/resources/integration/form.js';
import {
  AUTH_MODE_ACTION,
  authModeBlock,
  fieldBlock,
  fieldSecretRefBlock,
  INT_FIELDS,
  parseSecretRefBlock,
  SECRET_REF_ACTION,
  VALUE_ACTION,
} from '../../src/resources/integration/ids.js';
import { integrationSubject } from '../../src/resources/integration/resolve.js';
import { integrationSummary } from '../../src/resources/integration/summary.js';
import { integrationModal } from '../../src/resources/integration/view.js';
import type { OperationRecord } from '../../src/store/index.js';
import { parsedPolicy } from '../support/policy.js';
import { bodyErrors } from '../support/portkey-schema.js';

// Issue 13 §6: a secret reference for every secret field of the catalog. Pure: the catalog's targets, the form per
// provider family, the body per field (checked against Portkey's spec), the policy with several references.

const ref = (value: string, label = value) => ({ value, label });
const draft = (p: Partial<IntegrationDraft>): IntegrationDraft => ({ ...EMPTY_INTEGRATION_DRAFT, name: 'Vault', ...p });
const NONE: IntegrationSecrets = { key: '', fields: {} };

describe('the catalog: which fields a secret reference may stand in for', () => {
  it('per provider family and auth mode: the key, then each secret field, as Portkey names the target', () => {
    const targets = (id: string, mode?: string) => {
      const provider = getProvider(id);
      if (!provider) throw new Error(`no provider ${id}`);
      return secretTargets(provider, mode).map((t) => [t.target, t.valueFormat ?? null]);
    };
    expect(targets('openai')).toEqual([['key', null]]);
    expect(targets('bedrock', 'accessKey')).toEqual([
      ['configurations.aws_access_key_id', null],
      ['configurations.aws_secret_access_key', null],
    ]);
    expect(targets('bedrock', 'assumedRole')).toEqual([]);
    expect(targets('sagemaker', 'accessKey')).toHaveLength(2);
    expect(targets('claude-platform-aws', 'accessKey')).toEqual([
      ['configurations.aws_access_key_id', null],
      ['configurations.aws_secret_access_key', null],
    ]);
    expect(targets('azure-openai', 'default')).toEqual([['key', null]]);
    expect(targets('azure-openai', 'entra')).toEqual([['configurations.azure_entra_client_secret', null]]);
    expect(targets('azure-ai', 'entra')).toEqual([['configurations.azure_entra_client_secret', null]]);
    expect(targets('azure-openai', 'managed')).toEqual([]);
    expect(targets('vertex-ai', 'serviceAccount')).toEqual([['configurations.vertex_service_account_json', 'json']]);
    expect(targets('vertex-ai', 'basic')).toEqual([]);
  });

  it('every target of every provider and mode matches what Portkey accepts (key | configurations.<field>), once', () => {
    for (const p of PROVIDERS) {
      for (const mode of p.authModes?.map((m) => m.id) ?? [undefined]) {
        const names = secretTargets(p, mode).map((t) => t.target);
        for (const n of names) expect(n).toMatch(/^(key|configurations\.[A-Za-z0-9_]+)$/);
        expect(new Set(names).size).toBe(names.length);
      }
    }
  });
});

describe('the form: a picker beside every secret field', () => {
  const inputs = (draftFor: IntegrationDraft) =>
    integrationModal({ draft: draftFor, context: { channelId: 'C1' } }).blocks.filter(
      (b): b is KnownBlock & { block_id: string; optional?: boolean } => b.type === 'input',
    );
  it.each([
    ['bedrock', 'accessKey', ['aws_access_key_id', 'aws_secret_access_key']],
    ['sagemaker', 'accessKey', ['aws_access_key_id', 'aws_secret_access_key']],
    ['claude-platform-aws', 'accessKey', ['aws_access_key_id', 'aws_secret_access_key']],
    ['azure-openai', 'entra', ['azure_entra_client_secret']],
    ['azure-ai', 'entra', ['azure_entra_client_secret']],
    ['vertex-ai', 'serviceAccount', ['vertex_service_account_json']],
  ])('%s %s: each secret field is optional in Slack and followed by its reference picker', (provider, mode, keys) => {
    const blocks = inputs(draft({ providerId: provider, authMode: mode }));
    const ids = blocks.map((b) => b.block_id);
    for (const key of keys) {
      const typed = ids.indexOf(fieldBlock(provider, mode, key));
      expect(typed).toBeGreaterThanOrEqual(0);
      expect(ids[typed + 1]).toBe(fieldSecretRefBlock(provider, mode, key));
      expect(blocks[typed]?.optional).toBe(true);
      expect(blocks[typed + 1]).toMatchObject({ optional: true, element: { type: 'external_select', action_id: SECRET_REF_ACTION } });
    }
    // No picker beside a field that isn't secret.
    const pickers = ids.filter((id) => id.startsWith(`int_secretref__${provider}__`));
    expect(pickers).toEqual(keys.map((k) => fieldSecretRefBlock(provider, mode, k)));
  });

  it('a chosen reference is shown again when the form is rebuilt or restored', () => {
    const view = integrationModal({
      draft: draft({ providerId: 'bedrock', authMode: 'accessKey', fieldRefs: { aws_secret_access_key: ref('sr-2', 'Vault secret') } }),
      context: { channelId: 'C1' },
    });
    const picker = view.blocks.find(
      (b) => 'block_id' in b && b.block_id === fieldSecretRefBlock('bedrock', 'accessKey', 'aws_secret_access_key'),
    );
    expect(picker).toMatchObject({ element: { initial_option: { value: 'sr-2', text: { text: 'Vault secret' } } } });
  });

  it('the block id names the provider and the field (the picker loads for the right provider)', () => {
    expect(parseSecretRefBlock('int_secretref__openai')).toEqual({ providerId: 'openai', fieldKey: undefined });
    expect(parseSecretRefBlock(fieldSecretRefBlock('bedrock', 'accessKey', 'aws_secret_access_key'))).toEqual({
      providerId: 'bedrock',
      fieldKey: 'aws_secret_access_key',
    });
    expect(parseSecretRefBlock('int_key__openai')).toBeUndefined();
  });

  it('reads each field picker into the draft (never the typed secret), by field', () => {
    const sel = (value: string, text: string) => ({
      [SECRET_REF_ACTION]: { type: 'external_select', selected_option: { value, text: { type: 'plain_text', text } } },
    });
    const state = {
      [INT_FIELDS.provider.block]: { [INT_FIELDS.provider.action]: { type: 'static_select', selected_option: { value: 'bedrock' } } },
      [INT_FIELDS.name.block]: { [INT_FIELDS.name.action]: { type: 'plain_text_input', value: 'B' } },
      [authModeBlock('bedrock')]: { [AUTH_MODE_ACTION]: { type: 'static_select', selected_option: { value: 'accessKey' } } },
      [fieldBlock('bedrock', 'accessKey', 'aws_access_key_id')]: {
        [VALUE_ACTION]: { type: 'plain_text_input', value: 'AKIATYPED0000000000' },
      },
      [fieldSecretRefBlock('bedrock', 'accessKey', 'aws_secret_access_key')]: sel('sr-secret', 'Vault secret'),
    };
    const { draft: d, secrets } = readIntegrationForm(state, 1);
    expect(d.fieldRefs).toEqual({ aws_secret_access_key: ref('sr-secret', 'Vault secret') });
    expect(secrets.fields).toEqual({ aws_access_key_id: 'AKIATYPED0000000000', aws_secret_access_key: '' });
    expect(JSON.stringify(d)).not.toContain('AKIATYPED');
  });
});

describe('the body: secret_mappings per field, the credential left out of configurations', () => {
  const bodyOf = (d: IntegrationDraft, s: IntegrationSecrets = NONE) => {
    const r = validateIntegration(d, s);
    if (!r.ok) throw new Error(JSON.stringify(r.errors));
    // Every body validates against Portkey's spec, with the mapped fields resolved (see portkey-schema.ts).
    expect(bodyErrors('POST /integrations', r.value.body)).toEqual([]);
    return r.value.body;
  };

  it('Bedrock accessKey: both AWS fields from references', () => {
    const d = draft({
      providerId: 'bedrock',
      authMode: 'accessKey',
      fields: { aws_region: 'eu-west-1' },
      fieldRefs: { aws_secret_access_key: ref('sr-secret'), aws_access_key_id: ref('sr-id') },
    });
    expect(bodyOf(d)).toEqual({
      name: 'Vault',
      slug: 'vault',
      ai_provider_id: 'bedrock',
      configurations: { aws_auth_type: 'accessKey', aws_region: 'eu-west-1' },
      // In the catalog's order, whatever order the picks came in.
      secret_mappings: [
        { target_field: 'configurations.aws_access_key_id', secret_reference_id: 'sr-id' },
        { target_field: 'configurations.aws_secret_access_key', secret_reference_id: 'sr-secret' },
      ],
    });
  });

  it('Bedrock accessKey: one typed, one from a reference', () => {
    const d = draft({
      providerId: 'bedrock',
      authMode: 'accessKey',
      fields: { aws_region: 'us-east-1' },
      fieldRefs: { aws_secret_access_key: ref('sr-s') },
    });
    expect(bodyOf(d, { key: '', fields: { aws_access_key_id: 'AKIAIOSFODNN7EXAMPLE' } })).toMatchObject({
      configurations: { aws_auth_type: 'accessKey', aws_region: 'us-east-1', aws_access_key_id: 'AKIAIOSFODNN7EXAMPLE' },
      secret_mappings: [{ target_field: 'configurations.aws_secret_access_key', secret_reference_id: 'sr-s' }],
    });
  });

  it('Claude Platform on AWS: the docs require the pair in accessKey mode — references satisfy it', () => {
    const d = draft({
      providerId: 'claude-platform-aws',
      authMode: 'accessKey',
      fields: { aws_region: 'us-east-1', anthropic_aws_workspace_id: 'wrkspc_01' },
      fieldRefs: { aws_access_key_id: ref('sr-id'), aws_secret_access_key: ref('sr-s') },
    });
    expect(bodyOf(d).secret_mappings).toHaveLength(2);
  });

  it('Azure OpenAI entra: the client secret from a reference', () => {
    const d = draft({
      providerId: 'azure-openai',
      authMode: 'entra',
      fields: { azure_resource_name: 'res', azure_entra_tenant_id: 't', azure_entra_client_id: 'c' },
      deployments: [{ azure_deployment_name: 'd', azure_api_version: '2024-10-21', azure_model_slug: 'gpt-4o', alias: '' }],
      fieldRefs: { azure_entra_client_secret: ref('sr-entra') },
    });
    const body = bodyOf(d);
    expect(body.secret_mappings).toEqual([{ target_field: 'configurations.azure_entra_client_secret', secret_reference_id: 'sr-entra' }]);
    expect(body.configurations).not.toHaveProperty('azure_entra_client_secret');
  });

  it('Vertex serviceAccount: the key file from a reference, parsed as JSON', () => {
    const d = draft({
      providerId: 'vertex-ai',
      authMode: 'serviceAccount',
      fields: { vertex_region: 'us-central1' },
      fieldRefs: { vertex_service_account_json: ref('sr-sa') },
    });
    expect(bodyOf(d)).toMatchObject({
      configurations: { vertex_auth_type: 'serviceAccount', vertex_region: 'us-central1' },
      secret_mappings: [{ target_field: 'configurations.vertex_service_account_json', secret_reference_id: 'sr-sa', value_format: 'json' }],
    });
    // Without value_format json the spec check refuses it: a string where Portkey wants an object.
    const { value_format: _, ...plain } = {
      target_field: 'configurations.vertex_service_account_json',
      secret_reference_id: 'sr-sa',
      value_format: 'json',
    };
    expect(bodyErrors('POST /integrations', { ...bodyOf(d), secret_mappings: [plain] }).join(' ')).toMatch(/must be object/);
  });

  it('Azure OpenAI with an API key: the key from a reference, as before', () => {
    const d = draft({ providerId: 'azure-openai', authMode: 'default', secretRef: ref('sr-key') });
    d.fields = { azure_resource_name: 'res' };
    d.deployments = [{ azure_deployment_name: 'd', azure_api_version: 'v', azure_model_slug: 'm', alias: '' }];
    expect(bodyOf(d).secret_mappings).toEqual([{ target_field: 'key', secret_reference_id: 'sr-key' }]);
  });
});

describe('validation: a field has a typed value or a reference, and only a secret field takes one', () => {
  const errorsOf = (d: IntegrationDraft, s: IntegrationSecrets = NONE) => {
    const r = validateIntegration(d, s);
    if (r.ok) throw new Error(`expected errors, got ${JSON.stringify(r.value.body)}`);
    return r.errors;
  };
  const bedrock = (p: Partial<IntegrationDraft>) =>
    draft({ providerId: 'bedrock', authMode: 'accessKey', fields: { aws_region: 'us-east-1' }, ...p });

  it('neither: the typed field says a reference can stand in', () => {
    const e = errorsOf(bedrock({ fieldRefs: { aws_access_key_id: ref('sr-id') } }));
    expect(e).toEqual({
      [fieldBlock('bedrock', 'accessKey', 'aws_secret_access_key')]: expect.stringMatching(/Or choose a secret reference for it below\.$/),
    });
  });

  it('both: refused on the picker, the typed secret never quoted', () => {
    const e = errorsOf(bedrock({ fieldRefs: { aws_secret_access_key: ref('sr-s') } }), {
      key: '',
      fields: { aws_access_key_id: 'AKIAIOSFODNN7EXAMPLE', aws_secret_access_key: 'typed-secret-value' },
    });
    expect(e[fieldSecretRefBlock('bedrock', 'accessKey', 'aws_secret_access_key')]).toBe(
      'Use either a typed value or a secret reference, not both.',
    );
    expect(JSON.stringify(e)).not.toContain('typed-secret-value');
  });

  it('a reference for a field that is not secret, or not of this mode: refused', () => {
    expect(Object.values(errorsOf(bedrock({ fieldRefs: { aws_region: ref('sr') } }))).join(' ')).toContain(
      'Only a secret field can come from a secret reference',
    );
    const role = draft({
      providerId: 'bedrock',
      authMode: 'assumedRole',
      fields: { aws_region: 'us-east-1', aws_role_arn: 'arn:aws:iam::123456789012:role/R' },
      fieldRefs: { aws_secret_access_key: ref('sr') },
    });
    expect(Object.values(errorsOf(role)).join(' ')).toContain('Only a secret field can come from a secret reference');
  });

  it('a picker value longer than any option (not from the list): refused', () => {
    const e = errorsOf(bedrock({ fieldRefs: { aws_access_key_id: ref('r'.repeat(200)), aws_secret_access_key: ref('sr') } }));
    expect(e[fieldSecretRefBlock('bedrock', 'accessKey', 'aws_access_key_id')]).toBe('Choose the secret reference from the list.');
  });
});

describe('approvers and the policy see every reference, by the name Portkey holds', () => {
  const resolved = {
    access: [],
    fieldRefs: {
      aws_access_key_id: { id: 'sr-id', name: 'team-aws-id' },
      aws_secret_access_key: { id: 'sr-secret', name: 'Org AWS secret' },
    },
  };
  const d = draft({
    providerId: 'bedrock',
    authMode: 'accessKey',
    fields: { aws_region: 'us-east-1' },
    fieldRefs: { aws_access_key_id: ref('sr-id', 'my key'), aws_secret_access_key: ref('sr-secret', 'my secret') },
  });

  it("the summary names each field's reference as looked up, never the client's label; typed ones say so", () => {
    const rows = integrationSummary(d, resolved).rows.filter((r) => r.critical);
    expect(rows).toEqual(
      expect.arrayContaining([
        { label: 'AWS access key ID', value: 'from secret reference team-aws-id (id sr-id)', critical: true },
        { label: 'AWS secret access key', value: 'from secret reference Org AWS secret (id sr-secret)', critical: true },
      ]),
    );
    expect(JSON.stringify(rows)).not.toContain('my key');
    const typed = integrationSummary({ ...d, fieldRefs: {} }, { access: [] }).rows;
    expect(typed).toContainEqual({ label: 'AWS secret access key', value: 'typed (never shown)', critical: true });
    const unlooked = integrationSummary(d, { access: [] }).rows;
    expect(unlooked).toContainEqual({
      label: 'AWS access key ID',
      value: 'from secret reference id sr-id (name not looked up)',
      critical: true,
    });
  });

  it('the subject carries every reference with what it stands in for', () => {
    expect(integrationSubject({ provider: { id: 'bedrock' } }, d, resolved).secretRefs).toEqual([
      { id: 'sr-id', name: 'team-aws-id', field: 'AWS access key ID' },
      { id: 'sr-secret', name: 'Org AWS secret', field: 'AWS secret access key' },
    ]);
  });

  it('a stored operation: its draft names each reference as Portkey did, and a follow-up is decided on all of them', () => {
    const op = { request: { draft: d, resolved } } as unknown as OperationRecord;
    expect(storedIntegrationDraft(op)?.fieldRefs).toEqual({
      aws_access_key_id: ref('sr-id', 'team-aws-id'),
      aws_secret_access_key: ref('sr-secret', 'Org AWS secret'),
    });
    expect(storedSubject(op).secretRefs?.map((r) => r.id)).toEqual(['sr-id', 'sr-secret']);
    // Stored before field references existed: read with none.
    const legacy = { request: { draft: { ...d, fieldRefs: undefined } } } as unknown as OperationRecord;
    expect(storedIntegrationDraft(legacy)?.fieldRefs).toEqual({});
  });
});

describe('decide() with several secret references', () => {
  const p = parsedPolicy(`
version: 1
default: allow
admins: {users: [U0ADMIN]}
rules:
  - {name: team-refs, action: integration.create, secret_references: ["team-*"], effect: allow}
  - {name: org-refs-need-approval, action: integration.create, secret_references: ["org-*"], effect: require_approval, approvers: {users: [U0BOSS]}}
  - {name: no-legacy, action: integration.create, secret_references: ["legacy-*"], effect: deny}
`);
  const actor: Actor = { userId: 'U0ANY', groups: new Set(), channelId: undefined };
  const subject = (names: string[], hosts: string[] = []): Subject => ({
    action: 'integration.create',
    providerId: 'bedrock',
    hosts,
    secretRefs: names.map((n, i) => ({ id: `sr-${i}`, name: n, field: `field ${i}` })),
  });

  it.each([
    ['two team references: the allow rule covers every one', ['team-a', 'team-b'], 'allow', 'team-refs'],
    ['a team and an org reference: the approval rule matches ANY', ['team-a', 'org-b'], 'require_approval', 'org-refs-need-approval'],
    ['two org references: approval', ['org-a', 'org-b'], 'require_approval', 'org-refs-need-approval'],
    ['one legacy among team ones: the deny matches ANY', ['team-a', 'legacy-b'], 'deny', 'no-legacy'],
    ['one reference no rule names: the guard, for that one', ['team-a', 'other'], 'deny', 'secret-reference-not-allowed'],
    ['one unnamed beside an org one: the approval rule does not vouch for it', ['org-a', 'other'], 'deny', 'secret-reference-not-allowed'],
  ])('%s', (_, names, effect, rule) => {
    expect(decide(p, subject(names), actor)).toMatchObject({ effect, rule: { name: rule } });
  });

  it('the guard names only the references it refuses, each with its field', () => {
    const d = decide(p, subject(['team-a', 'other', 'another']), actor);
    expect(d.effect).toBe('deny');
    const reason = d.effect === 'deny' ? d.reason : '';
    expect(reason).toContain('these secret references');
    expect(reason).toContain('"other" (id sr-1) for the field 1');
    expect(reason).toContain('"another" (id sr-2) for the field 2');
    expect(reason).not.toContain('team-a');
  });

  it('references and a custom host: the admins approve, once, even when every reference is allowed', () => {
    expect(decide(p, subject(['team-a', 'team-b'], ['https://proxy.example.com']), actor)).toMatchObject({
      effect: 'require_approval',
      rule: { name: 'secret-reference-to-custom-host', builtin: true },
      allowSelfApproval: false,
    });
  });
});

describe('after a lost answer: the integration found is ours only if it holds every reference we sent', () => {
  const body = {
    name: 'Vault',
    slug: 'vault',
    ai_provider_id: 'bedrock',
    configurations: { aws_auth_type: 'accessKey', aws_region: 'us-east-1' },
    secret_mappings: [
      { target_field: 'configurations.aws_access_key_id', secret_reference_id: 'sr-id' },
      { target_field: 'configurations.aws_secret_access_key', secret_reference_id: 'sr-secret' },
    ],
  };
  const now = Date.now();
  const found = (secret_mappings: unknown[]) =>
    whose(
      {
        id: 'i-1',
        slug: 'vault',
        name: 'Vault',
        ai_provider_id: 'bedrock',
        created_at: new Date(now).toISOString(),
        description: null,
        configurations: { aws_auth_type: 'accessKey', aws_region: 'us-east-1' },
        secret_mappings,
      },
      body,
      { from: now - 1000, to: now + 1000 },
    );
  it.each([
    [
      'both, in another order, with value_format echoed',
      [{ ...body.secret_mappings[1], value_format: null }, body.secret_mappings[0]],
      'ours',
    ],
    ['only one of them', [body.secret_mappings[0]], 'not_ours'],
    [
      'another reference for one field',
      [body.secret_mappings[0], { ...body.secret_mappings[1], secret_reference_id: 'sr-org' }],
      'not_ours',
    ],
    ['none', [], 'not_ours'],
  ])('%s → %s', (_, mappings, verdict) => {
    expect(found(mappings)).toBe(verdict);
  });
});
