/**
 * A fake Slack Web API served over real HTTP on 127.0.0.1 (random port).
 *
 * Point the app's Bolt `clientOptions.slackApiUrl` at `apiUrl` (and use `retryConfig: { retries: 0 }` in tests).
 * The Slack WebClient POSTs `application/x-www-form-urlencoded` to `${apiUrl}${method}` with
 * `Authorization: Bearer xoxb-…`; nested values (`view`, `blocks`, …) arrive as JSON strings and are parsed back.
 *
 * Every call is recorded in `calls` (failed ones too, with `error`). `responseUrl()` hands out URLs on the same
 * server that stand in for a slash command's `response_url`.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { randomBytes } from 'node:crypto';
import { parse as parseQueryString } from 'node:querystring';
import { readBody } from './http.js';
import { fillView } from './driver.js';

export interface SlackCall {
  method: string;
  args: Record<string, unknown>;
  token: string | undefined;
  /** Date.now() when the request was received. */
  at: number;
  /** The Slack `error` answered (`ok:false`), or `service_unavailable` when `down(true)`. */
  error?: string;
  /** HTTP status answered. */
  httpStatus: number;
  /** The JSON body answered (undefined when the fake answered a non-JSON body). */
  response: Record<string, unknown> | undefined;
}

export interface StoredView {
  id: string;
  hash: string;
  externalId: string | undefined;
  /** The view as last sent by the app (`views.open` / `views.push` / `views.update`), parsed. */
  view: Record<string, unknown>;
  rootViewId: string;
  previousViewId: string | null;
  /** How many times the view was replaced through `views.update`. */
  updates: number;
  /**
   * What the person has chosen/typed, as Slack reports it in `view.state.values` (block_id → action_id → state).
   * Starts from the elements' initial values; `enter()` changes it; `views.update` keeps every entry whose
   * block_id, action_id and element type are still in the new view — even when the new view sets another
   * `initial_value`/`initial_option` — and starts the others from the new view's initial values.
   */
  state: Record<string, Record<string, unknown>>;
  /** The person closed it (`closeView`): Slack no longer knows it, so `views.update` answers `not_found`. */
  closed: boolean;
}

export interface SlackFailOptions {
  /** How many calls fail (default 1; `Infinity` allowed). */
  times?: number;
  /** Seconds; sent as `Retry-After` header (meaningful with `rate_limited`). */
  retryAfter?: number;
  /** Override the HTTP status (default 200, or 429 for `rate_limited`/`ratelimited`). */
  httpStatus?: number;
}

/** A request `delay()` is holding (or held): Slack has received it but not processed it yet. */
export interface HeldCall {
  method: string;
  args: Record<string, unknown>;
  /** Date.now() when the request was received. */
  at: number;
  /**
   * 'holding' while the delay runs; 'released' once it was processed (it is then in `calls` too);
   * 'abandoned' when the client went away (e.g. was killed) first — then it was never processed nor recorded.
   */
  state: 'holding' | 'released' | 'abandoned';
}

export interface ResponseUrlPost {
  url: string;
  body: Record<string, unknown>;
  /** HTTP status the fake answered (200, or the one set by `failResponseUrls`). */
  status: number;
  at: number;
}

