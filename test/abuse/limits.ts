// Values far past every limit, control characters, right-to-left and zero-width characters: in the forms
// (refused on the field, nothing sent to Portkey) and in the command text (cut down before it is used or shown).
import { describe, expect, it } from 'vitest';
import type { FillValue } from '../support/driver.js';
import type { TestEnv } from '../support/env.js';
import { isRecord, record } from '../support/payload.js';
import { filled, newUser, openModal, submitAccepted, submitRefused } from './flows.js';
import type { Tally } from './tally.js';

const MB = 1_000_000;
const OPENAI_KEY = 'sk-abuse-limits-0123456789';

interface FieldCase {
  name: string;
  form: 'workspace' | 'integration';
  inputs: Record<string, FillValue>;
  multi?: Record<string, Array<{ value: string; text: string }>>;
  /** The block whose error must say what is wrong. */
  refusedOn: string;
}

const ws = (name: string, inputs: Record<string, FillValue>, refusedOn: string): FieldCase => ({
  name,
  form: 'workspace',
  inputs: { ws_name: 'Limits', ...inputs },
  refusedOn,
});
const int = (name: string, inputs: Record<string, FillValue>, refusedOn: string, multi?: FieldCase['multi']): FieldCase => ({
  name,
  form: 'integration',
  inputs: { int_name: 'Limits', int_key__openai: OPENAI_KEY, ...inputs },
  refusedOn,
  ...(multi ? { multi } : {}),
});

const validLines = (n: number) => Array.from({ length: n }, (_, i) => `key${i}=value-${i}`).join('\n');

