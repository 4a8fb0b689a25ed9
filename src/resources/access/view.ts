import type { KnownBlock, ModalView, Option, PlainTextOption } from '@slack/types';
import { limitBlocks } from '../../features/limits/form.js';
import { previewButton } from '../../features/preview/view.js';
import { budgetText, rateText, type AccessLimits } from '../../portkey/limits.js';
import { context, fields, plain, section } from '../../slack/blocks.js';
import { RESULT_ALSO_SENT, failureBlocks } from '../../slack/delivery.js';
import { clip, escapeCode, escapeMrkdwn, mention } from '../../slack/escape.js';
import { encodeContext, type ModalContext } from '../../slack/metadata.js';
import type { Message } from '../../slack/notify.js';
import type { Choice } from '../../slack/state.js';
import type { AccessDraft } from './form.js';
import { ACCESS_ACTIONS, ACCESS_CALLBACK, ACCESS_FIELDS, ACCESS_RESULT_CALLBACK } from './ids.js';
import type { AccessResolved } from './resolve.js';
import { resultView } from '../../slack/result-view.js';

// The access form, its result views and the channel message. Pure; every name shown is Portkey's, escaped.

export const ACCESS_TITLE = 'Integration access';

const option = (c: Choice): PlainTextOption => ({ text: plain(c.label, 75), value: c.value });

function picker(
  blockId: string,
  actionId: string,
  label: string,
  hint: string,
  chosen: Choice | undefined,
  placeholder: string,
): KnownBlock {
  return {
    type: 'input',
    block_id: blockId,
    label: plain(label),
    hint: plain(hint),
    element: {
      type: 'external_select',
      action_id: actionId,
      min_query_length: 0,
      placeholder: plain(placeholder, 150),
      ...(chosen ? { initial_option: option(chosen) } : {}),
    },
  };
}

export function accessModal(p: { draft: AccessDraft; context: ModalContext; notice?: string }): ModalView {
  const { draft } = p;
  const blocks: KnownBlock[] = [];
  if (p.notice) blocks.push(section(p.notice));
  blocks.push(
    section('Enable an organisation-wide integration in a workspace, or change the budget and rate limit it has there.'),
    picker(
      ACCESS_FIELDS.integration.block,
      ACCESS_FIELDS.integration.action,
      'Integration',
      'Organisation-wide integrations, by name or slug.',
      draft.integration,
      'Search integrations',
    ),
    picker(ACCESS_FIELDS.workspace.block, ACCESS_FIELDS.workspace.action, 'Workspace', 'By name.', draft.workspace, 'Search workspaces'),
    ...limitBlocks(draft.limits, 'this workspace (what it has now is replaced: blank means none)'),
    previewButton(),
  );
  return {
    type: 'modal',
    callback_id: ACCESS_CALLBACK,
    title: plain(ACCESS_TITLE, 24),
    submit: plain('Apply', 24),
    close: plain('Cancel', 24),
    private_metadata: encodeContext(p.context),
    blocks,
  };
}

function resultModal(ctx: ModalContext, blocks: KnownBlock[]): ModalView {
  return resultView({ callbackId: ACCESS_RESULT_CALLBACK, title: ACCESS_TITLE, context: ctx, blocks });
}

/** "OpenAI prod (`openai-prod`) in Research (`research`)", as Portkey holds them. */
function whereText(r: AccessResolved): string {
  const ws = r.workspace.slug ? ` (\`${escapeCode(r.workspace.slug)}\`)` : '';
  return `*${escapeMrkdwn(r.integration.name)}* (\`${escapeCode(r.integration.slug)}\`) in *${escapeMrkdwn(r.workspace.name)}*${ws}`;
}

function limitFields(limits: AccessLimits): KnownBlock {
  return fields([
    ['Budget', escapeMrkdwn(budgetText(limits))],
    ['Rate limit', escapeMrkdwn(rateText(limits))],
  ]);
}

