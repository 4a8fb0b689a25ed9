import { PREVIEW_BLOCK } from '../../src/features/preview/ids.js';
import type { ModalView } from '@slack/types';
import { describe, expect, it } from 'vitest';
import { helpMessage } from '../../src/commands/help.js';
import { EMPTY_DRAFT, type WorkspaceDraft } from '../../src/resources/workspace/form.js';
import { WORKSPACE_CALLBACK, WORKSPACE_RESULT_CALLBACK, WS_ACTIONS, WS_FIELDS, WS_LIMITS } from '../../src/resources/workspace/ids.js';
import {
  workspaceCreatedMessage,
  workspaceErrorView,
  workspaceFailedMessage,
  workspaceModal,
  workspaceProgressView,
  workspaceSuccessView,
} from '../../src/resources/workspace/view.js';
import { PortkeyError, describePortkeyError } from '../../src/portkey/errors.js';
import type { Workspace as PortkeyWorkspace } from '../../src/portkey/schemas.js';

type Workspace = PortkeyWorkspace & { slug: string; name: string };
import { privateNote } from '../../src/slack/delivery.js';
import { escapeMrkdwn } from '../../src/slack/escape.js';
import { decodeContext, encodeContext, type ModalContext } from '../../src/slack/metadata.js';
import { checkMessage, checkView } from '../support/view-limits.js';

// ---------------------------------------------------------------------------------------------------------------
// Fixtures and helpers

/** Text a person (or Portkey, echoing a person) could supply, with every mrkdwn control sequence in it. */
const EVIL = 'Team <!channel> <@U123> <http://evil|click> & co';
const EVIL_ESCAPED = 'Team &lt;!channel&gt; &lt;@U123&gt; &lt;http://evil|click&gt; &amp; co';

const CONTEXT: ModalContext = {
  channelId: 'C0123ABC',
  responseUrl: 'https://hooks.slack.com/commands/T0/123/abc',
};

const FULL_DRAFT: WorkspaceDraft = {
  name: 'Data Science',
  slug: 'data-science',
  description: 'Models & analytics\nsecond line',
  metadata: 'team=data\ncost_center=cc-42',
  isDefault: true,
};

const WORKSPACE: Workspace = {
  id: '6e5a9f93-ae3a-46b4-a87d-2464d373ef7e',
  slug: 'ws-data-e2a85b',
  name: 'Data Science',
  description: null,
  created_at: '2025-12-30T15:38:09.000Z',
};

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Every text object of a type, at any depth. */
function textsOfType(node: unknown, type: 'mrkdwn' | 'plain_text'): string[] {
  if (Array.isArray(node)) return node.flatMap((n) => textsOfType(n, type));
  if (!isObj(node)) return [];
  const own = node.type === type && typeof node.text === 'string' ? [node.text] : [];
  return [...own, ...Object.values(node).flatMap((v) => textsOfType(v, type))];
}

/** Fails when raw user text could act as mrkdwn: a broadcast, a mention of U123, a link, or a bare `&`. */
function expectNoLiveMarkup(texts: string[], creatorMention?: string): void {
  expect(texts.length).toBeGreaterThan(0);
  for (const t of texts) {
    const without = creatorMention ? t.split(creatorMention).join('') : t;
    expect(without).not.toContain('<!channel>');
    expect(without).not.toContain('<@U123>');
    expect(without).not.toContain('<http');
    expect(without).not.toMatch(/<[!@]/);
    expect(without).not.toMatch(/&(?!amp;|lt;|gt;)/);
  }
}

function blockById(view: { blocks: unknown[] }, blockId: string): Obj {
  const block = view.blocks.find((b) => isObj(b) && b.block_id === blockId);
  if (!isObj(block)) throw new Error(`no block ${blockId}`);
  return block;
}

function elementOf(view: { blocks: unknown[] }, blockId: string): Obj {
  const el = blockById(view, blockId).element;
  if (!isObj(el)) throw new Error(`block ${blockId} has no element`);
  return el;
}

function blockIds(view: ModalView): Array<string | undefined> {
  return view.blocks.map((b) => b.block_id);
}

// ---------------------------------------------------------------------------------------------------------------
// The checker itself (test/support/view-limits.ts)

