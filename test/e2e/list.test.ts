import { describe, expect, it } from 'vitest';
import type { ResponseUrlPost } from '../support/fake-slack.js';
import { useTestEnv, type TestEnv } from '../support/env.js';
import { allText, elementsWithAction, theButton } from '../support/payload.js';

// `/portkey workspaces [filter]` and `/portkey integrations [filter]`: an ephemeral list sent to the command's
// response_url with each item's name, slug and id, ten at a time; "More" replaces the message with the next page.

const h = useTestEnv();

const pad = (n: number) => String(n).padStart(2, '0');

/** Runs a list command and returns what the app posted to its response_url. */
async function list(harness: TestEnv, text: string): Promise<{ url: string; post: ResponseUrlPost }> {
  const url = harness.slack.responseUrl();
  const res = await harness.app.driver.command({ text, responseUrl: url });
  expect(res.status).toBe(200);
  const post = await harness.slack.waitForResponse((r) => r.url === url);
  expect(post.body.response_type).toBe('ephemeral');
  return { url, post };
}

/** Clicks "More" on a list message; returns the post that replaces it. */
async function more(harness: TestEnv, from: ResponseUrlPost): Promise<ResponseUrlPost> {
  const button = theButton(from.body.blocks, 'list_more');
  const url = harness.slack.responseUrl();
  const res = await harness.app.driver.blockAction({
    actionId: 'list_more',
    blockId: button.blockId,
    ...(button.value !== undefined ? { value: button.value } : {}),
    responseUrl: url,
  });
  expect(res.status).toBe(200);
  const post = await harness.slack.waitForResponse((r) => r.url === url);
  expect(post.body).toMatchObject({ response_type: 'ephemeral', replace_original: true });
  return post;
}

describe('/portkey workspaces', () => {
  it('lists name, slug and id, ten at a time; "More" replaces the message with the next page', async () => {
    const seeded = Array.from({ length: 12 }, (_, i) =>
      h.portkey.seedWorkspace({ name: `Team ${pad(i + 1)}`, slug: `team-${pad(i + 1)}` }),
    );

    const { post } = await list(h, 'workspaces');

    const first = allText(post.body.blocks);
    expect(first).toContain('1–10 of 12');
    for (const ws of seeded.slice(0, 10)) {
      expect(first).toContain(`*${ws.name}*  slug \`${ws.slug}\`  id \`${ws.id}\``);
    }
    for (const ws of seeded.slice(10)) expect(first).not.toContain(ws.id);
    expect(elementsWithAction(post.body.blocks, 'list_more')).toHaveLength(1);
    // Nothing goes to the channel: the list is for the person who asked.
    expect(h.slack.callsTo('chat.postMessage')).toEqual([]);

    const next = await more(h, post);

    const second = allText(next.body.blocks);
    expect(second).toContain('11–12 of 12');
    for (const ws of seeded.slice(10)) expect(second).toContain(`*${ws.name}*  slug \`${ws.slug}\`  id \`${ws.id}\``);
    for (const ws of seeded.slice(0, 10)) expect(second).not.toContain(ws.id);
    expect(elementsWithAction(next.body.blocks, 'list_more')).toEqual([]);
    expect(h.portkey.requestsTo('GET', '/admin/workspaces').map((r) => [r.query.current_page, r.query.page_size])).toEqual([
      ['0', '10'],
      ['1', '10'],
    ]);
  });

  it('passes the filter to Portkey and shows only the matches, without "More" when they fit', async () => {
    const eu = h.portkey.seedWorkspace({ name: 'Research EU', slug: 'research-eu' });
    const us = h.portkey.seedWorkspace({ name: 'Research US', slug: 'research-us' });
    const sales = h.portkey.seedWorkspace({ name: 'Sales', slug: 'sales' });

    const { post } = await list(h, 'workspaces Research');

    const text = allText(post.body.blocks);
    expect(text).toContain('matching “Research”');
    expect(text).toContain(eu.id);
    expect(text).toContain(us.id);
    expect(text).not.toContain(sales.id);
    expect(elementsWithAction(post.body.blocks, 'list_more')).toEqual([]);
    expect(h.portkey.requestsTo('GET', '/admin/workspaces').map((r) => r.query.name)).toEqual(['Research']);
  });

  it('says so when nothing matches', async () => {
    h.portkey.seedWorkspace({ name: 'Sales', slug: 'sales' });

    const { post } = await list(h, 'workspaces Nope');

    expect(allText(post.body.blocks)).toContain('No workspace matches that filter.');
    expect(elementsWithAction(post.body.blocks, 'list_more')).toEqual([]);
  });

  it('tells the person when Portkey cannot be read', async () => {
    h.portkey.fault({ method: 'GET', path: '/admin/workspaces' }, { status: 403 });

    const { post } = await list(h, 'workspaces');

    expect(String(post.body.text)).toContain("Couldn't read the workspaces from Portkey");
  });

  it('logs a failed list with the cause and the host, for the operator', async () => {
    // Every attempt (the first and its retries) has its connection dropped: a reset, at Portkey's host.
    h.portkey.fault({ method: 'GET', path: '/admin/workspaces' }, { drop: true }, 10);
    const before = h.app.logs.length;

    const { post } = await list(h, 'workspaces');

    expect(String(post.body.text)).toContain("Couldn't read the workspaces from Portkey");
    const lines = h.app.logs.slice(before).map((l) => JSON.parse(l) as Record<string, unknown>);
    const host = new URL(h.portkey.baseUrl).host;
    expect(lines.filter((l) => l.msg === 'could not list the workspaces')).toEqual([
      expect.objectContaining({
        level: 'warn',
        list: 'workspaces',
        error: expect.stringMatching(
          new RegExp(`^Portkey network: ${host.replace(/\./g, '\\.')} closed the connection \\((ECONNRESET|UND_ERR_SOCKET)\\)`),
        ),
      }),
    ]);
  });
});

