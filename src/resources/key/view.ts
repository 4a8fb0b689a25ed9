import { previewButton } from '../../features/preview/view.js';
import type { InputBlock, KnownBlock, ModalView, PlainTextOption } from '@slack/types';
import { actions, button, context, fields, plain, section } from '../../slack/blocks.js';
import { failedHeadline, failureBlocks } from '../../slack/delivery.js';
import { clip, escapeCode, escapeMrkdwn, mention } from '../../slack/escape.js';
import { slackDate } from '../../slack/format.js';
import { encodeContext, type ModalContext } from '../../slack/metadata.js';
import type { Message } from '../../slack/notify.js';
import type { KeyDraft } from './form.js';
import { KEY_ACTIONS, KEY_CALLBACK, KEY_FIELDS, KEY_LIMITS, KEY_RESULT_CALLBACK, KEY_ROTATED_CALLBACK } from './ids.js';
import { PRESETS, SCOPE_GROUPS } from './scopes.js';
import { resultView } from '../../slack/result-view.js';

// Pure builders: data in, Block Kit out. Only keyShownView and the rotated view ever receive a key's value.

export const KEY_TITLE = 'New Portkey API key';

const option = (value: string, label: string): PlainTextOption => ({ text: plain(label, 75), value });

function choice(
  field: { block: string; action: string },
  label: string,
  options: Array<[value: string, label: string]>,
  initial: string,
  opts: { optional?: boolean; hint?: string } = {},
): InputBlock {
  const all = options.map(([v, l]) => option(v, l));
  const chosen = all.find((o) => o.value === initial);
  return {
    type: 'input',
    block_id: field.block,
    optional: opts.optional ?? true,
    label: plain(label, 2000),
    ...(opts.hint ? { hint: plain(opts.hint, 2000) } : {}),
    element: { type: 'static_select', action_id: field.action, options: all, ...(chosen ? { initial_option: chosen } : {}) },
  };
}

function text(field: { block: string; action: string }, label: string, initial: string, max: number, hint?: string): InputBlock {
  return {
    type: 'input',
    block_id: field.block,
    optional: field !== KEY_FIELDS.name,
    label: plain(label, 2000),
    ...(hint ? { hint: plain(hint, 2000) } : {}),
    element: {
      type: 'plain_text_input',
      action_id: field.action,
      max_length: max,
      multiline: field === KEY_FIELDS.description,
      ...(initial ? { initial_value: initial.slice(0, max) } : {}),
    },
  };
}

export function keyModal(p: { draft: KeyDraft; context: ModalContext; notice?: string }): ModalView {
  const { draft: d } = p;
  const f = KEY_FIELDS;
  const blocks: KnownBlock[] = [];
  if (p.notice) blocks.push(section(p.notice));
  blocks.push(
    text(f.name, 'Name', d.name, KEY_LIMITS.name),
    text(f.description, 'Description', d.description, KEY_LIMITS.description),
    {
      type: 'input',
      block_id: f.workspace.block,
      label: plain('Workspace'),
      hint: plain('A workspace service key: it works only in this workspace.'),
      element: {
        type: 'external_select',
        action_id: f.workspace.action,
        min_query_length: 0,
        placeholder: plain('Search workspaces', 150),
        ...(d.workspace ? { initial_option: option(d.workspace.value, d.workspace.label) } : {}),
      },
    },
    choice(
      f.preset,
      'What it may do',
      Object.entries(PRESETS).map(([id, preset]) => [id, preset.label]),
      d.preset,
      { optional: false, hint: 'Completions only is what a service calling models needs.' },
    ),
    {
      type: 'input',
      block_id: f.scopes.block,
      optional: true,
      label: plain('Scopes (advanced)'),
      hint: plain('Only with "Choose scopes from the full list". Admin scopes usually need approval.'),
      element: {
        type: 'multi_static_select',
        action_id: f.scopes.action,
        option_groups: SCOPE_GROUPS.map((g) => ({ label: plain(g.label, 75), options: g.scopes.map((s) => option(s, s)) })),
        ...(d.scopes.length > 0 ? { initial_options: d.scopes.map((s) => option(s, s)) } : {}),
      },
    },
    choice(
      f.limitType,
      'Usage limit counts',
      [
        ['cost', 'Cost'],
        ['tokens', 'Tokens'],
      ],
      d.limitType,
    ),
    text(f.creditLimit, 'Usage limit', d.creditLimit, KEY_LIMITS.number, 'A whole number: the key stops working when it is reached.'),
    text(f.alertThreshold, 'Alert at', d.alertThreshold, KEY_LIMITS.number, 'Portkey emails an alert at this usage.'),
    choice(
      f.periodicReset,
      'Usage resets',
      [
        ['monthly', 'Monthly'],
        ['weekly', 'Weekly'],
      ],
      d.periodicReset,
    ),
    text(f.rateValue, 'Rate limit (requests)', d.rateValue, KEY_LIMITS.number),
    choice(
      f.rateUnit,
      'Rate limit per',
      [
        ['rpm', 'Minute'],
        ['rph', 'Hour'],
        ['rpd', 'Day'],
      ],
      d.rateUnit,
    ),
    {
      type: 'input',
      block_id: f.expiresOn.block,
      optional: true,
      label: plain('Expires on'),
      element: { type: 'datepicker', action_id: f.expiresOn.action, ...(d.expiresOn ? { initial_date: d.expiresOn } : {}) },
    },
    choice(
      f.rotation,
      'Rotate automatically',
      [
        ['weekly', 'Weekly'],
        ['monthly', 'Monthly'],
      ],
      d.rotation,
    ),
  );
  blocks.push(previewButton());
  return {
    type: 'modal',
    callback_id: KEY_CALLBACK,
    title: plain(KEY_TITLE, 24),
    submit: plain('Create', 24),
    close: plain('Cancel', 24),
    private_metadata: encodeContext(p.context),
    blocks,
  };
}

