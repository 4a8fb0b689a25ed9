import { previewButton } from '../../features/preview/view.js';
import type { InputBlock, KnownBlock, ModalView, Option, PlainTextOption } from '@slack/types';
import {
  authModeOf,
  customHostField,
  getProvider,
  isSecretField,
  keyNeed,
  providerOptionGroups,
  type Provider,
  type ProviderField,
} from '../../portkey/providers.js';
import { actions, button, context, fields, plain, section } from '../../slack/blocks.js';
import { clip, escapeCode, escapeMrkdwn, mention } from '../../slack/escape.js';
import { RESULT_ALSO_SENT, failedHeadline, failureBlocks } from '../../slack/delivery.js';
import { encodeContext, type ModalContext } from '../../slack/metadata.js';
import type { Message } from '../../slack/notify.js';
import type { Choice } from '../../slack/state.js';
import type { IntegrationDraft } from './form.js';
import { limitBlocks } from '../../features/limits/form.js';
import { budgetText, rateText, type AccessLimits } from '../../portkey/limits.js';
import { slugFromName } from './form.js';
import {
  AUTH_MODE_ACTION,
  authModeBlock,
  deploymentBlock,
  fieldBlock,
  fieldSecretRefBlock,
  INT_ACTIONS,
  INT_FIELDS,
  INT_LIMITS,
  INTEGRATION_CALLBACK,
  INTEGRATION_RESULT_CALLBACK,
  KEY_ACTION,
  keyBlock,
  SECRET_REF_ACTION,
  secretRefBlock,
  VALUE_ACTION,
} from './ids.js';
import { resultView } from '../../slack/result-view.js';

export const INTEGRATION_TITLE = 'Connect an AI provider';
const TITLE = INTEGRATION_TITLE;

const option = (value: string, label: string): PlainTextOption => ({ text: plain(label, 75), value });
const choiceOption = (c: Choice): PlainTextOption => option(c.value, c.label);

function input(p: {
  blockId: string;
  label: string;
  element: InputBlock['element'];
  optional?: boolean;
  hint?: string;
  dispatch?: boolean;
}): InputBlock {
  return {
    type: 'input',
    block_id: p.blockId,
    optional: p.optional ?? false,
    label: plain(p.label, 2000),
    ...(p.hint ? { hint: plain(p.hint, 2000) } : {}),
    ...(p.dispatch ? { dispatch_action: true } : {}),
    element: p.element,
  };
}

function textElement(
  actionId: string,
  initial: string,
  p: { max: number; multiline?: boolean; placeholder?: string | undefined },
): InputBlock['element'] {
  return {
    type: 'plain_text_input',
    action_id: actionId,
    max_length: p.max,
    multiline: p.multiline ?? false,
    ...(initial ? { initial_value: initial.slice(0, p.max) } : {}),
    ...(p.placeholder ? { placeholder: plain(p.placeholder, 150) } : {}),
  };
}

/** The picker of the secret references the policy lets this person use (loaded from Portkey by the options listener). */
function secretRefInput(blockId: string, label: string, hint: string, chosen: Choice | undefined): InputBlock {
  return input({
    blockId,
    label,
    optional: true,
    hint,
    element: {
      type: 'external_select',
      action_id: SECRET_REF_ACTION,
      min_query_length: 0,
      placeholder: plain('Search secret references', 150),
      ...(chosen ? { initial_option: choiceOption(chosen) } : {}),
    },
  });
}

/**
 * A provider field, and beside a secret one the picker of a secret reference that can stand in for it: the typed
 * input is then optional in Slack (the submission checks that one of the two is given).
 */
function providerFieldBlocks(provider: Provider, mode: string | undefined, f: ProviderField, draft: IntegrationDraft): InputBlock[] {
  const own = fieldInput(fieldBlock(provider.id, mode, f.key), f, draft.fields[f.key] ?? '');
  if (!isSecretField(f)) return [own];
  return [
    { ...own, optional: true },
    secretRefInput(
      fieldSecretRefBlock(provider.id, mode, f.key),
      `Or take the ${f.label.replace(/\s*\([^)]*\)$/, '')} from a secret reference`.slice(0, 2000),
      'A secret stored in your vault and registered in Portkey: the value is read from it at request time, never pasted here.',
      draft.fieldRefs[f.key],
    ),
  ];
}

