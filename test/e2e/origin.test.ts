import { stringify } from 'node:querystring';
import { describe, expect, it } from 'vitest';
import { SIGNING_SECRET } from '../support/app.js';
import { createDriver } from '../support/driver.js';
import { useTestEnv } from '../support/env.js';
import { fill, openForm } from './integration-helpers.js';

// Payloads signed by Slack but from another workspace (team) or Enterprise Grid org than the bot's own — as
// auth.test named them at start (the fake answers team T0001, no enterprise) — are acknowledged and dropped:
// no listener runs, nothing reaches Slack's Web API or Portkey.

const h = useTestEnv();

const other = () =>
  createDriver({
    eventsUrl: h.app.eventsUrl,
    signingSecret: SIGNING_SECRET,
    teamId: 'T0OTHER',
    teamDomain: 'other',
    responseUrlFactory: () => h.slack.responseUrl(),
  });
const refusals = () => h.app.logs.filter((l) => l.includes('refused a payload from outside this workspace'));

describe('payloads from outside the bot’s own workspace', () => {
  it('a command from another team opens nothing', async () => {
    const before = refusals().length;
    const res = await other().command({ text: 'workspace create Elsewhere', triggerId: 'trigger-other-team' });
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.slack.calls.filter((c) => c.method === 'views.open')).toEqual([]);
    expect(h.slack.responses).toEqual([]);
    expect(
      refusals()
        .slice(before)
        .map((l) => JSON.parse(l) as { from: string }),
    ).toEqual([expect.objectContaining({ from: 'team T0OTHER' })]);

    // Our own team's command still works.
    await h.app.driver.command({ text: 'workspace create Home', triggerId: 'trigger-home' });
    await h.slack.waitFor('views.open', (c) => c.args.trigger_id === 'trigger-home');
  });

  it('a command naming another enterprise (same team id) opens nothing', async () => {
    const body = stringify({
      team_id: 'T0001',
      enterprise_id: 'E0OTHER',
      channel_id: 'C_GENERAL',
      user_id: 'U_MALLORY',
      command: '/portkey',
      text: 'workspace create Grid',
      api_app_id: 'A0APP',
      response_url: h.slack.responseUrl(),
      trigger_id: 'trigger-other-enterprise',
    });
    const res = await h.app.driver.raw(body);
    expect(res.status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.slack.calls.filter((c) => c.args.trigger_id === 'trigger-other-enterprise')).toEqual([]);
    expect(refusals().at(-1)).toContain('enterprise E0OTHER');
  });

  it('a view submitted from another team creates nothing in Portkey', async () => {
    const view = await openForm(h, 'integration create openai');
    const res = await other().viewSubmission({ view: fill(view, { int_name: 'Foreign', int_key__openai: 'sk-foreign-0123456789' }) });
    expect(res.status).toBe(200);
    expect(res.text).toBe('');
    await new Promise((r) => setTimeout(r, 300));
    expect(h.portkey.requests).toEqual([]);
    expect(h.slack.calls.filter((c) => c.method === 'views.update')).toEqual([]);
  });
});
