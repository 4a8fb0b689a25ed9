import { describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../support/app.js';
import { fillView, viewFrom, type FillableView, type FillValue } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import type { Workspace } from '../support/fake-portkey.js';
import type { SlackCall } from '../support/fake-slack.js';
import { isRecord, record } from '../support/payload.js';

// `/portkey workspace create` end to end: command → views.open → submission → Portkey → channel message + result view.

const h = useTestEnv();

// ---------------------------------------------------------------------------------------------------------------
// Helpers

function viewOf(call: SlackCall): Record<string, unknown> {
  return record(call.args.view, `the view of ${call.method}`);
}

/** Everything Slack would render or store from a call or view, as one string to search in. */
function textOf(x: unknown): string {
  return JSON.stringify(x) ?? '';
}

let triggers = 0;

interface OpenedForm {
  form: FillableView;
  open: SlackCall;
  sentAt: number;
}

/** Runs the slash command and returns the form it opened. */
async function openForm(p: { text?: string; channelId?: string; responseUrl?: string; a?: TestApp } = {}): Promise<OpenedForm> {
  const driver = (p.a ?? h.app).driver;
  const triggerId = `trigger-${++triggers}`;
  const sentAt = Date.now();
  const res = await driver.command({
    text: p.text ?? 'workspace create',
    triggerId,
    ...(p.channelId ? { channelId: p.channelId } : {}),
    ...(p.responseUrl ? { responseUrl: p.responseUrl } : {}),
  });
  expect(res.status).toBe(200);
  const open = await h.slack.waitFor('views.open', (c) => c.args.trigger_id === triggerId);
  expect(open.error).toBeUndefined();
  return { form: viewFrom(open, h.slack.views), open, sentAt };
}

interface Typed {
  name?: FillValue;
  slug?: FillValue;
  description?: FillValue;
  metadata?: FillValue;
  isDefault?: boolean;
}

function inputs(t: Typed): Record<string, FillValue> {
  const out: Record<string, FillValue> = {};
  if (t.name !== undefined) out.ws_name = t.name;
  if (t.slug !== undefined) out.ws_slug = t.slug;
  if (t.description !== undefined) out.ws_description = t.description;
  if (t.metadata !== undefined) out.ws_metadata = t.metadata;
  if (t.isDefault !== undefined) out.ws_default = t.isDefault;
  return out;
}

async function submit(form: FillableView, typed: Typed, a: TestApp = h.app) {
  const res = await a.driver.viewSubmission({ view: fillView(form, inputs(typed)) });
  expect(res.status).toBe(200);
  return res;
}

function isErrorView(view: Record<string, unknown>): boolean {
  return textOf(view.blocks).includes('"action_id":"workspace_back"');
}

function isSuccessView(view: Record<string, unknown>): boolean {
  return view.callback_id === 'workspace_result' && textOf(view.blocks).includes(':white_check_mark:');
}

function waitForViewUpdate(viewId: string, match: (view: Record<string, unknown>) => boolean, timeoutMs?: number): Promise<SlackCall> {
  return h.slack.waitFor('views.update', (c) => c.args.view_id === viewId && isRecord(c.args.view) && match(c.args.view), timeoutMs);
}

/** The values a form view shows (initial values), keyed like the draft. */
function shownValues(view: Record<string, unknown>) {
  const blocks = (Array.isArray(view.blocks) ? view.blocks : []).filter(isRecord);
  const element = (blockId: string): Record<string, unknown> => {
    const block = blocks.find((b) => b.block_id === blockId);
    return record(block?.element, `element of block ${blockId}`);
  };
  const initial = (blockId: string): string | undefined => {
    const v = element(blockId).initial_value;
    return typeof v === 'string' ? v : undefined;
  };
  const checked = element('ws_default').initial_options;
  return {
    name: initial('ws_name'),
    slug: initial('ws_slug'),
    description: initial('ws_description'),
    metadata: initial('ws_metadata'),
    defaultChecked: Array.isArray(checked) ? checked.map((o) => (isRecord(o) ? o.value : undefined)) : [],
  };
}

function onlyWorkspace(): Workspace {
  expect(h.portkey.workspaces).toHaveLength(1);
  const ws = h.portkey.workspaces[0];
  if (!ws) throw new Error('Portkey holds no workspace');
  return ws;
}

function workspacePosts() {
  return h.portkey.requestsTo('POST', '/admin/workspaces');
}

// ---------------------------------------------------------------------------------------------------------------

describe('creating a workspace', () => {
  it('opens the pre-filled form in time, sends the exact body to Portkey and reports the id and slug', async () => {
    const { form, open, sentAt } = await openForm({ text: 'workspace create Data Science', channelId: 'C_DATA' });

    // views.open must reach Slack within the 3 s the trigger id lives.
    expect(open.at - sentAt).toBeLessThan(3000);
    expect(form.callback_id).toBe('workspace_create');
    const opened = viewOf(open);
    expect(shownValues(opened)).toEqual({
      name: 'Data Science',
      slug: undefined,
      description: undefined,
      metadata: undefined,
      defaultChecked: [],
    });
    const slugBlock = record(
      (Array.isArray(opened.blocks) ? opened.blocks : []).find((b) => isRecord(b) && b.block_id === 'ws_slug'),
      'slug block',
    );
    expect(textOf(slugBlock.hint)).toContain('data-science');

    const description = 'Models and notebooks for the data team';
    const ack = await submit(form, { description, metadata: 'team=data\ncost_center=42', isDefault: true });

    // The modal turns into a progress view straight away (the API call happens after the ack).
    const ackBody = record(ack.json, 'submission ack');
    expect(ackBody).toEqual({
      response_action: 'update',
      view: expect.objectContaining({ type: 'modal', callback_id: 'workspace_result' }),
    });
    expect(textOf(ackBody.view)).toContain('Creating workspace *Data Science*');

    const success = await waitForViewUpdate(form.id, isSuccessView);

    const posts = workspacePosts();
    expect(posts).toHaveLength(1);
    const post = posts[0];
    expect(post?.body).toEqual({
      name: 'Data Science',
      description,
      defaults: { metadata: { team: 'data', cost_center: '42' }, is_default: 1 },
    });
    expect(post?.headers['x-portkey-api-key']).toBe(h.portkey.adminKey);
    expect(post?.headers['content-type']).toMatch(/^application\/json/);

    const ws = onlyWorkspace();
    expect(ws.slug).not.toBe('data-science'); // Portkey made its own; the message must show Portkey's.

    const messages = h.slack.callsTo('chat.postMessage');
    expect(messages).toHaveLength(1);
    const message = messages[0];
    expect(message?.error).toBeUndefined();
    expect(message?.args.channel).toBe('C_DATA');
    expect(message?.args.text).toEqual(expect.stringContaining(ws.id));
    expect(message?.args.text).toEqual(expect.stringContaining(ws.slug));
    const messageBlocks = textOf(message?.args.blocks);
    expect(messageBlocks).toContain(`\`${ws.id}\``);
    expect(messageBlocks).toContain(`\`${ws.slug}\``);
    expect(messageBlocks).toContain('<@U_ALICE>');
    expect(messageBlocks).toContain('*Data Science*');
    expect(messageBlocks).not.toContain('assigned');

    const shown = textOf(viewOf(success).blocks);
    expect(shown).toContain(`\`${ws.id}\``);
    expect(shown).toContain(`\`${ws.slug}\``);
    expect(shown).toContain('Posted in <#C_DATA>.');
    expect(h.slack.responses).toEqual([]);
  });

  it('sends a typed slug and shows it when Portkey honours it', async () => {
    const { form } = await openForm({ text: 'workspace create ML Platform' });

    await submit(form, { slug: 'ml-platform' });
    const success = await waitForViewUpdate(form.id, isSuccessView);

    expect(workspacePosts().map((r) => r.body)).toEqual([{ name: 'ML Platform', slug: 'ml-platform' }]);
    const ws = onlyWorkspace();
    expect(ws.slug).toBe('ml-platform');
    const message = await h.slack.waitFor('chat.postMessage');
    expect(textOf(message.args.blocks)).toContain('`ml-platform`');
    expect(textOf(message.args.blocks)).not.toContain('assigned');
    expect(textOf(viewOf(success).blocks)).not.toContain('assigned');
  });

  it('says so when Portkey assigns a different slug than the one typed', async () => {
    const answered = {
      id: '6e5a9f93-ae3a-46b4-a87d-2464d373ef7e',
      slug: 'ws-ml-platform-9f3c2a',
      name: 'ML Platform',
      description: null,
      created_at: new Date().toISOString(),
      last_updated_at: new Date().toISOString(),
      defaults: null,
      is_default: 0,
      status: 'active',
      object: 'workspace',
    };
    h.portkey.fault({ method: 'POST', path: '/admin/workspaces' }, { status: 200, body: answered });
    const { form } = await openForm({ text: 'workspace create ML Platform' });

    await submit(form, { slug: 'ml-platform' });
    const success = await waitForViewUpdate(form.id, isSuccessView);

    expect(workspacePosts().map((r) => r.body)).toEqual([{ name: 'ML Platform', slug: 'ml-platform' }]);
    const message = await h.slack.waitFor('chat.postMessage');
    expect(message.args.text).toEqual(expect.stringContaining(answered.id));
    expect(message.args.text).toEqual(expect.stringContaining(answered.slug));
    expect(textOf(message.args.blocks)).toContain('Portkey assigned the slug `ws-ml-platform-9f3c2a`, not the requested `ml-platform`.');
    expect(textOf(viewOf(success).blocks)).toContain('Portkey assigned the slug `ws-ml-platform-9f3c2a` instead of `ml-platform`.');
  });
});

describe('the name typed after the command', () => {
  // Slack sends slash-command text with &, < and > HTML-escaped (`R&D` arrives as `R&amp;D`), whatever
  // should_escape says (that setting only controls how mentions and links are encoded).
  it('is unescaped before it pre-fills the form, so Portkey gets what the person typed', async () => {
    const { form, open } = await openForm({ text: 'workspace create R&amp;D &lt;EU&gt;' });

    expect(shownValues(viewOf(open)).name).toBe('R&D <EU>');

    await submit(form, {});
    await waitForViewUpdate(form.id, isSuccessView);
    expect(workspacePosts().map((r) => r.body)).toEqual([{ name: 'R&D <EU>' }]);
  });
});

describe('form validation', () => {
  it('answers every bad field inline and sends nothing to Portkey', async () => {
    const { form } = await openForm();

    const ack = await submit(form, { name: '', slug: 'Bad Slug', metadata: 'ok=1\nnovalue\n=x' });

    expect(ack.json).toEqual({
      response_action: 'errors',
      errors: {
        ws_name: 'Give the workspace a name.',
        ws_slug: 'Use only lowercase letters, digits and hyphens (e.g. data-science), or leave it blank.',
        ws_metadata: 'Line 2 ("novalue"): write it as key=value.\nLine 3 ("=x"): the key before = is empty.',
      },
    });
    expect(h.portkey.requests).toEqual([]);
    expect(h.slack.callsTo('views.update')).toEqual([]);
    expect(h.slack.callsTo('chat.postMessage')).toEqual([]);
  });

  it('treats a name of only spaces as blank', async () => {
    const { form } = await openForm();

    const ack = await submit(form, { name: '   ' });

    expect(ack.json).toEqual({ response_action: 'errors', errors: { ws_name: 'Give the workspace a name.' } });
    expect(h.portkey.requests).toEqual([]);
  });
});

describe('when Portkey refuses or does not answer', () => {
  const typed = {
    name: 'Platform',
    description: 'Shared infra',
    metadata: 'team=platform\nregion=eu',
    isDefault: true,
  } as const;

  it.each([
    {
      label: 'AB01 (400, invalid)',
      slug: 'platform-eu',
      setup: () => h.portkey.fault({ method: 'POST', path: '/admin/workspaces' }, { status: 400 }),
      says: 'Portkey rejected the workspace as invalid.',
    },
    {
      label: 'AB03 (403, no permission)',
      slug: 'platform-eu',
      setup: () => h.portkey.fault({ method: 'POST', path: '/admin/workspaces' }, { status: 403 }),
      says: 'permission',
    },
    {
      label: 'AB07 (409, slug taken)',
      slug: 'taken-slug',
      setup: () => {
        h.portkey.seedWorkspace({ name: 'Someone else', slug: 'taken-slug' });
      },
      says: 'already exists',
    },
    {
      label: 'a timeout (no answer within PORTKEY_TIMEOUT_MS)',
      slug: 'platform-eu',
      setup: () => h.portkey.fault({ method: 'POST', path: '/admin/workspaces' }, { delayMs: 3000 }),
      says: "didn't answer",
    },
  ])('$label: shows the reason and a way back to the filled form', async ({ slug, setup, says }) => {
    setup();
    await expectErrorThenBack({ a: h.app, slug, says });
    expect(workspacePosts()).toHaveLength(1);
  });

  it('AB05 (401, wrong admin key): tells the operator to check PORTKEY_API_KEY', async () => {
    const wrongKey = await startTestApp({ slack: h.slack, portkey: h.portkey, env: { PORTKEY_API_KEY: 'pk-not-the-admin-key' } });
    try {
      h.slack.reset();
      await expectErrorThenBack({ a: wrongKey, slug: 'platform-eu', says: 'PORTKEY_API_KEY' });
      // Refused at the look-up just before the create: the create is never sent with a key Portkey rejects.
      expect(workspacePosts()).toEqual([]);
      const lists = h.portkey.requestsTo('GET', '/admin/workspaces').filter((r) => r.query.exact_name !== undefined);
      expect(lists.map((r) => [r.status, r.headers['x-portkey-api-key']])).toEqual([[401, 'pk-not-the-admin-key']]);
    } finally {
      await wrongKey.stop();
    }
  });

  async function expectErrorThenBack(p: { a: TestApp; slug: string; says: string }): Promise<void> {
    const { form } = await openForm({ a: p.a, channelId: 'C_PLATFORM' });
    const ack = await submit(form, { ...typed, slug: p.slug }, p.a);
    expect(record(ack.json, 'ack').response_action).toBe('update');

    const failed = await waitForViewUpdate(form.id, isErrorView, 8000);
    const errorView = viewOf(failed);
    const shown = textOf(errorView.blocks);
    expect(shown).toContain('Workspace *Platform* was not created.');
    expect(shown).toContain(p.says);
    expect(isSuccessView(errorView)).toBe(false);

    // "Back to the form", clicked on the view as Slack stores it now.
    const current = viewFrom(failed, h.slack.views);
    const button = (Array.isArray(errorView.blocks) ? errorView.blocks : [])
      .filter(isRecord)
      .find((b) => textOf(b.elements).includes('workspace_back'));
    const buttonElement = record(Array.isArray(button?.elements) ? button.elements[0] : undefined, 'back button');
    expect(buttonElement).toMatchObject({ type: 'button', action_id: 'workspace_back', text: { text: 'Back to the form' } });
    const click = await p.a.driver.blockAction({
      actionId: 'workspace_back',
      blockId: String(button?.block_id),
      ...(typeof buttonElement.value === 'string' ? { value: buttonElement.value } : {}),
      view: current,
    });
    expect(click.status).toBe(200);

    const restored = await waitForViewUpdate(form.id, (v) => v.callback_id === 'workspace_create');
    expect(shownValues(viewOf(restored))).toEqual({
      name: typed.name,
      slug: p.slug,
      description: typed.description,
      metadata: typed.metadata,
      defaultChecked: ['default'],
    });
    // The restored form goes back to where the command was run, without the finished operation.
    expect(JSON.parse(String(viewOf(restored).private_metadata))).toEqual(expect.objectContaining({ channelId: 'C_PLATFORM' }));
    expect(JSON.parse(String(viewOf(restored).private_metadata))).not.toHaveProperty('operationId');

    // A failure is shown in the modal and sent once, privately, through the command's reply link, naming the
    // request: nothing in the channel or a DM.
    expect(h.slack.callsTo('chat.postMessage')).toEqual([]);
    expect(h.slack.callsTo('conversations.open')).toEqual([]);
    expect(h.slack.responses.map((r) => r.body)).toEqual([
      {
        response_type: 'ephemeral',
        text: expect.stringMatching(new RegExp(`^:warning: Your workspace \\*Platform\\* \\(slug \`${p.slug}\`\\) was not created\\. `)),
      },
    ]);
    expect(String(h.slack.responses[0]?.body.text)).toContain(p.says);
  }

  it('a timeout after Portkey created it: finds the workspace by exact name and reports success once', async () => {
    h.portkey.fault({ method: 'POST', path: '/admin/workspaces' }, { delayMs: 3000, afterHandling: true });
    const { form } = await openForm({ text: 'workspace create Late Answer', channelId: 'C_LATE' });

    await submit(form, {});
    const success = await waitForViewUpdate(form.id, isSuccessView, 8000);

    expect(workspacePosts()).toHaveLength(1);
    const ws = onlyWorkspace();
    expect(ws.name).toBe('Late Answer');
    const lookups = h.portkey.requestsTo('GET', '/admin/workspaces');
    expect(lookups.length).toBeGreaterThanOrEqual(1);
    expect(lookups[0]?.query.exact_name).toBe('Late Answer');

    const messages = h.slack.callsTo('chat.postMessage');
    expect(messages).toHaveLength(1);
    expect(messages[0]?.args.channel).toBe('C_LATE');
    expect(messages[0]?.args.text).toEqual(expect.stringContaining(ws.id));
    expect(messages[0]?.args.text).toEqual(expect.stringContaining(ws.slug));
    expect(textOf(viewOf(success).blocks)).toContain(`\`${ws.slug}\``);
    expect(h.slack.callsTo('views.update').filter((c) => isSuccessView(viewOf(c)))).toHaveLength(1);
    expect(h.slack.callsTo('views.update').filter((c) => isErrorView(viewOf(c)))).toEqual([]);
  });
});

describe('when the app cannot post in the channel', () => {
  it('falls back to the command response_url, in channel', async () => {
    h.slack.fail('chat.postMessage', 'not_in_channel');
    const responseUrl = h.slack.responseUrl();
    const { form } = await openForm({ text: 'workspace create Private Team', channelId: 'C_PRIVATE', responseUrl });

    await submit(form, {});
    const reply = await h.slack.waitForResponse((r) => r.url === responseUrl);
    const success = await waitForViewUpdate(form.id, isSuccessView);

    const ws = onlyWorkspace();
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      response_type: 'in_channel',
      text: expect.stringContaining(ws.id),
      blocks: expect.any(Array),
    });
    expect(reply.body.text).toEqual(expect.stringContaining(ws.slug));
    expect(textOf(reply.body.blocks)).toContain(`\`${ws.id}\``);
    expect(textOf(reply.body.blocks)).toContain(`\`${ws.slug}\``);
    expect(textOf(reply.body.blocks)).toContain('<@U_ALICE>');

    expect(h.slack.callsTo('chat.postMessage').map((c) => [c.args.channel, c.error])).toEqual([['C_PRIVATE', 'not_in_channel']]);
    expect(h.slack.callsTo('conversations.open')).toEqual([]);
    expect(textOf(viewOf(success).blocks)).toContain("through the command's reply link");
  });

  it('falls back to a DM when the response_url has expired too', async () => {
    h.slack.fail('chat.postMessage', 'not_in_channel');
    h.slack.failResponseUrls(404);
    const responseUrl = h.slack.responseUrl();
    const { form } = await openForm({ text: 'workspace create Private Team', channelId: 'C_PRIVATE', responseUrl });

    await submit(form, {});
    const dm = await h.slack.waitFor('chat.postMessage', (c) => c.error === undefined);
    const success = await waitForViewUpdate(form.id, isSuccessView);

    const ws = onlyWorkspace();
    const opened = h.slack.callsTo('conversations.open');
    expect(opened).toHaveLength(1);
    expect(opened[0]?.args.users).toBe('U_ALICE');
    const dmChannel = record(opened[0]?.response?.channel, 'conversations.open channel').id;
    expect(dmChannel).toMatch(/^D/);
    expect(dm.args.channel).toBe(dmChannel);
    expect(dm.args.text).toEqual(expect.stringContaining(ws.id));
    expect(dm.args.text).toEqual(expect.stringContaining(ws.slug));

    expect(h.slack.responses.map((r) => [r.url, r.status])).toEqual([[responseUrl, 404]]);
    expect(h.slack.callsTo('chat.postMessage').map((c) => [c.args.channel, c.error])).toEqual([
      ['C_PRIVATE', 'not_in_channel'],
      [dmChannel, undefined],
    ]);
    expect(textOf(viewOf(success).blocks)).toContain('direct message');
  });
});

