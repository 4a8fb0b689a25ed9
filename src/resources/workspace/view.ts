import type { InputBlock, KnownBlock, ModalView } from '@slack/types';
import { actions, button, context, fields, plain, section } from '../../slack/blocks.js';
import { previewButton } from '../../features/preview/view.js';
import { escapeCode, escapeMrkdwn, mention } from '../../slack/escape.js';
import { encodeContext, type ModalContext } from '../../slack/metadata.js';
import { suggestSlug, type WorkspaceDraft } from './form.js';
import { RESULT_ALSO_SENT, failedHeadline, failureBlocks } from '../../slack/delivery.js';
import type { Message } from '../../slack/notify.js';
import { ADD_MEMBERS_ACTION } from '../../features/links.js';
import { CREATE_KEY_FOR_WORKSPACE, encodeKeyLink } from '../../features/key-link.js';
import { WORKSPACE_CALLBACK, WORKSPACE_RESULT_CALLBACK, WS_ACTIONS, WS_FIELDS, WS_LIMITS } from './ids.js';
import { resultView } from '../../slack/result-view.js';

// Pure builders: data in, Block Kit out. The listener decides when each is shown.

export const WORKSPACE_TITLE = 'New Portkey workspace';
const TITLE = WORKSPACE_TITLE;

function textInput(p: {
  field: { block: string; action: string };
  label: string;
  initial: string;
  max: number;
  optional?: boolean;
  multiline?: boolean;
  placeholder?: string;
  hint?: string;
}): InputBlock {
  return {
    type: 'input',
    block_id: p.field.block,
    optional: p.optional ?? false,
    label: plain(p.label, 2000),
    ...(p.hint ? { hint: plain(p.hint, 2000) } : {}),
    element: {
      type: 'plain_text_input',
      action_id: p.field.action,
      max_length: p.max,
      multiline: p.multiline ?? false,
      ...(p.initial ? { initial_value: p.initial.slice(0, p.max) } : {}),
      ...(p.placeholder ? { placeholder: plain(p.placeholder, 150) } : {}),
    },
  };
}

export function workspaceModal(p: { draft: WorkspaceDraft; context: ModalContext; notice?: string }): ModalView {
  const { draft } = p;
  const suggested = draft.name ? suggestSlug(draft.name) : '';
  const blocks: KnownBlock[] = [];
  if (p.notice) blocks.push(section(p.notice));
  blocks.push(
    textInput({ field: WS_FIELDS.name, label: 'Name', initial: draft.name, max: WS_LIMITS.name, placeholder: 'e.g. Data Science' }),
    textInput({
      field: WS_FIELDS.slug,
      label: 'Slug',
      initial: draft.slug,
      max: WS_LIMITS.slug,
      optional: true,
      placeholder: suggested || 'e.g. data-science',
      hint: suggested
        ? `Leave blank and Portkey makes one; to choose it yourself, type e.g. ${suggested}. Lowercase letters, digits and hyphens.`
        : 'Leave blank and Portkey makes one from the name. Lowercase letters, digits and hyphens.',
    }),
    textInput({
      field: WS_FIELDS.description,
      label: 'Description',
      initial: draft.description,
      max: WS_LIMITS.description,
      optional: true,
      multiline: true,
    }),
    textInput({
      field: WS_FIELDS.metadata,
      label: 'Metadata',
      initial: draft.metadata,
      max: WS_LIMITS.metadata,
      optional: true,
      multiline: true,
      placeholder: 'team=data\ncost_center=cc-42',
      hint: 'One key=value per line. API keys created in the workspace inherit it.',
    }),
    {
      type: 'input',
      block_id: WS_FIELDS.isDefault.block,
      optional: true,
      label: plain('Default'),
      element: {
        type: 'checkboxes',
        action_id: WS_FIELDS.isDefault.action,
        options: [{ text: plain('Make this the default workspace', 75), value: 'default' }],
        ...(draft.isDefault ? { initial_options: [{ text: plain('Make this the default workspace', 75), value: 'default' }] } : {}),
      },
    },
    previewButton(),
  );
  return {
    type: 'modal',
    callback_id: WORKSPACE_CALLBACK,
    title: plain(TITLE, 24),
    submit: plain('Create', 24),
    close: plain('Cancel', 24),
    private_metadata: encodeContext(p.context),
    blocks,
  };
}

