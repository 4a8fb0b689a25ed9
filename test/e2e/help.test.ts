import { describe, expect, it } from 'vitest';
import { useTestEnv } from '../support/env.js';
import { elementsWithAction, isRecord, record } from '../support/payload.js';

// `/portkey`, `/portkey help` and unknown subcommands answer in the ack itself (ephemeral), with a button
// that opens the workspace form.

const h = useTestEnv();

describe('/portkey help', () => {
  it.each([
    { label: 'an empty command', text: '' },
    { label: '`help`', text: 'help' },
  ])('answers $label with the ephemeral help and a "Create a workspace" button', async ({ text }) => {
    const res = await h.app.driver.command({ text });

    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = record(res.json, 'ack body');
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toEqual(expect.any(String));
    expect(body.text).not.toMatch(/don't know/);
    // The help lists the subcommands.
    expect(JSON.stringify(body.blocks)).toContain('/portkey workspace create');
    expect(JSON.stringify(body.blocks)).toContain('/portkey help');

    const buttons = elementsWithAction(body.blocks, 'workspace_open');
    expect(buttons).toHaveLength(1);
    expect(buttons[0]?.element).toMatchObject({ type: 'button', text: { type: 'plain_text', text: 'Create a workspace' } });

    // Answered in the ack: nothing else went to Slack.
    expect(h.slack.calls).toEqual([]);
    expect(h.slack.responses).toEqual([]);
  });

  it('answers an unknown subcommand with a suggestion and the help', async () => {
    const res = await h.app.driver.command({ text: 'wrkspace create' });

    expect(res.status).toBe(200);
    const body = record(res.json, 'ack body');
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toEqual(expect.stringContaining('wrkspace create'));
    expect(body.text).toEqual(expect.stringContaining('Did you mean `/portkey workspace create`?'));
    expect(elementsWithAction(body.blocks, 'workspace_open')).toHaveLength(1);
    expect(JSON.stringify(body.blocks)).toContain('/portkey workspace create');
    expect(h.slack.calls).toEqual([]);
  });

  it('opens the workspace modal when the help button is clicked', async () => {
    const res = await h.app.driver.command({ text: 'help', channelId: 'C_HELP' });
    const body = record(res.json, 'ack body');
    const [button] = elementsWithAction(body.blocks, 'workspace_open');
    if (!button?.blockId) throw new Error('the help has no workspace_open button in a block with a block_id');

    const responseUrl = h.slack.responseUrl();
    const click = await h.app.driver.blockAction({
      actionId: 'workspace_open',
      blockId: button.blockId,
      channelId: 'C_HELP',
      responseUrl,
    });
    expect(click.status).toBe(200);

    const triggerId = record(click.sent, 'block action payload').trigger_id;
    expect(triggerId).toEqual(expect.any(String));
    const open = await h.slack.waitFor('views.open');
    expect(open.error).toBeUndefined();
    expect(open.args.trigger_id).toBe(triggerId);

    const view = record(open.args.view, 'opened view');
    expect(view.type).toBe('modal');
    expect(view.callback_id).toBe('workspace_create');
    // The form remembers where to post the result: the channel of the help message and its response_url.
    expect(JSON.parse(String(view.private_metadata))).toEqual({ channelId: 'C_HELP', responseUrl });
    const blocks = Array.isArray(view.blocks) ? view.blocks : [];
    const blockIds = blocks.map((b) => (isRecord(b) ? b.block_id : undefined));
    expect(blockIds).toEqual(['ws_name', 'ws_slug', 'ws_description', 'ws_metadata', 'ws_default', 'form_preview_actions']);
    // Opened from a button, the name is blank.
    expect(elementsWithAction(view.blocks, 'name')[0]?.element.initial_value).toBeUndefined();
    expect(h.slack.callsTo('views.open')).toHaveLength(1);
  });
});