function modal(blocks: unknown[], extra: Obj = {}): Obj {
  return { type: 'modal', title: { type: 'plain_text', text: 'T' }, close: { type: 'plain_text', text: 'Close' }, blocks, ...extra };
}
const txt = (text: string) => ({ type: 'plain_text', text });
const md = (text: string) => ({ type: 'mrkdwn', text });
const sectionBlock = (text: string, extra: Obj = {}) => ({ type: 'section', text: md(text), ...extra });
const option = (text: string, value: string) => ({ text: txt(text), value });
const inputBlock = (element: Obj, extra: Obj = {}) => ({ type: 'input', block_id: 'in', label: txt('Label'), element, ...extra });
const textInput = (extra: Obj = {}) => ({ type: 'plain_text_input', action_id: 'a', ...extra });
const submit = { submit: txt('Go') };

describe('checkView / checkMessage (the limits checker)', () => {
  it('passes a view and a message that respect every limit', () => {
    const view = modal(
      [
        sectionBlock('hi', { block_id: 's', accessory: { type: 'button', action_id: 'b', text: txt('B'), value: 'v' } }),
        inputBlock(textInput({ max_length: 3000, initial_value: 'x'.repeat(3000), placeholder: txt('p'.repeat(150)) }), {
          hint: txt('h'.repeat(2000)),
        }),
        inputBlock(
          {
            type: 'static_select',
            action_id: 'sel',
            options: Array.from({ length: 100 }, (_, i) => option('o'.repeat(75), `${i}`.padEnd(75, 'v'))),
            initial_option: option('o'.repeat(75), '0'.padEnd(75, 'v')),
          },
          { block_id: 'sel' },
        ),
        {
          type: 'actions',
          block_id: 'acts',
          elements: Array.from({ length: 25 }, (_, i) => ({ type: 'button', action_id: `b${i}`, text: txt('b') })),
        },
        { type: 'section', block_id: 'f', fields: Array.from({ length: 10 }, () => md('f'.repeat(2000))) },
      ],
      { ...submit, title: txt('t'.repeat(24)), callback_id: 'c'.repeat(255), private_metadata: 'm'.repeat(3000) },
    );
    expect(checkView(view)).toEqual([]);
    expect(checkMessage(Array.from({ length: 50 }, (_, i) => sectionBlock(`${i}`)))).toEqual([]);
    expect(checkMessage({ text: 'fallback', blocks: [sectionBlock('x')] })).toEqual([]);
  });

  it.each<[string, Obj, string[]]>([
    ['title', modal([], { title: txt('t'.repeat(25)) }), ['/title: title is 25 characters (max 24)']],
    ['submit', modal([], { submit: txt('s'.repeat(25)) }), ['/submit: submit is 25 characters (max 24)']],
    ['close', modal([], { close: txt('c'.repeat(25)) }), ['/close: close is 25 characters (max 24)']],
    ['missing title', { type: 'modal', blocks: [] }, ['/title: a modal needs a title']],
    ['title not plain_text', modal([], { title: md('x') }), ['/title: title must be a plain_text object']],
    ['blocks', modal(Array.from({ length: 101 }, () => sectionBlock('x'))), ['/blocks: blocks has 101 items (max 100)']],
    [
      'duplicate block_id',
      modal([sectionBlock('a', { block_id: 'same' }), sectionBlock('b', { block_id: 'same' })]),
      ['/blocks/1/block_id: block_id "same" is already used at /blocks/0'],
    ],
    [
      'block_id length',
      modal([sectionBlock('a', { block_id: 'b'.repeat(256) })]),
      ['/blocks/0/block_id: block_id is 256 characters (max 255)'],
    ],
    [
      'action_id length',
      modal([{ type: 'actions', elements: [{ type: 'button', action_id: 'a'.repeat(256), text: txt('b') }] }]),
      ['/blocks/0/elements/0/action_id: action_id is 256 characters (max 255)'],
    ],
    [
      'duplicate action_id in a block',
      modal([
        {
          type: 'actions',
          elements: [
            { type: 'button', action_id: 'x', text: txt('1') },
            { type: 'button', action_id: 'x', text: txt('2') },
          ],
        },
      ]),
      ['/blocks/0: action_id "x" is used twice in this block'],
    ],
    [
      'label',
      modal([inputBlock(textInput(), { label: txt('l'.repeat(2001)) })], submit),
      ['/blocks/0/label: label is 2001 characters (max 2000)'],
    ],
    [
      'hint',
      modal([inputBlock(textInput(), { hint: txt('h'.repeat(2001)) })], submit),
      ['/blocks/0/hint: hint is 2001 characters (max 2000)'],
    ],
    [
      'placeholder',
      modal([inputBlock(textInput({ placeholder: txt('p'.repeat(151)) }))], submit),
      ['/blocks/0/element/placeholder: placeholder is 151 characters (max 150)'],
    ],
    [
      'option text and value',
      modal([inputBlock({ type: 'static_select', action_id: 's', options: [option('o'.repeat(76), 'v'.repeat(76))] })], submit),
      [
        '/blocks/0/element/options/0/text: option text is 76 characters (max 75)',
        '/blocks/0/element/options/0/value: option value is 76 characters (max 75)',
      ],
    ],
    [
      'options per select',
      modal(
        [inputBlock({ type: 'static_select', action_id: 's', options: Array.from({ length: 101 }, (_, i) => option('o', `${i}`)) })],
        submit,
      ),
      ['/blocks/0/element/options: options has 101 items (max 100)'],
    ],
    [
      'option groups',
      modal(
        [
          inputBlock({
            type: 'static_select',
            action_id: 's',
            option_groups: Array.from({ length: 101 }, (_, i) => ({ label: txt('g'), options: [option('o', `${i}`)] })),
          }),
        ],
        submit,
      ),
      ['/blocks/0/element/option_groups: option_groups has 101 items (max 100)'],
    ],
    [
      'option inside a group',
      modal(
        [
          inputBlock({
            type: 'static_select',
            action_id: 's',
            option_groups: [{ label: txt('g'), options: [option('o'.repeat(76), 'v')] }],
          }),
        ],
        submit,
      ),
      ['/blocks/0/element/option_groups/0/options/0/text: option text is 76 characters (max 75)'],
    ],
    [
      'checkbox options',
      modal(
        [inputBlock({ type: 'checkboxes', action_id: 'c', options: Array.from({ length: 11 }, (_, i) => option('o', `${i}`)) })],
        submit,
      ),
      ['/blocks/0/element/options: options has 11 items (max 10)'],
    ],
    [
      'initial option not offered',
      modal(
        [inputBlock({ type: 'checkboxes', action_id: 'c', options: [option('A', 'a')], initial_options: [option('A!', 'a')] })],
        submit,
      ),
      ['/blocks/0/element/initial_options/0: initial option is not one of the options'],
    ],
    [
      'private_metadata',
      modal([], { private_metadata: 'm'.repeat(3001) }),
      ['/private_metadata: private_metadata is 3001 characters (max 3000)'],
    ],
    ['callback_id', modal([], { callback_id: 'c'.repeat(256) }), ['/callback_id: callback_id is 256 characters (max 255)']],
    [
      'max_length',
      modal([inputBlock(textInput({ max_length: 3001 }))], submit),
      ['/blocks/0/element/max_length: max_length must be a whole number from 1 to 3000'],
    ],
    [
      'initial_value over max_length',
      modal([inputBlock(textInput({ max_length: 5, initial_value: '123456' }))], submit),
      ['/blocks/0/element/initial_value: initial_value is 6 characters, longer than max_length 5'],
    ],
    [
      'initial_value over 3000 without max_length',
      modal([inputBlock(textInput({ initial_value: 'x'.repeat(3001) }))], submit),
      ['/blocks/0/element/initial_value: initial_value is 3001 characters, longer than max_length 3000'],
    ],
    ['section text', modal([sectionBlock('s'.repeat(3001))]), ['/blocks/0/text: section text is 3001 characters (max 3000)']],
    [
      'section fields count',
      modal([{ type: 'section', fields: Array.from({ length: 11 }, () => md('f')) }]),
      ['/blocks/0/fields: section fields has 11 items (max 10)'],
    ],
    [
      'section field length',
      modal([{ type: 'section', fields: [md('f'.repeat(2001))] }]),
      ['/blocks/0/fields/0: section field is 2001 characters (max 2000)'],
    ],
    [
      'actions elements',
      modal([
        { type: 'actions', elements: Array.from({ length: 26 }, (_, i) => ({ type: 'button', action_id: `b${i}`, text: txt('b') })) },
      ]),
      ['/blocks/0/elements: actions elements has 26 items (max 25)'],
    ],
    [
      'button text and value',
      modal([{ type: 'actions', elements: [{ type: 'button', action_id: 'b', text: txt('b'.repeat(76)), value: 'v'.repeat(2001) }] }]),
      [
        '/blocks/0/elements/0/text: button text is 76 characters (max 75)',
        '/blocks/0/elements/0/value: button value is 2001 characters (max 2000)',
      ],
    ],
    [
      'a button nested as a section accessory',
      modal([sectionBlock('x', { accessory: { type: 'button', action_id: 'b', text: txt('b'.repeat(76)) } })]),
      ['/blocks/0/accessory/text: button text is 76 characters (max 75)'],
    ],
    ['input without element', modal([{ type: 'input', label: txt('L') }], submit), ['/blocks/0: an input block needs an element']],
    ['input without label', modal([{ type: 'input', element: textInput() }], submit), ['/blocks/0: an input block needs a label']],
    ['input without submit', modal([inputBlock(textInput())]), ['/submit: a modal with input blocks needs a submit button']],
    ['empty text', modal([sectionBlock('')]), ['/blocks/0/text: a mrkdwn text object needs non-empty text']],
  ])('reports %s', (_rule, view, expected) => {
    expect(checkView(view)).toEqual(expected);
  });

  it('reports more than 50 blocks in a message, and the rules inside them', () => {
    expect(checkMessage(Array.from({ length: 51 }, () => sectionBlock('x')))).toEqual(['/blocks: blocks has 51 items (max 50)']);
    expect(checkMessage({ text: 'x', blocks: [sectionBlock('s'.repeat(3001))] })).toEqual([
      '/blocks/0/text: section text is 3001 characters (max 3000)',
    ]);
    expect(checkMessage({ text: '', blocks: [] })).toEqual(['/text: the fallback text must be a non-empty string']);
  });

  it('reports garbage without throwing', () => {
    expect(checkView(null)).toEqual(['/: a view must be an object']);
    expect(checkView({ type: 'modal', title: txt('t') })).toEqual(['/blocks: blocks must be an array']);
    expect(checkMessage('x')).toEqual(['/: a message must be a blocks array or an object with blocks']);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// The workspace views

describe('workspaceModal', () => {
  it('builds the empty form within Slack limits, with no initial values', () => {
    const view = workspaceModal({ draft: EMPTY_DRAFT, context: CONTEXT });
    expect(checkView(view)).toEqual([]);
    expect(view.callback_id).toBe(WORKSPACE_CALLBACK);
    expect(view.submit).toEqual({ type: 'plain_text', text: 'Create', emoji: true });
    expect(blockIds(view)).toEqual([
      WS_FIELDS.name.block,
      WS_FIELDS.slug.block,
      WS_FIELDS.description.block,
      WS_FIELDS.metadata.block,
      WS_FIELDS.isDefault.block,
      PREVIEW_BLOCK,
    ]);
    for (const field of [WS_FIELDS.name, WS_FIELDS.slug, WS_FIELDS.description, WS_FIELDS.metadata]) {
      const el = elementOf(view, field.block);
      expect(el.action_id).toBe(field.action);
      expect(el).not.toHaveProperty('initial_value');
    }
    expect(elementOf(view, WS_FIELDS.isDefault.block)).not.toHaveProperty('initial_options');
    expect(blockById(view, WS_FIELDS.name.block).optional).toBe(false);
    for (const f of [WS_FIELDS.slug, WS_FIELDS.description, WS_FIELDS.metadata, WS_FIELDS.isDefault]) {
      expect(blockById(view, f.block).optional).toBe(true);
    }
  });

  it('restores every field of a draft exactly', () => {
    const view = workspaceModal({ draft: FULL_DRAFT, context: CONTEXT });
    expect(checkView(view)).toEqual([]);
    expect(elementOf(view, WS_FIELDS.name.block).initial_value).toBe('Data Science');
    expect(elementOf(view, WS_FIELDS.slug.block).initial_value).toBe('data-science');
    expect(elementOf(view, WS_FIELDS.description.block).initial_value).toBe('Models & analytics\nsecond line');
    expect(elementOf(view, WS_FIELDS.metadata.block).initial_value).toBe('team=data\ncost_center=cc-42');
    const checkbox = elementOf(view, WS_FIELDS.isDefault.block);
    expect(checkbox.initial_options).toEqual([
      { text: { type: 'plain_text', text: 'Make this the default workspace', emoji: true }, value: 'default' },
    ]);
    expect(checkbox.options).toEqual(checkbox.initial_options);
  });

  it('gives the text inputs the limits of the form, and the multiline ones as multiline', () => {
    const view = workspaceModal({ draft: EMPTY_DRAFT, context: CONTEXT });
    expect(
      [WS_FIELDS.name, WS_FIELDS.slug, WS_FIELDS.description, WS_FIELDS.metadata].map((f) => {
        const el = elementOf(view, f.block);
        return [el.type, el.max_length, el.multiline];
      }),
    ).toEqual([
      ['plain_text_input', WS_LIMITS.name, false],
      ['plain_text_input', WS_LIMITS.slug, false],
      ['plain_text_input', WS_LIMITS.description, true],
      ['plain_text_input', WS_LIMITS.metadata, true],
    ]);
  });

  it('keeps the block and action ids whatever the draft, so Slack keeps what was typed', () => {
    const ids = (v: ModalView) =>
      v.blocks.map((b) => {
        const el: unknown = 'element' in b ? b.element : undefined;
        return [b.block_id, isObj(el) ? el.action_id : undefined];
      });
    expect(ids(workspaceModal({ draft: FULL_DRAFT, context: {} }))).toEqual(ids(workspaceModal({ draft: EMPTY_DRAFT, context: CONTEXT })));
  });

  it('suggests a slug from the name in the placeholder and hint', () => {
    const view = workspaceModal({ draft: { ...EMPTY_DRAFT, name: 'Data Science Team!' }, context: {} });
    expect(elementOf(view, WS_FIELDS.slug.block).placeholder).toEqual({ type: 'plain_text', text: 'data-science-team', emoji: true });
    expect(textsOfType(blockById(view, WS_FIELDS.slug.block).hint, 'plain_text')[0]).toContain('data-science-team');
  });

  it('shows a notice above the form, still within limits', () => {
    const notice = ':information_source: What you typed is no longer available (the app restarted). Please fill the form again.';
    const view = workspaceModal({ draft: FULL_DRAFT, context: CONTEXT, notice });
    expect(checkView(view)).toEqual([]);
    expect(view.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: notice } });
    expect(blockIds(view).slice(1)).toEqual(blockIds(workspaceModal({ draft: FULL_DRAFT, context: CONTEXT })));
  });

  it('stays within limits for a draft at and over every limit', () => {
    const huge: WorkspaceDraft = {
      name: 'N'.repeat(WS_LIMITS.name + 50),
      slug: 's'.repeat(WS_LIMITS.slug + 50),
      description: 'd'.repeat(WS_LIMITS.description + 50),
      metadata: `k=${'v'.repeat(WS_LIMITS.metadata + 50)}`,
      isDefault: false,
    };
    const view = workspaceModal({ draft: huge, context: { ...CONTEXT, operationId: 'o'.repeat(64) }, notice: 'n'.repeat(5000) });
    expect(checkView(view)).toEqual([]);
    expect(elementOf(view, WS_FIELDS.metadata.block).initial_value).toHaveLength(WS_LIMITS.metadata);
    expect(elementOf(view, WS_FIELDS.name.block).initial_value).toBe('N'.repeat(WS_LIMITS.name));
  });

  it('carries its context in private_metadata', () => {
    const view = workspaceModal({ draft: EMPTY_DRAFT, context: CONTEXT });
    expect(decodeContext(view.private_metadata)).toEqual(CONTEXT);
    expect(decodeContext(workspaceModal({ draft: EMPTY_DRAFT, context: {} }).private_metadata)).toEqual({});
  });
});

describe('workspaceProgressView', () => {
  it('is within limits, has no submit, and escapes the name', () => {
    const view = workspaceProgressView({ name: EVIL, context: CONTEXT });
    expect(checkView(view)).toEqual([]);
    expect(view.callback_id).toBe(WORKSPACE_RESULT_CALLBACK);
    expect(view.submit).toBeUndefined();
    expect(decodeContext(view.private_metadata)).toEqual(CONTEXT);
    expectNoLiveMarkup(textsOfType(view, 'mrkdwn'));
    expect(textsOfType(view, 'mrkdwn').join('\n')).toContain(EVIL_ESCAPED);
  });
});

describe('workspaceSuccessView', () => {
  const delivered = 'Posted in <#C0123ABC>.';

  it('shows the id and slug, within limits', () => {
    const view = workspaceSuccessView({ workspace: WORKSPACE, requestedSlug: undefined, deliveredTo: delivered, context: CONTEXT });
    expect(checkView(view)).toEqual([]);
    expect(view.callback_id).toBe(WORKSPACE_RESULT_CALLBACK);
    expect(view.blocks).toEqual([
      { type: 'section', text: { type: 'mrkdwn', text: ':white_check_mark: Workspace *Data Science* is ready.' } },
      {
        type: 'section',
        fields: [
          { type: 'mrkdwn', text: '*ID*\n`6e5a9f93-ae3a-46b4-a87d-2464d373ef7e`' },
          { type: 'mrkdwn', text: '*Slug*\n`ws-data-e2a85b`' },
        ],
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: delivered }] },
      // The next step: people for the new workspace (the members kind opens its form with this id).
      {
        type: 'actions',
        block_id: 'ws_next',
        elements: [
          {
            type: 'button',
            action_id: 'member_open_for_workspace',
            text: { type: 'plain_text', text: 'Add people', emoji: true },
            value: '6e5a9f93-ae3a-46b4-a87d-2464d373ef7e',
          },
          {
            type: 'button',
            text: { type: 'plain_text', text: 'Create an API key for it', emoji: true },
            action_id: 'key_for_workspace',
            value: '{"id":"6e5a9f93-ae3a-46b4-a87d-2464d373ef7e"}',
          },
        ],
      },
    ]);
    expect(decodeContext(view.private_metadata)).toEqual(CONTEXT);
  });

  it('says so when Portkey chose another slug than the one asked for, and not when it is the same', () => {
    const differs = workspaceSuccessView({ workspace: WORKSPACE, requestedSlug: 'data-science', deliveredTo: delivered, context: CONTEXT });
    expect(checkView(differs)).toEqual([]);
    expect(textsOfType(differs, 'mrkdwn')).toContain('Portkey assigned the slug `ws-data-e2a85b` instead of `data-science`.');
    const same = workspaceSuccessView({ workspace: WORKSPACE, requestedSlug: WORKSPACE.slug, deliveredTo: delivered, context: CONTEXT });
    expect(textsOfType(same, 'mrkdwn').some((t) => t.includes('assigned'))).toBe(false);
    expect(same.blocks).toHaveLength(4);
  });

  it('escapes a hostile name, id and slug in every mrkdwn text', () => {
    const hostile: Workspace = { ...WORKSPACE, name: EVIL, id: `id-${EVIL}`, slug: `ws-\`${EVIL}` };
    const view = workspaceSuccessView({ workspace: hostile, requestedSlug: `req-${EVIL}`, deliveredTo: delivered, context: CONTEXT });
    expect(checkView(view)).toEqual([]);
    const texts = textsOfType(view, 'mrkdwn');
    expectNoLiveMarkup(texts);
    expect(texts[0]).toBe(`:white_check_mark: Workspace *${EVIL_ESCAPED}* is ready.`);
    // A backtick in the slug must not close the code span.
    expect(texts.join('\n')).toContain('`ws-ˋTeam');
  });
});

