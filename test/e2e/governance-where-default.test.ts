import { describe, expect, it } from 'vitest';
import { peekSqlite } from '../support/db.js';
import { fillView } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import { allText, record } from '../support/payload.js';
import { fill, openForm } from './integration-helpers.js';

// Without a policy file the built-in rules still hold: no secret reference is offered or usable, and a custom host
// is refused (the default policy names no admins to approve it). Signed requests into the real app.

const h = useTestEnv({ env: { POLICY_FILE: '' } });

const KEY = 'gsk-CANARY-default-0123456789abcdef';

async function governanceOf(view: Record<string, unknown>): Promise<unknown> {
  const opId = JSON.parse(String(view.private_metadata)).operationId as string;
  const row = (await peekSqlite(h.app.dataDir).rows('operations')).find((r) => r.id === opId);
  if (!row) throw new Error(`no operation ${opId}`);
  return JSON.parse(String(row.governance_json));
}

describe('the default policy keeps the built-in rules', () => {
  it('an integration with a custom host is refused, saying the admin must add admins or a custom_hosts rule', async () => {
    const view = await openForm(h, 'integration create groq', { userId: 'UMALLORY' });
    const res = await h.app.driver.viewSubmission({
      view: fill(view, { int_name: 'Groq to OpenAI', int_key__groq: KEY, int_custom_host: 'https://api.openai.com/v1' }),
      userId: 'UMALLORY',
    });
    const ack = record(res.json, 'ack');
    expect(ack.response_action).toBe('update');
    const shown = record(ack.view, 'view');
    expect(allText(shown.blocks)).toContain(
      '*Not allowed.* An integration with a custom host needs approval unless a policy rule allows that host (custom_hosts).',
    );
    expect(await governanceOf(shown)).toMatchObject({ effect: 'deny', rule: 'custom-host-needs-approval' });
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
  });

  it('no secret reference is offered, and a crafted one is refused', async () => {
    const ref = h.portkey.seedSecretReference({ name: 'Org production OpenAI', slug: 'org-prod' });
    const view = await openForm(h, 'integration create groq', { userId: 'UMALLORY' });
    const offered = await h.app.driver.options({
      actionId: 'int_secret_ref_search',
      blockId: 'int_secretref__groq',
      value: '',
      userId: 'UMALLORY',
      view: fillView(view, {}),
    });
    expect(record(offered.json, 'options')).toEqual({ options: [] });

    const res = await h.app.driver.viewSubmission({
      view: fill(view, { int_name: 'Borrowed', int_secretref__groq: { value: ref.id, text: 'Mine' } }),
      userId: 'UMALLORY',
    });
    const shown = record(record(res.json, 'ack').view, 'view');
    expect(await governanceOf(shown)).toMatchObject({ effect: 'deny', rule: 'secret-reference-not-allowed' });
    expect(h.portkey.requestsTo('POST', '/integrations')).toEqual([]);
  });

  it('an integration with neither is created as before', async () => {
    const view = await openForm(h, 'integration create groq', { userId: 'UMEMBER' });
    const res = await h.app.driver.viewSubmission({ view: fill(view, { int_name: 'Plain Groq', int_key__groq: KEY }), userId: 'UMEMBER' });
    expect(record(res.json, 'ack').response_action).toBe('update');
    await h.slack.waitFor('chat.postMessage', (c) => c.args.channel === 'C_GENERAL');
    expect(h.portkey.requestsTo('POST', '/integrations').map((r) => r.body)).toEqual([
      { name: 'Plain Groq', slug: 'plain-groq', ai_provider_id: 'groq', key: KEY },
    ]);
  });
});