export function workspaceProgressView(p: { name: string; context: ModalContext }): ModalView {
  return resultView({
    callbackId: WORKSPACE_RESULT_CALLBACK,
    title: TITLE,
    context: p.context,
    blocks: [section(`:hourglass_flowing_sand: Creating workspace *${escapeMrkdwn(p.name)}* in Portkey…`), context(RESULT_ALSO_SENT)],
  });
}

/** A created workspace as stored with its operation (createdWorkspace): every field known, or '?'. */
export interface ShownWorkspace {
  id: string;
  slug: string;
  name: string;
}

export function workspaceSuccessView(p: {
  workspace: ShownWorkspace;
  requestedSlug: string | undefined;
  deliveredTo: string;
  context: ModalContext;
}): ModalView {
  const { workspace } = p;
  const blocks: KnownBlock[] = [
    section(`:white_check_mark: Workspace *${escapeMrkdwn(workspace.name)}* is ready.`),
    fields([
      ['ID', `\`${escapeCode(workspace.id)}\``],
      ['Slug', `\`${escapeCode(workspace.slug)}\``],
    ]),
  ];
  if (p.requestedSlug && p.requestedSlug !== workspace.slug) {
    blocks.push(context(`Portkey assigned the slug \`${escapeCode(workspace.slug)}\` instead of \`${escapeCode(p.requestedSlug)}\`.`));
  }
  blocks.push(context(p.deliveredTo));
  // Next steps from here: people for it, a key for it (their kinds listen; the value carries the id Portkey returned).
  if (workspace.id !== '?') {
    blocks.push(
      actions('ws_next', [
        button({ text: 'Add people', actionId: ADD_MEMBERS_ACTION, value: workspace.id }),
        button({ text: 'Create an API key for it', actionId: CREATE_KEY_FOR_WORKSPACE, value: encodeKeyLink({ id: workspace.id }) }),
      ]),
    );
  }
  return resultView({ callbackId: WORKSPACE_RESULT_CALLBACK, title: TITLE, context: p.context, blocks, done: true });
}

export function workspaceErrorView(p: {
  name: string;
  message: string;
  operationId: string;
  context: ModalContext;
  /** Portkey may have created it: the answer was lost and we couldn't tell. */
  mayExist: boolean;
  /** Where else the person was told (see privateNote). */
  deliveredTo?: string | undefined;
}): ModalView {
  return resultView({
    callbackId: WORKSPACE_RESULT_CALLBACK,
    title: TITLE,
    context: { ...p.context, operationId: p.operationId },
    blocks: failureBlocks({
      headline: failedHeadline(`Workspace *${escapeMrkdwn(p.name)}*`, p.mayExist),
      body: escapeMrkdwn(p.message),
      deliveredTo: p.deliveredTo,
      blockId: 'ws_error_actions',
      backAction: WS_ACTIONS.back,
      operationId: p.operationId,
    }),
  });
}

/** The channel message: who created what, with Portkey's id and slug. */
export function workspaceCreatedMessage(p: { workspace: ShownWorkspace; requestedSlug: string | undefined; userId: string }) {
  const { workspace } = p;
  const name = escapeMrkdwn(workspace.name);
  const blocks: KnownBlock[] = [
    section(`:white_check_mark: ${mention(p.userId)} created the Portkey workspace *${name}*.`),
    fields([
      ['ID', `\`${escapeCode(workspace.id)}\``],
      ['Slug', `\`${escapeCode(workspace.slug)}\``],
    ]),
  ];
  if (p.requestedSlug && p.requestedSlug !== workspace.slug) {
    blocks.push(
      context(`Portkey assigned the slug \`${escapeCode(workspace.slug)}\`, not the requested \`${escapeCode(p.requestedSlug)}\`.`),
    );
  }
  return {
    text: `Workspace ${name} created — id ${escapeMrkdwn(workspace.id)}, slug ${escapeMrkdwn(workspace.slug)}`,
    blocks,
  };
}

/** To the requester, privately, when the create failed: which workspace, what is known, what to do. */
export function workspaceFailedMessage(p: { name: string; slug: string; error: string; mayExist: boolean }): Message {
  const slug = p.slug ? ` (slug \`${escapeCode(p.slug)}\`)` : '';
  return { text: `:warning: ${failedHeadline(`Your workspace *${escapeMrkdwn(p.name)}*${slug}`, p.mayExist)} ${escapeMrkdwn(p.error)}` };
}