const KEEP_OPEN = "Keep this window open: the key's value is shown here, once, and nowhere else.";

export function keyProgressView(p: { name: string; context: ModalContext; rotating?: boolean }): ModalView {
  const doing = p.rotating ? 'Rotating' : 'Creating';
  return resultView({
    callbackId: p.rotating ? KEY_ROTATED_CALLBACK : KEY_RESULT_CALLBACK,
    title: KEY_TITLE,
    context: p.context,
    blocks: [section(`:hourglass_flowing_sand: ${doing} API key *${escapeMrkdwn(p.name)}* in Portkey…`), context(KEEP_OPEN)],
  });
}

/** What a view shows of a key: never its value (that is passed apart, to keyShownView only). */
export interface ShownKey {
  id: string;
  name: string;
  workspace: { id: string; name: string; slug?: string | undefined } | undefined;
  scopes: readonly string[];
}

const workspaceText = (w: ShownKey['workspace']): string =>
  w ? `*${escapeMrkdwn(w.name)}*${w.slug ? ` (\`${escapeCode(w.slug)}\`)` : ''}` : '?';

function keyFields(k: ShownKey): KnownBlock {
  return fields([
    ['ID', `\`${escapeCode(k.id)}\``],
    ['Workspace', workspaceText(k.workspace)],
    ['Scopes', k.scopes.length > 0 ? clip(k.scopes.map((s) => `\`${escapeCode(s)}\``).join(', '), 1900) : '?'],
  ]);
}

/**
 * The one view that carries a key's value, to its owner, once: a copy-friendly block and a plain warning. Its
 * private_metadata holds no operation id and the view has no input, so nothing of it comes back to the app.
 */
export function keyShownView(p: {
  key: ShownKey;
  value: string;
  context: ModalContext;
  rotated?: { transitionEndsAt: string | undefined };
  deliveredTo?: string | undefined;
}): ModalView {
  const { key } = p;
  const what = p.rotated ? `has a new value` : 'is ready';
  const { operationId: _drop, ...kept } = p.context;
  const blocks: KnownBlock[] = [
    section(`:white_check_mark: API key *${escapeMrkdwn(key.name)}* ${what}.`),
    section(
      ':warning: *Shown once.* Copy it now and keep it in your secret store: this is the only time it is shown. The app ' +
        'keeps no copy, and closing this window loses it (you would have to rotate the key).',
    ),
    section(`\`\`\`${escapeCode(p.value)}\`\`\``),
    keyFields(key),
  ];
  if (p.rotated) {
    const until = p.rotated.transitionEndsAt ? Date.parse(p.rotated.transitionEndsAt) : Number.NaN;
    blocks.push(
      context(
        Number.isFinite(until)
          ? `The previous value keeps working until ${slackDate(until)}; switch your service to this one before then.`
          : 'The previous value keeps working for a transition period; switch your service to this one soon.',
      ),
    );
  }
  if (p.deliveredTo) blocks.push(context(p.deliveredTo));
  return {
    type: 'modal',
    callback_id: p.rotated ? KEY_ROTATED_CALLBACK : KEY_RESULT_CALLBACK,
    title: plain(KEY_TITLE, 24),
    close: plain("I've copied it", 24),
    private_metadata: encodeContext(kept),
    blocks,
  };
}

/** Why a created key's value is not in front of its owner. */
export type Unseen = 'approved' | 'lost' | 'late' | 'closed' | 'gone';

const UNSEEN_TEXT: Record<Unseen, string> = {
  approved: 'It was created after the approval, when your form may long be closed, so its value was never shown or sent anywhere.',
  lost: "Portkey's answer, the only place its value was, was lost on the way: no one has seen it.",
  late: 'It was created late (the app restarted meanwhile), when your form may be closed, so its value was never shown or sent anywhere.',
  closed: 'Your form was closed before its value could be shown there, so it was never shown or sent anywhere.',
  gone: 'Its value was shown once already, or is no longer held: the app keeps no copy.',
};

const ROTATE_HINT = 'To get a value you can use, rotate the key: the new value is shown to you once, in a window that opens.';

function rotateButton(operationId: string) {
  return actions('key_rotate_actions', [
    button({ text: 'Rotate key', actionId: KEY_ACTIONS.rotate, value: operationId, style: 'primary' }),
  ]);
}

