// Modal round trips for the abuse cases, each under its own Slack user (the default policy limits creates per user).
import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import { fillView, viewFrom, type DriverResponse, type FillableView, type FillValue, type ViewLike } from '../support/driver.js';
import type { TestEnv } from '../support/env.js';
import type { SlackCall } from '../support/fake-slack.js';
import { isRecord, record } from '../support/payload.js';

let users = 0;

/** A Slack user id no other case uses. */
export function newUser(): string {
  users += 1;
  return `U_ABUSE${users}`;
}

/** Runs `/portkey <text>` as `userId` and returns the modal it opened. */
export async function openModal(h: TestEnv, text: string, userId: string, o: { channelId?: string } = {}): Promise<FillableView> {
  const triggerId = `trigger-${randomUUID()}`;
  const res = await h.app.driver.command({ text, triggerId, userId, ...o });
  expect(res.status).toBe(200);
  const call = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
  expect(call.error).toBeUndefined();
  return viewFrom(call, h.slack.views);
}

/** The view state for `inputs`, with multi-select choices (and their display text) set by block id. */
export function filled(
  view: FillableView,
  inputs: Record<string, FillValue>,
  multi: Record<string, Array<{ value: string; text: string }>> = {},
): ViewLike {
  const out = fillView(view, { ...inputs, ...Object.fromEntries(Object.keys(multi).map((b) => [b, null])) });
  const values = out.state?.values ?? {};
  for (const [blockId, chosen] of Object.entries(multi)) {
    const block = values[blockId];
    if (!block) continue;
    for (const [actionId, state] of Object.entries(block)) {
      block[actionId] = {
        ...record(state, blockId),
        selected_options: chosen.map((c) => ({ text: { type: 'plain_text', text: c.text, emoji: true }, value: c.value })),
      };
    }
  }
  return out;
}

/** Sets one text input's value in a view's state directly (for values fillView would pass on unchanged anyway). */
export function withText(view: ViewLike, blockId: string, actionId: string, value: string): ViewLike {
  const values = { ...(view.state?.values ?? {}) };
  values[blockId] = { ...(values[blockId] ?? {}), [actionId]: { type: 'plain_text_input', value } };
  return { ...view, state: { values } };
}

export interface Settled {
  ack: DriverResponse;
  /** The result view the app put in the modal (views.update). */
  result: SlackCall;
}

/** Submits a view the app must accept; resolves once the result (success or error) replaced the progress view. */
export async function submitAccepted(h: TestEnv, view: ViewLike, userId: string): Promise<Settled> {
  const ack = await h.app.driver.viewSubmission({ view, userId });
  expect(ack.status).toBe(200);
  const body = record(ack.json, 'submission ack');
  expect(body.response_action, `refused: ${JSON.stringify(body.errors)}`).toBe('update');
  const result = await h.slack.waitFor(
    'views.update',
    (c) => c.args.view_id === view.id && isRecord(c.args.view) && /:white_check_mark:|:warning:/.test(JSON.stringify(c.args.view.blocks)),
    10_000,
  );
  return { ack, result };
}

/** Submits a view the app must refuse inline; returns the errors by block id. Nothing may reach Portkey. */
export async function submitRefused(h: TestEnv, view: ViewLike, userId: string): Promise<Record<string, unknown>> {
  const ack = await h.app.driver.viewSubmission({ view, userId });
  expect(ack.status).toBe(200);
  const body = record(ack.json, 'submission ack');
  expect(body.response_action, 'the submission was accepted').toBe('errors');
  expect(h.portkey.requests.map((r) => `${r.method} ${r.path}`)).toEqual([]);
  return record(body.errors, 'errors');
}

/** Waits a moment for work a listener may do after its ack (there is no event to wait for when it does nothing). */
export function settle(ms = 200): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
