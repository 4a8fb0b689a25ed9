import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { startFakePortkey, type FakePortkey } from '../support/fake-portkey.js';
import { startFakeSlack, type FakeSlack } from '../support/fake-slack.js';

// `/portkey`, `/portkey help` and unknown subcommands answer in the ack itself (ephemeral), with a button
// that opens the workspace form.

let slack: FakeSlack;
let portkey: FakePortkey;
let app: TestApp;

beforeAll(async () => {
  slack = await startFakeSlack();
  portkey = await startFakePortkey();
  app = await startTestApp({ slack, portkey });
});

afterAll(async () => {
  await app?.stop();
  await slack?.close();
  await portkey?.close();
});

beforeEach(() => {
  slack.reset();
  portkey.reset();
});

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function record(v: unknown, what: string): Record<string, unknown> {
  if (!isRecord(v)) throw new Error(`${what} is not an object: ${JSON.stringify(v)}`);
  return v;
}

/** Every object anywhere under `root` whose action_id is `actionId`, with the block_id of its block. */
function elementsWithAction(root: unknown, actionId: string): Array<{ blockId: string | undefined; element: Record<string, unknown> }> {
  const found: Array<{ blockId: string | undefined; element: Record<string, unknown> }> = [];
  const walk = (node: unknown, blockId: string | undefined): void => {
    if (Array.isArray(node)) {
      for (const n of node) walk(n, blockId);
      return;
    }
    if (!isRecord(node)) return;
    const here = typeof node.block_id === 'string' ? node.block_id : blockId;
    if (node.action_id === actionId) found.push({ blockId: here, element: node });
    for (const value of Object.values(node)) walk(value, here);
  };
  walk(root, undefined);
  return found;
}

describe('/portkey help', () => {
  it.each([
    { label: 'an empty command', text: '' },
    { label: '`help`', text: 'help' },
  ])('answers $label with the ephemeral help and a "Create a workspace" button', async ({ text }) => {
    const res = await app.driver.command({ text });

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
    expect(slack.calls).toEqual([]);
    expect(slack.responses).toEqual([]);
  });

  it('answers an unknown subcommand with a suggestion and the help', async () => {
    const res = await app.driver.command({ text: 'wrkspace create' });

    expect(res.status).toBe(200);
    const body = record(res.json, 'ack body');
    expect(body.response_type).toBe('ephemeral');
    expect(body.text).toEqual(expect.stringContaining('wrkspace create'));
    expect(body.text).toEqual(expect.stringContaining('Did you mean `/portkey workspace create`?'));
    expect(elementsWithAction(body.blocks, 'workspace_open')).toHaveLength(1);
    expect(JSON.stringify(body.blocks)).toContain('/portkey workspace create');
    expect(slack.calls).toEqual([]);
  });

  it('opens the workspace modal when the help button is clicked', async () => {
    const res = await app.driver.command({ text: 'help', channelId: 'C_HELP' });
    const body = record(res.json, 'ack body');
    const [button] = elementsWithAction(body.blocks, 'workspace_open');
    if (!button?.blockId) throw new Error('the help has no workspace_open button in a block with a block_id');

    const responseUrl = slack.responseUrl();
    const click = await app.driver.blockAction({
      actionId: 'workspace_open',
      blockId: button.blockId,
      channelId: 'C_HELP',
      responseUrl,
    });
    expect(click.status).toBe(200);

    const triggerId = record(click.sent, 'block action payload').trigger_id;
    expect(triggerId).toEqual(expect.any(String));
    const open = await slack.waitFor('views.open');
    expect(open.error).toBeUndefined();
    expect(open.args.trigger_id).toBe(triggerId);

    const view = record(open.args.view, 'opened view');
    expect(view.type).toBe('modal');
    expect(view.callback_id).toBe('workspace_create');
    // The form remembers where to post the result: the channel of the help message and its response_url.
    expect(JSON.parse(String(view.private_metadata))).toEqual({ channelId: 'C_HELP', responseUrl });
    const blocks = Array.isArray(view.blocks) ? view.blocks : [];
    const blockIds = blocks.map((b) => (isRecord(b) ? b.block_id : undefined));
    expect(blockIds).toEqual(['ws_name', 'ws_slug', 'ws_description', 'ws_metadata', 'ws_default']);
    // Opened from a button, the name is blank.
    expect(elementsWithAction(view.blocks, 'name')[0]?.element.initial_value).toBeUndefined();
    expect(slack.callsTo('views.open')).toHaveLength(1);
  });
});