/** One catalog field as a modal input. Secret fields never get an initial value. */
function fieldInput(blockId: string, f: ProviderField, initial: string): InputBlock {
  const value = isSecretField(f) ? '' : initial;
  if (f.kind === 'select' && f.choices) {
    const chosen = f.choices.find((c) => c.value === (value || f.initial));
    return input({
      blockId,
      label: f.label,
      optional: !f.required,
      ...(f.hint ? { hint: f.hint } : {}),
      element: {
        type: 'static_select',
        action_id: VALUE_ACTION,
        options: f.choices.map((c) => option(c.value, c.label)),
        ...(chosen ? { initial_option: option(chosen.value, chosen.label) } : {}),
        ...(f.placeholder ? { placeholder: plain(f.placeholder, 150) } : {}),
      },
    });
  }
  const multiline = f.kind === 'json' || f.kind === 'multiline';
  const secretHint = isSecretField(f)
    ? 'Kept secret: sent to Portkey only, never shown in Slack. Or take it from a secret reference below.'
    : undefined;
  const hint = [f.hint, secretHint].filter(Boolean).join(' ');
  return input({
    blockId,
    label: f.label,
    optional: !f.required,
    ...(hint ? { hint } : {}),
    element: textElement(VALUE_ACTION, value, {
      max: Math.min(f.maxLength ?? (multiline ? 3000 : 1000), 3000),
      multiline,
      placeholder: f.placeholder,
    }),
  });
}

function providerSelect(selected: Provider | undefined): InputBlock {
  const groups = providerOptionGroups();
  return input({
    blockId: INT_FIELDS.provider.block,
    label: 'AI provider',
    dispatch: true,
    element: {
      type: 'static_select',
      action_id: INT_FIELDS.provider.action,
      placeholder: plain('Choose a provider', 150),
      option_groups: groups.map((g) => ({ label: plain(g.label, 75), options: g.options.map((o) => option(o.value, o.label)) })),
      ...(selected ? { initial_option: option(selected.id, selected.label) } : {}),
    },
  });
}

function providerBlocks(provider: Provider, draft: IntegrationDraft, rows: number): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  const mode = authModeOf(provider, draft.authMode);
  if (provider.authModes && mode) {
    blocks.push(
      input({
        blockId: authModeBlock(provider.id),
        label: 'Authentication',
        dispatch: true,
        element: {
          type: 'static_select',
          action_id: AUTH_MODE_ACTION,
          options: provider.authModes.map((m) => option(m.id, m.label)),
          initial_option: option(mode.id, mode.label),
        },
      }),
    );
  }
  const need = keyNeed(provider, mode?.id);
  if (need !== 'none') {
    blocks.push(
      input({
        blockId: keyBlock(provider.id),
        label: provider.keyLabel ?? 'API key',
        optional: true,
        hint:
          need === 'required'
            ? 'Kept secret: sent to Portkey only, never shown in Slack or logged. Or choose a secret reference below.'
            : 'Optional. Kept secret: sent to Portkey only, never shown in Slack or logged.',
        element: textElement(KEY_ACTION, '', { max: INT_LIMITS.key, placeholder: 'Paste the key' }),
      }),
      secretRefInput(
        secretRefBlock(provider.id),
        'Or use a secret reference',
        'A secret stored in your vault and registered in Portkey; the key is read from it at request time.',
        draft.secretRef,
      ),
    );
  }
  for (const f of provider.fields) blocks.push(...providerFieldBlocks(provider, undefined, f, draft));
  for (const f of mode?.fields ?? []) blocks.push(...providerFieldBlocks(provider, mode?.id, f, draft));

  if (provider.deployments) {
    const spec = provider.deployments;
    for (let i = 0; i < rows; i++) {
      blocks.push(section(`*Deployment ${i + 1}*${i === draft.defaultDeployment ? ' (default)' : ''}`));
      for (const f of spec.fields) blocks.push(fieldInput(deploymentBlock(i, f.key), f, draft.deployments[i]?.[f.key] ?? ''));
    }
    if (rows > 1) {
      const choices = Array.from({ length: rows }, (_, i) => option(String(i), `Deployment ${i + 1}`));
      blocks.push(
        input({
          blockId: INT_FIELDS.defaultDeployment.block,
          label: 'Default deployment',
          element: {
            type: 'static_select',
            action_id: INT_FIELDS.defaultDeployment.action,
            options: choices,
            initial_option: choices[Math.min(draft.defaultDeployment, rows - 1)] ?? choices[0],
          },
        }),
      );
    }
    const buttons = [];
    if (rows < spec.max) buttons.push(button({ text: 'Add deployment', actionId: INT_ACTIONS.addDeployment }));
    if (rows > spec.min) buttons.push(button({ text: 'Remove last deployment', actionId: INT_ACTIONS.removeDeployment }));
    if (buttons.length > 0) blocks.push(actions('int_deployment_actions', buttons));
  }

  const host = customHostField(provider);
  blocks.push(
    input({
      blockId: INT_FIELDS.customHost.block,
      label: host.label,
      optional: !host.required,
      ...(host.hint ? { hint: host.hint } : {}),
      element: textElement(INT_FIELDS.customHost.action, draft.customHost, { max: INT_LIMITS.customHost, placeholder: host.placeholder }),
    }),
  );
  return blocks;
}