describe('workspaceErrorView', () => {
  const opId = 'op_0123456789abcdef';

  it('is within limits and carries the operation id on the Back button and in private_metadata', () => {
    const message = describePortkeyError(
      new PortkeyError({ kind: 'api', status: 409, code: 'AB07', portkeyMessage: 'exists' }),
      'workspace',
    );
    const view = workspaceErrorView({ name: 'Data Science', message, operationId: opId, context: CONTEXT, mayExist: false });
    expect(checkView(view)).toEqual([]);
    expect(view.callback_id).toBe(WORKSPACE_RESULT_CALLBACK);
    expect(view.blocks[2]).toEqual({
      type: 'actions',
      block_id: 'ws_error_actions',
      elements: [
        {
          type: 'button',
          text: { type: 'plain_text', text: 'Back to the form', emoji: true },
          action_id: WS_ACTIONS.back,
          value: opId,
          style: 'primary',
        },
      ],
    });
    expect(decodeContext(view.private_metadata)).toEqual({ ...CONTEXT, operationId: opId });
    expect(textsOfType(view, 'mrkdwn')[1]).toBe(escapeMrkdwn(message));
  });

  it('escapes a hostile name and a hostile Portkey message', () => {
    const message = describePortkeyError(new PortkeyError({ kind: 'api', status: 400, code: 'AB01', portkeyMessage: EVIL }), 'workspace');
    const view = workspaceErrorView({ name: EVIL, message, operationId: opId, context: CONTEXT, mayExist: false });
    expect(checkView(view)).toEqual([]);
    const texts = textsOfType(view, 'mrkdwn');
    expectNoLiveMarkup(texts);
    expect(texts[0]).toBe(`:warning: Workspace *${EVIL_ESCAPED}* was not created.`);
    expect(texts[1]).toContain(EVIL_ESCAPED);
  });

  it('stays within limits with the longest name and a very long message', () => {
    const view = workspaceErrorView({
      name: '<'.repeat(WS_LIMITS.name),
      message: '&'.repeat(5000),
      operationId: 'o'.repeat(64),
      context: CONTEXT,
      mayExist: true,
      deliveredTo: privateNote('response_url'),
    });
    expect(checkView(view)).toEqual([]);
  });

  it('says "was not created" only when that is known; when we could not tell, that it may exist', () => {
    const unknown = workspaceErrorView({ name: 'Data', message: 'Look in Portkey.', operationId: opId, context: CONTEXT, mayExist: true });
    expect(textsOfType(unknown, 'mrkdwn')[0]).toBe(':warning: Workspace *Data* may or may not have been created.');
    expect(JSON.stringify(unknown)).not.toContain('was not created');
    const known = workspaceErrorView({ name: 'Data', message: 'x', operationId: opId, context: CONTEXT, mayExist: false });
    expect(textsOfType(known, 'mrkdwn')[0]).toBe(':warning: Workspace *Data* was not created.');
  });

  it('shows where else the failure was sent', () => {
    const view = workspaceErrorView({
      name: 'Data',
      message: 'x',
      operationId: opId,
      context: CONTEXT,
      mayExist: false,
      deliveredTo: privateNote('dm'),
    });
    expect(JSON.stringify(view.blocks)).toContain('This was also sent to you in a direct message.');
  });
});