export function accessProgressView(p: { what: string; context: ModalContext }): ModalView {
  return resultModal(p.context, [
    section(`:hourglass_flowing_sand: Applying ${escapeMrkdwn(p.what)} in Portkey…`),
    context(RESULT_ALSO_SENT),
  ]);
}

export function accessSuccessView(p: {
  resolved: AccessResolved;
  limits: AccessLimits;
  enabledBefore: boolean;
  deliveredTo: string;
  context: ModalContext;
}) {
  const verb = p.enabledBefore ? 'Updated' : 'Enabled';
  return resultModal(p.context, [
    section(`:white_check_mark: ${verb}: ${whereText(p.resolved)}.`),
    limitFields(p.limits),
    context(p.deliveredTo),
  ]);
}

export function accessErrorView(p: {
  what: string;
  message: string;
  operationId: string;
  mayExist: boolean;
  deliveredTo?: string | undefined;
  context: ModalContext;
}) {
  const head = p.mayExist ? `${p.what} may or may not have been changed.` : `${p.what} was not changed.`;
  return resultModal(
    { ...p.context, operationId: p.operationId },
    failureBlocks({
      headline: escapeMrkdwn(head),
      body: escapeMrkdwn(p.message),
      deliveredTo: p.deliveredTo,
      blockId: 'acc_error_actions',
      backAction: ACCESS_ACTIONS.back,
      operationId: p.operationId,
    }),
  );
}

/** The channel message: the integration and workspace as Portkey holds them, and the amounts. */
export function accessChangedMessage(p: {
  resolved: AccessResolved;
  limits: AccessLimits;
  enabledBefore: boolean;
  userId: string;
}): Message {
  const r = p.resolved;
  const verb = p.enabledBefore ? 'changed the budget of' : 'enabled';
  return {
    text:
      `${escapeMrkdwn(r.integration.name)} (${escapeMrkdwn(r.integration.slug)}) in ${escapeMrkdwn(r.workspace.name)}: ` +
      `${escapeMrkdwn(budgetText(p.limits))}; ${escapeMrkdwn(rateText(p.limits))}`,
    blocks: [section(`:moneybag: ${mention(p.userId)} ${verb} ${whereText(r)}.`), limitFields(p.limits)],
  };
}

export function accessFailedMessage(p: { integration: string; workspace: string; error: string; mayExist: boolean }): Message {
  const what = `Your access request for \`${escapeCode(p.integration)}\` in *${escapeMrkdwn(p.workspace)}*`;
  const head = p.mayExist ? `${what} may or may not have been applied.` : `${what} was not applied.`;
  return { text: `:warning: ${head} ${escapeMrkdwn(p.error)}` };
}

/** Integration picker options: value the slug (Portkey addresses integrations by slug), label name and slug. */
export function integrationOptions(items: ReadonlyArray<{ slug?: string | undefined; name?: string | undefined }>): Option[] {
  return items
    .flatMap((i) => (i.slug && i.slug.length <= 75 ? [{ slug: i.slug, name: i.name }] : []))
    .slice(0, 100)
    .map((i) => ({ text: plain(clip(i.name ? `${i.name} (${i.slug})` : i.slug, 75), 75), value: i.slug }));
}

/** Workspace picker options: the id, or the slug when the id is too long for Slack's 75 characters. */
export function accessWorkspaceOptions(
  items: ReadonlyArray<{ id: string; slug?: string | undefined; name?: string | undefined }>,
): Option[] {
  return items
    .flatMap((w) => {
      const value = [w.id, w.slug].find((v): v is string => v !== undefined && v.length <= 75);
      if (!value) return [];
      const label = w.name && w.slug ? `${w.name} (${w.slug})` : (w.name ?? w.slug ?? w.id);
      return [{ text: plain(clip(label, 75), 75), value }];
    })
    .slice(0, 100);
}
