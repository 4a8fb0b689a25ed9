/**
 * An offline checker for the Block Kit limits our views can hit (reference/slack-bolt-notes.md §2 and §6).
 * Slack has no offline schema; `views.open` / `chat.postMessage` reject a payload that breaks any of these with
 * `invalid_arguments`, which only shows up in production. The walk is generic: every object anywhere in the
 * payload is checked by its `type` and by the keys it carries, so nested elements are covered too.
 *
 * Lengths are counted in UTF-16 code units (JavaScript's `length`), which is never less than what Slack counts,
 * so the checker errs on the strict side.
 *
 * Each violation is one line: `<json pointer>: <what is wrong>`.
 */

type Obj = Record<string, unknown>;

export const LIMITS = {
  modalTitle: 24,
  modalButton: 24,
  modalBlocks: 100,
  messageBlocks: 50,
  privateMetadata: 3000,
  callbackId: 255,
  externalId: 255,
  blockId: 255,
  actionId: 255,
  label: 2000,
  hint: 2000,
  placeholder: 150,
  optionText: 75,
  optionValue: 75,
  optionDescription: 75,
  optionGroupLabel: 75,
  selectOptions: 100,
  optionGroups: 100,
  checkboxOptions: 10,
  radioOptions: 10,
  overflowOptions: 5,
  inputMaxLength: 3000,
  sectionText: 3000,
  sectionFields: 10,
  sectionField: 2000,
  actionsElements: 25,
  contextElements: 10,
  buttonText: 75,
  buttonValue: 2000,
  buttonUrl: 3000,
  headerText: 150,
  anyText: 3000,
  messageText: 40_000,
  viewBytes: 250_000,
} as const;

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Escapes a key for a JSON pointer (RFC 6901). */
function ptr(base: string, key: string | number): string {
  return `${base}/${String(key).replace(/~/g, '~0').replace(/\//g, '~1')}`;
}

/** The string of a text object, or of a bare string. */
function textOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isObj(v) && typeof v.text === 'string') return v.text;
  return undefined;
}

