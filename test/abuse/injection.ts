// mrkdwn injection in every field the app echoes: `<!channel>`, `<@U123>`, `<http://evil|click>` and `&` typed
// into forms, command text and list filters, or stored in Portkey under names the app lists. Portkey must get
// exactly what was typed; Slack must only ever show it escaped.
import { describe, expect, it } from 'vitest';
import type { DriverResponse, FillableView, FillValue, ViewLike } from '../support/driver.js';
import type { TestEnv } from '../support/env.js';
import { record } from '../support/payload.js';
import { filled, newUser, openModal, submitAccepted, submitRefused } from './flows.js';
import { chooseScope } from '../e2e/integration-helpers.js';
import { INJECTION, INJECTION_ESCAPED, liveMarkup, renderedEverywhere } from './sent.js';
import type { Tally, Verdict } from './tally.js';

const KEY = 'sk-abuse-injection-0123456789';
/** INJECTION as Slack sends it in slash-command text: &, < and > HTML-escaped. */
const AS_SLACK_SENDS = INJECTION.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
/** Mentions and a link as Slack sends real ones in command text (no &, which Slack always escapes). */
const RAW_MENTIONS = '<!channel> <@U123> <http://evil|click>';
const RAW_MENTIONS_ESCAPED = '&lt;!channel&gt; &lt;@U123&gt; &lt;http://evil|click&gt;';

interface Outcome {
  acks: DriverResponse[];
  /** The escaped form that must be shown somewhere (undefined: the field is not echoed). */
  echoed?: string;
}

interface InjectionCase {
  field: string;
  verdict: Verdict;
  run(h: TestEnv, userId: string): Promise<Outcome>;
}

/** Adds a selection to a view's state by hand (a block the form shows only after a rebuild). */
function withSelection(view: ViewLike, blockId: string, actionId: string, state: Record<string, unknown>): ViewLike {
  const values = { ...(view.state?.values ?? {}) };
  values[blockId] = { [actionId]: state };
  return { ...view, state: { values } };
}

function onlyBody(h: TestEnv, method: string, path: string): Record<string, unknown> {
  const bodies = h.portkey.requestsTo(method, path).map((r) => r.body);
  expect(bodies).toHaveLength(1);
  return record(bodies[0], `${method} ${path} body`);
}

async function createWorkspace(
  h: TestEnv,
  userId: string,
  inputs: Record<string, string>,
  text = 'workspace create',
): Promise<DriverResponse[]> {
  const view = await openModal(h, text, userId);
  const { ack } = await submitAccepted(h, filled(view, inputs), userId);
  return [ack];
}

async function createIntegration(
  h: TestEnv,
  userId: string,
  state: (view: FillableView) => ViewLike,
  prepare: (view: FillableView) => Promise<FillableView> = (v) => Promise.resolve(v),
): Promise<DriverResponse[]> {
  const view = await prepare(await openModal(h, 'integration create openai', userId));
  const { ack } = await submitAccepted(h, state(view), userId);
  await h.slack.waitFor('chat.postMessage');
  return [ack];
}

/** A workspace service key, in a workspace Portkey has (a plain one unless given). */
async function createKey(
  h: TestEnv,
  userId: string,
  inputs: Record<string, string>,
  workspace?: { value: string; text: string },
): Promise<DriverResponse[]> {
  const ws = workspace ?? { value: h.portkey.seedWorkspace({ name: 'Key space' }).id, text: 'Key space' };
  const view = await openModal(h, 'key create', userId);
  const typed: Record<string, FillValue> = { ...inputs, key_workspace: ws };
  const { ack } = await submitAccepted(h, filled(view, typed), userId);
  await h.slack.waitFor('chat.postMessage');
  return [ack];
}

async function command(h: TestEnv, userId: string, text: string): Promise<DriverResponse> {
  const res = await h.app.driver.command({ text, userId, responseUrl: h.slack.responseUrl() });
  expect(res.status).toBe(200);
  return res;
}