const FIELDS: FieldCase[] = [
  ws('a workspace name of 256 characters', { ws_name: 'n'.repeat(256) }, 'ws_name'),
  ws('a workspace name of 1 MB', { ws_name: 'n'.repeat(MB) }, 'ws_name'),
  ws('a workspace slug of 256 characters', { ws_slug: 's'.repeat(256) }, 'ws_slug'),
  ws('a workspace description of 1 MB', { ws_description: 'd'.repeat(MB) }, 'ws_description'),
  ws('workspace metadata past its 2 500 characters, in valid lines', { ws_metadata: validLines(200) }, 'ws_metadata'),
  ws('one metadata value of 100 000 characters', { ws_metadata: `team=${'v'.repeat(100_000)}` }, 'ws_metadata'),
  ws('5 000 bad metadata lines', { ws_metadata: Array.from({ length: 5000 }, (_, i) => `bad line ${i}`).join('\n') }, 'ws_metadata'),
  ws('a NUL in the workspace name', { ws_name: 'Data\u0000Science' }, 'ws_name'),
  ws('a terminal escape sequence in the workspace name', { ws_name: 'Data \u001b[31mScience\u001b[0m' }, 'ws_name'),
  ws('a line break in the one-line workspace name', { ws_name: 'Data\nScience' }, 'ws_name'),
  ws('a right-to-left override in the workspace name', { ws_name: 'invoice\u202Efdp.exe' }, 'ws_name'),
  ws('a right-to-left isolate in the workspace name', { ws_name: 'Data \u2067Science' }, 'ws_name'),
  ws('a zero-width space in the workspace name', { ws_name: 'Prod\u200Buction' }, 'ws_name'),
  ws('a workspace name of zero-width characters only', { ws_name: '\u200B\u2060\uFEFF' }, 'ws_name'),
  ws('a NUL in the workspace description', { ws_description: 'first\u0000second' }, 'ws_description'),
  ws('a right-to-left override in the workspace description', { ws_description: 'cost \u202E0001 USD' }, 'ws_description'),
  ws('a NUL in a metadata line', { ws_metadata: 'team=da\u0000ta' }, 'ws_metadata'),
  int('an integration name of 1 MB', { int_name: 'n'.repeat(MB) }, 'int_name'),
  int('an integration slug of 256 characters', { int_slug: 's'.repeat(256) }, 'int_slug'),
  int('an integration description of 1 MB', { int_description: 'd'.repeat(MB) }, 'int_description'),
  int('a custom host of 100 000 characters', { int_custom_host: `https://llm.example.com/${'p'.repeat(100_000)}` }, 'int_custom_host'),
  int('a provider key of 1 MB', { int_key__openai: `sk-${'k'.repeat(MB)}` }, 'int_key__openai'),
  int(
    'a provider field of 100 000 characters',
    { int_f__openai__openai_organization: `org-${'o'.repeat(100_000)}` },
    'int_f__openai__openai_organization',
  ),
  int(
    'a secret reference id of 10 000 characters',
    { int_key__openai: null, int_secretref__openai: { value: 'r'.repeat(10_000), text: 'ref' } },
    'int_secretref__openai',
  ),
  int('enabling it in 1 000 workspaces (the picker allows 20)', {}, 'int_access', {
    int_access: Array.from({ length: 1000 }, (_, i) => ({ value: `ws-${i}`, text: `Workspace ${i}` })),
  }),
  // Budgets (issue 13 §1): one workspace chosen, so the limits apply; each refused on its own field before any look-up.
  ...(
    [
      ['a budget of a million digits', { lim_amount: '9'.repeat(MB) }, 'lim_amount'],
      ['a negative budget', { lim_amount: '-100' }, 'lim_amount'],
      ['a NaN budget', { lim_amount: 'NaN' }, 'lim_amount'],
      ['a budget alert above the budget', { lim_amount: '10', lim_alert: '11' }, 'lim_alert'],
      ['a rate limit of 10^30', { lim_rate: `1${'0'.repeat(30)}` }, 'lim_rate'],
    ] as const
  ).map(([name, inputs, block]) => int(name, inputs, block, { int_access: [{ value: 'ws-abuse', text: 'Workspace' }] })),
  int('a NUL in the integration name', { int_name: 'Open\u0000AI' }, 'int_name'),
  int('a right-to-left override in the integration name', { int_name: 'OpenAI \u202Edorp' }, 'int_name'),
  int('a zero-width space in the integration name', { int_name: 'Open\u200BAI' }, 'int_name'),
  int('a right-to-left override in the integration description', { int_description: 'a \u202Eb' }, 'int_description'),
  int('a right-to-left override in the custom host', { int_custom_host: 'https://llm.example.com/\u202Ev1' }, 'int_custom_host'),
  int(
    'a zero-width space in a provider field',
    { int_f__openai__openai_organization: 'org-\u200Babc' },
    'int_f__openai__openai_organization',
  ),
];

/** Text a person could legitimately type: accepted, sent to Portkey exactly as typed, shown without harm. */
const ACCEPTED: Array<{ name: string; typed: string }> = [
  { name: 'a right-to-left name (Hebrew)', typed: 'צוות נתונים' },
  { name: 'a right-to-left name (Arabic) mixed with Latin', typed: 'فريق Data' },
  { name: 'an emoji with zero-width joiners', typed: 'Dev team 👩‍💻' },
];

interface CommandCase {
  name: string;
  text: string;
  check(h: TestEnv, ack: unknown): Promise<void>;
}