function deepEqual(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

class Checker {
  readonly problems: string[] = [];
  private readonly blockIds = new Map<string, string>();

  add(at: string, message: string): void {
    this.problems.push(`${at || '/'}: ${message}`);
  }

  maxLen(at: string, what: string, value: unknown, max: number): void {
    const s = textOf(value);
    if (s !== undefined && s.length > max) this.add(at, `${what} is ${s.length} characters (max ${max})`);
  }

  maxCount(at: string, what: string, value: unknown, max: number): void {
    if (Array.isArray(value) && value.length > max) this.add(at, `${what} has ${value.length} items (max ${max})`);
  }

  plainText(at: string, what: string, value: unknown, max: number): void {
    if (value === undefined) return;
    if (!isObj(value) || value.type !== 'plain_text' || typeof value.text !== 'string') {
      this.add(at, `${what} must be a plain_text object`);
      return;
    }
    this.maxLen(at, what, value, max);
  }

  /** Checks the blocks of a surface, then walks everything inside them. */
  blocks(at: string, blocks: unknown, maxBlocks: number): void {
    if (!Array.isArray(blocks)) {
      this.add(at, 'blocks must be an array');
      return;
    }
    this.maxCount(at, 'blocks', blocks, maxBlocks);
    blocks.forEach((block, i) => {
      const here = ptr(at, i);
      if (!isObj(block) || typeof block.type !== 'string') {
        this.add(here, 'a block must be an object with a type');
        return;
      }
      if (typeof block.block_id === 'string') {
        const first = this.blockIds.get(block.block_id);
        if (first !== undefined) this.add(ptr(here, 'block_id'), `block_id "${block.block_id}" is already used at ${first}`);
        else this.blockIds.set(block.block_id, here);
      }
      this.actionIdsUnique(here, block);
      this.walk(here, block);
    });
  }

  /** Slack wants each action_id unique within its block. */
  private actionIdsUnique(at: string, block: Obj): void {
    const seen = new Set<string>();
    const visit = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(visit);
      else if (isObj(v)) {
        if (typeof v.action_id === 'string') {
          if (seen.has(v.action_id)) this.add(at, `action_id "${v.action_id}" is used twice in this block`);
          seen.add(v.action_id);
        }
        Object.values(v).forEach(visit);
      }
    };
    visit(block);
  }

  /** Every object, at any depth: rules by key, then rules by type. */
  walk(at: string, node: unknown): void {
    if (Array.isArray(node)) {
      node.forEach((item, i) => {
        this.walk(ptr(at, i), item);
      });
      return;
    }
    if (!isObj(node)) return;
    this.byKey(at, node);
    this.byType(at, node);
    for (const [k, v] of Object.entries(node)) this.walk(ptr(at, k), v);
  }

  private byKey(at: string, n: Obj): void {
    if ('block_id' in n) {
      if (typeof n.block_id !== 'string' || n.block_id === '') this.add(ptr(at, 'block_id'), 'block_id must be a non-empty string');
      else this.maxLen(ptr(at, 'block_id'), 'block_id', n.block_id, LIMITS.blockId);
    }
    if ('action_id' in n) {
      if (typeof n.action_id !== 'string' || n.action_id === '') this.add(ptr(at, 'action_id'), 'action_id must be a non-empty string');
      else this.maxLen(ptr(at, 'action_id'), 'action_id', n.action_id, LIMITS.actionId);
    }
    if ('placeholder' in n) this.plainText(ptr(at, 'placeholder'), 'placeholder', n.placeholder, LIMITS.placeholder);

    if ('options' in n) {
      const max =
        n.type === 'checkboxes'
          ? LIMITS.checkboxOptions
          : n.type === 'radio_buttons'
            ? LIMITS.radioOptions
            : n.type === 'overflow'
              ? LIMITS.overflowOptions
              : LIMITS.selectOptions;
      if (!Array.isArray(n.options)) this.add(ptr(at, 'options'), 'options must be an array');
      else {
        this.maxCount(ptr(at, 'options'), 'options', n.options, max);
        n.options.forEach((o, i) => {
          this.option(ptr(ptr(at, 'options'), i), o);
        });
      }
    }
    if ('option_groups' in n) {
      if (!Array.isArray(n.option_groups)) this.add(ptr(at, 'option_groups'), 'option_groups must be an array');
      else {
        this.maxCount(ptr(at, 'option_groups'), 'option_groups', n.option_groups, LIMITS.optionGroups);
        n.option_groups.forEach((g, i) => {
          const here = ptr(ptr(at, 'option_groups'), i);
          if (!isObj(g)) {
            this.add(here, 'an option group must be an object');
            return;
          }
          this.plainText(ptr(here, 'label'), 'option group label', g.label, LIMITS.optionGroupLabel);
          // The group's own options are checked when the walk reaches the group object.
          if (!Array.isArray(g.options)) this.add(ptr(here, 'options'), 'an option group needs an options array');
        });
      }
    }
    // Slack rejects initial options that are not exactly one of the options offered.
    const offered = [
      ...(Array.isArray(n.options) ? n.options : []),
      ...(Array.isArray(n.option_groups) ? n.option_groups.flatMap((g) => (isObj(g) && Array.isArray(g.options) ? g.options : [])) : []),
    ];
    const hasOffer = Array.isArray(n.options) || Array.isArray(n.option_groups);
    if ('initial_options' in n) {
      if (!Array.isArray(n.initial_options)) this.add(ptr(at, 'initial_options'), 'initial_options must be an array');
      else if (hasOffer) {
        n.initial_options.forEach((o, i) => {
          if (!offered.some((x) => deepEqual(x, o)))
            this.add(ptr(ptr(at, 'initial_options'), i), 'initial option is not one of the options');
        });
      }
    }
    if ('initial_option' in n && hasOffer && !offered.some((x) => deepEqual(x, n.initial_option))) {
      this.add(ptr(at, 'initial_option'), 'initial option is not one of the options');
    }
  }

  private option(at: string, o: unknown): void {
    if (!isObj(o)) {
      this.add(at, 'an option must be an object');
      return;
    }
    if (!isObj(o.text) || typeof o.text.text !== 'string') this.add(ptr(at, 'text'), 'an option needs a text object');
    else this.maxLen(ptr(at, 'text'), 'option text', o.text, LIMITS.optionText);
    if (typeof o.value !== 'string') this.add(ptr(at, 'value'), 'an option needs a string value');
    else this.maxLen(ptr(at, 'value'), 'option value', o.value, LIMITS.optionValue);
    if (o.description !== undefined) this.maxLen(ptr(at, 'description'), 'option description', o.description, LIMITS.optionDescription);
  }

  private byType(at: string, n: Obj): void {
    switch (n.type) {
      case 'plain_text':
      case 'mrkdwn':
        // Lengths are checked where the text is used (section, label, button…), each with its own limit.
        if (typeof n.text !== 'string' || n.text === '') this.add(at, `a ${n.type} text object needs non-empty text`);
        return;
      case 'input':
        if (!isObj(n.element)) this.add(at, 'an input block needs an element');
        if (n.label === undefined) this.add(at, 'an input block needs a label');
        else this.plainText(ptr(at, 'label'), 'label', n.label, LIMITS.label);
        this.plainText(ptr(at, 'hint'), 'hint', n.hint, LIMITS.hint);
        return;
      case 'plain_text_input': {
        const max = n.max_length;
        if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1 || max > LIMITS.inputMaxLength)) {
          this.add(ptr(at, 'max_length'), `max_length must be a whole number from 1 to ${LIMITS.inputMaxLength}`);
        }
        const min = n.min_length;
        if (min !== undefined && (typeof min !== 'number' || !Number.isInteger(min) || min < 0 || min > LIMITS.inputMaxLength)) {
          this.add(ptr(at, 'min_length'), `min_length must be a whole number from 0 to ${LIMITS.inputMaxLength}`);
        }
        if (typeof min === 'number' && typeof max === 'number' && min > max) this.add(at, 'min_length is greater than max_length');
        if (n.initial_value !== undefined) {
          const limit = typeof max === 'number' ? Math.min(max, LIMITS.inputMaxLength) : LIMITS.inputMaxLength;
          if (typeof n.initial_value !== 'string') this.add(ptr(at, 'initial_value'), 'initial_value must be a string');
          else if (n.initial_value.length > limit) {
            this.add(ptr(at, 'initial_value'), `initial_value is ${n.initial_value.length} characters, longer than max_length ${limit}`);
          }
        }
        return;
      }
      case 'section':
        if (n.text === undefined && n.fields === undefined) this.add(at, 'a section needs text or fields');
        if (n.text !== undefined) this.maxLen(ptr(at, 'text'), 'section text', n.text, LIMITS.sectionText);
        if (n.fields !== undefined) {
          if (!Array.isArray(n.fields)) this.add(ptr(at, 'fields'), 'fields must be an array');
          else {
            this.maxCount(ptr(at, 'fields'), 'section fields', n.fields, LIMITS.sectionFields);
            n.fields.forEach((f, i) => {
              this.maxLen(ptr(ptr(at, 'fields'), i), 'section field', f, LIMITS.sectionField);
            });
          }
        }
        return;
      case 'actions':
        if (!Array.isArray(n.elements) || n.elements.length === 0) this.add(at, 'an actions block needs elements');
        else this.maxCount(ptr(at, 'elements'), 'actions elements', n.elements, LIMITS.actionsElements);
        return;
      case 'context':
        if (!Array.isArray(n.elements) || n.elements.length === 0) this.add(at, 'a context block needs elements');
        else {
          this.maxCount(ptr(at, 'elements'), 'context elements', n.elements, LIMITS.contextElements);
          n.elements.forEach((e, i) => {
            this.maxLen(ptr(ptr(at, 'elements'), i), 'context text', e, LIMITS.anyText);
          });
        }
        return;
      case 'header':
        this.plainText(ptr(at, 'text'), 'header text', n.text, LIMITS.headerText);
        return;
      case 'button':
        if (n.text === undefined) this.add(at, 'a button needs text');
        else this.plainText(ptr(at, 'text'), 'button text', n.text, LIMITS.buttonText);
        if (n.value !== undefined) this.maxLen(ptr(at, 'value'), 'button value', n.value, LIMITS.buttonValue);
        if (n.url !== undefined) this.maxLen(ptr(at, 'url'), 'button url', n.url, LIMITS.buttonUrl);
        if (n.style !== undefined && n.style !== 'primary' && n.style !== 'danger')
          this.add(ptr(at, 'style'), 'style must be primary or danger');
        return;
      default:
        return;
    }
  }
}