describe('workspaceFailedMessage (sent privately)', () => {
  it('names the workspace and its slug, escaped, says what is known and what to do', () => {
    expect(workspaceFailedMessage({ name: EVIL, slug: 'a`b', error: `Portkey said: ${EVIL}`, mayExist: false })).toEqual({
      text: `:warning: Your workspace *${EVIL_ESCAPED}* (slug \`aˋb\`) was not created. Portkey said: ${EVIL_ESCAPED}`,
    });
    expect(workspaceFailedMessage({ name: 'Data', slug: '', error: 'Look for it in Portkey.', mayExist: true })).toEqual({
      text: ':warning: Your workspace *Data* may or may not have been created. Look for it in Portkey.',
    });
  });
});

describe('workspaceCreatedMessage', () => {
  it('mentions the creator and shows id and slug, within message limits', () => {
    const msg = workspaceCreatedMessage({ workspace: WORKSPACE, requestedSlug: undefined, userId: 'U0CREATOR' });
    expect(checkMessage(msg)).toEqual([]);
    expect(msg).toEqual({
      text: 'Workspace Data Science created — id 6e5a9f93-ae3a-46b4-a87d-2464d373ef7e, slug ws-data-e2a85b',
      blocks: [
        {
          type: 'section',
          text: { type: 'mrkdwn', text: ':white_check_mark: <@U0CREATOR> created the Portkey workspace *Data Science*.' },
        },
        {
          type: 'section',
          fields: [
            { type: 'mrkdwn', text: '*ID*\n`6e5a9f93-ae3a-46b4-a87d-2464d373ef7e`' },
            { type: 'mrkdwn', text: '*Slug*\n`ws-data-e2a85b`' },
          ],
        },
      ],
    });
  });

  it('notes a slug that differs from the one asked for', () => {
    const msg = workspaceCreatedMessage({ workspace: WORKSPACE, requestedSlug: 'data-science', userId: 'U0CREATOR' });
    expect(checkMessage(msg)).toEqual([]);
    expect(msg.blocks[2]).toEqual({
      type: 'context',
      elements: [{ type: 'mrkdwn', text: 'Portkey assigned the slug `ws-data-e2a85b`, not the requested `data-science`.' }],
    });
  });

  it('escapes hostile text in the blocks and in the notification text', () => {
    const hostile: Workspace = { ...WORKSPACE, name: EVIL, id: `<!here>${EVIL}`, slug: EVIL };
    const msg = workspaceCreatedMessage({ workspace: hostile, requestedSlug: `<!everyone>`, userId: 'U0CREATOR' });
    expect(checkMessage(msg)).toEqual([]);
    expectNoLiveMarkup([msg.text, ...textsOfType(msg.blocks, 'mrkdwn')], '<@U0CREATOR>');
    expect(msg.text).toContain(EVIL_ESCAPED);
  });

  it('does not turn a malformed user id into a mention', () => {
    const msg = workspaceCreatedMessage({ workspace: WORKSPACE, requestedSlug: undefined, userId: '<!channel>' });
    expectNoLiveMarkup(textsOfType(msg.blocks, 'mrkdwn'));
  });
});

