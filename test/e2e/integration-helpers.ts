// Shared helpers for the integration and list end-to-end tests (the app and fakes come from `useTestEnv`): the
// modal round trips (open, rebuild on a dispatch action, submit, wait for the result) done the way Slack does them.
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { fillView, viewFrom, type DriverResponse, type FillableView, type FillValue, type ViewLike } from '../support/driver.js';
import type { TestEnv } from '../support/env.js';
import type { FakePortkey } from '../support/fake-portkey.js';
import type { FakeSlack, SlackCall } from '../support/fake-slack.js';
import { allText, isRecord, record, theButton } from '../support/payload.js';

export type Inputs = Record<string, FillValue>;
/** Selections for multi-selects, by block id, with the text Slack would show (fillView's type takes only strings). */
export type MultiInputs = Record<string, Array<{ value: string; text: string }>>;

// ---------------------------------------------------------------------------------------------------------------
// Modal round trips

/** The view the fake Slack currently stores for `id`, ready for `fillView` (with its current hash). */
export function storedView(slack: FakeSlack, id: string): FillableView {
  const stored = slack.views.get(id);
  if (!stored) throw new Error(`the fake Slack has no view ${id}`);
  const v = stored.view;
  const out: FillableView = {
    id: stored.id,
    hash: stored.hash,
    callback_id: typeof v.callback_id === 'string' ? v.callback_id : '',
    blocks: Array.isArray(v.blocks) ? v.blocks : [],
  };
  if (typeof v.private_metadata === 'string') out.private_metadata = v.private_metadata;
  return out;
}

/** Runs `/portkey <text>` and returns the modal it opened. */
export async function openForm(
  h: TestEnv,
  text = 'integration create',
  o: { channelId?: string; userId?: string } = {},
): Promise<FillableView> {
  const triggerId = `trigger-${randomUUID()}`;
  const res = await h.app.driver.command({ text, triggerId, ...o });
  expect(res.status).toBe(200);
  const call = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
  expect(call.error).toBeUndefined();
  const view = viewFrom(call, h.slack.views);
  expect(view.callback_id).toBe('integration_create');
  return view;
}

/** Calls made to `method` from now on match; earlier ones don't. */
function after(h: TestEnv, method: string): (c: SlackCall) => boolean {
  const seen = new Set(h.slack.callsTo(method));
  return (c) => !seen.has(c);
}

/**
 * A dispatch action in the open modal (provider, auth mode, scope, deployment rows): the view is filled with
 * `inputs` (what the person typed so far) and sent with the action; resolves with the rebuilt view once the app
 * has called views.update with the view's hash.
 */
export async function rebuild(
  h: TestEnv,
  view: FillableView,
  inputs: Inputs,
  action: { actionId: string; blockId: string; selectedOption?: { value: string; text?: string }; type?: string },
): Promise<FillableView> {
  const isNew = after(h, 'views.update');
  const res = await h.app.driver.blockAction({ ...action, view: fillView(view, inputs) });
  expect(res.status).toBe(200);
  const call = await h.slack.waitFor('views.update', (c) => isNew(c) && c.args.view_id === view.id);
  expect(call.error).toBeUndefined();
  expect(call.args.hash).toBe(view.hash);
  return storedView(h.slack, view.id);
}

export function chooseProvider(h: TestEnv, view: FillableView, providerId: string, inputs: Inputs = {}): Promise<FillableView> {
  return rebuild(
    h,
    view,
    { ...inputs, int_provider: providerId },
    {
      actionId: 'int_provider_select',
      blockId: 'int_provider',
      selectedOption: { value: providerId },
    },
  );
}

export function chooseAuthMode(
  h: TestEnv,
  view: FillableView,
  providerId: string,
  mode: string,
  inputs: Inputs = {},
): Promise<FillableView> {
  const blockId = `int_auth__${providerId}`;
  return rebuild(h, view, { ...inputs, [blockId]: mode }, { actionId: 'int_auth_mode_select', blockId, selectedOption: { value: mode } });
}

export function chooseScope(
  h: TestEnv,
  view: FillableView,
  scope: 'organisation' | 'workspace',
  inputs: Inputs = {},
): Promise<FillableView> {
  return rebuild(
    h,
    view,
    { ...inputs, int_scope: scope },
    {
      actionId: 'int_scope_select',
      blockId: 'int_scope',
      selectedOption: { value: scope },
      type: 'radio_buttons',
    },
  );
}

export function addDeployment(h: TestEnv, view: FillableView, inputs: Inputs = {}): Promise<FillableView> {
  return rebuild(h, view, inputs, { actionId: 'int_add_deployment', blockId: 'int_deployment_actions' });
}

/** `fillView`, plus multi-select choices with their display text. */
export function fill(view: FillableView, inputs: Inputs, multi: MultiInputs = {}): ViewLike {
  const filled = fillView(view, { ...inputs, ...Object.fromEntries(Object.keys(multi).map((blockId) => [blockId, null])) });
  const values = filled.state?.values ?? {};
  for (const [blockId, chosen] of Object.entries(multi)) {
    const byAction = values[blockId] ?? {};
    for (const [actionId, state] of Object.entries(byAction)) {
      byAction[actionId] = {
        ...record(state, `state of ${blockId}`),
        selected_options: chosen.map((c) => ({ text: { type: 'plain_text', text: c.text, emoji: true }, value: c.value })),
      };
    }
  }
  return filled;
}