/** Violations of Slack's limits for a modal view (`views.open` / `views.update` / `response_action: update`). */
export function checkView(view: unknown): string[] {
  const c = new Checker();
  if (!isObj(view)) {
    c.add('', 'a view must be an object');
    return c.problems;
  }
  if (view.type !== 'modal' && view.type !== 'home') c.add('/type', 'type must be modal or home');
  if (view.type === 'modal') {
    if (view.title === undefined) c.add('/title', 'a modal needs a title');
    else c.plainText('/title', 'title', view.title, LIMITS.modalTitle);
    c.plainText('/submit', 'submit', view.submit, LIMITS.modalButton);
    c.plainText('/close', 'close', view.close, LIMITS.modalButton);
    const hasInput = Array.isArray(view.blocks) && view.blocks.some((b) => isObj(b) && b.type === 'input');
    if (hasInput && view.submit === undefined) c.add('/submit', 'a modal with input blocks needs a submit button');
  }
  if (view.private_metadata !== undefined) {
    if (typeof view.private_metadata !== 'string') c.add('/private_metadata', 'private_metadata must be a string');
    else c.maxLen('/private_metadata', 'private_metadata', view.private_metadata, LIMITS.privateMetadata);
  }
  if (view.callback_id !== undefined) c.maxLen('/callback_id', 'callback_id', view.callback_id, LIMITS.callbackId);
  if (view.external_id !== undefined) c.maxLen('/external_id', 'external_id', view.external_id, LIMITS.externalId);
  const bytes = Buffer.byteLength(JSON.stringify(view), 'utf8');
  if (bytes > LIMITS.viewBytes) c.add('', `the view is ${bytes} bytes (max ${LIMITS.viewBytes})`);
  c.blocks('/blocks', view.blocks, LIMITS.modalBlocks);
  return c.problems;
}

/**
 * Violations of Slack's limits for a message: either its `blocks` array, or a `{ text, blocks }` message
 * (then the fallback text is checked too).
 */
export function checkMessage(message: unknown): string[] {
  const c = new Checker();
  if (Array.isArray(message)) {
    c.blocks('/blocks', message, LIMITS.messageBlocks);
    return c.problems;
  }
  if (!isObj(message)) {
    c.add('', 'a message must be a blocks array or an object with blocks');
    return c.problems;
  }
  if (message.text !== undefined) {
    if (typeof message.text !== 'string' || message.text === '') c.add('/text', 'the fallback text must be a non-empty string');
    else c.maxLen('/text', 'text', message.text, LIMITS.messageText);
  }
  if (message.blocks !== undefined) c.blocks('/blocks', message.blocks, LIMITS.messageBlocks);
  else if (message.text === undefined) c.add('', 'a message needs text or blocks');
  return c.problems;
}
