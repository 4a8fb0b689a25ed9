import { LIMIT_FIELDS } from '../../src/features/limits/form.js';
import { PREVIEW_BLOCK } from '../../src/features/preview/ids.js';
import type { ModalView } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { EMPTY_INTEGRATION_DRAFT, type IntegrationDraft } from '../../src/resources/integration/form.js';
import {
  INT_ACTIONS,
  INT_FIELDS,
  INTEGRATION_CALLBACK,
  INTEGRATION_RESULT_CALLBACK,
  keyBlock,
  secretRefBlock,
  type Scope,
} from '../../src/resources/integration/ids.js';
import {
  integrationCreatedMessage,
  integrationErrorView,
  integrationFailedMessage,
  integrationModal,
  integrationProgressView,
  integrationSuccessView,
  workspaceOptions,
  type CreatedIntegrationSummary,
} from '../../src/resources/integration/view.js';
import { summarize } from '../../src/portkey/configurations.js';
import { getProvider, isSecretField, PROVIDERS, type Provider, type ProviderField } from '../../src/portkey/providers.js';
import { privateNote } from '../../src/slack/delivery.js';
import { decodeContext, type ModalContext } from '../../src/slack/metadata.js';
import { checkMessage, checkView } from '../support/view-limits.js';

// ---------------------------------------------------------------------------------------------------------------
// Fixtures and helpers

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

const CONTEXT: ModalContext = { channelId: 'C0123ABC', responseUrl: 'https://hooks.slack.com/commands/T0/123/abc' };

/** A value that must never reach Slack. */
const CANARY = 'CANARY-sk-live-9f8e7d6c5b4a39281706';
const SECRET_KEYS = ['key', 'aws_secret_access_key', 'azure_entra_client_secret', 'vertex_service_account_json'] as const;

const EVIL = 'Team <!channel> <@U123> <http://x|y> & co';
const EVIL_ESCAPED = 'Team &lt;!channel&gt; &lt;@U123&gt; &lt;http://x|y&gt; &amp; co';

function provider(id: string): Provider {
  const p = getProvider(id);
  if (!p) throw new Error(`no provider ${id}`);
  return p;
}

/** A plausible value for a field; secret fields get the canary (a draft must never carry them, but we force it). */
function sampleValue(f: ProviderField): string {
  if (isSecretField(f)) return CANARY;
  if (f.kind === 'select') return f.choices?.[1]?.value ?? f.choices?.[0]?.value ?? '';
  if (f.kind === 'url') return 'https://llm.example.com/v1';
  return `${f.key}-value`;
}

/** Every field of the provider and all its modes, filled — secrets included, forcibly. */
function forcedFields(p: Provider): Record<string, string> {
  const all = [...p.fields, ...(p.authModes ?? []).flatMap((m) => m.fields)];
  const out: Record<string, string> = Object.fromEntries(all.map((f) => [f.key, sampleValue(f)]));
  for (const k of SECRET_KEYS) out[k] = CANARY;
  return out;
}

function deploymentRows(p: Provider, n: number): Array<Record<string, string>> {
  const spec = p.deployments;
  if (!spec) return [];
  return Array.from({ length: n }, (_, i) => Object.fromEntries(spec.fields.map((f) => [f.key, `${f.key}-${i}`])));
}

function draftFor(p: Provider, mode: string | undefined, extra: Partial<IntegrationDraft> = {}): IntegrationDraft {
  return {
    ...EMPTY_INTEGRATION_DRAFT,
    providerId: p.id,
    authMode: mode,
    name: 'Production',
    slug: 'production',
    description: 'Main account',
    customHost: '',
    fields: forcedFields(p),
    ...extra,
  };
}

function blocksOf(view: unknown): Obj[] {
  if (!isObj(view) || !Array.isArray(view.blocks)) throw new Error('no blocks');
  return view.blocks.filter(isObj);
}

