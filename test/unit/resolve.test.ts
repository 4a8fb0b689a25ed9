import { describe, expect, it } from 'vitest';
import { EMPTY_INTEGRATION_DRAFT, validateIntegration, type IntegrationDraft } from '../../src/resources/integration/form.js';
import { integrationSubject, keyHosts } from '../../src/resources/integration/resolve.js';

// What the policy is shown of an integration: every URL the key is sent to, and ids and names as Portkey resolved
// them (never the option labels). Pure parts of the resolution step; the Portkey lookups are tested end to end.

function request(draft: Partial<IntegrationDraft>, key = 'sk-test-0123456789') {
  const d: IntegrationDraft = { ...EMPTY_INTEGRATION_DRAFT, name: 'Test', ...draft };
  const r = validateIntegration(d, { key, fields: {} });
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return { req: r.value, draft: d };
}

describe('keyHosts: every URL the key is sent to', () => {
  it('the custom host, trimmed', () => {
    const { req, draft } = request({ providerId: 'groq', customHost: '  https://api.openai.com/v1 ' });
    expect(keyHosts(req, draft)).toEqual(['https://api.openai.com/v1']);
  });

  it('a base-URL field counts too (Azure AI Foundry URL, Hugging Face base URL)', () => {
    const foundry = request({
      providerId: 'azure-ai',
      authMode: 'default',
      fields: { azure_foundry_url: 'https://mine.services.ai.azure.com/models' },
    });
    expect(keyHosts(foundry.req, foundry.draft)).toEqual(['https://mine.services.ai.azure.com/models']);
    const hf = request({
      providerId: 'huggingface',
      customHost: 'https://proxy.example.com/',
      fields: { huggingface_base_url: 'https://x.endpoints.huggingface.cloud' },
    });
    expect(keyHosts(hf.req, hf.draft)).toEqual(['https://proxy.example.com/', 'https://x.endpoints.huggingface.cloud']);
  });

  it('none typed: no hosts', () => {
    const { req, draft } = request({ providerId: 'openai' });
    expect(keyHosts(req, draft)).toEqual([]);
  });
});

describe('integrationSubject', () => {
  it('takes the workspaces and the secret reference from what Portkey resolved, not the labels in the draft', () => {
    const { req, draft } = request(
      { providerId: 'openai', access: [{ value: 'ws-prod', label: 'Mallory sandbox' }], secretRef: { value: 'sr-org', label: 'team-key' } },
      '',
    );
    const subject = integrationSubject(req, draft, {
      access: [{ id: 'ws-prod', name: 'Production', slug: 'production' }],
      secretRef: { id: 'sr-org', name: 'Org production OpenAI' },
    });
    expect(subject).toEqual({
      providerId: 'openai',
      hosts: [],
      secretRefs: [{ id: 'sr-org', name: 'Org production OpenAI', field: 'OpenAI API key' }],
      workspaces: [{ id: 'ws-prod', slug: 'production' }],
      // "Enable in" workspaces: the budget they get (none typed).
      limits: { budget: undefined, perMinute: undefined },
    });
  });
});