describe('/portkey integrations', () => {
  it('lists name, provider, slug and id; the filter matches provider too; "More" pages through the matches', async () => {
    const claude = Array.from({ length: 12 }, (_, i) =>
      h.portkey.seedIntegration({ name: `Claude ${pad(i + 1)}`, ai_provider_id: 'anthropic', slug: `claude-${pad(i + 1)}` }),
    );
    const gpt = h.portkey.seedIntegration({ name: 'GPT main', ai_provider_id: 'openai', slug: 'gpt-main' });

    const { post } = await list(h, 'integrations anthropic');

    const first = allText(post.body.blocks);
    expect(first).toContain('matching “anthropic”');
    expect(first).toContain('1–10 of 12');
    for (const i of claude.slice(0, 10)) {
      expect(first).toContain(`*${i.name}* (Anthropic, organisation)  slug \`${i.slug}\`  id \`${i.id}\``);
    }
    expect(first).not.toContain(gpt.id);
    expect(first).not.toContain(claude[10]?.id ?? 'missing');

    const next = await more(h, post);

    const second = allText(next.body.blocks);
    expect(second).toContain('11–12 of 12');
    for (const i of claude.slice(10)) expect(second).toContain(`slug \`${i.slug}\`  id \`${i.id}\``);
    for (const i of claude.slice(0, 10)) expect(second).not.toContain(i.id);
    expect(elementsWithAction(next.body.blocks, 'list_more')).toEqual([]);
  });

  it('without a filter lists every integration, with workspace-scoped ones marked', async () => {
    const ws = h.portkey.seedWorkspace({ name: 'Research', slug: 'research' });
    const org = h.portkey.seedIntegration({ name: 'GPT main', ai_provider_id: 'openai', slug: 'gpt-main' });
    const scoped = h.portkey.seedIntegration({
      name: 'Bedrock research',
      ai_provider_id: 'bedrock',
      slug: 'bedrock-research',
      workspace_id: ws.id,
    });

    const { post } = await list(h, 'integrations');

    const text = allText(post.body.blocks);
    expect(text).toContain(`*GPT main* (OpenAI, organisation)  slug \`gpt-main\`  id \`${org.id}\``);
    expect(text).toContain(`*Bedrock research* (AWS Bedrock, workspace \`${ws.id}\`)  slug \`bedrock-research\`  id \`${scoped.id}\``);
    expect(elementsWithAction(post.body.blocks, 'list_more')).toEqual([]);
  });

  it('with more than ten and no filter, "More" reads the next page from Portkey', async () => {
    const seeded = Array.from({ length: 11 }, (_, i) =>
      h.portkey.seedIntegration({ name: `Provider ${pad(i + 1)}`, ai_provider_id: 'groq', slug: `provider-${pad(i + 1)}` }),
    );

    const { post } = await list(h, 'integrations');
    expect(allText(post.body.blocks)).toContain('1–10 of 11');

    const next = await more(h, post);

    const second = allText(next.body.blocks);
    expect(second).toContain(seeded[10]?.id ?? 'missing');
    expect(second).not.toContain(seeded[0]?.id ?? 'missing');
    expect(h.portkey.requestsTo('GET', '/integrations').map((r) => [r.query.current_page, r.query.page_size])).toEqual([
      ['0', '10'],
      ['1', '10'],
    ]);
  });
});
