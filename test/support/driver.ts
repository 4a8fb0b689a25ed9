/**
 * Drives the app like Slack does: signed HTTP POSTs to the app's `/slack/events` with Slack's real encodings.
 *
 * - Slash commands: `application/x-www-form-urlencoded` form fields.
 * - Interactivity (block_actions, view_submission, block_suggestion): form field `payload=<JSON>`.
 * - Headers: `x-slack-request-timestamp`, `x-slack-signature: v0=hex(HMAC-SHA256(secret, "v0:ts:rawBody"))`.
 *   Content-Type is exactly `application/x-www-form-urlencoded` (Bolt's HTTPReceiver rejects a charset suffix).
 *
 * `fillView` builds `view.state.values` the way Slack does, `viewFrom` turns a recorded views.open/update call
 * of the fake Slack into a view ready for `fillView`.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { stringify as stringifyQuery } from 'node:querystring';
import type { SlackCall, StoredView } from './fake-slack.js';

export interface DriverResponse {
  status: number;
  text: string;
  /** Parsed body when it is JSON, else undefined. */
  json: unknown;
  headers: Record<string, string>;
  /** What was sent: the command's form fields, or the interactivity payload object (for raw(): `{}`). */
  sent: Record<string, unknown>;
}

export interface ViewLike {
  id: string;
  hash?: string;
  callback_id: string;
  private_metadata?: string;
  blocks?: unknown[];
  state?: { values: Record<string, Record<string, unknown>> };
  /** Optional extras copied into the payload's view (title, external_id, root_view_id, …). */
  [extra: string]: unknown;
}

export interface FillableView {
  id: string;
  hash?: string;
  callback_id: string;
  private_metadata?: string;
  blocks: unknown[];
  [extra: string]: unknown;
}

export type FillValue = string | string[] | boolean | { value: string; text?: string } | null;

export interface CommandParams {
  text: string;
  userId?: string;
  userName?: string;
  channelId?: string;
  channelName?: string;
  triggerId?: string;
  responseUrl?: string;
  command?: string;
}

export interface BlockActionParams {
  actionId: string;
  blockId: string;
  value?: string;
  selectedOption?: { value: string; text?: string };
  /** A users_select's choice (`selected_user`); the element type defaults to `users_select` then. */
  selectedUser?: string;
  view?: ViewLike;
  userId?: string;
  channelId?: string;
  messageTs?: string;
  responseUrl?: string;
  /** Element type; default `static_select` when selectedOption is given, else `button`. */
  type?: string;
}

export interface ViewSubmissionParams {
  view: ViewLike;
  userId?: string;
}

export interface OptionsParams {
  actionId: string;
  blockId: string;
  value: string;
  view?: ViewLike;
  userId?: string;
  channelId?: string;
}