function blockIds(view: unknown): string[] {
  return blocksOf(view).flatMap((b) => (typeof b.block_id === 'string' ? [b.block_id] : []));
}

function blockById(view: unknown, blockId: string): Obj {
  const b = blocksOf(view).find((x) => x.block_id === blockId);
  if (!b) throw new Error(`no block ${blockId}`);
  return b;
}

function elementOf(view: unknown, blockId: string): Obj {
  const el = blockById(view, blockId).element;
  if (!isObj(el)) throw new Error(`block ${blockId} has no element`);
  return el;
}

/** Every object anywhere in a tree. */
function allObjects(node: unknown): Obj[] {
  if (Array.isArray(node)) return node.flatMap(allObjects);
  if (!isObj(node)) return [];
  return [node, ...Object.values(node).flatMap(allObjects)];
}

function textsOfType(node: unknown, type: 'mrkdwn' | 'plain_text'): string[] {
  return allObjects(node).flatMap((o) => (o.type === type && typeof o.text === 'string' ? [o.text] : []));
}

/** No user text acts as markup: no broadcast, mention, link or bare `&`. */
function expectNoLiveMarkup(texts: string[], allowed: string[] = []): void {
  expect(texts.length).toBeGreaterThan(0);
  for (const t of texts) {
    const rest = allowed.reduce((s, a) => s.split(a).join(''), t);
    expect(rest).not.toContain('<!channel>');
    expect(rest).not.toMatch(/<[!@#]/);
    expect(rest).not.toContain('<http');
    expect(rest).not.toMatch(/&(?!amp;|lt;|gt;)/);
  }
}

function modesOf(p: Provider): Array<string | undefined> {
  return p.authModes ? p.authModes.map((m) => m.id) : [undefined];
}

const MATRIX: Array<[string, string | undefined]> = PROVIDERS.flatMap((p) =>
  modesOf(p).map((m): [string, string | undefined] => [p.id, m]),
);

// ---------------------------------------------------------------------------------------------------------------
// The modal

describe('integrationModal: Slack limits for every provider and auth mode', () => {
  it('covers every provider in the catalog', () => {
    expect(new Set(MATRIX.map(([id]) => id)).size).toBe(PROVIDERS.length);
    expect(MATRIX.length).toBeGreaterThan(PROVIDERS.length);
  });

  it.each(MATRIX)('%s / %s passes checkView (organisation and workspace scope, 1 and 5 rows)', (id, mode) => {
    const p = provider(id);
    const scopes: Scope[] = ['organisation', 'workspace'];
    for (const scope of scopes) {
      for (const rows of [1, 5]) {
        const draft = draftFor(p, mode, {
          scope,
          workspace: scope === 'workspace' ? { value: 'ws-data-e2a85b', label: 'Data Science (ws-data-e2a85b)' } : undefined,
          access:
            scope === 'organisation'
              ? [
                  { value: 'ws-a', label: 'A (ws-a)' },
                  { value: 'ws-b', label: 'B (ws-b)' },
                ]
              : [],
          secretRef: { value: 'sr-1', label: 'Vault OpenAI key' },
          customHost: 'https://llm.example.com/v1',
          deployments: deploymentRows(p, rows),
          defaultDeployment: rows - 1,
        });
        const view = integrationModal({ draft, context: { ...CONTEXT, rows }, notice: 'Fix the fields below.' });
        expect(checkView(view), `${id}/${mode ?? '-'} ${scope} rows=${rows}`).toEqual([]);
        expect(view.callback_id).toBe(INTEGRATION_CALLBACK);
        expect(new Set(blockIds(view)).size).toBe(blockIds(view).length);
        expect(JSON.stringify(view)).not.toContain(CANARY);
      }
    }
  });

  it('passes checkView with no provider chosen yet, and asks for one', () => {
    const view = integrationModal({ draft: EMPTY_INTEGRATION_DRAFT, context: CONTEXT });
    expect(checkView(view)).toEqual([]);
    expect(elementOf(view, INT_FIELDS.provider.block).initial_option).toBeUndefined();
    expect(textsOfType(view, 'mrkdwn').join('\n')).toContain('Choose a provider');
  });

  it('Azure OpenAI with 5 deployment rows: every row, a default select and no "Add" button', () => {
    const p = provider('azure-openai');
    const view = integrationModal({
      draft: draftFor(p, 'default', {
        deployments: deploymentRows(p, 5),
        defaultDeployment: 3,
        scope: 'workspace',
        workspace: { value: 'w', label: 'W' },
      }),
      context: { ...CONTEXT, rows: 5 },
    });
    expect(checkView(view)).toEqual([]);
    const ids = blockIds(view);
    for (let i = 0; i < 5; i++) expect(ids).toContain(`int_dep__${i}__azure_deployment_name`);
    expect(ids).not.toContain('int_dep__5__azure_deployment_name');
    const def = elementOf(view, INT_FIELDS.defaultDeployment.block);
    expect(def.initial_option).toMatchObject({ value: '3' });
    const actionIds = allObjects(view).flatMap((o) => (typeof o.action_id === 'string' ? [o.action_id] : []));
    expect(actionIds).not.toContain(INT_ACTIONS.addDeployment);
    expect(actionIds).toContain(INT_ACTIONS.removeDeployment);
    expect(decodeContext(view.private_metadata).rows).toBe(5);
    expect(ids).toContain(INT_FIELDS.workspace.block);
    expect(ids).not.toContain(INT_FIELDS.access.block);
  });

  it('clamps rows to the catalog range (0 → 1, 9 → 5)', () => {
    const p = provider('azure-openai');
    const low = integrationModal({ draft: draftFor(p, 'default'), context: { ...CONTEXT } });
    expect(decodeContext(low.private_metadata).rows).toBe(1);
    const high = integrationModal({ draft: draftFor(p, 'default', { deployments: deploymentRows(p, 9) }), context: { ...CONTEXT } });
    expect(decodeContext(high.private_metadata).rows).toBe(5);
    expect(checkView(high)).toEqual([]);
  });

  it('provider select: option groups, "Popular" first, the selected provider as initial_option', () => {
    for (const id of ['openai', 'bedrock', 'ollama', 'databricks']) {
      const view = integrationModal({ draft: draftFor(provider(id), undefined), context: CONTEXT });
      const el = elementOf(view, INT_FIELDS.provider.block);
      expect(el.type).toBe('static_select');
      expect(el.action_id).toBe(INT_FIELDS.provider.action);
      expect(el.options).toBeUndefined();
      const groups = el.option_groups;
      if (!Array.isArray(groups)) throw new Error('no option groups');
      expect(groups.length).toBeGreaterThanOrEqual(2);
      const first: unknown = groups[0];
      expect(isObj(first) && isObj(first.label) ? first.label.text : undefined).toBe('Popular');
      const offered = groups.flatMap((g: unknown) => (isObj(g) && Array.isArray(g.options) ? g.options : []));
      expect(offered).toHaveLength(PROVIDERS.length);
      expect(el.initial_option).toMatchObject({ value: id, text: { text: provider(id).label } });
      expect(offered).toContainEqual(el.initial_option);
    }
  });

  it.each(MATRIX)('%s / %s: secret fields never get an initial_value', (id, mode) => {
    const p = provider(id);
    const view = integrationModal({ draft: draftFor(p, mode), context: CONTEXT });
    expect(JSON.stringify(view)).not.toContain(CANARY);
    const secretBlocks = blockIds(view).filter((b) => b.startsWith('int_key__') || SECRET_KEYS.some((k) => b.endsWith(`__${k}`)));
    for (const b of secretBlocks) expect(elementOf(view, b).initial_value, b).toBeUndefined();
  });

  it('the secret fields of the modes that have them are shown, blank', () => {
    const cases: Array<[string, string, string]> = [
      ['bedrock', 'accessKey', 'int_f__bedrock__accessKey__aws_secret_access_key'],
      ['azure-openai', 'entra', 'int_f__azure-openai__entra__azure_entra_client_secret'],
      ['vertex-ai', 'serviceAccount', 'int_f__vertex-ai__serviceAccount__vertex_service_account_json'],
    ];
    for (const [id, mode, block] of cases) {
      const view = integrationModal({ draft: draftFor(provider(id), mode), context: CONTEXT });
      const el = elementOf(view, block);
      expect(el.type).toBe('plain_text_input');
      expect(el.initial_value).toBeUndefined();
    }
    const openai = integrationModal({ draft: draftFor(provider('openai'), undefined), context: CONTEXT });
    expect(elementOf(openai, keyBlock('openai')).initial_value).toBeUndefined();
    // Non-secret fields are restored.
    expect(elementOf(openai, 'int_f__openai__openai_organization').initial_value).toBe('openai_organization-value');
  });

  it('no key block when the key is not needed (bedrock, vertex-ai, Azure Entra), present otherwise', () => {
    for (const id of ['bedrock', 'vertex-ai']) {
      for (const mode of modesOf(provider(id))) {
        const ids = blockIds(integrationModal({ draft: draftFor(provider(id), mode), context: CONTEXT }));
        expect(ids).not.toContain(keyBlock(id));
        expect(ids).not.toContain(secretRefBlock(id));
      }
    }
    expect(blockIds(integrationModal({ draft: draftFor(provider('azure-openai'), 'entra'), context: CONTEXT }))).not.toContain(
      keyBlock('azure-openai'),
    );
    expect(blockIds(integrationModal({ draft: draftFor(provider('azure-openai'), 'default'), context: CONTEXT }))).toContain(
      keyBlock('azure-openai'),
    );
    const openai = integrationModal({ draft: draftFor(provider('openai'), undefined), context: CONTEXT });
    expect(blockIds(openai)).toEqual(expect.arrayContaining([keyBlock('openai'), secretRefBlock('openai')]));
  });

  it('block ids are namespaced per provider: bedrock and sagemaker share no field block id', () => {
    // The budget blocks belong to "enable in", and the preview button is on every form, whatever the provider.
    const common = new Set<string>([
      ...Object.values(INT_FIELDS).map((f) => f.block),
      ...Object.values(LIMIT_FIELDS).map((f) => f.block),
      PREVIEW_BLOCK,
    ]);
    const specific = (id: string): Set<string> =>
      new Set(
        modesOf(provider(id)).flatMap((mode) =>
          blockIds(integrationModal({ draft: draftFor(provider(id), mode), context: CONTEXT })).filter((b) => !common.has(b)),
        ),
      );
    const bedrock = specific('bedrock');
    const sagemaker = specific('sagemaker');
    expect(bedrock.size).toBeGreaterThan(0);
    expect(sagemaker.size).toBeGreaterThan(0);
    expect([...bedrock].filter((b) => sagemaker.has(b))).toEqual([]);
    expect(bedrock).toContain('int_f__bedrock__aws_region');
    expect(bedrock).toContain('int_f__bedrock__assumedRole__aws_role_arn');
    expect(sagemaker).toContain('int_f__sagemaker__aws_region');
  });

  it('secret reference restored as the initial option', () => {
    const view = integrationModal({
      draft: draftFor(provider('openai'), undefined, { secretRef: { value: 'sr-1', label: 'Vault key' } }),
      context: CONTEXT,
    });
    expect(elementOf(view, secretRefBlock('openai')).initial_option).toMatchObject({ value: 'sr-1', text: { text: 'Vault key' } });
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Result views and the channel message

/** A summary as the executor makes it: the details come from summarize() over the configurations sent. */
function summary(
  p: Partial<CreatedIntegrationSummary> & { configurations?: Record<string, unknown> | undefined } = {},
): CreatedIntegrationSummary {
  const { configurations, ...rest } = p;
  const prov = rest.provider ?? provider('bedrock');
  const config =
    'configurations' in p
      ? configurations
      : { aws_auth_type: 'accessKey', aws_region: 'us-east-1', aws_access_key_id: CANARY, aws_secret_access_key: CANARY };
  return {
    provider: prov,
    name: EVIL,
    id: '2f3c0b1e-aaaa-bbbb-cccc-1234567890ab',
    slug: 'team-channel-co',
    scope: 'workspace',
    workspace: { value: 'ws-1', label: EVIL },
    enabled: [],
    accessError: undefined,
    maskedKey: undefined,
    usesSecretReference: false,
    ...rest,
    details: summarize(prov, config),
  };
}

/** Summaries with a canary secret in every secret configurations field there is. */
const CANARY_SUMMARIES: Array<[string, CreatedIntegrationSummary]> = [
  ['bedrock accessKey', summary()],
  [
    'azure entra',
    summary({
      provider: provider('azure-openai'),
      configurations: {
        azure_auth_mode: 'entra',
        azure_resource_name: 'res',
        azure_entra_tenant_id: 't',
        azure_entra_client_id: 'c',
        azure_entra_client_secret: CANARY,
        azure_deployment_config: [
          { azure_deployment_name: 'd1', azure_api_version: '2024-10-21', azure_model_slug: 'gpt-4o', is_default: true },
          { azure_deployment_name: 'd2', azure_api_version: '2024-10-21', azure_model_slug: 'gpt-4o-mini', alias: EVIL, is_default: false },
        ],
        custom_host: 'https://llm.example.com/v1',
      },
    }),
  ],
  [
    'vertex serviceAccount',
    summary({
      provider: provider('vertex-ai'),
      scope: 'organisation',
      workspace: undefined,
      enabled: [{ value: 'ws-a', label: EVIL }],
      configurations: {
        vertex_auth_type: 'serviceAccount',
        vertex_region: 'us-central1',
        vertex_service_account_json: { type: 'service_account', project_id: 'p', private_key: CANARY, client_email: 'a@b.c' },
      },
    }),
  ],
  ['openai with key', summary({ provider: provider('openai'), maskedKey: 'sk-…12', configurations: { openai_organization: 'org-1' } })],
  ['openai with secret ref', summary({ provider: provider('openai'), usesSecretReference: true, configurations: undefined })],
];

describe('result views and the channel message', () => {
  it.each(CANARY_SUMMARIES)('%s: success view and message pass the limits, show id and slug, never the secret', (_, s) => {
    const view = integrationSuccessView({ summary: s, deliveredTo: 'Posted in <#C0123ABC>.', operationId: 'op-1', context: CONTEXT });
    const message = integrationCreatedMessage({ summary: s, userId: 'U0CREATOR', operationId: 'op-1' });
    expect(checkView(view)).toEqual([]);
    expect(checkMessage(message)).toEqual([]);
    expect(view.callback_id).toBe(INTEGRATION_RESULT_CALLBACK);
    for (const surface of [view, message]) {
      const json = JSON.stringify(surface);
      expect(json).not.toContain(CANARY);
      expect(json).toContain(s.id);
      expect(json).toContain(s.slug);
    }
    expect(message.text).toContain(s.id);
    expect(message.text).toContain(s.slug);
    expect(message.text).not.toContain(CANARY);
  });

  it('escapes user text in the success view and the message', () => {
    const s = summary({ enabled: [{ value: 'ws-a', label: EVIL }], accessError: EVIL });
    const view = integrationSuccessView({ summary: s, deliveredTo: 'Posted in the channel.', operationId: 'op-1', context: CONTEXT });
    const message = integrationCreatedMessage({ summary: s, userId: 'U0CREATOR', operationId: 'op-1' });
    expectNoLiveMarkup(textsOfType(view, 'mrkdwn'));
    expectNoLiveMarkup([...textsOfType(message, 'mrkdwn'), message.text], ['<@U0CREATOR>']);
    expect(JSON.stringify(view)).toContain(EVIL_ESCAPED);
    expect(JSON.stringify(message)).toContain(EVIL_ESCAPED);
    expect(textsOfType(message, 'mrkdwn').join('\n')).toContain('<@U0CREATOR>');
  });

  it('a malformed user id is not turned into a mention', () => {
    const message = integrationCreatedMessage({ summary: summary(), userId: '<!channel>', operationId: 'op-1' });
    expectNoLiveMarkup(textsOfType(message, 'mrkdwn'));
  });

  it('shows "Retry enabling" (integration_retry_access) when accessError is set, and not otherwise', () => {
    const failed = summary({ scope: 'organisation', workspace: undefined, accessError: 'Portkey said no' });
    for (const surface of [
      integrationSuccessView({ summary: failed, deliveredTo: 'x', operationId: 'op-7', context: CONTEXT }),
      integrationCreatedMessage({ summary: failed, userId: 'U1', operationId: 'op-7' }),
    ]) {
      const buttons = allObjects(surface).filter((o) => o.type === 'button');
      const retry = buttons.find((b) => b.action_id === INT_ACTIONS.retryAccess);
      expect(retry).toBeDefined();
      expect(retry?.value).toBe('op-7');
      expect(isObj(retry?.text) ? retry.text.text : undefined).toBe('Retry enabling');
    }
    const ok = summary({ accessError: undefined });
    for (const surface of [
      integrationSuccessView({ summary: ok, deliveredTo: 'x', operationId: 'op-7', context: CONTEXT }),
      integrationCreatedMessage({ summary: ok, userId: 'U1', operationId: 'op-7' }),
    ]) {
      expect(allObjects(surface).some((o) => o.action_id === INT_ACTIONS.retryAccess)).toBe(false);
    }
  });

  it('the success view carries the operation id in private_metadata', () => {
    const view = integrationSuccessView({ summary: summary(), deliveredTo: 'x', operationId: 'op-9', context: CONTEXT });
    expect(decodeContext(view.private_metadata)).toMatchObject({ ...CONTEXT, operationId: 'op-9' });
  });

  it('progress view passes the limits and escapes', () => {
    const view: ModalView = integrationProgressView({ name: EVIL, providerLabel: 'AWS Bedrock', context: CONTEXT });
    expect(checkView(view)).toEqual([]);
    expectNoLiveMarkup(textsOfType(view, 'mrkdwn'));
    expect(JSON.stringify(view)).toContain(EVIL_ESCAPED);
    expect(view.submit).toBeUndefined();
  });

  it('error view passes the limits, escapes, and offers "Back to the form"', () => {
    for (const keyDropped of [true, false]) {
      const view = integrationErrorView({
        name: EVIL,
        message: `Portkey said: ${EVIL}`,
        operationId: 'op-3',
        context: CONTEXT,
        keyDropped,
        mayExist: keyDropped,
      });
      expect(checkView(view)).toEqual([]);
      expectNoLiveMarkup(textsOfType(view, 'mrkdwn'));
      const back = allObjects(view).find((o) => o.action_id === INT_ACTIONS.back);
      expect(back?.value).toBe('op-3');
      expect(JSON.stringify(view).includes('paste them again')).toBe(keyDropped);
      expect(textsOfType(view, 'mrkdwn')[0]).toBe(
        `:warning: Integration *${EVIL_ESCAPED}* ${keyDropped ? 'may or may not have been created' : 'was not created'}.`,
      );
    }
  });

  it('the private failure message names provider, integration and slug, escaped, and says what is known', () => {
    expect(integrationFailedMessage({ providerLabel: 'OpenAI', name: EVIL, slug: 'prod', error: `No: ${EVIL}`, mayExist: true })).toEqual({
      text: `:warning: Your OpenAI integration *${EVIL_ESCAPED}* (slug \`prod\`) may or may not have been created. No: ${EVIL_ESCAPED}`,
    });
    expect(integrationFailedMessage({ providerLabel: 'OpenAI', name: 'P', slug: 'p', error: 'Fix it.', mayExist: false }).text).toBe(
      ':warning: Your OpenAI integration *P* (slug `p`) was not created. Fix it.',
    );
  });

  it('a very long name and message are clipped, not rejected', () => {
    const long = `${'&<'.repeat(2000)}`;
    const view = integrationErrorView({
      name: long,
      message: long,
      operationId: 'op',
      context: CONTEXT,
      keyDropped: false,
      mayExist: true,
      deliveredTo: privateNote('none'),
    });
    expect(checkView(view)).toEqual([]);
    const s = summary({
      name: long,
      slug: 's'.repeat(255),
      enabled: Array.from({ length: 20 }, (_, i) => ({ value: `w${i}`, label: long })),
    });
    expect(checkView(integrationSuccessView({ summary: s, deliveredTo: 'x', operationId: 'op', context: CONTEXT }))).toEqual([]);
    expect(checkMessage(integrationCreatedMessage({ summary: s, userId: 'U1', operationId: 'op' }))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Options for the workspace pickers

/** Options wrapped in a modal, so the limits checker sees them as Slack would. */
function optionsView(options: unknown[]): unknown {
  return {
    type: 'modal',
    title: { type: 'plain_text', text: 'T' },
    submit: { type: 'plain_text', text: 'Go' },
    blocks: [
      {
        type: 'input',
        block_id: 'b',
        label: { type: 'plain_text', text: 'L' },
        element: { type: 'static_select', action_id: 'a', options },
      },
    ],
  };
}

describe('workspaceOptions', () => {
  it('uses the id, labels "name (slug)" and passes the limits', () => {
    const opts = workspaceOptions([{ id: '6e5a9f93-ae3a-46b4-a87d-2464d373ef7e', slug: 'ws-data-e2a85b', name: 'Data Science' }]);
    expect(opts).toEqual([
      { text: { type: 'plain_text', text: 'Data Science (ws-data-e2a85b)', emoji: true }, value: '6e5a9f93-ae3a-46b4-a87d-2464d373ef7e' },
    ]);
    expect(checkView(optionsView(opts))).toEqual([]);
  });

  it('clips labels to 75 characters', () => {
    const opts = workspaceOptions([{ id: 'id-1', slug: 'ws-long', name: 'N'.repeat(300) }]);
    const text = opts[0] && 'text' in opts[0] ? opts[0].text.text : '';
    expect(text.length).toBeLessThanOrEqual(75);
    expect(text.endsWith('…')).toBe(true);
    expect(checkView(optionsView(opts))).toEqual([]);
  });

  it('falls back to the slug when the id is longer than 75', () => {
    const opts = workspaceOptions([{ id: 'i'.repeat(80), slug: 'ws-short', name: 'W' }]);
    expect(opts[0]?.value).toBe('ws-short');
  });

  it('caps the list at 100 options', () => {
    const items = Array.from({ length: 150 }, (_, i) => ({ id: `id-${i}`, slug: `ws-${i}`, name: `W${i}` }));
    const opts = workspaceOptions(items);
    expect(opts).toHaveLength(100);
    expect(checkView(optionsView(opts))).toEqual([]);
  });

  // Regression: with both id and slug longer than 75 the slug used to be sent, and Slack rejected the whole
  // options response (workspace slugs may be up to 255 characters). Such a workspace can't be offered.
  it('never yields a value longer than 75, even when id and slug are both long', () => {
    const opts = workspaceOptions([
      { id: 'i'.repeat(80), slug: 's'.repeat(120), name: 'Long' },
      { id: 'ok-id', slug: 'ok', name: 'Fine' },
    ]);
    for (const o of opts) expect((o.value ?? '').length).toBeLessThanOrEqual(75);
    expect(opts.map((o) => o.value)).toEqual(['ok-id']);
    expect(checkView(optionsView(opts))).toEqual([]);
  });
});