function scopeBlocks(draft: IntegrationDraft): KnownBlock[] {
  const org = option('organisation', 'Whole organisation');
  const ws = option('workspace', 'One workspace only');
  const blocks: KnownBlock[] = [
    input({
      blockId: INT_FIELDS.scope.block,
      label: 'Who can use it',
      dispatch: true,
      element: {
        type: 'radio_buttons',
        action_id: INT_FIELDS.scope.action,
        options: [org, ws],
        initial_option: draft.scope === 'workspace' ? ws : org,
      },
    }),
  ];
  if (draft.scope === 'workspace') {
    blocks.push(
      input({
        blockId: INT_FIELDS.workspace.block,
        label: 'Workspace',
        element: {
          type: 'external_select',
          action_id: INT_FIELDS.workspace.action,
          min_query_length: 0,
          placeholder: plain('Search workspaces by name', 150),
          ...(draft.workspace ? { initial_option: choiceOption(draft.workspace) } : {}),
        },
      }),
    );
  } else {
    blocks.push(
      input({
        blockId: INT_FIELDS.access.block,
        label: 'Enable it in these workspaces',
        optional: true,
        hint: 'Optional. Each workspace gets a provider it can use right away.',
        element: {
          type: 'multi_external_select',
          action_id: INT_FIELDS.access.action,
          min_query_length: 0,
          max_selected_items: 20,
          placeholder: plain('Search workspaces by name', 150),
          ...(draft.access.length > 0 ? { initial_options: draft.access.map(choiceOption) } : {}),
        },
      }),
      ...limitBlocks(draft.limits, 'each workspace chosen above'),
    );
  }
  return blocks;
}

export function integrationModal(p: { draft: IntegrationDraft; context: ModalContext; notice?: string }): ModalView {
  const { draft } = p;
  const provider = draft.providerId ? getProvider(draft.providerId) : undefined;
  const rows = Math.max(
    provider?.deployments?.min ?? 1,
    Math.min(p.context.rows ?? (draft.deployments.length || 1), provider?.deployments?.max ?? 1),
  );
  const suggested = draft.name ? slugFromName(draft.name) : '';
  const blocks: KnownBlock[] = [];
  if (p.notice) blocks.push(section(p.notice));
  blocks.push(providerSelect(provider));
  if (provider?.docsHint) blocks.push(context(escapeMrkdwn(provider.docsHint)));
  blocks.push(
    input({
      blockId: INT_FIELDS.name.block,
      label: 'Name',
      element: textElement(INT_FIELDS.name.action, draft.name, { max: INT_LIMITS.name, placeholder: 'e.g. OpenAI production' }),
    }),
    input({
      blockId: INT_FIELDS.slug.block,
      label: 'Slug',
      optional: true,
      hint: suggested
        ? `Leave blank to use ${suggested}. Letters, digits, hyphens and underscores.`
        : 'Leave blank to make one from the name. Letters, digits, hyphens and underscores.',
      element: textElement(INT_FIELDS.slug.action, draft.slug, { max: INT_LIMITS.slug, placeholder: suggested || 'e.g. openai-prod' }),
    }),
    input({
      blockId: INT_FIELDS.description.block,
      label: 'Description',
      optional: true,
      element: textElement(INT_FIELDS.description.action, draft.description, { max: INT_LIMITS.description, multiline: true }),
    }),
  );
  if (provider) blocks.push(...providerBlocks(provider, draft, rows));
  else blocks.push(context('Choose a provider to see the fields it needs.'));
  blocks.push(...scopeBlocks(draft), previewButton());
  return {
    type: 'modal',
    callback_id: INTEGRATION_CALLBACK,
    title: plain(TITLE, 24),
    submit: plain('Create', 24),
    close: plain('Cancel', 24),
    private_metadata: encodeContext({ ...p.context, ...(provider?.deployments ? { rows } : {}) }),
    blocks,
  };
}