/** A created key whose value can't be shown here: what exists, why there's no value, and Rotate. */
export function keyUnseenView(p: {
  key: ShownKey;
  why: Unseen;
  operationId: string;
  context: ModalContext;
  deliveredTo?: string;
}): ModalView {
  return resultView({
    callbackId: KEY_RESULT_CALLBACK,
    title: KEY_TITLE,
    context: { ...p.context, operationId: p.operationId },
    blocks: [
      section(`:white_check_mark: API key *${escapeMrkdwn(p.key.name)}* was created.`),
      keyFields(p.key),
      section(`${UNSEEN_TEXT[p.why]} ${ROTATE_HINT}`),
      rotateButton(p.operationId),
      ...(p.deliveredTo ? [context(p.deliveredTo)] : []),
    ],
    done: true,
  });
}

/** To the requester, privately: the key exists, its value was not shown and is sent nowhere, and how to rotate it. */
export function keyUnseenMessage(p: { key: ShownKey; why: Unseen; operationId: string }): Message {
  const which = `*${escapeMrkdwn(p.key.name)}* (\`${escapeCode(p.key.id)}\`) in workspace ${workspaceText(p.key.workspace)}`;
  const text = `:key: Your API key ${which} exists. ${UNSEEN_TEXT[p.why]}`;
  return { text, blocks: [section(text), section(ROTATE_HINT), rotateButton(p.operationId)] };
}

export function keyErrorView(p: {
  name: string;
  message: string;
  operationId: string;
  context: ModalContext;
  mayExist: boolean;
  deliveredTo?: string | undefined;
}): ModalView {
  return resultView({
    callbackId: KEY_RESULT_CALLBACK,
    title: KEY_TITLE,
    context: { ...p.context, operationId: p.operationId },
    blocks: failureBlocks({
      headline: failedHeadline(`API key *${escapeMrkdwn(p.name)}*`, p.mayExist),
      body: escapeMrkdwn(p.message),
      deliveredTo: p.deliveredTo,
      blockId: 'key_error_actions',
      backAction: KEY_ACTIONS.back,
      operationId: p.operationId,
    }),
  });
}

/** The rotate window when the rotation was refused or failed: why, with nothing else. */
export function keyRotateRefusedView(p: { why: string }): ModalView {
  return resultView({
    callbackId: KEY_ROTATED_CALLBACK,
    title: KEY_TITLE,
    context: {},
    blocks: [section(`:no_entry: The key was not rotated. ${p.why}`)],
  });
}

/** The channel message: who created which key, where. Never its value. */
export function keyCreatedMessage(p: ShownKey & { userId: string }): Message {
  const name = escapeMrkdwn(p.name);
  return {
    text: `API key ${name} created in workspace ${p.workspace ? escapeMrkdwn(p.workspace.name) : '?'} — id ${escapeMrkdwn(p.id)}`,
    blocks: [
      section(`:key: ${mention(p.userId)} created the Portkey API key *${name}*.`),
      keyFields(p),
      context(`Its value is shown only to ${mention(p.userId)}, once; it is never posted.`),
    ],
  };
}

/** To the owner, privately, after a rotation (the new value was in their rotate window only). */
export function keyRotatedMessage(p: ShownKey & { transitionEndsAt: string | undefined }): Message {
  const until = p.transitionEndsAt ? Date.parse(p.transitionEndsAt) : Number.NaN;
  const old = Number.isFinite(until) ? ` The previous value works until ${slackDate(until)}.` : '';
  return {
    text:
      `:arrows_counterclockwise: API key *${escapeMrkdwn(p.name)}* (\`${escapeCode(p.id)}\`) was rotated; its new value is shown ` +
      `only in the window your click opened (closed before it appeared? rotate again) and is sent nowhere else.${old}`,
  };
}

/** To the owner, privately, when a rotation failed. */
export function keyRotateFailedMessage(p: ShownKey & { error: string }): Message {
  return { text: `:warning: API key *${escapeMrkdwn(p.name)}* (\`${escapeCode(p.id)}\`) was not rotated. ${escapeMrkdwn(p.error)}` };
}

/** Workspaces for the options load: the id as the value (the submission looks it up), a readable label. */
export function workspaceChoices(
  items: ReadonlyArray<{ id: string; slug?: string | undefined; name?: string | undefined }>,
): PlainTextOption[] {
  return items
    .filter((w) => w.id.length <= 75)
    .slice(0, 100)
    .map((w) => option(w.id, clip(w.name && w.slug ? `${w.name} (${w.slug})` : (w.name ?? w.slug ?? w.id), 75)));
}

/** To the requester, privately, when the create failed. */
export function keyFailedMessage(p: { name: string; workspace: ShownKey['workspace']; error: string; mayExist: boolean }): Message {
  const where = p.workspace ? ` in workspace ${workspaceText(p.workspace)}` : '';
  return { text: `:warning: ${failedHeadline(`Your API key *${escapeMrkdwn(p.name)}*${where}`, p.mayExist)} ${escapeMrkdwn(p.error)}` };
}
