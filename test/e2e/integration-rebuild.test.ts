import { describe, expect, it } from 'vitest';
import { fillView } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import type { SlackCall } from '../support/fake-slack.js';
import { record } from '../support/payload.js';
import { eventually } from '../support/wait.js';
import { openForm } from './integration-helpers.js';

// A rebuild after a provider change that doesn't land, end to end. The fake Slack keeps what the person chose
// across views.update as Slack does (same block_id + action_id), so a lost rebuild leaves the provider select
// saying one thing over the fields of another. Payloads are made from what the fake holds for the view — its
// blocks, hash and the person's state — the way the person's Slack client would make them.

const h = useTestEnv();

const KEY = 'gsk-rebuild-test-0123456789abcdef';
const option = (value: string) => ({
  type: 'static_select',
  selected_option: { text: { type: 'plain_text', text: value, emoji: true }, value },
});
const typed = (value: string) => ({ type: 'plain_text_input', value });

/** The person picks a provider in view `id`; returns the payload their client sends for that change. */
function pickProvider(id: string, provider: string) {
  h.slack.enter(id, { int_provider: { int_provider_select: option(provider) } });
  return h.slack.viewState(id);
}

function sendProviderAction(view: ReturnType<typeof pickProvider>, provider: string) {
  return h.app.driver.blockAction({ actionId: 'int_provider_select', blockId: 'int_provider', selectedOption: { value: provider }, view });
}

const inputIds = (blocks: unknown): string[] =>
  (Array.isArray(blocks) ? blocks : []).flatMap((b) => (record(b, 'block').type === 'input' ? [String(record(b, 'block').block_id)] : []));
const shownIds = (id: string) => inputIds(h.slack.viewState(id).blocks);

async function updateAfter(id: string, seen: number, pred: (c: SlackCall) => boolean = () => true): Promise<SlackCall> {
  return h.slack.waitFor('views.update', (c) => c.args.view_id === id && h.slack.callsTo('views.update').indexOf(c) >= seen && pred(c));
}

describe('two quick provider changes: the rebuild of the newest one meets a hash_conflict', () => {
  it('is rebuilt again from the newest payload, so the fields match the select and the submission creates that provider', async () => {
    const form = await openForm(h);
    const first = pickProvider(form.id, 'openai');
    expect((await sendProviderAction(first, 'openai')).status).toBe(200);
    await updateAfter(form.id, 0, (c) => c.error === undefined);
    expect(shownIds(form.id)).toContain('int_key__openai');
    h.slack.enter(form.id, { int_name: { name: typed('Fast fingers') } });

    // Anthropic, then Groq, before the first rebuild arrives: both payloads carry the same (soon stale) hash.
    const toAnthropic = pickProvider(form.id, 'anthropic');
    const toGroq = pickProvider(form.id, 'groq');
    expect(toGroq.hash).toBe(toAnthropic.hash);
    const before = h.slack.callsTo('views.update').length;
    expect((await sendProviderAction(toAnthropic, 'anthropic')).status).toBe(200);
    await updateAfter(form.id, before, (c) => c.error === undefined);
    expect((await sendProviderAction(toGroq, 'groq')).status).toBe(200);
    await updateAfter(form.id, before, (c) => c.error === 'hash_conflict');

    // The newest choice wins: Groq's fields under Groq's select (Slack kept the select on "groq" throughout).
    await eventually('the view to show the Groq fields', () => shownIds(form.id).includes('int_key__groq'), { timeoutMs: 3000 });
    expect(shownIds(form.id)).not.toContain('int_key__anthropic');
    const updates = h.slack.callsTo('views.update').slice(before);
    expect(updates.map((c) => c.error ?? 'ok')).toEqual(['ok', 'hash_conflict', 'ok']);
    expect(updates[2]?.args.hash).toBe(updates[0]?.response && record(updates[0].response.view, 'view').hash);
    expect(h.slack.viewState(form.id).state.values.int_name).toEqual({ name: typed('Fast fingers') });

    h.slack.enter(form.id, { int_key__groq: { key: typed(KEY) } });
    const submitted = h.slack.callsTo('views.update').length;
    const res = await h.app.driver.viewSubmission({ view: h.slack.viewState(form.id) });
    expect(record(res.json, 'ack').response_action).toBe('update');
    const create = await eventually('the create in Portkey', () => h.portkey.requestsTo('POST', '/integrations')[0]);
    expect(create.body).toEqual({ name: 'Fast fingers', slug: 'fast-fingers', ai_provider_id: 'groq', key: KEY });
    // The result reaches the channel and the modal before this test ends: else those late calls land in the next
    // test and use up the Slack failure it arms.
    await h.slack.waitFor('chat.postMessage');
    await updateAfter(form.id, submitted, (c) => c.error === undefined);
  });
});