export interface FakeSlack {
  /** e.g. `http://127.0.0.1:PORT/api/` (ends with a slash, as `slackApiUrl` expects). */
  readonly apiUrl: string;
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly botToken: string;
  readonly calls: SlackCall[];
  readonly responses: ResponseUrlPost[];
  readonly views: Map<string, StoredView>;
  /** Each person's Home tab, as last published (`views.publish`), by user id. */
  readonly homes: Map<string, StoredView>;
  /**
   * Whether the app's Home tab is turned on (App Home settings / manifest `features.app_home`). Off, `views.publish`
   * of a home view answers `not_enabled`, as Slack does. Default on; `reset()` restores it.
   */
  setHomeTab(enabled: boolean): void;
  callsTo(method: string): SlackCall[];
  waitFor(method: string, predicate?: (c: SlackCall) => boolean, timeoutMs?: number): Promise<SlackCall>;
  waitForResponse(predicate?: (r: ResponseUrlPost) => boolean, timeoutMs?: number): Promise<ResponseUrlPost>;
  fail(method: string, error: string, opts?: SlackFailOptions): void;
  /**
   * Holds the next `times` (default 1; `Infinity` allowed) calls to `method` for `ms` before processing them, as
   * a slow Slack would. While held a call is in `held` (not yet in `calls`); if the client disconnects first
   * (the app was killed), the call is dropped unprocessed — the message was never posted.
   */
  delay(method: string, ms: number, times?: number): void;
  /** Every call `delay()` caught, in arrival order. */
  readonly held: HeldCall[];
  /** Resolves with the first held call to `method` (matching `predicate`), as soon as it arrives. */
  waitForHeld(method: string, predicate?: (c: HeldCall) => boolean, timeoutMs?: number): Promise<HeldCall>;
  down(isDown: boolean): void;
  responseUrl(): string;
  /** Make response_url POSTs answer this HTTP status (e.g. 404 for an expired URL); `null` restores 200. */
  failResponseUrls(status: number | null): void;
  setUsergroup(id: string, users: string[]): void;
  /**
   * The workspace's Slack plan. On `'free'`, user groups don't exist for the API: `usergroups.users.list`
   * answers `plan_upgrade_required` (as Slack does on the Free plan). Default `'paid'`; `reset()` restores it.
   */
  setPlan(plan: 'free' | 'paid'): void;
  /**
   * Answers the next `times` (default 1; `Infinity` allowed) calls to `method` with HTTP 429, `Retry-After:
   * retryAfterSeconds` and `{ok:false, error:'ratelimited'}`, as Slack does when a method's tier is exhausted
   * (Tier 2, e.g. usergroups.users.list, allows ~20 calls a minute). Shorthand for `fail(method, 'ratelimited', …)`.
   */
  rateLimit(method: string, retryAfterSeconds: number, times?: number): void;
  /**
   * The person types or chooses in an open view: merges `values` (block_id → action_id → element state, as in
   * `view.state.values`) into the view's stored state. Use `viewState()` to build the payload Slack would send.
   */
  enter(viewId: string, values: Record<string, Record<string, unknown>>): void;
  /** The view as the person's client holds it (blocks, hash, metadata and state), ready for a driver payload. */
  viewState(viewId: string): {
    id: string;
    hash: string;
    callback_id: string;
    private_metadata?: string;
    blocks: unknown[];
    state: { values: Record<string, Record<string, unknown>> };
  };
  /**
   * The person closes the modal (Close, Esc or ×). Slack forgets the view: from then on `views.update` of it answers
   * `not_found`, as the real API does for a view that is no longer open.
   */
  closeView(viewId: string): void;
  /**
   * Merge fields into what `users.info` answers for this user. `profile.email` is there only when set here: Slack
   * leaves it out without the `users:read.email` scope, or when the person has none. Set `is_bot`, `deleted`,
   * `is_restricted` / `is_ultra_restricted` (guests), `is_email_confirmed: false` or another `team_id` as Slack does.
   */
  setUser(id: string, fields: Record<string, unknown>): void;
  /** `users.info` answers `user_not_found` for this id, as Slack does for an id it doesn't know (a forged one). */
  forgetUser(id: string): void;
  /**
   * Clears calls, responses_url posts, held calls, fail() and delay() rules, down(), setPlan() and failResponseUrls() (calls
   * being held are still processed when their delay ends); keeps the server, stored views,
   * usergroups and user overrides (so they can be set up once in beforeAll).
   */
  reset(): void;
  close(): Promise<void>;
}

const TEAM_ID = 'T0001';

interface FailRule {
  method: string;
  error: string;
  remaining: number;
  retryAfter: number | undefined;
  httpStatus: number | undefined;
}

interface DelayRule {
  method: string;
  ms: number;
  remaining: number;
}

interface Waiter<T> {
  match: (item: T) => boolean;
  resolve: (item: T) => void;
}

interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v !== '' ? v : undefined;
}