const CASES: InjectionCase[] = [
  {
    field: 'the workspace name',
    verdict: 'neutralised',
    async run(h, userId) {
      const acks = await createWorkspace(h, userId, { ws_name: INJECTION });
      expect(onlyBody(h, 'POST', '/admin/workspaces')).toEqual({ name: INJECTION });
      await h.slack.waitFor('chat.postMessage');
      return { acks, echoed: INJECTION_ESCAPED };
    },
  },
  {
    field: 'the workspace description',
    verdict: 'neutralised',
    async run(h, userId) {
      const acks = await createWorkspace(h, userId, { ws_name: 'Injected description', ws_description: INJECTION });
      expect(onlyBody(h, 'POST', '/admin/workspaces')).toEqual({ name: 'Injected description', description: INJECTION });
      return { acks };
    },
  },
  {
    field: 'a workspace metadata key and value',
    verdict: 'neutralised',
    async run(h, userId) {
      const acks = await createWorkspace(h, userId, { ws_name: 'Injected metadata', ws_metadata: `team=${INJECTION}\n${INJECTION}=x` });
      expect(onlyBody(h, 'POST', '/admin/workspaces')).toEqual({
        name: 'Injected metadata',
        defaults: { metadata: { team: INJECTION, [INJECTION]: 'x' } },
      });
      return { acks };
    },
  },
  {
    field: 'the workspace slug',
    verdict: 'refused',
    async run(h, userId) {
      const view = await openModal(h, 'workspace create', userId);
      const errors = await submitRefused(h, filled(view, { ws_name: 'Injected slug', ws_slug: INJECTION }), userId);
      expect(Object.keys(errors)).toEqual(['ws_slug']);
      return { acks: [] };
    },
  },
  {
    field: 'the workspace name after the command, as Slack escapes it',
    verdict: 'neutralised',
    async run(h, userId) {
      const acks = await createWorkspace(h, userId, {}, `workspace create ${AS_SLACK_SENDS}`);
      expect(onlyBody(h, 'POST', '/admin/workspaces')).toEqual({ name: INJECTION });
      return { acks, echoed: INJECTION_ESCAPED };
    },
  },
  {
    field: 'the workspace name after the command, as real mentions and a link',
    verdict: 'neutralised',
    async run(h, userId) {
      const acks = await createWorkspace(h, userId, {}, `workspace create ${RAW_MENTIONS}`);
      expect(onlyBody(h, 'POST', '/admin/workspaces')).toEqual({ name: RAW_MENTIONS });
      return { acks, echoed: RAW_MENTIONS_ESCAPED };
    },
  },
  {
    field: "Portkey's error message about the workspace",
    verdict: 'neutralised',
    async run(h, userId) {
      h.portkey.fault(
        { method: 'POST', path: '/admin/workspaces' },
        { status: 409, body: { success: false, data: { message: `Workspace ${INJECTION} exists`, errorCode: 'AB07' } } },
      );
      const acks = await createWorkspace(h, userId, { ws_name: 'Injected error' });
      return { acks, echoed: INJECTION_ESCAPED };
    },
  },
  {
    field: 'the integration name',
    verdict: 'neutralised',
    async run(h, userId) {
      const acks = await createIntegration(h, userId, (v) =>
        filled(v, { int_name: INJECTION, int_slug: 'injected-name', int_key__openai: KEY }),
      );
      expect(onlyBody(h, 'POST', '/integrations')).toMatchObject({ name: INJECTION, slug: 'injected-name' });
      return { acks, echoed: INJECTION_ESCAPED };
    },
  },
  {
    field: 'the integration description',
    verdict: 'neutralised',
    async run(h, userId) {
      const acks = await createIntegration(h, userId, (v) =>
        filled(v, { int_name: 'Injected description', int_description: INJECTION, int_key__openai: KEY }),
      );
      expect(onlyBody(h, 'POST', '/integrations')).toMatchObject({ description: INJECTION });
      return { acks };
    },
  },
  {
    field: 'the custom host',
    verdict: 'neutralised',
    async run(h, userId) {
      const host = `https://llm.example.com/v1/${INJECTION}`;
      const acks = await createIntegration(h, userId, (v) =>
        filled(v, { int_name: 'Injected host', int_key__openai: KEY, int_custom_host: host }),
      );
      expect(onlyBody(h, 'POST', '/integrations')).toMatchObject({ configurations: { custom_host: host } });
      return { acks, echoed: INJECTION_ESCAPED };
    },
  },
  {
    field: 'a provider field (OpenAI organization)',
    verdict: 'neutralised',
    async run(h, userId) {
      const acks = await createIntegration(h, userId, (v) =>
        filled(v, { int_name: 'Injected field', int_key__openai: KEY, int_f__openai__openai_organization: INJECTION }),
      );
      expect(onlyBody(h, 'POST', '/integrations')).toMatchObject({ configurations: { openai_organization: INJECTION } });
      return { acks, echoed: INJECTION_ESCAPED };
    },
  },
  {
    field: 'the chosen workspace, as the picker shows it',
    verdict: 'neutralised',
    async run(h, userId) {
      const ws = h.portkey.seedWorkspace({ name: INJECTION, slug: 'injected-ws' });
      // The form as Slack shows it after "One workspace only" (the app redraws it with the workspace picker).
      const acks = await createIntegration(
        h,
        userId,
        (v) =>
          withSelection(filled(v, { int_name: 'Injected scope', int_key__openai: KEY }), 'int_workspace', 'int_workspace_search', {
            type: 'external_select',
            selected_option: { value: ws.id, text: { type: 'plain_text', text: INJECTION } },
          }),
        (v) => chooseScope(h, v, 'workspace'),
      );
      expect(onlyBody(h, 'POST', '/integrations')).toMatchObject({ workspace_id: ws.id });
      return { acks, echoed: INJECTION_ESCAPED };
    },
  },
  {
    field: 'the workspaces it is enabled in',
    verdict: 'neutralised',
    async run(h, userId) {
      // What is echoed is the name Portkey holds for the id (never the option's label), so that is where the markup goes.
      const ws = h.portkey.seedWorkspace({ name: INJECTION, slug: 'injected-access' });
      const acks = await createIntegration(h, userId, (v) =>
        filled(v, { int_name: 'Injected access', int_key__openai: KEY }, { int_access: [{ value: ws.id, text: 'Injected access' }] }),
      );
      return { acks, echoed: INJECTION_ESCAPED };
    },
  },
  {
    field: 'the API key name',
    verdict: 'neutralised',
    async run(h, userId) {
      const acks = await createKey(h, userId, { key_name: INJECTION });
      expect(onlyBody(h, 'POST', '/api-keys/workspace/service')).toMatchObject({ name: INJECTION });
      return { acks, echoed: INJECTION_ESCAPED };
    },
  },
  {
    field: 'the API key description',
    verdict: 'neutralised',
    async run(h, userId) {
      const acks = await createKey(h, userId, { key_name: 'Injected key description', key_description: INJECTION });
      expect(onlyBody(h, 'POST', '/api-keys/workspace/service')).toMatchObject({ description: INJECTION });
      return { acks };
    },
  },
  {
    field: "the API key's workspace, as Portkey holds it",
    verdict: 'neutralised',
    async run(h, userId) {
      // Echoed is the name Portkey holds for the id (never the option's label), so that is where the markup goes.
      const ws = h.portkey.seedWorkspace({ name: INJECTION, slug: 'injected-key-ws' });
      const acks = await createKey(h, userId, { key_name: 'Injected key workspace' }, { value: ws.id, text: 'A plain label' });
      expect(onlyBody(h, 'POST', '/api-keys/workspace/service')).toMatchObject({ workspace_id: ws.id });
      return { acks, echoed: INJECTION_ESCAPED };
    },
  },
  {
    field: 'the integration slug',
    verdict: 'refused',
    async run(h, userId) {
      const view = await openModal(h, 'integration create openai', userId);
      const errors = await submitRefused(h, filled(view, { int_name: 'Injected slug', int_slug: INJECTION, int_key__openai: KEY }), userId);
      expect(Object.keys(errors)).toEqual(['int_slug']);
      return { acks: [] };
    },
  },
  {
    field: 'an unknown command, as Slack escapes it',
    verdict: 'neutralised',
    async run(h, userId) {
      return { acks: [await command(h, userId, '&lt;!channel&gt; &lt;@U123&gt;')], echoed: '&lt;!channel&gt; &lt;@U123&gt;' };
    },
  },
  {
    field: 'an unknown command, as real mentions',
    verdict: 'neutralised',
    async run(h, userId) {
      return { acks: [await command(h, userId, '<!channel> <http://evil|click>')], echoed: '&lt;!channel&gt; &lt;http://evil|click&gt;' };
    },
  },
  {
    field: 'the workspace list filter',
    verdict: 'neutralised',
    async run(h, userId) {
      const ack = await command(h, userId, `workspaces ${AS_SLACK_SENDS}`);
      await h.slack.waitForResponse();
      expect(h.portkey.requestsTo('GET', '/admin/workspaces').map((r) => r.query.name)).toEqual([INJECTION]);
      return { acks: [ack], echoed: INJECTION_ESCAPED };
    },
  },
  {
    field: 'the integration list filter',
    verdict: 'neutralised',
    async run(h, userId) {
      const ack = await command(h, userId, `integrations ${AS_SLACK_SENDS}`);
      await h.slack.waitForResponse();
      return { acks: [ack], echoed: INJECTION_ESCAPED };
    },
  },
  {
    field: 'workspace and integration names Portkey lists',
    verdict: 'neutralised',
    async run(h, userId) {
      h.portkey.seedWorkspace({ name: INJECTION, slug: 'listed-ws' });
      h.portkey.seedIntegration({ name: INJECTION, slug: 'listed-int', ai_provider_id: 'openai' });
      const acks = [await command(h, userId, 'workspaces'), await command(h, userId, 'integrations')];
      await h.slack.waitForResponse((r) => String(r.body.text).startsWith('Workspaces'));
      await h.slack.waitForResponse((r) => String(r.body.text).startsWith('Integrations'));
      return { acks, echoed: INJECTION_ESCAPED };
    },
  },
  {
    field: 'a requester id that is not a Slack user id',
    verdict: 'neutralised',
    async run(h) {
      const acks = await createWorkspace(h, 'U123> <!channel', { ws_name: 'Forged requester' });
      await h.slack.waitFor('chat.postMessage');
      return { acks, echoed: 'U123&gt; &lt;!channel' };
    },
  },
  {
    field: 'the audit log after an injected create',
    verdict: 'neutralised',
    async run(h, userId) {
      const acks = await createWorkspace(h, userId, { ws_name: INJECTION, ws_slug: 'audited-injection' });
      acks.push(await command(h, userId, 'audit 5'));
      const reply = await h.slack.waitForResponse();
      expect(String(reply.body.text)).toBe('Audit log');
      return { acks };
    },
  },
];

export function injectionCases(h: TestEnv, tally: Tally): void {
  describe('mrkdwn injection in every echoed field', () => {
    it.each(CASES)('$field: Portkey gets it as typed, Slack shows it escaped', async (c) =>
      tally.run('mrkdwn injection', c.verdict, async () => {
        const { acks, echoed } = await c.run(h, newUser());
        const rendered = renderedEverywhere(h, acks);
        expect(liveMarkup(rendered), 'live mrkdwn in what the app sent').toEqual([]);
        if (echoed !== undefined) expect(rendered.map((r) => r.text).join('\n'), 'the echoed value, escaped').toContain(echoed);
      }),
    );
  });
}