export interface RawOptions {
  /** Unix seconds used in the header and in the signature (default now). */
  timestamp?: number;
  /** Overrides the computed signature. */
  signature?: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface DriverOptions {
  eventsUrl: string;
  signingSecret: string;
  teamId?: string;
  teamDomain?: string;
  apiAppId?: string;
  /** Supplies `response_url` when a call does not give one (e.g. `() => fakeSlack.responseUrl()`). */
  responseUrlFactory?: () => string;
  /** Per-request timeout (default 10 s). */
  timeoutMs?: number;
}

export interface Driver {
  command(p: CommandParams): Promise<DriverResponse>;
  blockAction(p: BlockActionParams): Promise<DriverResponse>;
  viewSubmission(p: ViewSubmissionParams): Promise<DriverResponse>;
  options(p: OptionsParams): Promise<DriverResponse>;
  /** The `app_home_opened` event (Events API, JSON), as Slack sends it when someone opens a tab of the app. */
  homeOpened(p: { userId?: string; tab?: 'home' | 'messages' | 'about'; teamId?: string }): Promise<DriverResponse>;
  raw(body: string, opts?: RawOptions): Promise<DriverResponse>;
  /** `v0=<hex>` for a body and a timestamp, as Slack computes it. */
  sign(body: string, timestamp: number): string;
}

/** Loopback address that refuses connections: used when no response_url is given and no factory is set. */
const DEAD_RESPONSE_URL = 'http://127.0.0.1:9/response/none';

export function slackSignature(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function userNameOf(userId: string): string {
  return userId.replace(/^[UW]_?/, '').toLowerCase() || userId.toLowerCase();
}

let triggerCounter = 0;
function newTriggerId(): string {
  triggerCounter += 1;
  return `${Date.now()}${triggerCounter}.${Math.floor(Math.random() * 1e9)}.${randomBytes(10).toString('hex')}`;
}

function actionTs(): string {
  return `${(Date.now() / 1000).toFixed(6)}`;
}

export function createDriver(opts: DriverOptions): Driver {
  const teamId = opts.teamId ?? 'T0001';
  const teamDomain = opts.teamDomain ?? 'acme';
  const apiAppId = opts.apiAppId ?? 'A0APP';
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const responseUrl = (given: string | undefined): string =>
    given ?? (opts.responseUrlFactory ? opts.responseUrlFactory() : DEAD_RESPONSE_URL);

  const sign = (body: string, timestamp: number): string => slackSignature(opts.signingSecret, timestamp, body);

  async function post(body: string, sent: Record<string, unknown>, o: RawOptions = {}): Promise<DriverResponse> {
    const timestamp = o.timestamp ?? Math.floor(Date.now() / 1000);
    const res = await fetch(opts.eventsUrl, {
      method: 'POST',
      headers: {
        'content-type': o.contentType ?? 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(timestamp),
        'x-slack-signature': o.signature ?? sign(body, timestamp),
        ...o.headers,
      },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await res.text();
    let json: unknown;
    if (text !== '') {
      try {
        json = JSON.parse(text) as unknown;
      } catch {
        json = undefined;
      }
    }
    const headers: Record<string, string> = {};
    res.headers.forEach((value, key) => {
      headers[key] = value;
    });
    return { status: res.status, text, json, headers, sent };
  }

  const user = (userId: string): Record<string, unknown> => ({
    id: userId,
    username: userNameOf(userId),
    name: userNameOf(userId),
    team_id: teamId,
  });

  function viewPayload(view: ViewLike): Record<string, unknown> {
    const { id, hash, callback_id, private_metadata, blocks, state, ...extra } = view;
    const fillable = blocks !== undefined ? { id, callback_id, blocks } : undefined;
    return {
      id,
      team_id: teamId,
      type: 'modal',
      blocks: blocks ?? [],
      private_metadata: private_metadata ?? '',
      callback_id,
      state: state ?? { values: fillable ? (fillView(fillable, {}).state?.values ?? {}) : {} },
      hash: hash ?? `${Math.floor(Date.now() / 1000)}.${randomBytes(6).toString('hex')}`,
      title: { type: 'plain_text', text: 'Modal', emoji: true },
      clear_on_close: false,
      notify_on_close: false,
      close: null,
      submit: null,
      previous_view_id: null,
      root_view_id: id,
      app_id: apiAppId,
      external_id: '',
      app_installed_team_id: teamId,
      bot_id: 'BBOT',
      ...extra,
    };
  }

  const interactive = (payload: Record<string, unknown>): Promise<DriverResponse> =>
    post(`payload=${encodeURIComponent(JSON.stringify(payload))}`, payload);

  return {
    sign,
    command(p) {
      const userId = p.userId ?? 'U_ALICE';
      const fields: Record<string, string> = {
        token: 'verification-token',
        team_id: teamId,
        team_domain: teamDomain,
        channel_id: p.channelId ?? 'C_GENERAL',
        channel_name: p.channelName ?? 'general',
        user_id: userId,
        user_name: p.userName ?? userNameOf(userId),
        command: p.command ?? '/portkey',
        text: p.text,
        api_app_id: apiAppId,
        is_enterprise_install: 'false',
        response_url: responseUrl(p.responseUrl),
        trigger_id: p.triggerId ?? newTriggerId(),
      };
      return post(stringifyQuery(fields), fields);
    },

    blockAction(p) {
      const userId = p.userId ?? 'U_ALICE';
      const type = p.type ?? (p.selectedOption ? 'static_select' : p.selectedUser ? 'users_select' : 'button');
      const action: Record<string, unknown> = {
        type,
        action_id: p.actionId,
        block_id: p.blockId,
        action_ts: actionTs(),
      };
      if (p.value !== undefined) action.value = p.value;
      if (p.selectedUser !== undefined) action.selected_user = p.selectedUser;
      if (p.selectedOption) {
        action.selected_option = {
          text: { type: 'plain_text', text: p.selectedOption.text ?? p.selectedOption.value, emoji: true },
          value: p.selectedOption.value,
        };
      }
      const payload: Record<string, unknown> = {
        type: 'block_actions',
        user: user(userId),
        api_app_id: apiAppId,
        token: 'verification-token',
        trigger_id: newTriggerId(),
        team: { id: teamId, domain: teamDomain },
        enterprise: null,
        is_enterprise_install: false,
        actions: [action],
      };
      if (p.view) {
        payload.container = { type: 'view', view_id: p.view.id };
        payload.view = viewPayload(p.view);
      } else {
        const channelId = p.channelId ?? 'C_GENERAL';
        const ts = p.messageTs ?? `${Math.floor(Date.now() / 1000)}.000100`;
        payload.container = { type: 'message', message_ts: ts, channel_id: channelId, is_ephemeral: false };
        payload.channel = { id: channelId, name: channelId === 'C_GENERAL' ? 'general' : channelId.toLowerCase() };
        payload.message = { type: 'message', ts, user: 'UBOT', bot_id: 'BBOT', text: '' };
        payload.state = { values: {} };
        payload.response_url = responseUrl(p.responseUrl);
      }
      return interactive(payload);
    },

    viewSubmission(p) {
      const payload: Record<string, unknown> = {
        type: 'view_submission',
        team: { id: teamId, domain: teamDomain },
        user: user(p.userId ?? 'U_ALICE'),
        api_app_id: apiAppId,
        token: 'verification-token',
        trigger_id: newTriggerId(),
        view: viewPayload(p.view),
        response_urls: [],
        enterprise: null,
        is_enterprise_install: false,
      };
      return interactive(payload);
    },

    options(p) {
      const payload: Record<string, unknown> = {
        type: 'block_suggestion',
        user: user(p.userId ?? 'U_ALICE'),
        api_app_id: apiAppId,
        token: 'verification-token',
        action_id: p.actionId,
        block_id: p.blockId,
        value: p.value,
        team: { id: teamId, domain: teamDomain },
        enterprise: null,
        is_enterprise_install: false,
      };
      if (p.view) {
        payload.container = { type: 'view', view_id: p.view.id };
        payload.view = viewPayload(p.view);
      } else {
        payload.container = { type: 'message', channel_id: p.channelId ?? 'C_GENERAL', is_ephemeral: false };
        payload.channel = { id: p.channelId ?? 'C_GENERAL' };
      }
      return interactive(payload);
    },

    homeOpened(p) {
      const userId = p.userId ?? 'U_ALICE';
      const team = p.teamId ?? teamId;
      const payload: Record<string, unknown> = {
        token: 'verification-token',
        team_id: team,
        api_app_id: apiAppId,
        event: {
          type: 'app_home_opened',
          user: userId,
          channel: `D${userId.replace(/^[UW]_?/, '')}`,
          tab: p.tab ?? 'home',
          event_ts: actionTs(),
        },
        type: 'event_callback',
        event_id: `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
        event_time: Math.floor(Date.now() / 1000),
        authorizations: [{ enterprise_id: null, team_id: team, user_id: 'UBOT', is_bot: true, is_enterprise_install: false }],
        is_ext_shared_channel: false,
      };
      return post(JSON.stringify(payload), payload, { contentType: 'application/json' });
    },

    raw(body, o = {}) {
      return post(body, {}, o);
    },
  };
}

// ---------------------------------------------------------------------------------------------------------------
// fillView / viewFrom

interface SlackOption {
  text: Record<string, unknown>;
  value: string;
  description?: unknown;
}

const TEXT_TYPES = new Set(['plain_text_input', 'url_text_input', 'email_text_input', 'number_input']);
const SINGLE_SELECT_TYPES = new Set(['static_select', 'external_select', 'radio_buttons']);
const MULTI_SELECT_TYPES = new Set(['multi_static_select', 'multi_external_select', 'checkboxes']);

function elementOptions(element: Record<string, unknown>): SlackOption[] {
  const out: SlackOption[] = [];
  const push = (o: unknown): void => {
    if (isRecord(o) && typeof o.value === 'string' && isRecord(o.text)) {
      const opt: SlackOption = { text: o.text, value: o.value };
      if (o.description !== undefined) opt.description = o.description;
      out.push(opt);
    }
  };
  if (Array.isArray(element.options)) element.options.forEach(push);
  if (Array.isArray(element.option_groups)) {
    for (const g of element.option_groups) if (isRecord(g) && Array.isArray(g.options)) g.options.forEach(push);
  }
  return out;
}

function optionFromInitial(o: unknown): SlackOption | null {
  if (isRecord(o) && typeof o.value === 'string') {
    const text = isRecord(o.text) ? o.text : { type: 'plain_text', text: o.value };
    const opt: SlackOption = { text, value: o.value };
    if (o.description !== undefined) opt.description = o.description;
    return opt;
  }
  return null;
}

function describe(where: string): string {
  return `fillView: ${where}`;
}

function resolveOption(
  element: Record<string, unknown>,
  type: string,
  where: string,
  input: string | { value: string; text?: string },
): SlackOption {
  const value = typeof input === 'string' ? input : input.value;
  if (type === 'external_select' || type === 'multi_external_select') {
    const text = typeof input === 'string' ? value : (input.text ?? value);
    return { text: { type: 'plain_text', text, emoji: true }, value };
  }
  const options = elementOptions(element);
  const found = options.find((o) => o.value === value);
  if (!found) {
    throw new Error(describe(`${where}: value '${value}' is not one of the ${type} options [${options.map((o) => o.value).join(', ')}]`));
  }
  return found;
}

function elementState(element: Record<string, unknown>, where: string, input: FillValue | undefined): Record<string, unknown> {
  const type = typeof element.type === 'string' ? element.type : '';
  if (TEXT_TYPES.has(type)) {
    if (input === undefined) {
      const initial = element.initial_value;
      return { type, value: typeof initial === 'string' && initial !== '' ? initial : null };
    }
    if (input !== null && typeof input !== 'string') throw new Error(describe(`${where}: ${type} needs a string value`));
    return { type, value: input === '' ? null : input };
  }
  if (SINGLE_SELECT_TYPES.has(type)) {
    if (input === undefined) return { type, selected_option: optionFromInitial(element.initial_option) };
    if (input === null) return { type, selected_option: null };
    if (typeof input === 'boolean' || Array.isArray(input)) {
      throw new Error(describe(`${where}: ${type} needs a string or {value, text} value`));
    }
    return { type, selected_option: resolveOption(element, type, where, input) };
  }
  if (MULTI_SELECT_TYPES.has(type)) {
    if (input === undefined) {
      const initial = Array.isArray(element.initial_options) ? element.initial_options : [];
      return { type, selected_options: initial.map(optionFromInitial).filter((o): o is SlackOption => o !== null) };
    }
    if (input === null || input === false) return { type, selected_options: [] };
    if (input === true) {
      const first = elementOptions(element)[0];
      if (!first) throw new Error(describe(`${where}: ${type} has no options to check`));
      return { type, selected_options: [first] };
    }
    const list = Array.isArray(input) ? input : [input];
    return { type, selected_options: list.map((v) => resolveOption(element, type, where, v)) };
  }
  const simple: Record<string, [string, string]> = {
    conversations_select: ['selected_conversation', 'initial_conversation'],
    channels_select: ['selected_channel', 'initial_channel'],
    users_select: ['selected_user', 'initial_user'],
    datepicker: ['selected_date', 'initial_date'],
    timepicker: ['selected_time', 'initial_time'],
  };
  const single = simple[type];
  if (single) {
    const [field, initialField] = single;
    if (input === undefined) {
      const initial = element[initialField];
      return { type, [field]: typeof initial === 'string' ? initial : null };
    }
    if (input !== null && typeof input !== 'string') throw new Error(describe(`${where}: ${type} needs a string value`));
    return { type, [field]: input };
  }
  const multi: Record<string, [string, string]> = {
    multi_conversations_select: ['selected_conversations', 'initial_conversations'],
    multi_channels_select: ['selected_channels', 'initial_channels'],
    multi_users_select: ['selected_users', 'initial_users'],
  };
  const many = multi[type];
  if (many) {
    const [field, initialField] = many;
    if (input === undefined) {
      const initial = element[initialField];
      return { type, [field]: Array.isArray(initial) ? [...initial] : [] };
    }
    if (input === null) return { type, [field]: [] };
    if (typeof input === 'string') return { type, [field]: [input] };
    if (Array.isArray(input)) return { type, [field]: [...input] };
    throw new Error(describe(`${where}: ${type} needs a string or string[] value`));
  }
  throw new Error(describe(`${where}: unsupported element type '${type}'`));
}

const STATEFUL_TYPES = new Set([
  ...TEXT_TYPES,
  ...SINGLE_SELECT_TYPES,
  ...MULTI_SELECT_TYPES,
  'conversations_select',
  'channels_select',
  'users_select',
  'datepicker',
  'timepicker',
  'multi_conversations_select',
  'multi_channels_select',
  'multi_users_select',
]);

/**
 * Builds `state.values` like Slack: for every input block `state.values[block_id][action_id]`; stateful elements
 * of `actions` blocks and section accessories are included too. `inputs` is keyed by block_id (for an actions block
 * with several elements, `block_id.action_id` also works). Missing inputs keep the element's initial value.
 */
export function fillView(view: FillableView, inputs: Record<string, FillValue>): ViewLike {
  const values: Record<string, Record<string, unknown>> = {};
  const used = new Set<string>();
  const blockIds: string[] = [];
  view.blocks.forEach((block: unknown, index) => {
    if (!isRecord(block)) return;
    const blockType = block.type;
    const elements: Record<string, unknown>[] = [];
    if (blockType === 'input' && isRecord(block.element)) elements.push(block.element);
    else if (blockType === 'actions' && Array.isArray(block.elements)) {
      for (const e of block.elements) if (isRecord(e) && typeof e.type === 'string' && STATEFUL_TYPES.has(e.type)) elements.push(e);
    } else if (blockType === 'section' && isRecord(block.accessory)) {
      const a = block.accessory;
      if (typeof a.type === 'string' && STATEFUL_TYPES.has(a.type)) elements.push(a);
    }
    if (elements.length === 0) return;
    const blockId = block.block_id;
    if (typeof blockId !== 'string' || blockId === '') {
      if (blockType !== 'input') return; // Slack would generate one; nothing a test can address.
      throw new Error(describe(`input block #${index} has no block_id (give every input block a stable block_id)`));
    }
    blockIds.push(blockId);
    const byAction: Record<string, unknown> = {};
    for (const element of elements) {
      const actionId = element.action_id;
      if (typeof actionId !== 'string' || actionId === '') {
        throw new Error(describe(`element in block '${blockId}' has no action_id`));
      }
      const compound = `${blockId}.${actionId}`;
      let key: string | undefined;
      if (compound in inputs) key = compound;
      else if (blockId in inputs) key = blockId;
      if (key !== undefined) used.add(key);
      byAction[actionId] = elementState(
        element,
        `block '${blockId}' (${String(element.type)})`,
        key === undefined ? undefined : inputs[key],
      );
    }
    values[blockId] = byAction;
  });
  const unknown = Object.keys(inputs).filter((k) => !used.has(k));
  if (unknown.length > 0) {
    throw new Error(
      describe(`no input for key(s) ${unknown.map((k) => `'${k}'`).join(', ')}; blocks with state: ${blockIds.join(', ') || '(none)'}`),
    );
  }
  const out: ViewLike = { ...view, state: { values } };
  return out;
}

/**
 * Turns a recorded `views.open` / `views.push` / `views.update` call into a view for `fillView` / the driver.
 * id/hash come from the fake's answer to that call, or — when `views` (the fake's `views` map) is given — from the
 * currently stored view (use that after later updates).
 */
export function viewFrom(call: SlackCall, views?: ReadonlyMap<string, StoredView>): FillableView {
  const sent = call.args.view;
  if (!isRecord(sent)) {
    throw new Error(`viewFrom: the ${call.method} call has no view object (args: ${Object.keys(call.args).join(', ')})`);
  }
  const answered = call.response && isRecord(call.response.view) ? call.response.view : undefined;
  let id = typeof answered?.id === 'string' ? answered.id : typeof call.args.view_id === 'string' ? call.args.view_id : undefined;
  let hash = typeof answered?.hash === 'string' ? answered.hash : undefined;
  if (views) {
    const stored =
      (id !== undefined ? views.get(id) : undefined) ??
      (typeof call.args.external_id === 'string' ? [...views.values()].find((v) => v.externalId === call.args.external_id) : undefined);
    if (stored) {
      id = stored.id;
      hash = stored.hash;
    }
  }
  if (id === undefined) {
    throw new Error(`viewFrom: cannot tell the view id of this ${call.method} call${call.error ? ` (it failed: ${call.error})` : ''}`);
  }
  if (typeof sent.callback_id !== 'string') throw new Error(`viewFrom: the view of this ${call.method} call has no callback_id`);
  const view: FillableView = {
    id,
    callback_id: sent.callback_id,
    blocks: Array.isArray(sent.blocks) ? sent.blocks : [],
  };
  if (hash !== undefined) view.hash = hash;
  if (typeof sent.private_metadata === 'string') view.private_metadata = sent.private_metadata;
  if (sent.title !== undefined) view.title = sent.title;
  if (typeof sent.external_id === 'string') view.external_id = sent.external_id;
  return view;
}
