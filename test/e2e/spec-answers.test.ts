import { describe, expect, it } from 'vitest';
import { startTestApp } from '../support/app.js';
import { fillView } from '../support/driver.js';
import { useTestEnv, type TestEnv } from '../support/env.js';
import { allText, isRecord, record } from '../support/payload.js';
import { responseExample } from '../support/portkey-schema.js';
import { chooseScope, leaksOf, openForm, storedView, submitForResult } from './integration-helpers.js';
import { eventually } from '../support/wait.js';

// Portkey may answer anything its OpenAPI spec allows: the spec requires no field of a list item, and its own
// example of GET /admin/workspaces has no `slug`. Lists, pickers and /healthz are fed the spec's own example and
// items missing optional fields; an imperfect item is shown with what it has (or left out, and logged), never the
// whole answer refused.

const h = useTestEnv();

/** The spec's own example answer: two workspaces with id, name, description, dates — and no slug. */
const SPEC_WORKSPACES = responseExample('GET /admin/workspaces');

async function list(env: TestEnv, text: string): Promise<string> {
  const url = env.slack.responseUrl();
  expect((await env.app.driver.command({ text, responseUrl: url })).status).toBe(200);
  const post = await env.slack.waitForResponse((r) => r.url === url);
  return allText(post.body.blocks);
}

function optionsOf(json: unknown): Array<{ value: unknown; text: unknown }> {
  const body = record(json, 'options response');
  if (!Array.isArray(body.options)) throw new Error(`no options in ${JSON.stringify(body)}`);
  return body.options.filter(isRecord).map((o) => ({ value: o.value, text: isRecord(o.text) ? o.text.text : undefined }));
}