export function integrationProgressView(p: { name: string; providerLabel: string; context: ModalContext }): ModalView {
  return resultModal(p.context, [
    section(`:hourglass_flowing_sand: Creating the ${escapeMrkdwn(p.providerLabel)} integration *${escapeMrkdwn(p.name)}* in Portkey…`),
    context(RESULT_ALSO_SENT),
  ]);
}

export interface CreatedIntegrationSummary {
  provider: Provider;
  name: string;
  id: string;
  slug: string;
  scope: 'organisation' | 'workspace';
  workspace: Choice | undefined;
  /** Workspaces it was enabled in. */
  enabled: Choice[];
  /** What each of them got. */
  limits?: AccessLimits | undefined;
  /** Workspaces the grant failed for, with the reason. */
  accessError: string | undefined;
  maskedKey: string | undefined;
  usesSecretReference: boolean;
  /** Secret provider fields taken from secret references, by label. */
  fromReferences?: string[] | undefined;
  /** The provider settings as label/value rows, secrets already masked (see summarize()). */
  details: Array<{ label: string; value: string }>;
}

function scopeText(s: CreatedIntegrationSummary): string {
  return s.scope === 'workspace' ? `Workspace ${escapeMrkdwn(s.workspace?.label ?? '?')}` : 'Whole organisation';
}

function summaryBlocks(s: CreatedIntegrationSummary): KnownBlock[] {
  const pairs: Array<[string, string]> = [
    ['Provider', escapeMrkdwn(s.provider.label)],
    ['Scope', scopeText(s)],
    ['ID', `\`${escapeCode(s.id)}\``],
    ['Slug', `\`${escapeCode(s.slug)}\``],
  ];
  if (s.usesSecretReference) pairs.push(['Key', 'From a secret reference']);
  else if (s.maskedKey) pairs.push(['Key', `\`${escapeCode(s.maskedKey)}\``]);
  for (const label of s.fromReferences ?? []) pairs.push([escapeMrkdwn(label), 'From a secret reference']);
  const rest: string[] = [];
  for (const row of s.details) {
    const pair: [string, string] = [escapeMrkdwn(row.label), escapeMrkdwn(clip(row.value, 200))];
    // A section holds 10 fields; the rest go in a line below rather than vanish.
    if (pairs.length < 10) pairs.push(pair);
    else rest.push(`${pair[0]}: ${pair[1]}`);
  }
  const blocks: KnownBlock[] = [fields(pairs)];
  if (rest.length > 0) blocks.push(context(rest.join(' · ')));
  if (s.enabled.length > 0) {
    const limits = s.limits ? ` — each with ${escapeMrkdwn(budgetText(s.limits))}; ${escapeMrkdwn(rateText(s.limits))}` : '';
    blocks.push(context(`Enabled in: ${s.enabled.map((w) => escapeMrkdwn(w.label)).join(', ')}${limits}`));
  }
  return blocks;
}