/** Submits the modal filled with `inputs`; returns the ack. */
export function submit(h: TestEnv, view: FillableView, inputs: Inputs, multi: MultiInputs = {}): Promise<DriverResponse> {
  return h.app.driver.viewSubmission({ view: fill(view, inputs, multi) });
}

/** Submits the modal expecting the app to accept it; resolves with the result view it then shows (views.update). */
export async function submitForResult(
  h: TestEnv,
  view: FillableView,
  inputs: Inputs,
  multi: MultiInputs = {},
): Promise<{ ack: Record<string, unknown>; result: FillableView }> {
  const isNew = after(h, 'views.update');
  const res = await submit(h, view, inputs, multi);
  expect(res.status).toBe(200);
  const ack = record(res.json, 'view_submission ack');
  expect(ack.response_action, `the submission was refused: ${JSON.stringify(ack.errors)}`).toBe('update');
  const call = await h.slack.waitFor('views.update', (c) => isNew(c) && c.args.view_id === view.id, 10_000);
  expect(call.error).toBeUndefined();
  return { ack, result: storedView(h.slack, view.id) };
}

/** Submits expecting inline field errors; returns them keyed by block id. */
export async function submitForErrors(h: TestEnv, view: FillableView, inputs: Inputs): Promise<Record<string, unknown>> {
  const res = await submit(h, view, inputs);
  expect(res.status).toBe(200);
  const ack = record(res.json, 'view_submission ack');
  expect(ack.response_action).toBe('errors');
  return record(ack.errors, 'errors');
}

/** Clicks a button in a modal (its view as the fake stores it); resolves with the view after the app's views.update. */
export async function clickInView(h: TestEnv, viewId: string, actionId: string): Promise<FillableView> {
  const view = storedView(h.slack, viewId);
  const button = theButton(view.blocks, actionId);
  const isNew = after(h, 'views.update');
  const res = await h.app.driver.blockAction({
    actionId,
    blockId: button.blockId,
    ...(button.value !== undefined ? { value: button.value } : {}),
    view: fillView(view, {}),
  });
  expect(res.status).toBe(200);
  const call = await h.slack.waitFor('views.update', (c) => isNew(c) && c.args.view_id === viewId, 10_000);
  expect(call.error).toBeUndefined();
  return storedView(h.slack, viewId);
}

// ---------------------------------------------------------------------------------------------------------------
// What Portkey and the channel got

/** The bodies of every POST /integrations the app sent. */
export function createBodies(portkey: FakePortkey): unknown[] {
  return portkey.requestsTo('POST', '/integrations').map((r) => r.body);
}

/** The only POST /integrations body. */
export function theCreateBody(portkey: FakePortkey): unknown {
  const bodies = createBodies(portkey);
  expect(bodies).toHaveLength(1);
  return bodies[0];
}

/** The one integration Portkey stores. */
export function theIntegration(portkey: FakePortkey) {
  expect(portkey.integrations).toHaveLength(1);
  const [only] = portkey.integrations;
  if (!only) throw new Error('no integration stored');
  return only;
}

/** The result message posted in the channel, checked to carry Portkey's id and slug. */
export async function expectChannelMessage(h: TestEnv, p: { channel?: string; id: string; slug: string }): Promise<SlackCall> {
  const channel = p.channel ?? 'C_GENERAL';
  const post = await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === channel);
  expect(post.error).toBeUndefined();
  expect(String(post.args.text)).toContain(p.id);
  expect(String(post.args.text)).toContain(p.slug);
  const shown = allText(post.args.blocks);
  expect(shown).toContain(`\`${p.id}\``);
  expect(shown).toContain(`\`${p.slug}\``);
  // Never a key or a secret configuration value of any integration Portkey holds.
  const posted = JSON.stringify(post.args);
  for (const secret of storedSecrets(h.portkey)) expect(posted).not.toContain(secret);
  return post;
}

/** The keys and secret configuration values the fake Portkey stores (what must never be shown in Slack). */
export function storedSecrets(portkey: FakePortkey): string[] {
  const out: string[] = [];
  for (const i of portkey.integrations) {
    if (i.key) out.push(i.key);
    const c = i.configurations;
    for (const field of ['aws_access_key_id', 'aws_secret_access_key', 'azure_entra_client_secret']) {
      const v = c[field];
      if (typeof v === 'string' && v !== '') out.push(v);
    }
    const sa = c.vertex_service_account_json;
    if (isRecord(sa) && typeof sa.private_key === 'string') out.push(sa.private_key.replace(/-----[A-Z ]+-----/g, '').trim());
  }
  return out;
}

/**
 * Every place a secret could leak on the Slack side or in the logs: the calls the fake Slack recorded, the
 * response_url posts, every view it stores, every log line. Returns where `secret` was found (empty = nowhere).
 */
export function leaksOf(h: TestEnv, secret: string): string[] {
  const where: string[] = [];
  h.slack.calls.forEach((c, i) => {
    if (JSON.stringify(c).includes(secret)) where.push(`slack call #${i} ${c.method}`);
  });
  h.slack.responses.forEach((r, i) => {
    if (JSON.stringify(r).includes(secret)) where.push(`response_url post #${i}`);
  });
  for (const v of h.slack.views.values()) if (JSON.stringify(v).includes(secret)) where.push(`view ${v.id}`);
  h.app.logs.forEach((line, i) => {
    if (line.includes(secret)) where.push(`log line #${i}: ${line.slice(0, 300)}`);
  });
  return where;
}