describe("the spec's own example of GET /admin/workspaces (no slug)", () => {
  it('is an example the extract carries', () => {
    expect(SPEC_WORKSPACES).toMatchObject({ total: 2, data: [{ id: 'test-prod-ws-12345', name: 'Test prod workspace' }, {}] });
    expect(JSON.stringify(SPEC_WORKSPACES)).not.toContain('slug');
  });

  it('/portkey workspaces lists both workspaces with their name and id', async () => {
    h.portkey.fault({ method: 'GET', path: '/admin/workspaces' }, { status: 200, body: SPEC_WORKSPACES });
    const text = await list(h, 'workspaces');
    expect(text).toContain('*Workspaces* — 1–2 of 2');
    expect(text.match(/• \*Test prod workspace\* {2}id `test-prod-ws-12345`/g)).toHaveLength(2);
    expect(text).not.toContain('slug');
  });

  it('both workspace pickers offer them, by id', async () => {
    let view = await openForm(h, 'integration create openai');
    h.portkey.fault({ method: 'GET', path: '/admin/workspaces' }, { status: 200, body: SPEC_WORKSPACES }, 2);
    const access = await h.app.driver.options({
      actionId: 'int_access_search',
      blockId: 'int_access',
      value: '',
      view: fillView(view, {}),
    });
    const offered = [
      { value: 'test-prod-ws-12345', text: 'Test prod workspace' },
      { value: 'test-prod-ws-12345', text: 'Test prod workspace' },
    ];
    expect(optionsOf(access.json)).toEqual(offered);
    view = await chooseScope(h, view, 'workspace');
    const picker = await h.app.driver.options({
      actionId: 'int_workspace_search',
      blockId: 'int_workspace',
      value: '',
      view: fillView(view, {}),
    });
    expect(optionsOf(picker.json)).toEqual(offered);
  });

  it('/healthz says Portkey is reachable', async () => {
    h.portkey.fault({ method: 'GET', path: '/admin/workspaces' }, { status: 200, body: SPEC_WORKSPACES });
    const app = await startTestApp({ slack: h.slack, portkey: h.portkey });
    try {
      const res = await fetch(`${app.baseUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
      expect(record(await res.json(), 'healthz')).toMatchObject({ status: 'ok', portkey: { ok: true } });
    } finally {
      await app.stop();
    }
  });
});

describe('items missing optional fields, and answers missing parts', () => {
  it('an integration list: items without slug, name or scope are shown with what they have; one without id is left out and logged', async () => {
    const body = {
      object: 'list',
      total: -1,
      data: [
        { id: 'int-1', name: 'Prod OpenAI', slug: 'prod-openai', ai_provider_id: 'openai', status: 'active' },
        { id: 'int-2', ai_provider_id: 'anthropic' },
        { name: 'No id at all', slug: 'no-id' },
        { id: 'int-4', name: 'Team Bedrock', ai_provider_id: 'bedrock', workspace_id: 'ws-team' },
      ],
    };
    h.portkey.fault({ method: 'GET', path: '/integrations' }, { status: 200, body });
    const logsBefore = h.app.logs.length;
    const text = await list(h, 'integrations');
    // A negative total is ignored: no "of -1".
    expect(text).toContain('*Integrations* — 1–3\n');
    expect(text).toContain('• *Prod OpenAI* (OpenAI, scope unknown)  slug `prod-openai`  id `int-1`');
    expect(text).toContain('• *int-2* (Anthropic, scope unknown)  id `int-2`');
    expect(text).toContain('• *Team Bedrock* (AWS Bedrock, workspace `ws-team`)  id `int-4`');
    expect(text).not.toContain('No id at all');
    const logged = h.app.logs.slice(logsBefore).map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged).toContainEqual(
      expect.objectContaining({
        skipped: 1,
        received: 4,
        msg: "integration list: left out items this app can't read (no id, or a field of the wrong type)",
      }),
    );
  });

  it('a list without `data` is an empty list, not an error', async () => {
    h.portkey.fault({ method: 'GET', path: '/admin/workspaces' }, { status: 200, body: { object: 'list', total: 0 } });
    expect(await list(h, 'workspaces')).toContain('No workspaces yet.');
  });

  it('a secret reference without a name is offered by its slug (or its id)', async () => {
    const view = await openForm(h, 'integration create openai');
    const body = { object: 'list', data: [{ id: 'sr-1', slug: 'openai-prod-key' }, { id: 'sr-2' }, { id: 'sr-3', name: 'Named key' }] };
    h.portkey.fault({ method: 'GET', path: '/secret-references' }, { status: 200, body });
    const res = await h.app.driver.options({
      actionId: 'int_secret_ref_search',
      blockId: 'int_secretref__openai',
      value: '',
      view: fillView(view, {}),
    });
    expect(optionsOf(res.json)).toEqual([
      { value: 'sr-1', text: 'openai-prod-key' },
      { value: 'sr-2', text: 'sr-2' },
      { value: 'sr-3', text: 'Named key' },
    ]);
  });
});

describe('a 422 (request rejected as invalid)', () => {
  it("says what Portkey rejected — its words, the key scrubbed, escaped — not 'try again in a minute'", async () => {
    const KEY = 'sk-REJECTED-4f3e2d1c0b9a';
    const message = `key ${KEY} is not valid for <!channel> *this* provider`;
    h.portkey.fault({ method: 'POST', path: '/integrations' }, { status: 422, body: { success: false, data: { message } } });
    const view = await openForm(h, 'integration create openai');
    const { result } = await submitForResult(h, view, { int_name: 'Rejected', int_key__openai: KEY });

    const text = await eventually('the failure view', () => {
      const shown = allText(storedView(h.slack, result.id).blocks);
      return shown.includes('rejected') ? shown : undefined;
    });
    expect(text).toContain('Portkey rejected the integration as invalid. Portkey said: "key [redacted] is not valid for &lt;!channel&gt;');
    expect(text).toContain('provider" Fix the form and try again.');
    expect(text).not.toContain('Try again in a minute');
    expect(leaksOf(h, KEY)).toEqual([]);
  });
});