export function integrationSuccessView(p: {
  summary: CreatedIntegrationSummary;
  deliveredTo: string;
  operationId: string;
  context: ModalContext;
}): ModalView {
  const s = p.summary;
  const blocks: KnownBlock[] = [
    section(`:white_check_mark: The ${escapeMrkdwn(s.provider.label)} integration *${escapeMrkdwn(s.name)}* is ready.`),
    ...summaryBlocks(s),
  ];
  if (s.accessError) blocks.push(...accessErrorBlocks(s, p.operationId));
  blocks.push(context(p.deliveredTo));
  return resultModal({ ...p.context, operationId: p.operationId }, blocks);
}

function accessErrorBlocks(s: CreatedIntegrationSummary, operationId: string): KnownBlock[] {
  return [
    section(`:warning: The integration was created, but enabling it in the workspaces failed: ${escapeMrkdwn(s.accessError ?? '')}`),
    actions('int_access_actions', [
      button({ text: 'Retry enabling', actionId: INT_ACTIONS.retryAccess, value: operationId, style: 'primary' }),
    ]),
  ];
}

export function integrationErrorView(p: {
  name: string;
  message: string;
  operationId: string;
  context: ModalContext;
  keyDropped: boolean;
  /** Portkey may have created it: the answer was lost and we couldn't tell. */
  mayExist: boolean;
  /** Where else the person was told (see privateNote). */
  deliveredTo?: string | undefined;
}): ModalView {
  return resultModal(
    { ...p.context, operationId: p.operationId },
    failureBlocks({
      headline: failedHeadline(`Integration *${escapeMrkdwn(p.name)}*`, p.mayExist),
      body: escapeMrkdwn(p.message),
      deliveredTo: p.deliveredTo,
      notes: p.keyDropped ? ['For safety the key and other secrets are not kept: you will paste them again.'] : [],
      blockId: 'int_error_actions',
      backAction: INT_ACTIONS.back,
      operationId: p.operationId,
    }),
  );
}

function resultModal(ctx: ModalContext, blocks: KnownBlock[]): ModalView {
  return resultView({ callbackId: INTEGRATION_RESULT_CALLBACK, title: TITLE, context: ctx, blocks });
}

/** The channel message: provider, name, id and slug from Portkey, scope, who created it. Never the key. */
export function integrationCreatedMessage(p: { summary: CreatedIntegrationSummary; userId: string; operationId: string }) {
  const s = p.summary;
  const blocks: KnownBlock[] = [
    section(`:electric_plug: ${mention(p.userId)} connected *${escapeMrkdwn(s.provider.label)}* to Portkey as *${escapeMrkdwn(s.name)}*.`),
    ...summaryBlocks(s),
  ];
  if (s.accessError) blocks.push(...accessErrorBlocks(s, p.operationId));
  return {
    text:
      `Integration ${escapeMrkdwn(s.name)} (${escapeMrkdwn(s.provider.label)}) created — id ${escapeMrkdwn(s.id)}, slug ` +
      `${escapeMrkdwn(s.slug)}`,
    blocks,
  };
}

/** To the requester, privately, when the create failed: which integration, what is known, what to do. */
export function integrationFailedMessage(p: {
  providerLabel: string;
  name: string;
  slug: string;
  error: string;
  mayExist: boolean;
}): Message {
  const what = `Your ${escapeMrkdwn(p.providerLabel)} integration *${escapeMrkdwn(p.name)}* (slug \`${escapeCode(p.slug)}\`)`;
  return { text: `:warning: ${failedHeadline(what, p.mayExist)} ${escapeMrkdwn(p.error)}` };
}

/**
 * Workspace picker options. Portkey accepts the id or the slug; whichever fits Slack's 75-character value. The spec
 * promises neither name nor slug, so a workspace is labelled with what it has.
 */
export function workspaceOptions(items: ReadonlyArray<{ id: string; slug?: string | undefined; name?: string | undefined }>): Option[] {
  return items
    .map((w) => ({ w, value: [w.id, w.slug].find((v): v is string => v !== undefined && v.length <= 75) }))
    .filter((x): x is { w: (typeof items)[number]; value: string } => x.value !== undefined)
    .slice(0, 100)
    .map(({ w, value }) => {
      const label = w.name && w.slug ? `${w.name} (${w.slug})` : (w.name ?? w.slug ?? w.id);
      return option(value, clip(label, 75));
    });
}