describe('escaping', () => {
  it('sends the name verbatim to Portkey but never lets it format or ping in Slack', async () => {
    const name = '<!channel> & <@U999> <http://evil|click>';
    const { form } = await openForm({ channelId: 'C_GENERAL' });

    const ack = await submit(form, { name });
    await waitForViewUpdate(form.id, isSuccessView);

    expect(workspacePosts().map((r) => r.body)).toEqual([{ name }]);

    const message = await h.slack.waitFor('chat.postMessage');
    const escaped = '&lt;!channel&gt; &amp; &lt;@U999&gt; &lt;http://evil|click&gt;';
    expect(message.args.text).toEqual(expect.stringContaining(escaped));
    expect(textOf(message.args.blocks)).toContain(`*${escaped}*`);

    const shownInSlack = [
      textOf(ack.json),
      ...h.slack.callsTo('chat.postMessage').map((c) => textOf(c.args)),
      ...h.slack.callsTo('views.update').map((c) => textOf(c.args)),
      ...h.slack.responses.map((r) => textOf(r.body)),
    ];
    expect(shownInSlack.length).toBeGreaterThanOrEqual(3);
    for (const payload of shownInSlack) {
      expect(payload).not.toContain('<!channel>');
      expect(payload).not.toContain('<@U999>');
      expect(payload).not.toContain('<http://evil');
      expect(payload).not.toMatch(/ & /);
    }
  });
});