describe('helpMessage', () => {
  it('lists the commands and offers the workspace button, within message limits', () => {
    const msg = helpMessage();
    expect(checkMessage(msg)).toEqual([]);
    expect(msg.text).toBe('Portkey from Slack: create workspaces and provider integrations.');
    const texts = textsOfType(msg.blocks, 'mrkdwn').join('\n');
    expect(texts).toContain('`/portkey workspace create [name]`');
    expect(texts).toContain('`/portkey help`');
    const buttons = msg.blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []));
    // Other features add their own buttons; the workspace one must be there, exactly.
    expect(buttons).toContainEqual({
      type: 'button',
      text: { type: 'plain_text', text: 'Create a workspace', emoji: true },
      action_id: WS_ACTIONS.open,
      style: 'primary',
    });
  });

  it('answers an unknown command with a suggestion', () => {
    const msg = helpMessage({ unknown: 'wrkspace create', suggestion: 'workspace create' });
    expect(checkMessage(msg)).toEqual([]);
    expect(msg.text).toBe("I don't know `wrkspace create`. Did you mean `/portkey workspace create`?");
    expect(msg.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: `:thinking_face: ${msg.text}` } });
  });

  it('answers an unknown command without a suggestion', () => {
    const msg = helpMessage({ unknown: 'frobnicate', suggestion: undefined });
    expect(checkMessage(msg)).toEqual([]);
    expect(msg.text).toBe("I don't know `frobnicate`.");
  });

  it('escapes what was typed, in the blocks and the notification text', () => {
    const msg = helpMessage({ unknown: `${EVIL} \`x`, suggestion: undefined });
    expect(checkMessage(msg)).toEqual([]);
    expectNoLiveMarkup([msg.text, ...textsOfType(msg.blocks, 'mrkdwn')]);
    expect(msg.text).toBe(`I don't know \`${EVIL_ESCAPED} ˋx\`.`);
  });

  it('stays within limits for a very long unknown command', () => {
    expect(checkMessage(helpMessage({ unknown: '<'.repeat(4000), suggestion: 'help' }))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------------------------------
// private_metadata

describe('encodeContext / decodeContext', () => {
  it.each<[string, ModalContext]>([
    ['empty', {}],
    ['channel only', { channelId: 'C0123ABC' }],
    ['everything', { ...CONTEXT, operationId: 'op_1' }],
  ])('round-trips %s', (_label, ctx) => {
    expect(decodeContext(encodeContext(ctx))).toEqual(ctx);
  });

  it('keeps the encoded context far under the 3000-character limit at its largest', () => {
    const largest: ModalContext = {
      channelId: 'C'.repeat(40),
      responseUrl: `https://hooks.slack.com/${'x'.repeat(500 - 'https://hooks.slack.com/'.length)}`,
      operationId: 'o'.repeat(64),
    };
    expect(decodeContext(encodeContext(largest))).toEqual(largest);
    expect(encodeContext(largest).length).toBeLessThan(3000);
  });

  it.each<[string, string | undefined]>([
    ['undefined', undefined],
    ['empty', ''],
    ['not JSON', 'channel=C1'],
    ['truncated JSON', '{"channelId":"C0123'],
    ['null', 'null'],
    ['an array', '["C0123ABC"]'],
    ['a string', '"C0123ABC"'],
    ['a channel id with <', '{"channelId":"<!channel>"}'],
    ['a lowercase channel id', '{"channelId":"c0123abc"}'],
    ['a channel id of the wrong type', '{"channelId":123}'],
    ['a response URL that is not a URL', '{"responseUrl":"not a url"}'],
    ['a response URL over 500 characters', JSON.stringify({ responseUrl: `https://hooks.slack.com/${'x'.repeat(500)}` })],
    ['an operation id over 64 characters', JSON.stringify({ operationId: 'o'.repeat(65) })],
    ['one bad field among good ones', JSON.stringify({ ...CONTEXT, channelId: 'C1<' })],
  ])('gives {} for tampered or garbage metadata: %s', (_label, raw) => {
    expect(decodeContext(raw)).toEqual({});
  });

  it('drops fields it does not know', () => {
    expect(decodeContext(JSON.stringify({ channelId: 'C0123ABC', userId: 'U0ADMIN', isAdmin: true }))).toEqual({ channelId: 'C0123ABC' });
  });
});