const COMMANDS: CommandCase[] = [
  {
    name: 'a 10 000-character workspace name after the command',
    text: `workspace create ${'n'.repeat(10_000)}`,
    async check(h) {
      const open = await h.slack.waitFor('views.open');
      const blocks = record(open.args.view, 'view').blocks;
      const name = Array.isArray(blocks) ? blocks.filter(isRecord).find((b) => b.block_id === 'ws_name') : undefined;
      expect(String(record(name?.element, 'name element').initial_value)).toHaveLength(255);
    },
  },
  {
    name: 'a 10 000-character provider after the command',
    text: `integration create ${'p'.repeat(10_000)}`,
    async check(h) {
      const open = await h.slack.waitFor('views.open');
      expect(JSON.stringify(open.args.view)).not.toContain('p'.repeat(100));
    },
  },
  {
    name: 'an unknown 10 000-character command',
    text: 'x'.repeat(10_000),
    async check(_h, ack) {
      const body = record(ack, 'help ack');
      expect(String(body.text).length).toBeLessThanOrEqual(300);
      expect(JSON.stringify(body.blocks)).not.toContain('x'.repeat(300));
    },
  },
  {
    name: 'a 10 000-character list filter',
    text: `workspaces ${'f'.repeat(10_000)}`,
    async check(h) {
      const reply = await h.slack.waitForResponse();
      const asked = h.portkey.requestsTo('GET', '/admin/workspaces');
      expect(asked.map((r) => r.query.name?.length)).toEqual([100]);
      expect(JSON.stringify(reply.body).length).toBeLessThan(3000);
    },
  },
  {
    name: 'an audit count of 10^15',
    text: 'audit 1000000000000000',
    async check(h) {
      const reply = await h.slack.waitForResponse();
      expect(String(reply.body.text)).toBe('Audit log');
    },
  },
];

/** Names made in Portkey directly (not through the form) with characters that reorder or hide text. */
const LISTED: Array<{ name: string; stored: string; shown: string }> = [
  { name: 'a right-to-left override', stored: 'invoice\u202Efdp.exe', shown: 'invoice\uFFFDfdp.exe' },
  { name: 'a right-to-left isolate', stored: 'Data \u2067Science', shown: 'Data \uFFFDScience' },
  { name: 'a terminal escape sequence', stored: 'Data \u001b[31mScience', shown: 'Data \uFFFD[31mScience' },
];

export function limitCases(h: TestEnv, tally: Tally): void {
  describe('values past every limit, control, right-to-left and zero-width characters', () => {
    it.each(FIELDS)('$name → refused on $refusedOn', async (c) =>
      tally.run('limits and characters', 'refused', async () => {
        const userId = newUser();
        const view = await openModal(h, c.form === 'workspace' ? 'workspace create' : 'integration create openai', userId);
        const errors = await submitRefused(h, filled(view, c.inputs, c.multi), userId);
        expect(Object.keys(errors)).toContain(c.refusedOn);
        // Said in a few words: an error quoting a megabyte back would be a limit broken in turn.
        for (const message of Object.values(errors)) expect(String(message).length).toBeLessThanOrEqual(1000);
      }),
    );

    it.each(ACCEPTED)('$name → created as typed, shown as typed', async (c) =>
      tally.run('limits and characters', 'neutralised', async () => {
        const userId = newUser();
        const view = await openModal(h, 'workspace create', userId);
        await submitAccepted(h, filled(view, { ws_name: c.typed }), userId);
        expect(h.portkey.requestsTo('POST', '/admin/workspaces').map((r) => r.body)).toEqual([{ name: c.typed }]);
        const post = await h.slack.waitFor('chat.postMessage');
        expect(JSON.stringify(post.args.blocks)).toContain(c.typed);
      }),
    );

    it.each(LISTED)('a Portkey workspace name with $name is listed with it made visible', async (c) =>
      tally.run('limits and characters', 'neutralised', async () => {
        h.portkey.seedWorkspace({ name: c.stored, slug: 'listed-unsafe' });
        const res = await h.app.driver.command({ text: 'workspaces', userId: newUser(), responseUrl: h.slack.responseUrl() });
        expect(res.status).toBe(200);
        const shown = JSON.stringify((await h.slack.waitForResponse()).body);
        expect(shown).toContain(JSON.stringify(c.shown).slice(1, -1));
        expect(shown).not.toContain(JSON.stringify(c.stored).slice(1, -1));
      }),
    );

    it.each(COMMANDS)('$name → cut down before it is used or shown', async (c) =>
      tally.run('limits and characters', 'neutralised', async () => {
        const res = await h.app.driver.command({ text: c.text, userId: newUser(), responseUrl: h.slack.responseUrl() });
        expect(res.status).toBe(200);
        await c.check(h, res.json);
        expect(h.portkey.requestsTo('POST', /.*/)).toEqual([]);
      }),
    );
  });
}