describe('a provider change whose views.update fails', () => {
  it('is caught at submit: the form comes back rebuilt for the chosen provider, with what was typed; nothing is created', async () => {
    const form = await openForm(h);
    const first = pickProvider(form.id, 'openai');
    await sendProviderAction(first, 'openai');
    await updateAfter(form.id, 0, (c) => c.error === undefined);
    h.slack.enter(form.id, { int_name: { name: typed('Lost rebuild') }, int_key__openai: { key: typed(KEY) } });

    h.slack.fail('views.update', 'internal_error');
    const seen = h.slack.callsTo('views.update').length;
    await sendProviderAction(pickProvider(form.id, 'anthropic'), 'anthropic');
    await updateAfter(form.id, seen, (c) => c.error === 'internal_error');
    // What the person now sees: OpenAI's fields under a select that says Anthropic.
    expect(shownIds(form.id)).toContain('int_key__openai');
    expect(h.slack.viewState(form.id).state.values.int_provider?.int_provider_select).toEqual(option('anthropic'));

    const res = await h.app.driver.viewSubmission({ view: h.slack.viewState(form.id) });
    const ack = record(res.json, 'ack');
    // Never errors keyed to blocks the person can't see: the form itself, rebuilt.
    expect(ack.response_action).toBe('update');
    const view = record(ack.view, 'ack view');
    expect(view.callback_id).toBe('integration_create');
    const blocks = view.blocks as unknown[];
    expect(record(blocks[0], 'notice')).toEqual({
      type: 'section',
      text: { type: 'mrkdwn', text: expect.stringMatching(/^:arrows_counterclockwise: The form was refreshed to match your choices/) },
    });
    expect(inputIds(blocks)).toContain('int_key__anthropic');
    expect(inputIds(blocks)).not.toContain('int_key__openai');
    const name = blocks.find((b) => record(b, 'block').block_id === 'int_name');
    expect(record(record(name, 'name').element, 'name element').initial_value).toBe('Lost rebuild');
    expect(JSON.stringify(view)).not.toContain(KEY);
    expect(h.portkey.requestsTo('POST', '/integrations')).toHaveLength(0);

    // Submitted from the refreshed form (Slack shows it, keeping the typed name), it goes through.
    const again = fillView(
      { id: form.id, callback_id: 'integration_create', private_metadata: String(view.private_metadata), blocks },
      { int_key__anthropic: KEY },
    );
    const ok = await h.app.driver.viewSubmission({ view: again });
    expect(record(ok.json, 'ack').response_action).toBe('update');
    const create = await eventually('the create in Portkey', () => h.portkey.requestsTo('POST', '/integrations')[0]);
    expect(create.body).toEqual({ name: 'Lost rebuild', slug: 'lost-rebuild', ai_provider_id: 'anthropic', key: KEY });
  });

  it('a validation error for a field is never keyed to a block the submitted view lacks', async () => {
    // A scope switch whose rebuild failed: the radio says "one workspace", the view still has the "enable in" picker.
    const form = await openForm(h, 'integration create openai');
    h.slack.fail('views.update', 'internal_error');
    h.slack.enter(form.id, {
      int_name: { name: typed('Scoped') },
      int_key__openai: { key: typed(KEY) },
      int_scope: { int_scope_select: { ...option('workspace'), type: 'radio_buttons' } },
    });
    const seen = h.slack.callsTo('views.update').length;
    await h.app.driver.blockAction({
      actionId: 'int_scope_select',
      blockId: 'int_scope',
      selectedOption: { value: 'workspace' },
      type: 'radio_buttons',
      view: h.slack.viewState(form.id),
    });
    await updateAfter(form.id, seen, (c) => c.error === 'internal_error');
    expect(shownIds(form.id)).toContain('int_access');

    const res = await h.app.driver.viewSubmission({ view: h.slack.viewState(form.id) });
    const ack = record(res.json, 'ack');
    expect(ack.response_action).toBe('update');
    expect(inputIds(record(ack.view, 'view').blocks)).toContain('int_workspace');
    expect(h.portkey.requestsTo('POST', '/integrations')).toHaveLength(0);
  });
});