/** Parses a form or JSON body; string fields that look like JSON (`{…}` / `[…]`) are parsed back into values. */
export function parseSlackArgs(raw: string, contentType: string | undefined): Record<string, unknown> {
  const ct = (contentType ?? '').toLowerCase();
  if (ct.startsWith('application/json') || (!ct.includes('form') && /^\s*\{/.test(raw))) {
    try {
      const parsed: unknown = JSON.parse(raw);
      return isRecord(parsed) ? parsed : {};
    } catch {
      return {};
    }
  }
  const out: Record<string, unknown> = {};
  const fields = parseQueryString(raw);
  for (const [key, value] of Object.entries(fields)) {
    const single = Array.isArray(value) ? value[value.length - 1] : value;
    if (single === undefined) continue;
    out[key] = maybeJson(single);
  }
  return out;
}

function maybeJson(value: string): unknown {
  const t = value.trimStart();
  if (t.startsWith('{') || t.startsWith('[')) {
    try {
      return JSON.parse(value) as unknown;
    } catch {
      return value;
    }
  }
  return value;
}

/** Checks the modal limits Slack enforces on views.open/push/update; returns Slack-style error messages. */
function validateView(view: Record<string, unknown>): string[] {
  const errors: string[] = [];
  const text = (v: unknown): string | undefined => (isRecord(v) && typeof v.text === 'string' ? v.text : undefined);
  if (typeof view.type !== 'string') errors.push('[ERROR] missing required field: type [json-pointer:/view/type]');
  for (const field of ['title', 'submit', 'close'] as const) {
    const t = text(view[field]);
    if (t !== undefined && t.length > 24) {
      errors.push(`[ERROR] must be less than 25 characters [json-pointer:/view/${field}/text]`);
    }
  }
  if (view.type === 'modal' && text(view.title) === undefined) {
    errors.push('[ERROR] missing required field: title [json-pointer:/view/title]');
  }
  if (typeof view.private_metadata === 'string' && view.private_metadata.length > 3000) {
    errors.push('[ERROR] must be less than 3001 characters [json-pointer:/view/private_metadata]');
  }
  if (typeof view.callback_id === 'string' && view.callback_id.length > 255) {
    errors.push('[ERROR] must be less than 256 characters [json-pointer:/view/callback_id]');
  }
  const blocks = Array.isArray(view.blocks) ? view.blocks : [];
  if (blocks.length > 100) errors.push('[ERROR] no more than 100 items allowed [json-pointer:/view/blocks]');
  const seen = new Set<string>();
  blocks.forEach((block: unknown, i) => {
    if (!isRecord(block)) return;
    const ptr = `/view/blocks/${i}`;
    if (typeof block.block_id === 'string') {
      if (block.block_id.length > 255) errors.push(`[ERROR] must be less than 256 characters [json-pointer:${ptr}/block_id]`);
      if (seen.has(block.block_id)) errors.push(`[ERROR] duplicate block_id ${block.block_id} [json-pointer:${ptr}/block_id]`);
      seen.add(block.block_id);
    }
    const label = text(block.label);
    if (label !== undefined && label.length > 2000) {
      errors.push(`[ERROR] must be less than 2001 characters [json-pointer:${ptr}/label/text]`);
    }
    const elements: [unknown, string][] = [];
    if (block.element !== undefined) elements.push([block.element, `${ptr}/element`]);
    if (block.accessory !== undefined) elements.push([block.accessory, `${ptr}/accessory`]);
    if (Array.isArray(block.elements))
      block.elements.forEach((e: unknown, j) => {
        elements.push([e, `${ptr}/elements/${j}`]);
      });
    for (const [el, ep] of elements) {
      if (!isRecord(el)) continue;
      if (typeof el.action_id === 'string' && el.action_id.length > 255) {
        errors.push(`[ERROR] must be less than 256 characters [json-pointer:${ep}/action_id]`);
      }
      const ph = text(el.placeholder);
      if (ph !== undefined && ph.length > 150)
        errors.push(`[ERROR] must be less than 151 characters [json-pointer:${ep}/placeholder/text]`);
      for (const listName of ['options', 'option_groups'] as const) {
        const list = el[listName];
        if (!Array.isArray(list)) continue;
        if (list.length > 100) errors.push(`[ERROR] no more than 100 items allowed [json-pointer:${ep}/${listName}]`);
        const opts: [unknown, string][] =
          listName === 'options'
            ? list.map((o: unknown, k): [unknown, string] => [o, `${ep}/options/${k}`])
            : list.flatMap((g: unknown, k) =>
                isRecord(g) && Array.isArray(g.options)
                  ? g.options.map((o: unknown, m): [unknown, string] => [o, `${ep}/option_groups/${k}/options/${m}`])
                  : [],
              );
        for (const [opt, op] of opts) {
          if (!isRecord(opt)) continue;
          const ot = text(opt.text);
          if (ot !== undefined && ot.length > 75) errors.push(`[ERROR] must be less than 76 characters [json-pointer:${op}/text/text]`);
          if (typeof opt.value === 'string' && opt.value.length > 75) {
            errors.push(`[ERROR] must be less than 76 characters [json-pointer:${op}/value]`);
          }
        }
      }
    }
  });
  return errors;
}

/** `view.state.values` of a view as Slack first shows it: every stateful element at its initial value. */
function initialState(view: Record<string, unknown>): Record<string, Record<string, unknown>> {
  const blocks = Array.isArray(view.blocks)
    ? view.blocks.filter((b) => !isRecord(b) || b.type !== 'input' || typeof b.block_id === 'string')
    : [];
  try {
    return fillView({ id: 'V', callback_id: '', blocks }, {}).state?.values ?? {};
  } catch {
    // A view the driver can't read (an element it doesn't model): no state, as if nothing were entered.
    return {};
  }
}

/**
 * Slack's "preserving input entry": after views.update, an element keeps what the person entered when the new
 * view has an element with the same block_id, action_id and type; any other element starts from its initial value.
 */
function preservedState(
  old: Record<string, Record<string, unknown>>,
  next: Record<string, unknown>,
): Record<string, Record<string, unknown>> {
  const fresh = initialState(next);
  for (const [blockId, byAction] of Object.entries(fresh)) {
    for (const [actionId, state] of Object.entries(byAction)) {
      const before = old[blockId]?.[actionId];
      if (isRecord(before) && isRecord(state) && before.type === state.type) byAction[actionId] = before;
    }
  }
  return fresh;
}

export async function startFakeSlack(opts: { botToken?: string } = {}): Promise<FakeSlack> {
  const botToken = opts.botToken ?? 'xoxb-test-token';
  const calls: SlackCall[] = [];
  const responses: ResponseUrlPost[] = [];
  const views = new Map<string, StoredView>();
  const usergroups = new Map<string, string[]>();
  const userOverrides = new Map<string, Record<string, unknown>>();
  const unknownUsers = new Set<string>();
  let plan: 'free' | 'paid' = 'paid';
  const homes = new Map<string, StoredView>();
  let homeTab = true;
  let failRules: FailRule[] = [];
  let delayRules: DelayRule[] = [];
  const held: HeldCall[] = [];
  let heldWaiters: Waiter<HeldCall>[] = [];
  /** Held calls' timers, with what ends the hold early (close()). */
  const holds = new Map<NodeJS.Timeout, () => void>();
  let closing = false;
  let callWaiters: Waiter<SlackCall>[] = [];
  let responseWaiters: Waiter<ResponseUrlPost>[] = [];
  let isDown = false;
  let responseUrlStatus: number | null = null;
  let viewCounter = 0;
  let tsCounter = 0;
  let responseUrlCounter = 0;
  const tsBase = Math.floor(Date.now() / 1000);
  const sockets = new Set<Socket>();

  const newHash = (): string => `${Math.floor(Date.now() / 1000)}.${randomBytes(6).toString('hex')}`;
  const newTs = (): string => `${tsBase + ++tsCounter}.000100`;

  function record(call: SlackCall): void {
    calls.push(call);
    const ready = callWaiters.filter((w) => w.match(call));
    callWaiters = callWaiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(call);
  }

  function recordResponse(post: ResponseUrlPost): void {
    responses.push(post);
    const ready = responseWaiters.filter((w) => w.match(post));
    responseWaiters = responseWaiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(post);
  }

  const ok = (body: Record<string, unknown> = {}): Answer => ({ status: 200, body: { ok: true, ...body } });
  const err = (error: string, extra: Record<string, unknown> = {}): Answer => ({
    status: 200,
    body: { ok: false, error, ...extra },
  });

  function viewResponse(stored: StoredView): Record<string, unknown> {
    return {
      ...stored.view,
      id: stored.id,
      hash: stored.hash,
      team_id: TEAM_ID,
      state: { values: structuredClone(stored.state) },
      root_view_id: stored.rootViewId,
      previous_view_id: stored.previousViewId,
      external_id: stored.externalId ?? '',
      app_id: 'A0APP',
      bot_id: 'BBOT',
    };
  }

  function openView(method: 'views.open' | 'views.push', args: Record<string, unknown>): Answer {
    const trigger = args.trigger_id ?? args.interactivity_pointer;
    if (typeof trigger !== 'string' || trigger === '') return err('invalid_arguments');
    if (trigger.includes('expired')) return err('expired_trigger_id');
    if (!isRecord(args.view)) return err('invalid_arguments');
    const problems = validateView(args.view);
    if (problems.length > 0) return err('invalid_arguments', { response_metadata: { messages: problems } });
    const externalId = str(args.view.external_id);
    if (externalId !== undefined && [...views.values()].some((v) => v.externalId === externalId)) {
      return err('duplicate_external_id');
    }
    // views.push stacks on the most recently opened view (good enough for a fake).
    const last = [...views.values()].at(-1);
    // "A modal can hold up to 3 views" — views.push answers push_limit_reached past that (api.slack.com/methods/views.push,
    // docs.slack.dev surfaces/modals). A pushed view the person closed is off the stack.
    if (method === 'views.push' && last) {
      const stacked = [...views.values()].filter((v) => v.rootViewId === last.rootViewId && !v.closed).length;
      if (stacked >= 3) return err('push_limit_reached');
    }
    const id = `V${String(++viewCounter).padStart(4, '0')}`;
    const stored: StoredView = {
      id,
      hash: newHash(),
      externalId,
      view: args.view,
      rootViewId: method === 'views.push' && last ? last.rootViewId : id,
      previousViewId: method === 'views.push' && last ? last.id : null,
      updates: 0,
      state: initialState(args.view),
      closed: false,
    };
    views.set(id, stored);
    return ok({ view: viewResponse(stored) });
  }

  /** views.publish: a person's Home tab, replaced whole; `hash` guards against a newer publish, as for updates. */
  function publishHome(args: Record<string, unknown>): Answer {
    const userId = str(args.user_id);
    if (userId === undefined || !/^[UW][A-Z0-9_]+$/.test(userId)) {
      return err('invalid_arguments', { response_metadata: { messages: ['invalid `user_id`'] } });
    }
    if (!isRecord(args.view)) return err('invalid_arguments');
    if (args.view.type !== 'home') {
      return err('invalid_arguments', { response_metadata: { messages: ['[ERROR] must be home [json-pointer:/view/type]'] } });
    }
    if (!homeTab) return err('not_enabled');
    const problems = validateView(args.view);
    if (problems.length > 0) return err('invalid_arguments', { response_metadata: { messages: problems } });
    if (JSON.stringify(args.view).length > 250_000) return err('view_too_large');
    const existing = homes.get(userId);
    const hash = str(args.hash);
    if (hash !== undefined && existing && hash !== existing.hash) return err('hash_conflict');
    const id = existing?.id ?? `V${String(++viewCounter).padStart(4, '0')}`;
    const stored: StoredView = {
      id,
      hash: newHash(),
      externalId: str(args.view.external_id),
      view: args.view,
      rootViewId: id,
      previousViewId: null,
      updates: (existing?.updates ?? -1) + 1,
      state: initialState(args.view),
      // A Home tab is never closed: it is there whenever the person opens the app.
      closed: false,
    };
    homes.set(userId, stored);
    return ok({ view: viewResponse(stored) });
  }

  function updateView(args: Record<string, unknown>): Answer {
    const viewId = str(args.view_id);
    const externalId = str(args.external_id);
    if (viewId === undefined && externalId === undefined) return err('invalid_arguments');
    if (!isRecord(args.view)) return err('invalid_arguments');
    const stored = viewId !== undefined ? views.get(viewId) : [...views.values()].find((v) => v.externalId === externalId);
    if (!stored || stored.closed) return err('not_found');
    const hash = str(args.hash);
    if (hash !== undefined && hash !== stored.hash) return err('hash_conflict');
    const problems = validateView(args.view);
    if (problems.length > 0) return err('invalid_arguments', { response_metadata: { messages: problems } });
    if (JSON.stringify(args.view).length > 250_000) return err('view_too_large');
    stored.state = preservedState(stored.state, args.view);
    stored.view = args.view;
    stored.hash = newHash();
    stored.updates += 1;
    const newExternal = str(args.view.external_id);
    if (newExternal !== undefined) stored.externalId = newExternal;
    return ok({ view: viewResponse(stored) });
  }

  function messageOf(args: Record<string, unknown>): Record<string, unknown> {
    const message: Record<string, unknown> = { type: 'message', user: 'UBOT', bot_id: 'BBOT', text: args.text ?? '' };
    if (args.blocks !== undefined) message.blocks = args.blocks;
    return message;
  }

  function checkMessage(args: Record<string, unknown>): Answer | undefined {
    if (str(args.channel) === undefined) return err('channel_not_found');
    const hasText = typeof args.text === 'string' && args.text !== '';
    const hasBlocks = Array.isArray(args.blocks) && args.blocks.length > 0;
    const hasAttachments = Array.isArray(args.attachments) && args.attachments.length > 0;
    if (!hasText && !hasBlocks && !hasAttachments) return err('no_text');
    if (Array.isArray(args.blocks) && args.blocks.length > 50) return err('invalid_blocks');
    if (typeof args.text === 'string' && args.text.length > 40_000) return err('msg_too_long');
    return undefined;
  }

  function handleMethod(method: string, args: Record<string, unknown>): Answer {
    switch (method) {
      case 'auth.test':
        return ok({
          url: 'https://acme.slack.com/',
          team: 'Acme',
          user: 'portkey',
          team_id: TEAM_ID,
          user_id: 'UBOT',
          bot_id: 'BBOT',
          is_enterprise_install: false,
        });
      case 'chat.postMessage': {
        const bad = checkMessage(args);
        if (bad) return bad;
        const channel = String(args.channel);
        const ts = newTs();
        return ok({
          channel: /^[UW]/.test(channel) ? `D${channel}` : channel,
          ts,
          message: { ...messageOf(args), ts },
        });
      }
      case 'chat.postEphemeral': {
        const bad = checkMessage(args);
        if (bad) return bad;
        if (str(args.user) === undefined) return err('user_not_found');
        return ok({ message_ts: newTs() });
      }
      case 'chat.update': {
        if (str(args.channel) === undefined) return err('channel_not_found');
        if (str(args.ts) === undefined) return err('message_not_found');
        return ok({ channel: args.channel, ts: args.ts, text: args.text ?? '', message: messageOf(args) });
      }
      case 'conversations.open': {
        const users = str(args.users) ?? str(args.user);
        const channel = str(args.channel);
        if (channel !== undefined) return ok({ channel: { id: channel } });
        if (users === undefined) return err('users_list_not_supplied');
        const first = users.split(',')[0] ?? users;
        return ok({ channel: { id: `D${first}` } });
      }
      case 'users.info': {
        const id = str(args.user);
        if (id === undefined || unknownUsers.has(id)) return err('user_not_found');
        const name = id.replace(/^[UW]_?/, '').toLowerCase() || id.toLowerCase();
        const realName = name.charAt(0).toUpperCase() + name.slice(1);
        const override = userOverrides.get(id) ?? {};
        const baseProfile = { display_name: name, real_name: realName };
        const profile = isRecord(override.profile) ? { ...baseProfile, ...override.profile } : baseProfile;
        return ok({
          user: {
            id,
            team_id: TEAM_ID,
            name,
            real_name: realName,
            tz: 'UTC',
            tz_offset: 0,
            deleted: false,
            is_bot: false,
            is_admin: false,
            is_owner: false,
            is_restricted: false,
            is_ultra_restricted: false,
            is_email_confirmed: true,
            ...override,
            profile,
          },
        });
      }
      case 'usergroups.users.list': {
        if (plan === 'free') return err('plan_upgrade_required');
        const id = str(args.usergroup);
        const users = id === undefined ? undefined : usergroups.get(id);
        if (users === undefined) return err('no_such_subteam');
        return ok({ users: [...users] });
      }
      case 'usergroups.list': {
        // Every group set with setUsergroup; its id doubles as handle and name (Tier 2, like usergroups.users.list).
        if (plan === 'free') return err('plan_upgrade_required');
        const groups = [...usergroups.keys()].map((id) => ({ id, team_id: TEAM_ID, handle: id.toLowerCase(), name: id }));
        return ok({ usergroups: groups });
      }
      case 'views.open':
      case 'views.push':
        return openView(method, args);
      case 'views.update':
        return updateView(args);
      case 'views.publish':
        return publishHome(args);
      default:
        return ok();
    }
  }

  function send(res: ServerResponse, answer: Answer): void {
    const payload = JSON.stringify(answer.body);
    res.writeHead(answer.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(payload),
      ...answer.headers,
    });
    res.end(payload);
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, raw: string): Promise<void> {
    const method = decodeURIComponent(url.pathname.slice('/api/'.length));
    const args = parseSlackArgs(raw, req.headers['content-type']);
    for (const [k, v] of url.searchParams) if (!(k in args)) args[k] = maybeJson(v);
    const auth = req.headers.authorization;
    const bearer = typeof auth === 'string' ? /^Bearer\s+(.+)$/i.exec(auth)?.[1] : undefined;
    let token = bearer;
    if (typeof args.token === 'string') {
      token ??= args.token;
      delete args.token;
    }
    const at = Date.now();

    const hold = delayRules.find((r) => r.method === method && r.remaining > 0);
    if (hold) {
      hold.remaining -= 1;
      if (hold.remaining <= 0) delayRules = delayRules.filter((r) => r !== hold);
      const entry: HeldCall = { method, args, at, state: 'holding' };
      held.push(entry);
      const ready = heldWaiters.filter((w) => w.match(entry));
      heldWaiters = heldWaiters.filter((w) => !ready.includes(w));
      for (const w of ready) w.resolve(entry);
      let gone = false;
      await new Promise<void>((resolve) => {
        const t = setTimeout(() => {
          holds.delete(t);
          resolve();
        }, hold.ms);
        holds.set(t, resolve);
        // The client went away (killed, timed out): the call is dropped at once, never processed.
        res.once('close', () => {
          if (res.writableEnded) return;
          gone = true;
          clearTimeout(t);
          holds.delete(t);
          resolve();
        });
      });
      if (gone || closing || res.destroyed || req.socket.destroyed) {
        entry.state = 'abandoned';
        return;
      }
      entry.state = 'released';
    }

    if (isDown) {
      const body = { ok: false, error: 'service_unavailable' };
      record({ method, args, token, at, error: 'service_unavailable', httpStatus: 503, response: body });
      send(res, { status: 503, body });
      return;
    }

    let answer: Answer;
    if (token === undefined) {
      answer = err('not_authed');
    } else if (token !== botToken) {
      answer = err('invalid_auth');
    } else {
      const rule = failRules.find((r) => r.method === method && r.remaining > 0);
      if (rule) {
        rule.remaining -= 1;
        if (rule.remaining <= 0) failRules = failRules.filter((r) => r !== rule);
        const rateLimited = rule.error === 'rate_limited' || rule.error === 'ratelimited';
        const headers: Record<string, string> = {};
        if (rule.retryAfter !== undefined) headers['retry-after'] = String(rule.retryAfter);
        answer = {
          status: rule.httpStatus ?? (rateLimited ? 429 : 200),
          body: { ok: false, error: rule.error },
          headers,
        };
      } else {
        answer = handleMethod(method, args);
      }
    }
    const error = answer.body.ok === false && typeof answer.body.error === 'string' ? answer.body.error : undefined;
    const call: SlackCall = { method, args, token, at, httpStatus: answer.status, response: answer.body };
    if (error !== undefined) call.error = error;
    record(call);
    send(res, answer);
  }

  function handleResponseUrl(req: IncomingMessage, res: ServerResponse, url: URL, raw: string): void {
    const body = parseSlackArgs(raw, req.headers['content-type'] ?? 'application/json');
    const status = responseUrlStatus ?? 200;
    recordResponse({ url: `${origin}${url.pathname}`, body, status, at: Date.now() });
    const text = status === 200 ? 'ok' : status === 404 ? 'expired_url' : 'error';
    res.writeHead(status, { 'content-type': 'text/plain', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const raw = await readBody(req);
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        if (url.pathname.startsWith('/api/')) {
          await handleApi(req, res, url, raw);
        } else if (url.pathname.startsWith('/response/') && req.method === 'POST') {
          handleResponseUrl(req, res, url, raw);
        } else {
          res.writeHead(404, { 'content-type': 'text/plain' });
          res.end('not found');
        }
      } catch (e) {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(String(e));
      }
    })();
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const origin = `http://127.0.0.1:${port}`;

  function waitGeneric<T>(
    existing: readonly T[],
    match: (item: T) => boolean,
    add: (w: Waiter<T>) => void,
    remove: (w: Waiter<T>) => void,
    timeoutMs: number,
    describe: () => string,
  ): Promise<T> {
    const found = existing.find(match);
    if (found !== undefined) return Promise.resolve(found);
    return new Promise<T>((resolve, reject) => {
      const waiter: Waiter<T> = {
        match,
        resolve: (item) => {
          clearTimeout(timer);
          resolve(item);
        },
      };
      const timer = setTimeout(() => {
        remove(waiter);
        reject(new Error(describe()));
      }, timeoutMs);
      add(waiter);
    });
  }

  function summarizeCalls(): string {
    if (calls.length === 0) return 'no Slack API calls were made';
    const counts = new Map<string, number>();
    for (const c of calls) {
      const key = c.error !== undefined ? `${c.method} (error: ${c.error})` : c.method;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return `methods seen: ${[...counts].map(([k, n]) => (n > 1 ? `${k} ×${n}` : k)).join(', ')}`;
  }

  const fake: FakeSlack = {
    apiUrl: `${origin}/api/`,
    origin,
    botToken,
    calls,
    responses,
    views,
    callsTo: (method) => calls.filter((c) => c.method === method),
    waitFor(method, predicate, timeoutMs = 5000) {
      return waitGeneric<SlackCall>(
        calls,
        (c) => c.method === method && (predicate === undefined || predicate(c)),
        (w) => callWaiters.push(w),
        (w) => {
          callWaiters = callWaiters.filter((x) => x !== w);
        },
        timeoutMs,
        () => {
          const same = calls.filter((c) => c.method === method).length;
          const extra = same > 0 && predicate ? ` (${same} call(s) to ${method} did not match the predicate)` : '';
          return `fakeSlack.waitFor('${method}') timed out after ${timeoutMs} ms${extra}; ${summarizeCalls()}`;
        },
      );
    },
    waitForResponse(predicate, timeoutMs = 5000) {
      return waitGeneric<ResponseUrlPost>(
        responses,
        (r) => predicate === undefined || predicate(r),
        (w) => responseWaiters.push(w),
        (w) => {
          responseWaiters = responseWaiters.filter((x) => x !== w);
        },
        timeoutMs,
        () =>
          `fakeSlack.waitForResponse() timed out after ${timeoutMs} ms; ${responses.length} response_url post(s) recorded; ${summarizeCalls()}`,
      );
    },
    fail(method, error, o = {}) {
      failRules.push({
        method,
        error,
        remaining: o.times ?? 1,
        retryAfter: o.retryAfter,
        httpStatus: o.httpStatus,
      });
    },
    delay(method, ms, times = 1) {
      delayRules.push({ method, ms, remaining: times });
    },
    held,
    waitForHeld(method, predicate, timeoutMs = 5000) {
      return waitGeneric<HeldCall>(
        held,
        (c) => c.method === method && (predicate === undefined || predicate(c)),
        (w) => heldWaiters.push(w),
        (w) => {
          heldWaiters = heldWaiters.filter((x) => x !== w);
        },
        timeoutMs,
        () => `fakeSlack.waitForHeld('${method}') timed out after ${timeoutMs} ms; ${held.length} held call(s); ${summarizeCalls()}`,
      );
    },
    down(value) {
      isDown = value;
    },
    responseUrl: () => `${origin}/response/${++responseUrlCounter}`,
    failResponseUrls(status) {
      responseUrlStatus = status;
    },
    setUsergroup(id, users) {
      usergroups.set(id, [...users]);
    },
    forgetUser(id) {
      unknownUsers.add(id);
    },
    setUser(id, fields) {
      userOverrides.set(id, { ...fields });
    },
    setPlan(p) {
      plan = p;
    },
    homes,
    setHomeTab(enabled) {
      homeTab = enabled;
    },
    rateLimit(method, retryAfterSeconds, times = 1) {
      fake.fail(method, 'ratelimited', { retryAfter: retryAfterSeconds, times });
    },
    enter(viewId, values) {
      const stored = views.get(viewId);
      if (!stored) throw new Error(`fakeSlack.enter: no view ${viewId}`);
      for (const [blockId, byAction] of Object.entries(values)) {
        stored.state[blockId] = { ...stored.state[blockId], ...structuredClone(byAction) };
      }
    },
    closeView(viewId) {
      const stored = views.get(viewId);
      if (!stored) throw new Error(`fakeSlack.closeView: no view ${viewId}`);
      stored.closed = true;
    },
    viewState(viewId) {
      const stored = views.get(viewId);
      if (!stored) throw new Error(`fakeSlack.viewState: no view ${viewId}`);
      const v = stored.view;
      return {
        id: stored.id,
        hash: stored.hash,
        callback_id: typeof v.callback_id === 'string' ? v.callback_id : '',
        ...(typeof v.private_metadata === 'string' ? { private_metadata: v.private_metadata } : {}),
        blocks: Array.isArray(v.blocks) ? structuredClone(v.blocks) : [],
        state: { values: structuredClone(stored.state) },
      };
    },
    reset() {
      calls.length = 0;
      responses.length = 0;
      failRules = [];
      delayRules = [];
      held.length = 0;
      isDown = false;
      plan = 'paid';
      homeTab = true;
      responseUrlStatus = null;
    },
    close() {
      callWaiters = [];
      responseWaiters = [];
      heldWaiters = [];
      closing = true;
      for (const [t, release] of holds) {
        clearTimeout(t);
        release();
      }
      holds.clear();
      return new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      });
    },
  };
  return fake;
}
